import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError } from "../modules/index";
import { EnvironmentConfig, loadEnvironments, selectEnvironments } from "../app";
import { buildApp } from "../main";
import { MULTI_CONFIG, SHIPPED_CONFIG } from "./support/synth";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-env-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const shipped = JSON.parse(fs.readFileSync(SHIPPED_CONFIG, "utf8"));
const seedEnv = shipped.environments[0];

/** Writes a config file whose first environment is the seed's with `change` applied. */
function configWith(change: (env: any) => void, extra: object[] = []): string {
  const env = JSON.parse(JSON.stringify(seedEnv));
  change(env);
  const file = path.join(dir, `env-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify({ environments: [env, ...extra] }));
  return file;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message.replace(/^[^\n]*env-[a-z0-9]+\.json:\n  /, "");
  }
  throw new Error("expected a ConfigError");
}

describe("the shipped environments file (seed §2.1)", () => {
  test("has the seed's environment: account, region, principals, existing key", () => {
    const [env] = loadEnvironments(SHIPPED_CONFIG);
    expect(env).toMatchObject({
      accountId: "167067248318",
      region: "us-east-1",
      alias: "alias/mavik-data-kms-key",
      existingKeyId: "cb424700-0dd0-4dcb-a77d-13af16579270",
      administrators: ["user/mavik-developer", "user/mavik-deployer"],
      users: ["role/ecsTaskExecutionRole", "role/MavikLambdaRole"],
    });
    expect(env.services).toHaveLength(4);
  });
});

describe("config file errors name the field, the value and what is allowed", () => {
  test("a missing file", () => {
    const missing = path.join(dir, "nope.json");
    expect(errorOf(() => loadEnvironments(missing))).toBe(
      `config: "${path.relative(process.cwd(), missing)}" is not allowed. The file does not exist; create it with { "environments": [...] } (docs/configuration.md) or point MAVIK_CONFIG at one.`,
    );
  });

  test("a file that is not JSON", () => {
    const file = path.join(dir, "broken.json");
    fs.writeFileSync(file, "{ environments: ");
    expect(errorOf(() => loadEnvironments(file))).toMatch(/^config: ".*broken\.json" is not allowed\. It is not valid JSON: /);
  });

  test.each<[string, (env: any) => void, string]>([
    [
      "an unknown field",
      (e) => (e.acountId = "167067248318"),
      "environments[0].acountId: unknown field. Allowed fields: name, accountId, region, alias, description, existingKeyId, deletionWindowInDays, rotationPeriodInDays, tags, policyId, enableIamUserPermissions, administrators, users, services, deployer, additionalStatements, serviceAccess, allowDestroy, state, resources, audit, roles.",
    ],
    [
      "an unknown state field",
      (e) => (e.state.lock = true),
      "environments[0].state.lock: unknown field. Allowed fields: bucket, region, keyPrefix, encrypt, kmsKeyId, locking.",
    ],
    ["a number as a string", (e) => (e.deletionWindowInDays = "30"), 'environments[0].deletionWindowInDays: "30" is not allowed. Expected a number.'],
    ["an account id as a number", (e) => (e.accountId = 167067248318), "environments[0].accountId: 167067248318 is not allowed. Expected a string."],
    ["a missing field", (e) => delete e.region, "environments[0].region: missing. Expected a string."],
    ["users not a list", (e) => (e.users = "role/App"), 'environments[0].users: "role/App" is not allowed. Expected a list.'],
    [
      "a principal of the wrong shape",
      (e) => (e.users = [{ arn: "arn:aws:iam::210987654321:role/X" }]),
      'environments[0].users[0]: {"arn":"arn:aws:iam::210987654321:role/X"} is not allowed. Expected "user/<name>", "role/<name>", an IAM ARN, or { "arn": "<ARN>", "crossAccount": true }.',
    ],
    [
      "an unknown locking type",
      (e) => (e.state.locking = { type: "consul" }),
      'environments[0].state.locking.type: {"type":"consul"} is not allowed. Expected { "type": "lockfile" } or { "type": "dynamodb", "table": "<table>" }.',
    ],
  ])("%s", (_name, change, message) => {
    expect(errorOf(() => loadEnvironments(configWith(change)))).toBe(message);
  });

  test("several problems are reported together", () => {
    const message = errorOf(() => loadEnvironments(configWith((e) => ((e.region = 1), (e.extra = true)))));
    expect(message.split("\n  ")).toEqual([
      "environments[0].region: 1 is not allowed. Expected a string.",
      expect.stringMatching(/^environments\[0\]\.extra: unknown field\./),
    ]);
  });
});

/** The message building the app from `file` fails with, whole. */
function buildError(file: string): string {
  try {
    buildApp({ configFile: file, outdir: dir }).app.synth();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected a ConfigError");
}

const statement = (extra: object) => ({ Sid: "Extra", Effect: "Allow", Principal: { AWS: "arn:aws:iam::167067248318:role/Reader" }, Action: "kms:Decrypt", Resource: "*", ...extra });

test("an added statement with Boolean and number condition values (IAM's grammar allows them) builds, and keeps them as written", () => {
  const file = configWith((e) => (e.additionalStatements = [statement({ Condition: { Bool: { "aws:SecureTransport": true }, NumericLessThan: { "aws:MultiFactorAuthAge": 3600 } } })]));
  const { app, stacks } = buildApp({ configFile: file, outdir: dir });
  app.synth();
  const policy = JSON.parse(fs.readFileSync(path.join(dir, "stacks", stacks[0].environment.name, "cdk.tf.json"), "utf8")).resource.aws_kms_key.mavik_data_key.policy;
  expect(JSON.parse(policy).Statement[5].Condition).toEqual({ Bool: { "aws:SecureTransport": true }, NumericLessThan: { "aws:MultiFactorAuthAge": 3600 } });
});

describe("values are checked by the constructs when the app is built, each error naming the environment", () => {
  test.each<[string, (env: any) => void, string]>([
    ["an account id of 13 digits", (e) => (e.accountId = "1670672483180"), 'environments[0] (prod): accountId: "1670672483180" is not allowed. An AWS account id is exactly 12 digits, e.g. "167067248318".'],
    ["a malformed region", (e) => (e.region = "us-east"), 'environments[0] (prod): region: "us-east" is not allowed. It is no region of any AWS partition (the AWS SDK\'s endpoint data); did you mean "us-east-1"?'],
    ["a region in capitals", (e) => (e.region = "US-EAST-1"), 'environments[0] (prod): region: "US-EAST-1" is not allowed. It is no region of any AWS partition (the AWS SDK\'s endpoint data); did you mean "us-east-1"?'],
    ["a region that does not exist", (e) => (e.region = "us-east-7"), 'environments[0] (prod): region: "us-east-7" is not allowed. It is no region of any AWS partition (the AWS SDK\'s endpoint data); did you mean "us-east-1"?'],
    ["a state region that does not exist", (e) => (e.state.region = "eu-north-9"), 'environments[0] (prod): state.region: "eu-north-9" is not allowed. It is no region of any AWS partition (the AWS SDK\'s endpoint data); did you mean "eu-north-1"?'],
    ["nothing like a region", (e) => (e.state.region = "useast1"), 'environments[0] (prod): state.region: "useast1" is not allowed. It is no region of any AWS partition (the AWS SDK\'s endpoint data); did you mean "us-east-1"?'],
    ["a bad alias", (e) => (e.alias = "alias/aws/s3"), 'environments[0] (prod): alias: "alias/aws/s3" is not allowed. Names under "alias/aws/" are reserved for AWS managed keys.'],
    ["a bad environment name", (e) => (e.name = "Prod"), 'environments[0] (Prod): name: "Prod" is not allowed. An environment name is 1 to 32 lowercase letters, digits and hyphens, starting with a letter.'],
    [
      "a bad state bucket",
      (e) => (e.state.bucket = "Mavik_State"),
      'environments[0] (prod): state.bucket: "Mavik_State" is not allowed. An S3 bucket name has 3 to 63 characters: lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, with no "..", not shaped like an IP address.',
    ],
    [
      "a bad lock table",
      (e) => (e.state.locking = { type: "dynamodb", table: "x" }),
      'environments[0] (prod): state.locking.table: "x" is not allowed. A DynamoDB table name has 3 to 255 letters, digits, underscores, hyphens and dots.',
    ],
    [
      "a key prefix climbing out of its folder",
      (e) => (e.state.keyPrefix = "../other-project"),
      'environments[0] (prod): state.keyPrefix: "../other-project" is not allowed. A part may not be "." or "..": the state object would land outside the prefix (another project\'s state, say).',
    ],
    [
      "a description over 8,192 characters",
      (e) => (e.description = "d".repeat(8193)),
      `environments[0] (prod): description: "${"d".repeat(59)}…(8195 characters) is not allowed. A key description has at most 8,192 characters (KMS CreateKey); this one has 8193.`,
    ],
    ["a tag key under aws:", (e) => (e.tags = { "aws:team": "ssot" }), 'environments[0] (prod): tags key: "aws:team" is not allowed. Tag keys starting with "aws:" are reserved for AWS.'],
    ["a tag value under AWS:", (e) => (e.tags = { team: "AWS:ssot" }), 'environments[0] (prod): tags.team: "AWS:ssot" is not allowed. Tag values starting with "aws:" are reserved for AWS.'],
    ["51 tags", (e) => (e.tags = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, "x"]))), 'environments[0] (prod): tags: "51 tags" is not allowed. A resource has at most 50 tags.'],
    ["a tag key of 129 characters", (e) => (e.tags = { ["k".repeat(129)]: "x" }), `environments[0] (prod): tags key: "${"k".repeat(59)}…(131 characters) is not allowed. A tag key has 1 to 128 characters; this one has 129.`],
    ["a tag key with a character AWS refuses", (e) => (e.tags = { "team#1": "ssot" }), 'environments[0] (prod): tags key: "team#1" is not allowed. A tag key has Unicode letters, digits, spaces and _ . : / = + - @ only.'],
    [
      "no administrators",
      (e) => (e.administrators = []),
      "environments[0] (prod): administrators: [] is not allowed. An empty list writes no statement: list at least one, or leave administrators out to write no key administrators' statement on purpose.",
    ],
    ["no users", (e) => (e.users = []), "environments[0] (prod): users: [] is not allowed. An empty list writes no statement: list at least one, or leave users out to write no key users' statements on purpose."],
    ["no services", (e) => (e.services = []), "environments[0] (prod): services: [] is not allowed. An empty list writes no statement: list at least one, or leave services out to write no AWS services' statement on purpose."],
    [
      "the account root as an administrator",
      (e) => e.administrators.push("arn:aws:iam::167067248318:root"),
      'environments[0] (prod): administrators[2]: "arn:aws:iam::167067248318:root" is not allowed. The account root is not a key administrator: the root statement (enableIamUserPermissions) already lets the account\'s IAM policies grant anything. List the users or roles that administer the key.',
    ],
    [
      "a condition operator with a typo in an added statement",
      (e) => (e.additionalStatements = [statement({ Condition: { StringEqual: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } } })]),
      'environments[0] (prod): additionalStatements[0] (policy.Statement[5]).Condition: "StringEqual" is not allowed. It is no condition operator of the IAM reference; did you mean "StringEquals"?',
    ],
    [
      "a bare name as a principal in an added statement",
      (e) => (e.additionalStatements = [statement({ Principal: { AWS: "mavik-deployer" } })]),
      'environments[0] (prod): additionalStatements[0] (policy.Statement[5]).Principal.AWS: "mavik-deployer" is not allowed. An AWS principal is "*", a 12-digit account id, or an ARN: arn:<partition>:iam::<account>:root, :user/<name>, :role/<name> (with its path: :role/<path>/<name>), arn:<partition>:sts::<account>:assumed-role/<role>/<session>, or :federated-user/<name>.',
    ],
    [
      "a Lambda function whose role is in another account",
      (e) => (e.resources = { functions: [{ name: "mavik-api", role: "arn:aws:iam::210987654321:role/Api", code: { imageUri: "167067248318.dkr.ecr.us-east-1.amazonaws.com/api:1" } }] }),
      'environments[0] (prod): resources.functions[0].role: "arn:aws:iam::210987654321:role/Api" is not allowed. The execution role is in account 210987654321; Lambda takes a role of the function\'s own account (167067248318).',
    ],
    [
      "a table whose range key is its hash key",
      (e) => (e.resources = { tables: [{ name: "mavik-records", hashKey: "id", rangeKey: "id" }] }),
      'environments[0] (prod): resources.tables[0].rangeKey: "id" is not allowed. The sort (range) key is another attribute than the partition (hash) key; leave rangeKey out for a table keyed by the hash key alone.',
    ],
  ])("%s", (_name, change, message) => {
    expect(buildError(configWith(change))).toBe(message);
  });

  test("an error in the second environment names it, as the schema's errors do", () => {
    const staging = { ...seedEnv, name: "staging", accountId: "210987654321", existingKeyId: undefined, deletionWindowInDays: 45, state: { ...seedEnv.state, bucket: "mavik-terraform-state-210987654321" } };
    expect(buildError(configWith(() => undefined, [staging]))).toBe("environments[1] (staging): deletionWindowInDays: 45 is not allowed. Allowed: a whole number of days from 7 to 30.");
  });

  test("a service principal AWS's data does not know: a warning that synth prints, naming the environment and the field written", () => {
    const { warnings } = buildApp({ configFile: configWith((e) => e.services.push("foo.amazonaws.com")), outdir: dir });
    expect(warnings).toEqual([
      "environments[0] (prod): services[4]: \"foo.amazonaws.com\" names no service of AWS's service authorization data. " +
        "No service calls KMS under a name that is not its own, so for a misspelt one the statement grants nothing, and AWS documents no check of service names when it saves a key policy; check the name.",
    ]);
  });

  test("an added statement for another key: a warning naming the added statement, since it never applies", () => {
    const other = "arn:aws:kms:us-east-1:167067248318:key/0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6";
    const { warnings } = buildApp({ configFile: configWith((e) => (e.additionalStatements = [statement({ Resource: other })])), outdir: dir });
    expect(warnings).toEqual([
      `environments[0] (prod): additionalStatements[0] (policy.Statement[5]).Resource: "${other}" is not this key ("*" is, in a key policy), so the statement never applies. Write "*".`,
    ]);
  });

  test("the regions come from the AWS SDK's endpoint data: every partition's, the partition from it too", () => {
    const { REGIONS_BY_PARTITION } = require("../modules/common/aws-names.generated");
    expect(Object.keys(REGIONS_BY_PARTITION)).toEqual(expect.arrayContaining(["aws", "aws-cn", "aws-us-gov"]));
    expect(REGIONS_BY_PARTITION.aws).toEqual(expect.arrayContaining(["us-east-1", "eu-west-2", "ap-southeast-7"]));
    const { partitionOf } = require("../modules/index");
    expect([partitionOf("cn-northwest-1"), partitionOf("us-gov-west-1"), partitionOf("eu-west-1")]).toEqual(["aws-cn", "aws-us-gov", "aws"]);
  });
});

describe("the file itself", () => {
  const write = (text: string) => {
    const file = path.join(dir, `env-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(file, text);
    return file;
  };
  test("a bare list: the message shows the shape", () => {
    const file = write(JSON.stringify([seedEnv]));
    expect(errorOf(() => loadEnvironments(file))).toBe(
      `config: "${path.relative(process.cwd(), file)}" is not allowed. It is a bare list; the file is an object holding the list: { "environments": [ ... ] }.`,
    );
  });
  test("no environments at all", () => {
    const file = write(JSON.stringify({ environments: [] }));
    expect(errorOf(() => loadEnvironments(file))).toBe(
      'environments: [] is not allowed. List at least one environment (docs/configuration.md); an app of no stacks deploys nothing.',
    );
  });
  test("a UTF-8 byte-order mark is accepted", () => {
    const file = write("\uFEFF" + JSON.stringify(shipped));
    expect(loadEnvironments(file).map((e) => e.name)).toEqual(["prod"]);
  });
});

describe("across environments", () => {
  test("two environments in one account and region with different aliases: a warning, two keys where the seed has one", () => {
    const second = { ...seedEnv, name: "reports", alias: "alias/mavik-reports-key", existingKeyId: undefined };
    const { warnings } = buildApp({ configFile: configWith(() => undefined, [second]), outdir: dir });
    expect(warnings).toEqual([
      "environments[1] (reports): a second data key in account 167067248318, us-east-1 (alias/mavik-reports-key, beside alias/mavik-data-kms-key of environments[0] (prod)); the seed keeps one key under one alias per account and region (§6).",
    ]);
  });

  test("two environments with the same alias in the same account and region", () => {
    const twin = { ...seedEnv, name: "prod-copy", existingKeyId: undefined };
    expect(errorOf(() => loadEnvironments(configWith(() => undefined, [twin])))).toBe(
      'environments[1].alias: "alias/mavik-data-kms-key" is not allowed. Environment "prod" uses it already in account 167067248318, us-east-1; an alias names one key per account and region.',
    );
  });

  test("the same alias in another region is fine", () => {
    const other = { ...seedEnv, name: "dr", region: "us-west-2" };
    expect(loadEnvironments(configWith(() => undefined, [other])).map((e) => e.name)).toEqual(["prod", "dr"]);
  });

  test("two environments with the same name", () => {
    expect(errorOf(() => loadEnvironments(configWith(() => undefined, [{ ...seedEnv, region: "eu-west-1" }])))).toBe(
      'environments[1].name: "prod" is not allowed. Names are unique; environments[0] has it already.',
    );
  });
});

describe("selecting environments", () => {
  const envs = loadEnvironments(MULTI_CONFIG);
  const names = (list: EnvironmentConfig[]) => list.map((e) => e.name);

  test("all by default, or the named ones in the given order", () => {
    expect(names(selectEnvironments(envs, undefined))).toEqual(["prod", "staging"]);
    expect(names(selectEnvironments(envs, "staging, prod"))).toEqual(["staging", "prod"]);
  });

  test("an unknown environment name", () => {
    expect(() => selectEnvironments(envs, "qa")).toThrow('MAVIK_ENV: "qa" is not allowed. Known environments: prod, staging.');
  });
});
