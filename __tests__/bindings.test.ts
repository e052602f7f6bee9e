import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { DataTerraformRemoteStateS3, Fn, TerraformOutput, TerraformVariable, Testing } from "cdktf";
import { Construct } from "constructs";
import { DataKey, DataKeyProps } from "../modules/index";

const PROPS: DataKeyProps = { accountId: "167067248318", administrators: ["user/mavik-deployer"], users: ["role/MavikLambdaRole"] };
const KEY_ARN = "${aws_kms_key.mavik_data_key.arn}";

function synth(build: (scope: Construct, key: DataKey) => void): string {
  return Testing.synthScope((scope) => build(scope, new DataKey(scope, "mavik_data_key", PROPS)));
}

const table = (scope: Construct, name = "orders") => new DynamodbTable(scope, name, { name, hashKey: "id", attribute: [{ name: "id", type: "S" }] });
const fn = (scope: Construct, name = "api") =>
  new LambdaFunction(scope, name, { functionName: name, role: "arn:aws:iam::167067248318:role/MavikLambdaRole", imageUri: "x" });

describe("one shape for four services (seed §4)", () => {
  test("S3, a bucket of the stack: aws:kms with the key ARN and a bucket key", () => {
    const out = synth((scope, key) => key.encryptBucket(new S3Bucket(scope, "files", { bucket: "mavik-files" })));
    expect(out).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      bucket: "${aws_s3_bucket.files.id}",
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: KEY_ARN }, bucket_key_enabled: true }],
    });
  });

  test("S3, an existing bucket by name: the configuration alone, no import", () => {
    const json = JSON.parse(synth((_scope, key) => key.encryptBucket("mavik-legacy", { existing: true })));
    expect(json.resource.aws_s3_bucket_server_side_encryption_configuration["mavik-legacy"].bucket).toBe("mavik-legacy");
    expect(json.import).toBeUndefined();
  });

  test("DynamoDB: server_side_encryption with the key ARN, never the alias ARN", () => {
    expect(synth((scope, key) => key.encryptTable(table(scope)))).toHaveResourceWithProperties(DynamodbTable, {
      server_side_encryption: { enabled: true, kms_key_arn: KEY_ARN },
    });
  });

  test("Secrets Manager: kms_key_id is the key ARN, and no secret version is written", () => {
    const out = synth((scope, key) => key.encryptSecret(new SecretsmanagerSecret(scope, "db", { name: "mavik/db" })));
    expect(out).toHaveResourceWithProperties(SecretsmanagerSecret, { kms_key_id: KEY_ARN });
    expect(JSON.parse(out).resource.aws_secretsmanager_secret_version).toBeUndefined();
  });

  test("Lambda: kms_key_arn encrypts the environment variables", () => {
    expect(synth((scope, key) => key.encryptFunction(fn(scope)))).toHaveResourceWithProperties(LambdaFunction, { kms_key_arn: KEY_ARN });
  });

  test("every binding is listed with its service, name, address and whether it existed", () => {
    Testing.synthScope((scope) => {
      const key = new DataKey(scope, "mavik_data_key", PROPS);
      key.encryptBucket("mavik-legacy", { existing: true });
      key.encryptTable(table(scope));
      key.encryptSecret(new SecretsmanagerSecret(scope, "db", { name: "mavik/db" }));
      key.encryptFunction(fn(scope));
      expect(key.bindings.map(({ service, name, address, existing }) => ({ service, name, address, existing }))).toEqual([
        { service: "s3", name: "mavik-legacy", address: "aws_s3_bucket_server_side_encryption_configuration.mavik-legacy", existing: true },
        { service: "dynamodb", name: "orders", address: "aws_dynamodb_table.orders", existing: false },
        { service: "secretsmanager", name: "mavik/db", address: "aws_secretsmanager_secret.db", existing: false },
        { service: "lambda", name: "api", address: "aws_lambda_function.api", existing: false },
      ]);
    });
  });
});

describe("binding errors name the call, the value and what is allowed", () => {
  test.each<[string, (scope: Construct, key: DataKey) => void, string]>([
    [
      "the same table twice",
      (scope, key) => {
        const t = table(scope);
        key.encryptTable(t);
        key.encryptTable(t);
      },
      'encryptTable: "orders" is not allowed. It is bound to the data key already (aws_dynamodb_table.orders); bind each resource once.',
    ],
    [
      "two tables of one name",
      (scope, key) => {
        key.encryptTable(table(scope));
        key.encryptTable(new DynamodbTable(scope, "orders2", { name: "orders", hashKey: "id", attribute: [{ name: "id", type: "S" }] }));
      },
      'encryptTable: "orders" is not allowed. It is bound to the data key already (aws_dynamodb_table.orders); bind each resource once.',
    ],
    [
      "a bucket by name and as a resource",
      (scope, key) => {
        key.encryptBucket("mavik-files");
        key.encryptBucket(new S3Bucket(scope, "files", { bucket: "mavik-files" }));
      },
      'encryptBucket: "mavik-files" is not allowed. It is bound to the data key already (aws_s3_bucket_server_side_encryption_configuration.mavik-files); bind each resource once.',
    ],
    [
      "a bucket name that breaks S3's rules",
      (_scope, key) => key.encryptBucket("Mavik_Files"),
      'encryptBucket: "Mavik_Files" is not allowed. An S3 bucket name has 3 to 63 characters: lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, with no "..", not shaped like an IP address.',
    ],
    [
      "a bucket with its own encryption block",
      (scope, key) => key.encryptBucket(new S3Bucket(scope, "files", { bucket: "mavik-files", serverSideEncryptionConfiguration: { rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } } } })),
      'encryptBucket(aws_s3_bucket.files).server_side_encryption_configuration: "an inline block" is not allowed. Remove the bucket\'s own server_side_encryption_configuration block (deprecated by the AWS provider): the binding writes an aws_s3_bucket_server_side_encryption_configuration with the key instead.',
    ],
    [
      "a table's name where the table is asked for (from JavaScript)",
      (_scope, key) => key.encryptTable("orders" as unknown as DynamodbTable),
      'encryptTable: "orders" is not allowed. encryptTable takes a DynamodbTable of this app (Terraform type aws_dynamodb_table).',
    ],
    [
      "a number as a bucket",
      (_scope, key) => key.encryptBucket(42 as unknown as string),
      "encryptBucket: 42 is not allowed. encryptBucket takes an S3Bucket of this app, or an existing bucket's name (Terraform type aws_s3_bucket).",
    ],
    [
      "existing as text",
      (scope, key) => key.encryptTable(table(scope), { existing: "yes" as unknown as boolean }),
      'encryptTable existing: "yes" is not allowed. true or false (a Boolean).',
    ],
  ])("%s", (_name, build, message) => {
    expect(() => synth(build)).toThrow(message);
  });
});

describe("Terraform names never come from a token's text", () => {
  // Bindings and grants whose target is a reference: a bucket's name, a variable, a remote state's
  // output, a role's name. `unrelated` first adds a construct that makes tokens of its own.
  const build = (unrelated: boolean) =>
    Testing.synthScope((scope) => {
      if (unrelated) new TerraformOutput(scope, "unrelated", { value: new TerraformVariable(scope, "unrelated_input", { type: "string" }).stringValue });
      const key = new DataKey(scope, "mavik_data_key", PROPS);
      key.encryptBucket(new S3Bucket(scope, "logs", { bucket: "mavik-logs" }).bucket, { scope });
      key.encryptBucket(new TerraformVariable(scope, "exports_bucket", { type: "string" }).stringValue, { scope });
      const platform = new DataTerraformRemoteStateS3(scope, "platform", { bucket: "mavik-terraform-state", key: "platform.tfstate", region: "us-east-1" });
      key.encryptBucket(platform.getString("shared_bucket"), { scope });
      key.grantDecrypt(new IamRole(scope, "reader", { name: "mavik-reader", assumeRolePolicy: "{}" }).name);
      key.grantEncrypt(platform.getString("writer_role"), { scope });
    });
  const addresses = (text: string) => {
    const json = JSON.parse(text);
    return Object.entries(json.resource as Record<string, object>).flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`)).sort();
  };
  const without = (text: string, drop: (json: any) => void) => {
    const json = JSON.parse(text);
    drop(json);
    return JSON.stringify(json);
  };

  test("each takes its name from what the reference points to", () => {
    expect(addresses(build(false))).toEqual([
      "aws_iam_role.reader",
      "aws_iam_role_policy.mavik_data_key_platform_writer_role",
      "aws_iam_role_policy.mavik_data_key_reader",
      "aws_kms_alias.mavik_data_key",
      "aws_kms_key.mavik_data_key",
      "aws_s3_bucket.logs",
      "aws_s3_bucket_server_side_encryption_configuration.exports_bucket",
      "aws_s3_bucket_server_side_encryption_configuration.logs",
      "aws_s3_bucket_server_side_encryption_configuration.platform_shared_bucket",
    ]);
  });

  test("synthesized twice: byte-identical; after an unrelated construct first: the same addresses and the same JSON beside it", () => {
    const first = build(false);
    expect(build(false)).toBe(first);
    const later = build(true);
    expect(addresses(later)).toEqual(addresses(first));
    expect(
      without(later, (json) => {
        delete json.output;
        delete json.variable.unrelated_input;
      }),
    ).toBe(JSON.stringify(JSON.parse(first)));
  });

  test("the same bucket by two references (id, bucket) is bound once", () => {
    expect(() =>
      synth((scope, key) => {
        const logs = new S3Bucket(scope, "logs", { bucket: "mavik-logs" });
        key.encryptBucket(logs.bucket, { scope });
        key.encryptBucket(logs.id, { scope });
      }),
    ).toThrow(
      'encryptBucket: "aws_s3_bucket_server_side_encryption_configuration.logs" is not allowed. It is bound to the data key already (aws_s3_bucket_server_side_encryption_configuration.logs); bind each resource once.',
    );
  });

  test.each<[string, (scope: Construct, key: DataKey) => void, string]>([
    [
      "a bucket name that is an expression, not one reference",
      (scope, key) => key.encryptBucket(Fn.join("-", ["mavik", new TerraformVariable(scope, "env", { type: "string" }).stringValue]), { scope }),
      'encryptBucket: "${join("-", ["mavik", var.env])}" is not allowed. It is a Terraform expression, not a reference to one resource, variable or output, so nothing names what it points to on every synth. ' +
        "Pass the S3Bucket itself, a reference to its name (bucket.bucket), a variable or a remote state's output, or the bucket's name.",
    ],
    [
      "a role name that is an expression",
      (scope, key) => key.grantDecrypt(Fn.lower(new TerraformVariable(scope, "role", { type: "string" }).stringValue)),
      'grantDecrypt: "${lower(var.role)}" is not allowed. It is a Terraform expression, not a reference to one resource, variable or output, so nothing names what it points to on every synth. ' +
        "Pass the IamRole itself, a reference to its name (role.name), a variable or a remote state's output, or the role's name.",
    ],
  ])("%s", (_name, build, message) => {
    expect(() => synth(build)).toThrow(message);
  });
});
