import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildApp } from "../main";
import { REPO, synthApp } from "./support/synth";

const RESOURCES_CONFIG = path.join(REPO, "__tests__", "fixtures", "environments.resources.json");
const KEY_ARN = "${aws_kms_key.mavik_data_key.arn}";

describe("the environment's resources (seed §2.2), new and existing, bound to the key", () => {
  const { json, text } = synthApp(RESOURCES_CONFIG);
  const stack = json.ssot;

  test("a new bucket gets a bucket and its encryption; an existing one only the encryption", () => {
    expect(Object.keys(stack.resource.aws_s3_bucket)).toEqual(["mavik-ssot-files"]);
    expect(text.ssot).toHaveResourceWithProperties(S3Bucket, { bucket: "mavik-ssot-files" });
    expect(text.ssot).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      bucket: "mavik-ssot-legacy-exports",
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: KEY_ARN }, bucket_key_enabled: true }],
    });
  });

  test("tables, secrets and functions carry the key ARN", () => {
    expect(text.ssot).toHaveResourceWithProperties(DynamodbTable, {
      name: "mavik-ssot-audit",
      hash_key: "id",
      attribute: [{ name: "id", type: "N" }],
      server_side_encryption: { enabled: true, kms_key_arn: KEY_ARN },
    });
    expect(text.ssot).toHaveResourceWithProperties(SecretsmanagerSecret, { name: "mavik/ssot/db", kms_key_id: KEY_ARN });
    expect(text.ssot).toHaveResourceWithProperties(LambdaFunction, { function_name: "mavik-ssot-sync", kms_key_arn: KEY_ARN });
  });

  test("existing tables, secrets and functions are adopted through import blocks", () => {
    expect(stack.import).toEqual([
      { id: "cb424700-0dd0-4dcb-a77d-13af16579270", to: "aws_kms_key.mavik_data_key" },
      { id: "alias/mavik-data-kms-key", to: "aws_kms_alias.mavik_data_key" },
      { id: "mavik-ssot-audit", to: "aws_dynamodb_table.mavik-ssot-audit" },
      { id: "arn:aws:secretsmanager:us-east-1:167067248318:secret:mavik/ssot/db-AbCdEf", to: "aws_secretsmanager_secret.mavik_ssot_db" },
      { id: "mavik-ssot-sync", to: "aws_lambda_function.mavik-ssot-sync" },
    ]);
  });

  test("Terraform changes only the key of an adopted function, never its code", () => {
    expect(stack.resource.aws_lambda_function["mavik-ssot-sync"].lifecycle.ignore_changes).toEqual(
      expect.arrayContaining(["image_uri", "s3_key", "source_code_hash", "environment"]),
    );
    expect(stack.resource.aws_lambda_function["mavik-ssot-sync"].lifecycle.ignore_changes).not.toContain("kms_key_arn");
  });

  test("the shipped config names no resources (the seed names none)", () => {
    const shipped = JSON.parse(fs.readFileSync(path.join(REPO, "environments.json"), "utf8"));
    expect(shipped.environments[0].resources).toBeUndefined();
  });
});

describe("bad resource entries fail at synth with the field, the value and what is allowed", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-res-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const base = JSON.parse(fs.readFileSync(RESOURCES_CONFIG, "utf8")).environments[0];

  function build(resources: object): () => void {
    const file = path.join(dir, `r-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(file, JSON.stringify({ environments: [{ ...base, resources }] }));
    return () => buildApp({ configFile: file, outdir: dir });
  }
  const image = { imageUri: "167067248318.dkr.ecr.us-east-1.amazonaws.com/x:1" };

  test.each<[string, object, string]>([
    [
      "a bucket name with capitals",
      { buckets: [{ name: "Mavik-Files" }] },
      'resources.buckets[0].name: "Mavik-Files" is not allowed. An S3 bucket name has 3 to 63 characters: lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, with no "..", not shaped like an IP address.',
    ],
    [
      "a table name with a space",
      { tables: [{ name: "ssot records", hashKey: "id" }] },
      'resources.tables[0].name: "ssot records" is not allowed. A DynamoDB table name has 3 to 255 letters, digits, underscores, hyphens and dots.',
    ],
    [
      "a secret ARN in another account",
      { secrets: [{ name: "mavik/db", arn: "arn:aws:secretsmanager:us-east-1:210987654321:secret:mavik/db-AbCdEf" }] },
      'resources.secrets[0].arn: "arn:aws:secretsmanager:us-east-1:210987654321:secret:mavik/db-AbCdEf" is not allowed. It is in 210987654321, us-east-1; the environment is 167067248318, us-east-1.',
    ],
    [
      "a secret ARN in another region",
      { secrets: [{ name: "mavik/db", arn: "arn:aws:secretsmanager:eu-west-1:167067248318:secret:mavik/db-AbCdEf" }] },
      'resources.secrets[0].arn: "arn:aws:secretsmanager:eu-west-1:167067248318:secret:mavik/db-AbCdEf" is not allowed. It is in 167067248318, eu-west-1; the environment is 167067248318, us-east-1.',
    ],
    [
      "a secret ARN of another secret",
      { secrets: [{ name: "mavik/db", arn: "arn:aws:secretsmanager:us-east-1:167067248318:secret:mavik/other-AbCdEf" }] },
      'resources.secrets[0].arn: "arn:aws:secretsmanager:us-east-1:167067248318:secret:mavik/other-AbCdEf" is not allowed. Expected arn:aws:secretsmanager:us-east-1:167067248318:secret:mavik/db-AbCdEf.',
    ],
    [
      "a function ARN in another region",
      { functions: [{ name: "arn:aws:lambda:us-west-2:167067248318:function:sync", role: "role/R", code: image }] },
      'resources.functions[0].name: "arn:aws:lambda:us-west-2:167067248318:function:sync" is not allowed. It is in 167067248318, us-west-2; the environment is 167067248318, us-east-1.',
    ],
    [
      "a function name with a dot",
      { functions: [{ name: "sync.v2", role: "role/R", code: image }] },
      'resources.functions[0].name: "sync.v2" is not allowed. A function name has 1 to 64 letters, digits, _ and -, or is the function\'s ARN.',
    ],
    [
      "an S3 package without a runtime",
      { functions: [{ name: "sync", role: "role/R", code: { s3Bucket: "mavik-artifacts", s3Key: "sync.zip" }, handler: "index.handler" }] },
      'resources.functions[0].runtime: missing. A function packaged in S3 needs a runtime such as "nodejs20.x".',
    ],
    [
      "the same table twice",
      { tables: [{ name: "records", hashKey: "id" }, { name: "records", hashKey: "id" }] },
      'resources.tables[1].name: "records" is not allowed. It is listed twice; resources.tables[0].name names it already.',
    ],
    [
      "two secret names that share a Terraform name",
      { secrets: [{ name: "mavik/db" }, { name: "mavik_db" }] },
      'resources.secrets[1].name: "mavik_db" is not allowed. Its Terraform name aws_secretsmanager_secret.mavik_db is taken by "mavik/db" (resources.secrets[0].name); rename one of them.',
    ],
  ])("%s", (_name, resources, message) => {
    expect(build(resources)).toThrow(message);
  });
});
