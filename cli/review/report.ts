/**
 * The review of one environment and its markdown: what changes first (the plan, its flags, the
 * policy and access diffs, moves), then the findings and bound resources, then the full access
 * matrix folded away. One legend; statements as S1, S2 …; conditions as footnotes; every line
 * short enough to read in a pull request.
 */
import { DATA_KEY_ID, EnvironmentConfig } from "../../app";
import {
  AccessMatrix,
  accessMatrix,
  checkPolicy,
  Clause,
  composeKeyPolicy,
  ConditionalStatement,
  describeClause,
  Finding,
  keyFacts,
  MatrixCell,
  normalizePolicy,
  partitionOf,
  PolicyDocument,
  PolicySubject,
  resolvePrincipal,
  sidOf,
} from "../../modules/index";
import { AccessChange, cellVerdict, Flag, KeyPlan, keyPlan, Verdict, verdictOf } from "./diff";
import { Move } from "./moves";
import { adoptionText, KEY_ADDRESS, offlinePlanOf, Plan } from "./plan";

export interface PlanSummary {
  /** Where the numbers come from. */
  readonly source: "terraform plan" | "offline terraform plan" | "synthesized configuration";
  readonly add: number;
  readonly change: number;
  readonly import: number;
  readonly destroy: number;
  /** An offline plan's import blocks, left out of it: `address` adopts `id`, not checked. */
  readonly adopted?: readonly { readonly address: string; readonly id: string }[];
}

export interface BoundResource {
  readonly service: "s3" | "dynamodb" | "secretsmanager" | "lambda";
  readonly name: string;
  readonly address: string;
  readonly existing: boolean;
}

/** Why there is no plan to read: the app did not synthesize, or terraform plan failed. */
export interface Failure {
  readonly what: "synth" | "plan";
  /** The error, or the end of Terraform's output. */
  readonly output: string;
}

export interface EnvironmentReview {
  readonly environment: string;
  readonly accountId: string;
  readonly region: string;
  readonly alias: string;
  readonly failure?: Failure;
  readonly plan?: PlanSummary;
  readonly key?: KeyPlan;
  readonly moves: readonly Move[];
  readonly findings: readonly Finding[];
  readonly bound: readonly BoundResource[];
  /** The synthesized key policy the matrix and findings are of. */
  readonly policy?: PolicyDocument;
  readonly matrix?: AccessMatrix;
}

type StackJson = Record<string, any>;

const KEY_REF = "${" + KEY_ADDRESS + ".arn}";

/** The policy subject of an environment's synthesized key, as the rules see it at synth. */
function subjectOf(environment: EnvironmentConfig, stack: StackJson): PolicySubject {
  const key = stack.resource.aws_kms_key[DATA_KEY_ID];
  const partition = partitionOf(environment.region);
  const { administrators } = composeKeyPolicy({ ...environment, partition });
  return {
    policy: JSON.parse(key.policy) as PolicyDocument,
    accountId: environment.accountId,
    partition,
    region: environment.region,
    keyArn: environment.existingKeyId ? `arn:${partition}:kms:${environment.region}:${environment.accountId}:key/${environment.existingKeyId}` : undefined,
    administrators,
    deployer: environment.deployer === undefined ? undefined : resolvePrincipal("deployer", environment.deployer, { accountId: environment.accountId, partition }),
    rotation: { enabled: key.enable_key_rotation === true, periodInDays: key.rotation_period_in_days, expectedPeriodInDays: environment.rotationPeriodInDays ?? 365 },
  };
}

/** The review of one environment from its synthesized stack and, when there is one, its plan. */
export function reviewEnvironment(environment: EnvironmentConfig, stack: StackJson, plan?: Plan, moves: readonly Move[] = [], extra: readonly Finding[] = []): EnvironmentReview {
  const subject = subjectOf(environment, stack);
  const order = { error: 0, warning: 1, info: 2 };
  // An offline plan creates the key it would adopt: no change of it to show.
  const key = plan && !offlinePlanOf(plan)?.adopts.some((a) => a.address === KEY_ADDRESS) ? keyPlan(plan, keyFacts(subject)) : undefined;
  return {
    environment: environment.name,
    accountId: environment.accountId,
    region: environment.region,
    alias: stack.resource.aws_kms_alias[DATA_KEY_ID].name,
    plan: plan ? summarizePlan(plan) : summarizeSynthesized(stack),
    key,
    moves,
    // The grammar's errors of the live policy (and of a planned one that is not the synthesized) are findings too.
    findings: [...checkPolicy(subject), ...(key?.refused ?? []), ...extra].sort((a, b) => order[a.severity] - order[b.severity]),
    bound: boundResources(stack),
    policy: subject.policy,
    matrix: accessMatrix(subject.policy, keyFacts(subject)),
  };
}

/** The review of an environment whose app did not synthesize, or whose plan failed. */
export function failedReview(environment: Pick<EnvironmentConfig, "name" | "accountId" | "region" | "alias">, failure: Failure, moves: readonly Move[] = []): EnvironmentReview {
  return { environment: environment.name, accountId: environment.accountId, region: environment.region, alias: environment.alias ?? "", failure, moves, findings: [], bound: [] };
}

/** Counts as `terraform plan` prints them. */
export function summarizePlan(plan: Plan): PlanSummary {
  const count = (test: (actions: readonly string[], importing: boolean) => boolean) =>
    (plan.resource_changes ?? []).filter((rc) => test(rc.change.actions, rc.change.importing !== undefined && rc.change.importing !== null)).length;
  const offline = offlinePlanOf(plan);
  // Offline, what an import block would adopt is planned as new: counted as the real plan would.
  const adopted = offline?.adopts ?? [];
  return {
    source: offline ? "offline terraform plan" : "terraform plan",
    add: count((a) => a.includes("create")) - adopted.length,
    change: count((a) => a.includes("update")),
    import: count((_a, importing) => importing) + adopted.length,
    destroy: count((a) => a.includes("delete")),
    ...(offline ? { adopted } : {}),
  };
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

/** 1 when the review holds an error (a failure, a key at risk, an error finding or move); otherwise 0. */
export function reviewExitCode(reviews: readonly EnvironmentReview[]): number {
  return reviews.some(
    (r) =>
      r.failure !== undefined ||
      (r.key?.flags ?? []).some((f) => f.severity === "error") ||
      r.findings.some((f) => f.severity === "error") ||
      r.moves.some((m) => m.severity === "error"),
  )
    ? 1
    : 0;
}

/** The marker the pull-request workflow finds its own comment by. */
export function commentMarker(environment: string): string {
  return `<!-- mavik-data-key-review:${environment} -->`;
}

const LEGEND = [
  "**allowed**: by the key policy alone · IAM: if the principal's own IAM policy allows too (the key policy delegates to its account) · —: denied",
  "when [n]: allowed only when condition [n] holds (IAM when [n]: and if its IAM policy allows) · alone when [n]: by the key policy alone when [n] holds",
  "unless [n]: denied when it holds · `what: Decrypt`, `what: all but Decrypt`: those actions of the column only · partly ‡n: its actions differ, listed under ‡n",
];

/**
 * Statement references and condition footnotes shared by one report's tables. Statements are
 * numbered in policy order (the planned policy, then the statements the change removes), so S3 is
 * the third statement wherever it appears; the legend is printed once, where a table first needs it.
 * A statement is known by its Sid; an unnamed one (`Statement[i]`) by its content, so a removed
 * unnamed statement never shares a number with another that now has its place.
 */
class Notes {
  private readonly refs = new Map<string, { ref: string; label: string; removed: boolean }>();
  private readonly conditions = new Map<string, number>();
  private readonly identity: { before: Map<string, string>; after: Map<string, string> };
  private readonly parts: string[][] = [];
  private legendShown = false;
  private listedSids = 0;
  private listedConditions = 0;
  private listedParts = 0;

  constructor(policy: PolicyDocument | undefined, before?: PolicyDocument) {
    const ids = (p: PolicyDocument | undefined) =>
      new Map((p?.Statement ?? []).map((s, i) => [sidOf(s, i), s.Sid ? `sid:${s.Sid}` : `content:${JSON.stringify(normalizePolicy({ Version: "2012-10-17", Statement: [s] }))}`]));
    this.identity = { after: ids(policy), before: ids(before) };
    policy?.Statement.forEach((s, i) => this.add(this.identity.after.get(sidOf(s, i))!, sidOf(s, i), false));
    before?.Statement.forEach((s, i) => this.add(this.identity.before.get(sidOf(s, i))!, sidOf(s, i), true));
  }

  private add(id: string, label: string, removed: boolean): void {
    if (!this.refs.has(id)) this.refs.set(id, { ref: `S${this.refs.size + 1}`, label, removed });
  }

  /** The reference of a statement named `sid` in the planned policy, or in the one before. */
  sid(sid: string, side: "before" | "after" = "after"): string {
    const id = this.identity[side].get(sid) ?? this.identity.after.get(sid) ?? `sid:${sid}`;
    this.add(id, sid, side === "before");
    return this.refs.get(id)!.ref;
  }

  condition(clauses: readonly Clause[]): string {
    const text = clauses.map(describeClause).join(" and ");
    if (!this.conditions.has(text)) this.conditions.set(text, this.conditions.size + 1);
    return `[${this.conditions.get(text)}]`;
  }

  /** The legend and statements the first time; later, only what was not listed yet. */
  legend(): string[] {
    const lines: string[] = [];
    if (!this.legendShown) lines.push("", ...LEGEND);
    this.legendShown = true;
    const parts = this.parts.slice(this.listedParts);
    if (parts.length) lines.push("", ...parts.flat());
    const sids = [...this.refs.values()].slice(this.listedSids);
    if (sids.length) lines.push("", ...sids.map(({ ref, label, removed }) => `- ${ref} “${label}”${removed ? " (removed by this change)" : ""}`));
    const conditions = [...this.conditions].slice(this.listedConditions);
    if (conditions.length) lines.push("", ...conditions.map(([text, n]) => `- [${n}] ${text}`));
    this.listedParts = this.parts.length;
    this.listedSids = this.refs.size;
    this.listedConditions = this.conditions.size;
    return lines;
  }

  /**
   * A verdict ({@link verdictOf}: what can change the answer) in a few characters, every effect,
   * condition and qualifier kept: `**allowed** S3`, `IAM S1`, `IAM S1; alone when [2] S5`, `—`,
   * `when [2] S5`, `IAM when [2] S5`, `… unless [1] S7`.
   */
  verdict(v: Verdict, side: "before" | "after" = "after"): string {
    const ref = (sid: string) => this.sid(sid, side);
    const refs = v.sids.map(ref).join(",");
    const when = (g: ConditionalStatement) => `when ${this.condition(g.when)} ${ref(g.sid)}`;
    const unless = v.denies.map((d) => ` unless ${this.condition(d.when)} ${ref(d.sid)}`).join("");
    if (v.effect === "allow") return `**allowed** ${refs}${unless}`;
    if (v.effect === "iam") return `IAM ${refs}${v.grants.length ? `; alone ${v.grants.map(when).join("; ")}` : ""}${unless}`;
    if (v.reason === "explicit") return `denied ${refs}`;
    if (v.reason === "cross-account") return "— (cross-account)";
    return v.grants.length ? `${v.grants.map((g) => `${g.effect === "iam" ? "IAM " : ""}${when(g)}`).join("; ")}${unless}` : "—";
  }

  /** A matrix cell; one whose actions decide differently is `partly ‡n`, each action's verdict under ‡n. */
  cell(cell: MatrixCell, who: string, column: string): string {
    if (cell.effect !== "partial") return this.verdict(cellVerdict(cell));
    const groups = alike(Object.keys(cell.byAction), (a) => this.verdict(verdictOf(cell.byAction[a])));
    // Actions that differ only in what cannot change their answer read alike: one verdict.
    if (groups.length === 1) return groups[0][1];
    const n = this.parts.length + 1;
    this.parts.push([`- ‡${n} \`${who}\`, ${column}:`, ...groups.map(([actions, text]) => `  - ${actions.map(short).join(", ")}: ${text}`)]);
    return `partly ‡${n}`;
  }
}

/** `kms:Decrypt` as `Decrypt`. */
const short = (action: string) => action.replace(/^kms:/, "");

/** The actions in groups whose `text` is alike, in the column's order. */
function alike(actions: readonly string[], text: (action: string) => string): [string[], string][] {
  const groups = new Map<string, string[]>();
  for (const a of actions) {
    const t = text(a);
    groups.set(t, [...(groups.get(t) ?? []), a]);
  }
  return [...groups].map(([t, list]) => [list, t]);
}

/** `arn:aws:iam::<key account>:role/x` as `role/x`; another account's as `<account>:role/x`. */
function shortPrincipal(label: string, account: string): string {
  return label.replace(new RegExp(`^arn:aws[a-z-]*:iam::${account}:`), "").replace(/^arn:aws[a-z-]*:iam::(\d{12}):/, "$1:");
}

/** The review as markdown, fit to post as a pull-request comment. */
export function reviewMarkdown(review: EnvironmentReview): string {
  const lines: string[] = [commentMarker(review.environment), `## Data key review: \`${review.environment}\``, ""];
  lines.push(`\`${review.alias || "(alias unknown)"}\` in account ${review.accountId}, ${review.region}.`, "");
  const errors = (review.key?.flags ?? []).filter((f) => f.severity === "error");
  for (const f of errors) lines.push(`**⛔ ${f.message} Do not merge.**`, "");
  if (review.failure) lines.push(...failureLines(review.failure), "");
  for (const m of review.moves.filter((m) => m.severity === "error")) lines.push(`**⛔ ${m.message}**`, "");

  if (review.plan) lines.push(...planLines(review), "");
  const notes = new Notes(review.key ? (review.key.policyAfter ?? review.policy) : review.policy, review.key?.policyBefore);
  if (review.key) {
    const access = review.key.accessUnknown === undefined ? accessLines(review.key.access, notes, review.accountId) : unknownAccessLines(review.key.accessUnknown);
    lines.push(...policyLines(review.key), "", ...access, "");
  }
  const warnings = review.moves.filter((m) => m.severity === "warning");
  if (warnings.length) lines.push("### Environments", "", ...warnings.map((m) => `- **warning**: ${m.message}`), "");

  lines.push("### Findings", "");
  if (review.findings.length === 0) lines.push("None.");
  for (const f of review.findings) lines.push(`- **${f.severity}** \`${f.rule}\`${FINDING_OF[f.path.split(".")[0]] ?? ""}: ${f.message}`);
  lines.push("", "### Resources bound to the key", "");
  if (review.bound.length === 0) lines.push(review.failure ? "Unknown: there is no synthesized stack." : "None.");
  else {
    lines.push("| service | name | address | existing |", "|---|---|---|---|");
    for (const b of review.bound) lines.push(`| ${b.service} | \`${b.name}\` | \`${b.address}\` | ${b.existing ? "adopted" : "new"} |`);
  }
  if (review.matrix) lines.push("", ...matrixLines(review.matrix, notes, review.accountId));
  return lines.join("\n") + "\n";
}

/** The label of a finding about a policy other than the synthesized one, by the first part of its path. */
const FINDING_OF: Readonly<Record<string, string>> = { "live policy": " (the live policy, before this change)", "planned policy": " (the planned policy)" };

/** The access diff's place when a policy could not be evaluated: why, in bold, and where to look instead. */
function unknownAccessLines(why: string): string[] {
  const [head, ...rest] = why.split(": ");
  return [
    "### Who can use the key: what changes",
    "",
    `**${head}**: ${rest.join(": ")}`,
    "",
    "Who gains or loses access is not shown: the evaluator answers only for a policy the grammar accepts (the findings below say what it refuses). The statement diff above is what changes.",
  ];
}

function failureLines(failure: Failure): string[] {
  const refused = /Instance cannot be destroyed/.test(failure.output) && new RegExp(`${KEY_ADDRESS.replace(".", "\\.")} has\\s+lifecycle\\.prevent_destroy`).test(failure.output.replace(/\s+/g, " "));
  const head =
    failure.what === "synth"
      ? "**⛔ The app does not synthesize, so nothing was planned. Do not merge until it does.**"
      : refused
        ? `**⛔ This change would DESTROY or REPLACE the data key \`${KEY_ADDRESS}\`: Terraform refused the plan (lifecycle.prevent_destroy). Every byte encrypted under it would be lost. Do not merge.**`
        : "**⛔ terraform plan failed, so nothing below comes from a plan. Do not merge until it plans.**";
  const tail = failure.output.trimEnd().split("\n").slice(-40);
  return [head, "", `<details><summary>${failure.what === "synth" ? "The error" : "Terraform's output (its last 40 lines)"}</summary>`, "", "```text", ...tail, "```", "", "</details>"];
}

function planLines(review: EnvironmentReview): string[] {
  const p = review.plan!;
  const lines = [
    "### What changes",
    "",
    "| to add | to change | to import | to destroy |",
    "|---|---|---|---|",
    `| ${p.add} | ${p.change} | ${p.import} | ${p.destroy} |`,
    "",
    p.source === "terraform plan"
      ? "_From `terraform plan`._"
      : p.source === "offline terraform plan"
        ? "_From an **offline** `terraform plan` (no credentials, no state): what the stack would create. It cannot show what is deployed, drift, the live objects it adopts, or whether credentials and permissions are right._"
        : "_From the synthesized configuration (no plan): every resource not imported counts as new; changes are unknown._",
  ];
  if (p.adopted?.length) lines.push("", ...p.adopted.map((a) => `- ${adoptionText(a.address, a.id)}: \`${a.address}\``));
  const warnings = (review.key?.flags ?? []).filter((f: Flag) => f.severity === "warning");
  if (warnings.length) lines.push("", ...warnings.map((f) => `- **warning**: ${f.message}`));
  return lines;
}

function policyLines(key: KeyPlan): string[] {
  const lines = ["### Key policy", ""];
  if (key.policyUnknown) return [...lines, "The new policy is known only after apply; nothing can be compared."];
  if (!key.policyBefore) return [...lines, key.destroyOrReplace === "destroy" ? "The key and its policy would be destroyed." : "A new key: every statement is new (see the matrix)."];
  if (!key.policyAfter) return [...lines, key.destroyOrReplace === "destroy" ? "The key and its policy would be destroyed." : "The plan holds no planned policy; nothing can be compared."];
  if (key.statements.length === 0) return [...lines, `The key policy does not change${key.importing ? " (the live policy is the one synthesized)" : ""}.`];
  for (const s of key.statements) {
    if (s.kind === "document") {
      lines.push(...s.details.map((d) => `- **changed** the policy's ${d}`));
      continue;
    }
    lines.push(`- **${s.kind}** “${s.sid}”`);
    for (const d of s.details) lines.push(`  - ${d}`);
  }
  return lines;
}

const MAX_LINE = 200;

/**
 * The access diff, a row per (principal, column) that changes. A column whose actions decide
 * differently (before or after) gets a row per group of its actions that change alike, the actions
 * named (`encrypt / decrypt: Decrypt`, or `…: all but Decrypt` when that is shorter), one action a
 * row if that row would be too long; actions that do not change are left out. Each verdict keeps
 * its effect, conditions and the IAM qualifier ({@link verdictOf}).
 */
function accessLines(changes: readonly AccessChange[], notes: Notes, account: string): string[] {
  const lines = ["### Who can use the key: what changes", ""];
  if (changes.length === 0) return [...lines, "Nobody gains or loses access."];
  lines.push("| principal | what | before | after |", "|---|---|---|---|");
  for (const c of changes) {
    const who = `\`${shortPrincipal(c.principal, account)}\``;
    const row = (what: string, before: string, after: string) => `| ${who} | ${what} | ${before} | ${after} |`;
    if (c.before.effect !== "partial" && c.after.effect !== "partial") {
      lines.push(row(c.column, notes.verdict(cellVerdict(c.before), "before"), notes.verdict(cellVerdict(c.after))));
      continue;
    }
    const actions = Object.keys(c.after.byAction);
    const texts = (a: string) => JSON.stringify([notes.verdict(verdictOf(c.before.byAction[a]), "before"), notes.verdict(verdictOf(c.after.byAction[a]))]);
    const all = alike(actions, texts);
    // Every action changes alike: the column is one row. Otherwise a row per group that changes.
    const groups = all.length === 1 ? all : all.filter(([, t]) => new Set(JSON.parse(t)).size > 1);
    for (const [list, t] of groups) {
      const [before, after] = JSON.parse(t) as [string, string];
      const what = (names: string[]) => {
        if (names.length === actions.length) return c.column;
        const others = actions.filter((a) => !names.includes(a));
        return others.length < names.length ? `${c.column}: all but ${others.map(short).join(", ")}` : `${c.column}: ${names.map(short).join(", ")}`;
      };
      const whole = row(what(list), before, after);
      if (whole.length <= MAX_LINE || list.length === 1) lines.push(whole);
      else for (const a of list) lines.push(row(what([a]), before, after));
    }
  }
  lines.push(...notes.legend());
  return lines;
}

function matrixLines(matrix: AccessMatrix, notes: Notes, account: string): string[] {
  const lines = ["<details><summary>Who can use the key (the whole matrix)</summary>", ""];
  lines.push(`| principal | ${matrix.columns.map((c) => c.label).join(" | ")} |`, `|---|${matrix.columns.map(() => "---").join("|")}|`);
  matrix.rows.forEach((row, r) => {
    const who = shortPrincipal(row.label, account);
    lines.push(`| \`${who}\` | ${matrix.cells[r].map((c, i) => notes.cell(c, who, matrix.columns[i].label)).join(" | ")} |`);
  });
  lines.push(...notes.legend(), "", "</details>");
  return lines;
}
