/**
 * `npm run deploy -- --env <name>`: applies the saved plan `npm run plan -- --env <name>` made,
 * and only when nothing says not to. In order, stopping at the first refusal:
 *
 * 1. with `--require-approval` (the deploy workflow): this workflow run has an approval of the
 *    environment's GitHub environment (`data-key-<name>`), read from GitHub's API
 *    (GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals), not taken on trust from the job;
 * 2. the saved plan is the one whose JSON is reviewed (`<plans>/<name>.digest.json`), it is the
 *    environment's (the review's identity checks), and it was not made offline;
 * 3. the review of that plan (against `--base`, the previous default-branch commit) finds no
 *    error: nothing it shows in bold (the key destroyed or replaced, disabled, the lockout check
 *    bypassed, the alias renamed or moved, an environment removed or moved), no error finding;
 * 4. `verify --preflight` passes (the caller's account, the principals, the alias, the state
 *    bucket, the lock table, the lockout check for the caller, and its kms:PutKeyPolicy under an
 *    existing key's live policy);
 *
 * then `terraform apply <plans>/<name>.tfplan` and `verify`. The result goes to
 * `<out>/<name>.md`, to the run's summary ($GITHUB_STEP_SUMMARY) and, with `--post`, as a comment
 * on the pull request the commit came from.
 *
 * Exit codes: 0 applied and verified; 1 refused, or the apply or verify failed (the report says
 * which); 2 bad input, or verify could not check something.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ConfigError } from "../modules/index";
import { EnvironmentConfig, environmentWarnings, loadEnvironments, selectEnvironments } from "../app";
import { githubEnvironment } from "../app/bootstrap";
import { GitHub, GitHubError, githubTarget, MAX_BODY, runLink } from "./github";
import { CommandIo, oneEnvironmentName, parseCommandLine } from "./options";
import { countChanges, runTerraform } from "./plan";
import { BaseError, environmentMoves, Move, readBase } from "./review/moves";
import { checkPlan, offlinePlanOf, Plan, PlanInputError } from "./review/plan";
import { reviewEnvironment, reviewExitCode } from "./review/report";
import { runVerify, VerifyIo } from "./verify";

export const USAGE = `usage: npm run deploy -- --env <name> [options]

  --env <name>           the one environment to apply (npm run plan -- --env <name> made its plan; a list is refused)
  --plans <dir>          where npm run plan wrote <name>.tfplan, .json and .digest.json (default: plans)
  --base <file | ref>    the base to review the plan against (the workflow: the previous commit)
  --require-approval     apply only if this workflow run has an approval of the GitHub environment
                         data-key-<name> (GitHub's API; GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_RUN_ID)
  --post                 post the result on the pull request the commit came from (GITHUB_SHA)
  --out <dir>            where the report goes (default: deploy)
  --outdir <dir>         where the app was synthesized (default: cdktf.out)
  --endpoint-url <url>   verify's and --preflight's endpoint instead of AWS's (an emulator)
  --help                 this text

Exit codes: 0 applied and verified; 1 refused, or the apply or verify failed; 2 bad input, or verify
could not check something.`;

export interface DeployIo extends CommandIo {
  /** The environment Terraform and GitHub's API are read from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** For verify and --preflight: tests pass clients of their own. */
  readonly clients?: VerifyIo["clients"];
  readonly now?: Date;
  /** Waits between retries of GitHub's 5xx answers (ms). */
  readonly retryDelays?: readonly number[];
}

/** The marker the deploy's comment starts with. */
export function deployMarker(environment: string): string {
  return `<!-- mavik-data-key-deploy:${environment} -->`;
}

class Refused extends Error {
  constructor(
    message: string,
    readonly details: string[] = [],
  ) {
    super(message);
  }
}

interface Outcome {
  /** The bold first line. */
  readonly headline: string;
  readonly code: number;
  readonly sections: string[];
}

export async function runDeploy(argv: string[], io: DeployIo, configFile = path.resolve(process.env.MAVIK_CONFIG ?? "environments.json")): Promise<number> {
  const values = parseCommandLine(
    argv,
    {
      env: { type: "string" },
      plans: { type: "string", default: "plans" },
      base: { type: "string" },
      "require-approval": { type: "boolean", default: false },
      post: { type: "boolean", default: false },
      out: { type: "string", default: "deploy" },
      outdir: { type: "string", default: "cdktf.out" },
      "endpoint-url": { type: "string" },
    },
    USAGE,
    io,
  );
  if (typeof values === "number") return values;
  const env = io.env ?? process.env;
  let environment: EnvironmentConfig;
  let all: EnvironmentConfig[];
  let moves: Move[] = [];
  try {
    if (!values.env) throw new ConfigError("--env: missing. Which environment? npm run deploy -- --env <name>");
    all = loadEnvironments(configFile);
    const selected = oneEnvironmentName(
      "--env",
      values.env,
      "deploy applies one environment's saved plan a run: name one, and run deploy once for each (the deploy workflow runs a job per environment).",
    );
    [environment] = selectEnvironments(all, selected, "--env");
    if (values.base !== undefined && values.base !== "") moves = environmentMoves(readBase(values.base, configFile), all);
    if (values["require-approval"] || values.post) githubTarget(env);
  } catch (e) {
    if (!(e instanceof ConfigError) && !(e instanceof BaseError) && !(e instanceof Error && /^GITHUB_/.test(e.message))) throw e;
    io.stderr(`error: ${(e as Error).message}\n`);
    return 2;
  }
  const name = environment.name;
  const outcome = await deploy(environment, all, moves, values, io, env, configFile);
  const report = reportMarkdown(name, outcome, env);
  fs.mkdirSync(values.out, { recursive: true });
  const file = path.join(values.out, `${name}.md`);
  fs.writeFileSync(file, report);
  if (env.GITHUB_STEP_SUMMARY) fs.appendFileSync(env.GITHUB_STEP_SUMMARY, report);
  io.stderr(`wrote ${file}: ${outcome.headline.replace(/\*\*/g, "")}\n`);
  if (values.post) {
    try {
      io.stdout(`${await postResult(name, report, env, io.retryDelays ?? [1000, 2000])}\n`);
    } catch (e) {
      if (!(e instanceof GitHubError)) throw e;
      io.stderr(`error: ${e.message}\n`);
      return outcome.code === 0 ? 1 : outcome.code;
    }
  }
  return outcome.code;
}

async function deploy(
  environment: EnvironmentConfig,
  all: EnvironmentConfig[],
  moves: Move[],
  values: { plans: string; outdir: string; "require-approval": boolean; "endpoint-url"?: string },
  io: DeployIo,
  env: NodeJS.ProcessEnv,
  configFile: string,
): Promise<Outcome> {
  const name = environment.name;
  const refused = (e: Refused): Outcome => ({ headline: `**⛔ Not applied: ${e.message} Nothing was changed.**`, code: 1, sections: e.details });
  try {
    if (values["require-approval"]) await requireApproval(environment, env, io.retryDelays ?? [1000, 2000]);
    const plan = savedPlan(environment, values.plans);
    const stackDir = path.join(values.outdir, "stacks", name);
    const stack = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));
    const across = environmentWarnings(all)
      .filter((w) => w.environment === name)
      .map((w) => ({ rule: "one-key-per-account", severity: "warning" as const, path: "environments", message: w.message }));
    const review = reviewEnvironment(environment, stack, plan, [...moves.filter((m) => m.environment === name), ...moves.filter((m) => !all.some((e) => e.name === m.environment))], across);
    if (reviewExitCode([review]) !== 0) {
      const errors = [
        ...(review.key?.flags ?? []).filter((f) => f.severity === "error").map((f) => f.message),
        ...review.moves.filter((m) => m.severity === "error").map((m) => m.message),
        ...review.findings.filter((f) => f.severity === "error").map((f) => `${f.rule}: ${f.message}`),
      ];
      throw new Refused("the review of this plan finds an error (what it shows in bold).", errors.map((e) => `- ${e}`));
    }
    const verifyArgs = ["--env", name, "--markdown", ...(values["endpoint-url"] ? ["--endpoint-url", values["endpoint-url"]] : [])];
    const preflight = await captured(verifyArgs.concat("--preflight"), io, configFile);
    if (preflight.code !== 0) throw new Refused(`verify --preflight ${preflight.code === 1 ? "finds something wrong" : "could not check everything"} (exit ${preflight.code}).`, [preflight.stdout]);

    const terraform = findOnPath(env);
    if (terraform === undefined) throw new Refused("terraform is not on PATH.");
    const counts = countChanges(plan as Parameters<typeof countChanges>[0]);
    const applied = await runTerraform(terraform, ["apply", "-input=false", "-no-color", path.resolve(values.plans, `${name}.tfplan`)], stackDir, { ...env, TF_IN_AUTOMATION: "1", TF_INPUT: "0" }, io.stdout);
    const output = `${applied.stdout}${applied.stderr}`;
    fs.mkdirSync(values.plans, { recursive: true });
    fs.writeFileSync(path.join(values.plans, `${name}.apply.log`), output);
    const folded = ["<details><summary>terraform apply (its last 40 lines)</summary>", "", "```text", ...output.trimEnd().split("\n").slice(-40), "```", "", "</details>"];
    if (applied.code !== 0) return { headline: "**⛔ terraform apply failed: the state may hold part of the change. Read its output, fix, and plan again.**", code: 1, sections: [folded.join("\n")] };
    const verified = await captured(verifyArgs, io, configFile);
    const what = `${counts.import} imported, ${counts.add} added, ${counts.change} changed, ${counts.destroy} destroyed`;
    const headline =
      verified.code === 0
        ? `**✅ Applied (${what}); verify passes.**`
        : `**⛔ Applied (${what}), but verify ${verified.code === 1 ? "finds something wrong" : "could not check everything"} (exit ${verified.code}).**`;
    return { headline, code: verified.code, sections: [folded.join("\n"), verified.stdout.replace(/^## /m, "### ")] };
  } catch (e) {
    if (e instanceof Refused) return refused(e);
    if (e instanceof PlanInputError) return refused(new Refused(e.message));
    if (e instanceof GitHubError) return refused(new Refused(`the approval could not be read from GitHub: ${e.message}`));
    throw e;
  }
}

/** The saved plan's JSON, checked: the one `npm run plan` made beside the saved plan, the environment's, not offline. */
function savedPlan(environment: EnvironmentConfig, plans: string): Plan {
  const name = environment.name;
  const file = (ext: string) => path.join(plans, `${name}.${ext}`);
  // An offline plan's JSON names itself: say so, whatever else is missing.
  if (fs.existsSync(file("json"))) {
    let data: unknown;
    try {
      data = JSON.parse(fs.readFileSync(file("json"), "utf8"));
    } catch {
      data = undefined;
    }
    if (data !== undefined && offlinePlanOf(data as Plan) !== undefined) {
      throw new Refused("this is an offline plan (npm run plan -- --offline): it shows what the stack would create, never what to apply. Plan with credentials: npm run plan -- --env " + name + ".");
    }
  }
  const missing = ["tfplan", "json", "digest.json"].filter((ext) => !fs.existsSync(file(ext)));
  if (missing.length > 0 && fs.existsSync(file("log"))) {
    const tail = fs.readFileSync(file("log"), "utf8").trimEnd().split("\n").slice(-40);
    const refusedByTerraform = /Instance cannot be destroyed/.test(tail.join("\n")) ? " Terraform refused it (lifecycle.prevent_destroy: the plan would destroy or replace a key)." : "";
    throw new Refused(`terraform plan failed.${refusedByTerraform}`, [["<details><summary>terraform plan (its last 40 lines)</summary>", "", "```text", ...tail, "```", "", "</details>"].join("\n")]);
  }
  if (missing.length > 0) throw new Refused(`there is no saved plan to apply (${missing.map(file).join(", ")} missing): run npm run plan -- --env ${name} first.`);
  const hash = (f: string) => createHash("sha256").update(fs.readFileSync(f)).digest("hex");
  let digest: { tfplan?: string; json?: string };
  try {
    digest = JSON.parse(fs.readFileSync(file("digest.json"), "utf8"));
  } catch {
    digest = {};
  }
  if (digest.tfplan !== hash(file("tfplan")) || digest.json !== hash(file("json"))) {
    throw new Refused(`${file("tfplan")} is not the plan ${file("json")} shows (${file("digest.json")} holds other hashes): plan again with npm run plan -- --env ${name}.`);
  }
  const plan = checkPlan(JSON.parse(fs.readFileSync(file("json"), "utf8")), `${file("json")}`, environment);
  return plan;
}

/** The run's approvals must include one of the environment's GitHub environment. */
async function requireApproval(environment: EnvironmentConfig, env: NodeJS.ProcessEnv, retryDelays: readonly number[]): Promise<void> {
  const target = githubTarget(env);
  const run = env.GITHUB_RUN_ID ?? "";
  if (!/^\d+$/.test(run)) throw new Refused(`GITHUB_RUN_ID ${JSON.stringify(run)} names no workflow run, so its approval cannot be checked.`);
  const wanted = githubEnvironment(environment);
  const github = new GitHub(target.api, target.token, retryDelays);
  const approvals = await github.all<{ state?: string; environments?: { name?: string }[]; user?: { login?: string } | null }>(`/repos/${target.repository}/actions/runs/${run}/approvals`);
  const approved = approvals.find((a) => a.state === "approved" && (a.environments ?? []).some((e) => e.name === wanted));
  if (approved === undefined) {
    throw new Refused(
      `no approval of the GitHub environment ${wanted} in this run (${approvals.length} review(s) recorded). Give ${wanted} a required reviewer (Settings → Environments) and approve the run.`,
    );
  }
}

/** verify run in this process, its markdown captured. */
async function captured(args: string[], io: DeployIo, configFile: string): Promise<{ code: number; stdout: string }> {
  let stdout = "";
  const code = await runVerify(args, { stdout: (t) => (stdout += t), stderr: io.stderr, clients: io.clients, now: io.now }, configFile);
  return { code, stdout };
}

function findOnPath(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, "terraform");
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

function reportMarkdown(name: string, outcome: Outcome, env: NodeJS.ProcessEnv): string {
  const run = runLink(env);
  const commit = env.GITHUB_SHA ? ` of ${env.GITHUB_SHA.slice(0, 12)}` : "";
  const lines = [deployMarker(name), `## Data key deploy: \`${name}\``, "", outcome.headline, "", ...outcome.sections.flatMap((s) => [s.trimEnd(), ""])];
  if (run) lines.push(`_[The deploy run](${run})${commit}._`, "");
  let text = lines.join("\n");
  if (text.length > MAX_BODY) text = `${text.slice(0, MAX_BODY - 200)}\n\n**The report is longer than a comment can be; the rest is in the run's summary.**\n`;
  return text;
}

/** Posts the report on the pull request merged as GITHUB_SHA; without one, says where the report is. */
async function postResult(name: string, body: string, env: NodeJS.ProcessEnv, retryDelays: readonly number[]): Promise<string> {
  const target = githubTarget(env);
  const sha = env.GITHUB_SHA ?? "";
  if (!/^[0-9a-f]{40}$/.test(sha)) throw new GitHubError(`GITHUB_SHA ${JSON.stringify(sha)} is no commit: there is nothing to post on.`);
  const github = new GitHub(target.api, target.token, retryDelays);
  const repo = `/repos/${target.repository}`;
  const pulls = await github.all<{ number: number; merged_at?: string | null; merge_commit_sha?: string | null }>(`${repo}/commits/${sha}/pulls?per_page=100`);
  const merged = pulls.find((p) => p.merge_commit_sha === sha && p.merged_at) ?? pulls.find((p) => p.merged_at);
  if (merged === undefined) return `no pull request was merged as ${sha.slice(0, 12)}: the ${name} report is in the run's summary`;
  const posted = await github.send<{ html_url?: string; id: number }>("POST", `${repo}/issues/${merged.number}/comments`, { body });
  return `posted ${posted.html_url ?? `comment ${posted.id}`}`;
}

/** The command-line entry (`npm run deploy`, through scripts/run.js). */
export function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  return runDeploy(argv, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });
}

if (require.main === module) void main().then((code) => (process.exitCode = code));
