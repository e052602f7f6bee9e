/**
 * The evaluator's semantics case by case, each as the IAM reference states it (the oracle test
 * checks the same engine against iam-simulate across the corpus).
 */
import {
  accessMatrix,
  Clause,
  describeClause,
  directCallContext,
  evaluate,
  KeyFacts,
  parseOperator,
  PolicyDocument,
  PolicyStatement,
  requestPrincipal,
  RequestContext,
} from "../modules/index";
import { evaluateClause } from "../modules/access/conditions";
import { CORPUS, KEY_ARN } from "./fixtures/policy-corpus";
import { SEED_POLICY } from "./support/synth";

const ACCOUNT = "167067248318";
const KEY: KeyFacts = { account: ACCOUNT, partition: "aws", region: "us-east-1", keyArn: KEY_ARN };
const APP = `arn:aws:iam::${ACCOUNT}:role/MavikLambdaRole`;
const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/MavikLambdaRole/lambda-1`;

/** One clause against a concrete context: true or false. */
function clause(operator: string, key: string, values: string | string[], context: Record<string, string | string[]>, complete = true): boolean | string[] {
  const c: Clause = { operator, key, values: typeof values === "string" ? [values] : values };
  const truth = evaluateClause(parseOperator(operator)!, c, new RequestContext(context, complete));
  return truth.known ? truth.value : truth.clauses.map(describeClause);
}

describe("condition operators, as the IAM reference defines them", () => {
  test.each<[string, string, string | string[], Record<string, string | string[]>, boolean]>([
    ["StringEquals", "aws:username", "bob", { "aws:username": "bob" }, true],
    ["StringEquals", "aws:username", "bob", { "aws:username": "Bob" }, false],
    ["StringEquals", "aws:username", ["alice", "bob"], { "aws:username": "bob" }, true],
    ["StringEquals", "aws:username", "bob", {}, false],
    ["StringNotEquals", "aws:username", ["alice", "bob"], { "aws:username": "bob" }, false],
    ["StringNotEquals", "aws:username", ["alice", "bob"], { "aws:username": "carol" }, true],
    ["StringNotEquals", "aws:username", "bob", {}, true],
    ["StringEqualsIgnoreCase", "aws:username", "BOB", { "aws:username": "bob" }, true],
    ["StringNotEqualsIgnoreCase", "aws:username", "BOB", { "aws:username": "bob" }, false],
    ["StringLike", "aws:PrincipalArn", "arn:aws:iam::*:role/Mavik*", { "aws:PrincipalArn": APP }, true],
    ["StringLike", "aws:PrincipalArn", "arn:aws:iam::*:role/Mavik?", { "aws:PrincipalArn": APP }, false],
    ["StringNotLike", "aws:PrincipalArn", "*:role/Mavik*", { "aws:PrincipalArn": APP }, false],
    ["NumericLessThan", "aws:MultiFactorAuthAge", "3600", { "aws:MultiFactorAuthAge": "120" }, true],
    ["NumericLessThan", "aws:MultiFactorAuthAge", "3600", { "aws:MultiFactorAuthAge": "soon" }, false],
    ["NumericGreaterThanEquals", "aws:MultiFactorAuthAge", "10", { "aws:MultiFactorAuthAge": "10" }, true],
    ["NumericNotEquals", "aws:MultiFactorAuthAge", "0", {}, true],
    ["DateLessThan", "aws:CurrentTime", "2027-01-01T00:00:00Z", { "aws:CurrentTime": "2026-11-28T12:00:00Z" }, true],
    ["DateLessThan", "aws:CurrentTime", "1893456000", { "aws:CurrentTime": "2026-11-28T12:00:00Z" }, true],
    ["DateGreaterThan", "aws:EpochTime", "2026-01-01T00:00:00Z", { "aws:EpochTime": "1795867200" }, true],
    ["DateEquals", "aws:TokenIssueTime", "2026-11-28", { "aws:TokenIssueTime": "2026-11-28T00:00:00Z" }, true],
    ["Bool", "aws:SecureTransport", "true", { "aws:SecureTransport": "TRUE" }, true],
    ["Bool", "aws:SecureTransport", "true", {}, false],
    ["BoolIfExists", "aws:MultiFactorAuthPresent", "false", {}, true],
    ["BinaryEquals", "aws:PrincipalTag/blob", "QmluYXJ5VmFsdWU=", { "aws:PrincipalTag/blob": "QmluYXJ5VmFsdWU=" }, true],
    ["IpAddress", "aws:SourceIp", "203.0.113.0/24", { "aws:SourceIp": "203.0.113.77" }, true],
    ["IpAddress", "aws:SourceIp", "203.0.113.5", { "aws:SourceIp": "203.0.113.6" }, false],
    ["IpAddress", "aws:SourceIp", "2001:db8:1234::/48", { "aws:SourceIp": "2001:db8:1234:ffff::1" }, true],
    ["IpAddress", "aws:SourceIp", "2001:db8:1234::/48", { "aws:SourceIp": "203.0.113.6" }, false],
    ["NotIpAddress", "aws:SourceIp", "10.0.0.0/8", { "aws:SourceIp": "10.1.2.3" }, false],
    ["NotIpAddress", "aws:SourceIp", "10.0.0.0/8", {}, true],
    ["ArnLike", "aws:SourceArn", "arn:aws:events:*:167067248318:rule/mavik-*", { "aws:SourceArn": "arn:aws:events:us-east-1:167067248318:rule/mavik-alerts" }, true],
    ["ArnLike", "aws:SourceArn", "arn:aws:events:*:167067248318:*", { "aws:SourceArn": "arn:aws:events:us-east-1:167067248318:rule/a:b" }, true],
    ["ArnEquals", "aws:SourceArn", "arn:aws:events:*:*:rule/x", { "aws:SourceArn": "arn:aws:events:us-east-1:167067248318:rule/y" }, false],
    ["ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::167067248318:*", { "aws:PrincipalArn": APP }, false],
    ["Null", "kms:EncryptionContextKeys", "true", {}, true],
    ["Null", "kms:EncryptionContextKeys", "false", {}, false],
    ["ForAnyValue:StringEquals", "kms:EncryptionContextKeys", ["Project"], { "kms:EncryptionContextKeys": ["Tenant", "Project"] }, true],
    ["ForAnyValue:StringEquals", "kms:EncryptionContextKeys", ["Project"], {}, false],
    ["ForAllValues:StringEquals", "kms:EncryptionContextKeys", ["Project"], { "kms:EncryptionContextKeys": ["Tenant", "Project"] }, false],
    ["ForAllValues:StringEquals", "kms:EncryptionContextKeys", ["Project"], {}, true],
    ["ForAnyValue:StringNotEquals", "aws:PrincipalOrgPaths", "o-a/r-1/", { "aws:PrincipalOrgPaths": ["o-a/r-1/", "o-b/r-2/"] }, true],
    ["StringEquals", "kms:EncryptionContextKeys", "Project", { "kms:EncryptionContextKeys": ["Project"] }, false],
    ["StringEquals", "aws:PrincipalTag/owner", "${aws:username}", { "aws:PrincipalTag/owner": "bob", "aws:username": "bob" }, true],
    ["StringEquals", "aws:PrincipalTag/owner", "${aws:username}", { "aws:PrincipalTag/owner": "bob" }, false],
    ["StringEquals", "aws:PrincipalTag/team", "${aws:PrincipalTag/lead, 'none'}", { "aws:PrincipalTag/team": "none" }, true],
    ["StringLike", "aws:PrincipalTag/team", "a${*}", { "aws:PrincipalTag/team": "a*" }, true],
    ["StringLike", "aws:PrincipalTag/team", "a${*}", { "aws:PrincipalTag/team": "ab" }, false],
    ["ArnLike", "aws:PrincipalArn", "arn:aws:iam::${aws:PrincipalAccount}:*", { "aws:PrincipalArn": APP, "aws:PrincipalAccount": ACCOUNT }, true],
    ["stringequals", "AWS:UserName", "bob", { "aws:username": "bob" }, true],
  ])("%s %s %j against %j: %s", (operator, key, values, context, expected) => {
    expect(clause(operator, key, values, context)).toBe(expected);
  });

  test("a key the context does not know leaves the clause unknown, named", () => {
    expect(clause("IpAddress", "aws:SourceIp", "10.0.0.0/8", {}, false)).toEqual(["aws:SourceIp in 10.0.0.0/8"]);
    expect(clause("StringEquals", "aws:PrincipalTag/owner", "${aws:username}", { "aws:PrincipalTag/owner": "bob" }, false)).toEqual(["aws:PrincipalTag/owner = ${aws:username}"]);
  });

  test.each<[string, string[], string]>([
    ["StringEquals", ["a", "b"], "k = a or b"],
    ["StringNotEquals", ["a", "b"], "k ≠ a, b"],
    ["ForAnyValue:StringLikeIfExists", ["x*"], "any of k like x* (or k absent: AWS's docs disagree)"],
    ["StringLikeIfExists", ["x*"], "k like x* (if present)"],
    ["Null", ["true"], "k absent"],
    ["DateGreaterThan", ["2027-01-01"], "k after 2027-01-01"],
  ])("a clause in a few words: %s %j", (operator, values, text) => {
    expect(describeClause({ operator, key: "k", values })).toBe(text);
  });
});

describe("principals", () => {
  const policy = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: "2012-10-17", Statement });
  const ask = (p: PolicyDocument, principal: string, action = "kms:Decrypt") =>
    evaluate(p, KEY, { principal, action, context: directCallContext(requestPrincipal(principal), KEY).completed() });

  test("a role names its sessions, whatever the role's path; a session ARN only that session", () => {
    const pathed = policy({ Sid: "R", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/service-role/MavikLambdaRole` }, Action: "kms:Decrypt", Resource: "*" });
    expect(ask(pathed, SESSION)).toMatchObject({ effect: "allow", sids: ["R"] });
    const session = policy({ Sid: "S", Effect: "Allow", Principal: { AWS: SESSION }, Action: "kms:Decrypt", Resource: "*" });
    expect(ask(session, SESSION).effect).toBe("allow");
    expect(ask(session, `arn:aws:sts::${ACCOUNT}:assumed-role/MavikLambdaRole/other`).effect).toBe("deny");
  });
  test("the account, as an id or its root, delegates to IAM; another account's principal needs its own IAM policy", () => {
    for (const entry of [ACCOUNT, `arn:aws:iam::${ACCOUNT}:root`]) {
      expect(ask(policy({ Sid: "A", Effect: "Allow", Principal: { AWS: entry }, Action: "kms:*", Resource: "*" }), SESSION)).toMatchObject({ effect: "iam", sids: ["A"] });
    }
    const partner = "arn:aws:iam::111111111111:role/Partner";
    expect(ask(policy({ Sid: "P", Effect: "Allow", Principal: { AWS: partner }, Action: "kms:Decrypt", Resource: "*" }), partner).effect).toBe("iam");
  });
  test("KMS refuses operations across accounts that its API reference marks Cross-account use: No, whatever the policy", () => {
    const open = policy({ Sid: "O", Effect: "Allow", Principal: { AWS: "111111111111" }, Action: "kms:*", Resource: "*" });
    expect(ask(open, "arn:aws:iam::111111111111:role/Partner", "kms:ScheduleKeyDeletion")).toMatchObject({ effect: "deny", reason: "cross-account" });
    expect(ask(open, "arn:aws:iam::111111111111:role/Partner", "kms:Decrypt").effect).toBe("iam");
  });
  test("a Deny naming the account root denies every principal of the account, the root user too", () => {
    const p = policy(
      { Sid: "Root", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" },
      { Sid: "D", Effect: "Deny", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:PutKeyPolicy", Resource: "*" },
    );
    for (const who of [SESSION, `arn:aws:iam::${ACCOUNT}:root`]) expect(ask(p, who, "kms:PutKeyPolicy")).toMatchObject({ effect: "deny", reason: "explicit", sids: ["D"] });
  });
  test("NotPrincipal: a Deny spares only principals whose every identity is listed (account, role, session)", () => {
    const p = (listed: string[]) =>
      policy(
        { Sid: "Root", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" },
        { Sid: "D", Effect: "Deny", NotPrincipal: { AWS: listed }, Action: "kms:Decrypt", Resource: "*" },
      );
    expect(ask(p([APP]), SESSION).effect).toBe("deny");
    expect(ask(p([APP, `arn:aws:iam::${ACCOUNT}:root`]), SESSION).effect).toBe("deny");
    expect(ask(p([APP, SESSION, `arn:aws:iam::${ACCOUNT}:root`]), SESSION).effect).toBe("iam");
  });
  describe("AWS STS federated user sessions (GetFederationToken)", () => {
    const CAROL = `arn:aws:sts::${ACCOUNT}:federated-user/Carol`;
    const allowing = (entry: string) => policy({ Sid: "F", Effect: "Allow", Principal: { AWS: entry }, Action: "kms:Decrypt", Resource: "*" });
    test("a federated-user ARN names that federated user only: not another name or case, not the IAM user of its name, not another account's", () => {
      expect(ask(allowing(CAROL), CAROL)).toMatchObject({ effect: "allow", sids: ["F"] });
      expect(
        [`arn:aws:sts::${ACCOUNT}:federated-user/carol`, `arn:aws:sts::${ACCOUNT}:federated-user/Bob`, `arn:aws:iam::${ACCOUNT}:user/Carol`, `arn:aws:sts::111111111111:federated-user/Carol`, SESSION].map(
          (who) => [who, ask(allowing(CAROL), who).effect],
        ),
      ).toEqual([
        [`arn:aws:sts::${ACCOUNT}:federated-user/carol`, "deny"],
        [`arn:aws:sts::${ACCOUNT}:federated-user/Bob`, "deny"],
        [`arn:aws:iam::${ACCOUNT}:user/Carol`, "deny"],
        [`arn:aws:sts::111111111111:federated-user/Carol`, "deny"],
        [SESSION, "deny"],
      ]);
    });
    test("an IAM user's ARN does not name the federated users it makes: their names are GetFederationToken's Name", () => {
      expect(ask(allowing(`arn:aws:iam::${ACCOUNT}:user/Carol`), CAROL)).toMatchObject({ effect: "deny", reason: "no-allow" });
    });
    test("the account (id or root) delegates to IAM, \"*\" names it, another account's federated user needs its own IAM policy and no cross-account-No operation", () => {
      expect([ACCOUNT, `arn:aws:iam::${ACCOUNT}:root`, "*"].map((entry) => ask(allowing(entry), CAROL).effect)).toEqual(["iam", "iam", "allow"]);
      const partner = "arn:aws:sts::111111111111:federated-user/Partner";
      const open = policy({ Sid: "P", Effect: "Allow", Principal: { AWS: partner }, Action: "kms:*", Resource: "*" });
      expect([ask(open, partner).effect, ask(open, partner, "kms:ScheduleKeyDeletion")]).toEqual(["iam", expect.objectContaining({ effect: "deny", reason: "cross-account" })]);
    });
    test("NotPrincipal: a Deny spares a federated user only with its account listed too", () => {
      const p = (listed: string[]) =>
        policy(
          { Sid: "Root", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" },
          { Sid: "D", Effect: "Deny", NotPrincipal: { AWS: listed }, Action: "kms:Decrypt", Resource: "*" },
        );
      expect(ask(p([CAROL]), CAROL)).toMatchObject({ effect: "deny", reason: "explicit" });
      expect(ask(p([CAROL, `arn:aws:iam::${ACCOUNT}:root`]), CAROL).effect).toBe("iam");
      expect(ask(p([`arn:aws:iam::${ACCOUNT}:user/Carol`, `arn:aws:iam::${ACCOUNT}:root`]), CAROL)).toMatchObject({ effect: "deny", reason: "explicit" });
    });
    test("a direct call's context: its ARN as aws:PrincipalArn, type FederatedUser, aws:userid account:name, no aws:username", () => {
      const context = directCallContext(requestPrincipal(CAROL), KEY);
      expect(["aws:PrincipalArn", "aws:PrincipalType", "aws:userid", "aws:username", "aws:PrincipalAccount"].map((k) => context.get(k))).toEqual([
        { state: "present", value: CAROL },
        { state: "present", value: "FederatedUser" },
        { state: "present", value: `${ACCOUNT}:Carol` },
        { state: "absent" },
        { state: "present", value: ACCOUNT },
      ]);
    });
    test("the access matrix gives a federated user the policy names its own row", () => {
      const matrix = accessMatrix(policy({ Sid: "Root", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" }, { Sid: "Use", Effect: "Allow", Principal: { AWS: CAROL }, Action: ["kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"], Resource: "*" }), KEY);
      const row = matrix.rows.findIndex((r) => r.principal === CAROL);
      expect([matrix.rows[row]?.label, matrix.columns.map((c, i) => [c.id, matrix.cells[row][i].effect])]).toEqual([
        CAROL,
        [
          ["administer", "iam"],
          ["use", "allow"],
          ["grants", "iam"],
          ["grants-any", "iam"],
          ["describe", "iam"],
        ],
      ]);
    });
  });
  test("a service principal by name, and everyone through \"*\"", () => {
    const p = policy({ Sid: "S3", Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "kms:Decrypt", Resource: "*" });
    expect(ask(p, "s3.amazonaws.com").effect).toBe("allow");
    expect(ask(p, "sqs.amazonaws.com").effect).toBe("deny");
    expect(ask(policy({ Sid: "All", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" }), "sqs.amazonaws.com").effect).toBe("allow");
  });
});

describe("resources and actions", () => {
  const statement = (over: Partial<PolicyStatement>): PolicyDocument => ({
    Version: "2012-10-17",
    Statement: [{ Sid: "X", Effect: "Allow", Principal: { AWS: APP }, Action: "kms:Decrypt", Resource: "*", ...over } as PolicyStatement],
  });
  const ask = (p: PolicyDocument, key: KeyFacts = KEY) => evaluate(p, key, { principal: SESSION, action: "kms:Decrypt", context: directCallContext(requestPrincipal(SESSION), key).completed() });

  test("a statement for another key does not apply; one for this key, or every key, does", () => {
    expect(ask(statement({ Resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/00000000-1111-2222-3333-444444444444` })).effect).toBe("deny");
    expect(ask(statement({ Resource: KEY_ARN })).effect).toBe("allow");
    expect(ask(statement({ Resource: `arn:aws:kms:*:${ACCOUNT}:key/*` })).effect).toBe("allow");
    expect(ask(statement({ Resource: undefined, NotResource: `arn:aws:kms:*:${ACCOUNT}:key/00000000-*` })).effect).toBe("allow");
  });
  test("while the key's id is unknown (a key still to create), a statement naming one key is conditional on it", () => {
    const unknownKey: KeyFacts = { account: ACCOUNT, partition: "aws", region: "us-east-1" };
    const decision = ask(statement({ Resource: KEY_ARN }), unknownKey);
    expect(decision.effect).toBe("deny");
    expect(decision.conditionalGrants.map((g) => g.when.map(describeClause))).toEqual([[`the key is ${KEY_ARN}`]]);
  });
  test("actions compare case-insensitively with wildcards; NotAction grants everything else", () => {
    expect(ask(statement({ Action: "KMS:decrypt" })).effect).toBe("allow");
    expect(ask(statement({ Action: "kms:De*" })).effect).toBe("allow");
    expect(ask(statement({ Action: undefined, NotAction: "kms:Decrypt" })).effect).toBe("deny");
    expect(ask(statement({ Action: undefined, NotAction: "kms:Encrypt" })).effect).toBe("allow");
  });
});

describe("the access matrix tells the truth about conditions", () => {
  const cell = (policy: PolicyDocument, label: string, column: string) => {
    const matrix = accessMatrix(policy, KEY);
    return matrix.cells[matrix.rows.findIndex((r) => r.label === label)][matrix.columns.findIndex((c) => c.id === column)];
  };
  const corpus = (name: string) => CORPUS.find((c) => c.name === name)!.policy;

  test("the seed: who can decrypt Mavik's data", () => {
    const seed = SEED_POLICY as PolicyDocument;
    const shape = (c: ReturnType<typeof cell>) => [c.effect, c.sids, c.reason ?? null, c.allowedWhen.length, c.deniedWhen.length];
    expect(shape(cell(seed, APP, "use"))).toEqual(["allow", ["Allow use of the key"], null, 0, 0]);
    expect(shape(cell(seed, APP, "administer"))).toEqual(["iam", ["Enable IAM User Permissions"], null, 0, 0]);
    expect(shape(cell(seed, "arn:aws:iam::167067248318:user/mavik-deployer", "administer"))).toEqual(["allow", ["Allow access for Key Administrators"], null, 0, 0]);
    expect(shape(cell(seed, "s3.amazonaws.com", "use"))).toEqual(["allow", ["Allow AWS Managed Services To Use Key"], null, 0, 0]);
    expect(shape(cell(seed, "a principal of another account", "use"))).toEqual(["deny", [], "no-allow", 0, 0]);
    expect(shape(cell(seed, "a principal of another account", "administer"))).toEqual(["deny", [], "cross-account", 0, 0]);
  });
  test('a public Decrypt behind an always-true aws:SecureTransport: another account "if its IAM policy allows", which it controls', () => {
    const c = cell(corpus('{"AWS":"*"} Decrypt behind aws:SecureTransport (always true)'), "a principal of another account", "use");
    expect(c.byAction["kms:Decrypt"]).toMatchObject({ effect: "iam", sids: ["Public"] });
  });
  test("a public Decrypt gated on a date: allowed when the date has come, not denied", () => {
    const c = cell(corpus("a public Decrypt gated on a future date"), "a principal of another account", "use");
    expect(c.byAction["kms:Decrypt"].conditionalGrants.map((g) => g.when.map(describeClause))).toEqual([["aws:CurrentTime after 2027-06-01T00:00:00Z"]]);
  });
  test("a protective Deny outside a network: allowed, unless the caller is outside 10.0.0.0/8", () => {
    const c = cell(corpus("Deny outside a network (NotIpAddress)"), APP, "use");
    expect(c.byAction["kms:Decrypt"].conditionalDenies.map((d) => [d.sid, d.when.map(describeClause)])).toEqual([["Network", ["aws:SourceIp not in 10.0.0.0/8"]]]);
  });
  test("the hardened variant: through IAM, and by the key policy alone through the listed services", () => {
    const c = cell(corpus("the hardened via-service variant"), "any other principal of this account", "use");
    expect([c.effect, c.sids, c.allowedWhen.map((g) => [g.sid, g.effect, g.when.map(describeClause)])]).toEqual([
      "iam",
      ["Root"],
      [["Via", "allow", ["kms:ViaService = s3.us-east-1.amazonaws.com or dynamodb.us-east-1.amazonaws.com"]]],
    ]);
  });
});

describe("the differential fuzzer's findings (issue #20), each as AWS documents it", () => {
  const policy = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: "2012-10-17", Statement });
  const ask = (p: PolicyDocument, principal: string, action = "kms:Decrypt") =>
    evaluate(p, KEY, { principal, action, context: directCallContext(requestPrincipal(principal), KEY).completed() });

  test("NotResource whose variable has no value: the statement does not apply (IAM guide, Policy variables with no value)", () => {
    const p = policy({ Sid: "N", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", NotResource: `arn:aws:kms:*:${ACCOUNT}:key/\${aws:username}` });
    // A role's session and a service have no aws:username; a user has one (and its key is not this one).
    expect([ask(p, SESSION).effect, ask(p, "s3.amazonaws.com").effect, ask(p, `arn:aws:iam::${ACCOUNT}:user/bob`).effect]).toEqual(["deny", "deny", "allow"]);
    const deny = policy(
      { Sid: "Root", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" },
      { Sid: "D", Effect: "Deny", Principal: "*", Action: "kms:Decrypt", NotResource: `arn:aws:kms:*:${ACCOUNT}:key/\${aws:username}` },
    );
    expect(ask(deny, SESSION)).toMatchObject({ effect: "iam", sids: ["Root"] });
  });

  test("ForAnyValue:…IfExists on an absent key is false for a request, as ForAnyValue is (absent: no value matches)", () => {
    expect(clause("ForAnyValue:StringEqualsIfExists", "aws:PrincipalOrgPaths", "o-a/r-1/", {})).toBe(false);
    expect(clause("ForAnyValue:StringNotLikeIfExists", "aws:PrincipalOrgPaths", "o-a/*", {})).toBe(false);
    expect(clause("ForAnyValue:StringEqualsIfExists", "aws:PrincipalOrgPaths", "o-a/r-1/", { "aws:PrincipalOrgPaths": ["o-a/r-1/"] })).toBe(true);
    expect(clause("ForAllValues:StringEqualsIfExists", "aws:PrincipalOrgPaths", "o-a/r-1/", {})).toBe(true);
  });

  test("…and the matrix shows such a cell as conditional, not certain: AWS's docs read an absent key both ways", () => {
    const p = policy({ Sid: "Org", Effect: "Allow", Principal: { AWS: APP }, Action: "kms:Decrypt", Resource: "*", Condition: { "ForAnyValue:StringLikeIfExists": { "aws:SourceOrgPaths": "o-a/*" } } });
    const matrix = accessMatrix(p, KEY);
    const c = matrix.cells[matrix.rows.findIndex((r) => r.label === APP)][matrix.columns.findIndex((col) => col.id === "use")];
    const decrypt = c.byAction["kms:Decrypt"];
    expect([decrypt.effect, decrypt.conditionalGrants.map((g) => [g.sid, g.when.map(describeClause)])]).toEqual([
      "deny",
      [["Org", ["any of aws:SourceOrgPaths like o-a/* (or aws:SourceOrgPaths absent: AWS's docs disagree)"]]],
    ]);
  });

  test.each([
    ["a role", `arn:aws:iam::${ACCOUNT}:role/maviklambdarole`, SESSION],
    ["a role with a path", `arn:aws:iam::${ACCOUNT}:role/app/MAVIKLAMBDAROLE`, SESSION],
  ])("%s ARN spelt in another case names it: IAM role names are not case-sensitive, and AWS saves a principal as its unique id", (_what, entry, caller) => {
    expect(ask(policy({ Sid: "P", Effect: "Allow", Principal: { AWS: entry }, Action: "kms:Decrypt", Resource: "*" }), caller)).toMatchObject({ effect: "allow", sids: ["P"] });
    const spared = policy(
      { Sid: "Root", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" },
      { Sid: "D", Effect: "Deny", NotPrincipal: { AWS: [entry, caller, `arn:aws:iam::${ACCOUNT}:root`] }, Action: "kms:Decrypt", Resource: "*" },
    );
    expect(ask(spared, caller).effect).toBe("iam");
  });

  test("a user ARN spelt in another case does not name the user: the user name part of a Principal ARN is case sensitive", () => {
    const caller = `arn:aws:iam::${ACCOUNT}:user/mavik-developer`;
    expect(ask(policy({ Sid: "P", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/Mavik-Developer` }, Action: "kms:Decrypt", Resource: "*" }), caller).effect).toBe("deny");
    expect(ask(policy({ Sid: "P", Effect: "Allow", Principal: { AWS: caller }, Action: "kms:Decrypt", Resource: "*" }), caller)).toMatchObject({ effect: "allow", sids: ["P"] });
  });

  test("NotPrincipal with Allow, which AWS does not support, grants nothing for certain: it is conditional, never a guess", () => {
    const p = policy({ Sid: "AllBut", Effect: "Allow", NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:user/mavik-developer` }, Action: "kms:Decrypt", Resource: "*" });
    const decision = ask(p, SESSION);
    expect([decision.effect, decision.conditionalGrants.map((g) => [g.sid, g.when.map(describeClause)])]).toEqual([
      "deny",
      [["AllBut", ['NotPrincipal with "Effect": "Allow", which AWS does not support']]],
    ]);
  });

  test("a negated operator whose variable has no value matches (IAM guide: inverted operators match a null value)", () => {
    expect(clause("StringNotEquals", "aws:ResourceTag/Team", "${aws:PrincipalTag/Team}", { "aws:ResourceTag/Team": "red" })).toBe(true);
    expect(clause("StringNotLike", "aws:ResourceTag/Team", ["${aws:PrincipalTag/Team}", "blue"], { "aws:ResourceTag/Team": "blue" })).toBe(false);
    expect(clause("ArnNotLike", "aws:SourceArn", "arn:aws:s3:::${aws:PrincipalTag/bucket}", { "aws:SourceArn": "arn:aws:s3:::b" })).toBe(true);
    expect(clause("StringEquals", "aws:ResourceTag/Team", "${aws:PrincipalTag/Team}", { "aws:ResourceTag/Team": "red" })).toBe(false);
  });

  test("a variable before the fifth colon of a Resource ARN is not substituted (IAM guide: only the resource part takes one)", () => {
    const p = policy({ Sid: "V", Effect: "Allow", Principal: { AWS: APP }, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:${aws:PrincipalAccount}:key/*" });
    expect(ask(p, SESSION).effect).toBe("deny");
  });

  test("addresses: 0.0.0.0/0 is every IPv4 address; an IPv6 caller is outside an IPv4 address", () => {
    expect(clause("IpAddress", "aws:SourceIp", "0.0.0.0/0", { "aws:SourceIp": "203.0.113.9" })).toBe(true);
    expect(clause("IpAddress", "aws:SourceIp", "0.0.0.0/0", { "aws:SourceIp": "2001:db8::1" })).toBe(false);
    expect(clause("NotIpAddress", "aws:SourceIp", "203.0.113.9", { "aws:SourceIp": "2001:db8::1" })).toBe(true);
    expect(clause("NotIpAddress", "aws:SourceIp", "2001:db8::1", { "aws:SourceIp": "203.0.113.9" })).toBe(true);
  });
});
