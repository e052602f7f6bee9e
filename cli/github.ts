/**
 * The few GitHub REST calls the workflow scripts make (`npm run comment`, `npm run audit-issue`):
 * GitHub's headers and API version, pagination by the Link header, retries of 5xx answers, and
 * errors that say what GitHub answered and what the workflow needs.
 */
import * as fs from "fs";

/** GitHub refuses a comment or issue body longer than this (422 "Body is too long (maximum is 65536 characters)"). */
export const MAX_BODY = 65536;

export class GitHubError extends Error {}

/** The API, the repository and the token, from the Actions environment; throws an Error naming what is missing. */
export function githubTarget(env: NodeJS.ProcessEnv): { api: string; repository: string; token: string } {
  const token = env.GITHUB_TOKEN;
  if (!token) throw new Error("GITHUB_TOKEN is not set. The workflow passes it: env: GITHUB_TOKEN: ${{ github.token }}.");
  const repository = env.GITHUB_REPOSITORY ?? "";
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) throw new Error(`GITHUB_REPOSITORY: ${JSON.stringify(repository)} is not allowed. Expected owner/repo.`);
  const api = (env.GITHUB_API_URL || "https://api.github.com").replace(/\/+$/, "");
  return { api, repository, token };
}

/** The pull request: `--pr`, else the one in GITHUB_EVENT_PATH. */
export function pullRequestNumber(env: NodeJS.ProcessEnv, pr: string | undefined, error: (message: string) => Error): number {
  if (pr !== undefined) {
    if (!/^[1-9]\d*$/.test(pr)) throw error(`--pr: ${JSON.stringify(pr)} is not allowed. Expected a pull request number.`);
    return Number(pr);
  }
  if (!env.GITHUB_EVENT_PATH) throw error("no pull request: give --pr <number>, or run in a pull_request workflow (GITHUB_EVENT_PATH).");
  let event: { pull_request?: { number?: unknown } };
  try {
    event = JSON.parse(fs.readFileSync(env.GITHUB_EVENT_PATH, "utf8"));
  } catch (e) {
    throw error(`GITHUB_EVENT_PATH ${env.GITHUB_EVENT_PATH}: the event cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
  const n = event.pull_request?.number;
  if (typeof n !== "number") throw error(`GITHUB_EVENT_PATH ${env.GITHUB_EVENT_PATH}: the event has no pull_request.number; this is not a pull_request run. Give --pr <number>.`);
  return n;
}

/** The link to the workflow run, when the Actions environment names it. */
export function runLink(env: NodeJS.ProcessEnv): string | undefined {
  return env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined;
}

/** GitHub's REST API: one token, GitHub's headers, pagination, retries of 5xx. */
export class GitHub {
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
