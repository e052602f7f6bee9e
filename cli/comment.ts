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
import { commentMarker } from "./review/report";

export const USAGE = `usage: npm run comment -- --env <name> [options]

  --env <name>       the environment whose report to post (review/<name>.md)
  --dir <dir>        where the reports are (default: review)
  --pr <number>      the pull request (default: the one in GITHUB_EVENT_PATH)
  --help             this text

Environment: GITHUB_TOKEN, GITHUB_REPOSITORY (owner/repo), GITHUB_API_URL (default
https://api.github.com), GITHUB_EVENT_PATH, GITHUB_SERVER_URL and GITHUB_RUN_ID.

Exit codes: 0 posted; 1 GitHub refused or failed; 2 bad input.`;

/** GitHub refuses a comment body longer than this (422 "Body is too long (maximum is 65536 characters)"). */
export const MAX_BODY = 65536;

class InputError extends Error {}

export class GitHubError extends Error {}

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
    { env: { type: "string" }, dir: { type: "string", default: "review" }, pr: { type: "string" }, help: { type: "boolean", default: false } },
    USAGE,
    io,
  );
  if (values === undefined) return 2;
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
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
  const token = env.GITHUB_TOKEN;
  if (!token) throw new InputError("GITHUB_TOKEN is not set. The workflow passes it: env: GITHUB_TOKEN: ${{ github.token }}.");
  const repository = env.GITHUB_REPOSITORY ?? "";
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) throw new InputError(`GITHUB_REPOSITORY: ${JSON.stringify(repository)} is not allowed. Expected owner/repo.`);
  const api = (env.GITHUB_API_URL || "https://api.github.com").replace(/\/+$/, "");
  let number: number | undefined;
  if (pr !== undefined) {
    if (!/^[1-9]\d*$/.test(pr)) throw new InputError(`--pr: ${JSON.stringify(pr)} is not allowed. Expected a pull request number.`);
    number = Number(pr);
  } else {
    if (!env.GITHUB_EVENT_PATH) throw new InputError("no pull request: give --pr <number>, or run in a pull_request workflow (GITHUB_EVENT_PATH).");
    let event: { pull_request?: { number?: unknown } };
    try {
      event = JSON.parse(fs.readFileSync(env.GITHUB_EVENT_PATH, "utf8"));
    } catch (e) {
      throw new InputError(`GITHUB_EVENT_PATH ${env.GITHUB_EVENT_PATH}: the event cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
    }
    const n = event.pull_request?.number;
    if (typeof n !== "number") throw new InputError(`GITHUB_EVENT_PATH ${env.GITHUB_EVENT_PATH}: the event has no pull_request.number; this is not a pull_request run. Give --pr <number>.`);
    number = n;
  }
  return { api, repository, number, token };
}

/** The report, or, when the review wrote none, a failure in its place; cut to what GitHub accepts. */
export function commentBody(environment: string, file: string, env: NodeJS.ProcessEnv = {}): string {
  const run = env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined;
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

/** The few REST calls the comment needs, with GitHub's headers, pagination and retries of 5xx. */
class GitHub {
  constructor(
    private readonly api: string,
    private readonly token: string,
    private readonly retryDelays: readonly number[],
  ) {}

  /** Every page of a list, following the Link header's rel="next". */
  async all<T>(first: string): Promise<T[]> {
    const out: T[] = [];
    let url: string | undefined = this.api + first;
    for (let page = 0; url !== undefined; page++) {
      if (page === 100) throw new GitHubError(`GET ${first}: more than 100 pages; giving up.`);
      const response = await this.request("GET", url);
      const items = (await response.json()) as T[];
      if (!Array.isArray(items)) throw new GitHubError(`GET ${url}: expected a JSON array.`);
      out.push(...items);
      url = nextLink(response.headers.get("link"));
    }
    return out;
  }

  async send<T>(method: "POST" | "PATCH", route: string, body: unknown): Promise<T> {
    const response = await this.request(method, this.api + route, body);
    return (await response.json()) as T;
  }

  private async request(method: string, url: string, body?: unknown): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: {
            accept: "application/vnd.github+json",
            authorization: `Bearer ${this.token}`,
            "x-github-api-version": "2022-11-28",
            "user-agent": "mavik-data-key-review",
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (e) {
        const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
        if (attempt < this.retryDelays.length) {
          await sleep(this.retryDelays[attempt]);
          continue;
        }
        throw new GitHubError(`${method} ${url}: no answer (${cause}).`);
      }
      if (response.ok) return response;
      if (response.status >= 500 && attempt < this.retryDelays.length) {
        await response.arrayBuffer();
        await sleep(this.retryDelays[attempt]);
        continue;
      }
      const text = await response.text();
      let detail = text.slice(0, 300);
      try {
        const json = JSON.parse(text) as { message?: string; errors?: { message?: string }[] };
        detail = [json.message, ...(json.errors ?? []).map((e) => e.message)].filter(Boolean).join(": ");
      } catch {
        // Not JSON: the text as it came.
      }
      const hint =
        response.status === 403 || response.status === 404
          ? " The workflow needs permissions: pull-requests: write, and a token that can see the repository."
          : response.status === 401
            ? " The token is not valid."
            : "";
      throw new GitHubError(`${method} ${url}: ${response.status} ${detail}.${hint}`);
    }
  }
}

/** rel="next" of an RFC 8288 Link header, as GitHub sends it. */
export function nextLink(header: string | null): string | undefined {
  for (const part of (header ?? "").split(",")) {
    const match = /^\s*<([^>]+)>\s*;(.*)$/.exec(part);
    if (match && /\brel="?([^";]*\s)?next(\s[^";]*)?"?/.test(match[2])) return match[1];
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The command-line entry (`npm run comment`, through scripts/run.js). */
export function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  return runComment(argv, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });
}
