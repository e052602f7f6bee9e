/**
 * What a plan changes about the data key: its policy statement by statement, who may do what
 * with it (the access matrix before and after, from the evaluator), and the changes that put data
 * at risk (flags).
 */
import {
  ACTION_GROUPS,
  accessMatrix,
  asList,
  Clause,
  clauseKey,
  ConditionalStatement,
  Decision,
  conditionClauses,
  describeClause,
  documentDifferences,
  Finding,
  ElementDifference,
  matchStatements,
  normalizePolicy,
  KeyFacts,
  matrixCell,
  MatrixCell,
  PolicyDocument,
  policyGrammar,
  PolicyStatement,
  readPolicy,
  sidOf,
} from "../../modules/index";
import { ALIAS_ADDRESS, changeOf, KEY_ADDRESS, Plan, unknownAfter } from "./plan";

export interface StatementChange {
  /** `document`: the policy's Version or Id (`sid` names which). */
  readonly kind: "added" | "removed" | "changed" | "document";
  readonly sid: string;
  /** What differs, a phrase each: `AWS principal added: arn:…`, `condition removed: …`. */
  readonly details: readonly string[];
}

export interface AccessChange {
  readonly principal: string;
  readonly column: string;
  readonly before: MatrixCell;
  readonly after: MatrixCell;
}

export interface Flag {
  readonly severity: "error" | "warning";
  readonly message: string;
}

export interface KeyPlan {
  /** The key's change: what Terraform will do to it. */
  readonly actions: readonly string[];
  /** Importing an existing key (its `before` is the live key). */
  readonly importing: boolean;
  readonly destroyOrReplace?: "destroy" | "replace";
  readonly policyBefore?: PolicyDocument;
  /** Undefined after: deleted, or known only after apply (`policyUnknown`). */
  readonly policyAfter?: PolicyDocument;
  readonly policyUnknown: boolean;
  readonly statements: readonly StatementChange[];
  /** Empty when {@link accessUnknown} says why it could not be evaluated. */
  readonly access: readonly AccessChange[];
  /**
   * Why the access diff was not evaluated though both policies are known: `could not evaluate
   * the live policy: <the grammar's errors>` (or the planned policy).
   */
  readonly accessUnknown?: string;
  /** The policy grammar's errors of the live policy (`live policy.Statement[5]…`) and of the planned one. */
  readonly refused: readonly Finding[];
  readonly flags: readonly Flag[];
}

/** How a policy is named in findings and messages: the prior state's (the live key's), or the plan's. */
export type PolicySide = "live policy" | "planned policy";

/**
 * The IAM policy grammar's errors (rule `policy-grammar`) of a policy read from elsewhere (a plan's
 * prior state, GetKeyPolicy), each at its path under `side`: `live policy.Statement[5].Condition`.
 * The evaluator answers only for a policy the grammar accepts (an unknown operator makes it
 * throw; NotPrincipal with Allow has no documented answer), so a policy with any is never evaluated.
 *
 * A deleted user's or role's unique id (`AIDA…`, `AROA…`), which AWS writes in place of its ARN
 * ("The unique principal ID in a resource-based policy indicates that the IAM user or role was
 * deleted": AWS re:Post knowledge center, iam-resource-policy-format), is no error here: AWS put it
 * there, and it matches no caller.
 */
export function grammarErrors(policy: PolicyDocument, side: PolicySide, accountId = ""): Finding[] {
  const uniqueId = /^A(IDA|ROA)[A-Z0-9]{12,}$/;
  const principals = (p: PolicyStatement["Principal"]) => {
    if (p === undefined || p === "*" || typeof p !== "object" || p === null || Array.isArray(p) || p.AWS === undefined) return p;
    const aws = asList(p.AWS as string | string[]);
    return aws.some((a) => typeof a === "string" && uniqueId.test(a)) ? { ...p, AWS: aws.filter((a) => !(typeof a === "string" && uniqueId.test(a))) } : p;
  };
  const checked: PolicyDocument = {
    ...policy,
    Statement: policy.Statement.map((s) => {
      const out: Record<string, unknown> = { ...s };
      for (const field of ["Principal", "NotPrincipal"] as const) if (s[field] !== undefined) out[field] = principals(s[field]);
      return out as unknown as PolicyStatement;
    }),
  };
  let findings: Finding[];
  try {
    findings = policyGrammar.check({ policy: checked, accountId });
  } catch (e) {
    // A shape the rule does not expect (it reads what synth builds): refused, never a trace.
    return [{ rule: policyGrammar.id, severity: "error", path: side, message: `${side}: it could not be read as a key policy (${(e as Error).message}).` }];
  }
  return findings.filter((f) => f.severity === "error").map((f) => ({ ...f, path: f.path.replace(/^policy\b/, side), message: f.message.replace(/^policy\b/, side) }));
}

/** What the plan does to the data key and its alias. */
export function keyPlan(plan: Plan, key: KeyFacts): KeyPlan | undefined {
  const rc = changeOf(plan, KEY_ADDRESS);
  if (rc === undefined) {
    // No change to the data key itself; another key or alias of the stack may still be at risk.
    const others = otherKeyFlags(plan);
    return others.length === 0 ? undefined : { actions: [], importing: false, policyUnknown: false, statements: [], access: [], refused: [], flags: others };
  }
  const { actions } = rc.change;
  const before = (rc.change.before ?? undefined) as Record<string, unknown> | undefined;
  const after = (rc.change.after ?? undefined) as Record<string, unknown> | undefined;
  const destroyOrReplace = actions.includes("delete") ? (actions.includes("create") ? "replace" : "destroy") : undefined;
  const policyBefore = parsePolicy(before?.policy);
  const policyUnknown = unknownAfter(rc, "policy");
  const policyAfter = policyUnknown ? undefined : parsePolicy(after?.policy);
  const keyArn = typeof before?.arn === "string" ? before.arn : key.keyArn;
  const facts: KeyFacts = { ...key, keyArn };
  // The live policy (the prior state: the key as refreshed, or the one an import adopts) may hold
  // what the console or another tool wrote: it is read with the grammar before it is evaluated.
  const sides: [PolicySide, PolicyDocument | undefined][] = [
    ["live policy", policyBefore],
    ["planned policy", policyAfter],
  ];
  const refusedBy = sides.map(([side, policy]) => [side, policy ? grammarErrors(policy, side, key.account) : []] as const);
  const refused = refusedBy.flatMap(([, errors]) => errors);
  const accessUnknown = refused.length === 0 ? undefined : refusedBy.filter(([, errors]) => errors.length > 0).map(([side, errors]) => `could not evaluate the ${side}: ${errors.map((f) => f.message).join(" ")}`).join("; ");
  return {
    actions,
    importing: rc.change.importing !== undefined && rc.change.importing !== null,
    destroyOrReplace,
    policyBefore,
    policyAfter,
    policyUnknown,
    statements: policyBefore && policyAfter ? statementDiff(policyBefore, policyAfter) : [],
    access: policyBefore && policyAfter && accessUnknown === undefined ? accessDiff(policyBefore, policyAfter, facts) : [],
    ...(policyBefore && policyAfter && accessUnknown !== undefined ? { accessUnknown } : {}),
    refused,
    flags: [...flags(plan, before, after, rc), ...otherKeyFlags(plan)],
  };
}

/**
 * Every other KMS key and alias of the plan that would be destroyed, replaced or forgotten: a
 * second key of the stack, a deposed copy of the data key, and the data key or its alias leaving
 * Terraform's management (`removed` with `destroy = false`: not destroyed, but no longer under
 * prevent_destroy, drift or review).
 */
function otherKeyFlags(plan: Plan): Flag[] {
  const out: Flag[] = [];
  for (const rc of plan.resource_changes ?? []) {
    if (rc.type !== "aws_kms_key" && rc.type !== "aws_kms_alias") continue;
    const { actions } = rc.change;
    const current = rc.address === KEY_ADDRESS || rc.address === ALIAS_ADDRESS;
    const where = rc.deposed === undefined ? `\`${rc.address}\`` : `\`${rc.address}\` (deposed object ${rc.deposed})`;
    if (actions.includes("forget")) {
      out.push({
        severity: "warning",
        message: `${where} would leave Terraform's management (removed from the state, not destroyed): prevent_destroy, drift and this review no longer cover it.`,
      });
    } else if (actions.includes("delete") && (!current || rc.deposed !== undefined)) {
      out.push(
        rc.type === "aws_kms_key"
          ? { severity: "error", message: `This change would ${actions.includes("create") ? "REPLACE" : "DESTROY"} the KMS key ${where}. Every byte encrypted under it would be lost.` }
          : { severity: "error", message: `The alias ${where} would be ${actions.includes("create") ? "replaced" : "deleted"}: everything that names it loses its key meanwhile.` },
      );
    }
  }
  return out;
}

function parsePolicy(value: unknown): PolicyDocument | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  try {
    return readPolicy(value);
  } catch {
    return undefined;
  }
}

/** The changes that put the key, or the data under it, at risk. */
function flags(plan: Plan, before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined, rc: NonNullable<ReturnType<typeof changeOf>>): Flag[] {
  const out: Flag[] = [];
  const { actions } = rc.change;
  if (actions.includes("delete")) {
    out.push({
      severity: "error",
      message: `This change would ${actions.includes("create") ? "REPLACE" : "DESTROY"} the data key \`${KEY_ADDRESS}\`. Every byte encrypted under it would be lost.`,
    });
  }
  const was = (attr: string) => before?.[attr];
  const will = (attr: string) => (unknownAfter(rc, attr) ? "(known after apply)" : after?.[attr]);
  if (before && after) {
    if (was("is_enabled") === true && will("is_enabled") === false) out.push({ severity: "error", message: "The key would be disabled: nothing encrypted under it can be decrypted until it is enabled again." });
    if (was("bypass_policy_lockout_safety_check") !== true && will("bypass_policy_lockout_safety_check") === true) {
      out.push({ severity: "error", message: "bypass_policy_lockout_safety_check would be on: AWS would not refuse a policy that locks everyone out of the key." });
    }
    if (was("enable_key_rotation") === true && will("enable_key_rotation") === false) out.push({ severity: "warning", message: "Automatic rotation would be turned off (seed §2.1 and §6 keep it on)." });
    if (was("rotation_period_in_days") !== undefined && will("rotation_period_in_days") !== was("rotation_period_in_days")) {
      out.push({ severity: "warning", message: `The rotation period would change from ${was("rotation_period_in_days")} to ${will("rotation_period_in_days")} days.` });
    }
    const window = [was("deletion_window_in_days"), will("deletion_window_in_days")];
    if (typeof window[0] === "number" && typeof window[1] === "number" && window[1] < window[0]) {
      out.push({ severity: "warning", message: `The deletion window would shrink from ${window[0]} to ${window[1]} days: less time to cancel a scheduled deletion.` });
    }
  }
  const alias = changeOf(plan, ALIAS_ADDRESS);
  if (alias) {
    const a = (alias.change.before ?? undefined) as Record<string, unknown> | undefined;
    const b = (alias.change.after ?? undefined) as Record<string, unknown> | undefined;
    if (alias.change.actions.includes("delete") && !alias.change.actions.includes("create")) {
      out.push({ severity: "error", message: `The alias ${a?.name ?? ""} would be deleted: everything that names it loses the key.` });
    } else if (a && b && a.name !== b.name) {
      out.push({ severity: "error", message: `The alias would be renamed from ${a.name} to ${b.name}: everything that names ${a.name} loses the key.` });
    } else if (a && b && alias.change.actions.includes("update") && a.target_key_id !== b.target_key_id) {
      out.push({ severity: "error", message: `The alias ${a.name} would point at another key (${unknownAfter(alias, "target_key_id") ? "known after apply" : String(b.target_key_id)}).` });
    }
  }
  return out;
}

/**
 * What changes between two policies, read as IAM reads them (`matchStatements`, the comparison
 * verify's drift uses too): Version and Id, then the statements removed, changed (matched by Sid)
 * and added. A rewrite IAM reads alike (list or key order, one value as a list of one, `"*"` as
 * `{ "AWS": "*" }`, an account id as its root ARN, a repeated statement) is no change.
 */
export function statementDiff(before: PolicyDocument, after: PolicyDocument): StatementChange[] {
  const out: StatementChange[] = documentDifferences(before, after).map((d) => ({
    kind: "document",
    sid: d.element,
    details: [`${d.element}: ${d.before === undefined ? "(none)" : JSON.stringify(d.before)} → ${d.after === undefined ? "(none)" : JSON.stringify(d.after)}`],
  }));
  const m = matchStatements(before, after);
  const ordered: [number, StatementChange][] = [
    ...m.removed.map((r): [number, StatementChange] => [r.index, { kind: "removed", sid: sidOf(r.statement, r.index), details: summary(r.statement) }]),
    ...m.changed.map((c): [number, StatementChange] => [c.before.index, { kind: "changed", sid: sidOf(c.before.statement, c.before.index), details: c.differences.flatMap(describeDifference) }]),
  ];
  out.push(...ordered.sort(([a], [b]) => a - b).map(([, change]) => change));
  out.push(...m.added.map((a): StatementChange => ({ kind: "added", sid: sidOf(a.statement, a.index), details: summary(a.statement) })));
  return out;
}

/** One element's difference in phrases: `Principal added: AWS: arn:…`, `condition removed: …`, `Effect: Allow → Deny`. */
function describeDifference(d: ElementDifference): string[] {
  if (d.element === "Condition") {
    const clauses = d as Extract<ElementDifference, { element: "Condition" }>;
    return [...clauses.added.map((c) => `condition added: ${describeClause(c)}`), ...clauses.removed.map((c) => `condition removed: ${describeClause(c)}`)];
  }
  const values = d as { element: string; added: readonly string[]; removed: readonly string[] };
  if (["Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource"].includes(d.element)) {
    return [...values.added.map((v) => `${d.element} added: ${v}`), ...values.removed.map((v) => `${d.element} removed: ${v}`)];
  }
  // Effect, Sid and fields the grammar does not name: one value each side.
  return [`${d.element}: ${values.removed[0] ?? "(none)"} → ${values.added[0] ?? "(none)"}`];
}

/** One statement in a few phrases. */
function summary(s: PolicyStatement): string[] {
  const principals = (label: string, p: PolicyStatement["Principal"]) =>
    p === undefined ? [] : p === "*" ? [`${label}: *`] : Object.entries(p).map(([kind, v]) => `${label} ${kind}: ${asList(v as string | string[]).join(", ")}`);
  return [
    s.Effect,
    ...principals("Principal", s.Principal),
    ...principals("NotPrincipal", s.NotPrincipal),
    ...(s.Action !== undefined ? [`Action: ${asList(s.Action).join(", ")}`] : []),
    ...(s.NotAction !== undefined ? [`NotAction: ${asList(s.NotAction).join(", ")}`] : []),
    ...(s.Resource !== undefined && asList(s.Resource).join() !== "*" ? [`Resource: ${asList(s.Resource).join(", ")}`] : []),
    ...(s.NotResource !== undefined ? [`NotResource: ${asList(s.NotResource).join(", ")}`] : []),
    ...conditionClauses(s).map((c) => `when ${describeClause(c)}`),
  ];
}

/** The matrix cells that differ between the two policies: every principal either names, and the generic rows. */
export function accessDiff(before: PolicyDocument, after: PolicyDocument, key: KeyFacts): AccessChange[] {
  const [mb, ma] = [accessMatrix(before, key, undefined, [after]), accessMatrix(after, key, undefined, [before])];
  const cellsOf = (m: typeof mb) => new Map(m.rows.map((r, i) => [r.principal, m.cells[i]]));
  const [cb, ca] = [cellsOf(mb), cellsOf(ma)];
  const rows = new Map<string, string>();
  for (const m of [mb, ma]) for (const r of m.rows) rows.set(r.principal, r.label);
  const [shapeBefore, shapeAfter] = [cellShape(before), cellShape(after)];
  const out: AccessChange[] = [];
  for (const [principal, label] of rows) {
    ACTION_GROUPS.forEach((group, g) => {
      // A row only one policy names is evaluated under the other too.
      const b = cb.get(principal)?.[g] ?? matrixCell(before, key, principal, group);
      const a = ca.get(principal)?.[g] ?? matrixCell(after, key, principal, group);
      if (shapeBefore(b) !== shapeAfter(a)) out.push({ principal: label, column: group.label, before: b, after: a });
    });
  }
  return out;
}

/** What a decision says that can change an answer (see {@link verdictOf}). */
export interface Verdict {
  readonly effect: Decision["effect"];
  readonly sids: readonly string[];
  readonly reason?: Decision["reason"];
  readonly grants: readonly ConditionalStatement[];
  readonly denies: readonly { readonly sid: string; readonly when: readonly Clause[] }[];
}

/**
 * A decision without what cannot change its answer: a conditional grant where the key policy
 * allows already (or one through IAM where IAM decides already), a conditional deny where nothing
 * allows, anything beside an explicit deny or KMS's cross-account refusal. What is left is what
 * the review shows and what its access diff compares.
 */
export function verdictOf(
  d: Pick<Decision, "effect" | "sids" | "reason" | "conditionalGrants"> & { readonly conditionalDenies: Verdict["denies"] },
): Verdict {
  if (d.effect === "allow") return { effect: "allow", sids: d.sids, grants: [], denies: d.conditionalDenies };
  if (d.effect === "iam") return { effect: "iam", sids: d.sids, grants: d.conditionalGrants.filter((g) => g.effect === "allow"), denies: d.conditionalDenies };
  if (d.reason === "explicit") return { effect: "deny", reason: "explicit", sids: d.sids, grants: [], denies: [] };
  if (d.reason === "cross-account") return { effect: "deny", reason: "cross-account", sids: [], grants: [], denies: [] };
  const grants = d.conditionalGrants;
  return { effect: "deny", reason: d.reason, sids: [], grants, denies: grants.length ? d.conditionalDenies : [] };
}

/** A uniform cell as one verdict (its statements: those of all its actions). */
export function cellVerdict(c: MatrixCell): Verdict {
  return verdictOf({ effect: c.effect as Decision["effect"], sids: c.sids, reason: c.reason, conditionalGrants: c.allowedWhen, conditionalDenies: c.deniedWhen });
}

/**
 * A cell as IAM reads it, to compare cells of two policies: each action's {@link verdictOf}, an
 * unnamed statement by its content (its position, `Statement[i]`, moves with an unrelated edit),
 * conditions as sets of clauses with their values as sets, grants and denies in no order.
 */
function cellShape(policy: PolicyDocument): (cell: MatrixCell) => string {
  const ids = new Map(policy.Statement.map((s, i) => [sidOf(s, i), s.Sid ? `sid:${s.Sid}` : `content:${JSON.stringify(normalizePolicy({ Version: "2012-10-17", Statement: [s] }))}`]));
  const sid = (x: string) => ids.get(x) ?? x;
  const conditional = (list: readonly { sid: string; when: readonly Clause[]; effect?: string }[]) =>
    list.map((g) => JSON.stringify([sid(g.sid), g.effect ?? null, [...new Set(g.when.map(clauseKey))].sort()])).sort();
  const shape = (v: Verdict) => [v.effect, v.reason ?? null, [...new Set(v.sids.map(sid))].sort(), conditional(v.grants), conditional(v.denies)];
  return (c) => JSON.stringify(Object.entries(c.byAction).map(([action, d]) => [action, shape(verdictOf(d))]));
}
