/**
 * The review's access diff in markdown says everything `--json` says: for every cell that changes
 * between two policies of the corpus, every action whose decision changes is named with its
 * principal and both verdicts, each with its effect, its conditions and the IAM qualifier. The
 * rendered cells are read back by a parser of the legend's grammar (written here, from the
 * legend), and compared with the evaluator's decisions in the review's JSON.
 */
import { EnvironmentReview, reviewMarkdown } from "../cli/review/report";
import { accessDiff, AccessChange, statementDiff } from "../cli/review/diff";
import { AccessMatrix, accessMatrix, ACTION_GROUPS, Decision, describeClause, KeyFacts, PolicyDocument, PolicyStatement } from "../modules/index";
import { ACCOUNT, CORPUS, KEY_ARN, OTHER, REGION } from "./fixtures/policy-corpus";
import { SEED_POLICY } from "./support/synth";

const KEY: KeyFacts = { account: ACCOUNT, partition: "aws", region: REGION, keyArn: KEY_ARN };
const iam = (resource: string, account = ACCOUNT) => `arn:aws:iam::${account}:${resource}`;
const APP = iam("role/MavikLambdaRole");
const ROOT_STATEMENT: PolicyStatement = { Sid: "Root", Effect: "Allow", Principal: { AWS: iam("root") }, Action: "kms:*", Resource: "*" };
const policy = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: "2012-10-17", Statement });
const VIA_S3 = { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } };

/** The review of a policy change, as `npm run review` builds it, and as `--json` prints it. */
function reviewOf(before: PolicyDocument, after: PolicyDocument): { md: string; json: EnvironmentReview } {
  const review: EnvironmentReview = {
    environment: "prod",
    accountId: ACCOUNT,
    region: REGION,
    alias: "alias/mavik-data-kms-key",
    key: { actions: ["update"], importing: false, policyBefore: before, policyAfter: after, policyUnknown: false, statements: statementDiff(before, after), access: accessDiff(before, after, KEY), refused: [], flags: [] },
    moves: [],
    findings: [],
    bound: [],
    policy: after,
    matrix: accessMatrix(after, KEY),
  };
  return { md: reviewMarkdown(review), json: JSON.parse(JSON.stringify(review)) };
}

const section = (md: string, heading: string) => {
  const start = md.indexOf(heading);
  return md.slice(start, md.indexOf("\n### ", start + 1) === -1 ? undefined : md.indexOf("\n### ", start + 1));
};

describe("the findings: a cell whose actions decide differently", () => {
  test("a conditional direct allow for Decrypt alone is shown, with Decrypt named", () => {
    const before = policy(ROOT_STATEMENT);
    const after = policy(ROOT_STATEMENT, { Sid: "Decrypt through S3", Effect: "Allow", Principal: { AWS: APP }, Action: "kms:Decrypt", Resource: "*", Condition: VIA_S3 });
    const table = section(reviewOf(before, after).md, "### Who can use the key: what changes").split("\n").filter((l) => l.startsWith("| `"));
    expect(table).toEqual(["| `role/MavikLambdaRole` | encrypt / decrypt: Decrypt | IAM S1 | IAM S1; alone when [1] S2 |"]);
  });

  test("another account's root: Decrypt through its IAM policies, when the condition holds, keeps the IAM qualifier", () => {
    const before = policy(ROOT_STATEMENT);
    const after = policy(ROOT_STATEMENT, { Sid: "Partner", Effect: "Allow", Principal: { AWS: iam("root", OTHER) }, Action: ["kms:Decrypt", "kms:DescribeKey"], Resource: "*", Condition: VIA_S3 });
    const md = reviewOf(before, after).md;
    const table = section(md, "### Who can use the key: what changes").split("\n").filter((l) => l.startsWith("| `"));
    expect(table).toEqual([
      `| \`${OTHER}:root\` | encrypt / decrypt: Decrypt | — | IAM when [1] S2 |`,
      `| \`${OTHER}:root\` | describe | — | IAM when [1] S2 |`,
    ]);
    expect(md).toContain("\n- [1] kms:ViaService = s3.us-east-1.amazonaws.com\n");
  });

  test("the whole matrix: a cell whose actions decide differently points to its actions, each with its verdict", () => {
    const after = policy(ROOT_STATEMENT, { Sid: "Decrypt through S3", Effect: "Allow", Principal: { AWS: APP }, Action: "kms:Decrypt", Resource: "*", Condition: VIA_S3 });
    const md = reviewOf(policy(ROOT_STATEMENT), after).md;
    const matrix = md.slice(md.indexOf("<details><summary>Who can use the key (the whole matrix)"));
    expect(matrix).toContain("| `role/MavikLambdaRole` | IAM S1 | partly ‡1 | IAM S1 | IAM S1 | IAM S1 |");
    expect(matrix).toContain(
      ["- ‡1 `role/MavikLambdaRole`, encrypt / decrypt:", "  - Encrypt, ReEncryptFrom, ReEncryptTo, GenerateDataKey, GenerateDataKeyWithoutPlaintext: IAM S1", "  - Decrypt: IAM S1; alone when [1] S2"].join("\n"),
    );
  });
});

// ---- Reading the markdown back, by the legend's grammar -------------------------------------

/** What a verdict says, with statements by their Sid and conditions by their text. */
interface Read {
  readonly effect: Decision["effect"];
  readonly reason?: Decision["reason"];
  readonly sids: readonly string[];
  /** `allow|<condition>|<sid>` or `iam|…`, sorted. */
  readonly grants: readonly string[];
  /** `<condition>|<sid>`, sorted. */
  readonly denies: readonly string[];
}

/** The footnotes of a report: S-references to Sids, [n] to condition texts. */
function footnotes(md: string) {
  const sids = new Map([...md.matchAll(/^- (S\d+) “(.*)”(?: \(removed by this change\))?$/gm)].map((m) => [m[1], m[2]]));
  const conditions = new Map([...md.matchAll(/^- \[(\d+)\] (.*)$/gm)].map((m) => [`[${m[1]}]`, m[2]]));
  return { sids, conditions };
}

const REF = String.raw`S\d+`;
const COND = String.raw`\[\d+\]`;

/** Parses a rendered verdict; throws on text outside the legend's grammar. */
function parseVerdict(text: string, notes: ReturnType<typeof footnotes>): Read {
  const sid = (ref: string) => notes.sids.get(ref) ?? `?${ref}`;
  const cond = (ref: string) => notes.conditions.get(ref) ?? `?${ref}`;
  const refs = (list: string) => list.split(",").map(sid).sort();
  const unless = (tail: string) => [...tail.matchAll(new RegExp(` unless (${COND}) (${REF})`, "g"))].map((m) => `${cond(m[1])}|${sid(m[2])}`).sort();
  const grants = (list: string, alone: boolean) =>
    [...list.matchAll(new RegExp(`(IAM )?when (${COND}) (${REF})`, "g"))].map((m) => `${alone || !m[1] ? "allow" : "iam"}|${cond(m[2])}|${sid(m[3])}`).sort();
  const UNLESS = `((?: unless ${COND} ${REF})*)`;
  let m: RegExpExecArray | null;
  if (text === "— (cross-account)") return { effect: "deny", reason: "cross-account", sids: [], grants: [], denies: [] };
  if (text === "—") return { effect: "deny", reason: "no-allow", sids: [], grants: [], denies: [] };
  if ((m = new RegExp(`^denied (${REF}(?:,${REF})*)$`).exec(text))) return { effect: "deny", reason: "explicit", sids: refs(m[1]), grants: [], denies: [] };
  if ((m = new RegExp(`^\\*\\*allowed\\*\\* (${REF}(?:,${REF})*)${UNLESS}$`).exec(text))) return { effect: "allow", sids: refs(m[1]), grants: [], denies: unless(m[2]) };
  if ((m = new RegExp(`^IAM (${REF}(?:,${REF})*)(?:; alone (when ${COND} ${REF}(?:; when ${COND} ${REF})*))?${UNLESS}$`).exec(text))) {
    return { effect: "iam", sids: refs(m[1]), grants: grants(m[2] ?? "", true), denies: unless(m[3]) };
  }
  if ((m = new RegExp(`^((?:IAM )?when ${COND} ${REF}(?:; (?:IAM )?when ${COND} ${REF})*)${UNLESS}$`).exec(text))) {
    return { effect: "deny", reason: "no-allow", sids: [], grants: grants(m[1], false), denies: unless(m[2]) };
  }
  throw new Error(`not in the legend's grammar: ${JSON.stringify(text)}`);
}

/**
 * What a decision must say, from the evaluator's JSON: every grant that could turn a denied
 * cell, the grants by the key policy alone that could turn an IAM cell, and every conditional deny
 * of a cell that is (or may be) allowed. Sids of unnamed statements are compared as "Statement[…]".
 */
function expected(d: Decision): Read {
  const sid = (s: string) => (/^Statement\[\d+\]$/.test(s) ? "Statement[…]" : s);
  const cond = (c: { when: readonly { operator: string; key: string; values: readonly string[] }[] }) => c.when.map(describeClause).join(" and ");
  const grants =
    d.effect === "iam" ? d.conditionalGrants.filter((g) => g.effect === "allow") : d.effect === "deny" && d.reason === "no-allow" ? d.conditionalGrants : [];
  const denies = d.effect !== "deny" || grants.length > 0 ? d.conditionalDenies : [];
  return {
    effect: d.effect,
    reason: d.effect === "deny" ? d.reason : undefined,
    sids: d.effect === "deny" && d.reason !== "explicit" ? [] : [...new Set(d.sids.map(sid))].sort(),
    grants: grants.map((g) => `${d.effect === "iam" ? "allow" : g.effect}|${cond(g)}|${sid(g.sid)}`).sort(),
    denies: denies.map((g) => `${cond(g)}|${sid(g.sid)}`).sort(),
  };
}

const loose = (r: Read): Read => ({ ...r, sids: r.sids.map((s) => (/^Statement\[\d+\]$/.test(s) ? "Statement[…]" : s)), grants: r.grants.map((g) => g.replace(/Statement\[\d+\]$/, "Statement[…]")), denies: r.denies.map((g) => g.replace(/Statement\[\d+\]$/, "Statement[…]")) });

/** A row of the access-diff table. */
interface Row {
  readonly line: string;
  readonly principal: string;
  readonly column: string;
  /** The actions it names, or every action of the column. */
  readonly actions: readonly string[];
  readonly before: string;
  readonly after: string;
}

function diffRows(md: string): Row[] {
  return section(md, "### Who can use the key: what changes")
    .split("\n")
    .filter((l) => l.startsWith("| `"))
    .map((line) => {
      const [principal, what, before, after] = line.slice(2, -2).split(" | ");
      const [column, listed] = what.split(": ");
      const group = ACTION_GROUPS.find((g) => g.label === column)!;
      const named = (listed ?? "").replace(/^all but /, "").split(", ").map((a) => `kms:${a}`);
      const actions = listed === undefined ? group.actions : listed.startsWith("all but ") ? group.actions.filter((a) => !named.includes(a)) : named;
      return { line, principal, column, actions, before, after };
    });
}

const shortPrincipal = (label: string) => label.replace(new RegExp(`^arn:aws:iam::${ACCOUNT}:`), "").replace(/^arn:aws:iam::(\d{12}):/, "$1:");

/** Every disagreement between the markdown and the JSON of one review. */
function disagreements(md: string, access: readonly AccessChange[]): string[] {
  const notes = footnotes(md);
  const rows = diffRows(md);
  const out: string[] = [];
  for (const row of rows) if (row.line.length > 200) out.push(`a table line of ${row.line.length} characters: ${row.line}`);
  for (const c of access) {
    const who = `\`${shortPrincipal(c.principal)}\``;
    const mine = rows.filter((r) => r.principal === who && r.column === c.column);
    const actions = Object.keys(c.before.byAction);
    const changed = actions.filter((a) => JSON.stringify(expected(c.before.byAction[a])) !== JSON.stringify(expected(c.after.byAction[a])));
    // A cell that changes only in what the legend leaves out (e.g. which statement decides) still has its row.
    if (mine.length === 0) out.push(`${who} ${c.column}: no row`);
    for (const a of changed) if (!mine.some((r) => r.actions.includes(a))) out.push(`${who} ${c.column}: ${a} is not named`);
    for (const r of mine) {
      for (const a of r.actions) {
        for (const [side, text, d] of [["before", r.before, c.before.byAction[a]], ["after", r.after, c.after.byAction[a]]] as const) {
          let read: Read;
          try {
            read = loose(parseVerdict(text, notes));
          } catch (e) {
            out.push(`${who} ${c.column} ${a} ${side}: ${(e as Error).message}`);
            continue;
          }
          const want = expected(d);
          // The row may list statements of the column's other actions (one reference for the group).
          const sidsOk = want.sids.every((s) => read.sids.includes(s));
          if (read.effect !== want.effect || read.reason !== want.reason || !sidsOk || JSON.stringify(read.grants) !== JSON.stringify(want.grants) || JSON.stringify(read.denies) !== JSON.stringify(want.denies)) {
            out.push(`${who} ${c.column} ${a} ${side}: "${text}" reads ${JSON.stringify(read)}, the JSON says ${JSON.stringify(want)}`);
          }
        }
      }
    }
  }
  return out;
}

/**
 * Every cell of the whole matrix reads as each of its actions' decisions: directly, or, where its
 * actions decide differently, `partly ‡n` and a verdict per action under the note ‡n.
 */
function matrixDisagreements(md: string, matrix: AccessMatrix): string[] {
  const notes = footnotes(md);
  const lines = md.slice(md.indexOf("<details><summary>Who can use the key (the whole matrix)")).split("\n");
  const out: string[] = [];
  const agrees = (text: string, d: Decision) => {
    const [read, want] = [loose(parseVerdict(text, notes)), expected(d)];
    return JSON.stringify({ ...read, sids: [] }) === JSON.stringify({ ...want, sids: [] }) && want.sids.every((s) => read.sids.includes(s));
  };
  matrix.rows.forEach((row, r) => {
    const who = shortPrincipal(row.label);
    const texts = lines.find((l) => l.startsWith(`| \`${who}\` | `))!.slice(2, -2).split(" | ").slice(1);
    matrix.columns.forEach((column, c) => {
      const cell = matrix.cells[r][c];
      const note = /^partly (‡\d+)$/.exec(texts[c]);
      const start = note ? lines.indexOf(`- ${note[1]} \`${who}\`, ${column.label}:`) : -1;
      if (note && start === -1) {
        out.push(`${who} ${column.label}: no note ${note[1]}`);
        return;
      }
      const listed = note ? lines.slice(start + 1, lines.findIndex((l, i) => i > start && !l.startsWith("  - "))) : [];
      for (const [action, d] of Object.entries(cell.byAction)) {
        const line = listed.find((l) => l.slice(4, l.indexOf(": ")).split(", ").includes(action.replace(/^kms:/, "")));
        const text = note ? line?.slice(line.indexOf(": ") + 2) : texts[c];
        if (text === undefined) out.push(`${who} ${column.label}: ${action} not listed under ${note![1]}`);
        else if (!agrees(text, d)) out.push(`${who} ${column.label} ${action}: "${text}" is not ${JSON.stringify(expected(d))}`);
      }
    });
  });
  return out;
}

describe("over the corpus: the markdown states every change the JSON holds", () => {
  // Each policy of the corpus followed by the next (its cases are grouped: neighbours differ in
  // one construct), the last by the seed's (~20 ms a pair).
  const pairs: [string, PolicyDocument, PolicyDocument][] = CORPUS.map(({ name, policy: p }, i) => {
    const next = CORPUS[i + 1] ?? { name: "the seed's policy", policy: SEED_POLICY };
    return [`${name} → ${next.name}`, p, next.policy];
  });

  test("every changed cell of every pair: principal, action and both verdicts; no table line over 200 characters", () => {
    let cells = 0;
    let partial = 0;
    const problems: string[] = [];
    for (const [name, before, after] of pairs) {
      const { md, json } = reviewOf(before, after);
      const access = json.key!.access;
      cells += access.length;
      partial += access.filter((c) => c.before.effect === "partial" || c.after.effect === "partial").length;
      problems.push(...disagreements(md, access).map((p) => `${name}: ${p}`));
      problems.push(...matrixDisagreements(md, json.matrix!).map((p) => `${name} (matrix): ${p}`));
      for (const line of md.split("\n")) if (line.startsWith("|") && line.length > 200) problems.push(`${name}: a table line of ${line.length} characters`);
    }
    // The corpus holds such cells: the test is not vacuous.
    expect(cells).toBeGreaterThan(600);
    expect(partial).toBeGreaterThan(150);
    expect(problems.slice(0, 20)).toEqual([]);
  });
});
