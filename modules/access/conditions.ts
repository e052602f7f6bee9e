/**
 * IAM condition operators, as the IAM reference defines them ("IAM JSON policy elements: Condition
 * operators"), evaluated against what is known of a request: a key's values, its known absence,
 * or nothing (unknown). A condition is true, false, or unknown with the clauses it depends on.
 *
 * - A block is the AND of its operators and keys; a clause's values are OR-ed (a negated operator:
 *   the value matches none of them).
 * - A key absent from the request makes a clause false, except a negated operator or `…IfExists`
 *   (true), `ForAllValues` (true), `Null` (by its value). `ForAnyValue:…IfExists` is false, as
 *   `ForAnyValue` is ("no matching context key: false"; iam-simulate and a test against AWS agree),
 *   though the IfExists text reads "evaluate as true": where the context is a judgment rather than
 *   a concrete request (not `complete`), such a clause stays a condition, never a certain answer
 *   (docs/policy-evaluation.md, "Decisions").
 * - A multivalued request key needs `ForAnyValue`/`ForAllValues`; without one the clause is false.
 * - Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`, `${*}`, `${?}`,
 *   `${$}`) resolve in String and ARN operators, where the reference allows them. A value whose
 *   variable the request lacks (and has no default) is "effectively null": nothing equals it, so a
 *   positive operator does not match it and a negated one does (IAM guide, "Policy variables with
 *   no value": "Inverted condition operators like StringNotEquals … do match against a null value").
 */
import { editDistance } from "../common/edit-distance";
import { RequestContext } from "./context";
import { conditionValues, ConditionValue, OneOrMany } from "../key-policy/document";

/** One operator and key of a Condition block, with its values as written. */
export interface Clause {
  readonly operator: string;
  readonly key: string;
  readonly values: readonly string[];
}

/** True, false, or unknown: then the clauses whose keys the request context does not know. */
export type Truth = { readonly known: true; readonly value: boolean } | { readonly known: false; readonly clauses: readonly Clause[] };

export const TRUE: Truth = { known: true, value: true };
export const FALSE: Truth = { known: true, value: false };

/** AND of truths: false wins, then unknown (with every unknown clause), then true. */
export function and(truths: readonly Truth[]): Truth {
  if (truths.some((t) => t.known && !t.value)) return FALSE;
  const unknown = truths.filter((t): t is Extract<Truth, { known: false }> => !t.known);
  return unknown.length === 0 ? TRUE : { known: false, clauses: unknown.flatMap((t) => t.clauses) };
}

type ValueKind = "string" | "numeric" | "date" | "bool" | "binary" | "ip" | "arn" | "null";

interface BaseOperator {
  /** The name as the IAM reference spells it. */
  readonly name: string;
  readonly kind: ValueKind;
  /** A negated operator: the request value must match none of the policy values. */
  readonly negated: boolean;
  /** The positive relation of one request value to one policy value (after variables). */
  readonly test: (actual: string, expected: Segment[]) => boolean;
  /** Policy variables resolve in its values (String and ARN operators, as the reference allows). */
  readonly variables: boolean;
}

const text = (segments: Segment[]) => segments.map((s) => s.text).join("");
const numeric = (relation: (a: number, e: number) => boolean) => (actual: string, expected: Segment[]) => {
  const a = parseNumber(actual);
  const e = parseNumber(text(expected));
  return a !== undefined && e !== undefined && relation(a, e);
};
const date = (relation: (a: number, e: number) => boolean) => (actual: string, expected: Segment[]) => {
  const a = parseDate(actual);
  const e = parseDate(text(expected));
  return a !== undefined && e !== undefined && relation(a, e);
};
const exact = (a: string, e: Segment[]) => a === text(e);
const ignoreCase = (a: string, e: Segment[]) => a.toLowerCase() === text(e).toLowerCase();
const like = (a: string, e: Segment[]) => pattern(e).test(a);
const arn = (a: string, e: Segment[]) => arnMatches(a, e);

const OPERATORS: readonly BaseOperator[] = [
  { name: "StringEquals", kind: "string", negated: false, test: exact, variables: true },
  { name: "StringNotEquals", kind: "string", negated: true, test: exact, variables: true },
  { name: "StringEqualsIgnoreCase", kind: "string", negated: false, test: ignoreCase, variables: true },
  { name: "StringNotEqualsIgnoreCase", kind: "string", negated: true, test: ignoreCase, variables: true },
  { name: "StringLike", kind: "string", negated: false, test: like, variables: true },
  { name: "StringNotLike", kind: "string", negated: true, test: like, variables: true },
  { name: "NumericEquals", kind: "numeric", negated: false, test: numeric((a, e) => a === e), variables: false },
  { name: "NumericNotEquals", kind: "numeric", negated: true, test: numeric((a, e) => a === e), variables: false },
  { name: "NumericLessThan", kind: "numeric", negated: false, test: numeric((a, e) => a < e), variables: false },
  { name: "NumericLessThanEquals", kind: "numeric", negated: false, test: numeric((a, e) => a <= e), variables: false },
  { name: "NumericGreaterThan", kind: "numeric", negated: false, test: numeric((a, e) => a > e), variables: false },
  { name: "NumericGreaterThanEquals", kind: "numeric", negated: false, test: numeric((a, e) => a >= e), variables: false },
  { name: "DateEquals", kind: "date", negated: false, test: date((a, e) => a === e), variables: false },
  { name: "DateNotEquals", kind: "date", negated: true, test: date((a, e) => a === e), variables: false },
  { name: "DateLessThan", kind: "date", negated: false, test: date((a, e) => a < e), variables: false },
  { name: "DateLessThanEquals", kind: "date", negated: false, test: date((a, e) => a <= e), variables: false },
  { name: "DateGreaterThan", kind: "date", negated: false, test: date((a, e) => a > e), variables: false },
  { name: "DateGreaterThanEquals", kind: "date", negated: false, test: date((a, e) => a >= e), variables: false },
  { name: "Bool", kind: "bool", negated: false, test: ignoreCase, variables: false },
  { name: "BinaryEquals", kind: "binary", negated: false, test: (a, e) => Buffer.from(a, "base64").equals(Buffer.from(text(e), "base64")), variables: false },
  { name: "IpAddress", kind: "ip", negated: false, test: (a, e) => ipInRange(a, text(e)), variables: false },
  { name: "NotIpAddress", kind: "ip", negated: true, test: (a, e) => ipInRange(a, text(e)), variables: false },
  { name: "ArnEquals", kind: "arn", negated: false, test: arn, variables: true },
  { name: "ArnLike", kind: "arn", negated: false, test: arn, variables: true },
  { name: "ArnNotEquals", kind: "arn", negated: true, test: arn, variables: true },
  { name: "ArnNotLike", kind: "arn", negated: true, test: arn, variables: true },
  { name: "Null", kind: "null", negated: false, test: ignoreCase, variables: false },
];

const BY_NAME = new Map(OPERATORS.map((o) => [o.name.toLowerCase(), o]));

/** Every base operator of the IAM reference, as spelled there. */
export const CONDITION_OPERATORS: readonly string[] = OPERATORS.map((o) => o.name);

/** A parsed operator: `ForAnyValue:StringLikeIfExists` -> set qualifier, base, IfExists. */
export interface Operator {
  readonly written: string;
  readonly set?: "ForAnyValue" | "ForAllValues";
  readonly base: BaseOperator;
  readonly ifExists: boolean;
}

/**
 * Parses an operator as the IAM grammar writes it (`[ForAllValues:|ForAnyValue:]<operator>[IfExists]`,
 * names compared case-insensitively as AWS does); undefined for anything else.
 */
export function parseOperator(written: string): Operator | undefined {
  const match = /^(?:(ForAnyValue|ForAllValues):)?(.+?)(IfExists)?$/i.exec(written);
  if (!match) return undefined;
  const base = BY_NAME.get(match[2].toLowerCase());
  if (base === undefined) return undefined;
  const set = match[1] === undefined ? undefined : match[1].toLowerCase() === "foranyvalue" ? "ForAnyValue" : "ForAllValues";
  return { written, set, base, ifExists: match[3] !== undefined };
}

const SYMBOLS: Record<string, string> = {
  stringequals: "=",
  stringnotequals: "≠",
  stringequalsignorecase: "= (any case)",
  stringnotequalsignorecase: "≠ (any case)",
  stringlike: "like",
  stringnotlike: "not like",
  numericequals: "=",
  numericnotequals: "≠",
  numericlessthan: "<",
  numericlessthanequals: "≤",
  numericgreaterthan: ">",
  numericgreaterthanequals: "≥",
  dateequals: "=",
  datenotequals: "≠",
  datelessthan: "before",
  datelessthanequals: "at or before",
  dategreaterthan: "after",
  dategreaterthanequals: "at or after",
  bool: "=",
  binaryequals: "=",
  ipaddress: "in",
  notipaddress: "not in",
  arnequals: "=",
  arnlike: "like",
  arnnotequals: "≠",
  arnnotlike: "not like",
};

/**
 * The pseudo-operator of a clause standing for an `Allow` with `NotPrincipal`, which AWS does not
 * support: the evaluator shows such a statement as a condition that nobody can meet for certain,
 * never as a guessed grant (the policy-grammar rule refuses it at synth).
 */
export const UNSUPPORTED_NOT_PRINCIPAL = "NotPrincipal with Allow";

/** A clause in a few words: `kms:ViaService = s3.us-east-1.amazonaws.com`, `aws:SourceIp not in 10.0.0.0/8`. */
export function describeClause(clause: Clause): string {
  if (clause.operator === "Resource") return `the key is ${clause.values.join(" or ")}`;
  if (clause.operator === "NotResource") return `the key is not ${clause.values.join(" or ")}`;
  if (clause.operator === UNSUPPORTED_NOT_PRINCIPAL) return 'NotPrincipal with "Effect": "Allow", which AWS does not support';
  const operator = parseOperator(clause.operator);
  if (operator === undefined) return `${clause.operator} ${clause.key} ${clause.values.join(", ")}`;
  if (operator.base.kind === "null") return `${clause.key} ${clause.values.some((v) => v.toLowerCase() === "true") ? "absent" : "present"}`;
  const values = clause.values.join(operator.base.negated ? ", " : " or ");
  const set = operator.set === "ForAnyValue" ? "any of " : operator.set === "ForAllValues" ? "each of " : "";
  const ifExists = !operator.ifExists ? "" : operator.set === "ForAnyValue" ? ` (or ${clause.key} absent: AWS's docs disagree)` : " (if present)";
  return `${set}${clause.key} ${SYMBOLS[operator.base.name.toLowerCase()]} ${values}${ifExists}`;
}

/** The operator the IAM reference has nearest to a misspelt one, for "did you mean". */
export function closestOperator(written: string): string | undefined {
  const bare = written.replace(/^(ForAnyValue|ForAllValues):/i, "").replace(/IfExists$/i, "").toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of CONDITION_OPERATORS) {
    const d = editDistance(bare, name.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return bestDistance <= 3 ? best : undefined;
}

/**
 * Why a clause's policy values are not what its operator compares, or undefined. Values holding
 * a policy variable are left to the request (the reference allows them in String and ARN operators).
 */
export function valueProblem(operator: Operator, value: string): string | undefined {
  // Each of an ARN's six parts is compared on its own: a value of fewer parts has no reading (one
  // with a policy variable may get its parts from the request).
  if (operator.base.kind === "arn" && !/\$\{/.test(value) && arnParts(value) === undefined) {
    return 'an ARN operator compares ARNs of six colon-separated parts, with wildcards within a part ("arn:aws:events:*:*:rule/*")';
  }
  if (operator.base.variables && /\$\{/.test(value)) return undefined;
  switch (operator.base.kind) {
    case "numeric":
      return parseNumber(value) === undefined ? "a Numeric operator compares numbers, such as \"1\" or \"2.5\"" : undefined;
    case "date":
      return parseDate(value) === undefined ? "a Date operator compares ISO 8601 dates (\"2026-01-01T00:00:00Z\") or epoch seconds" : undefined;
    case "bool":
    case "null":
      return /^(true|false)$/i.test(value) ? undefined : `${operator.base.name} compares "true" or "false"`;
    case "ip":
      return parseCidr(value) === undefined ? 'an IP address operator compares IPv4 or IPv6 addresses or CIDR ranges such as "203.0.113.0/24"' : undefined;
    case "binary":
      return /^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.length % 4 === 0 ? undefined : "BinaryEquals compares base64 values";
    default:
      return undefined;
  }
}

/** Evaluates one operator's keys (a clause each) against the request context. */
export function evaluateOperator(written: string, keys: Readonly<Record<string, OneOrMany<ConditionValue>>>, context: RequestContext): Truth {
  const operator = parseOperator(written);
  // The grammar rule reports unknown operators with their path at synth; here it is a bug.
  if (operator === undefined) throw new Error(`unknown condition operator ${JSON.stringify(written)}`);
  return and(Object.entries(keys).map(([key, raw]) => evaluateClause(operator, { operator: written, key, values: asArray(raw) }, context)));
}

/** One clause: true, false, or unknown (the key, or a variable in a value, is not known). */
export function evaluateClause(operator: Operator, clause: Clause, context: RequestContext): Truth {
  const unknown: Truth = { known: false, clauses: [clause] };
  const state = context.get(clause.key);
  if (state.state === "unknown") return unknown;
  if (operator.base.kind === "null") {
    const present = state.state === "present";
    return bool(clause.values.some((v) => v.toLowerCase() === (present ? "false" : "true")));
  }
  if (state.state === "absent") {
    if (operator.set === "ForAllValues") return TRUE;
    // No value to match any of: false, IfExists or not; a judgment shows the docs' other reading as a condition.
    if (operator.set === "ForAnyValue") return operator.ifExists && !context.complete ? unknown : FALSE;
    return bool(operator.ifExists || operator.base.negated);
  }
  const resolved = operator.base.variables ? resolveVariables(clause.values, context) : clause.values.map((v) => [{ text: v, literal: false }]);
  if (resolved === undefined) return unknown;
  // A value whose variable has no value is null: it matches no request value, so negated it holds.
  const one = (actual: string) => {
    const matches = resolved.map((v) => v !== undefined && operator.base.test(actual, v));
    return operator.base.negated ? !matches.some(Boolean) : matches.some(Boolean);
  };
  const values = state.value;
  if (operator.set === undefined) return bool(typeof values === "string" && one(values));
  const list = typeof values === "string" ? [values] : values;
  return bool(operator.set === "ForAllValues" ? list.every(one) : list.some(one));
}

/**
 * A policy value as text segments: the written text, in which `*` and `?` are wildcards where the
 * operator has them, and what a variable brought in, which is always literal.
 */
export interface Segment {
  readonly text: string;
  readonly literal: boolean;
}

/**
 * Substitutes policy variables in each value. Undefined when a variable's key is unknown (the
 * clause is then unknown); a value whose variable is absent and has no default resolves to
 * undefined: a null value, which no request value matches.
 */
export function resolveVariables(values: readonly string[], context: RequestContext): (Segment[] | undefined)[] | undefined {
  const out: (Segment[] | undefined)[] = [];
  for (const value of values) {
    const segments: Segment[] = [];
    let unresolvable = false;
    for (const part of splitVariables(value)) {
      if (typeof part === "string") segments.push({ text: part, literal: false });
      else if (part.special !== undefined) segments.push({ text: part.special, literal: true });
      else {
        const state = context.get(part.key);
        if (state.state === "unknown") return undefined;
        if (state.state === "present" && typeof state.value === "string") segments.push({ text: state.value, literal: true });
        else if (part.fallback !== undefined) segments.push({ text: part.fallback, literal: true });
        else unresolvable = true;
      }
    }
    out.push(unresolvable ? undefined : segments);
  }
  return out;
}

type VariablePart = { readonly key: string; readonly fallback?: string; readonly special?: undefined } | { readonly special: string; readonly key?: undefined; readonly fallback?: undefined };

/** `a${aws:username}b` -> ["a", { key: "aws:username" }, "b"]; `${*}` is a literal `*`. */
export function splitVariables(value: string): (string | VariablePart)[] {
  const parts: (string | VariablePart)[] = [];
  let rest = value;
  for (let match = /\$\{([^}]*)\}/.exec(rest); match !== null; match = /\$\{([^}]*)\}/.exec(rest)) {
    if (match.index > 0) parts.push(rest.slice(0, match.index));
    const inner = match[1].trim();
    if (inner === "*" || inner === "?" || inner === "$") parts.push({ special: inner });
    else {
      const withDefault = /^([^,]+),\s*'([^']*)'$/.exec(inner);
      parts.push(withDefault ? { key: withDefault[1].trim(), fallback: withDefault[2] } : { key: inner });
    }
    rest = rest.slice(match.index + match[0].length);
  }
  if (rest.length > 0) parts.push(rest);
  return parts;
}

/** A whole-value pattern: `*` any run of characters, `?` one character, in the written text only. */
export function pattern(segments: readonly Segment[]): RegExp {
  const body = segments
    .map((s) => (s.literal ? escapeRegExp(s.text) : s.text.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")))
    .join("");
  return new RegExp(`^${body}$`, "s");
}

/** A wildcard pattern over plain text, e.g. for actions and principals. */
export function wildcard(written: string, flags = ""): RegExp {
  return new RegExp(`^${written.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, flags);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The six colon-delimited components of an ARN (the resource keeps its own colons), or undefined. */
export function arnParts(value: string): string[] | undefined {
  const parts = value.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(":")];
}

/** ArnLike/ArnEquals: each of the six components matched on its own, wildcards within a component. */
function arnMatches(actual: string, segments: Segment[]): boolean {
  const actualParts = arnParts(actual);
  const components = arnComponents(segments);
  return actualParts !== undefined && components !== undefined && components.every((c, i) => pattern(c).test(actualParts[i]));
}

/** A written ARN pattern's six components; the written text splits at its first five colons, text from variables never. */
export function arnComponents(segments: readonly Segment[]): Segment[][] | undefined {
  const components: Segment[][] = [[]];
  for (const segment of segments) {
    if (segment.literal) {
      components[components.length - 1].push(segment);
      continue;
    }
    const pieces = segment.text.split(":");
    pieces.forEach((piece, i) => {
      if (i > 0) {
        if (components.length < 6) components.push([]);
        else components[5].push({ text: ":", literal: true });
      }
      if (piece.length > 0) components[components.length - 1].push({ text: piece, literal: false });
    });
  }
  return components.length === 6 && components[0].map((s) => s.text).join("") === "arn" ? components : undefined;
}

/** A number as IAM reads one: an integer or a decimal, nothing else. */
export function parseNumber(value: string): number | undefined {
  return /^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(value.trim()) ? Number(value) : undefined;
}

/** Milliseconds since the epoch, from epoch seconds or an ISO 8601 date (W3C profile). */
export function parseDate(value: string): number | undefined {
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  if (!/^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** An IPv4 or IPv6 address as a number and its width, or undefined. */
function parseIp(value: string): { value: bigint; bits: 32 | 128 } | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value);
  if (v4) {
    const octets = v4.slice(1).map(Number);
    if (octets.some((o) => o > 255)) return undefined;
    return { value: octets.reduce((n, o) => (n << 8n) + BigInt(o), 0n), bits: 32 };
  }
  if (!/^[0-9a-f:.]+$/i.test(value) || !value.includes(":")) return undefined;
  let groups: string[];
  const halves = value.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  // An embedded IPv4 tail (::ffff:192.0.2.1) counts as two groups.
  const expand = (list: string[]) =>
    list.flatMap((g) => {
      const ip4 = parseIp(g);
      return ip4?.bits === 32 ? [((ip4.value >> 16n) & 0xffffn).toString(16), (ip4.value & 0xffffn).toString(16)] : [g];
    });
  const h = expand(head);
  const t = expand(tail);
  if (halves.length === 2) groups = [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill("0"), ...t];
  else groups = h;
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  return { value: groups.reduce((n, g) => (n << 16n) + BigInt(parseInt(g, 16)), 0n), bits: 128 };
}

/** A CIDR range (or a single address, /32 or /128 by default, as IAM reads one). */
export function parseCidr(value: string): { network: bigint; prefix: number; bits: 32 | 128 } | undefined {
  const [address, prefixText, extra] = value.trim().split("/");
  if (extra !== undefined) return undefined;
  const ip = parseIp(address);
  if (ip === undefined) return undefined;
  const prefix = prefixText === undefined ? ip.bits : /^\d+$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= ip.bits)) return undefined;
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(ip.bits - prefix);
  return { network: ip.value & mask, prefix, bits: ip.bits };
}

function ipInRange(actual: string, range: string): boolean {
  const ip = parseIp(actual);
  const cidr = parseCidr(range);
  if (ip === undefined || cidr === undefined || ip.bits !== cidr.bits) return false;
  const mask = cidr.prefix === 0 ? 0n : ((1n << BigInt(cidr.prefix)) - 1n) << BigInt(cidr.bits - cidr.prefix);
  return (ip.value & mask) === cidr.network;
}

export function asArray(value: OneOrMany<ConditionValue>): readonly string[] {
  // IAM reads a JSON boolean or number in a condition as its text: `true` is "true", `5` is "5".
  // Terraform's jsonencode writes HCL booleans so, and KMS keeps a policy as written.
  return conditionValues(value);
}

function bool(value: boolean): Truth {
  return value ? TRUE : FALSE;
}

