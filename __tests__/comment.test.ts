/**
 * The script that posts each environment's review on its pull request, against recorded GitHub
 * REST exchanges (shapes from docs.github.com/rest/issues/comments) replayed by a local server:
 * found on the second page and updated, created, refused, retried, cut to GitHub's limit; and a
 * review that wrote no report is still posted, as a failure.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { commentBody, MAX_BODY, nextLink, runComment, USAGE } from "../cli/comment";
import { ReplayServer } from "./support/replay-server";
import { REPO } from "./support/synth";

const RECORDINGS = path.join(REPO, "__tests__", "fixtures", "github");
const REPORT = "<!-- mavik-data-key-review:prod -->\n## Data key review: `prod`\n\n`alias/mavik-data-kms-key` in account 167067248318, us-east-1.\n";

/** A pull_request event file, a review folder holding `report` (if any), and the Actions variables. */
function workspace(report: string | null = REPORT) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-comment-"));
  fs.mkdirSync(path.join(dir, "review"));
  if (report !== null) fs.writeFileSync(path.join(dir, "review", "prod.md"), report);
  fs.writeFileSync(path.join(dir, "event.json"), JSON.stringify({ action: "synchronize", number: 42, pull_request: { number: 42, head: { sha: "4b825dc6" } } }));
  const env = (server: ReplayServer) => ({
    GITHUB_TOKEN: "ghs_test",
    GITHUB_REPOSITORY: "mavik/data-key",
    GITHUB_API_URL: server.url,
    GITHUB_EVENT_PATH: path.join(dir, "event.json"),
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_RUN_ID: "9001",
  });
  return { dir, env };
}

async function post(recording: string, report: string | null = REPORT, extra: string[] = []) {
  const server = await ReplayServer.start(path.join(RECORDINGS, recording));
  const ws = workspace(report);
  let stdout = "";
  let stderr = "";
  try {
    const code = await runComment(["--env", "prod", "--dir", path.join(ws.dir, "review"), ...extra], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, ws.env(server), {
      retryDelays: [0, 0],
    });
    return { code, stdout, stderr, server, sent: server.received.filter((r) => r.method !== "GET").map((r) => JSON.parse(r.body).body as string) };
  } finally {
    await server.close();
  }
}

const RUN_FOOTER = "\n_[Workflow run](https://github.com/mavik/data-key/actions/runs/9001)._\n";

test("finds the bot's comment on the second page (Link rel=next) and updates it; a person's quote of the marker is left alone", async () => {
  const result = await post("update-second-page.json");
  expect([result.code, result.stdout, result.stderr]).toEqual([0, "updated https://github.com/mavik/data-key/pull/42#issuecomment-1004\n", ""]);
  expect(result.server.unexpected).toEqual([]);
  expect(result.server.pending).toEqual([]);
  expect(result.sent).toEqual([REPORT + RUN_FOOTER]);
  const patch = result.server.received[2];
  expect(patch.headers).toMatchObject({
    authorization: "Bearer ghs_test",
    accept: "application/vnd.github+json",
    "x-github-api-version": "2022-11-28",
    "content-type": "application/json",
  });
});

test("creates the comment when the bot has none", async () => {
  const result = await post("create.json");
  expect([result.code, result.stdout]).toEqual([0, "posted https://github.com/mavik/data-key/pull/42#issuecomment-1005\n"]);
  expect(result.server.done).toBe(true);
  expect(result.sent).toEqual([REPORT + RUN_FOOTER]);
});

test("a refusal exits 1 with GitHub's message and what the workflow needs", async () => {
  const result = await post("forbidden.json");
  expect(result.code).toBe(1);
  expect(result.stderr).toBe(
    `error: POST ${result.server.url}/repos/mavik/data-key/issues/42/comments: 403 Resource not accessible by integration. The workflow needs permissions: pull-requests: write, and a token that can see the repository.\n`,
  );
  expect(result.server.done).toBe(true);
});

test("a 5xx is retried", async () => {
  const result = await post("retry.json");
  expect(result.code).toBe(0);
  expect(result.server.done).toBe(true);
});

test("a review that wrote no report is posted as a failure, never skipped", async () => {
  const result = await post("create.json", null);
  expect(result.code).toBe(0);
  expect(result.sent[0]).toMatch(
    /^<!-- mavik-data-key-review:prod -->\n## Data key review: `prod`\n\n\*\*⛔ The review did not write a report \(.*prod\.md is missing\), so nothing about this change was checked\. Do not merge; see \[the workflow run\]\(https:\/\/github\.com\/mavik\/data-key\/actions\/runs\/9001\)\.\*\*\n/,
  );
});

test("a report longer than GitHub takes is cut at a line, its open <details> closed, with a note", async () => {
  const rows = Array.from({ length: 2000 }, (_, i) => `| \`role/r${i}\` | IAM S1 | **allowed** S3 | **allowed** S4 | **allowed** S3 |`);
  const long = `${REPORT}\n<details><summary>Who can use the key (the whole matrix)</summary>\n\n${rows.join("\n")}\n\n</details>\n`;
  const result = await post("too-long.json", long);
  expect(result.code).toBe(0);
  const body = result.sent[0];
  expect(body.length).toBeLessThanOrEqual(MAX_BODY);
  expect(body).toContain(`\n\n</details>\n\n**The report is longer than a comment can be (${long.length} characters); the rest is in the workflow run's \`review\` artifact.**\n`);
  expect(body.endsWith(RUN_FOOTER)).toBe(true);
  // Cut at a line: the last table row kept is whole.
  const lastRow = body.slice(0, body.indexOf("\n\n</details>")).split("\n").pop();
  expect(lastRow).toMatch(/^\| `role\/r\d+` \| IAM S1 \| \*\*allowed\*\* S3 \| \*\*allowed\*\* S4 \| \*\*allowed\*\* S3 \|$/);
});

test("a short report is posted as it is, with the run's link", () => {
  const file = path.join(workspace().dir, "review", "prod.md");
  expect(commentBody("prod", file, {})).toBe(REPORT);
  expect(commentBody("prod", file, { GITHUB_SERVER_URL: "https://github.com", GITHUB_REPOSITORY: "mavik/data-key", GITHUB_RUN_ID: "9001" })).toBe(REPORT + RUN_FOOTER);
});

test.each<[string, string | null, string | undefined]>([
  ["GitHub's next and last", '<https://api.github.com/repositories/1/issues/42/comments?page=2>; rel="next", <https://api.github.com/repositories/1/issues/42/comments?page=5>; rel="last"', "https://api.github.com/repositories/1/issues/42/comments?page=2"],
  ["the last page: prev and first only", '<https://x/comments?page=4>; rel="prev", <https://x/comments?page=1>; rel="first"', undefined],
  ["next among several relations (RFC 8288)", '<https://x/a?page=2>; rel="prefetch next"', "https://x/a?page=2"],
  ["no header", null, undefined],
])("nextLink: %s", (_name, header, next) => {
  expect(nextLink(header)).toBe(next);
});

describe("input the comment script refuses, exit 2", () => {
  const io = () => {
    let stderr = "";
    return { io: { stdout: () => undefined, stderr: (t: string) => (stderr += t) }, stderr: () => stderr };
  };
  test.each<[string, string[], NodeJS.ProcessEnv, string]>([
    ["no token", ["--env", "prod", "--pr", "42"], { GITHUB_REPOSITORY: "mavik/data-key" }, "error: GITHUB_TOKEN is not set. The workflow passes it: env: GITHUB_TOKEN: ${{ github.token }}.\n"],
    ["no repository", ["--env", "prod", "--pr", "42"], { GITHUB_TOKEN: "t" }, 'error: GITHUB_REPOSITORY: "" is not allowed. Expected owner/repo.\n'],
    ["no environment", ["--pr", "42"], { GITHUB_TOKEN: "t", GITHUB_REPOSITORY: "a/b" }, 'error: --env: "" is not allowed. Expected an environment name.\n'],
    ["a path as the environment", ["--env", "../prod", "--pr", "42"], { GITHUB_TOKEN: "t", GITHUB_REPOSITORY: "a/b" }, 'error: --env: "../prod" is not allowed. Expected an environment name.\n'],
    ["a bad pull request number", ["--env", "prod", "--pr", "42a"], { GITHUB_TOKEN: "t", GITHUB_REPOSITORY: "a/b" }, 'error: --pr: "42a" is not allowed. Expected a pull request number.\n'],
    ["no pull request at all", ["--env", "prod"], { GITHUB_TOKEN: "t", GITHUB_REPOSITORY: "a/b" }, "error: no pull request: give --pr <number>, or run in a pull_request workflow (GITHUB_EVENT_PATH).\n"],
  ])("%s", async (_name, argv, env, message) => {
    const out = io();
    expect(await runComment(argv, out.io, env)).toBe(2);
    expect(out.stderr()).toBe(message);
  });
  test("an event that is not a pull request's", async () => {
    const event = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mavik-comment-")), "event.json");
    fs.writeFileSync(event, JSON.stringify({ ref: "refs/heads/main" }));
    const out = io();
    expect(await runComment(["--env", "prod"], out.io, { GITHUB_TOKEN: "t", GITHUB_REPOSITORY: "a/b", GITHUB_EVENT_PATH: event })).toBe(2);
    expect(out.stderr()).toBe(`error: GITHUB_EVENT_PATH ${event}: the event has no pull_request.number; this is not a pull_request run. Give --pr <number>.\n`);
  });
  test("--help prints the usage and exits 0", async () => {
    let stdout = "";
    expect(await runComment(["--help"], { stdout: (t) => (stdout += t), stderr: () => undefined })).toBe(0);
    expect(stdout).toBe(`${USAGE}\n`);
  });
});

test("the command the workflow runs (npm run comment, through scripts/run.js) posts the report", async () => {
  const server = await ReplayServer.start(path.join(RECORDINGS, "create.json"));
  const ws = workspace();
  try {
    const child = spawn(process.execPath, [path.join(REPO, "scripts", "run.js"), "comment", "--env", "prod", "--dir", path.join(ws.dir, "review")], {
      cwd: REPO,
      env: { PATH: process.env.PATH, ...ws.env(server) },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const code = await new Promise((resolve) => child.on("close", resolve));
    expect([code, stdout, stderr]).toEqual([0, "posted https://github.com/mavik/data-key/pull/42#issuecomment-1005\n", ""]);
    expect(server.done).toBe(true);
    expect(JSON.parse(server.received[1].body)).toEqual({ body: REPORT + RUN_FOOTER });
  } finally {
    await server.close();
  }
});
