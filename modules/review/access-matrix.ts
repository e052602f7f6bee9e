import { awsPrincipals, PolicyDocument, servicePrincipals } from "../key-policy/document";
import { Decision, evaluate, RequestPrincipal } from "./evaluate";

/** The columns: what a principal may do with the key, each checked through concrete actions. */
export interface ActionGroup {
  readonly id: string;
  readonly label: string;
  readonly actions: readonly string[];
  readonly context?: Readonly<Record<string, string>>;
}

export const ACTION_GROUPS: readonly ActionGroup[] = [
  { id: "administer", label: "administer", actions: ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:CancelKeyDeletion"] },
  {
    id: "use",
    label: "encrypt / decrypt",
    actions: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext"],
  },
  {
    id: "grants",
    label: "grants for AWS resources",
    actions: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
    context: { "kms:GrantIsForAWSResource": "true" },
  },
  { id: "describe", label: "describe", actions: ["kms:DescribeKey"] },
];

export interface MatrixRow {
  readonly label: string;
  readonly principal: RequestPrincipal;
}

/** One cell: the decision for every action of the group, and their summary. */
export interface MatrixCell {
  /** `partial` when the group's actions are not decided alike. */
  readonly effect: Decision["effect"] | "partial";
  /** The deciding Sids. */
  readonly sids: string[];
  readonly byAction: Record<string, Decision>;
}

export interface AccessMatrix {
  readonly accountId: string;
  readonly columns: readonly ActionGroup[];
  readonly rows: readonly MatrixRow[];
  /** cells[row][column] */
  readonly cells: MatrixCell[][];
}

/**
 * Rows: every principal the policy names, then "any other principal of this account" and "a
 * principal of another account". Columns: {@link ACTION_GROUPS}.
 */
export function accessMatrix(policy: PolicyDocument, accountId: string): AccessMatrix {
  const partition = /^arn:([^:]+):/.exec(policy.Statement.flatMap(awsPrincipals).find((p) => p.startsWith("arn:")) ?? "")?.[1] ?? "aws";
  const named = new Map<string, MatrixRow>();
  for (const statement of policy.Statement) {
    for (const id of awsPrincipals(statement).filter((p) => p !== "*")) named.set(`AWS:${id}`, { label: id, principal: { kind: "AWS", id } });
    for (const id of servicePrincipals(statement)) named.set(`Service:${id}`, { label: id, principal: { kind: "Service", id } });
  }
  const otherAccount = accountId === "111111111111" ? "222222222222" : "111111111111";
  const rows: MatrixRow[] = [
    ...named.values(),
    { label: "any other principal of this account", principal: { kind: "AWS", id: `arn:${partition}:iam::${accountId}:role/any-other-principal` } },
    { label: "a principal of another account", principal: { kind: "AWS", id: `arn:${partition}:iam::${otherAccount}:role/any-principal` } },
  ];
  const cells = rows.map((row) =>
    ACTION_GROUPS.map((group) => {
      const byAction = Object.fromEntries(
        group.actions.map((action) => [action, evaluate(policy, accountId, { principal: row.principal, action, context: group.context })]),
      );
      const decisions = Object.values(byAction);
      const effects = new Set(decisions.map((d) => d.effect));
      const sids = [...new Set(decisions.map((d) => d.sid).filter((s): s is string => s !== undefined))];
      return { effect: effects.size === 1 ? decisions[0].effect : "partial", sids, byAction } as MatrixCell;
    }),
  );
  return { accountId, columns: ACTION_GROUPS, rows, cells };
}

/** The matrix as a markdown table. */
export function matrixMarkdown(matrix: AccessMatrix): string {
  const text = (cell: MatrixCell): string => {
    const sids = cell.sids.map((s) => `“${s}”`).join(", ");
    switch (cell.effect) {
      case "allow":
        return `**allowed** by ${sids}`;
      case "iam":
        return `if its IAM policy allows (${sids})`;
      case "deny":
        return cell.sids.length ? `denied by ${sids}` : "denied";
      default:
        return `partly: ${Object.entries(cell.byAction)
          .filter(([, d]) => d.effect !== "deny")
          .map(([a, d]) => `${a} (${d.effect})`)
          .join(", ")}`;
    }
  };
  const header = `| principal | ${matrix.columns.map((c) => c.label).join(" | ")} |`;
  const rule = `|---|${matrix.columns.map(() => "---").join("|")}|`;
  const lines = matrix.rows.map((row, r) => `| \`${row.label}\` | ${matrix.cells[r].map(text).join(" | ")} |`);
  return [header, rule, ...lines].join("\n");
}
