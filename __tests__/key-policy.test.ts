import { Testing } from "cdktf";
import {
  ADMIN_ACTIONS,
  buildKeyPolicy,
  DataKey,
  DataKeyProps,
  KeyPolicyProps,
  kmsActions,
  matchingKmsActions,
  normalizePolicy,
  policiesEquivalent,
  PolicyStatement,
  Sids,
} from "../modules/index";
import { SEED_POLICY } from "./support/synth";

const SEED: KeyPolicyProps = {
  accountId: "167067248318",
  administrators: ["user/mavik-developer", "user/mavik-deployer"],
  users: ["role/ecsTaskExecutionRole", "role/MavikLambdaRole"],
  services: ["dynamodb.amazonaws.com", "s3.amazonaws.com", "lambda.amazonaws.com", "secretsmanager.amazonaws.com"],
};

function keyPolicyOf(props: Partial<DataKeyProps>): unknown {
  const json = JSON.parse(Testing.synthScope((scope) => void new DataKey(scope, "k", { ...SEED, ...props })));
  return JSON.parse(json.resource.aws_kms_key.k.policy);
}

describe("key policy (seed §3)", () => {
  test("with the seed's values, the synthesized policy is the seed's JSON, field for field", () => {
    expect(keyPolicyOf({})).toEqual(SEED_POLICY);
  });

  test("it is also equivalent by meaning (the comparison verify and the Terraform tier use)", () => {
    expect(policiesEquivalent(buildKeyPolicy(SEED), SEED_POLICY)).toBe(true);
  });

  test("the seed's five Sids, in the seed's order", () => {
    expect(buildKeyPolicy(SEED).Statement.map((s) => s.Sid)).toEqual([
      Sids.ROOT,
      Sids.ADMINISTRATORS,
      Sids.USERS,
      Sids.GRANTS,
      Sids.SERVICES,
    ]);
  });

  test("the administrators get the seed's 15 actions, each a real KMS action or wildcard", () => {
    expect(ADMIN_ACTIONS).toHaveLength(15);
    for (const action of ADMIN_ACTIONS) expect(matchingKmsActions(action).length).toBeGreaterThan(0);
  });

  test("AWS's service authorization data is loaded synchronously: 56 KMS actions", () => {
    expect(kmsActions()).toHaveLength(56);
    expect(kmsActions()).toContain("kms:RotateKeyOnDemand");
  });

  test("principals by name, by ARN, and explicitly cross-account", () => {
    const policy = buildKeyPolicy({
      ...SEED,
      administrators: ["user/mavik-deployer", "arn:aws:iam::167067248318:role/admin/Break-Glass"],
      users: [{ arn: "arn:aws:iam::210987654321:role/Reader", crossAccount: true }],
      services: undefined,
    });
    expect(policy.Statement[1].Principal).toEqual({
      AWS: ["arn:aws:iam::167067248318:user/mavik-deployer", "arn:aws:iam::167067248318:role/admin/Break-Glass"],
    });
    expect(policy.Statement[2].Principal).toEqual({ AWS: "arn:aws:iam::210987654321:role/Reader" });
  });

  test("empty roles emit no statement; the root statement can be turned off", () => {
    const policy = buildKeyPolicy({ accountId: "167067248318", administrators: ["user/a"], enableIamUserPermissions: false });
    expect(policy.Statement.map((s) => s.Sid)).toEqual([Sids.ADMINISTRATORS]);
  });

  test("extra statements are appended after the seed's groups", () => {
    const extra: PolicyStatement = {
      Sid: "AllowAuditRead",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::167067248318:role/Auditor" },
      Action: ["kms:DescribeKey", "kms:GetKeyRotationStatus"],
      Resource: "*",
    };
    const policy = buildKeyPolicy({ ...SEED, additionalStatements: [extra] });
    expect(policy.Statement).toHaveLength(6);
    expect(policy.Statement[5]).toEqual(extra);
  });

  test("another partition resolves names there", () => {
    const policy = buildKeyPolicy({ accountId: "167067248318", partition: "aws-cn", users: ["role/App"] });
    expect(policy.Statement[1].Principal).toEqual({ AWS: "arn:aws-cn:iam::167067248318:role/App" });
  });

  test("normalizePolicy ignores list order and single-value forms, not statement content", () => {
    const reordered = JSON.parse(JSON.stringify(SEED_POLICY));
    reordered.Statement[1].Principal.AWS.reverse();
    reordered.Statement[0].Principal.AWS = [reordered.Statement[0].Principal.AWS];
    expect(normalizePolicy(reordered)).toEqual(normalizePolicy(SEED_POLICY));
    reordered.Statement[2].Action.pop();
    expect(policiesEquivalent(reordered, SEED_POLICY)).toBe(false);
  });
});

describe("key policy: bad input fails at synth with the prop, the value and what is allowed", () => {
  const FORMAT =
    'Allowed: "user/<name>", "role/<name>", an ARN "arn:<partition>:iam::<account>:user/<name>" (or role/<name>, root), ' +
    "or { arn, crossAccount: true } for another account.";
  test.each<[string, Partial<KeyPolicyProps>, string]>([
    ["an account id of 11 digits", { accountId: "16706724831" }, 'accountId: "16706724831" is not allowed. An AWS account id is exactly 12 digits, e.g. "167067248318".'],
    ["an account id with letters", { accountId: "16706724831x" }, 'accountId: "16706724831x" is not allowed. An AWS account id is exactly 12 digits, e.g. "167067248318".'],
    ["a bare principal name", { administrators: ["mavik-deployer"] }, `administrators[0]: "mavik-deployer" is not allowed. ${FORMAT}`],
    ["a malformed ARN", { users: ["role/App", "arn:aws:iam::1670672483:role/App"] }, `users[1]: "arn:aws:iam::1670672483:role/App" is not allowed. ${FORMAT}`],
    ["a group, which cannot be a principal", { users: ["arn:aws:iam::167067248318:group/devs"] }, `users[0]: "arn:aws:iam::167067248318:group/devs" is not allowed. ${FORMAT}`],
    [
      "an ARN in another account",
      { administrators: ["arn:aws:iam::210987654321:user/mallory"] },
      'administrators[0]: "arn:aws:iam::210987654321:user/mallory" is not allowed. It is in account 210987654321, not the environment\'s account 167067248318; name a principal of another account as { arn, crossAccount: true }.',
    ],
    [
      "an ARN in another partition",
      { users: ["arn:aws-cn:iam::167067248318:role/App"] },
      'users[0]: "arn:aws-cn:iam::167067248318:role/App" is not allowed. The environment\'s partition is "aws".',
    ],
    [
      "the same principal twice",
      { users: ["role/App", "arn:aws:iam::167067248318:role/App"] },
      'users[1]: "arn:aws:iam::167067248318:role/App" is not allowed. Each principal may be listed once; users[0] names it already.',
    ],
    ["a malformed service principal", { services: ["s3"] }, 'services[0]: "s3" is not allowed. A service principal looks like "s3.amazonaws.com".'],
    ["a policy id with spaces", { policyId: "my policy" }, 'policyId: "my policy" is not allowed. Allowed: 1 to 128 letters, digits and +=,.@:/_- characters.'],
  ])("%s", (_name, props, message) => {
    expect(() => buildKeyPolicy({ ...SEED, ...props })).toThrow(message);
  });
});
