import { describeClause } from "../access/conditions";
import { AccessMatrix, accessMatrix, MatrixCell } from "../access/matrix";
import { checkPolicy, keyFacts, PolicySubject } from "../checks/policy";
import { Finding } from "../checks/finding";
import { partitionOf } from "../common/validate";
import { EnvironmentConfig } from "../environments/environment";
import { PolicyDocument } from "../key-policy/document";
import { composeKeyPolicy } from "../key-policy/key-policy";
import { resolvePrincipal } from "../key-policy/principal";
import { DATA_KEY_ID } from "../stack/data-key-stack";

/** `terraform show -json` of a saved plan: the parts the review reads. */
export interface PlanJson {
  readonly resource_changes?: {
    readonly address: string;
    readonly change: { readonly actions: string[]; readonly importing?: unknown };
  }[];
}

export interface PlanSummary {
  /** Where the numbers come from. */
  readonly source: "terraform plan" | "synthesized configuration";
  readonly add: number;
  readonly change: number;
  readonly import: number;
  readonly destroy: number;
  /** Set when the plan would destroy or replace the data key. */
  readonly keyAlert?: "destroy" | "replace";
}

export interface BoundResource {
  readonly service: "s3" | "dynamodb" | "secretsmanager" | "lambda";
  readonly name: string;
  readonly address: string;
  readonly existing: boolean;
}

export interface EnvironmentReview {
  readonly environment: string;
  readonly accountId: string;
  readonly region: string;
  readonly alias: string;
  readonly plan: PlanSummary;
  readonly matrix: AccessMatrix;
  readonly findings: Finding[];
  readonly bound: BoundResource[];
}

type StackJson = Record<string, any>;

const KEY_ADDRESS = `aws_kms_key.${DATA_KEY_ID}`;
const KEY_REF = "${" + KEY_ADDRESS + ".arn}";

/** The review of one environment from its synthesized stack and, when there is one, its plan. */
export function reviewEnvironment(environment: EnvironmentConfig, stack: StackJson, plan?: PlanJson): EnvironmentReview {
  const key = stack.resource.aws_kms_key[DATA_KEY_ID];
  const policy = JSON.parse(key.policy) as PolicyDocument;
  const partition = partitionOf(environment.region);
  const { administrators } = composeKeyPolicy({ ...environment, partition });
  const subject: PolicySubject = {
    policy,
    accountId: environment.accountId,
    partition,
    region: environment.region,
    keyArn: environment.existingKeyId ? `arn:${partition}:kms:${environment.region}:${environment.accountId}:key/${environment.existingKeyId}` : undefined,
    administrators,
    deployer: environment.deployer === undefined ? undefined : resolvePrincipal("deployer", environment.deployer, { accountId: environment.accountId, partition }),
    rotation: {
      enabled: key.enable_key_rotation === true,
      periodInDays: key.rotation_period_in_days,
      expectedPeriodInDays: environment.rotationPeriodInDays ?? 365,
    },
  };
  const findings = checkPolicy(subject);
  const order = { error: 0, warning: 1, info: 2 };
  return {
    environment: environment.name,
    accountId: environment.accountId,
    region: environment.region,
    alias: stack.resource.aws_kms_alias[DATA_KEY_ID].name,
    plan: plan ? summarizePlan(plan) : summarizeSynthesized(stack),
    matrix: accessMatrix(policy, keyFacts(subject)),
    findings: findings.sort((a, b) => order[a.severity] - order[b.severity]),
    bound: boundResources(stack),
  };
}

/** Counts as `terraform plan` prints them, and whether the key would be destroyed or replaced. */
export function summarizePlan(plan: PlanJson): PlanSummary {
  let add = 0;
  let change = 0;
  let imported = 0;
  let destroy = 0;
  let keyAlert: PlanSummary["keyAlert"];
  for (const rc of plan.resource_changes ?? []) {
    const actions = rc.change.actions;
    if (rc.change.importing !== undefined && rc.change.importing !== null) imported++;
    if (actions.includes("create")) add++;
    if (actions.includes("update")) change++;
    if (actions.includes("delete")) destroy++;
    if (rc.address === KEY_ADDRESS && actions.includes("delete")) keyAlert = actions.includes("create") ? "replace" : "destroy";
  }
  return { source: "terraform plan", add, change, import: imported, destroy, ...(keyAlert ? { keyAlert } : {}) };
}

/** Without a plan: every resource not imported is to add; nothing is known to change or go. */
export function summarizeSynthesized(stack: StackJson): PlanSummary {
  const resources = Object.values(stack.resource ?? {}).reduce((n: number, byName: any) => n + Object.keys(byName).length, 0);
  const imports = (stack.import ?? []).length;
  return { source: "synthesized configuration", add: resources - imports, change: 0, import: imports, destroy: 0 };
}

/** The resources whose encryption references the data key's ARN, as Terraform will read them. */
export function boundResources(stack: StackJson): BoundResource[] {
  const imported = new Set<string>((stack.import ?? []).map((i: { to: string }) => i.to));
  const resources = stack.resource ?? {};
  const bucketNames = new Map<string, string>(Object.entries(resources.aws_s3_bucket ?? {}).map(([n, b]: [string, any]) => [n, b.bucket]));
  const rows: BoundResource[] = [];
  const add = (
    service: BoundResource["service"],
    type: string,
    pick: (r: any) => string | undefined,
    name: (r: any) => string,
    existing: (address: string, name: string) => boolean = (address) => imported.has(address),
  ) => {
    for (const [tfName, r] of Object.entries<any>(resources[type] ?? {})) {
      if (pick(r) !== KEY_REF) continue;
      const address = `${type}.${tfName}`;
      rows.push({ service, name: name(r), address, existing: existing(address, name(r)) });
    }
  };
  const stackBuckets = new Set(bucketNames.values());
  add(
    "s3",
    "aws_s3_bucket_server_side_encryption_configuration",
    (r) => r.rule?.[0]?.apply_server_side_encryption_by_default?.kms_master_key_id,
    (r) => bucketNames.get(/^\$\{aws_s3_bucket\.([^.]+)\./.exec(r.bucket)?.[1] ?? "") ?? r.bucket,
    // A configuration for a bucket the stack does not create is for an existing bucket.
    (_address, name) => !stackBuckets.has(name),
  );
  add("dynamodb", "aws_dynamodb_table", (r) => r.server_side_encryption?.kms_key_arn, (r) => r.name);
  add("secretsmanager", "aws_secretsmanager_secret", (r) => r.kms_key_id, (r) => r.name);
  add("lambda", "aws_lambda_function", (r) => r.kms_key_arn, (r) => r.function_name);
  return rows;
}

/** The marker the pull-request workflow finds its own comment by. */
export function commentMarker(environment: string): string {
  return `<!-- mavik-data-key-review:${environment} -->`;
}

/** The review as markdown, fit to post as a pull-request comment. */
export function reviewMarkdown(review: EnvironmentReview): string {
  const lines: string[] = [commentMarker(review.environment)];
  if (review.plan.keyAlert) {
    lines.push(
      `**⚠ This change would ${review.plan.keyAlert.toUpperCase()} the data key \`${KEY_ADDRESS}\`. Every byte encrypted under it would be lost. Do not merge.**`,
      "",
    );
  }
  lines.push(`## Data key review: \`${review.environment}\``, "");
  lines.push(`Key \`${review.alias}\` in account ${review.accountId}, ${review.region}.`, "");
  const p = review.plan;
  lines.push("### Plan", "", `| to add | to change | to import | to destroy |`, `|---|---|---|---|`, `| ${p.add} | ${p.change} | ${p.import} | ${p.destroy} |`, "");
  lines.push(
    p.source === "terraform plan"
      ? "_From `terraform plan`._"
      : "_From the synthesized configuration (no plan was available): every resource not imported counts as new; changes and destroys are unknown._",
    "",
  );
  lines.push("### Who can use the key", "", matrixMarkdown(review.matrix), "");
  lines.push(
    "_“if its IAM policy allows”: the key policy delegates to the account; the principal also needs an IAM policy that allows the action. Direct calls; grants are for AWS resources._",
    "",
  );
  lines.push("### Findings", "");
  if (review.findings.length === 0) lines.push("None.");
  for (const f of review.findings) lines.push(`- **${f.severity}** \`${f.rule}\`: ${f.message}`);
  lines.push("", "### Resources bound to the key", "");
  if (review.bound.length === 0) lines.push("None.");
  else {
    lines.push("| service | name | address | existing |", "|---|---|---|---|");
    for (const b of review.bound) lines.push(`| ${b.service} | \`${b.name}\` | \`${b.address}\` | ${b.existing ? "adopted" : "new"} |`);
  }
  return lines.join("\n") + "\n";
}

/** A matrix cell in a few words: its verdict, the deciding Sids, and any conditions. */
export function cellText(cell: MatrixCell): string {
  const sids = (list: readonly string[]) => list.map((s) => `“${s}”`).join(", ");
  const when = (list: MatrixCell["allowedWhen"]) => list.map((g) => `${g.when.map(describeClause).join(" and ")} (“${g.sid}”)`).join("; or ");
  const unless = cell.deniedWhen.length ? `, unless ${when(cell.deniedWhen.map((d) => ({ ...d, effect: "deny" as const })))}` : "";
  switch (cell.effect) {
    case "allow":
      return `**allowed** by ${sids(cell.sids)}${unless}`;
    case "iam":
      return `if its IAM policy allows (${sids(cell.sids)})${unless}${cell.allowedWhen.length ? `; by the key policy alone when ${when(cell.allowedWhen)}` : ""}`;
    case "deny":
      if (cell.reason === "explicit") return `denied by ${sids(cell.sids)}`;
      if (cell.reason === "cross-account") return "denied (KMS refuses it across accounts)";
      return cell.allowedWhen.length ? `**allowed when** ${when(cell.allowedWhen)}${unless}` : "denied";
    default:
      return `partly: ${Object.entries(cell.byAction)
        .filter(([, d]) => d.effect !== "deny" || d.conditionalGrants.length > 0)
        .map(([a, d]) => `${a} (${d.effect}${d.conditionalGrants.length ? " when conditions hold" : ""})`)
        .join(", ")}`;
  }
}

/** The matrix as a markdown table. */
export function matrixMarkdown(matrix: AccessMatrix): string {
  const header = `| principal | ${matrix.columns.map((c) => c.label).join(" | ")} |`;
  const rule = `|---|${matrix.columns.map(() => "---").join("|")}|`;
  const lines = matrix.rows.map((row, r) => `| \`${row.label}\` | ${matrix.cells[r].map(cellText).join(" | ")} |`);
  return [header, rule, ...lines].join("\n");
}
