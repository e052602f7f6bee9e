import { Testing } from "cdktf";
import {
  buildKeyPolicy,
  DataKey,
  DataKeyProps,
  knownActions,
  lockout,
  PolicyDocument,
  PolicyStatement,
  PolicySubject,
  policySize,
  uniqueSids,
  adminSelfGrant,
  administratorsListed,
  rotation,
  servicePrincipalSource,
  wildcardPrincipal,
} from "../modules";
import { SEED_POLICY } from "./support/synth";

/** Each rule: a compliant and a non-compliant case (cdk-nag style). */
const on = (policy: PolicyDocument, extra: Partial<PolicySubject> = {}): PolicySubject => ({ policy, accountId: "167067248318", ...extra });
const seed = SEED_POLICY as PolicyDocument;
const SEED_PROPS = {
  accountId: "167067248318",
  administrators: ["user/mavik-developer", "user/mavik-deployer"],
  users: ["role/ecsTaskExecutionRole", "role/MavikLambdaRole"],
  services: ["dynamodb.amazonaws.com", "s3.amazonaws.com", "lambda.amazonaws.com", "secretsmanager.amazonaws.com"],
};
const withStatements = (...extra: PolicyStatement[]): PolicyDocument => ({ ...seed, Statement: [...seed.Statement, ...extra] });
const stmt = (over: Partial<PolicyStatement>): PolicyStatement => ({
  Sid: "Extra",
  Effect: "Allow",
  Principal: { AWS: "arn:aws:iam::167067248318:role/Auditor" },
  Action: "kms:DescribeKey",
  Resource: "*",
  ...over,
});

describe("rule lockout", () => {
  test("compliant: the seed's root statement may call kms:PutKeyPolicy", () => {
    expect(lockout.check(on(seed))).toEqual([]);
  });
  test("compliant: without root, administrators with kms:Put* may", () => {
    const policy = buildKeyPolicy({ accountId: "167067248318", enableIamUserPermissions: false, administrators: ["user/a"] });
    expect(lockout.check(on(policy))).toEqual([]);
  });
  test("non-compliant: nobody may call kms:PutKeyPolicy", () => {
    const policy = buildKeyPolicy({ accountId: "167067248318", enableIamUserPermissions: false, users: ["role/App"] });
    expect(lockout.check(on(policy))).toEqual([
      {
        rule: "lockout",
        severity: "error",
        path: "policy",
        message:
          'policy: "no principal with kms:PutKeyPolicy" is not allowed. AWS\'s policy lockout safety check rejects a key policy that no principal may change. ' +
          "Keep enableIamUserPermissions (the account root with kms:*) or give an administrator kms:PutKeyPolicy (kms:Put* does).",
      },
    ]);
  });
  test("non-compliant: an unconditional Deny of kms:PutKeyPolicy to everyone", () => {
    const policy = withStatements(stmt({ Effect: "Deny", Principal: { AWS: "*" }, Action: "kms:PutKeyPolicy" }));
    expect(lockout.check(on(policy)).map((f) => f.rule)).toEqual(["lockout"]);
  });
  test("non-compliant: the only grant is conditional", () => {
    const policy: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [stmt({ Action: "kms:*", Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } } })],
    };
    expect(lockout.check(on(policy))).toHaveLength(1);
  });
});

describe("rule unique-sids", () => {
  test("compliant: the seed's five Sids", () => {
    expect(uniqueSids.check(on(seed))).toEqual([]);
  });
  test("non-compliant: a second 'Allow use of the key'", () => {
    const findings = uniqueSids.check(on(withStatements(stmt({ Sid: "Allow use of the key" }))));
    expect(findings.map((f) => f.message)).toEqual([
      'policy.Statement[5].Sid: "Allow use of the key" is not allowed. Sids must be unique within a key policy; Statement[2] uses it already.',
    ]);
  });
});

describe("rule known-actions", () => {
  test("compliant: every action and wildcard of the seed", () => {
    expect(knownActions.check(on(seed))).toEqual([]);
  });
  test.each<[string, string]>([
    ["kms:Decrpyt", 'policy.Statement[5].Action: "kms:Decrpyt" is not allowed. It matches no KMS action in AWS\'s service authorization data (56 actions); did you mean "kms:Decrypt"?'],
    ["kms:Frobnicate*", 'policy.Statement[5].Action: "kms:Frobnicate*" is not allowed. It matches no KMS action in AWS\'s service authorization data (56 actions).'],
    ["s3:GetObject", 'policy.Statement[5].Action: "s3:GetObject" is not allowed. A key policy grants only KMS actions: "kms:<Action>", a wildcard such as "kms:Get*", or "*".'],
  ])("non-compliant: %s", (action, message) => {
    expect(knownActions.check(on(withStatements(stmt({ Action: ["kms:DescribeKey", action] })))).map((f) => f.message)).toEqual([message]);
  });
  test("NotAction is checked too", () => {
    expect(knownActions.check(on(withStatements(stmt({ Action: undefined, NotAction: "kms:Decrpyt" }))))[0].path).toBe(
      "policy.Statement[5].NotAction",
    );
  });
});

describe("rule policy-size", () => {
  test("compliant: the seed's policy is far below 32 KB", () => {
    expect(policySize.check(on(seed))).toEqual([]);
  });
  test("non-compliant: 400 extra statements", () => {
    const many = Array.from({ length: 400 }, (_, i) => stmt({ Sid: `Extra${i}` }));
    const findings = policySize.check(on(withStatements(...many)));
    expect(findings).toHaveLength(1);
    expect(findings[0].message).toMatch(
      /^policy: "\d+ bytes" is not allowed\. A key policy may be at most 32768 bytes \(32 KB\)\.$/,
    );
  });
});

describe("the rules fail synth through DataKey", () => {
  const base: DataKeyProps = { accountId: "167067248318", administrators: ["user/mavik-deployer"], users: ["role/App"] };
  const synth = (props: Partial<DataKeyProps>) => () => Testing.synthScope((s) => void new DataKey(s, "k", { ...base, ...props }));

  test.each<[string, Partial<DataKeyProps>, string]>([
    ["duplicate Sids", { additionalStatements: [stmt({ Sid: "Allow use of the key" })] }, 'policy.Statement[4].Sid: "Allow use of the key" is not allowed.'],
    ["an unknown action", { additionalStatements: [stmt({ Action: "kms:Decrpyt" })] }, 'policy.Statement[4].Action: "kms:Decrpyt" is not allowed.'],
    ["lockout", { enableIamUserPermissions: false, administrators: [] }, 'policy: "no principal with kms:PutKeyPolicy" is not allowed.'],
    [
      "a policy over 32 KB",
      { additionalStatements: Array.from({ length: 400 }, (_, i) => stmt({ Sid: `Extra${i}` })) },
      "is not allowed. A key policy may be at most 32768 bytes (32 KB).",
    ],
  ])("%s", (_name, props, message) => {
    expect(synth(props)).toThrow(message);
  });

  test("every error is reported at once", () => {
    expect(synth({ additionalStatements: [stmt({ Sid: "Allow use of the key", Action: "kms:Decrpyt" })] })).toThrow(
      'policy.Statement[4].Action: "kms:Decrpyt" is not allowed. It matches no KMS action in AWS\'s service authorization data (56 actions); did you mean "kms:Decrypt"?\n' +
        'policy.Statement[4].Sid: "Allow use of the key" is not allowed. Sids must be unique within a key policy; Statement[2] uses it already.',
    );
  });
});

describe("rule service-principal-source (warning)", () => {
  test("compliant: the hardened variant names no service principal", () => {
    const policy = buildKeyPolicy({ ...SEED_PROPS, serviceAccess: "via-service", region: "us-east-1" });
    expect(servicePrincipalSource.check(on(policy))).toEqual([]);
  });
  test("compliant: a service statement limited by aws:SourceAccount", () => {
    const limited = stmt({ Principal: { Service: "s3.amazonaws.com" }, Condition: { StringEquals: { "aws:SourceAccount": "167067248318" } } });
    expect(servicePrincipalSource.check(on({ ...seed, Statement: [seed.Statement[0], limited] }))).toEqual([]);
  });
  test("non-compliant: the seed's 'Allow AWS Managed Services To Use Key', with the explanation", () => {
    const [finding, ...rest] = servicePrincipalSource.check(on(seed));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ rule: "service-principal-source", severity: "warning", path: "policy.Statement[4]" });
    expect(finding.message).toBe(
      'policy.Statement[4] ("Allow AWS Managed Services To Use Key") allows dynamodb.amazonaws.com, s3.amazonaws.com, lambda.amazonaws.com, secretsmanager.amazonaws.com without aws:SourceAccount or aws:SourceArn. ' +
        "These services call KMS on behalf of the caller (kms:ViaService), so the statement does not grant what it seems to, " +
        "and an unconditioned service principal is the confused-deputy pattern IAM Access Analyzer flags. " +
        'Consider serviceAccess: "via-service" (account principals with kms:ViaService and kms:CallerAccount, as AWS managed keys do).',
    );
  });
});

describe("the hardened variant", () => {
  test("account principals through the services, with kms:ViaService and kms:CallerAccount", () => {
    const policy = buildKeyPolicy({ ...SEED_PROPS, serviceAccess: "via-service", region: "us-east-1" });
    expect(policy.Statement[4]).toEqual({
      Sid: "Allow access through AWS services for principals in the account",
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
      Resource: "*",
      Condition: {
        StringEquals: {
          "kms:CallerAccount": "167067248318",
          "kms:ViaService": ["dynamodb.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com", "lambda.us-east-1.amazonaws.com", "secretsmanager.us-east-1.amazonaws.com"],
        },
      },
    });
  });
  test("needs the region", () => {
    expect(() => buildKeyPolicy({ ...SEED_PROPS, serviceAccess: "via-service" })).toThrow(
      'region: missing. serviceAccess "via-service" needs the key\'s region, e.g. "us-east-1".',
    );
  });
});

describe("rule admin-self-grant (info)", () => {
  test("compliant: administrators without Create* or Put*", () => {
    const policy = withStatements();
    const trimmed = { ...policy, Statement: policy.Statement.filter((s) => s.Sid !== "Allow access for Key Administrators") };
    expect(adminSelfGrant.check(on(trimmed))).toEqual([]);
  });
  test("non-compliant: the seed's administrators, named", () => {
    expect(adminSelfGrant.check(on(seed)).map((f) => [f.severity, f.message])).toEqual([
      ["info", "arn:aws:iam::167067248318:user/mavik-developer can grant itself data access through kms:CreateGrant and kms:PutKeyPolicy."],
      ["info", "arn:aws:iam::167067248318:user/mavik-deployer can grant itself data access through kms:CreateGrant and kms:PutKeyPolicy."],
    ]);
  });
});

describe("rule wildcard-principal (error)", () => {
  test("compliant: a wildcard limited by kms:CallerAccount", () => {
    expect(wildcardPrincipal.check(on(withStatements(stmt({ Principal: { AWS: "*" }, Condition: { StringEquals: { "kms:CallerAccount": "167067248318" } } }))))).toEqual([]);
  });
  test.each([["*"], [{ AWS: "*" }]])("non-compliant: Principal %j without a condition", (principal) => {
    expect(wildcardPrincipal.check(on(withStatements(stmt({ Principal: principal as PolicyStatement["Principal"] })))).map((f) => f.message)).toEqual([
      `policy.Statement[5].Principal: ${JSON.stringify(principal)} is not allowed. A wildcard principal without a condition lets any AWS account use the key; name the principals, or add a condition such as kms:CallerAccount.`,
    ]);
  });
  test("fails synth", () => {
    expect(() =>
      Testing.synthScope((s) => void new DataKey(s, "k", { ...SEED_PROPS, additionalStatements: [stmt({ Principal: "*" })] })),
    ).toThrow('policy.Statement[5].Principal: "*" is not allowed.');
  });
});

describe("rule administrators-listed (warning)", () => {
  const admins = ["arn:aws:iam::167067248318:user/mavik-developer", "arn:aws:iam::167067248318:user/mavik-deployer"];
  test("compliant: the seed's administrators are the listed ones", () => {
    expect(administratorsListed.check(on(seed, { administrators: admins }))).toEqual([]);
  });
  test("non-compliant: an extra statement gives another principal kms:ScheduleKeyDeletion", () => {
    const extra = stmt({ Sid: "BreakGlass", Action: ["kms:ScheduleKeyDeletion", "kms:DescribeKey"] });
    expect(administratorsListed.check(on(withStatements(extra), { administrators: admins })).map((f) => f.message)).toEqual([
      'arn:aws:iam::167067248318:role/Auditor gets administrative actions (kms:ScheduleKeyDeletion) in "BreakGlass" but is not one of the environment\'s administrators.',
    ]);
  });
});

describe("rule rotation (warning)", () => {
  test("compliant: on, every 365 days as asked", () => {
    expect(rotation.check(on(seed, { rotation: { enabled: true, periodInDays: 365, expectedPeriodInDays: 365 } }))).toEqual([]);
  });
  test.each<[string, { enabled: boolean; periodInDays?: number }, string]>([
    ["disabled", { enabled: false }, "Automatic key rotation is disabled; seed §2.1 and §6 keep it on."],
    ["another period", { enabled: true, periodInDays: 730 }, "The key rotates every 730 days; the environment asks for 365."],
  ])("non-compliant: %s", (_name, r, message) => {
    expect(rotation.check(on(seed, { rotation: { ...r, expectedPeriodInDays: 365 } })).map((f) => f.message)).toEqual([message]);
  });
});
