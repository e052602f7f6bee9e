/**
 * `npm run review`: one markdown report per environment, fit to post as a pull-request comment:
 * the plan summary, who can use the key (access matrix), the rule findings, and the resources
 * bound to the key.
 *
 *   npm run review -- [--env prod,staging] [--plan prod=plan.json ...] [--terraform] [--out review] [--json]
 *
 * The plan summary comes from `terraform show -json` of a saved plan (`--plan env=file`, or
 * `--terraform` to run init/plan/show here, which needs credentials), otherwise from the
 * synthesized configuration. Exit codes: 0 clean; 1 an error-level finding (or the app does not
 * synthesize); 2 bad input (unknown environment, unreadable plan file, bad option).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { buildApp } from "../modules";
import { CommandIo, parseCommandLine } from "./options";
import { ConfigError, EnvironmentReview, loadEnvironments, PlanJson, reviewEnvironment, reviewMarkdown, selectEnvironments } from "../modules";

export type Io = CommandIo;

class UsageError extends Error {}

const USAGE = "usage: npm run review -- [--env a,b] [--plan <env>=<plan.json>]... [--terraform] [--out <dir>] [--json]";

export function runReview(argv: string[], io: Io, configFile = path.resolve(process.env.MAVIK_CONFIG ?? "environments.json")): number {
  const options = parseCommandLine(
    argv,
    {
      env: { type: "string" },
      plan: { type: "string", multiple: true },
      terraform: { type: "boolean", default: false },
      out: { type: "string", default: "review" },
      outdir: { type: "string", default: "cdktf.out" },
      json: { type: "boolean", default: false },
    },
    USAGE,
    io,
  );
  if (options === undefined) return 2;

  let environments;
  let plans: Map<string, PlanJson>;
  try {
    environments = selectEnvironments(loadEnvironments(configFile), options.env, "--env");
    plans = readPlans(options.plan ?? [], new Set(environments.map((e) => e.name)));
  } catch (e) {
    if (!(e instanceof ConfigError || e instanceof UsageError)) throw e;
    io.stderr(`error: ${e.message}\n`);
    return 2;
  }

  try {
    const { app } = buildApp({ configFile, select: options.env, outdir: options.outdir });
    app.synth();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.stderr(`error: the app does not synthesize, so nothing can be reviewed:\n${e.message}\n`);
    return 1;
  }

  const reviews: EnvironmentReview[] = [];
  for (const environment of environments) {
    const stackDir = path.join(options.outdir, "stacks", environment.name);
    if (options.terraform && !plans.has(environment.name)) {
      io.stderr(`${environment.name}: terraform init / plan / show -json …\n`);
      const plan = terraformPlan(stackDir);
      if (typeof plan === "string") {
        io.stderr(`error: ${environment.name}: ${plan}\n`);
        return 2;
      }
      plans.set(environment.name, plan);
    }
    const stack = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));
    reviews.push(reviewEnvironment(environment, stack, plans.get(environment.name)));
  }

  fs.mkdirSync(options.out, { recursive: true });
  for (const review of reviews) {
    const file = path.join(options.out, `${review.environment}.md`);
    fs.writeFileSync(file, reviewMarkdown(review));
    if (!options.json) io.stderr(`wrote ${file}${review.plan.keyAlert ? `  (!! the plan would ${review.plan.keyAlert} the data key)` : ""}\n`);
  }
  if (options.json) io.stdout(JSON.stringify(reviews, null, 2) + "\n");
  const errors = reviews.flatMap((r) => r.findings.filter((f) => f.severity === "error").map((f) => `${r.environment}: ${f.message}`));
  for (const error of errors) io.stderr(`error: ${error}\n`);
  return errors.length > 0 || reviews.some((r) => r.plan.keyAlert) ? 1 : 0;
}

/** `--plan env=file` pairs, read and parsed; any problem is a usage error naming the file. */
function readPlans(pairs: string[], known: Set<string>): Map<string, PlanJson> {
  const plans = new Map<string, PlanJson>();
  for (const pair of pairs) {
    const match = /^([^=]+)=(.+)$/.exec(pair);
    if (!match) throw new UsageError(`--plan: ${JSON.stringify(pair)} is not allowed. Expected <environment>=<file from terraform show -json>.`);
    const [, env, file] = match;
    if (!known.has(env)) throw new UsageError(`--plan: ${JSON.stringify(env)} is not allowed. It is not a reviewed environment (${[...known].join(", ")}).`);
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      throw new UsageError(`--plan: ${JSON.stringify(file)} cannot be read: ${(e as Error).message}`);
    }
    try {
      const plan = JSON.parse(text);
      if (typeof plan !== "object" || plan === null || !("format_version" in plan)) throw new Error("no format_version");
      plans.set(env, plan);
    } catch (e) {
      throw new UsageError(`--plan: ${JSON.stringify(file)} is not the JSON of \`terraform show -json <plan>\` (${(e as Error).message}).`);
    }
  }
  return plans;
}

/** Runs terraform in a synthesized stack's directory; the plan JSON, or why it failed. */
function terraformPlan(dir: string): PlanJson | string {
  const run = (args: string[]) => spawnSync("terraform", args, { cwd: dir, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  for (const args of [["init", "-input=false", "-no-color"], ["plan", "-input=false", "-no-color", "-lock=false", "-out=review.tfplan"]]) {
    const result = run(args);
    if (result.error) return `terraform is not available: ${result.error.message}`;
    if (result.status !== 0) return `terraform ${args[0]} failed:\n${result.stderr}`;
  }
  const shown = run(["show", "-json", "review.tfplan"]);
  if (shown.status !== 0) return `terraform show failed:\n${shown.stderr}`;
  return JSON.parse(shown.stdout) as PlanJson;
}

/** The command-line entry (`npm run review`, through scripts/run.js). */
export function main(argv: string[] = process.argv.slice(2)): number {
  return runReview(argv, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });
}

if (require.main === module) process.exitCode = main();
