/**
 * What a plan changes about the data key: its policy statement by statement, who may do what
 * with it (the access matrix before and after, from the evaluator), and the changes that put data
 * at risk (flags).
 */
import {
  ACTION_GROUPS,
  accessMatrix,
  asList,
  conditionValues,
  partitionOfPolicy,
  principalEntries,
  describeClause,
  KeyFacts,
  matrixCell,
  MatrixCell,
  PolicyDocument,
  PolicyStatement,
  readPolicy,
  sidOf,
} from "../../modules/index";
import { ALIAS_ADDRESS, changeOf, KEY_ADDRESS, Plan, unknownAfter } from "./plan";

export interface StatementChange {
  readonly kind: "added" | "removed" | "changed";
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
  readonly access: readonly AccessChange[];
  readonly flags: readonly Flag[];
}

/** What the plan does to the data key and its alias. */
export function keyPlan(plan: Plan, key: KeyFacts): KeyPlan | undefined {
  const rc = changeOf(plan, KEY_ADDRESS);
  if (rc === undefined) {
    // No change to the data key itself; another key or alias of the stack may still be at risk.
    const others = otherKeyFlags(plan);
    return others.length === 0 ? undefined : { actions: [], importing: false, policyUnknown: false, statements: [], access: [], flags: others };
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
  return {
    actions,
    importing: rc.change.importing !== undefined && rc.change.importing !== null,
    destroyOrReplace,
    policyBefore,
    policyAfter,
    policyUnknown,
    statements: policyBefore && policyAfter ? statementDiff(policyBefore, policyAfter) : [],
    access: policyBefore && policyAfter ? accessDiff(policyBefore, policyAfter, facts) : [],
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

/** Statements matched by Sid (unnamed ones by their content): added, removed and changed, with what changed. */
export function statementDiff(before: PolicyDocument, after: PolicyDocument): StatementChange[] {
  const keyed = (policy: PolicyDocument) => new Map(policy.Statement.map((s, i) => [s.Sid ? `sid:${s.Sid}` : `content:${JSON.stringify(s)}`, { s, i }]));
  const b = keyed(before);
  const a = keyed(after);
  const out: StatementChange[] = [];
  for (const [key, { s, i }] of b) {
    const other = a.get(key);
    if (other === undefined) out.push({ kind: "removed", sid: sidOf(s, i), details: summary(s) });
    else {
      const details = fieldChanges(s, other.s);
      if (details.length > 0) out.push({ kind: "changed", sid: sidOf(s, i), details });
    }
  }
  for (const [key, { s, i }] of a) if (!b.has(key)) out.push({ kind: "added", sid: sidOf(s, i), details: summary(s) });
  return out;
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
    ...clauses(s).map((c) => `when ${c}`),
  ];
}

function clauses(s: PolicyStatement): string[] {
  return Object.entries(s.Condition ?? {}).flatMap(([operator, keys]) =>
    Object.entries(keys).map(([key, values]) => describeClause({ operator, key, values: conditionValues(values) })),
  );
}

/** What differs between two versions of one statement. */
function fieldChanges(before: PolicyStatement, after: PolicyStatement): string[] {
  const out: string[] = [];
  if (before.Effect !== after.Effect) out.push(`Effect: ${before.Effect} → ${after.Effect}`);
  const sets = (label: string, x: readonly string[], y: readonly string[], fold = (v: string) => v) => {
    const xs = new Set(x.map(fold));
    const ys = new Set(y.map(fold));
    for (const v of y) if (!xs.has(fold(v))) out.push(`${label} added: ${v}`);
    for (const v of x) if (!ys.has(fold(v))) out.push(`${label} removed: ${v}`);
  };
  // "*" and { AWS: "*" }, an account id and its root ARN: the same principal, no change.
  const partition = partitionOfPolicy({ Version: "2012-10-17", Statement: [before, after] });
  for (const element of ["Principal", "NotPrincipal"] as const) {
    const entries = (p: PolicyStatement["Principal"]) => (p === undefined ? [] : principalEntries(p, partition).map(([kind, id]) => `${kind}: ${id}`));
    sets(element, entries(before[element]), entries(after[element]));
  }
  sets("Action", asList(before.Action), asList(after.Action), (v) => v.toLowerCase());
  sets("NotAction", asList(before.NotAction), asList(after.NotAction), (v) => v.toLowerCase());
  sets("Resource", asList(before.Resource), asList(after.Resource));
  sets("NotResource", asList(before.NotResource), asList(after.NotResource));
  sets("condition", clauses(before), clauses(after));
  return out;
}

/** The matrix cells that differ between the two policies: every principal either names, and the generic rows. */
export function accessDiff(before: PolicyDocument, after: PolicyDocument, key: KeyFacts): AccessChange[] {
  const rows = new Map<string, string>();
  for (const m of [accessMatrix(before, key, undefined, [after]), accessMatrix(after, key, undefined, [before])]) for (const r of m.rows) rows.set(r.principal, r.label);
  const out: AccessChange[] = [];
  for (const [principal, label] of rows) {
    for (const group of ACTION_GROUPS) {
      const b = matrixCell(before, key, principal, group);
      const a = matrixCell(after, key, principal, group);
      if (sameCell(a, b)) continue;
      out.push({ principal: label, column: group.label, before: b, after: a });
    }
  }
  return out;
}

function sameCell(a: MatrixCell, b: MatrixCell): boolean {
  const shape = (c: MatrixCell) => JSON.stringify([c.effect, c.sids, c.reason ?? null, c.allowedWhen, c.deniedWhen, c.effect === "partial" ? c.byAction : null]);
  return shape(a) === shape(b);
}
