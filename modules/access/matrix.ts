/**
 * Who can use the key: every principal the policy names, any other principal of the key's account
 * and a principal of another account, against four groups of actions, each cell evaluated as a
 * normal direct call by that principal (TLS, its ARN and account) with {@link evaluate}. What the
 * call's context cannot know (IP, VPC, MFA, tags, encryption context, the service it comes
 * through, and the time unless `now` is given) shows as the conditions under which a cell is
 * allowed or denied.
 */
import { awsPrincipals, PolicyDocument, servicePrincipals } from "../key-policy/document";
import { Clause } from "./conditions";
import { ContextValue, directCallContext, KeyFacts } from "./context";
import { Decision, Effect, evaluate } from "./evaluate";
import { principalKey, requestPrincipal } from "./principals";

/** The columns: what a principal may do with the key, each checked through concrete actions. */
export interface ActionGroup {
  readonly id: string;
  readonly label: string;
  readonly actions: readonly string[];
  /** What the group's calls add to a direct call's context (`null`: known absent; `undefined`: unknown). */
  readonly context?: Readonly<Record<string, ContextValue | null | undefined>>;
}

export const ACTION_GROUPS: readonly ActionGroup[] = [
  { id: "administer", label: "administer", actions: ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:CancelKeyDeletion"] },
  {
    id: "use",
    label: "encrypt / decrypt",
    actions: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext"],
  },
  {
    // Grants for AWS resources come through the service that holds the resource (EBS, RDS, ...).
    id: "grants",
    label: "grants for AWS resources",
    actions: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
    context: { "kms:GrantIsForAWSResource": "true", "aws:ViaAWSService": "true", "kms:ViaService": undefined },
  },
  {
    // A grant to any grantee, not only for an AWS resource: a principal holding it can give the key
    // to anyone it names (AWS KMS developer guide, "Grants in AWS KMS"; kms:GrantIsForAWSResource).
    id: "grants-any",
    label: "grants to any grantee",
    actions: ["kms:CreateGrant"],
  },
  { id: "describe", label: "describe", actions: ["kms:DescribeKey"] },
];

export interface MatrixRow {
  readonly label: string;
  /** The principal evaluated: an IAM ARN, a session ARN, or a service principal. */
  readonly principal: string;
}

/** One cell: the decision for every action of the group, and their summary. */
export interface MatrixCell {
  /** `partial` when the group's actions are not decided alike. */
  readonly effect: Effect | "partial";
  /** The deciding Sids. */
  readonly sids: readonly string[];
  /** For a denied cell: allowed when one of these sets of conditions holds (a Sid each). */
  readonly allowedWhen: readonly { readonly sid: string; readonly when: readonly Clause[]; readonly effect: Effect }[];
  /** For an allowed cell: denied when one of these holds. */
  readonly deniedWhen: readonly { readonly sid: string; readonly when: readonly Clause[] }[];
  /** Why denied, when all actions agree. */
  readonly reason?: Decision["reason"];
  readonly byAction: Readonly<Record<string, Decision>>;
}

export interface AccessMatrix {
  readonly key: KeyFacts;
  readonly columns: readonly ActionGroup[];
  readonly rows: readonly MatrixRow[];
  /** cells[row][column] */
  readonly cells: MatrixCell[][];
}

/** The principal standing for "any other principal of this account" (a role the policy does not name). */
export const OTHER_PRINCIPAL = (key: KeyFacts) => `arn:${key.partition}:iam::${key.account}:role/any-other-principal`;
/**
 * The principal standing for "a principal of another account": one of an account that neither the
 * key nor any of `policies` names, so a statement for a named partner account does not answer for
 * every other account.
 */
export function OUTSIDE_PRINCIPAL(key: KeyFacts, ...policies: readonly PolicyDocument[]): string {
  const named = new Set([key.account, ...policies.flatMap((p) => JSON.stringify(p).match(/\d{12}/g) ?? [])]);
  let account = 111111111111;
  while (named.has(String(account).padStart(12, "0"))) account = (account + 111111111111) % 1e12;
  return `arn:${key.partition}:iam::${String(account).padStart(12, "0")}:role/any-principal`;
}

/**
 * Rows: every principal the policy names, in a Principal or a NotPrincipal (accounts as their root), then "any other principal of
 * this account" and "a principal of another account" (of an account neither `policy` nor `others`
 * names). Columns: {@link ACTION_GROUPS}.
 */
export function accessMatrix(policy: PolicyDocument, key: KeyFacts, now?: Date, others: readonly PolicyDocument[] = []): AccessMatrix {
  const named = new Map<string, MatrixRow>();
  for (const statement of policy.Statement) {
    // A NotPrincipal's principals are named too: they are the ones a statement treats apart.
    for (const s of [statement, ...(statement.NotPrincipal === undefined ? [] : [{ ...statement, Principal: statement.NotPrincipal }])]) {
      for (const id of awsPrincipals(s).filter((p) => p !== "*")) {
        const arn = /^\d{12}$/.test(id) ? `arn:${key.partition}:iam::${id}:root` : id;
        // A deleted user or role shows in a live policy as its unique id (AIDA…, AROA…): nobody
        // can call as it, and a new principal of the same name is another one. No row.
        if (!callsKms(arn)) continue;
        // One row for one identity: `role/AppRole` and `role/approle` name the same role.
        if (!named.has(principalKey(arn))) named.set(principalKey(arn), { label: id, principal: arn });
      }
      for (const id of servicePrincipals(s)) named.set(id, { label: id, principal: id });
    }
  }
  const rows: MatrixRow[] = [
    ...named.values(),
    { label: "any other principal of this account", principal: OTHER_PRINCIPAL(key) },
    { label: "a principal of another account", principal: OUTSIDE_PRINCIPAL(key, policy, ...others) },
  ];
  const cells = rows.map((row) => ACTION_GROUPS.map((group) => matrixCell(policy, key, row.principal, group, now)));
  return { key, columns: ACTION_GROUPS, rows, cells };
}

/** True when `id` names a principal that can make a request (not a deleted principal's unique id). */
function callsKms(id: string): boolean {
  try {
    requestPrincipal(id);
    return true;
  } catch {
    return false;
  }
}

/** One principal against one group of actions. */
export function matrixCell(policy: PolicyDocument, key: KeyFacts, principal: string, group: ActionGroup, now?: Date): MatrixCell {
  const who = requestPrincipal(principal);
  let context = directCallContext(who, key, now);
  if (group.context) {
    const unknown = Object.entries(group.context).filter(([, v]) => v === undefined).map(([k]) => k);
    const set = Object.fromEntries(Object.entries(group.context).filter(([, v]) => v !== undefined)) as Record<string, ContextValue | null>;
    context = context.with(set).without(unknown);
  }
  const byAction = Object.fromEntries(group.actions.map((action) => [action, evaluate(policy, key, { principal: who, action, context })]));
  const decisions = Object.values(byAction);
  const summary = (d: Decision) => JSON.stringify([d.effect, d.reason ?? null, d.conditionalGrants, d.conditionalDenies]);
  const first = decisions[0];
  const alike = decisions.every((d) => summary(d) === summary(first));
  return {
    effect: alike ? first.effect : "partial",
    sids: [...new Set(decisions.flatMap((d) => d.sids))],
    allowedWhen: alike ? first.conditionalGrants : [],
    deniedWhen: alike ? first.conditionalDenies : [],
    reason: alike ? first.reason : undefined,
    byAction,
  };
}
