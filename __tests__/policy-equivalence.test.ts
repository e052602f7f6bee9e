/**
 * "Is the deployed key as configured": verify compares the live policy with the synthesized one
 * by meaning (normalizePolicy). The one thing it must never do is call two policies the same when
 * they decide a request differently. Every rewrite and every change below is checked against
 * iam-simulate, cell by cell (the principals both policies name, the account, another account and
 * a service; eight actions; the witness contexts of each conditional statement): a pair the oracle
 * tells apart must be told apart. Rewrites that IAM reads alike are the same policy.
 *
 * Deliberate disagreement: a renamed Sid decides nothing differently, but is drift here (the Sid is
 * how drift names a statement, and the policy is not as configured). A statement moved is not.
 */
import * as path from "path";
import { environmentStack, EnvironmentConfig, loadEnvironments } from "../app";
import { directCallContext, KeyFacts, PolicyDocument, PolicyStatement, policiesEquivalent, readPolicy, requestPrincipal } from "../modules/index";
import { accessDiff, statementDiff } from "../cli/review/diff";
import { policyDrift, verifyEnvironment } from "../cli/verify/checks";
import { createClients, destroyClients } from "../cli/verify/commands";
import { preflightEnvironment } from "../cli/verify/preflight";
import { ACCOUNT, CORPUS, KEY_ARN, OTHER, REGION } from "./fixtures/policy-corpus";
import { AwsWire, emptyWorld } from "./support/aws-wire";
import { ACTIONS, Oracle, present, principalsOf } from "./support/oracle";
import { REPO, SEED_POLICY } from "./support/synth";
import { witnesses } from "./support/witnesses";

const KEY: KeyFacts = { account: ACCOUNT, partition: "aws", region: REGION, keyArn: KEY_ARN };
const NOW = new Date("2026-11-28T12:00:00Z");

const asked = new Map<string, string[]>();

/** The cells where iam-simulate decides `a` and `b` differently (at most a few, for the message); asked once per pair. */
function oracleDifferences(a: PolicyDocument, b: PolicyDocument): string[] {
  const id = JSON.stringify([a, b]);
  if (!asked.has(id)) asked.set(id, askOracle(a, b));
  return asked.get(id)!;
}

function askOracle(a: PolicyDocument, b: PolicyDocument): string[] {
  const [oa, ob] = [new Oracle(a, KEY_ARN, ACCOUNT), new Oracle(b, KEY_ARN, ACCOUNT)];
  const out: string[] = [];
  for (const principal of new Set([...principalsOf(a), ...principalsOf(b)])) {
    const direct = directCallContext(requestPrincipal(principal), KEY, NOW);
    // A direct call fixes kms:GrantIsForAWSResource (absent); through a service it is set, so it is opened too.
    const bases = [direct, direct.without(["kms:GrantIsForAWSResource"])];
    for (const context of bases.flatMap((base) => [...witnesses(a, base), ...witnesses(b, base)])) {
      for (const action of ACTIONS) {
        const [x, y] = [oa.ask(principal, action, present(context)), ob.ask(principal, action, present(context))];
        if (x.effect !== y.effect || x.keyPolicyResult !== y.keyPolicyResult) out.push(`${principal} ${action}: ${x.effect} / ${y.effect}`);
        if (out.length >= 3) return out;
      }
    }
  }
  return out;
}

const copy = (p: PolicyDocument): PolicyDocument => JSON.parse(JSON.stringify(p));
/** Every object's keys and every list in reverse order (Statement too). */
const reversed = (v: any): any =>
  Array.isArray(v) ? [...v].reverse().map(reversed) : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;
const edit = (p: PolicyDocument, i: number, change: (s: Record<string, any>) => void): PolicyDocument => {
  const c = copy(p);
  change(c.Statement[i] as Record<string, any>);
  return c;
};
const corpus = (name: string) => CORPUS.find((c) => c.name === name)!.policy;
const DENY_EXCEPT_ADMIN = corpus("Deny kms:* except the administrator and the account");
const NOT_RESOURCE = corpus("NotResource: another key");
const DENY_REGION = corpus("Deny StringNotEqualsIgnoreCase on aws:RequestedRegion");
const VIA = corpus("the hardened via-service variant");
const USE = 2; // "Allow use of the key"
/** The seed with its use statement unnamed (matched by its content alone). */
const UNNAMED: PolicyDocument = { ...copy(SEED_POLICY), Statement: [copy(SEED_POLICY).Statement[0], (({ Sid: _sid, ...rest }) => rest)(copy(SEED_POLICY).Statement[USE]) as PolicyStatement] };
const GRANTS = 3; // "Allow attachment of persistent resources"
const ADMINS = 1; // "Allow access for Key Administrators"
const NOT_ROLE = corpus("Deny except a role, its session and the account");
const PATHED = corpus("a role with a path");
const FEDERATED = corpus("an AWS STS federated user named directly, and one in another case");
/** A user's or role's ARN with its name (after the last slash) rewritten. */
const renamed = (arn: string, name: (n: string) => string) => arn.replace(/\/([^/]+)$/, (_m, n: string) => `/${name(n)}`);

/** Rewrites IAM reads as the same policy. */
const SAME: [string, PolicyDocument, PolicyDocument][] = [
  ["statements in another order", SEED_POLICY, { ...copy(SEED_POLICY), Statement: copy(SEED_POLICY).Statement.reverse() }],
  ["lists reordered, single values as lists", SEED_POLICY, edit(SEED_POLICY, USE, (s) => ((s.Action = [...s.Action].reverse()), (s.Resource = ["*"])))],
  ["actions in another case", SEED_POLICY, edit(SEED_POLICY, USE, (s) => (s.Action = s.Action.map((a: string) => a.toUpperCase())))],
  ["an action repeated", SEED_POLICY, edit(SEED_POLICY, USE, (s) => s.Action.push("kms:Decrypt"))],
  ["the account root as a bare account id", SEED_POLICY, edit(SEED_POLICY, 0, (s) => (s.Principal = { AWS: ACCOUNT }))],
  ["a boolean condition value as JSON true", SEED_POLICY, edit(SEED_POLICY, GRANTS, (s) => (s.Condition = { Bool: { "kms:GrantIsForAWSResource": true } }))],
  ["a condition key in another case", SEED_POLICY, edit(SEED_POLICY, GRANTS, (s) => (s.Condition = { Bool: { "KMS:grantisforawsresource": "true" } }))],
  ['"Principal": "*" and { "AWS": "*" }', DENY_REGION, edit(DENY_REGION, 1, (s) => (s.Principal = "*"))],
  ["a NotPrincipal's account as a bare id", DENY_EXCEPT_ADMIN, edit(DENY_EXCEPT_ADMIN, 2, (s) => (s.NotPrincipal = { AWS: [s.NotPrincipal.AWS[0], ACCOUNT] }))],
  ["condition values in another order", VIA, edit(VIA, 1, (s) => s.Condition.StringEquals["kms:ViaService"].reverse())],
  ["a condition value repeated", VIA, edit(VIA, 1, (s) => s.Condition.StringEquals["kms:ViaService"].push("s3.us-east-1.amazonaws.com"))],
  ["conditions split over two operator blocks in another order", VIA, edit(VIA, 1, (s) => (s.Condition = { StringEquals: { "kms:ViaService": s.Condition.StringEquals["kms:ViaService"], "kms:CallerAccount": [ACCOUNT] } }))],
  ["every key, list and statement in another order, other whitespace", VIA, readPolicy(JSON.stringify(reversed(VIA), null, 4))],
  ["the seed: every key, list and statement in another order, other whitespace", SEED_POLICY, readPolicy(JSON.stringify(reversed(SEED_POLICY), null, "\t"))],
  ["an IgnoreCase condition value in another case", DENY_REGION, edit(DENY_REGION, 1, (s) => (s.Condition.StringNotEqualsIgnoreCase["aws:RequestedRegion"] = "us-east-1"))],
  ["an empty Condition", SEED_POLICY, edit(SEED_POLICY, USE, (s) => (s.Condition = {}))],
  ["an unnamed statement with its keys in another order", UNNAMED, { ...copy(UNNAMED), Statement: [UNNAMED.Statement[0], reversed(UNNAMED.Statement[1])] }],
  ["an unnamed statement repeated", UNNAMED, { ...copy(UNNAMED), Statement: [...copy(UNNAMED).Statement, copy(UNNAMED).Statement[1]] }],
  // IAM role names "aren't distinguished by case" (IAM quotas, "IAM name requirements"); a role
  // named in a policy is saved as its unique id, so GetKeyPolicy gives it back as the role's ARN.
  ["a role's name in another case", SEED_POLICY, edit(SEED_POLICY, USE, (s) => (s.Principal.AWS = s.Principal.AWS.map((a: string) => renamed(a, (n) => n.toLowerCase()))))],
  ["a role's name in another case, its path kept", PATHED, edit(PATHED, 1, (s) => (s.Principal.AWS = renamed(s.Principal.AWS, (n) => n.toUpperCase())))],
  // iam-simulate spares every principal of an account the NotPrincipal lists, whatever the user's case.
  ["a NotPrincipal's role in another case", NOT_ROLE, edit(NOT_ROLE, 2, (s) => (s.NotPrincipal.AWS[0] = renamed(s.NotPrincipal.AWS[0], (n) => n.toUpperCase())))],
];

/** Changes that must be told apart. */
const OTHER_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/99999999-8888-7777-6666-555555555555`;
const CHANGED: [string, PolicyDocument, PolicyDocument][] = [
  ["a user added to the key's users", SEED_POLICY, edit(SEED_POLICY, USE, (s) => s.Principal.AWS.push(`arn:aws:iam::${ACCOUNT}:user/intern`))],
  ["an action dropped", SEED_POLICY, edit(SEED_POLICY, USE, (s) => (s.Action = s.Action.filter((a: string) => a !== "kms:Decrypt")))],
  ["Allow turned Deny", SEED_POLICY, edit(SEED_POLICY, USE, (s) => (s.Effect = "Deny"))],
  ["a condition dropped", SEED_POLICY, edit(SEED_POLICY, GRANTS, (s) => delete s.Condition)],
  ["a condition value changed", SEED_POLICY, edit(SEED_POLICY, GRANTS, (s) => (s.Condition = { Bool: { "kms:GrantIsForAWSResource": "false" } }))],
  ["Action turned NotAction", SEED_POLICY, edit(SEED_POLICY, USE, (s) => ((s.NotAction = s.Action), delete s.Action))],
  ["a statement removed", SEED_POLICY, { ...copy(SEED_POLICY), Statement: copy(SEED_POLICY).Statement.filter((_, i) => i !== USE) }],
  [
    "a statement added",
    SEED_POLICY,
    { ...copy(SEED_POLICY), Statement: [...copy(SEED_POLICY).Statement, { Sid: "Console edit", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/intern` }, Action: "kms:Decrypt", Resource: "*" } as PolicyStatement] },
  ],
  ["a NotPrincipal's exempted user changed", DENY_EXCEPT_ADMIN, edit(DENY_EXCEPT_ADMIN, 2, (s) => (s.NotPrincipal = { AWS: [`arn:aws:iam::${ACCOUNT}:user/intern`, s.NotPrincipal.AWS[1]] }))],
  ["a NotResource's key changed to this one", NOT_RESOURCE, edit(NOT_RESOURCE, 1, (s) => (s.NotResource = KEY_ARN))],
  ["a NotResource's key changed to another", NOT_RESOURCE, edit(NOT_RESOURCE, 1, (s) => (s.NotResource = OTHER_KEY))],
  ["a condition operator's case changed", DENY_REGION, edit(DENY_REGION, 1, (s) => (s.Condition = { StringNotEquals: { "aws:RequestedRegion": "US-EAST-1" } }))],
  ["a field the grammar does not name", SEED_POLICY, edit(SEED_POLICY, USE, (s) => (s.Unknown = "x"))],
  ["a Sid renamed", SEED_POLICY, edit(SEED_POLICY, USE, (s) => (s.Sid = "Use"))],
  ["a condition value replaced", VIA, edit(VIA, 1, (s) => (s.Condition.StringEquals["kms:ViaService"][0] = "lambda.us-east-1.amazonaws.com"))],
  [
    "condition values swapped between two keys",
    VIA,
    edit(VIA, 1, (s) => (s.Condition = { StringEquals: { "kms:CallerAccount": "s3.us-east-1.amazonaws.com", "kms:ViaService": [ACCOUNT, "dynamodb.us-east-1.amazonaws.com"] } })),
  ],
  ["a condition value's case changed under a case-sensitive operator", VIA, edit(VIA, 1, (s) => (s.Condition.StringEquals["kms:ViaService"] = ["S3.us-east-1.amazonaws.com", "dynamodb.us-east-1.amazonaws.com"]))],
  ["an unnamed statement's action dropped", UNNAMED, edit(UNNAMED, 1, (s) => (s.Action = s.Action.filter((a: string) => a !== "kms:Decrypt")))],
  [
    "a second statement under the same Sid",
    SEED_POLICY,
    { ...copy(SEED_POLICY), Statement: [...copy(SEED_POLICY).Statement, { Sid: "Allow use of the key", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/intern` }, Action: "kms:Decrypt", Resource: "*" } as PolicyStatement] },
  ],
  ["the Version 2008-10-17", SEED_POLICY, { ...copy(SEED_POLICY), Version: "2008-10-17" as "2012-10-17" }],
  // Only the name is read without case: a path is compared as written (see docs/policy-evaluation.md).
  ["a role's path in another case", PATHED, edit(PATHED, 1, (s) => (s.Principal.AWS = s.Principal.AWS.replace("service-role", "Service-Role")))],
  ["a role's name changed", SEED_POLICY, edit(SEED_POLICY, USE, (s) => (s.Principal.AWS[1] = renamed(s.Principal.AWS[1], (n) => `${n}2`)))],
  // A federated user's name is GetFederationToken's Name, compared as written: no IAM name rule covers it.
  ["a federated user's name in another case", FEDERATED, edit(FEDERATED, 1, (s) => (s.Principal.AWS = renamed(s.Principal.AWS, (n) => n.toLowerCase())))],
  ["the IAM user of a federated user's name in its place", FEDERATED, edit(FEDERATED, 1, (s) => (s.Principal.AWS = `arn:aws:iam::${ACCOUNT}:user/Carol`))],
  // User names in a Principal are case sensitive (IAM User Guide, Principal, IAM user principals).
  ["a NotPrincipal's user in another case (a user's name is case sensitive)", DENY_EXCEPT_ADMIN, edit(DENY_EXCEPT_ADMIN, 2, (s) => (s.NotPrincipal.AWS[0] = renamed(s.NotPrincipal.AWS[0], (n) => n.toUpperCase())))],
];

// The three comparisons: verify's drift (policyDrift), the review's statement diff and preflight's
// live-policy diff (statementDiff, below on the wire too), and policiesEquivalent.
test.each(SAME)("the same policy: %s", (_name, a, b) => {
  expect(oracleDifferences(a, b)).toEqual([]);
  expect(policiesEquivalent(a, b)).toBe(true);
  expect(policyDrift(a, b)).toEqual([]);
  expect(statementDiff(a, b)).toEqual([]);
  expect(accessDiff(a, b, KEY)).toEqual([]);
});

test.each(CHANGED)("told apart: %s", (_name, a, b) => {
  expect(policiesEquivalent(a, b)).toBe(false);
  expect(policyDrift(a, b).length).toBeGreaterThan(0);
  expect(statementDiff(a, b).length).toBeGreaterThan(0);
  if (oracleDifferences(a, b).length > 0) expect(accessDiff(a, b, KEY).length).toBeGreaterThan(0);
});

test("every change the oracle tells apart is among those told apart (and the list holds such changes)", () => {
  const decisive = CHANGED.filter(([, a, b]) => oracleDifferences(a, b).length > 0).map(([name]) => name);
  expect(decisive.length).toBeGreaterThanOrEqual(9);
  // The rest change the text but no decision for this key, and are drift on purpose (see the top).
  // The NotPrincipal change is real (AWS exempts a listed user only with its account listed too), but
  // iam-simulate exempts every principal of a listed account: the documented exception
  // notprincipal-every-identity (docs/policy-evaluation.md). The access diff shows it (below); so
  // for the NotPrincipal user in another case, another user to AWS (a user's name is case sensitive).
  // A role's path is not in its sessions' ARNs: no request tells the two paths apart.
  expect(CHANGED.map(([name]) => name).filter((n) => !decisive.includes(n))).toEqual([
    "a NotPrincipal's exempted user changed",
    "a NotResource's key changed to another",
    "a field the grammar does not name",
    "a Sid renamed",
    "the Version 2008-10-17",
    "a role's path in another case",
    "a NotPrincipal's user in another case (a user's name is case sensitive)",
  ]);
});

test("over the corpus: a policy and its every single-statement deletion are told apart when the oracle tells them apart, by all three", () => {
  let pairs = 0;
  const missed: string[] = [];
  const disagree: string[] = [];
  for (const { name, policy } of CORPUS) {
    // Each policy against itself rewritten (every key, list and statement reversed), and without each statement.
    const variants: [string, PolicyDocument][] = [["rewritten", readPolicy(JSON.stringify(reversed(policy), null, 1))]];
    for (let i = 0; i < policy.Statement.length; i++) variants.push([`without statement ${i}`, { ...copy(policy), Statement: copy(policy).Statement.filter((_, j) => j !== i) }]);
    for (const [what, other] of variants) {
      pairs++;
      const verdicts = [policiesEquivalent(policy, other), policyDrift(policy, other).length === 0, statementDiff(policy, other).length === 0, statementDiff(other, policy).length === 0];
      if (new Set(verdicts).size > 1) disagree.push(`${name} ${what}: ${verdicts}`);
      if (what === "rewritten" && !verdicts[0]) missed.push(`${name} rewritten: told apart`);
      if (verdicts[0] && what !== "rewritten" && oracleDifferences(policy, other).length > 0) missed.push(`${name} ${what}`);
    }
  }
  expect(pairs).toBeGreaterThan(150);
  expect(disagree).toEqual([]);
  expect(missed).toEqual([]);
});

/**
 * A user's name in another case is another principal: "In a Principal element, the user name part
 * of the Amazon Resource Name (ARN) is case sensitive" (IAM User Guide, "AWS JSON policy elements:
 * Principal"). All three comparisons tell it apart, the access diff shows who loses the grant, and
 * iam-simulate decides the two policies differently for that user.
 */
test.each<[string, PolicyDocument, PolicyDocument, string]>([["an administrator's name in another case", SEED_POLICY, edit(SEED_POLICY, ADMINS, (s) => (s.Principal.AWS[0] = renamed(s.Principal.AWS[0], (n) => n.toUpperCase()))), "mavik-developer"]])("another policy, as iam-simulate reads it too: %s", (_name, a, b, user) => {
  expect(policiesEquivalent(a, b)).toBe(false);
  expect(policyDrift(a, b)).not.toEqual([]);
  expect(statementDiff(a, b)).not.toEqual([]);
  expect(accessDiff(a, b, KEY).map((c) => c.principal)).toContain(`arn:aws:iam::${ACCOUNT}:user/${user}`);
  expect(askOracle(a, b).some((d) => d.startsWith(`arn:aws:iam::${ACCOUNT}:user/${user} `))).toBe(true);
});

test("a NotPrincipal or NotResource statement is compared, not dropped", () => {
  expect(policyDrift(DENY_EXCEPT_ADMIN, CHANGED.find(([n]) => n.startsWith("a NotPrincipal"))![2])).toEqual(['statement "OnlyAdmin" differs in NotPrincipal']);
  expect(policyDrift(NOT_RESOURCE, CHANGED.find(([n]) => n === "a NotResource's key changed to this one")![2])).toEqual(['statement "NotOther" differs in NotResource']);
});

describe("the review's access diff", () => {
  test("the NotPrincipal change the oracle reads otherwise: the user exempted before is denied after, and the new one exempted", () => {
    const [, a, b] = CHANGED.find(([n]) => n.startsWith("a NotPrincipal"))!;
    const changes = accessDiff(a, b, KEY).map((c) => `${c.principal} ${c.column}: ${c.before.effect} → ${c.after.effect}`);
    expect(changes).toEqual(
      expect.arrayContaining([`arn:aws:iam::${ACCOUNT}:user/mavik-deployer administer: allow → deny`, `arn:aws:iam::${ACCOUNT}:user/intern administer: deny → iam`]),
    );
  });
});

test("a policy read from elsewhere: one Statement object is a list of one; text that is no policy says so", () => {
  const one = readPolicy(JSON.stringify({ Version: "2012-10-17", Statement: SEED_POLICY.Statement[0] }));
  expect(policiesEquivalent(one, { Version: "2012-10-17", Statement: [SEED_POLICY.Statement[0]] })).toBe(true);
  expect(() => readPolicy("[]")).toThrow("the policy is not a JSON object");
  expect(() => readPolicy('{"Version":"2012-10-17"}')).toThrow("the policy has no Statement");
  // A statement that is no object is refused at the door: the grammar and the comparison read objects.
  expect(() => readPolicy('{"Version":"2012-10-17","Statement":[{"Effect":"Allow"},null]}')).toThrow("the policy's Statement[1] is not a JSON object");
  expect(() => readPolicy('{"Version":"2012-10-17","Statement":"x"}')).toThrow("the policy's Statement[0] is not a JSON object");
});

test("a live policy naming a deleted role (KMS shows its unique id) is reviewed, not refused: no matrix row, the statement diff names it", () => {
  const live = edit(SEED_POLICY, USE, (s) => s.Principal.AWS.push("AROAEXAMPLEID1234567"));
  expect(statementDiff(live, SEED_POLICY)).toEqual([{ kind: "changed", sid: "Allow use of the key", details: ["Principal removed: AWS: AROAEXAMPLEID1234567"] }]);
  expect(accessDiff(live, SEED_POLICY, KEY)).toEqual([]);
  expect(policyDrift(SEED_POLICY, live)).toEqual(['statement "Allow use of the key" differs in Principal']);
});

/**
 * The same comparisons as the deploy meets them: `--preflight` reads the live policy of
 * `existingKeyId` and diffs the synthesized one against it (the review's statement diff);
 * `verify` reads it and reports drift. Both on the wire, through the real SDK clients.
 */
describe("preflight and verify on the wire read the live policy as IAM does", () => {
  const BASE = loadEnvironments(path.join(REPO, "__tests__", "fixtures", "environments.resources.json"))[0];
  /** The reported case: the via-service statement and a partner's statement, with conditions of several values. */
  const CONDITIONAL: EnvironmentConfig = {
    ...BASE,
    serviceAccess: "via-service",
    additionalStatements: [
      {
        Sid: "Partner decrypt through S3",
        Effect: "Allow",
        Principal: { AWS: [`arn:aws:iam::${OTHER}:role/PartnerReader`, `arn:aws:iam::${OTHER}:role/PartnerAudit`] },
        Action: ["kms:Decrypt", "kms:DescribeKey"],
        Resource: "*",
        Condition: { StringEquals: { "kms:ViaService": ["s3.us-east-1.amazonaws.com", "secretsmanager.us-east-1.amazonaws.com"] }, "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": ["o-a1b2c3/r-ab12/ou-ab12-11111111/*", "o-a1b2c3/r-ab12/ou-ab12-22222222/*"] } },
      },
    ],
  };
  let wire: AwsWire;
  const saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    wire = await AwsWire.start(emptyWorld());
    for (const [k, v] of Object.entries({ AWS_ACCESS_KEY_ID: "AKIAWIRETEST", AWS_SECRET_ACCESS_KEY: "wire-test-secret", AWS_EC2_METADATA_DISABLED: "true", AWS_PROFILE: undefined, AWS_SESSION_TOKEN: undefined })) {
      saved[k] = process.env[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  afterAll(async () => {
    await wire.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  /** The existing-key-policy row of preflight and the policy row of verify, for a live policy text. */
  async function against(env: EnvironmentConfig, live: string) {
    wire.reset(emptyWorld({ keys: [{ id: env.existingKeyId!, policy: live }] }));
    const clients = createClients({ region: env.region, endpoint: wire.url, maxAttempts: 1 });
    try {
      const preflight = (await preflightEnvironment(env, clients)).find((r) => r.check === "existing-key-policy")!;
      const verify = (await verifyEnvironment(env, clients, { since: NOW, until: NOW, bindings: [] })).find((r) => r.check === "policy")!;
      return { preflight, verify };
    } finally {
      destroyClients(clients);
    }
  }

  test("the reported case: condition values, keys and statements in another order, other whitespace: unchanged for both", async () => {
    const synthesized = environmentStack(CONDITIONAL).dataKey.policy;
    const { preflight, verify } = await against(CONDITIONAL, JSON.stringify(reversed(synthesized), null, 4));
    expect(preflight).toMatchObject({ status: "pass", reason: "the deploy leaves the live policy as it is" });
    expect(verify).toMatchObject({ status: "pass", reason: "the live policy is the synthesized one (by meaning)" });
  });

  test("one condition value changed in that policy: a change for both", async () => {
    const live = copy(environmentStack(CONDITIONAL).dataKey.policy);
    (live.Statement.at(-1) as any).Condition.StringEquals["kms:ViaService"][1] = "lambda.us-east-1.amazonaws.com";
    const { preflight, verify } = await against(CONDITIONAL, JSON.stringify(live));
    expect(preflight.reason).toBe(
      "the deploy changes 1 statement(s) of the live policy: changed “Partner decrypt through S3”: " +
        "condition added: kms:ViaService = s3.us-east-1.amazonaws.com or secretsmanager.us-east-1.amazonaws.com; " +
        "condition removed: kms:ViaService = s3.us-east-1.amazonaws.com or lambda.us-east-1.amazonaws.com",
    );
    expect(verify).toMatchObject({ status: "fail", reason: 'drift: statement "Partner decrypt through S3" differs in Condition' });
  });

  // The seed is what BASE synthesizes, so a pair above that starts from it is a live policy for BASE.
  // Preflight's diff is statementDiff, checked on every pair above; on the wire (40 ms of synth a
  // run), a few of each kind.
  const fromSeed = (list: typeof SAME, names: string[]) => list.filter(([name, a]) => a === SEED_POLICY && names.includes(name)).map(([name, , b]) => [name, b] as const);
  const sameLive = fromSeed(SAME, ["the seed: every key, list and statement in another order, other whitespace", "the account root as a bare account id", "a condition key in another case", "an empty Condition", "a role's name in another case"]);
  const changedLive = fromSeed(CHANGED, ["a condition value changed", "a second statement under the same Sid", "a field the grammar does not name", "the Version 2008-10-17"]);
  test("the wire cases are there", () => expect([sameLive.length, changedLive.length]).toEqual([5, 4]));
  test.each(sameLive)("the same policy, live: %s", async (_name, live) => {
    const { preflight, verify } = await against(BASE, JSON.stringify(live, null, 2));
    expect([preflight.reason, verify.reason]).toEqual(["the deploy leaves the live policy as it is", "the live policy is the synthesized one (by meaning)"]);
  });
  test.each(changedLive)("told apart, live: %s", async (_name, live) => {
    const { preflight, verify } = await against(BASE, JSON.stringify(live));
    expect(preflight.reason).toMatch(/^the deploy changes \d+ statement\(s\) of the live policy: /);
    expect(verify).toMatchObject({ status: "fail", reason: expect.stringMatching(/^drift: /) });
  });
});
