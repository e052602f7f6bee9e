/**
 * The key as other CDKTF apps use it: a platform stack owns the key, app stacks own their
 * resources and bind them (helpers in the resource's stack, the key referenced across stacks);
 * references by ARN, alias and remote state; collisions of Terraform names as errors naming both
 * construct paths. Planned by real Terraform in package.test.ts (the consumer app).
 */
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { App, Aspects, S3Backend, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DataKey, DataKeyProps, EncryptionEnforcement, IDataKey, terraformNameClashes } from "../modules/index";
import { stateFile, terraformAvailable, TerraformSandbox } from "./support/terraform";

const ACCOUNT = "167067248318";
const PROPS: DataKeyProps = { accountId: ACCOUNT, administrators: ["user/mavik-deployer"], users: ["role/MavikLambdaRole"] };
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/cb424700-0dd0-4dcb-a77d-13af16579270`;
const CROSS_STACK_ARN = "${data.terraform_remote_state.cross-stack-reference-input-platform.outputs.cross-stack-output-aws_kms_keymavik_data_keyarn}";

function stack(app: App, id: string): TerraformStack {
  const s = new TerraformStack(app, id);
  new AwsProvider(s, "aws", { region: "us-east-1" });
  new S3Backend(s, { bucket: "mavik-terraform-state", key: `${id}.tfstate`, region: "us-east-1" });
  return s;
}

/** The four services' resources in `scope`, each bound to `key` with its encryptX. */
function orders(scope: Construct, key: IDataKey) {
  key.encryptBucket(new S3Bucket(scope, "files", { bucket: "mavik-orders-files" }));
  key.encryptTable(new DynamodbTable(scope, "records", { name: "mavik-orders", billingMode: "PAY_PER_REQUEST", hashKey: "id", attribute: [{ name: "id", type: "S" }] }));
  key.encryptSecret(new SecretsmanagerSecret(scope, "token", { name: "mavik/orders/token" }));
  key.encryptFunction(new LambdaFunction(scope, "api", { functionName: "mavik-orders-api", role: `arn:aws:iam::${ACCOUNT}:role/MavikLambdaRole`, imageUri: "x" }));
}

/** Synthesizes `app` into a temp folder; every stack's JSON by name. */
function synth(app: App): Record<string, any> {
  app.synth();
  const dir = path.join(app.outdir, "stacks");
  return Object.fromEntries(fs.readdirSync(dir).map((s) => [s, JSON.parse(fs.readFileSync(path.join(dir, s, "cdk.tf.json"), "utf8"))]));
}

const newApp = () => new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "mavik-cross-stack-")) });

/** The key ARN every bound resource of a stack carries. */
function keyArnsOf(stackJson: any): Record<string, unknown> {
  const r = stackJson.resource;
  return {
    s3: r.aws_s3_bucket_server_side_encryption_configuration.files.rule[0].apply_server_side_encryption_by_default.kms_master_key_id,
    dynamodb: r.aws_dynamodb_table.records.server_side_encryption.kms_key_arn,
    secretsmanager: r.aws_secretsmanager_secret.token.kms_key_id,
    lambda: r.aws_lambda_function.api.kms_key_arn,
  };
}

describe("a platform stack owns the key; an app stack binds its resources with encryptX", () => {
  const app = newApp();
  const platform = stack(app, "platform");
  const key = new DataKey(platform, "mavik_data_key", PROPS);
  const ordersStack = stack(app, "orders");
  orders(ordersStack, key);
  key.encryptBucket("mavik-orders-legacy", { existing: true, scope: ordersStack });
  Aspects.of(ordersStack).add(new EncryptionEnforcement(key));
  const json = synth(app);

  test("every binding sits in the app stack and references the key across stacks", () => {
    expect(keyArnsOf(json.orders)).toEqual({ s3: CROSS_STACK_ARN, dynamodb: CROSS_STACK_ARN, secretsmanager: CROSS_STACK_ARN, lambda: CROSS_STACK_ARN });
    expect(Object.keys(json.orders.resource.aws_s3_bucket_server_side_encryption_configuration)).toEqual(["files", "mavik-orders-legacy"]);
    expect(json.orders.resource.aws_s3_bucket_server_side_encryption_configuration.files.bucket).toBe("${aws_s3_bucket.files.id}");
  });

  test("the platform stack holds the key and its output, and nothing of the app's", () => {
    expect(Object.keys(json.platform.resource).sort()).toEqual(["aws_kms_alias", "aws_kms_key"]);
    expect(Object.keys(json.platform.output)).toEqual(["cross-stack-output-aws_kms_keymavik_data_keyarn"]);
  });

  test("only the app stack depends on the platform stack", () => {
    expect(ordersStack.dependencies).toEqual([platform]);
    expect(platform.dependencies).toEqual([]);
  });

  test("the keys' addresses stay pinned: aws_kms_key.<id>, aws_kms_alias.<id>", () => {
    expect(Object.keys(json.platform.resource.aws_kms_key)).toEqual(["mavik_data_key"]);
    expect(Object.keys(json.platform.resource.aws_kms_alias)).toEqual(["mavik_data_key"]);
  });
});

test("the app stack's enforcement names a resource left out, and the call that fixes it", () => {
  const app = newApp();
  const key = new DataKey(stack(app, "platform"), "mavik_data_key", PROPS);
  const ordersStack = stack(app, "orders");
  new S3Bucket(ordersStack, "files", { bucket: "mavik-orders-files" });
  Aspects.of(ordersStack).add(new EncryptionEnforcement(key));
  expect(() => app.synth()).toThrow(
    'aws_s3_bucket.files: not encrypted with the data key: it has no aws_s3_bucket_server_side_encryption_configuration. Fix: dataKey.encryptBucket(bucket), or exemptFromEncryption(<resource>, "<reason>").',
  );
});

describe("references to a key made elsewhere", () => {
  test("by ARN: the literal ARN and id; the alias ARN from the alias name", () => {
    const app = newApp();
    const s = stack(app, "orders");
    const key = DataKey.fromKeyArn(s, "data_key", KEY_ARN, { aliasName: "alias/mavik-data-kms-key" });
    expect([key.keyArn, key.keyId, key.aliasName, key.aliasArn]).toEqual([
      KEY_ARN,
      "cb424700-0dd0-4dcb-a77d-13af16579270",
      "alias/mavik-data-kms-key",
      `arn:aws:kms:us-east-1:${ACCOUNT}:alias/mavik-data-kms-key`,
    ]);
    orders(s, key);
    Aspects.of(s).add(new EncryptionEnforcement(key));
    const json = synth(app);
    expect(keyArnsOf(json.orders)).toEqual({ s3: KEY_ARN, dynamodb: KEY_ARN, secretsmanager: KEY_ARN, lambda: KEY_ARN });
    expect(json.orders.data).toBeUndefined();
  });

  test("by alias: the aws_kms_alias data source, named by the id", () => {
    const app = newApp();
    const s = stack(app, "orders");
    const key = DataKey.fromAlias(s, "data_key", "alias/mavik-data-kms-key");
    orders(s, key);
    Aspects.of(s).add(new EncryptionEnforcement(key));
    const json = synth(app);
    expect(json.orders.data.aws_kms_alias.data_key.name).toBe("alias/mavik-data-kms-key");
    const arn = "${data.aws_kms_alias.data_key.target_key_arn}";
    expect(keyArnsOf(json.orders)).toEqual({ s3: arn, dynamodb: arn, secretsmanager: arn, lambda: arn });
  });

  test("from the platform stack's remote state: its outputs key_arn, key_id, alias_name, alias_arn", () => {
    const app = newApp();
    const s = stack(app, "orders");
    const key = DataKey.fromRemoteState(s, "platform", { bucket: "mavik-terraform-state-167067248318", key: "mavik-data-key/prod/terraform.tfstate", region: "us-east-1" });
    orders(s, key);
    Aspects.of(s).add(new EncryptionEnforcement(key));
    const json = synth(app);
    expect(json.orders.data.terraform_remote_state.platform).toMatchObject({
      backend: "s3",
      config: { bucket: "mavik-terraform-state-167067248318", key: "mavik-data-key/prod/terraform.tfstate", region: "us-east-1" },
    });
    const arn = "${data.terraform_remote_state.platform.outputs.key_arn}";
    expect(keyArnsOf(json.orders)).toEqual({ s3: arn, dynamodb: arn, secretsmanager: arn, lambda: arn });
  });

  test("a resource bound to another key fails a reference's enforcement", () => {
    const app = newApp();
    const s = stack(app, "orders");
    const key = DataKey.fromKeyArn(s, "data_key", KEY_ARN);
    const other = DataKey.fromKeyArn(s, "other_key", KEY_ARN.replace("cb424700", "00000000"));
    other.encryptTable(new DynamodbTable(s, "records", { name: "mavik-orders", hashKey: "id", attribute: [{ name: "id", type: "S" }] }));
    Aspects.of(s).add(new EncryptionEnforcement(key));
    expect(() => app.synth()).toThrow(`aws_dynamodb_table.records: not encrypted with the data key: it names another key, "${KEY_ARN.replace("cb424700", "00000000")}".`);
  });

  test.each<[string, () => void, string]>([
    [
      "an alias ARN given as a key ARN",
      () => DataKey.fromKeyArn(stack(newApp(), "s"), "k", `arn:aws:kms:us-east-1:${ACCOUNT}:alias/mavik-data-kms-key`),
      `DataKey.fromKeyArn keyArn: "arn:aws:kms:us-east-1:${ACCOUNT}:alias/mavik-data-kms-key" is not allowed. A key ARN: "arn:aws:kms:<region>:<account>:key/<key id>". This is an alias ARN: resources must name the key ARN (DynamoDB plans a change on every run otherwise); use DataKey.fromAlias.`,
    ],
    ["a key id given as a key ARN", () => DataKey.fromKeyArn(stack(newApp(), "s"), "k", "cb424700-0dd0-4dcb-a77d-13af16579270"), 'DataKey.fromKeyArn keyArn: "cb424700-0dd0-4dcb-a77d-13af16579270" is not allowed. A key ARN: "arn:aws:kms:<region>:<account>:key/<key id>".'],
    ["an AWS managed key's alias", () => DataKey.fromAlias(stack(newApp(), "s"), "k", "alias/aws/s3"), 'DataKey.fromAlias aliasName: "alias/aws/s3" is not allowed. Names under "alias/aws/" are reserved for AWS managed keys.'],
    ["an alias without alias/", () => DataKey.fromAlias(stack(newApp(), "s"), "k", "mavik-data-kms-key"), 'DataKey.fromAlias aliasName: "mavik-data-kms-key" is not allowed.'],
    ["a remote state without its key", () => DataKey.fromRemoteState(stack(newApp(), "s"), "k", { bucket: "b", region: "us-east-1" } as never), "DataKey.fromRemoteState key: undefined is not allowed. The owning stack's S3 backend key."],
    ["an id that is no Terraform name", () => DataKey.fromKeyArn(stack(newApp(), "s"), "1key", KEY_ARN), 'DataKey.fromKeyArn id: "1key" is not allowed. The id names the reference\'s Terraform resources: a letter or _ first, then letters, digits, _ or -.'],
  ])("refused at the call: %s", (_name, call, message) => {
    expect(call).toThrow(message);
  });
});

describe("a binding that cannot work is refused at the call, naming it", () => {
  test("a resource of another app", () => {
    const key = new DataKey(stack(newApp(), "platform"), "mavik_data_key", PROPS);
    const other = stack(newApp(), "orders");
    expect(() => key.encryptSecret(new SecretsmanagerSecret(other, "token", { name: "mavik/orders/token" }))).toThrow(
      'encryptSecret: "orders/token" is not allowed. It is in another app than the key (platform/mavik_data_key). Reference the key in the resource\'s app instead: DataKey.fromKeyArn, DataKey.fromAlias or DataKey.fromRemoteState.',
    );
  });

  test("a resource of a stack the key's stack depends on (a cycle)", () => {
    const app = newApp();
    const platform = stack(app, "platform");
    const shared = stack(app, "shared");
    platform.addDependency(shared);
    const key = new DataKey(platform, "mavik_data_key", PROPS);
    expect(() => key.encryptBucket(new S3Bucket(shared, "files", { bucket: "mavik-files" }))).toThrow(
      'encryptBucket: "shared/files" is not allowed. Its stack shared would depend on the key\'s stack platform, which already depends on it: a cycle.',
    );
  });
});

describe("one Terraform name, one construct", () => {
  test("two DataKeys with one id in one stack (inside two wrappers): an error naming both paths", () => {
    const app = newApp();
    const s = stack(app, "platform");
    new DataKey(new Construct(s, "team-a"), "mavik_data_key", PROPS);
    expect(() => new DataKey(new Construct(s, "team-b"), "mavik_data_key", { ...PROPS, alias: "alias/team-b" })).toThrow(
      "aws_kms_key.mavik_data_key: platform/team-b/mavik_data_key/key would be written under the Terraform name platform/team-a/mavik_data_key/key holds, and Terraform would keep only one of them.",
    );
  });

  test("two references with one id in one stack", () => {
    const s = stack(newApp(), "orders");
    DataKey.fromAlias(new Construct(s, "a"), "data_key", "alias/mavik-data-kms-key");
    expect(() => DataKey.fromAlias(new Construct(s, "b"), "data_key", "alias/mavik-data-kms-key")).toThrow(
      "data.aws_kms_alias.data_key: orders/b/data_key/alias would be written under the Terraform name orders/a/data_key/alias holds",
    );
  });

  test("a clash of one's own resources in a stack the key writes into fails synth, naming both", () => {
    const app = newApp();
    const s = stack(app, "platform");
    const key = new DataKey(s, "mavik_data_key", PROPS);
    const first = new S3Bucket(new Construct(s, "a"), "files", { bucket: "mavik-a" });
    first.overrideLogicalId("files");
    key.encryptBucket(first);
    new S3Bucket(new Construct(s, "b"), "files", { bucket: "mavik-b" }).overrideLogicalId("files");
    expect(terraformNameClashes(s)).toEqual([
      "aws_s3_bucket.files: platform/b/files would be written under the Terraform name platform/a/files holds, and Terraform would keep only one of them. Give one of the constructs another id (the id is the Terraform name), or put them in different stacks.",
    ]);
    expect(() => app.synth()).toThrow("[platform] aws_s3_bucket.files: platform/b/files would be written under the Terraform name platform/a/files holds");
  });
});

describe("a key from remote state: its region, known only at plan, is checked by Terraform", () => {
  const ERROR = (region: string) =>
    `The key of orders/platform (output key_arn) is not in ${region}, where stack orders binds resources to it: a KMS key serves its own region only (the data key is single-Region).`;
  const ordersStack = () => {
    const app = newApp();
    const s = stack(app, "orders");
    orders(s, DataKey.fromRemoteState(s, "platform", { bucket: "mavik-terraform-state-167067248318", key: "mavik-data-key/prod/terraform.tfstate", region: "us-east-1" }));
    return synth(app).orders;
  };

  test("the terraform_remote_state carries a postcondition for the region of the stacks that bind to it", () => {
    expect(ordersStack().data.terraform_remote_state.platform.lifecycle).toEqual({
      postcondition: [{ condition: '${element(split(":", self.outputs["key_arn"]), 3) == "us-east-1"}', error_message: ERROR("us-east-1") }],
    });
  });

  (terraformAvailable("cross-stack: the remote state's region postcondition") ? test : test.skip)("Terraform refuses a key of another region at plan, and takes one of the stack's region", async () => {
    // The data source alone (no provider to load): one reading a key of us-east-1, one of eu-west-1.
    const sandbox = new TerraformSandbox("remote-region");
    try {
      const remote = ordersStack().data.terraform_remote_state.platform;
      const ws = sandbox.workspace("plan", {});
      const read = (region: string) => {
        const file = path.join(ws.dir, `${region}.tfstate`);
        fs.writeFileSync(file, JSON.stringify(stateFile([], { key_arn: `arn:aws:kms:${region}:${ACCOUNT}:key/cb424700-0dd0-4dcb-a77d-13af16579270` })));
        return { ...remote, backend: "local", config: { path: file } };
      };
      fs.writeFileSync(path.join(ws.dir, "main.tf.json"), JSON.stringify({ data: { terraform_remote_state: { same: read("us-east-1"), other: read("eu-west-1") } } }));
      await ws.ok(["init", "-input=false", "-no-color", "-backend=false"]);
      const plan = await ws.run(["plan", "-input=false", "-no-color", "-lock=false"]);
      expect(plan.code).toBe(1);
      const errors = plan.stderr.replace(/[│╷╵\s]+/g, " ");
      expect(errors).toContain("Resource postcondition failed");
      expect(errors).toContain("data.terraform_remote_state.other");
      expect(errors).toContain(ERROR("us-east-1"));
      expect(errors).not.toContain("data.terraform_remote_state.same");
    } finally {
      sandbox.dispose();
    }
  });
});
