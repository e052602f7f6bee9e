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
      `config: "${path.relative(process.cwd(), missing)}" is not allowed. The file does not exist; create it with { "environments": [...] } (README, "Add an environment") or point MAVIK_CONFIG at one.`,
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
      "environments[0].acountId: unknown field. Allowed fields: name, accountId, region, alias, description, existingKeyId, deletionWindowInDays, rotationPeriodInDays, tags, policyId, enableIamUserPermissions, administrators, users, services, deployer, additionalStatements, serviceAccess, allowDestroy, state, resources, audit.",
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

describe("values are checked by the constructs when the app is built", () => {
  test.each<[string, (env: any) => void, string]>([
    ["an account id of 13 digits", (e) => (e.accountId = "1670672483180"), 'accountId: "1670672483180" is not allowed. An AWS account id is exactly 12 digits, e.g. "167067248318".'],
    ["a malformed region", (e) => (e.region = "us-east"), 'region: "us-east" is not allowed. A region is an AWS region name such as "us-east-1" or "eu-west-2".'],
    ["a region in capitals", (e) => (e.region = "US-EAST-1"), 'region: "US-EAST-1" is not allowed. A region is an AWS region name such as "us-east-1" or "eu-west-2".'],
    ["a bad alias", (e) => (e.alias = "alias/aws/s3"), 'alias: "alias/aws/s3" is not allowed. Names under "alias/aws/" are reserved for AWS managed keys.'],
    ["a bad environment name", (e) => (e.name = "Prod"), 'name: "Prod" is not allowed. An environment name is 1 to 32 lowercase letters, digits and hyphens, starting with a letter.'],
    [
      "a bad state bucket",
      (e) => (e.state.bucket = "Mavik_State"),
      'state.bucket: "Mavik_State" is not allowed. An S3 bucket name has 3 to 63 characters: lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, with no "..", not shaped like an IP address.',
    ],
    ["a bad state region", (e) => (e.state.region = "useast1"), 'state.region: "useast1" is not allowed. A region is an AWS region name such as "us-east-1" or "eu-west-2".'],
    [
      "a bad lock table",
      (e) => (e.state.locking = { type: "dynamodb", table: "x" }),
      'state.locking.table: "x" is not allowed. A DynamoDB table name has 3 to 255 letters, digits, underscores, hyphens and dots.',
    ],
  ])("%s", (_name, change, message) => {
    expect(() => buildApp({ configFile: configWith(change), outdir: dir })).toThrow(message);
  });
});

describe("across environments", () => {
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
