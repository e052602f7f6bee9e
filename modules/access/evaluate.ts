/**
 * AWS's evaluation of a key policy for one request: the one answer to "may X do Y with this key",
 * used by the access matrix, the lockout and self-grant rules, and the review.
 *
 * - A statement applies when its Principal (or NotPrincipal), Action (or NotAction), Resource (or
 *   NotResource) and every Condition match. An explicit Deny that applies wins.
 * - An Allow that names the principal (or everyone) grants by the key policy alone, for a principal
 *   of the key's account or a service; one that names the principal's account delegates to its IAM
 *   policies (`iam`), and a principal of another account always needs its own IAM policy too.
 * - KMS refuses most operations across accounts whatever the policy says (the API reference's
 *   "Cross-account use: No", generated into the KMS action table).
 * - With a partial context (keys unknown), statements whose conditions depend on them are reported
 *   as conditional grants or denies, never silently taken or dropped.
 * - What AWS does not support gets no guessed answer: an Allow with NotPrincipal is a conditional
 *   grant on a clause nobody can meet ("NotPrincipal with Allow, which AWS does not support"); the
 *   policy-grammar rule refuses it at synth.
 */
import { asList, PolicyDocument, PolicyStatement } from "../key-policy/document";
import { KMS_ACTION_TABLE } from "../key-policy/kms-actions.generated";
import { and, arnComponents, arnParts, Clause, evaluateOperator, FALSE, pattern, resolveVariables, Truth, TRUE, UNSUPPORTED_NOT_PRINCIPAL, wildcard } from "./conditions";
import { KeyFacts, RequestContext } from "./context";
import { accountOf, matchNotPrincipal, matchPrincipal, PrincipalMatch, RequestPrincipal, requestPrincipal } from "./principals";

export type Effect = "allow" | "iam" | "deny";

export interface AccessRequest {
  /** An IAM ARN (root, user, role), a session ARN, a service principal, or a parsed principal. */
  readonly principal: string | RequestPrincipal;
  readonly action: string;
  readonly context: RequestContext;
}

/** A statement that applies only when conditions on unknown keys hold. */
export interface ConditionalStatement {
  readonly sid: string;
  readonly when: readonly Clause[];
  /** For grants: by the key policy alone, or through IAM. */
  readonly effect: Effect;
}

export interface Decision {
  /**
   * What the key policy decides from what is known: `allow` (by the key policy alone), `iam`
   * (if the principal's IAM policy allows), or `deny`.
   */
  readonly effect: Effect;
  /** The statements that decide it (the Sid, or `Statement[i]`). */
  readonly sids: readonly string[];
  /** Why a deny: an explicit Deny, KMS's cross-account refusal, or no statement allows. */
  readonly reason?: "explicit" | "cross-account" | "no-allow";
  /** Allows that would also apply if conditions on unknown keys hold. */
  readonly conditionalGrants: readonly ConditionalStatement[];
  /** Denies that would apply if conditions on unknown keys hold. */
  readonly conditionalDenies: readonly ConditionalStatement[];
}

const CROSS_ACCOUNT = new Set(KMS_ACTION_TABLE.filter((a) => a.crossAccount).map((a) => `kms:${a.name}`.toLowerCase()));

/** True when KMS accepts `action` from a principal of another account. */
export function crossAccountAllowed(action: string): boolean {
  return CROSS_ACCOUNT.has(action.toLowerCase());
}

/** The statement's Sid, or its position. */
export function sidOf(statement: PolicyStatement, index: number): string {
  return statement.Sid !== undefined && statement.Sid !== "" ? statement.Sid : `Statement[${index}]`;
}

/** Evaluates the key policy for one request. */
export function evaluate(policy: PolicyDocument, key: KeyFacts, request: AccessRequest): Decision {
  const principal = typeof request.principal === "string" ? requestPrincipal(request.principal) : request.principal;
  const account = accountOf(principal);
  const outside = account !== undefined && account !== key.account;
  const grants: ConditionalStatement[] = [];
  const denies: ConditionalStatement[] = [];
  policy.Statement.forEach((statement, i) => {
    if (!actionMatches(statement, request.action)) return;
    const match = principalMatch(statement, principal);
    if (match === undefined) return;
    const clauses = [resourceMatches(statement, key, request.context), conditionsHold(statement, request.context)];
    // AWS does not support NotPrincipal with Allow: what it grants is no certain answer, so never a grant.
    if (statement.Effect !== "Deny" && statement.NotPrincipal !== undefined) clauses.push({ known: false, clauses: [NOT_PRINCIPAL_ALLOW] });
    const applies = and(clauses);
    if (applies.known && !applies.value) return;
    const sid = sidOf(statement, i);
    const when = applies.known ? [] : applies.clauses;
    if (statement.Effect === "Deny") denies.push({ sid, when, effect: "deny" });
    else grants.push({ sid, when, effect: match === "direct" && !outside ? "allow" : "iam" });
  });

  const conditionalDenies = denies.filter((d) => d.when.length > 0);
  const explicit = denies.filter((d) => d.when.length === 0);
  if (explicit.length > 0) return { effect: "deny", sids: explicit.map((d) => d.sid), reason: "explicit", conditionalGrants: [], conditionalDenies: [] };
  if (outside && !crossAccountAllowed(request.action)) return { effect: "deny", sids: [], reason: "cross-account", conditionalGrants: [], conditionalDenies: [] };
  const certain = grants.filter((g) => g.when.length === 0);
  const conditional = grants.filter((g) => g.when.length > 0);
  if (certain.length === 0) return { effect: "deny", sids: [], reason: "no-allow", conditionalGrants: conditional, conditionalDenies };
  const direct = certain.filter((g) => g.effect === "allow");
  if (direct.length > 0) return { effect: "allow", sids: direct.map((g) => g.sid), conditionalGrants: [], conditionalDenies };
  // Through IAM for certain; a conditional direct grant would spare the IAM policy.
  return { effect: "iam", sids: certain.map((g) => g.sid), conditionalGrants: conditional.filter((g) => g.effect === "allow"), conditionalDenies };
}

function principalMatch(statement: PolicyStatement, principal: RequestPrincipal): PrincipalMatch {
  if (statement.Principal !== undefined) return matchPrincipal(statement.Principal, principal);
  if (statement.NotPrincipal !== undefined) return matchNotPrincipal(statement.NotPrincipal, principal);
  return undefined;
}

/** True when the statement's Action (or NotAction) covers `action`, case-insensitively, wildcards included. */
export function actionMatches(statement: PolicyStatement, action: string): boolean {
  if (statement.Action !== undefined) return asList(statement.Action).some((a) => wildcard(a, "i").test(action));
  return statement.NotAction !== undefined && !asList(statement.NotAction).some((a) => wildcard(a, "i").test(action));
}

const NOT_PRINCIPAL_ALLOW: Clause = { operator: UNSUPPORTED_NOT_PRINCIPAL, key: "NotPrincipal", values: [] };

/**
 * Resource (or NotResource) against the key: `*`, or ARN patterns. While the key's id is unknown
 * (a key not created yet), a pattern naming one key makes the statement conditional on it.
 *
 * A pattern whose variable has no value in the request (`key/${aws:username}` for a role) matches
 * no resource, and its statement does not apply, under NotResource too: the IAM guide ("Policy
 * variables with no value") says such a resource "will not match any resource", and that a value
 * AWS cannot resolve makes the statement invalid; unlike the negated condition operators, for which
 * it says they "do match against a null value", it names no inversion for NotResource. iam-simulate
 * reads it so too.
 */
function resourceMatches(statement: PolicyStatement, key: KeyFacts, context: RequestContext): Truth {
  const negated = statement.Resource === undefined;
  const patterns = asList(negated ? statement.NotResource : statement.Resource);
  if (negated && patterns.some((p) => unresolvable(p, context))) return FALSE;
  const results = patterns.map((p) => resourcePatternMatches(p, key, context));
  let truth: Truth;
  if (results.some((r) => r.known && r.value)) truth = TRUE;
  else if (results.every((r) => r.known)) truth = FALSE;
  else truth = { known: false, clauses: results.flatMap((r) => (r.known ? [] : r.clauses)) };
  if (!negated) return truth;
  return truth.known ? (truth.value ? FALSE : TRUE) : { known: false, clauses: truth.clauses.map((c) => ({ ...c, operator: "NotResource" })) };
}

/** True when a variable of the pattern's resource part has no value in the request (and no default). */
function unresolvable(written: string, context: RequestContext): boolean {
  const resolved = resolveVariables([resourcePart(written)], context);
  return resolved !== undefined && resolved[0] === undefined;
}

/**
 * The part of a written ARN in which AWS substitutes policy variables: after its fifth colon (IAM
 * guide, "Where you can use policy variables": "only in the resource portion of the ARN … You can't
 * use a variable to replace parts of the ARN before the fifth colon"). Colons inside a variable do not
 * count. The whole text when it has fewer than five colons.
 */
export function resourcePart(written: string): string {
  let colons = 0;
  for (let i = 0; i < written.length; i++) {
    if (written.startsWith("${", i)) {
      const end = written.indexOf("}", i);
      if (end < 0) break;
      i = end;
    } else if (written[i] === ":" && ++colons === 5) return written.slice(i + 1);
  }
  return written;
}

/** True when a policy variable stands before the fifth colon of a written ARN, where AWS substitutes none. */
export function variableBeforeResourcePart(written: string): boolean {
  const part = resourcePart(written);
  return part !== written && written.slice(0, written.length - part.length).includes("${");
}

function resourcePatternMatches(written: string, key: KeyFacts, context: RequestContext): Truth {
  if (written === "*") return TRUE;
  // Not substituted there, the variable's text stays: no partition, service, region or account holds "${".
  if (variableBeforeResourcePart(written)) return FALSE;
  const unknown: Truth = { known: false, clauses: [{ operator: "Resource", key: "the key's ARN", values: [written] }] };
  const resolved = resolveVariables([written], context);
  if (resolved === undefined) return unknown;
  const components = resolved[0] === undefined ? undefined : arnComponents(resolved[0]);
  if (components === undefined) return FALSE;
  const matches = (i: number, actual: string) => pattern(components[i]).test(actual);
  if (!matches(1, key.partition) || !matches(2, "kms") || !matches(4, key.account)) return FALSE;
  const keyArn = key.keyArn === undefined ? undefined : arnParts(key.keyArn);
  if (key.region !== undefined && !matches(3, key.region)) return FALSE;
  if (keyArn !== undefined && key.region !== undefined) return matches(5, keyArn[5]) ? TRUE : FALSE;
  // The key's id or region is not known yet (a key still to be created).
  const anyKey = ["key/", "key/0", "key/cb424700-0dd0-4dcb-a77d-13af16579270"].every((id) => matches(5, id));
  const someKey = /^(\*|k\*|ke\*|key\*?\/?.*)$/.test(components[5].map((s) => s.text).join(""));
  if (anyKey && (key.region !== undefined || matches(3, "any-region-1"))) return TRUE;
  return someKey ? unknown : FALSE;
}

function conditionsHold(statement: PolicyStatement, context: RequestContext): Truth {
  if (statement.Condition === undefined) return TRUE;
  return and(Object.entries(statement.Condition).map(([operator, keys]) => evaluateOperator(operator, keys, context)));
}
