import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { TerraformOutput, TerraformVariable, Testing } from "cdktf";
import { Construct } from "constructs";
import { DataKey, DataKeyProps, KeyAudit } from "../modules/index";

const SEED: DataKeyProps = {
  accountId: "167067248318",
  administrators: ["user/mavik-developer", "user/mavik-deployer"],
  users: ["role/ecsTaskExecutionRole", "role/MavikLambdaRole"],
  services: ["dynamodb.amazonaws.com", "s3.amazonaws.com", "lambda.amazonaws.com", "secretsmanager.amazonaws.com"],
};

function synth(props: Partial<DataKeyProps> = {}, id = "mavik_data_key"): string {
  return Testing.synthScope((scope) => {
    new DataKey(scope, id, { ...SEED, ...props });
  });
}

function build(props: Partial<DataKeyProps>, id = "mavik_data_key"): () => void {
  return () => synth(props, id);
}

describe("DataKey: the key (seed §2.1)", () => {
  test("is symmetric, enabled, rotated yearly, with a 30-day deletion window and prevent_destroy", () => {
    expect(synth()).toHaveResourceWithProperties(KmsKey, {
      customer_master_key_spec: "SYMMETRIC_DEFAULT",
      key_usage: "ENCRYPT_DECRYPT",
      is_enabled: true,
      enable_key_rotation: true,
      rotation_period_in_days: 365,
      deletion_window_in_days: 30,
      bypass_policy_lockout_safety_check: false,
      lifecycle: { prevent_destroy: true },
    });
  });

  test("has the seed's alias by default, targeting the key", () => {
    expect(synth()).toHaveResourceWithProperties(KmsAlias, {
      name: "alias/mavik-data-kms-key",
      target_key_id: "${aws_kms_key.mavik_data_key.key_id}",
    });
  });

  test("takes an alias, description, tags, deletion window and rotation period", () => {
    const out = synth({
      alias: "alias/other/key_1",
      description: "test key",
      tags: { team: "ssot" },
      deletionWindowInDays: 7,
      rotationPeriodInDays: 90,
    });
    expect(out).toHaveResourceWithProperties(KmsKey, {
      description: "test key",
      tags: { team: "ssot" },
      deletion_window_in_days: 7,
      rotation_period_in_days: 90,
    });
    expect(out).toHaveResourceWithProperties(KmsAlias, { name: "alias/other/key_1" });
  });

  test("only allowDestroy lifts prevent_destroy", () => {
    expect(synth({ allowDestroy: true })).toHaveResourceWithProperties(KmsKey, { lifecycle: { prevent_destroy: false } });
    expect(synth({ allowDestroy: false })).toHaveResourceWithProperties(KmsKey, { lifecycle: { prevent_destroy: true } });
  });

  test("exposes key id, key ARN, alias name and alias ARN as typed properties", () => {
    const json = JSON.parse(
      Testing.synthScope((scope) => {
        const key = new DataKey(scope, "mavik_data_key", SEED);
        new TerraformOutput(scope, "id", { value: key.keyId });
        new TerraformOutput(scope, "arn", { value: key.keyArn });
        new TerraformOutput(scope, "alias", { value: key.aliasName });
        new TerraformOutput(scope, "alias_arn", { value: key.aliasArn });
      }),
    );
    expect(json.output).toEqual({
      id: { value: "${aws_kms_key.mavik_data_key.key_id}" },
      arn: { value: "${aws_kms_key.mavik_data_key.arn}" },
      alias: { value: "alias/mavik-data-kms-key" },
      alias_arn: { value: "${aws_kms_alias.mavik_data_key.arn}" },
    });
  });
});

describe("DataKey: Terraform addresses are pinned (a moved key is a replaced key)", () => {
  test("the key and alias are aws_kms_key.<id> and aws_kms_alias.<id>, nothing else", () => {
    const json = JSON.parse(synth());
    expect(Object.keys(json.resource).sort()).toEqual(["aws_kms_alias", "aws_kms_key"]);
    expect(Object.keys(json.resource.aws_kms_key)).toEqual(["mavik_data_key"]);
    expect(Object.keys(json.resource.aws_kms_alias)).toEqual(["mavik_data_key"]);
  });

  test("nesting the construct deeper does not move the addresses", () => {
    const nested = JSON.parse(
      Testing.synthScope((scope) => {
        const { Construct } = require("constructs");
        const wrapper = new Construct(scope, "wrapper");
        new DataKey(new Construct(wrapper, "inner"), "mavik_data_key", SEED);
      }),
    );
    expect(Object.keys(nested.resource.aws_kms_key)).toEqual(["mavik_data_key"]);
    expect(Object.keys(nested.resource.aws_kms_alias)).toEqual(["mavik_data_key"]);
  });

  test("movedFrom emits moved blocks, so a rename is a state move, not a replacement", () => {
    const json = JSON.parse(synth({ movedFrom: { key: "aws_kms_key.data", alias: "aws_kms_alias.data" } }));
    expect(json.moved).toEqual([
      { from: "aws_kms_key.data", to: "aws_kms_key.mavik_data_key" },
      { from: "aws_kms_alias.data", to: "aws_kms_alias.mavik_data_key" },
    ]);
  });
});

describe("DataKey: adopting the existing key", () => {
  test("existingKeyId emits import blocks for the key and the alias", () => {
    const json = JSON.parse(synth({ existingKeyId: "cb424700-0dd0-4dcb-a77d-13af16579270" }));
    expect(json.import).toEqual([
      { id: "cb424700-0dd0-4dcb-a77d-13af16579270", to: "aws_kms_key.mavik_data_key" },
      { id: "alias/mavik-data-kms-key", to: "aws_kms_alias.mavik_data_key" },
    ]);
  });

  test("without it, no import block", () => {
    expect(JSON.parse(synth()).import).toBeUndefined();
  });
});

describe("DataKey: bad input fails at synth, naming the prop, the value and what is allowed", () => {
  const long = `alias/${"a".repeat(251)}`;
  test.each<[string, Partial<DataKeyProps>, string]>([
    [
      "alias without alias/",
      { alias: "mavik-data-kms-key" },
      'alias: "mavik-data-kms-key" is not allowed. An alias must start with "alias/", e.g. "alias/mavik-data-kms-key".',
    ],
    [
      "alias under alias/aws/",
      { alias: "alias/aws/s3" },
      'alias: "alias/aws/s3" is not allowed. Names under "alias/aws/" are reserved for AWS managed keys.',
    ],
    [
      "alias with a space",
      { alias: "alias/mavik key" },
      'alias: "alias/mavik key" is not allowed. After "alias/" an alias has at least one character, each a letter, digit, "/", "_" or "-".',
    ],
    [
      "alias with nothing after alias/",
      { alias: "alias/" },
      'alias: "alias/" is not allowed. After "alias/" an alias has at least one character, each a letter, digit, "/", "_" or "-".',
    ],
    [
      "alias of 257 characters",
      { alias: long },
      `alias: "alias/${"a".repeat(53)}…(259 characters) is not allowed. An alias is at most 256 characters; this one has 257.`,
    ],
    [
      "deletion window of 6 days",
      { deletionWindowInDays: 6 },
      "deletionWindowInDays: 6 is not allowed. Allowed: a whole number of days from 7 to 30.",
    ],
    [
      "deletion window of 31 days",
      { deletionWindowInDays: 31 },
      "deletionWindowInDays: 31 is not allowed. Allowed: a whole number of days from 7 to 30.",
    ],
    [
      "rotation period of 89 days",
      { rotationPeriodInDays: 89 },
      "rotationPeriodInDays: 89 is not allowed. Allowed: a whole number of days from 90 to 2560.",
    ],
    [
      "rotation period of 2561 days",
      { rotationPeriodInDays: 2561 },
      "rotationPeriodInDays: 2561 is not allowed. Allowed: a whole number of days from 90 to 2560.",
    ],
    [
      "rotation period of 365.5 days",
      { rotationPeriodInDays: 365.5 },
      "rotationPeriodInDays: 365.5 is not allowed. Allowed: a whole number of days from 90 to 2560.",
    ],
    [
      "existing key id that is an ARN",
      { existingKeyId: "arn:aws:kms:us-east-1:167067248318:key/cb424700-0dd0-4dcb-a77d-13af16579270" },
      'existingKeyId: "arn:aws:kms:us-east-1:167067248318:key/cb424700-0dd0-4dcb-a77d-13af16579270" is not allowed. ' +
        'A KMS key id is a UUID such as "cb424700-0dd0-4dcb-a77d-13af16579270", or "mrk-" and 32 hex digits.',
    ],
    [
      "movedFrom that is not a key address",
      { movedFrom: { key: "aws_kms_alias.old" } },
      'movedFrom.key: "aws_kms_alias.old" is not allowed. A former address of the key looks like "aws_kms_key.<name>".',
    ],
  ])("%s", (_name, props, message) => {
    expect(build(props)).toThrow(message);
  });

  test.each<[string, () => void, string]>([
    [
      "no props at all (from JavaScript, or a cast)",
      () => Testing.synthScope((scope) => void new (DataKey as any)(scope, "mavik_data_key")),
      'DataKey props: undefined is not allowed. new DataKey(scope, id, { accountId, administrators, users, services, ... }) takes its props as an object; "accountId" at least.',
    ],
    [
      "two keys with one alias in one stack",
      () =>
        Testing.synthScope((scope) => {
          new DataKey(scope, "first", { accountId: "167067248318", administrators: ["user/mavik-deployer"] });
          new DataKey(scope, "second", { accountId: "167067248318", administrators: ["user/mavik-deployer"] });
        }),
      'alias: "alias/mavik-data-kms-key" is not allowed. stack/second would take the alias stack/first has in the same stack (one account and region), where an alias names one key. Give one of them another alias.',
    ],
    [
      "a KeyAudit without props",
      () => Testing.synthScope((scope) => void new (KeyAudit as any)(scope, "audit")),
      "KeyAudit props: undefined is not allowed. new KeyAudit(scope, id, { dataKey, accountId, region, name, alerts?, configRule? }) takes its props as an object.",
    ],
  ])("program API: %s", (_name, call, message) => {
    expect(call).toThrow(message);
  });

  // From JavaScript (or a cast) a prop can have another type than its TypeScript one: each is
  // named with its type before any meaning is read from it.
  test.each<[string, Record<string, unknown>, string]>([
    [
      "accountId as a number",
      { accountId: 167067248318 },
      'accountId: 167067248318 is not allowed. An AWS account id is a string of exactly 12 digits, e.g. "167067248318", not a number (a number loses an account id\'s leading zeros).',
    ],
    ["accountId left out", { accountId: undefined }, 'accountId: missing. An AWS account id is a string of exactly 12 digits, e.g. "167067248318".'],
    [
      "enableIamUserPermissions as text",
      { enableIamUserPermissions: "false" },
      'enableIamUserPermissions: "false" is not allowed. DataKey\'s enableIamUserPermissions is true or false (a Boolean; the text "false" would count as true), not a string.',
    ],
    [
      "allowDestroy as text",
      { allowDestroy: "true" },
      'allowDestroy: "true" is not allowed. DataKey\'s allowDestroy is true or false (a Boolean; the text "false" would count as true), not a string.',
    ],
    ["deletionWindowInDays as text", { deletionWindowInDays: "30" }, 'deletionWindowInDays: "30" is not allowed. DataKey\'s deletionWindowInDays is a number, not a string.'],
    ["administrators as one string", { administrators: "user/a" }, 'administrators: "user/a" is not allowed. DataKey\'s administrators is a list, not a string.'],
    ["tags as a list", { tags: [["team", "ssot"]] }, 'tags: [["team","ssot"]] is not allowed. DataKey\'s tags is an object, not a list.'],
    [
      "a partition that is none",
      { partition: "aws-moon" },
      'partition: "aws-moon" is not allowed. A partition is one of "aws", "aws-cn", "aws-eusc", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-us-gov" (the AWS SDK\'s endpoint data).',
    ],
    ["a region that is none", { region: "us-east-7" }, 'region: "us-east-7" is not allowed. It is no region of any AWS partition (the AWS SDK\'s endpoint data); did you mean "us-east-1"?'],
  ])("program API, a prop of the wrong type: %s", (_name, props, message) => {
    expect(build(props as Partial<DataKeyProps>)).toThrow(message);
  });

  test("program API: an unknown service principal is named as the services entry written, and the warning claims no refusal by KMS", () => {
    let key: DataKey | undefined;
    Testing.synthScope((scope) => void (key = new DataKey(scope, "mavik_data_key", { ...SEED, services: ["dynamodb.amazonaws.com", "s3x.amazonaws.com"] })));
    expect(key!.findings.filter((f) => f.rule === "known-services").map((f) => f.message)).toEqual([
      'services[1]: "s3x.amazonaws.com" names no service of AWS\'s service authorization data (did you mean "s3.amazonaws.com"?). ' +
        "No service calls KMS under a name that is not its own, so for a misspelt one the statement grants nothing, and AWS documents no check of service names when it saves a key policy; check the name.",
    ]);
  });

  test.each<[string, (scope: Construct) => Partial<DataKeyProps>, string]>([
    [
      "a role's ARN among the users",
      (scope) => ({ users: ["role/MavikLambdaRole", new IamRole(scope, "reader", { name: "reader", assumeRolePolicy: "{}" }).arn] }),
      'users[1]: "${aws_iam_role.reader.arn}" is not allowed. It is a Terraform reference to aws_iam_role.reader (stack/reader), known only at apply; ' +
        "a key policy names its principals literally, so that the rules at synth, the review and KMS judge the same policy. " +
        "For a role of this app, grant it the key through IAM instead: key.grantEncryptDecrypt(role), grantEncrypt, grantDecrypt, grantGenerateDataKey or grant(role, actions) write an IAM policy in the role's stack and leave the key policy as it is. Name other principals literally.",
    ],
    [
      "a variable among the administrators, as a cross-account principal",
      (scope) => ({ administrators: [{ arn: new TerraformVariable(scope, "admin_arn", { type: "string" }).stringValue, crossAccount: true }] }),
      'administrators[0]: "${var.admin_arn}" is not allowed. It is a Terraform reference to var.admin_arn (stack/admin_arn), known only at apply; ' +
        "a key policy names its principals literally, so that the rules at synth, the review and KMS judge the same policy. " +
        "For a role of this app, grant it the key through IAM instead: key.grantEncryptDecrypt(role), grantEncrypt, grantDecrypt, grantGenerateDataKey or grant(role, actions) write an IAM policy in the role's stack and leave the key policy as it is. Name other principals literally.",
    ],
    [
      "a variable as the deployer",
      (scope) => ({ deployer: new TerraformVariable(scope, "deployer", { type: "string" }).stringValue }),
      'deployer: "${var.deployer}" is not allowed. It is a Terraform reference to var.deployer (stack/deployer), known only at apply; ' +
        'a key policy names its principals literally, so that the rules at synth, the review and KMS judge the same policy. The lockout rule checks the deployer at synth: name it literally, "user/<name>", "role/<name>" or an ARN.',
    ],
  ])("a Terraform reference as a principal names what it points to: %s", (_name, props, message) => {
    expect(() => Testing.synthScope((scope) => void new DataKey(scope, "mavik_data_key", { ...SEED, ...props(scope) }))).toThrow(message);
  });

  test.each([
    ["a 256-character alias", { alias: `alias/${"a".repeat(250)}` }],
    ["a 7-day window", { deletionWindowInDays: 7 }],
    ["a 30-day window", { deletionWindowInDays: 30 }],
    ["a 90-day rotation", { rotationPeriodInDays: 90 }],
    ["a 2560-day rotation", { rotationPeriodInDays: 2560 }],
    ["a multi-Region key id", { existingKeyId: "mrk-1234abcd12ab34cd56ef1234567890ab" }],
  ])("accepts the limit: %s", (_name, props) => {
    expect(build(props)).not.toThrow();
  });

  test("a construct id that cannot be a Terraform name", () => {
    expect(build({}, "1key")).toThrow(
      'id: "1key" is not allowed. The construct id becomes the Terraform resource name: a letter or _ first, then letters, digits, _ or -.',
    );
  });
});
