import { Testing } from "cdktf";
import {
  buildKeyPolicy,
  DataKey,
  DataKeyProps,
  knownActions,
  lockout,
  PolicyDocument,
  PolicyStatement,
  policySize,
  uniqueSids,
} from "../modules";
import { SEED_POLICY } from "./support/synth";

/** Each rule: a compliant and a non-compliant case (cdk-nag style). */
const seed = SEED_POLICY as PolicyDocument;
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
    expect(lockout.check(seed)).toEqual([]);
  });
  test("compliant: without root, administrators with kms:Put* may", () => {
    const policy = buildKeyPolicy({ accountId: "167067248318", enableIamUserPermissions: false, administrators: ["user/a"] });
    expect(lockout.check(policy)).toEqual([]);
  });
  test("non-compliant: nobody may call kms:PutKeyPolicy", () => {
    const policy = buildKeyPolicy({ accountId: "167067248318", enableIamUserPermissions: false, users: ["role/App"] });
    expect(lockout.check(policy)).toEqual([
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
    expect(lockout.check(policy).map((f) => f.rule)).toEqual(["lockout"]);
  });
  test("non-compliant: the only grant is conditional", () => {
    const policy: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [stmt({ Action: "kms:*", Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } } })],
    };
    expect(lockout.check(policy)).toHaveLength(1);
  });
});

describe("rule unique-sids", () => {
  test("compliant: the seed's five Sids", () => {
    expect(uniqueSids.check(seed)).toEqual([]);
  });
  test("non-compliant: a second 'Allow use of the key'", () => {
    const findings = uniqueSids.check(withStatements(stmt({ Sid: "Allow use of the key" })));
    expect(findings.map((f) => f.message)).toEqual([
      'policy.Statement[5].Sid: "Allow use of the key" is not allowed. Sids must be unique within a key policy; Statement[2] uses it already.',
    ]);
  });
});

describe("rule known-actions", () => {
  test("compliant: every action and wildcard of the seed", () => {
    expect(knownActions.check(seed)).toEqual([]);
  });
  test.each<[string, string]>([
    ["kms:Decrpyt", 'policy.Statement[5].Action: "kms:Decrpyt" is not allowed. It matches no KMS action in AWS\'s service authorization data (56 actions); did you mean "kms:Decrypt"?'],
    ["kms:Frobnicate*", 'policy.Statement[5].Action: "kms:Frobnicate*" is not allowed. It matches no KMS action in AWS\'s service authorization data (56 actions).'],
    ["s3:GetObject", 'policy.Statement[5].Action: "s3:GetObject" is not allowed. A key policy grants only KMS actions: "kms:<Action>", a wildcard such as "kms:Get*", or "*".'],
  ])("non-compliant: %s", (action, message) => {
    expect(knownActions.check(withStatements(stmt({ Action: ["kms:DescribeKey", action] }))).map((f) => f.message)).toEqual([message]);
  });
  test("NotAction is checked too", () => {
    expect(knownActions.check(withStatements(stmt({ Action: undefined, NotAction: "kms:Decrpyt" })))[0].path).toBe(
      "policy.Statement[5].NotAction",
    );
  });
});

describe("rule policy-size", () => {
  test("compliant: the seed's policy is far below 32 KB", () => {
    expect(policySize.check(seed)).toEqual([]);
  });
  test("non-compliant: 400 extra statements", () => {
    const many = Array.from({ length: 400 }, (_, i) => stmt({ Sid: `Extra${i}` }));
    const findings = policySize.check(withStatements(...many));
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
      'policy.Statement[4].Sid: "Allow use of the key" is not allowed. Sids must be unique within a key policy; Statement[2] uses it already.\n' +
        'policy.Statement[4].Action: "kms:Decrpyt" is not allowed.',
    );
  });
});
