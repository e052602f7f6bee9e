/**
 * `npm run comment -- --env <name>`: posts an environment's review report (review/<name>.md) on
 * its pull request, or updates the comment posted before, found by the report's marker. Run by the
 * pull-request workflow after `npm run review`, whatever the review's outcome: a missing report
 * (the review itself failed) is posted as a failure, never skipped.
 *
 * GitHub REST: GET /repos/{owner}/{repo}/issues/{number}/comments (paginated by its Link header),
 * then PATCH /repos/{owner}/{repo}/issues/comments/{id} or POST …/issues/{number}/comments.
 * From the Actions environment: GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL,
 * GITHUB_EVENT_PATH (the pull request), GITHUB_SERVER_URL and GITHUB_RUN_ID (the run's link).
 *
 * Exit codes: 0 posted; 1 GitHub refused or failed; 2 bad input.
 */
import * as fs from "fs";
import * as path from "path";
import { CommandIo, parseCommandLine } from "./options";
import { GitHub, GitHubError, githubTarget, MAX_BODY, pullRequestNumber, runLink } from "./github";
import { commentMarker } from "./review/report";

export { MAX_BODY, nextLink } from "./github";

export const USAGE = `usage: npm run comment -- --env <name> [options]

  --env <name>       the environment whose report to post (review/<name>.md)
  --dir <dir>        where the reports are (default: review)
  --pr <number>      the pull request (default: the one in GITHUB_EVENT_PATH)
  --help             this text

Environment: GITHUB_TOKEN, GITHUB_REPOSITORY (owner/repo), GITHUB_API_URL (default
https://api.github.com), GITHUB_EVENT_PATH, GITHUB_SERVER_URL and GITHUB_RUN_ID.

Exit codes: 0 posted; 1 GitHub refused or failed; 2 bad input.`;


class InputError extends Error {}

export interface CommentOptions {
  /** Waits between retries of a 5xx answer (ms): 1 s, then 2 s by default. */
  readonly retryDelays?: readonly number[];
}

interface IssueComment {
  readonly id: number;
  readonly body?: string | null;
  readonly html_url?: string;
  readonly user?: { readonly login?: string; readonly type?: string } | null;
}

export async function runComment(argv: string[], io: CommandIo, env: NodeJS.ProcessEnv = process.env, options: CommentOptions = {}): Promise<number> {
  const values = parseCommandLine(
    argv,
    { env: { type: "string" }, dir: { type: "string", default: "review" }, pr: { type: "string" } },
    USAGE,
    io,
  );
  if (typeof values === "number") return values;
  let target: { api: string; repository: string; number: number; token: string };
  let body: string;
  try {
    if (!values.env || !/^[A-Za-z0-9_-]+$/.test(values.env)) throw new InputError(`--env: ${JSON.stringify(values.env ?? "")} is not allowed. Expected an environment name.`);
    target = targetOf(env, values.pr);
    body = commentBody(values.env, path.join(values.dir, `${values.env}.md`), env);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    io.stderr(`error: ${e.message}\n`);
    return 2;
  }
  try {
    const github = new GitHub(target.api, target.token, options.retryDelays ?? [1000, 2000]);
    const repo = `/repos/${target.repository}`;
    const comments = await github.all<IssueComment>(`${repo}/issues/${target.number}/comments?per_page=100`);
    const marker = commentMarker(values.env);
    // Only a bot's comment is ours to update: a person quoting the marker keeps their comment.
    const ours = comments.find((c) => c.user?.type === "Bot" && (c.body ?? "").startsWith(marker));
    const posted = ours
      ? await github.send<IssueComment>("PATCH", `${repo}/issues/comments/${ours.id}`, { body })
      : await github.send<IssueComment>("POST", `${repo}/issues/${target.number}/comments`, { body });
    io.stdout(`${ours ? "updated" : "posted"} ${posted.html_url ?? `comment ${posted.id}`}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof GitHubError)) throw e;
    io.stderr(`error: ${e.message}\n`);
    return 1;
  }
}

/** Where to post: the API, the repository, the pull request and the token, from the Actions environment. */
function targetOf(env: NodeJS.ProcessEnv, pr: string | undefined) {
  const { api, repository, token } = repositoryOf(env);
  return { api, repository, token, number: pullRequestNumber(env, pr, (m) => new InputError(m)) };
}

/** The API, the repository and the token, from the Actions environment. */
function repositoryOf(env: NodeJS.ProcessEnv) {
  try {
    return githubTarget(env);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
}

/** The report, or, when the review wrote none, a failure in its place; cut to what GitHub accepts. */
export function commentBody(environment: string, file: string, env: NodeJS.ProcessEnv = {}): string {
  const run = runLink(env);
  let report: string;
  try {
    report = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new InputError(`${file}: the report cannot be read (${(e as NodeJS.ErrnoException).code}).`);
    report = [
      commentMarker(environment),
      `## Data key review: \`${environment}\``,
      "",
      `**⛔ The review did not write a report (${file} is missing), so nothing about this change was checked. Do not merge; ${run ? `see [the workflow run](${run})` : "see the workflow log"}.**`,
      "",
    ].join("\n");
  }
  const footer = run ? `\n_[Workflow run](${run})._\n` : "";
  if (report.length + footer.length <= MAX_BODY) return report + footer;
  const cut = `\n\n**The report is longer than a comment can be (${report.length} characters); the rest is in the workflow run's \`review\` artifact.**\n`;
  let kept = report.slice(0, MAX_BODY - cut.length - footer.length);
  // An open <details> or code fence would swallow the note.
  kept = kept.slice(0, Math.max(kept.lastIndexOf("\n"), 0));
  if ((kept.match(/^```/gm) ?? []).length % 2 === 1) kept += "\n```";
  if ((kept.match(/<details>/g) ?? []).length > (kept.match(/<\/details>/g) ?? []).length) kept += "\n\n</details>";
  return (kept + cut + footer).slice(0, MAX_BODY);
}

/** The command-line entry (`npm run comment`, through scripts/run.js). */
export function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  return runComment(argv, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });
}
