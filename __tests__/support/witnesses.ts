/**
 * Witness contexts for the oracle test: concrete requests that satisfy, or violate, the
 * conditions of a key policy's statements, built from the policy's own values. The direct call's
 * context decides what it knows (the caller, TLS, time); witnesses fill in only what it does not.
 */
import { ContextValue, parseOperator, PolicyDocument, RequestContext } from "../../modules/index";
import { conditionValues } from "../../modules/key-policy/document";
import type { Clause } from "../../modules/index";
import { parseCidr, parseDate, parseNumber, splitVariables } from "../../modules/access/conditions";

const UNMATCHED = "zz-unmatched";
const OUTSIDE_IPS = ["198.18.0.77", "100.64.1.1", "192.0.2.200", "2001:db8:ffff::1"];

/** Every condition clause of the policy's statements, with the statement's index. */
export function clausesOf(policy: PolicyDocument): { statement: number; clauses: Clause[] }[] {
  return policy.Statement.map((s, statement) => ({
    statement,
    clauses: Object.entries(s.Condition ?? {}).flatMap(([operator, keys]) => Object.entries(keys).map(([key, values]) => ({ operator, key, values: conditionValues(values) }))),
  })).filter((s) => s.clauses.length > 0);
}

/**
 * Contexts that decide each conditional statement: all its clauses satisfied, and each clause in
 * turn violated, over `base` (only keys `base` does not know are set), every other key absent.
 */
export function witnesses(policy: PolicyDocument, base: RequestContext): RequestContext[] {
  const out: RequestContext[] = [base.completed()];
  for (const { clauses } of clausesOf(policy)) {
    const open = clauses.filter((c) => base.get(c.key).state === "unknown");
    if (open.length === 0) continue;
    const satisfied = Object.fromEntries(open.map((c) => [c.key, satisfy(c, base)] as const));
    out.push(base.with(satisfied).completed());
    for (const c of open) out.push(base.with({ ...satisfied, [c.key]: violate(c, base) }).completed());
  }
  const seen = new Set<string>();
  return out.filter((c) => {
    const id = JSON.stringify(Object.entries(c.entries()).sort());
    return seen.has(id) ? false : (seen.add(id), true);
  });
}

/** A context satisfying every clause given (over `base`), for the matrix's "allowed when" claims. */
export function satisfying(clauses: readonly Clause[], base: RequestContext): RequestContext {
  // Resource, NotResource and the like are no keys of the request.
  return base.with(Object.fromEntries(clauses.filter((c) => parseOperator(c.operator) !== undefined).map((c) => [c.key, satisfy(c, base)]))).completed();
}

/** A value for the clause's key that makes it true. */
export function satisfy(clause: Clause, base: RequestContext): ContextValue | null {
  const operator = parseOperator(clause.operator)!;
  if (operator.base.kind === "null") return clause.values.some((v) => v.toLowerCase() === "true") ? null : "present";
  const value = operator.base.negated ? unmatched(clause, base) : matching(clause, base);
  return operator.set ? [value] : value;
}

/** A value for the clause's key that makes it false. */
export function violate(clause: Clause, base: RequestContext): ContextValue | null {
  const operator = parseOperator(clause.operator)!;
  if (operator.base.kind === "null") return clause.values.some((v) => v.toLowerCase() === "true") ? "present" : null;
  const value = operator.base.negated ? matching(clause, base) : unmatched(clause, base);
  if (operator.set === "ForAllValues") return [operator.base.negated ? unmatched(clause, base) : matching(clause, base), value];
  return operator.set ? [value] : value;
}

/** A request value the clause's first policy value matches. */
function matching(clause: Clause, base: RequestContext): string {
  const operator = parseOperator(clause.operator)!;
  const value = written(clause.values[0], base);
  const epoch = clause.key.toLowerCase() === "aws:epochtime";
  switch (operator.base.kind) {
    case "numeric": {
      const n = parseNumber(value) ?? 0;
      const name = operator.base.name;
      return String(/LessThan$/.test(name) ? n - 1 : /GreaterThan$/.test(name) ? n + 1 : n);
    }
    case "date": {
      const ms = parseDate(value) ?? 0;
      const name = operator.base.name;
      const at = /LessThan$/.test(name) ? ms - 86_400_000 : /GreaterThan$/.test(name) ? ms + 86_400_000 : ms;
      return epoch ? String(Math.floor(at / 1000)) : new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z");
    }
    case "ip": {
      // An address inside the range, not its first one (a range's first address hides a wrong mask).
      const cidr = parseCidr(value)!;
      const address = cidr.prefix < cidr.bits - 1 ? cidr.network + 1n : cidr.network;
      return cidr.bits === 32
        ? [24, 16, 8, 0].map((s) => Number((address >> BigInt(s)) & 255n)).join(".")
        : Array.from({ length: 8 }, (_, i) => ((address >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(":");
    }
    case "string":
      return /IgnoreCase$/.test(operator.base.name) ? swapCase(value) : value;
    default:
      return value;
  }
}

/** A request value no policy value of the clause matches. */
function unmatched(clause: Clause, base: RequestContext): string {
  const operator = parseOperator(clause.operator)!;
  switch (operator.base.kind) {
    case "numeric":
      return String(Math.max(...clause.values.map((v) => parseNumber(v) ?? 0)) + 1000);
    case "date": {
      const latest = Math.max(...clause.values.map((v) => parseDate(written(v, base)) ?? 0));
      return clause.key.toLowerCase() === "aws:epochtime" ? String(Math.floor(latest / 1000) + 7 * 86_400) : new Date(latest + 7 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    }
    case "ip":
      return OUTSIDE_IPS.find((ip) => !clause.values.some((range) => inRange(ip, range))) ?? "192.0.2.201";
    case "arn":
      return "arn:aws:iam::999999999999:role/zz-unmatched";
    case "bool":
      return clause.values.some((v) => v.toLowerCase() === "true") ? "false" : "true";
    case "binary":
      return "dW5tYXRjaGVk";
    default:
      return UNMATCHED;
  }
}

/** A policy value as a request value: wildcards made concrete, variables resolved where `base` knows them. */
function written(value: string, base: RequestContext): string {
  return splitVariables(value)
    .map((part) => {
      if (typeof part === "string") return part.replace(/\*/g, "w").replace(/\?/g, "q");
      if (part.special !== undefined) return part.special;
      const state = base.get(part.key);
      return state.state === "present" && typeof state.value === "string" ? state.value : part.fallback ?? "x";
    })
    .join("");
}

function swapCase(text: string): string {
  return [...text].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join("");
}

function inRange(ip: string, range: string): boolean {
  const cidr = parseCidr(range);
  const address = parseCidr(ip);
  if (!cidr || !address || cidr.bits !== address.bits) return false;
  const mask = cidr.prefix === 0 ? 0n : ((1n << BigInt(cidr.prefix)) - 1n) << BigInt(cidr.bits - cidr.prefix);
  return (address.network & mask) === cidr.network;
}
