/**
 * Grants as aws-cdk's Key has them: an IAM role policy on the key ARN in the role's stack, the key
 * policy untouched; one policy per key and role; refused where the key policy would not honour it
 * (another account, or no delegation to IAM), as the evaluator judges it.
 */
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, S3Backend, TerraformStack, Testing } from "cdktf";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DataKey, DataKeyProps, DECRYPT_ACTIONS, ENCRYPT_ACTIONS, GENERATE_DATA_KEY_ACTIONS } from "../modules/index";

const ACCOUNT = "167067248318";
const PROPS: DataKeyProps = { accountId: ACCOUNT, region: "us-east-1", administrators: ["user/mavik-deployer"], users: ["role/MavikLambdaRole"] };
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/cb424700-0dd0-4dcb-a77d-13af16579270`;
const ASSUME = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] });

function stack(app: App, id: string): TerraformStack {
  const s = new TerraformStack(app, id);
  new AwsProvider(s, "aws", { region: "us-east-1" });
  new S3Backend(s, { bucket: "mavik-terraform-state", key: `${id}.tfstate`, region: "us-east-1" });
  return s;
}

function synth(app: App): Record<string, any> {
  app.synth();
  const dir = path.join(app.outdir, "stacks");
  return Object.fromEntries(fs.readdirSync(dir).map((s) => [s, JSON.parse(fs.readFileSync(path.join(dir, s, "cdk.tf.json"), "utf8"))]));
}

const newApp = () => new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "mavik-grants-")) });

test("the actions are aws-cdk's", () => {
  expect([ENCRYPT_ACTIONS, DECRYPT_ACTIONS, GENERATE_DATA_KEY_ACTIONS]).toEqual([["kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"], ["kms:Decrypt"], ["kms:GenerateDataKey"]]);
});

describe("a role of the app stack, the key in the platform stack", () => {
  const app = newApp();
  const platform = stack(app, "platform");
  const key = new DataKey(platform, "mavik_data_key", PROPS);
  const policyBefore = JSON.stringify(key.policy);
  const orders = stack(app, "orders");
  const role = new IamRole(orders, "fn-role", { name: "orders-fn", assumeRolePolicy: ASSUME });
  const first = key.grantEncryptDecrypt(role);
  const again = key.grantDecrypt(role, { viaService: "s3" });
  key.grantEncryptDecrypt(role);
  const json = synth(app);

  test("one aws_iam_role_policy in the role's stack, named <key id>_<role>, gathering the grants", () => {
    expect(again).toBe(first);
    expect(Object.keys(json.orders.resource.aws_iam_role_policy)).toEqual(["mavik_data_key_fn-role"]);
    const policy = json.orders.resource.aws_iam_role_policy["mavik_data_key_fn-role"];
    expect(policy.role).toBe("${aws_iam_role.fn-role.name}");
    expect(policy.name).toBe("data-key-mavik_data_key");
    const arn = "data.terraform_remote_state.cross-stack-reference-input-platform.outputs.cross-stack-output-aws_kms_keymavik_data_keyarn";
    expect(policy.policy).toBe(
      `\${jsonencode({"Version" = "2012-10-17", "Statement" = [{"Effect" = "Allow", "Action" = ["kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Decrypt"], "Resource" = ${arn}}, ` +
        `{"Effect" = "Allow", "Action" = ["kms:Decrypt"], "Resource" = ${arn}, "Condition" = {"StringEquals" = {"kms:ViaService" = "s3.\${element(split(":", ${arn}), 3)}.amazonaws.com"}}}]})}`,
    );
  });

  test("the key policy does not change, and the platform stack holds nothing of the role's", () => {
    expect(JSON.stringify(key.policy)).toBe(policyBefore);
    expect(json.platform.resource.aws_iam_role_policy).toBeUndefined();
    expect(platform.dependencies).toEqual([]);
  });
});

describe("a referenced key and an existing role", () => {
  test("by ARN: a literal policy (terraform plan shows it in full) in the reference's scope", () => {
    const json = JSON.parse(
      Testing.synthScope((scope) => {
        const key = DataKey.fromKeyArn(scope, "data_key", KEY_ARN);
        key.grantDecrypt(`arn:aws:iam::${ACCOUNT}:role/service-role/reports-reader`, { viaService: "secretsmanager" });
        key.grantGenerateDataKey("uploader");
      }),
    );
    expect(Object.keys(json.resource.aws_iam_role_policy).sort()).toEqual(["data_key_reports-reader", "data_key_uploader"]);
    expect(json.resource.aws_iam_role_policy["data_key_reports-reader"].role).toBe("reports-reader");
    expect(JSON.parse(json.resource.aws_iam_role_policy["data_key_reports-reader"].policy)).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["kms:Decrypt"], Resource: KEY_ARN, Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } } }],
    });
    expect(JSON.parse(json.resource.aws_iam_role_policy.data_key_uploader.policy).Statement).toEqual([{ Effect: "Allow", Action: ["kms:GenerateDataKey"], Resource: KEY_ARN }]);
  });

  test("another account's role on a reference: a warning that the key's own policy must allow it too", () => {
    const app = Testing.app();
    const s = new TerraformStack(app, "orders");
    const key = DataKey.fromKeyArn(s, "data_key", KEY_ARN);
    key.grantDecrypt("arn:aws:iam::111111111111:role/partner");
    const warnings = key.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => m.data);
    expect(warnings).toEqual([
      "grantDecrypt(arn:aws:iam::111111111111:role/partner): the role is in account 111111111111 and the key in 167067248318; the key's policy must also allow the role (or its account), in 167067248318.",
    ]);
  });
});

describe("a grant the key policy would not honour is refused at the call", () => {
  test("another account's role, not in the key policy: KMS needs both policies", () => {
    Testing.synthScope((scope) => {
      const key = new DataKey(scope, "mavik_data_key", PROPS);
      expect(() => key.grantDecrypt("arn:aws:iam::111111111111:role/partner")).toThrow(
        'grantDecrypt: "arn:aws:iam::111111111111:role/partner" is not allowed. The role is in account 111111111111, and the key policy does not let it kms:Decrypt: KMS needs both the key policy (in the key\'s account) and the role\'s IAM policy. Add the role to the key\'s users as { arn, crossAccount: true }, or add a statement with key.addStatements, then grant.',
      );
    });
  });

  test("another account's role the key policy names: granted", () => {
    Testing.synthScope((scope) => {
      const key = new DataKey(scope, "mavik_data_key", { ...PROPS, users: [...PROPS.users!, { arn: "arn:aws:iam::111111111111:role/partner", crossAccount: true }] });
      expect(key.grantDecrypt("arn:aws:iam::111111111111:role/partner")).toBeInstanceOf(IamRolePolicy);
    });
  });

  test("a key policy without the root statement: an IAM policy would grant nothing", () => {
    Testing.synthScope((scope) => {
      const key = new DataKey(scope, "mavik_data_key", { ...PROPS, enableIamUserPermissions: false, deployer: "user/mavik-deployer" });
      expect(() => key.grantEncrypt("orders-fn")).toThrow(
        'grantEncrypt: "orders-fn" is not allowed. The key policy does not let arn:aws:iam::167067248318:role/orders-fn kms:Encrypt, kms:ReEncryptFrom, kms:ReEncryptTo, kms:GenerateDataKey, kms:GenerateDataKeyPair, kms:GenerateDataKeyPairWithoutPlaintext, kms:GenerateDataKeyWithoutPlaintext through IAM (no "Enable IAM User Permissions" statement, or a Deny): an IAM policy would grant nothing. Add the role to the key\'s users instead.',
      );
      // A role the key policy names keeps its use without any IAM grant.
      expect(() => key.grantEncrypt(`arn:aws:iam::${ACCOUNT}:role/MavikLambdaRole`)).not.toThrow();
    });
  });

  test.each<[string, () => void, string]>([
    ["a role that is neither a name nor an ARN", () => DataKey.fromKeyArn(new TerraformStack(Testing.app(), "s"), "k", KEY_ARN).grantDecrypt("role/orders fn"), 'grantDecrypt: "role/orders fn" is not allowed. A role: an IamRole of this app, a role name ("MavikLambdaRole") or a role ARN ("arn:aws:iam::<account>:role/<name>").'],
    ["a user ARN", () => DataKey.fromKeyArn(new TerraformStack(Testing.app(), "s"), "k", KEY_ARN).grantDecrypt(`arn:aws:iam::${ACCOUNT}:user/alice`), `grantDecrypt: "arn:aws:iam::${ACCOUNT}:user/alice" is not allowed. A role:`],
    ["a service that is not an endpoint name", () => DataKey.fromKeyArn(new TerraformStack(Testing.app(), "s"), "k", KEY_ARN).grantDecrypt("reader", { viaService: "s3.amazonaws.com" }), 'grantDecrypt viaService: "s3.amazonaws.com" is not allowed. A service name as in its endpoint: "s3", "dynamodb", "secretsmanager", "lambda".'],
  ])("%s", (_name, call, message) => {
    expect(call).toThrow(message);
  });
});
