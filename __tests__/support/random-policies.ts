/**
 * Random key policies and requests for the differential test against iam-simulate, from a seed:
 * the same seed and index give the same policy and requests, on any machine.
 *
 * The policies use every part of the grammar a key policy may: Principal in every form and case
 * (`"*"`, accounts as ids and roots, users, roles with and without their path, sessions, AWS STS
 * federated users, one of them named as an IAM user is, services, another account), NotPrincipal (with Deny: the grammar refuses it with Allow), Action and
 * NotAction with wildcards, Resource and NotResource (this key, every key, another key, an alias,
 * policy variables in the resource part), and conditions of every operator family with IfExists and
 * ForAnyValue/ForAllValues, policy variables with and without defaults. The values come from small
 * pools shared with the requests, so that conditions hold as often as they fail.
 *
 * A few policies are of the shapes the policy-grammar rule refuses (NotPrincipal with Allow, a
 * variable before an ARN's resource part); each says which path the refusal must name.
 */
import { directCallContext, KeyFacts, PolicyDocument, PolicyPrincipal, PolicyStatement, RequestContext, requestPrincipal } from "../../modules/index";
import type { ContextValue } from "../../modules/index";
import { splitVariables } from "../../modules/access/conditions";
import { ACCOUNT, KEY_ARN, KEY_ID, OTHER, REGION } from "../fixtures/policy-corpus";

export const FUZZ_KEY: KeyFacts = { account: ACCOUNT, partition: "aws", region: REGION, keyArn: KEY_ARN };

/** mulberry32: a small PRNG with a 32-bit state, enough to spread the choices below evenly. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)];
  }

  /** 1 to `max` distinct picks. */
  some<T>(list: readonly T[], max: number): T[] {
    const count = 1 + this.int(Math.min(max, list.length));
    const pool = [...list];
    return Array.from({ length: count }, () => pool.splice(this.int(pool.length), 1)[0]);
  }
}

/** The seed of policy `index` of a run seeded `seed`: each policy can be made again on its own. */
export function policySeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}

const iam = (resource: string, account = ACCOUNT) => `arn:aws:iam::${account}:${resource}`;
const session = (role: string, name = "s1", account = ACCOUNT) => `arn:aws:sts::${account}:assumed-role/${role}/${name}`;
const federated = (name: string, account = ACCOUNT) => `arn:aws:sts::${account}:federated-user/${name}`;

/** The identities that exist: users and roles by their real names (a role's path apart). */
const USERS = ["mavik-deployer", "DataOps"];
const ROLES: readonly { readonly name: string; readonly path: string }[] = [
  { name: "MavikLambdaRole", path: "" },
  { name: "BreakGlass", path: "ops/" },
  { name: "Auditor", path: "" },
];
const SERVICES = ["s3.amazonaws.com", "sqs.amazonaws.com", "events.amazonaws.com"];
/** Federated users (GetFederationToken's Name): one with an IAM user's name, one without. */
const FEDERATED = ["DataOps", "Carol"];

/** Who asks: every identity above, a role no policy names, another account's, and services. */
export const CALLERS: readonly string[] = [
  iam("root"),
  ...USERS.map((u) => iam(`user/${u}`)),
  ...ROLES.map((r) => session(r.name)),
  session("MavikLambdaRole", "s2"),
  session("Stranger"),
  iam("root", OTHER),
  session("PartnerReader", "s1", OTHER),
  ...FEDERATED.map((f) => federated(f)),
  federated("Carol", OTHER),
  ...SERVICES,
];

export const FUZZ_ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:CreateGrant", "kms:DescribeKey", "kms:GetKeyPolicy"];
const ACTION_PATTERNS = ["kms:*", "kms:Decrypt", "kms:De*", "kms:*Key*", "*", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:PutKeyPolicy", "kms:CreateGrant", "KMS:decrypt", "kms:Describe?ey", "kms:Get*", "kms:Schedule*"];

/** A name in another case now and then: IAM names compare case-insensitively. */
function recase(random: Random, name: string): string {
  if (!random.chance(0.3)) return name;
  const flipped = [...name].map((c) => (random.chance(0.5) ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c)).join("");
  return flipped === name ? name.toLowerCase() : flipped;
}

function awsEntry(random: Random): string {
  switch (random.int(12)) {
    case 0:
      return random.chance(0.3) ? "*" : ACCOUNT;
    case 1:
      return iam("root");
    case 2:
    case 3: {
      return iam(`user/${recase(random, random.pick(USERS))}`);
    }
    case 4:
    case 5:
    case 6: {
      const role = random.pick(ROLES);
      const path = role.path !== "" && random.chance(0.7) ? role.path : "";
      return iam(`role/${path}${recase(random, role.name)}`);
    }
    case 7:
      return session(random.pick(ROLES).name, random.chance(0.7) ? "s1" : "s2");
    case 8:
      return random.chance(0.5) ? OTHER : iam("root", OTHER);
    case 9:
      return iam("role/PartnerReader", OTHER);
    case 10:
      // A federated user's name is the caller's text: another case is another name.
      return federated(recase(random, random.pick(FEDERATED)), random.chance(0.15) ? OTHER : ACCOUNT);
    default:
      return iam(`role/${recase(random, "MavikLambdaRole")}`);
  }
}

function principalElement(random: Random, negated: boolean): PolicyPrincipal {
  if (!negated && random.chance(0.08)) return "*";
  const element: { AWS?: string | string[]; Service?: string | string[] } = {};
  if (random.chance(0.8)) {
    const entries = [...new Set(Array.from({ length: 1 + random.int(3) }, () => awsEntry(random)))].filter((e) => !(negated && e === "*"));
    if (entries.length > 0) element.AWS = entries.length === 1 && random.chance(0.5) ? entries[0] : entries;
  }
  if (element.AWS === undefined || random.chance(0.2)) element.Service = random.some(SERVICES, 2);
  return element;
}

const OTHER_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/00000000-1111-2222-3333-444444444444`;
const RESOURCES = [
  KEY_ARN,
  `arn:aws:kms:*:${ACCOUNT}:key/*`,
  `arn:aws:kms:${REGION}:${ACCOUNT}:*`,
  OTHER_KEY,
  `arn:aws:kms:${REGION}:${ACCOUNT}:alias/mavik-data-kms-key`,
  `arn:aws:kms:*:${OTHER}:key/*`,
  `arn:aws:kms:*:*:key/cb424700-*`,
  `arn:aws:kms:${REGION}:${ACCOUNT}:key/\${aws:PrincipalTag/keyid}`,
  `arn:aws:kms:${REGION}:${ACCOUNT}:key/\${aws:username}`,
  `arn:aws:kms:${REGION}:${ACCOUNT}:key/\${aws:PrincipalTag/keyid, '${KEY_ID}'}`,
];

/** A condition key: its type, whether it holds a list, and the values requests and policies take. */
interface KeySpec {
  readonly key: string;
  readonly kind: "string" | "arn" | "numeric" | "date" | "bool" | "ip" | "binary";
  readonly multi?: true;
  readonly values: readonly string[];
}

const KEYS: readonly KeySpec[] = [
  { key: "aws:PrincipalTag/team", kind: "string", values: ["red", "blue", "Red"] },
  { key: "aws:ResourceTag/team", kind: "string", values: ["red", "blue"] },
  { key: "aws:PrincipalTag/keyid", kind: "string", values: [KEY_ID, "other-key"] },
  { key: "kms:ViaService", kind: "string", values: ["s3.us-east-1.amazonaws.com", "dynamodb.us-east-1.amazonaws.com"] },
  { key: "kms:EncryptionContext:Project", kind: "string", values: ["ssot", "other"] },
  { key: "aws:SourceVpc", kind: "string", values: ["vpc-0abc", "vpc-1def"] },
  { key: "aws:PrincipalOrgID", kind: "string", values: ["o-mavik", "o-other"] },
  { key: "kms:CallerAccount", kind: "string", values: [ACCOUNT, OTHER] },
  { key: "aws:PrincipalAccount", kind: "string", values: [ACCOUNT, OTHER] },
  { key: "aws:username", kind: "string", values: ["mavik-deployer", "dataops", "DataOps"] },
  { key: "aws:PrincipalType", kind: "string", values: ["User", "AssumedRole", "Account", "FederatedUser"] },
  { key: "aws:SourceAccount", kind: "string", values: [ACCOUNT, OTHER] },
  { key: "aws:PrincipalServiceName", kind: "string", values: SERVICES },
  { key: "aws:PrincipalArn", kind: "arn", values: [iam("role/MavikLambdaRole"), iam("user/DataOps"), iam("root"), federated("Carol")] },
  { key: "aws:SourceArn", kind: "arn", values: ["arn:aws:s3:::mavik-bucket", `arn:aws:events:${REGION}:${ACCOUNT}:rule/mavik-alerts`] },
  { key: "aws:PrincipalOrgPaths", kind: "string", multi: true, values: ["o-mavik/r-1/ou-1/", "o-mavik/r-1/ou-2/", "o-other/r-2/"] },
  { key: "kms:EncryptionContextKeys", kind: "string", multi: true, values: ["Project", "Tenant", "tmp-x"] },
  { key: "aws:CalledVia", kind: "string", multi: true, values: ["athena.amazonaws.com", "dynamodb.amazonaws.com"] },
  { key: "aws:MultiFactorAuthAge", kind: "numeric", values: ["0", "60", "3600", "7200"] },
  { key: "aws:CurrentTime", kind: "date", values: ["2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", "2026-11-28", "1893456000"] },
  { key: "aws:TokenIssueTime", kind: "date", values: ["2026-11-28T10:00:00Z", "2026-11-01T00:00:00Z"] },
  { key: "aws:SecureTransport", kind: "bool", values: ["true", "false"] },
  { key: "aws:MultiFactorAuthPresent", kind: "bool", values: ["true", "false"] },
  { key: "aws:ViaAWSService", kind: "bool", values: ["true", "false"] },
  { key: "kms:GrantIsForAWSResource", kind: "bool", values: ["true", "false"] },
  { key: "aws:SourceIp", kind: "ip", values: ["203.0.113.9", "203.0.113.200", "10.1.2.3", "198.51.100.7", "2001:db8:1234::5", "2001:db8:ffff::1"] },
  { key: "aws:PrincipalTag/blob", kind: "binary", values: ["QmluYXJ5VmFsdWU=", "dW5tYXRjaGVk"] },
];
const BY_KEY = new Map(KEYS.map((k) => [k.key.toLowerCase(), k]));

const OPERATORS: Record<KeySpec["kind"], readonly string[]> = {
  string: ["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike"],
  arn: ["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "StringLike", "StringEquals"],
  numeric: ["NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals"],
  date: ["DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals"],
  bool: ["Bool"],
  ip: ["IpAddress", "NotIpAddress"],
  binary: ["BinaryEquals"],
};

const STRING_VARIABLES = ["${aws:PrincipalTag/team}", "${aws:username}", "${aws:PrincipalTag/team, 'red'}", "${aws:PrincipalAccount}", "team-${aws:PrincipalTag/team}", "${aws:SourceVpc}"];
const ARN_VALUES = [
  iam("role/Mavik*"),
  iam("*"),
  "arn:aws:iam::*:user/*",
  "arn:aws:iam::${aws:PrincipalAccount}:*",
  iam("user/${aws:username}"),
  "arn:aws:s3:::${aws:PrincipalTag/team}-bucket",
  `arn:aws:events:*:${ACCOUNT}:rule/mavik-*`,
  "arn:aws:s3:::mavik-?ucket",
];
const IP_VALUES = ["203.0.113.0/24", "203.0.113.9", "10.0.0.0/8", "0.0.0.0/0", "2001:db8:1234::/48", "2001:db8:ffff::1", "::/0", "198.51.100.7/32"];

/** A value of a clause on `spec` for `operator`: a pool value, a wildcard pattern, or a variable. */
function conditionValue(random: Random, spec: KeySpec, operator: string): string {
  const like = /Like$/.test(operator);
  if (spec.kind === "ip") return random.pick(IP_VALUES);
  if (spec.kind === "arn" && operator.startsWith("Arn") && random.chance(0.6)) return random.pick(ARN_VALUES);
  if ((spec.kind === "string" || spec.kind === "arn") && random.chance(0.2)) return random.pick(STRING_VARIABLES);
  const value = random.pick(spec.values);
  // An ARN keeps its six parts under an ARN operator: the wildcard goes within the last one.
  if (like && spec.kind === "arn" && operator.startsWith("Arn")) return random.chance(0.4) ? value.replace(/[^:/]*$/, (last) => `${last.slice(0, 2)}*`) : value;
  if (like && random.chance(0.4)) return random.chance(0.5) ? `${value.slice(0, 1 + random.int(Math.max(1, value.length - 1)))}*` : `*${value.slice(-2)}`;
  if (/IgnoreCase$/.test(operator)) return recase(random, value);
  return value;
}

function condition(random: Random): Record<string, Record<string, string | string[]>> {
  const out: Record<string, Record<string, string | string[]>> = {};
  for (let i = 1 + random.int(2); i > 0; i--) {
    const spec = random.pick(KEYS);
    let operator: string;
    if (random.chance(0.08)) operator = "Null";
    else {
      operator = random.pick(OPERATORS[spec.kind]);
      const settable = spec.kind === "string" || spec.kind === "arn";
      if (settable && (spec.multi ? random.chance(0.85) : random.chance(0.05))) operator = `${random.chance(0.5) ? "ForAnyValue" : "ForAllValues"}:${operator}`;
      if (random.chance(0.25)) operator = `${operator}IfExists`;
    }
    const values = operator === "Null" ? [random.pick(["true", "false"])] : [...new Set(Array.from({ length: 1 + random.int(2) }, () => conditionValue(random, spec, operator.replace(/^For\w+:/, "").replace(/IfExists$/, ""))))];
    (out[operator] ??= {})[spec.key] = values.length === 1 && random.chance(0.5) ? values[0] : values;
  }
  return out;
}

function statement(random: Random, i: number): PolicyStatement {
  const effect = random.chance(0.65) ? "Allow" : "Deny";
  const s: Record<string, unknown> = { Sid: `S${i}`, Effect: effect };
  if (effect === "Deny" && random.chance(0.3)) s.NotPrincipal = principalElement(random, true);
  else s.Principal = principalElement(random, false);
  const actions = random.some(ACTION_PATTERNS, 3);
  s[random.chance(0.2) ? "NotAction" : "Action"] = actions.length === 1 ? actions[0] : actions;
  if (random.chance(0.6)) s.Resource = "*";
  else {
    const resources = random.some(RESOURCES, 2);
    s[random.chance(0.3) ? "NotResource" : "Resource"] = resources.length === 1 ? resources[0] : resources;
  }
  if (random.chance(0.45)) s.Condition = condition(random);
  return s as unknown as PolicyStatement;
}

export interface RandomPolicy {
  readonly policy: PolicyDocument;
  /** For a shape the grammar refuses: the path its error must name. */
  readonly refusedAt?: string;
}

/** One random key policy: 1 to 4 statements, now and then a shape the grammar refuses. */
export function randomPolicy(random: Random): RandomPolicy {
  const Statement = Array.from({ length: 1 + random.int(4) }, (_, i) => statement(random, i));
  const policy: PolicyDocument = { Version: "2012-10-17", Statement };
  if (random.chance(0.03)) {
    const i = random.int(Statement.length);
    if (random.chance(0.5)) {
      const { Principal: _p, ...rest } = Statement[i] as PolicyStatement & Record<string, unknown>;
      Statement[i] = { ...rest, Effect: "Allow", NotPrincipal: { AWS: iam(`user/${random.pick(USERS)}`) } } as PolicyStatement;
      return { policy, refusedAt: `policy.Statement[${i}].NotPrincipal` };
    }
    const { Resource: _r, NotResource: _n, ...rest } = Statement[i] as PolicyStatement & Record<string, unknown>;
    Statement[i] = { ...rest, Resource: `arn:aws:kms:${REGION}:\${aws:PrincipalAccount}:key/*` } as PolicyStatement;
    return { policy, refusedAt: `policy.Statement[${i}].Resource` };
  }
  return { policy };
}

const TIMES = ["2026-11-28T12:00:00Z", "2025-06-01T00:00:00Z", "2027-07-01T00:00:00Z"].map((t) => new Date(t));

/** The condition keys a policy tests, and those its variables read. */
function keysOf(policy: PolicyDocument): string[] {
  const text = JSON.stringify(policy.Statement);
  const keys = new Set<string>();
  for (const s of policy.Statement) for (const byKey of Object.values(s.Condition ?? {})) for (const key of Object.keys(byKey)) keys.add(key);
  for (const part of splitVariables(text)) if (typeof part !== "string" && part.key !== undefined) keys.add(part.key);
  return [...keys];
}

/**
 * A concrete request by `principal`: what AWS sets on a direct call (its ARN, account, type, TLS,
 * the time), and for every other key the policy reads a value from its pool or its absence.
 */
export function randomContext(random: Random, policy: PolicyDocument, principal: string): RequestContext {
  const base = directCallContext(requestPrincipal(principal), FUZZ_KEY, random.pick(TIMES));
  const values: Record<string, ContextValue | null> = {};
  for (const key of keysOf(policy)) {
    if (base.get(key).state !== "unknown") continue;
    const spec = BY_KEY.get(key.toLowerCase());
    if (spec === undefined || random.chance(0.3)) values[key] = null;
    else values[spec.key] = spec.multi ? random.some(spec.values, 2) : random.pick(spec.values);
  }
  return base.with(values).completed();
}
