import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { App, Aspects, TerraformResource, TerraformStack, Testing } from "cdktf";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkTerraformNames, DataKey, dynamodbTableCmk, EncryptionEnforcement, enforceEncryption, exemptFromEncryption, lambdaEnvCmk, Rule, s3BucketEncrypted, secretCmk } from "../modules/index";
import { DataKeyStack, EnvironmentConfig, loadEnvironments } from "../app";
import type { EncryptionSubject } from "../modules/index";
import { resolveString } from "../modules/platform";
import { secondCopy } from "./support/second-copy";
import { MULTI_CONFIG } from "./support/synth";

/** A stack with the data key; `build` adds resources. Returns the findings of one rule. */
function findings(rule: Rule<EncryptionSubject>, build: (stack: TerraformStack, key: DataKey) => void) {
  const stack = new TerraformStack(Testing.app(), "test");
  const key = new DataKey(stack, "mavik_data_key", { accountId: "167067248318", administrators: ["user/a"] });
  build(stack, key);
  const resources = stack.node.findAll().filter((c): c is TerraformResource => c instanceof TerraformResource);
  return rule.check({ scope: stack, keyArn: resolveString(stack, key.keyArn)!, aliasArn: resolveString(stack, key.aliasArn)!, resources });
}

const table = (stack: TerraformStack, sse?: { enabled: boolean; kmsKeyArn?: string }) =>
  new DynamodbTable(stack, "orders", { name: "orders", hashKey: "id", attribute: [{ name: "id", type: "S" }], serverSideEncryption: sse });
const otherKey = (stack: TerraformStack) => new KmsKey(stack, "other", {});
const FIX = (call: string) => `Fix: ${call}, or exemptFromEncryption(<resource>, "<reason>").`;

describe("rule dynamodb-table-cmk (CKV_AWS_119)", () => {
  test("compliant: bound with encryptTable", () => {
    expect(findings(dynamodbTableCmk, (s, k) => k.encryptTable(table(s)))).toEqual([]);
  });
  test("compliant: the key's arn read again (a new token for the same reference)", () => {
    expect(findings(dynamodbTableCmk, (s, k) => table(s, { enabled: true, kmsKeyArn: k.key.arn }))).toEqual([]);
  });
  test.each<[string, (s: TerraformStack, k: DataKey) => unknown, string]>([
    ["no encryption block (AWS owned key)", (s) => table(s), "it uses the AWS owned key (server_side_encryption is off)"],
    ["encryption off", (s) => table(s, { enabled: false }), "it uses the AWS owned key (server_side_encryption is off)"],
    ["enabled without a key (aws/dynamodb)", (s) => table(s, { enabled: true }), "it uses the AWS managed key aws/dynamodb, not the data key"],
    ["the alias ARN", (s, k) => table(s, { enabled: true, kmsKeyArn: k.aliasArn }), "it names the alias ARN where the key ARN is required (a plan diff on every run)"],
    ["another key", (s) => table(s, { enabled: true, kmsKeyArn: otherKey(s).arn }), "it references another key, ${aws_kms_key.other.arn}"],
    [
      "a literal ARN",
      (s) => table(s, { enabled: true, kmsKeyArn: "arn:aws:kms:us-east-1:167067248318:key/11111111-2222-3333-4444-555555555555" }),
      'it names another key, "arn:aws:kms:us-east-1:167067248318:key/11111111-2222-3333-4444-555555555555"',
    ],
  ])("non-compliant: %s", (_name, build, problem) => {
    expect(findings(dynamodbTableCmk, build).map((f) => f.message)).toEqual([
      `aws_dynamodb_table.orders: not encrypted with the data key: ${problem}. ${FIX("dataKey.encryptTable(table)")}`,
    ]);
  });
});

test("rule dynamodb-table-cmk: a bound global table's replicas are not on the key (a KMS key serves one region)", () => {
  const out = findings(dynamodbTableCmk, (s, k) =>
    k.encryptTable(new DynamodbTable(s, "orders", { name: "orders", hashKey: "id", attribute: [{ name: "id", type: "S" }], replica: [{ regionName: "eu-west-1" }, { regionName: "us-west-2" }] })),
  );
  expect(out.map((f) => f.message)).toEqual([
    `aws_dynamodb_table.orders: not encrypted with the data key: its replicas (eu-west-1, us-west-2) are encrypted with keys of their own regions, never the data key (a KMS key serves one region). ${FIX("keep the table in the key's region without replica blocks")}`,
  ]);
});

test("rule secret-cmk: a bound secret's replica is not on the key", () => {
  const out = findings(secretCmk, (s, k) => k.encryptSecret(new SecretsmanagerSecret(s, "db", { name: "mavik/db", replica: [{ region: "eu-west-1" }] })));
  expect(out.map((f) => f.message)).toEqual([
    `aws_secretsmanager_secret.db: not encrypted with the data key: its replicas (eu-west-1) are encrypted with keys of their own regions, never the data key (a KMS key serves one region). ${FIX("keep the secret in the key's region without replica blocks")}`,
  ]);
});

describe("overrides are judged as Terraform will read them (an escape hatch is no way around the rules)", () => {
  test.each<[string, Rule<EncryptionSubject>, (s: TerraformStack, k: DataKey) => void, string]>([
    [
      "a bound table's key overridden to the AWS managed one",
      dynamodbTableCmk,
      (s, k) => k.encryptTable(table(s)).addOverride("server_side_encryption.kms_key_arn", "alias/aws/dynamodb"),
      "aws_dynamodb_table.orders: not encrypted with the data key: it names the AWS managed key \"alias/aws/dynamodb\"",
    ],
    [
      "a bound function's key removed",
      lambdaEnvCmk,
      (s, k) => k.encryptFunction(new LambdaFunction(s, "api", { functionName: "api", role: "arn:aws:iam::167067248318:role/R", imageUri: "x" })).addOverride("kms_key_arn", null),
      "aws_lambda_function.api: not encrypted with the data key: it uses the AWS managed key aws/lambda, not the data key",
    ],
    [
      "a bound bucket's configuration overridden to SSE-S3",
      s3BucketEncrypted,
      (s, k) => k.encryptBucket(new S3Bucket(s, "files", { bucket: "mavik-files" })).addOverride("rule.0.apply_server_side_encryption_by_default.sse_algorithm", "AES256"),
      'aws_s3_bucket_server_side_encryption_configuration.files: not encrypted with the data key: its algorithm is "AES256", not "aws:kms"',
    ],
    [
      "a secret given a replica by override",
      secretCmk,
      (s, k) => k.encryptSecret(new SecretsmanagerSecret(s, "db", { name: "mavik/db" })).addOverride("replica", [{ region: "eu-west-1" }]),
      "aws_secretsmanager_secret.db: not encrypted with the data key: its replicas (eu-west-1)",
    ],
  ])("%s", (_name, rule, build, start) => {
    const out = findings(rule, build).map((f) => f.message);
    expect(out).toHaveLength(1);
    expect(out[0].startsWith(start)).toBe(true);
  });
});

describe("rule secret-cmk (CKV_AWS_149)", () => {
  const secret = (s: TerraformStack, kmsKeyId?: string) => new SecretsmanagerSecret(s, "db", { name: "mavik/db", kmsKeyId });
  test("compliant: bound with encryptSecret", () => {
    expect(findings(secretCmk, (s, k) => k.encryptSecret(secret(s)))).toEqual([]);
  });
  test.each<[string, (s: TerraformStack, k: DataKey) => unknown, string]>([
    ["no key (aws/secretsmanager)", (s) => secret(s), "it uses the AWS managed key aws/secretsmanager, not the data key"],
    ["the managed alias", (s) => secret(s, "alias/aws/secretsmanager"), 'it names the AWS managed key "alias/aws/secretsmanager"'],
    ["the data key's alias by name", (s) => secret(s, "alias/mavik-data-kms-key"), 'it names the alias "alias/mavik-data-kms-key" where the key ARN is required'],
    [
      "a key by its bare id",
      (s) => secret(s, "cb424700-0dd0-4dcb-a77d-13af16579270"),
      'it names a key by its id, "cb424700-0dd0-4dcb-a77d-13af16579270", where the key ARN is required (an id is resolved in the caller\'s account)',
    ],
  ])("non-compliant: %s", (_name, build, problem) => {
    expect(findings(secretCmk, build).map((f) => f.message)).toEqual([
      `aws_secretsmanager_secret.db: not encrypted with the data key: ${problem}. ${FIX("dataKey.encryptSecret(secret)")}`,
    ]);
  });
});

describe("rule lambda-env-cmk (CKV_AWS_173)", () => {
  const fn = (s: TerraformStack, kmsKeyArn?: string) =>
    new LambdaFunction(s, "api", { functionName: "api", role: "arn:aws:iam::167067248318:role/R", imageUri: "x", kmsKeyArn });
  test("compliant: bound with encryptFunction", () => {
    expect(findings(lambdaEnvCmk, (s, k) => k.encryptFunction(fn(s)))).toEqual([]);
  });
  test("non-compliant: the default aws/lambda key", () => {
    expect(findings(lambdaEnvCmk, (s) => fn(s)).map((f) => f.message)).toEqual([
      `aws_lambda_function.api: not encrypted with the data key: it uses the AWS managed key aws/lambda, not the data key. ${FIX("dataKey.encryptFunction(fn)")}`,
    ]);
  });
});

describe("rule s3-bucket-encrypted (CKV_AWS_145)", () => {
  const bucket = (s: TerraformStack) => new S3Bucket(s, "files", { bucket: "mavik-files" });
  test("compliant: bound with encryptBucket", () => {
    expect(findings(s3BucketEncrypted, (s, k) => k.encryptBucket(bucket(s)))).toEqual([]);
  });
  test("compliant: bound by the bucket's literal name", () => {
    expect(findings(s3BucketEncrypted, (s, k) => (bucket(s), k.encryptBucket("mavik-files")))).toEqual([]);
  });
  test("compliant: the bucket's own (deprecated) server_side_encryption_configuration block with the key ARN", () => {
    const out = findings(s3BucketEncrypted, (s, k) => {
      new S3Bucket(s, "files", { bucket: "mavik-files", serverSideEncryptionConfiguration: { rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: k.keyArn }, bucketKeyEnabled: true } } });
    });
    expect(out).toEqual([]);
  });
  test("non-compliant: the bucket's own block with SSE-S3", () => {
    const out = findings(s3BucketEncrypted, (s) => {
      new S3Bucket(s, "files", { bucket: "mavik-files", serverSideEncryptionConfiguration: { rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } } } });
    });
    expect(out.map((f) => f.message)).toEqual([
      `aws_s3_bucket.files: not encrypted with the data key: its server_side_encryption_configuration block: its algorithm is "AES256", not "aws:kms". ${FIX("dataKey.encryptBucket(bucket), without the block")}`,
    ]);
  });
  test("compliant: DSSE-KMS (aws:kms:dsse) with the key ARN, as verify judges it", () => {
    const out = findings(s3BucketEncrypted, (s, k) => {
      const b = bucket(s);
      new S3BucketServerSideEncryptionConfigurationA(s, "files-sse", { bucket: b.id, rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms:dsse", kmsMasterKeyId: k.keyArn } }] });
    });
    expect(out).toEqual([]);
  });
  test("non-compliant: a bucket without an encryption configuration", () => {
    expect(findings(s3BucketEncrypted, (s) => bucket(s)).map((f) => f.message)).toEqual([
      `aws_s3_bucket.files: not encrypted with the data key: it has no aws_s3_bucket_server_side_encryption_configuration. ${FIX("dataKey.encryptBucket(bucket)")}`,
    ]);
  });
  test.each<[string, Record<string, string>, string]>([
    ["SSE-S3 (AES256)", { sseAlgorithm: "AES256" }, 'its algorithm is "AES256", not "aws:kms"'],
    ["aws:kms with the aws/s3 key", { sseAlgorithm: "aws:kms" }, "it uses the AWS managed key aws/s3, not the data key"],
  ])("non-compliant: a configuration with %s", (_name, byDefault, problem) => {
    const out = findings(s3BucketEncrypted, (s) => {
      const b = bucket(s);
      new S3BucketServerSideEncryptionConfigurationA(s, "files-sse", {
        bucket: b.id,
        rule: [{ applyServerSideEncryptionByDefault: byDefault as { sseAlgorithm: string } }],
      });
    });
    expect(out.map((f) => f.message)).toEqual([
      `aws_s3_bucket_server_side_encryption_configuration.files-sse: not encrypted with the data key: ${problem}. ${FIX("dataKey.encryptBucket(bucket) instead of this configuration")}`,
    ]);
  });
});

describe("exemptions: explicit, per resource, with a reason that shows in the output", () => {
  test("an exempt resource passes, and its reason is in the synthesized JSON", () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-exempt-"));
    const app = new App({ outdir });
    const stack = new TerraformStack(app, "test");
    new AwsProvider(stack, "aws", { region: "us-east-1" });
    const key = new DataKey(stack, "mavik_data_key", { accountId: "167067248318", administrators: ["user/a"] });
    const logs = new S3Bucket(stack, "access_logs", { bucket: "mavik-access-logs" });
    exemptFromEncryption(logs, "S3 server access logging cannot deliver to SSE-KMS buckets");
    expect(enforceEncryption(stack, key)).toEqual([
      {
        rule: "exemption",
        severity: "info",
        path: "aws_s3_bucket.access_logs",
        message: "aws_s3_bucket.access_logs: exempt from data-key encryption: S3 server access logging cannot deliver to SSE-KMS buckets",
      },
    ]);
    app.synth();
    const json = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", "test", "cdk.tf.json"), "utf8"));
    expect(json.resource.aws_s3_bucket.access_logs["//"].mavik_encryption_exemption).toBe(
      "S3 server access logging cannot deliver to SSE-KMS buckets",
    );
  });

  test("an exemption without a real reason", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const logs = new S3Bucket(stack, "logs", { bucket: "mavik-logs" });
    expect(() => exemptFromEncryption(logs, "tbd")).toThrow(
      'exemptFromEncryption(aws_s3_bucket.logs): "tbd" is not allowed. An exemption states its reason in words, at least 10 characters.',
    );
  });
});

describe("enforcement on every stack", () => {
  const environment = (): EnvironmentConfig => loadEnvironments(MULTI_CONFIG)[1];

  test("an unencrypted resource fails the app's synth, and no stack is written", () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-enforce-"));
    const app = new App({ outdir });
    new DataKeyStack(app, loadEnvironments(MULTI_CONFIG)[0]);
    const stack = new DataKeyStack(app, environment());
    table(stack);
    new SecretsmanagerSecret(stack, "db", { name: "mavik/db" });
    // Each line names the environment whose stack holds the resource.
    expect(() => app.synth()).toThrow(
      `environment staging: aws_dynamodb_table.orders: not encrypted with the data key: it uses the AWS owned key (server_side_encryption is off). ${FIX("dataKey.encryptTable(table)")}\n` +
        `environment staging: aws_secretsmanager_secret.db: not encrypted with the data key: it uses the AWS managed key aws/secretsmanager, not the data key. ${FIX("dataKey.encryptSecret(secret)")}`,
    );
    // cdktf makes the empty stacks folder when the App is created; no stack is in it.
    expect(fs.readdirSync(path.join(outdir, "stacks"))).toEqual([]);
  });

  test("the aspect does the same for a stack of another app", () => {
    const stack = new TerraformStack(Testing.app(), "other");
    const key = new DataKey(stack, "mavik_data_key", { accountId: "167067248318", administrators: ["user/a"] });
    Aspects.of(stack).add(new EncryptionEnforcement(key));
    table(stack);
    expect(() => Testing.synth(stack)).toThrow("aws_dynamodb_table.orders: not encrypted with the data key");
  });
});

describe("resources of a second copy of cdktf and the provider (another node_modules) are seen", () => {
  // Loaded from files copied into this run's temporary node_modules: other class objects than
  // the ones this package imports, as in an app with its own cdktf beside the package's.
  const copy = secondCopy();
  const other = {
    cdktf: copy.load<typeof import("cdktf")>("cdktf"),
    S3Bucket: copy.load<typeof import("@cdktf/provider-aws/lib/s3-bucket")>("@cdktf/provider-aws/lib/s3-bucket").S3Bucket,
    DynamodbTable: copy.load<typeof import("@cdktf/provider-aws/lib/dynamodb-table")>("@cdktf/provider-aws/lib/dynamodb-table").DynamodbTable,
    SecretsmanagerSecret: copy.load<typeof import("@cdktf/provider-aws/lib/secretsmanager-secret")>("@cdktf/provider-aws/lib/secretsmanager-secret").SecretsmanagerSecret,
    LambdaFunction: copy.load<typeof import("@cdktf/provider-aws/lib/lambda-function")>("@cdktf/provider-aws/lib/lambda-function").LambdaFunction,
  };
  const withKey = (stack: TerraformStack) => new DataKey(stack, "mavik_data_key", { accountId: "167067248318", administrators: ["user/a"] });

  test("it is a second copy: its classes are not this package's", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const bucket = new other.S3Bucket(stack, "files", { bucket: "mavik-files" });
    expect(other.cdktf.TerraformResource).not.toBe(TerraformResource);
    expect(other.S3Bucket).not.toBe(S3Bucket);
    expect(bucket instanceof TerraformResource).toBe(false);
    expect(copy.resolve("cdktf")).toContain(copy.dir);
  });

  test("unencrypted resources of that copy fail synth, each named", () => {
    const stack = new TerraformStack(Testing.app(), "orders");
    const key = withKey(stack);
    Aspects.of(stack).add(new EncryptionEnforcement(key));
    new other.S3Bucket(stack, "files", { bucket: "mavik-files" });
    new other.DynamodbTable(stack, "orders", { name: "orders", hashKey: "id", attribute: [{ name: "id", type: "S" }] });
    new other.SecretsmanagerSecret(stack, "db", { name: "mavik/db" });
    new other.LambdaFunction(stack, "api", { functionName: "api", role: "arn:aws:iam::167067248318:role/r", imageUri: "x" });
    expect(() => Testing.synth(stack)).toThrow(
      [
        `aws_s3_bucket.files: not encrypted with the data key: it has no aws_s3_bucket_server_side_encryption_configuration. ${FIX("dataKey.encryptBucket(bucket)")}`,
        `aws_dynamodb_table.orders: not encrypted with the data key: it uses the AWS owned key (server_side_encryption is off). ${FIX("dataKey.encryptTable(table)")}`,
        `aws_secretsmanager_secret.db: not encrypted with the data key: it uses the AWS managed key aws/secretsmanager, not the data key. ${FIX("dataKey.encryptSecret(secret)")}`,
        `aws_lambda_function.api: not encrypted with the data key: it uses the AWS managed key aws/lambda, not the data key. ${FIX("dataKey.encryptFunction(fn)")}`,
      ].join("\n"),
    );
  });

  test("in a stack of that copy, inside the environment's app: the app's synth fails", () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "mavik-enforce-")) });
    const stack = new other.cdktf.TerraformStack(app, "orders") as unknown as TerraformStack;
    new AwsProvider(stack, "aws", { region: "us-east-1" });
    const key = withKey(stack);
    // That copy's stack runs the aspects added through that copy's Aspects (cdktf keeps them under a symbol of its own).
    other.cdktf.Aspects.of(stack).add(new EncryptionEnforcement(key));
    new other.S3Bucket(stack, "files", { bucket: "mavik-files" });
    expect(() => app.synth()).toThrow(`aws_s3_bucket.files: not encrypted with the data key: it has no aws_s3_bucket_server_side_encryption_configuration.`);
  });

  test("bound with the key, they pass", () => {
    const stack = new TerraformStack(Testing.app(), "orders");
    const key = withKey(stack);
    Aspects.of(stack).add(new EncryptionEnforcement(key));
    key.encryptBucket(new other.S3Bucket(stack, "files", { bucket: "mavik-files" }) as unknown as S3Bucket);
    key.encryptTable(new other.DynamodbTable(stack, "orders", { name: "orders", hashKey: "id", attribute: [{ name: "id", type: "S" }] }) as unknown as DynamodbTable);
    const json = JSON.parse(Testing.synth(stack));
    expect(json.resource.aws_s3_bucket_server_side_encryption_configuration.files.bucket).toBe("${aws_s3_bucket.files.id}");
    expect(json.resource.aws_dynamodb_table.orders.server_side_encryption.kms_key_arn).toBe("${aws_kms_key.mavik_data_key.arn}");
  });

  test("the name check sees them: a bucket of that copy under a Terraform name one of ours holds", () => {
    const stack = new TerraformStack(Testing.app(), "orders");
    withKey(stack);
    new S3Bucket(stack, "files", { bucket: "mavik-files" });
    new other.S3Bucket(stack, "files-2", { bucket: "mavik-files-2" }).overrideLogicalId("files");
    expect(() => checkTerraformNames(stack)).toThrow(
      "aws_s3_bucket.files: orders/files-2 would be written under the Terraform name orders/files holds, and Terraform would keep only one of them. Give one of the constructs another id (the id is the Terraform name), or put them in different stacks.",
    );
  });
});
