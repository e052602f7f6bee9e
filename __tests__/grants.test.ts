/**
 * Grants as aws-cdk's Key has them: an IAM role policy on the key ARN in the role's stack, the key
 * policy untouched; one policy per key and role; refused where the key policy would not honour it
 * (another account, or no delegation to IAM), as the evaluator judges it.
 */
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, S3Backend, TerraformStack, Testing } from "cdktf";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
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
  // The same grant through a service again: the key's region is a reference, read once per policy.
  key.grantDecrypt(role, { viaService: "s3" });
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

  test("another account's role on a reference, from a stack pinned to the role's account: a warning that the key's own policy must allow it too", () => {
    const app = Testing.app();
    const s = new TerraformStack(app, "partner");
    new AwsProvider(s, "aws", { region: "us-east-1", allowedAccountIds: ["111111111111"] });
    const key = DataKey.fromKeyArn(s, "data_key", KEY_ARN);
    key.grantDecrypt("arn:aws:iam::111111111111:role/partner");
    const warnings = key.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => m.data);
    expect(warnings).toEqual([
      "grantDecrypt(arn:aws:iam::111111111111:role/partner): the role is in account 111111111111 and the key in 167067248318; the key's policy must also allow the role (or its account), in 167067248318.",
    ]);
  });
});

describe("a grant the key policy would not honour is refused at the call", () => {
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

describe("a grant says where its policy must live: a role's IAM policy in the role's account", () => {
  const PARTNER = "444455556666";
  const READER = `arn:aws:iam::${PARTNER}:role/Reader`;
  const ALLOWS_PARTNER: DataKeyProps = { ...PROPS, users: [...PROPS.users!, { arn: READER, crossAccount: true }] };
  /** A stack whose AWS provider works in `account` (allowed_account_ids), or in none said. */
  const pinned = (app: App, id: string, account?: string, region = "us-east-1") => {
    const s = new TerraformStack(app, id);
    new AwsProvider(s, "aws", { region, ...(account === undefined ? {} : { allowedAccountIds: [account] }) });
    return s;
  };
  const inKeyStack = (props: DataKeyProps) => new DataKey(pinned(Testing.app(), "platform", ACCOUNT), "mavik_data_key", props);
  const IAM_POLICY = (extra = "") => `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Decrypt"],"Resource":"\${aws_kms_key.mavik_data_key.arn}"${extra}}]}`;
  const KEY_STATEMENT = `{"Sid":"Allow use of the key by Reader","Effect":"Allow","Principal":{"AWS":"${READER}"},"Action":["kms:Decrypt"],"Resource":"*"}`;
  const WRONG_PLACE = (stack: string, works: string) =>
    `grantDecrypt: "${READER}" is not allowed. The role is in account ${PARTNER}, and its IAM policy would be written in stack ${stack}, ${works}. ` +
    `A role's IAM policy lives in the role's account: grant to the IamRole of a stack whose AWS provider is pinned to ${PARTNER} (allowedAccountIds), or pass { scope } in such a stack; or attach this policy to the role in ${PARTNER} yourself: `;

  test.each<[string, () => unknown, string]>([
    [
      "a role ARN of another account, the key policy allowing it: not into the key's stack (the key's account)",
      () => inKeyStack(ALLOWS_PARTNER).grantDecrypt(READER),
      `${WRONG_PLACE("platform", `which works in account ${ACCOUNT}: there the role does not exist (NoSuchEntity), or a role of that name in the wrong account would get the key`)}${IAM_POLICY()}. The key policy, in ${ACCOUNT}, allows the role this already.`,
    ],
    [
      "the same, the key policy not naming it: both policies to write",
      () => inKeyStack(PROPS).grantDecrypt(READER, { viaService: "s3" }),
      `${WRONG_PLACE("platform", `which works in account ${ACCOUNT}: there the role does not exist (NoSuchEntity), or a role of that name in the wrong account would get the key`)}` +
        `${IAM_POLICY(',"Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}')}. ` +
        `The key policy, in ${ACCOUNT}, must allow the role too: add { arn: "${READER}", crossAccount: true } to the key's users, or ${KEY_STATEMENT} with key.addStatements.`,
    ],
    [
      "a reference in a stack pinned to no account: nothing says the policy lands in the role's account",
      () => DataKey.fromKeyArn(pinned(Testing.app(), "orders"), "data_key", KEY_ARN).grantDecrypt(READER),
      `${WRONG_PLACE("orders", `whose AWS provider is pinned to no account, so nothing says that is ${PARTNER} (the key is in ${ACCOUNT})`)}` +
        `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Decrypt"],"Resource":"${KEY_ARN}"}]}. ` +
        `The key policy, in ${ACCOUNT}, must allow the role too (this app cannot see it), e.g. with ${KEY_STATEMENT}.`,
    ],
    [
      "an IamRole of a stack pinned to the other account, the key policy not naming it: checked, and refused",
      () => {
        const app = Testing.app();
        const key = new DataKey(pinned(app, "platform", ACCOUNT), "mavik_data_key", PROPS);
        key.grantDecrypt(new IamRole(pinned(app, "partner", PARTNER), "reader", { name: "Reader", assumeRolePolicy: ASSUME }));
      },
      `grantDecrypt: "partner/reader" is not allowed. The role is in account ${PARTNER}, and the key policy does not let it kms:Decrypt: KMS needs both the key policy (in the key's account, ${ACCOUNT}) and the role's IAM policy. ` +
        `Add { arn: "${READER}", crossAccount: true } to the key's users, or ${KEY_STATEMENT} with key.addStatements; then grant.`,
    ],
  ])("%s", (_name, call, message) => {
    expect(call).toThrow(message);
  });

  test("an IamRole of a stack pinned to the other account, the key policy allowing it: the policy is written in the role's stack", () => {
    const app = newApp();
    const platform = stack(app, "platform");
    const key = new DataKey(platform, "mavik_data_key", ALLOWS_PARTNER);
    const partner = new TerraformStack(app, "partner");
    new AwsProvider(partner, "aws", { region: "us-east-1", allowedAccountIds: [PARTNER] });
    new S3Backend(partner, { bucket: "partner-terraform-state", key: "partner.tfstate", region: "us-east-1" });
    key.grantDecrypt(new IamRole(partner, "reader", { name: "Reader", assumeRolePolicy: ASSUME }));
    const json = synth(app);
    expect(Object.keys(json.partner.resource.aws_iam_role_policy)).toEqual(["mavik_data_key_reader"]);
    expect(json.platform.resource.aws_iam_role_policy).toBeUndefined();
  });

  test("a role ARN of another account with { scope } in a stack pinned to that account: written there", () => {
    const app = Testing.app();
    const key = new DataKey(pinned(app, "platform", ACCOUNT), "mavik_data_key", ALLOWS_PARTNER);
    const partner = pinned(app, "partner", PARTNER);
    const policy = key.grantDecrypt(READER, { scope: partner });
    expect(policy.node.path).toBe("partner/data-key-grant-mavik_data_key-Reader");
  });
});

describe("a key serves its own region only: a binding in a stack of another region is refused", () => {
  const regional = (app: App, id: string, region: string) => {
    const s = new TerraformStack(app, id);
    new AwsProvider(s, "aws", { region });
    return s;
  };
  const refused = (path: string, stackId: string, key: string) =>
    `encryptBucket: "${path}" is not allowed. Its stack ${stackId} works in eu-west-1 (its AWS provider's region), and the key ${key} is in us-east-1: a KMS key serves its own region only (the data key is single-Region), so the resource cannot use it. ` +
    "Bind resources of eu-west-1 to a key of eu-west-1, or put the resource in a stack of us-east-1.";

  test.each<[string, () => unknown, string]>([
    [
      "DataKey.fromKeyArn of us-east-1 in a stack of eu-west-1",
      () => {
        const s = regional(Testing.app(), "orders", "eu-west-1");
        DataKey.fromKeyArn(s, "data_key", KEY_ARN).encryptBucket(new S3Bucket(s, "files", { bucket: "mavik-files" }));
      },
      refused("orders/files", "orders", "orders/data_key"),
    ],
    [
      "DataKey.fromAlias read in us-east-1, binding a bucket of a stack of eu-west-1",
      () => {
        const app = Testing.app();
        const key = DataKey.fromAlias(regional(app, "platform", "us-east-1"), "data_key", "alias/mavik-data-kms-key");
        key.encryptBucket(new S3Bucket(regional(app, "eu", "eu-west-1"), "files", { bucket: "mavik-files" }));
      },
      refused("eu/files", "eu", "platform/data_key"),
    ],
    [
      "a DataKey of us-east-1, binding a bucket of a stack of eu-west-1",
      () => {
        const app = Testing.app();
        const key = new DataKey(regional(app, "platform", "us-east-1"), "mavik_data_key", PROPS);
        key.encryptBucket(new S3Bucket(regional(app, "eu", "eu-west-1"), "files", { bucket: "mavik-files" }));
      },
      refused("eu/files", "eu", "platform/mavik_data_key"),
    ],
  ])("%s", (_name, call, message) => {
    expect(call).toThrow(message);
  });

  test("the same region binds", () => {
    const s = regional(Testing.app(), "orders", "us-east-1");
    expect(() => DataKey.fromKeyArn(s, "data_key", KEY_ARN).encryptBucket(new S3Bucket(s, "files", { bucket: "mavik-files" }))).not.toThrow();
  });
});
