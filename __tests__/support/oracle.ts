/**
 * The independent oracle for the evaluator: @cloud-copilot/iam-simulate (AGPL-3.0, a
 * devDependency of the tests only; nothing of it ships).
 *
 * Its public `runSimulation` validates every input again (~1 ms a call); the corpus asks it tens
 * of thousands of times, so this calls the same engine's `authorize` with each policy parsed once
 * (~0.15 ms). A test checks that both paths answer alike on a sample. (`runUnsafeSimulation`, its
 * own shortcut, fails on any resource policy: it loads it without the name the engine reads.)
 */
import * as path from "path";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { actionMatches, Decision, evaluate, KeyFacts, parseOperator, requestPrincipal } from "../../modules/index";
import type { PolicyDocument, PolicyPrincipal, PolicyStatement, RequestContext } from "../../modules/index";
import { asList, conditionValues, OneOrMany } from "../../modules/key-policy/document";
import { arnParts, parseCidr, parseDate, splitVariables } from "../../modules/access/conditions";
import { resourcePart } from "../../modules/access/evaluate";
import { ACCOUNT, OTHER } from "../fixtures/policy-corpus";

const dir = path.dirname(require.resolve("@cloud-copilot/iam-simulate"));
/* eslint-disable @typescript-eslint/no-require-imports */
const { authorize } = require(path.join(dir, "core_engine", "CoreSimulatorEngine.js"));
const { AwsRequestImpl } = require(path.join(dir, "request", "request.js"));
const { RequestContextImpl } = require(path.join(dir, "requestContext.js"));
const { DiscoveryContextKeyConstraints } = require(path.join(dir, "context_keys", "discoveryContextKeyConstraints.js"));
const policyPackage = require.resolve("@cloud-copilot/iam-policy", { paths: [dir] });
const { loadPolicy } = require(policyPackage);
// iam-policy compares names with `a.localeCompare(b, undefined, { sensitivity: "accent" })`, which
// builds a collator on every call: 85% of a request's time. ECMA-402 defines that call as
// `new Intl.Collator(undefined, options).compare(a, b)`; one collator, made once, is the same function.
const utils = require(path.join(path.dirname(policyPackage), "utils.js"));
const accentCollator = new Intl.Collator(undefined, { sensitivity: "accent" });
utils.caseInsensitiveEquals = (first: string, second: string) => accentCollator.compare(first, second) === 0;
utils.caseInsensitiveEndsWith = (value: string, suffix: string) => utils.caseInsensitiveEquals(value.slice(suffix.length * -1), suffix);
/* eslint-enable @typescript-eslint/no-require-imports */

export type OracleEffect = "allow" | "iam" | "deny";

export interface OracleAnswer {
  readonly effect: OracleEffect;
  /** The key policy alone: ExplicitlyDenied, ImplicitlyDenied or Allowed. */
  readonly keyPolicyResult: string;
}

export type OracleContext = Readonly<Record<string, string | readonly string[]>>;

const IAM_ALLOW = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] };
const PARAMETERS = { simulationMode: "Strict", discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]) };

/** A key policy loaded once, asked many requests. */
export class Oracle {
  private readonly policy: unknown;
  private readonly identity = [loadPolicy(IAM_ALLOW, { name: "allow-kms" })];

  constructor(
    policy: PolicyDocument,
    private readonly keyArn: string,
    private readonly keyAccount: string,
  ) {
    this.policy = loadPolicy(policy, { name: "key-policy" });
  }

  private result(principal: string, action: string, context: OracleContext, withIam: boolean): string {
    const request = new AwsRequestImpl(principal, { resource: this.keyArn, accountId: this.keyAccount }, action, new RequestContextImpl({ ...context }));
    return authorize({
      request,
      sessionPolicy: undefined,
      identityPolicies: withIam ? this.identity : [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: this.policy,
      permissionBoundaries: undefined,
      vpcEndpointPolicies: undefined,
      simulationParameters: PARAMETERS,
      serviceSettings: { s3: {} },
    }).result;
  }

  /**
   * `allow`: the key policy alone allows it; `iam`: allowed once the principal's IAM policy
   * allows kms:* (service principals have none); `deny` otherwise.
   */
  ask(principal: string, action: string, context: OracleContext): OracleAnswer {
    const alone = this.result(principal, action, context, false);
    if (alone === "Allowed") return { effect: "allow", keyPolicyResult: alone };
    const service = !principal.startsWith("arn:");
    if (!service && this.result(principal, action, context, true) === "Allowed") return { effect: "iam", keyPolicyResult: alone };
    return { effect: "deny", keyPolicyResult: alone };
  }
}

/** The same question through iam-simulate's public, validating entry point. */
export async function askPublicly(policy: PolicyDocument, keyArn: string, keyAccount: string, principal: string, action: string, context: OracleContext): Promise<OracleEffect> {
  const run = async (withIam: boolean) => {
    const result = await runSimulation(
      {
        request: { principal, action, resource: { resource: keyArn, accountId: keyAccount }, contextVariables: context as Record<string, string | string[]> },
        identityPolicies: withIam ? [{ name: "allow-kms", policy: IAM_ALLOW }] : [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: policy,
      },
      {},
    );
    if (result.resultType === "error") throw new Error(`iam-simulate refused the request: ${JSON.stringify(result.errors)}`);
    return result.overallResult;
  };
  if ((await run(false)) === "Allowed") return "allow";
  if (principal.startsWith("arn:") && (await run(true)) === "Allowed") return "iam";
  return "deny";
}

/** The actions every corpus question asks about. */
export const ACTIONS = ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:GetKeyPolicy", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:CreateGrant", "kms:DescribeKey"];

/** The principals to ask about a policy. */
export function principalsOf(policy: PolicyDocument): string[] {
  const out = new Set([`arn:aws:iam::${ACCOUNT}:root`, `arn:aws:iam::${ACCOUNT}:role/any-other-principal`, `arn:aws:iam::${OTHER}:role/any-principal`, "sqs.amazonaws.com"]);
  for (const s of policy.Statement) {
    for (const element of [s.Principal, s.NotPrincipal]) {
      if (element === undefined || element === "*") continue;
      for (const id of asList(element.AWS)) {
        if (id === "*") continue;
        if (/^\d{12}$/.test(id)) out.add(`arn:aws:iam::${id}:root`);
        else if (/:role\//.test(id)) {
          const [, account, name] = /::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(id)!;
          out.add(`arn:aws:sts::${account}:assumed-role/${name}/corpus-session`);
        } else out.add(id);
      }
      for (const id of asList(element.Service)) out.add(id);
    }
  }
  return [...out];
}

/** The keys present in a concrete context, as the oracle takes them. */
export function present(context: RequestContext): OracleContext {
  return Object.fromEntries(Object.entries(context.entries()).filter((e): e is [string, string | string[]] => e[1] !== null));
}

/** One request on which our evaluator and iam-simulate decide differently. */
export interface Disagreement {
  /** The policy's name (the corpus) or its seed and index (the random policies). */
  readonly policy: string;
  readonly principal: string;
  readonly action: string;
  readonly context: OracleContext;
  readonly ours: Decision;
  readonly theirs: OracleAnswer;
  /** The documented exceptions that explain it, or none. */
  readonly exceptions: readonly string[];
}

/** True when our decision is iam-simulate's: the same effect, and for a deny, explicit alike. */
export function agrees(ours: Decision, theirs: OracleAnswer): boolean {
  const explicitAgrees = (ours.reason === "explicit") === (theirs.keyPolicyResult === "ExplicitlyDenied") || ours.reason === "cross-account";
  return ours.effect === theirs.effect && (ours.effect !== "deny" || explicitAgrees);
}

/** A request as the exceptions see it. */
interface Asked {
  readonly policy: PolicyDocument;
  readonly principal: string;
  readonly action: string;
  readonly context: RequestContext;
  readonly ours: Decision;
  readonly theirs: OracleAnswer;
}

/**
 * A documented exception (docs/policy-evaluation.md, "Where we disagree with iam-simulate on
 * purpose"), as narrow as the case it names. Where iam-simulate's reading can be written as a
 * policy, `emulate` rewrites the policy so that our evaluator reads it as iam-simulate reads the
 * original (for this request): the exception explains a disagreement only when our evaluator then
 * gives iam-simulate's answer. Otherwise `explains` says when it applies.
 */
interface Exception {
  readonly emulate?: (asked: Asked) => PolicyDocument | undefined;
  readonly explains?: (asked: Asked) => boolean;
}

/** The statements of `policy` whose Action (or NotAction) covers `action`. */
function covering(policy: PolicyDocument, action: string): PolicyStatement[] {
  return policy.Statement.filter((s) => actionMatches(s, action));
}

/** Condition values of a statement, by operator kind. */
function statementConditionValues(statement: PolicyStatement): { kind?: string; key: string; value: string }[] {
  return Object.entries(statement.Condition ?? {}).flatMap(([op, keys]) =>
    Object.entries(keys).flatMap(([key, values]) => conditionValues(values).map((value) => ({ kind: parseOperator(op)?.base.kind, key, value }))),
  );
}

/** The policy with each condition clause rewritten by `rewrite` (undefined: unchanged); undefined when none changed. */
function rewriteClauses(
  policy: PolicyDocument,
  rewrite: (operator: string, key: string, values: string[]) => { operator: string; values: string[] } | undefined,
): PolicyDocument | undefined {
  let changed = false;
  const Statement = policy.Statement.map((s) => {
    if (s.Condition === undefined) return s;
    const Condition: Record<string, Record<string, OneOrMany<string>>> = {};
    for (const [operator, keys] of Object.entries(s.Condition)) {
      for (const [key, raw] of Object.entries(keys)) {
        const next = rewrite(operator, key, conditionValues(raw));
        if (next !== undefined) changed = true;
        const { operator: op, values } = next ?? { operator, values: conditionValues(raw) };
        // Two clauses of one operator on one key: the second spelt in another case (operators compare case-insensitively).
        const spellings = [op, ...Array.from({ length: op.length }, (_, i) => op.slice(0, i) + op.slice(i).toLowerCase())];
        const name = spellings.find((n) => Condition[n]?.[key] === undefined);
        if (name === undefined) throw new Error(`too many clauses of ${op} on ${key} to emulate`);
        (Condition[name] ??= {})[key] = values;
      }
    }
    return { ...s, Condition };
  });
  return changed ? { ...policy, Statement } : undefined;
}

/** The policy with each AWS principal entry of Principal and NotPrincipal rewritten by `rewrite`; undefined when none changed. */
function rewritePrincipals(policy: PolicyDocument, rewrite: (entry: string) => string): PolicyDocument | undefined {
  let changed = false;
  const element = (p: PolicyPrincipal | undefined): PolicyPrincipal | undefined => {
    if (p === undefined || p === "*" || p.AWS === undefined) return p;
    const AWS = asList(p.AWS).map((e) => {
      const next = rewrite(e);
      if (next !== e) changed = true;
      return next;
    });
    return { ...p, AWS };
  };
  const Statement = policy.Statement.map((s) => Object.fromEntries(Object.entries({ ...s, Principal: element(s.Principal), NotPrincipal: element(s.NotPrincipal) }).filter(([, v]) => v !== undefined)) as unknown as PolicyStatement);
  return changed ? { ...policy, Statement } : undefined;
}

/** True when a value's variable has no single value in the request (and no default): a null value. */
function nullVariable(value: string, context: RequestContext): boolean {
  return splitVariables(value).some((part) => {
    if (typeof part === "string" || part.special !== undefined || part.fallback !== undefined) return false;
    const state = context.get(part.key);
    return state.state !== "present" || typeof state.value !== "string";
  });
}

const CALLER_IP = (context: RequestContext) => {
  const ip = context.get("aws:SourceIp");
  return ip.state === "present" && typeof ip.value === "string" ? parseCidr(ip.value) : undefined;
};

/** The documented exceptions by id: each must be in docs/policy-evaluation.md's table, and met by the corpus. */
export const EXCEPTIONS: Readonly<Record<string, Exception>> = {
  // KMS refuses operations whose API reference says "Cross-account use: No" from other accounts.
  "kms-cross-account": { explains: ({ ours, theirs }) => ours.reason === "cross-account" && theirs.effect !== "deny" },
  // A federated user's ARN carries the name given to GetFederationToken, not the IAM user who called
  // it; iam-simulate reads `user/<name>` as naming the federated user `<name>` (its "SessionUserMatch",
  // with no session policy to limit it), in Principal and in NotPrincipal.
  "federated-user-as-iam-user": {
    emulate: ({ policy, principal }) => {
      const who = requestPrincipal(principal);
      if (who.kind !== "federated") return undefined;
      const sameName = `arn:${who.partition}:iam::${who.account}:user/${who.name}`;
      return rewritePrincipals(policy, (e) => (e === sameName ? who.arn : e));
    },
  },
  // A NotPrincipal exempts a principal only when each of its identities (account, user or role,
  // session) is listed; iam-simulate exempts it when any one is (the account, or the role of a
  // session): in its reading such a Deny does not apply to the caller at all.
  "notprincipal-every-identity": {
    emulate: ({ policy, principal, action }) => {
      const who = requestPrincipal(principal);
      if (who.kind === "service") return undefined;
      const role = new RegExp(`^arn:${who.partition}:iam::${who.account}:role/(?:.*/)?([^/]+)$`);
      const sparedByThem = (entry: string) =>
        entry === "*" ||
        entry === who.account ||
        entry === `arn:${who.partition}:iam::${who.account}:root` ||
        entry === who.arn ||
        (who.kind === "session" && role.exec(entry)?.[1].toLowerCase() === who.name.toLowerCase());
      const Statement = policy.Statement.filter((s) => !(s.Effect === "Deny" && s.NotPrincipal !== undefined && s.NotPrincipal !== "*" && actionMatches(s, action) && asList(s.NotPrincipal.AWS).some(sparedByThem)));
      return Statement.length === policy.Statement.length ? undefined : { ...policy, Statement };
    },
  },
  // An ARN operator's value with a policy variable: the IAM guide has variables resolve in ARN
  // operators; iam-simulate splits the written value at its colons first, so a variable holding a
  // colon before the resource part (`arn:aws:iam::${aws:PrincipalAccount}:*`) matches no ARN, and a
  // value whose parts a variable brings (`${aws:PrincipalTag/arn}`) is "Invalid ARN": no match, and
  // under a negated operator a false clause.
  "arn-split-before-variables": {
    emulate: ({ policy }) =>
      rewriteClauses(policy, (operator, _key, values) => {
        const op = parseOperator(operator);
        if (op?.base.kind !== "arn") return undefined;
        const invalid = (v: string) => /\$\{/.test(v) && arnParts(v.replace(/\$\{[^}]*\}/g, "v")) === undefined;
        const colon = (v: string) => /\$\{[^}]*:[^}]*\}/.test(v.slice(0, v.length - resourcePart(v).length));
        if (!values.some((v) => invalid(v) || colon(v))) return undefined;
        // An invalid value makes a negated clause false where the key is present: StringNotLike "*".
        if (op.base.negated && values.some(invalid)) return { operator: `${op.set ? `${op.set}:` : ""}StringNotLike${op.ifExists ? "IfExists" : ""}`, values: ["*"] };
        return { operator, values: values.map((v) => (invalid(v) || colon(v) ? "arn:zz:zz:zz:000000000000:zz-unmatched" : v)) };
      }),
  },
  // Epoch seconds and ISO 8601 dates are instants alike; iam-simulate compares seconds with milliseconds.
  "date-epoch-seconds": {
    explains: ({ policy, action }) =>
      covering(policy, action).some((s) =>
        statementConditionValues(s).some((c) => c.kind === "date" && (c.key.toLowerCase() === "aws:epochtime") !== /^\d+$/.test(c.value) && parseDate(c.value) !== undefined),
      ),
  },
  // A negated operator whose value holds a variable with no value: the IAM guide says inverted
  // operators "do match against a null value"; iam-simulate takes such a value as an error that
  // matches nothing, so the negated clause is false wherever the key is present.
  "negated-variable-no-value": {
    emulate: ({ policy, context }) =>
      rewriteClauses(policy, (operator, _key, values) => {
        const op = parseOperator(operator);
        if (!op?.base.negated || !op.base.variables || !values.some((v) => nullVariable(v, context))) return undefined;
        // StringNotLike "*" is false for any present value and keeps the absent key's reading.
        return { operator: `${op.set ? `${op.set}:` : ""}StringNotLike${op.ifExists ? "IfExists" : ""}`, values: ["*"] };
      }),
  },
  // `0.0.0.0/0` is every IPv4 address; iam-simulate's 32-bit shift (`-1 << 32` is -1) makes any
  // IPv4 `/0` a `/32`.
  "ipv4-zero-prefix": {
    emulate: ({ policy }) =>
      rewriteClauses(policy, (operator, _key, values) => {
        if (parseOperator(operator)?.base.kind !== "ip" || !values.some((v) => /^[\d.]+\/0$/.test(v.trim()))) return undefined;
        return { operator, values: values.map((v) => v.trim().replace(/^([\d.]+)\/0$/, "$1/32")) };
      }),
  },
  // A caller of one address family under NotIpAddress of a single address of the other: it is not
  // that address, so the clause holds; iam-simulate's single-address test fails for the other family,
  // so the NotIpAddress clause is false.
  "notip-other-family-address": {
    emulate: ({ policy, context }) => {
      const caller = CALLER_IP(context);
      if (caller === undefined) return undefined;
      return rewriteClauses(policy, (operator, _key, values) => {
        const op = parseOperator(operator);
        if (op?.base.name !== "NotIpAddress") return undefined;
        const other = values.filter((v) => !v.includes("/") && parseCidr(v) !== undefined && parseCidr(v)!.bits !== caller.bits);
        if (other.length === 0) return undefined;
        // A range of the caller's own family holding it: the clause is false, as iam-simulate reads it.
        return { operator, values: caller.bits === 32 ? ["0.0.0.0/1", "128.0.0.0/1"] : ["::/0"] };
      });
    },
  },
};

/**
 * The exceptions that explain a disagreement: one whose predicate holds; or one emulation, or all
 * that apply, in the table's order, after which our evaluator gives iam-simulate's answer (or
 * differs from it only as a predicate explains: a slip beside KMS's cross-account refusal). None:
 * an unexplained disagreement.
 */
export function explain(asked: Asked, key: KeyFacts): string[] {
  const predicate = (a: Asked) => Object.entries(EXCEPTIONS).find(([, e]) => e.explains?.(a))?.[0];
  const first = predicate(asked);
  if (first !== undefined) return [first];
  const settled = (policy: PolicyDocument, ids: string[]): string[] | undefined => {
    const ours = evaluate(policy, key, { principal: asked.principal, action: asked.action, context: asked.context });
    if (agrees(ours, asked.theirs)) return ids;
    const also = predicate({ ...asked, policy, ours });
    return also === undefined ? undefined : [...ids, also];
  };
  const emulations = Object.entries(EXCEPTIONS).filter(([, e]) => e.emulate !== undefined);
  for (const [id, e] of emulations) {
    const policy = e.emulate!(asked);
    const ids = policy === undefined ? undefined : settled(policy, [id]);
    if (ids !== undefined) return ids;
  }
  // Several slips at once: each emulation over the policy as the ones before it left it.
  let policy = asked.policy;
  const applied: string[] = [];
  for (const [id, e] of emulations) {
    const next = e.emulate!({ ...asked, policy });
    if (next !== undefined) [policy, applied[applied.length]] = [next, id];
  }
  return (applied.length > 1 && settled(policy, applied)) || [];
}

/** Asks both engines one request: our decision, and the disagreement with the exceptions that explain it, if any. */
export function compare(
  name: string,
  policy: PolicyDocument,
  oracle: Oracle,
  key: KeyFacts,
  principal: string,
  action: string,
  context: RequestContext,
): { ours: Decision; disagreement?: Disagreement } {
  const ours = evaluate(policy, key, { principal, action, context });
  const theirs = oracle.ask(principal, action, present(context));
  if (agrees(ours, theirs)) return { ours };
  return { ours, disagreement: { policy: name, principal, action, context: present(context), ours, theirs, exceptions: explain({ policy, principal, action, context, ours, theirs }, key) } };
}

/** A disagreement in one line, for a failure message. */
export function describeDisagreement(d: Disagreement): string {
  return `${d.policy} | ${d.principal} | ${d.action} | ${JSON.stringify(d.context)}: ours ${d.ours.effect}${d.ours.reason ? ` (${d.ours.reason})` : ""}, iam-simulate ${d.theirs.effect} (${d.theirs.keyPolicyResult})`;
}
