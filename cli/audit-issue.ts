/**
 * `npm run audit-issue -- --env <name> --drift <none|yes|failed> --verify <verify.json>`: the
 * scheduled audit's one GitHub issue per environment (seed §6, "audit key usage regularly").
 *
 * On drift (terraform plan -refresh-only found changes made outside Terraform, or could not
 * plan) or a failed or unchecked verify row, it opens the environment's issue, or updates it when
 * one is open; when the environment is clean again, it closes that issue with a comment; when it
 * is clean and no issue is open, it does nothing. The issue is found again by its label
 * (`data-key-audit`) and the marker that starts its body, among issues a bot opened.
 *
 * GitHub REST: GET /repos/{owner}/{repo}/issues (open, by label, paginated), POST …/issues,
 * PATCH …/issues/{number}, POST …/issues/{number}/comments. Exit codes: 0 synced; 1 GitHub
 * refused or failed; 2 bad input.
 */
import * as fs from "fs";
import { CommandIo, parseCommandLine } from "./options";
import { GitHub, GitHubError, githubTarget, MAX_BODY, runLink } from "./github";
import { verifyMarkdown } from "./verify/markdown";
import { CheckResult } from "./verify/outcome";

export const USAGE = `usage: npm run audit-issue -- --env <name> --drift <none|yes|failed> --verify <verify.json> [options]

  --env <name>          the environment
  --drift <state>       what scripts/ci/drift.sh printed: none, yes or failed
  --drift-log <file>    Terraform's output, folded into the issue when there is drift
  --verify <file>       npm run verify -- --json of the environment (a missing file is a problem too)
  --help                this text

Environment: GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_SERVER_URL and GITHUB_RUN_ID.
Exit codes: 0 synced; 1 GitHub refused or failed; 2 bad input.`;

export const AUDIT_LABEL = "data-key-audit";

export const auditMarker = (environment: string) => `<!-- mavik-data-key-audit:${environment} -->`;

class InputError extends Error {}

interface Issue {
  readonly number: number;
  readonly html_url?: string;
  readonly body?: string | null;
  readonly user?: { readonly type?: string } | null;
  readonly pull_request?: unknown;
}

/** What the audit found for one environment. */
export interface AuditFindings {
  readonly environment: string;
  readonly drift: "none" | "yes" | "failed";
  readonly driftLog?: string;
  /** verify's results, or why there are none. */
  readonly verify: { readonly results: readonly CheckResult[]; readonly exitCode: number } | { readonly missing: string };
}

/** True when there is something to look at. */
export function hasProblems(f: AuditFindings): boolean {
  return f.drift !== "none" || "missing" in f.verify || f.verify.exitCode !== 0;
}

/** The issue's title and body. */
export function auditIssue(f: AuditFindings, now: Date, run?: string): { title: string; body: string } {
  const what = [
    f.drift === "yes" && "drift",
    f.drift === "failed" && "drift not checked",
    !("missing" in f.verify) && f.verify.results.some((r) => r.status === "fail") && "failed checks",
    ("missing" in f.verify || f.verify.results.some((r) => r.status === "could-not-check")) && "checks not run",
  ].filter(Boolean);
  const title = `Data key audit: ${f.environment}: ${what.join(", ") || "clean"}`;
  const lines = [auditMarker(f.environment), `## Data key audit: \`${f.environment}\``, ""];
  lines.push(
    f.drift === "yes"
      ? "**⛔ Drift: objects of the stack changed outside Terraform** (`terraform plan -refresh-only`). Find who changed what (CloudTrail), then put it back with a deploy, or bring the change into the code."
      : f.drift === "failed"
        ? "**❔ Drift could not be checked: `terraform plan -refresh-only` failed.**"
        : "No drift: the state matches AWS (`terraform plan -refresh-only`).",
    "",
  );
  if (f.drift !== "none" && f.driftLog) {
    const tail = f.driftLog.trimEnd().split("\n").slice(-60);
    lines.push("<details><summary>terraform plan -refresh-only (its last 60 lines)</summary>", "", "```text", ...tail, "```", "", "</details>", "");
  }
  if ("missing" in f.verify) lines.push(`**❔ verify did not report: ${f.verify.missing}.**`, "");
  else lines.push(verifyMarkdown(f.environment, f.verify.results).replace(/^## /, "### "));
  lines.push(`_Checked ${now.toISOString()}${run ? ` by [the audit run](${run})` : ""}._`, "");
  const body = lines.join("\n");
  return { title, body: body.length <= MAX_BODY ? body : `${body.slice(0, MAX_BODY - 200)}\n\n**Cut to GitHub's limit: the full report is in the run's log.**\n` };
}

export interface AuditIssueOptions {
  readonly retryDelays?: readonly number[];
  readonly now?: Date;
}

export async function runAuditIssue(argv: string[], io: CommandIo, env: NodeJS.ProcessEnv = process.env, options: AuditIssueOptions = {}): Promise<number> {
  const values = parseCommandLine(
    argv,
    { env: { type: "string" }, drift: { type: "string" }, "drift-log": { type: "string" }, verify: { type: "string" } },
    USAGE,
    io,
  );
  if (typeof values === "number") return values;
  let findings: AuditFindings;
  let target: ReturnType<typeof githubTarget>;
  try {
    if (!values.env || !/^[A-Za-z0-9_-]+$/.test(values.env)) throw new InputError(`--env: ${JSON.stringify(values.env ?? "")} is not allowed. Expected an environment name.`);
    if (values.drift !== "none" && values.drift !== "yes" && values.drift !== "failed") {
      throw new InputError(`--drift: ${JSON.stringify(values.drift ?? "")} is not allowed. Expected none, yes or failed (what scripts/ci/drift.sh printed).`);
    }
    if (values.verify === undefined) throw new InputError("--verify: missing. The file npm run verify -- --json wrote (it may be missing when verify failed; the issue then says so).");
    findings = { environment: values.env, drift: values.drift, driftLog: readOptional(values["drift-log"]), verify: readVerify(values.verify) };
    try {
      target = githubTarget(env);
    } catch (e) {
      throw new InputError((e as Error).message);
    }
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    io.stderr(`error: ${e.message}\n`);
    return 2;
  }

  const github = new GitHub(target.api, target.token, options.retryDelays ?? [1000, 2000]);
  const repo = `/repos/${target.repository}`;
  const marker = auditMarker(findings.environment);
  try {
    const open = (await github.all<Issue>(`${repo}/issues?state=open&labels=${AUDIT_LABEL}&per_page=100`)).find(
      (i) => i.pull_request === undefined && i.user?.type === "Bot" && (i.body ?? "").startsWith(marker),
    );
    const problems = hasProblems(findings);
    const run = runLink(env);
    const now = options.now ?? new Date();
    if (problems) {
      const { title, body } = auditIssue(findings, now, run);
      if (open) {
        const updated = await github.send<Issue>("PATCH", `${repo}/issues/${open.number}`, { title, body });
        io.stdout(`updated ${updated.html_url ?? `#${open.number}`}\n`);
      } else {
        const created = await github.send<Issue>("POST", `${repo}/issues`, { title, body, labels: [AUDIT_LABEL] });
        io.stdout(`opened ${created.html_url ?? `#${created.number}`}\n`);
      }
    } else if (open) {
      await github.send("POST", `${repo}/issues/${open.number}/comments`, {
        body: `${findings.environment} is clean again: no drift, every verify check passed (${now.toISOString()}${run ? `, [the audit run](${run})` : ""}). Closing.`,
      });
      const closed = await github.send<Issue>("PATCH", `${repo}/issues/${open.number}`, { state: "closed", state_reason: "completed" });
      io.stdout(`closed ${closed.html_url ?? `#${open.number}`}\n`);
    } else {
      io.stdout(`nothing to do: ${findings.environment} is clean and has no open audit issue\n`);
    }
    return 0;
  } catch (e) {
    if (!(e instanceof GitHubError)) throw e;
    io.stderr(`error: ${e.message}\n`);
    return 1;
  }
}

function readOptional(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function readVerify(file: string): AuditFindings["verify"] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    return { missing: `${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); see the run's log` };
  }
  try {
    const data = JSON.parse(text) as { results?: unknown; exitCode?: unknown };
    if (!Array.isArray(data.results) || typeof data.exitCode !== "number") throw new Error("no results");
    return { results: data.results as CheckResult[], exitCode: data.exitCode };
  } catch {
    return { missing: `${file} is not verify's --json output; see the run's log` };
  }
}

/** The command-line entry (`npm run audit-issue`, through scripts/run.js). */
export function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  return runAuditIssue(argv, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });
}
