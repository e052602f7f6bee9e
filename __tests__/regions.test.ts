/**
 * The AWS provider 6's per-resource `region` ("enhanced region support": Optional and Computed,
 * defaults to the provider's region; hashicorp/terraform-provider-aws, guides
 * enhanced-region-support and version-6-upgrade) against a single-Region key: a bucket, table,
 * secret or function whose own region is not the key's is a synth error, whether set through the
 * provider 6 classes or an override on provider 5 classes, before or after binding; the key's
 * region is read as Terraform places the key. Runs in every framework environment (aws20,
 * aws21, cdktn: package.json's jest projects); the typed `region` argument only where the
 * bindings have one (AWS provider 6).
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { App, Aspects, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { DataKey, DataKeyProps, EncryptionEnforcement, enforceEncryption, KeyAudit } from "../modules/index";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ENVIRONMENTS } = require("../scripts/flavours");
declare const MAVIK_FLAVOUR_ENV: string;
const PROVIDER_6 = String(ENVIRONMENTS[MAVIK_FLAVOUR_ENV].aws).startsWith("6.");

const PROPS: DataKeyProps = { accountId: "167067248318", administrators: ["user/mavik-deployer"], users: ["role/MavikLambdaRole"] };
const SINGLE = "a KMS key serves its own region only (the data key is single-Region), so the resource cannot use it.";

function stack(region = "us-east-1", app: App = Testing.app()): TerraformStack {
  const s = new TerraformStack(app, "s");
  new AwsProvider(s, "aws", { region });
  return s;
}

/** A resource in `region` by an override: what provider 5 classes allow, and what provider 6 JSON holds. */
function inRegion<T extends { addOverride(path: string, value: unknown): void }>(resource: T, region: unknown): T {
  resource.addOverride("region", region);
  return resource;
}

const bucket = (s: TerraformStack, name = "files") => new S3Bucket(s, name, { bucket: `mavik-${name}` });
const table = (s: TerraformStack, name = "orders") => new DynamodbTable(s, name, { name, hashKey: "id", attribute: [{ name: "id", type: "S" }] });
const secret = (s: TerraformStack, name = "db") => new SecretsmanagerSecret(s, name, { name: `mavik/${name}` });
const fn = (s: TerraformStack, name = "api") => new LambdaFunction(s, name, { functionName: name, role: "arn:aws:iam::167067248318:role/MavikLambdaRole", imageUri: "x" });

describe("binding a resource whose own region is not the key's is refused", () => {
  const refused = (call: string, path: string) =>
    `${call}: "${path}" is not allowed. Its region argument is eu-west-1, and the key s/mavik_data_key is in us-east-1: ${SINGLE} ` +
    "Leave region to its stack's AWS provider, set it to us-east-1, or bind it to a key of eu-west-1.";

  test.each<[string, (s: TerraformStack, key: DataKey) => unknown, string]>([
    ["a bucket", (s, key) => key.encryptBucket(inRegion(bucket(s), "eu-west-1")), refused("encryptBucket", "s/files")],
    ["a table", (s, key) => key.encryptTable(inRegion(table(s), "eu-west-1")), refused("encryptTable", "s/orders")],
    ["a secret", (s, key) => key.encryptSecret(inRegion(secret(s), "eu-west-1")), refused("encryptSecret", "s/db")],
    ["a function", (s, key) => key.encryptFunction(inRegion(fn(s), "eu-west-1")), refused("encryptFunction", "s/api")],
  ])("%s in eu-west-1 (addOverride), the key in us-east-1", (_name, bind, message) => {
    const s = stack();
    const key = new DataKey(s, "mavik_data_key", PROPS);
    expect(() => bind(s, key)).toThrow(message);
  });

  if (PROVIDER_6) {
    test(`${MAVIK_FLAVOUR_ENV}: the provider 6 classes' own region argument, the same`, () => {
      const s = stack();
      const key = new DataKey(s, "mavik_data_key", PROPS);
      // Typed as the repository's provider 5 classes, which have no region argument.
      const typed = new S3Bucket(s, "files", { bucket: "mavik-files", ...({ region: "eu-west-1" } as object) });
      expect(JSON.parse(Testing.synth(s)).resource.aws_s3_bucket.files.region).toBe("eu-west-1");
      expect(() => key.encryptBucket(typed)).toThrow(refused("encryptBucket", "s/files"));
    });
  }

  test("a resource of an aliased provider in eu-west-1: the provider's region, named", () => {
    const s = stack();
    const eu = new AwsProvider(s, "eu", { region: "eu-west-1", alias: "eu" });
    const key = new DataKey(s, "mavik_data_key", PROPS);
    expect(() => key.encryptTable(new DynamodbTable(s, "orders", { name: "orders", hashKey: "id", attribute: [{ name: "id", type: "S" }], provider: eu }))).toThrow(
      `encryptTable: "s/orders" is not allowed. Its stack s works in eu-west-1 (the region of its provider aws.eu), and the key s/mavik_data_key is in us-east-1: ${SINGLE} ` +
        "Bind resources of eu-west-1 to a key of eu-west-1, or put the resource in a stack of us-east-1.",
    );
  });

  test("the key's own region: a key in eu-west-1 takes the buckets of eu-west-1, whose configuration goes there too, and refuses the provider's us-east-1", () => {
    const s = stack();
    const key = new DataKey(s, "mavik_data_key", PROPS);
    inRegion(key.key, "eu-west-1");
    inRegion(key.alias, "eu-west-1");
    expect(key.keyRegion()).toBe("eu-west-1");
    key.encryptBucket(inRegion(bucket(s), "eu-west-1"));
    expect(() => key.encryptTable(table(s))).toThrow(
      `encryptTable: "s/orders" is not allowed. Its stack s works in us-east-1 (its AWS provider's region), and the key s/mavik_data_key is in eu-west-1: ${SINGLE} ` +
        "Bind resources of us-east-1 to a key of us-east-1, or put the resource in a stack of eu-west-1.",
    );
    const json = JSON.parse(Testing.synth(s, true));
    expect(json.resource.aws_s3_bucket_server_side_encryption_configuration.files.region).toBe("eu-west-1");
    // The refused table stays in the stack: enforcement names it twice, unencrypted and in the provider's region.
    expect(() => enforceEncryption(s, key)).toThrow(
      'aws_dynamodb_table.orders: not encrypted with the data key: it uses the AWS owned key (server_side_encryption is off). Fix: dataKey.encryptTable(table), or exemptFromEncryption(<resource>, "<reason>").\n' +
        'aws_dynamodb_table.orders: in us-east-1 (its stack\'s AWS provider), and the data key is in eu-west-1: a KMS key serves its own region only, and the data key is single-Region. Fix: put it in a stack (or under a provider) of eu-west-1, or exemptFromEncryption(<resource>, "<reason>").',
    );
  });
});

describe("enforcement: a resource in another region than the key fails synth, also when its region came after binding", () => {
  const other = (address: string, source = "its region argument", fix = "leave region to its provider, or set it to us-east-1") =>
    `${address}: in eu-west-1 (${source}), and the data key is in us-east-1: a KMS key serves its own region only, and the data key is single-Region. Fix: ${fix}, or exemptFromEncryption(<resource>, "<reason>").`;

  test.each<[string, (s: TerraformStack, key: DataKey) => void, string[]]>([
    [
      "a bound bucket, table, secret and function moved to eu-west-1 afterwards",
      (s, key) => {
        inRegion(key.encryptBucket(bucket(s)), "eu-west-1");
        inRegion(key.encryptTable(table(s)), "eu-west-1");
        inRegion(key.encryptSecret(secret(s)), "eu-west-1");
        inRegion(key.encryptFunction(fn(s)), "eu-west-1");
      },
      [other("aws_s3_bucket_server_side_encryption_configuration.files"), other("aws_dynamodb_table.orders"), other("aws_secretsmanager_secret.db"), other("aws_lambda_function.api")],
    ],
    [
      "the bucket moved, its configuration not: both are named (the configuration follows the bucket only when bound after)",
      (s, key) => {
        const b = bucket(s);
        key.encryptBucket(b);
        inRegion(b, "eu-west-1");
      },
      [other("aws_s3_bucket.files")],
    ],
  ])("%s", (_name, build, messages) => {
    const s = stack();
    const key = new DataKey(s, "mavik_data_key", PROPS);
    build(s, key);
    expect(() => enforceEncryption(s, key)).toThrow(messages.join("\n"));
  });

  test("a table with a multi-Region strong consistency witness (provider 6's global_table_witness) is multi-Region too", () => {
    const s = stack();
    const key = new DataKey(s, "mavik_data_key", PROPS);
    const t = key.encryptTable(table(s));
    t.addOverride("replica", [{ region_name: "us-east-2" }]);
    t.addOverride("global_table_witness", [{ region_name: "us-west-2" }]);
    expect(() => enforceEncryption(s, key)).toThrow(
      "aws_dynamodb_table.orders: not encrypted with the data key: its replicas (us-east-2, us-west-2 (witness)) are encrypted with keys of their own regions, never the data key (a KMS key serves one region). " +
        'Fix: keep the table in the key\'s region without replica or global_table_witness blocks, or exemptFromEncryption(<resource>, "<reason>").',
    );
  });

  test("the aspect fails the stack's synth the same way", () => {
    const app = Testing.app();
    const s = stack("us-east-1", app);
    const key = new DataKey(s, "mavik_data_key", PROPS);
    inRegion(key.encryptSecret(secret(s)), "eu-west-1");
    Aspects.of(s).add(new EncryptionEnforcement(key));
    expect(() => app.synth()).toThrow(other("aws_secretsmanager_secret.db"));
  });

  test("a region known only at plan is a warning that the rule could not check it, never a pass", () => {
    const s = stack();
    const key = new DataKey(s, "mavik_data_key", PROPS);
    const region = new TerraformVariable(s, "region", { type: "string" });
    inRegion(key.encryptTable(table(s)), region.stringValue);
    expect(enforceEncryption(s, key).filter((f) => f.rule === "same-region")).toEqual([
      {
        rule: "same-region",
        severity: "warning",
        path: "aws_dynamodb_table.orders",
        message: "aws_dynamodb_table.orders: could not check that it is in the data key's region: its region (its region argument) is var.region, known only at plan; the data key is in us-east-1.",
      },
    ]);
  });

  test("a key from remote state (region known at plan): the resource's own region becomes the data source's postcondition, and the rule says it could not check", () => {
    const s = stack();
    const key = DataKey.fromRemoteState(s, "data_key", { bucket: "mavik-terraform-state", key: "prod.tfstate", region: "us-east-1" });
    key.encryptTable(inRegion(table(s), "eu-west-1"));
    const json = JSON.parse(Testing.synth(s));
    expect(json.data.terraform_remote_state.data_key.lifecycle.postcondition.map((p: { condition: string }) => p.condition)).toEqual([
      '${element(split(":", self.outputs["key_arn"]), 3) == "eu-west-1"}',
    ]);
    expect(enforceEncryption(s, key).filter((f) => f.rule === "same-region").map((f) => f.message)).toEqual([
      "aws_dynamodb_table.orders: could not check that it is in the data key's region: its region argument is eu-west-1, and the data key's region is known only at plan.",
    ]);
  });
});

describe("the key itself: where Terraform creates it is what its policy says", () => {
  const synthErrors = (s: TerraformStack) => {
    try {
      Testing.synth(s, true);
      return "";
    } catch (e) {
      return (e as Error).message;
    }
  };

  test.each<[string, (s: TerraformStack) => void, string]>([
    [
      "region us-east-1, the key's own region argument eu-west-1",
      (s) => inRegion(new DataKey(s, "mavik_data_key", { ...PROPS, region: "us-east-1" }).key, "eu-west-1"),
      "aws_kms_key.mavik_data_key: Terraform creates it in eu-west-1 (its region argument), and the DataKey's region is us-east-1, which its key policy's kms:ViaService values and ARNs use. Set the DataKey's region to eu-west-1, or create the key in us-east-1.",
    ],
    [
      "region eu-west-1 in a stack whose provider is in us-east-1",
      (s) => new DataKey(s, "mavik_data_key", { ...PROPS, region: "eu-west-1" }),
      "aws_kms_key.mavik_data_key: Terraform creates it in us-east-1 (its stack's AWS provider), and the DataKey's region is eu-west-1, which its key policy's kms:ViaService values and ARNs use. Set the DataKey's region to us-east-1, or create the key in eu-west-1.",
    ],
    [
      "the alias moved to eu-west-1, the key not",
      (s) => inRegion(new DataKey(s, "mavik_data_key", PROPS).alias, "eu-west-1"),
      "aws_kms_alias.mavik_data_key: Terraform creates it in eu-west-1 (its region argument), and its key aws_kms_key.mavik_data_key is in us-east-1: an alias names a key of its own region only. Give both the same region.",
    ],
  ])("%s fails synth", (_name, build, message) => {
    const s = stack();
    build(s);
    expect(synthErrors(s)).toContain(message);
  });

  test("the same region everywhere synthesizes", () => {
    const s = stack();
    const key = new DataKey(s, "mavik_data_key", { ...PROPS, region: "us-east-1" });
    inRegion(key.key, "us-east-1");
    expect(synthErrors(s)).toBe("");
  });

  test("a KeyAudit of another region than its key is refused", () => {
    const s = stack();
    const key = new DataKey(s, "mavik_data_key", PROPS);
    expect(() => new KeyAudit(s, "audit", { dataKey: key, accountId: "167067248318", region: "eu-west-1", name: "prod" })).toThrow(
      `region: "eu-west-1" is not allowed. The audit watches the key's events, alarms and dashboard in the key's region: us-east-1 (DataKey.keyRegion(): its region argument, its region prop, or its stack's AWS provider's).`,
    );
  });

  test("a grant through a service reads the key's region as Terraform places it, and says so where it cannot know it", () => {
    const s = new TerraformStack(Testing.app(), "s");
    new AwsProvider(s, "aws", {});
    const key = new DataKey(s, "mavik_data_key", PROPS);
    key.grantDecrypt("mavik-reader", { viaService: "s3" });
    const warnings = key.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => m.data);
    expect(warnings).toEqual([
      'grantDecrypt(mavik-reader, { viaService: "s3" }): could not check the grant against the key policy: kms:ViaService names the key\'s region, which is not known at synth (give the DataKey a region, or its stack\'s AWS provider a literal one).',
    ]);
  });
});
