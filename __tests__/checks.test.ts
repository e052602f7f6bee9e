import { Testing } from "cdktf";
import {
  buildKeyPolicy,
  DataKey,
  DataKeyProps,
  knownActions,
  lockout,
  policyGrammar,
  knownConditionKeys,
  resourceThisKey,
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
} from "../modules/index";
import { grammarErrors } from "../cli/review/diff";
import { CORPUS, REFUSED } from "./fixtures/policy-corpus";
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
const policyOf = (...statements: PolicyStatement[]): PolicyDocument => ({ Version: "2012-10-17", Statement: statements });
const stmt = (over: Partial<PolicyStatement>): PolicyStatement => ({
  Sid: "Extra",
  Effect: "Allow",
  Principal: { AWS: "arn:aws:iam::167067248318:role/Auditor" },
  Action: "kms:DescribeKey",
  Resource: "*",
  ...over,
});

describe("rule lockout: as AWS's safety check tests it, for the deployer and for the account", () => {
  const corpus = (name: string) => CORPUS.find((c) => c.name === name)!.policy;
  const DEPLOYER = "arn:aws:iam::167067248318:user/mavik-deployer";
  const NO_DEPLOYER = "policy: the deployer (not named: a principal of account 167067248318, through its IAM policies) could not call kms:PutKeyPolicy: ";
  const NO_DEPLOYER_FIX =
    ". AWS's policy lockout safety check refuses a key policy that takes kms:PutKeyPolicy from the principal applying it. " +
    'Keep the root statement (enableIamUserPermissions), or name the principal that runs cdktf deploy in "deployer" and keep kms:PutKeyPolicy for it.';
  const NAMED_FIX =
    ". AWS's policy lockout safety check refuses a key policy that takes kms:PutKeyPolicy from the principal applying it. " +
    "Keep kms:PutKeyPolicy for the deployer: the root statement (enableIamUserPermissions), or kms:Put* for it among the administrators.";
  const NOBODY =
    "policy: no principal of account 167067248318 could call kms:PutKeyPolicy, so nobody could ever change this key policy again (AWS support cannot recover a KMS key). " +
    "Keep the root statement (enableIamUserPermissions), or kms:PutKeyPolicy for an administrator of the account.";
  const messages = (subject: PolicySubject) => lockout.check(subject).map((f) => [f.severity, f.message]);

  test("compliant: the seed's root statement delegates kms:PutKeyPolicy to the account", () => {
    expect(lockout.check(on(seed))).toEqual([]);
  });
  test("compliant: without the root statement, a named deployer among the administrators with kms:Put*", () => {
    const policy = buildKeyPolicy({ accountId: "167067248318", enableIamUserPermissions: false, administrators: ["user/mavik-deployer"] });
    expect(lockout.check(on(policy, { deployer: DEPLOYER }))).toEqual([]);
  });
  test.each<[string, string | undefined]>([
    ['accepted: "*" with kms:* limited by kms:CallerAccount', undefined],
    ["accepted: the root statement behind aws:SecureTransport", undefined],
    ["accepted: the deployer's PutKeyPolicy limited by its own aws:PrincipalArn", DEPLOYER],
  ])("compliant (AWS accepts it): %s", (name, deployer) => {
    expect(lockout.check(on(corpus(name), { deployer }))).toEqual([]);
  });

  test("non-compliant: without the root statement, an unnamed deployer is not known to keep kms:PutKeyPolicy", () => {
    const policy = buildKeyPolicy({ accountId: "167067248318", enableIamUserPermissions: false, administrators: ["user/mavik-deployer"] });
    expect(messages(on(policy))).toEqual([["error", `${NO_DEPLOYER}no statement allows it${NO_DEPLOYER_FIX}`]]);
  });
  test("a federated user of the account with kms:* still administers the key, as a named user would; the unnamed deployer does not", () => {
    const onlyCarol = policyOf(stmt({ Sid: "Federated", Principal: { AWS: "arn:aws:sts::167067248318:federated-user/Carol" }, Action: "kms:*" }));
    expect(messages(on(onlyCarol))).toEqual([["error", `${NO_DEPLOYER}no statement allows it${NO_DEPLOYER_FIX}`]]);
    expect(lockout.check(on(onlyCarol, { deployer: "arn:aws:sts::167067248318:federated-user/Carol" }))).toEqual([]);
  });
  test("non-compliant: nobody may call kms:PutKeyPolicy", () => {
    const policy = buildKeyPolicy({ accountId: "167067248318", enableIamUserPermissions: false, users: ["role/App"] });
    expect(messages(on(policy))).toEqual([
      ["error", `${NO_DEPLOYER}no statement allows it${NO_DEPLOYER_FIX}`],
      ["error", NOBODY],
    ]);
  });
  test("non-compliant: a Deny of kms:PutKeyPolicy to the account root denies every principal of the account", () => {
    expect(messages(on(corpus("lockout: Deny PutKeyPolicy to the account root")))).toEqual([
      ["error", `${NO_DEPLOYER}denied by "NoRepolicy"${NO_DEPLOYER_FIX}`],
      ["error", NOBODY],
    ]);
  });
  test("non-compliant: an unconditional Deny of kms:PutKeyPolicy to everyone", () => {
    const policy = withStatements(stmt({ Effect: "Deny", Principal: { AWS: "*" }, Action: "kms:PutKeyPolicy" }));
    expect(messages(on(policy))).toEqual([
      ["error", `${NO_DEPLOYER}denied by "Extra"${NO_DEPLOYER_FIX}`],
      ["error", NOBODY],
    ]);
  });
  test("non-compliant: only another account holds kms:* (KMS refuses kms:PutKeyPolicy across accounts)", () => {
    const deployer = "arn:aws:iam::111111111111:root";
    expect(messages(on(corpus("lockout: only another account holds kms:*"), { deployer }))).toEqual([
      ["error", `policy: the deployer "${deployer}" could not call kms:PutKeyPolicy: KMS refuses it from another account${NAMED_FIX}`],
      ["error", NOBODY],
    ]);
  });
  test("non-compliant: no root statement, and the only administrator (the deployer) is denied kms:PutKeyPolicy", () => {
    expect(messages(on(corpus("lockout: no root, the only administrator denied PutKeyPolicy"), { deployer: DEPLOYER }))).toEqual([
      ["error", `policy: the deployer "${DEPLOYER}" could not call kms:PutKeyPolicy: denied by "NoPut"${NAMED_FIX}`],
      ["error", NOBODY],
    ]);
  });
  test("non-compliant: a Deny whose only exception is a principal that nothing allows", () => {
    const deployer = "arn:aws:iam::167067248318:user/mavik-developer";
    expect(messages(on(corpus("lockout: a Deny whose exception nothing allows"), { deployer }))).toEqual([
      ["error", `policy: the deployer "${deployer}" could not call kms:PutKeyPolicy: denied by "OnlyBreakGlass"${NAMED_FIX}`],
      ["error", NOBODY],
    ]);
  });
  test("a warning where only what a deploy's context decides grants it (MFA)", () => {
    const policy = policyOf(stmt({ Principal: { AWS: "*" }, Action: "kms:*", Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } } }));
    expect(messages(on(policy))).toEqual([
      [
        "warning",
        "policy: the deployer (not named: a principal of account 167067248318, through its IAM policies) may call kms:PutKeyPolicy only when aws:MultiFactorAuthPresent = true (\"Extra\"). A deploy that does not meet this is refused by AWS's lockout safety check.",
      ],
    ]);
  });
  test("a warning for a root statement that ends on a date: the policy is judged for as long as it stays", () => {
    const policy = policyOf(stmt({ Sid: "Root", Principal: { AWS: "arn:aws:iam::167067248318:root" }, Action: "kms:*", Condition: { DateLessThan: { "aws:CurrentTime": "2027-01-01T00:00:00Z" } } }));
    expect(messages(on(policy))).toEqual([
      [
        "warning",
        "policy: the deployer (not named: a principal of account 167067248318, through its IAM policies) may call kms:PutKeyPolicy only when aws:CurrentTime before 2027-01-01T00:00:00Z (\"Root\"). A deploy that does not meet this is refused by AWS's lockout safety check.",
      ],
    ]);
  });
});

describe("rule policy-grammar: what the evaluator does not know fails synth, never skipped", () => {
  test("compliant: the seed's policy and every policy of the corpus", () => {
    expect(policyGrammar.check(on(seed))).toEqual([]);
    expect(CORPUS.flatMap((c) => policyGrammar.check(on(c.policy)))).toEqual([]);
  });
  test.each<[string, Partial<PolicyStatement>, string]>([
    ["an operator with a typo", { Condition: { StringEqual: { "kms:CallerAccount": "167067248318" } } }, 'policy.Statement[5].Condition: "StringEqual" is not allowed. It is no condition operator of the IAM reference; did you mean "StringEquals"?'],
    ["a typo under a set qualifier", { Condition: { "ForAnyValue:StringLke": { "kms:EncryptionContextKeys": "a" } } }, 'policy.Statement[5].Condition: "ForAnyValue:StringLke" is not allowed. It is no condition operator of the IAM reference; did you mean "ForAnyValue:StringLike"?'],
    ["a bare name as a principal", { Principal: { AWS: "mavik-deployer" } }, 'policy.Statement[5].Principal.AWS: "mavik-deployer" is not allowed. An AWS principal is "*", a 12-digit account id, or an ARN: arn:<partition>:iam::<account>:root, :user/<name>, :role/<name> (with its path: :role/<path>/<name>), arn:<partition>:sts::<account>:assumed-role/<role>/<session>, or :federated-user/<name>.'],
    [
      "a user group as a principal",
      { Principal: { AWS: "arn:aws:iam::167067248318:group/KeyAdmins" } },
      'policy.Statement[5].Principal.AWS: "arn:aws:iam::167067248318:group/KeyAdmins" is not allowed. A user group is no principal ("You cannot identify a user group as a principal in a policy": IAM reference, Principal); name its users.',
    ],
    [
      "a wildcard within a role ARN",
      { Principal: { AWS: "arn:aws:iam::167067248318:role/Mavik*" } },
      'policy.Statement[5].Principal.AWS: "arn:aws:iam::167067248318:role/Mavik*" is not allowed. A principal ARN is matched whole ("You cannot use a wildcard to match part of a principal name or ARN": IAM reference, Principal); write "*" and test aws:PrincipalArn with ArnLike in a Condition.',
    ],
    [
      "every federated user of an account by a wildcard",
      { Principal: { AWS: "arn:aws:sts::167067248318:federated-user/*" } },
      'policy.Statement[5].Principal.AWS: "arn:aws:sts::167067248318:federated-user/*" is not allowed. A principal ARN is matched whole ("You cannot use a wildcard to match part of a principal name or ARN": IAM reference, Principal); write "*" and test aws:PrincipalArn with ArnLike in a Condition.',
    ],
    [
      "a federated user's name with a slash (GetFederationToken's Name has none)",
      { Principal: { AWS: "arn:aws:sts::167067248318:federated-user/ops/carol" } },
      'policy.Statement[5].Principal.AWS: "arn:aws:sts::167067248318:federated-user/ops/carol" is not allowed. An AWS principal is "*", a 12-digit account id, or an ARN: arn:<partition>:iam::<account>:root, :user/<name>, :role/<name> (with its path: :role/<path>/<name>), arn:<partition>:sts::<account>:assumed-role/<role>/<session>, or :federated-user/<name>.',
    ],
    [
      "a federated user under Federated",
      { Principal: { Federated: "arn:aws:sts::167067248318:federated-user/carol" } },
      'policy.Statement[5].Principal.Federated: "Federated" is not allowed. A KMS key policy names AWS principals (AWS) and AWS services (Service); Federated (an identity provider, for role trust policies) and CanonicalUser principals cannot use a KMS key. An AWS STS federated user session is an AWS principal: { "AWS": "arn:<partition>:sts::<account>:federated-user/<name>" }.',
    ],
    ["a federated principal", { Principal: { Federated: "cognito-identity.amazonaws.com" } }, 'policy.Statement[5].Principal.Federated: "Federated" is not allowed. A KMS key policy names AWS principals (AWS) and AWS services (Service); Federated (an identity provider, for role trust policies) and CanonicalUser principals cannot use a KMS key. An AWS STS federated user session is an AWS principal: { "AWS": "arn:<partition>:sts::<account>:federated-user/<name>" }.'],
    ["a number where a NumericLessThan needs one", { Condition: { NumericLessThan: { "aws:MultiFactorAuthAge": "an hour" } } }, 'policy.Statement[5].Condition.NumericLessThan.aws:MultiFactorAuthAge: "an hour" is not allowed. A Numeric operator compares numbers, such as "1" or "2.5".'],
    ["a date that is none", { Condition: { DateGreaterThan: { "aws:CurrentTime": "next year" } } }, 'policy.Statement[5].Condition.DateGreaterThan.aws:CurrentTime: "next year" is not allowed. A Date operator compares ISO 8601 dates ("2026-01-01T00:00:00Z") or epoch seconds.'],
    ["an address range that is none", { Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/33" } } }, 'policy.Statement[5].Condition.IpAddress.aws:SourceIp: "10.0.0.0/33" is not allowed. An IP address operator compares IPv4 or IPv6 addresses or CIDR ranges such as "203.0.113.0/24".'],
    ["Bool with yes", { Condition: { Bool: { "aws:SecureTransport": "yes" } } }, 'policy.Statement[5].Condition.Bool.aws:SecureTransport: "yes" is not allowed. Bool compares "true" or "false".'],
    ["both Resource and NotResource", { NotResource: "arn:aws:kms:*:*:key/*" }, 'policy.Statement[5]: "both Resource and NotResource" is not allowed. A key policy statement names its resource ("*": this key) with exactly one of Resource and NotResource.'],
    ["no principal", { Principal: undefined }, 'policy.Statement[5]: "no Principal or NotPrincipal" is not allowed. A key policy statement names its principals with exactly one of Principal and NotPrincipal.'],
    ["a condition value that is an object", { Condition: { StringEquals: { "kms:CallerAccount": { account: "1" } } } } as unknown as Partial<PolicyStatement>, 'policy.Statement[5].Condition.StringEquals.kms:CallerAccount: {"account":"1"} is not allowed. Condition values are strings, numbers or Booleans.'],
    ["a condition value that is null", { Condition: { StringEquals: { "kms:CallerAccount": [null] } } } as unknown as Partial<PolicyStatement>, "policy.Statement[5].Condition.StringEquals.kms:CallerAccount: null is not allowed. Condition values are strings, numbers or Booleans."],
    ["a Boolean where a number is needed", { Condition: { NumericLessThan: { "aws:MultiFactorAuthAge": true } } }, 'policy.Statement[5].Condition.NumericLessThan.aws:MultiFactorAuthAge: true is not allowed. A Numeric operator compares numbers, such as "1" or "2.5".'],
    ["an unknown element", { Principals: "*" } as Partial<PolicyStatement>, 'policy.Statement[5].Principals: "Principals" is not allowed. A statement\'s elements are Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource, Condition.'],
    [
      "NotPrincipal with Allow, which AWS does not support",
      { Principal: undefined, NotPrincipal: { AWS: "arn:aws:iam::167067248318:user/mavik-developer" } },
      'policy.Statement[5].NotPrincipal: {"AWS":"arn:aws:iam::167067248318:user/mavik-developer"} is not allowed. NotPrincipal is for "Effect": "Deny" only; AWS does not support it with "Allow". Name the principals to allow in Principal, or deny everyone else with a Deny (NotPrincipal, or aws:PrincipalArn in a condition).',
    ],
    [
      "a policy variable in a Resource ARN's account",
      { Resource: "arn:aws:kms:us-east-1:${aws:PrincipalAccount}:key/*" },
      'policy.Statement[5].Resource: "arn:aws:kms:us-east-1:${aws:PrincipalAccount}:key/*" is not allowed. AWS substitutes a policy variable only in the resource part of an ARN, after its fifth colon; write the partition, service, region and account as text or wildcards.',
    ],
    [
      "a policy variable in a NotResource ARN's region",
      { Resource: undefined, NotResource: ["arn:aws:kms:*:167067248318:key/*", "arn:aws:kms:${aws:RequestedRegion}:167067248318:key/*"] },
      'policy.Statement[5].NotResource: "arn:aws:kms:${aws:RequestedRegion}:167067248318:key/*" is not allowed. AWS substitutes a policy variable only in the resource part of an ARN, after its fifth colon; write the partition, service, region and account as text or wildcards.',
    ],
    [
      "an ARN operator's value that is no ARN",
      { Condition: { ArnNotLike: { "aws:PrincipalArn": "arn:aws:*" } } },
      'policy.Statement[5].Condition.ArnNotLike.aws:PrincipalArn: "arn:aws:*" is not allowed. An ARN operator compares ARNs of six colon-separated parts, with wildcards within a part ("arn:aws:events:*:*:rule/*").',
    ],
  ])("non-compliant: %s", (_name, over, message) => {
    const statement = Object.fromEntries(Object.entries(stmt(over)).filter(([, v]) => v !== undefined)) as PolicyStatement;
    expect(policyGrammar.check(on(withStatements(statement))).map((f) => f.message)).toEqual([message]);
  });
  test.each<[string, Partial<PolicyStatement>]>([
    // IAM reference, "AWS JSON policy elements: Principal", "AWS STS federated user principals".
    ["an AWS STS federated user session", { Principal: { AWS: "arn:aws:sts::167067248318:federated-user/carol@example.com" } }],
    ["a federated user of another account, in a list", { Principal: { AWS: ["arn:aws:iam::167067248318:role/Auditor", "arn:aws-us-gov:sts::111111111111:federated-user/Ops.Bot_1"] } }],
    ["a federated user spared by a Deny's NotPrincipal, with its account", { Effect: "Deny", Principal: undefined, NotPrincipal: { AWS: ["arn:aws:sts::167067248318:federated-user/carol", "arn:aws:iam::167067248318:root"] } }],
    // IAM Identity Center's roles carry a path: aws-reserved/sso.amazonaws.com/<region>/.
    ["an IAM Identity Center permission set's role, with its path", { Principal: { AWS: "arn:aws:iam::167067248318:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_KeyAdmin_0123456789abcdef" } }],
  ])("compliant: %s", (_name, over) => {
    const statement = Object.fromEntries(Object.entries(stmt(over)).filter(([, v]) => v !== undefined)) as PolicyStatement;
    expect(policyGrammar.check(on(withStatements(statement)))).toEqual([]);
    // A live policy (GetKeyPolicy, a plan's prior state) naming it is evaluated, not "could not evaluate".
    expect(grammarErrors(withStatements(statement), "live policy")).toEqual([]);
  });
  test("an added statement naming a federated user synthesizes, and keeps it as written", () => {
    const federated = stmt({ Sid: "Federated", Principal: { AWS: "arn:aws:sts::167067248318:federated-user/carol" }, Action: "kms:Decrypt" });
    const synth = JSON.parse(Testing.synthScope((s) => void new DataKey(s, "k", { ...SEED_PROPS, additionalStatements: [federated] })));
    const policy = JSON.parse((Object.values(synth.resource.aws_kms_key)[0] as { policy: string }).policy);
    expect(policy.Statement[5]).toEqual(federated);
  });
  test("compliant: a variable in an ARN's resource part, a Deny with NotPrincipal, an ARN operator's variable", () => {
    const statements = [
      stmt({ Resource: "arn:aws:kms:*:167067248318:key/${aws:PrincipalTag/keyid}" }),
      stmt({ Effect: "Deny", Principal: undefined, NotPrincipal: { AWS: "arn:aws:iam::167067248318:root" } }),
      stmt({ Condition: { ArnLike: { "aws:PrincipalArn": ["arn:aws:iam::${aws:PrincipalAccount}:*", "${aws:PrincipalTag/arn}"] } } }),
    ].map((s) => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as PolicyStatement);
    expect(policyGrammar.check(on(withStatements(...statements)))).toEqual([]);
  });
  test.each(REFUSED.map((r) => [r.name, r] as const))("the corpus's refused policy %s is refused at its path", (_name, { policy, path }) => {
    expect(policyGrammar.check(on(policy)).map((f) => f.path)).toEqual([path]);
  });
  test("compliant: numbers and Booleans as condition values, as IAM's grammar allows (read as their text)", () => {
    const statement = stmt({ Condition: { Bool: { "aws:SecureTransport": true }, NumericLessThan: { "aws:MultiFactorAuthAge": [3600, "7200"] } } });
    expect(policyGrammar.check(on(withStatements(statement)))).toEqual([]);
  });
  test("fails synth through DataKey, before any rule evaluates the policy", () => {
    expect(() =>
      Testing.synthScope((s) => void new DataKey(s, "k", { ...SEED_PROPS, additionalStatements: [stmt({ Condition: { StringEqual: { "kms:CallerAccount": "167067248318" } } })] })),
    ).toThrow(/^additionalStatements\[0\] \(policy\.Statement\[5\]\)\.Condition: "StringEqual" is not allowed\. It is no condition operator of the IAM reference; did you mean "StringEquals"\?$/);
  });
  test("NotPrincipal with Allow among additionalStatements fails synth, naming the statement and the field", () => {
    const allBut = { Sid: "AllBut", Effect: "Allow", NotPrincipal: { AWS: "arn:aws:iam::167067248318:user/mavik-developer" }, Action: "kms:Decrypt", Resource: "*" } as PolicyStatement;
    expect(() => Testing.synthScope((s) => void new DataKey(s, "k", { ...SEED_PROPS, additionalStatements: [allBut] }))).toThrow(
      /^additionalStatements\[0\] \(policy\.Statement\[5\]\)\.NotPrincipal: \{"AWS":"arn:aws:iam::167067248318:user\/mavik-developer"\} is not allowed\. NotPrincipal is for "Effect": "Deny" only/,
    );
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

describe("rule known-condition-keys", () => {
  test(`compliant: the seed's keys and every key the ${CORPUS.length} policies of the corpus test`, () => {
    expect(knownConditionKeys.check(on(seed))).toEqual([]);
    expect(CORPUS.flatMap((c) => knownConditionKeys.check(on(c.policy)))).toEqual([]);
  });
  test.each<[string, Partial<PolicyStatement>, string]>([
    [
      "a typo in a Deny's negated key: it always holds, so the Deny closes the key",
      { Effect: "Deny", Principal: "*", Action: "kms:*", Condition: { StringNotEquals: { "aws:PrincpalArn": "arn:aws:iam::167067248318:role/Admin" } } },
      'policy.Statement[5].Condition.StringNotEquals: "aws:PrincpalArn" is no condition key a KMS request carries (AWS\'s global keys and KMS\'s own); did you mean "aws:principalarn"? Every request sees it absent, so the condition always holds.',
    ],
    [
      "a typo in an Allow's key: it never holds",
      { Condition: { StringEquals: { "kms:ViaServce": "s3.us-east-1.amazonaws.com" } } },
      'policy.Statement[5].Condition.StringEquals: "kms:ViaServce" is no condition key a KMS request carries (AWS\'s global keys and KMS\'s own); did you mean "kms:viaservice"? Every request sees it absent, so the condition never holds.',
    ],
    [
      "a Null test that it is absent: it always holds",
      { Condition: { Null: { "aws:SourceVpcee": "true" } } },
      'policy.Statement[5].Condition.Null: "aws:SourceVpcee" is no condition key a KMS request carries (AWS\'s global keys and KMS\'s own); did you mean "aws:sourcevpce"? Every request sees it absent, so the condition always holds.',
    ],
    [
      "another service's key",
      { Condition: { StringLike: { "s3:prefix": "home/" } } },
      'policy.Statement[5].Condition.StringLike: "s3:prefix" is no condition key a KMS request carries (AWS\'s global keys and KMS\'s own). Every request sees it absent, so the condition never holds.',
    ],
  ])("a warning: %s", (_name, over, message) => {
    expect(knownConditionKeys.check(on(withStatements(stmt(over)))).map((f) => [f.severity, f.message])).toEqual([["warning", message]]);
  });
  test("keyed keys (a tag, an encryption context key) are known by their prefix", () => {
    const statement = stmt({ Condition: { StringEquals: { "aws:PrincipalTag/team": "data", "kms:EncryptionContext:Project": "ssot", "aws:ResourceTag/env": "prod" } } });
    expect(knownConditionKeys.check(on(withStatements(statement)))).toEqual([]);
  });
});

describe("rule resource-this-key", () => {
  const KEY = "arn:aws:kms:us-east-1:167067248318:key/cb424700-0dd0-4dcb-a77d-13af16579270";
  test("compliant: the seed's \"*\", a wildcard ARN, and the adopted key's own ARN", () => {
    expect(resourceThisKey.check(on(seed))).toEqual([]);
    expect(resourceThisKey.check(on(withStatements(stmt({ Resource: "arn:aws:kms:*:167067248318:key/*" }))))).toEqual([]);
    expect(resourceThisKey.check({ ...on(withStatements(stmt({ Resource: KEY }))), keyArn: KEY })).toEqual([]);
  });
  test.each<[string, Partial<PolicyStatement>, string]>([
    ["another key's ARN", { Resource: "arn:aws:kms:us-east-1:167067248318:key/other" }, 'policy.Statement[5].Resource: "arn:aws:kms:us-east-1:167067248318:key/other" is not this key ("*" is, in a key policy), so the statement never applies. Write "*".'],
    ['NotResource "*"', { Resource: undefined, NotResource: "*" }, 'policy.Statement[5].NotResource: "*" excludes this key, so the statement never applies.'],
  ])("a warning: %s", (_name, over, message) => {
    const statement = Object.fromEntries(Object.entries(stmt(over)).filter(([, v]) => v !== undefined)) as PolicyStatement;
    expect(resourceThisKey.check(on(withStatements(statement))).map((f) => [f.severity, f.message])).toEqual([["warning", message]]);
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
  test.each<[string, string]>([
    ["kms:CreateKey", "kms:CreateKey"],
    ["kms:ListKeys", "kms:ListKeys"],
    ["kms:*CustomKeyStore*", "kms:ConnectCustomKeyStore, kms:CreateCustomKeyStore, kms:DeleteCustomKeyStore, kms:DescribeCustomKeyStores, kms:DisconnectCustomKeyStore, kms:UpdateCustomKeyStore"],
  ])("a warning: %s acts on no key", (action, matched) => {
    expect(knownActions.check(on(withStatements(stmt({ Action: action })))).map((f) => [f.severity, f.message])).toEqual([
      ["warning", `policy.Statement[5].Action: ${JSON.stringify(action)} acts on no KMS key (${matched}), so a key policy cannot grant it; it belongs in an IAM policy.`],
    ]);
  });
  test("no warning for a wildcard that also matches actions on the key (kms:List*)", () => {
    expect(knownActions.check(on(withStatements(stmt({ Action: "kms:List*" }))))).toEqual([]);
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
    ["duplicate Sids", { additionalStatements: [stmt({ Sid: "Allow use of the key" })] }, 'additionalStatements[0] (policy.Statement[4]).Sid: "Allow use of the key" is not allowed.'],
    ["an unknown action", { additionalStatements: [stmt({ Action: "kms:Decrpyt" })] }, 'additionalStatements[0] (policy.Statement[4]).Action: "kms:Decrpyt" is not allowed.'],
    ["lockout", { enableIamUserPermissions: false, administrators: undefined }, "policy: no principal of account 167067248318 could call kms:PutKeyPolicy"],
    ["lockout for the named deployer", { enableIamUserPermissions: false, deployer: "user/mavik-developer" }, 'policy: the deployer "arn:aws:iam::167067248318:user/mavik-developer" could not call kms:PutKeyPolicy: no statement allows it.'],
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
      'additionalStatements[0] (policy.Statement[4]).Action: "kms:Decrpyt" is not allowed. It matches no KMS action in AWS\'s service authorization data (56 actions); did you mean "kms:Decrypt"?\n' +
        'additionalStatements[0] (policy.Statement[4]).Sid: "Allow use of the key" is not allowed. Sids must be unique within a key policy; Statement[2] uses it already.',
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

describe("rule admin-self-grant (info): asked of the evaluator", () => {
  test("compliant: administrators without Create* or Put*", () => {
    const policy = withStatements();
    const trimmed = { ...policy, Statement: policy.Statement.filter((s) => s.Sid !== "Allow access for Key Administrators") };
    expect(adminSelfGrant.check(on(trimmed))).toEqual([]);
  });
  test("compliant: a Deny takes the self-grant away", () => {
    const denied = withStatements(
      stmt({ Sid: "NoSelfGrant", Effect: "Deny", Principal: { AWS: "*" }, Action: "kms:CreateGrant", Condition: { Bool: { "kms:GrantIsForAWSResource": "false" } } }),
      stmt({ Sid: "NoRepolicy", Effect: "Deny", Principal: { AWS: "*" }, Action: "kms:PutKeyPolicy", Condition: { StringNotEquals: { "aws:PrincipalArn": "arn:aws:iam::167067248318:role/BreakGlass" } } }),
    );
    expect(adminSelfGrant.check(on(denied))).toEqual([]);
  });
  test("non-compliant: the seed's administrators, named", () => {
    expect(adminSelfGrant.check(on(seed)).map((f) => [f.severity, f.message])).toEqual([
      ["info", "arn:aws:iam::167067248318:user/mavik-developer can grant itself data access through kms:CreateGrant and kms:PutKeyPolicy."],
      ["info", "arn:aws:iam::167067248318:user/mavik-deployer can grant itself data access through kms:CreateGrant and kms:PutKeyPolicy."],
    ]);
  });
  test("non-compliant: a federated user with kms:* is named too", () => {
    expect(adminSelfGrant.check(on(CORPUS.find((c) => c.name === "a federated user with kms:*, no root statement")!.policy)).map((f) => f.message)).toEqual([
      "arn:aws:sts::167067248318:federated-user/Carol can grant itself data access through kms:CreateGrant and kms:PutKeyPolicy.",
      "arn:aws:iam::167067248318:user/mavik-deployer can grant itself data access through kms:CreateGrant and kms:PutKeyPolicy.",
    ]);
  });
  test("non-compliant, under a condition: only with MFA", () => {
    const policy = policyOf(
      stmt({ Sid: "Root", Principal: { AWS: "arn:aws:iam::167067248318:root" }, Action: "kms:*" }),
      stmt({ Principal: { AWS: "arn:aws:iam::167067248318:role/Ops" }, Action: "kms:CreateGrant", Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } } }),
    );
    expect(adminSelfGrant.check(on(policy)).map((f) => f.message)).toEqual([
      "arn:aws:iam::167067248318:role/Ops can grant itself data access through kms:CreateGrant when aws:MultiFactorAuthPresent = true.",
    ]);
  });
});

describe('rule wildcard-principal: what a principal of another account gets through a "*" statement', () => {
  test("compliant: a wildcard limited by kms:CallerAccount", () => {
    expect(wildcardPrincipal.check(on(withStatements(stmt({ Principal: { AWS: "*" }, Condition: { StringEquals: { "kms:CallerAccount": "167067248318" } } }))))).toEqual([]);
  });
  test("compliant: the hardened via-service statement", () => {
    expect(wildcardPrincipal.check(on(buildKeyPolicy({ ...SEED_PROPS, serviceAccess: "via-service", region: "us-east-1" })))).toEqual([]);
  });
  test.each([["*"], [{ AWS: "*" }]])("non-compliant: Principal %j without a condition", (principal) => {
    expect(wildcardPrincipal.check(on(withStatements(stmt({ Principal: principal as PolicyStatement["Principal"] })))).map((f) => [f.severity, f.message])).toEqual([
      [
        "error",
        `policy.Statement[5].Principal: ${JSON.stringify(principal)} is not allowed. Through "Extra" a principal of any other AWS account may call kms:DescribeKey (its own IAM policy is all it needs). Name the principals, or limit the statement with a condition such as kms:CallerAccount or aws:PrincipalOrgID.`,
      ],
    ]);
  });
  test("non-compliant: a condition that is always true for any caller (aws:SecureTransport) protects nothing", () => {
    const policy = CORPUS.find((c) => c.name.startsWith('{"AWS":"*"} Decrypt behind aws:SecureTransport'))!.policy;
    expect(wildcardPrincipal.check(on(policy)).map((f) => f.severity)).toEqual(["error"]);
  });
  test("a warning for access from anywhere that depends on the call's context (here, a date)", () => {
    const policy = CORPUS.find((c) => c.name === "a public Decrypt gated on a future date")!.policy;
    expect(wildcardPrincipal.check(on(policy)).map((f) => [f.severity, f.message])).toEqual([
      [
        "warning",
        'policy.Statement[1].Principal ("Later") lets a principal of another account call kms:Decrypt when aws:CurrentTime after 2027-06-01T00:00:00Z. Check that these conditions hold only for callers you trust.',
      ],
    ]);
  });
  test("fails synth", () => {
    expect(() => Testing.synthScope((s) => void new DataKey(s, "k", { ...SEED_PROPS, additionalStatements: [stmt({ Principal: "*" })] }))).toThrow(
      'additionalStatements[0] (policy.Statement[5]).Principal: "*" is not allowed.',
    );
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
