/**
 * `npm run review`: one markdown report per environment, fit to post as a pull-request comment:
 * what the plan does to the data key (flags, the policy statement by statement, who gains or loses
 * access), environment moves against the base branch, the rule findings, the bound resources,
 * and the whole access matrix folded away. A failed synth or plan still gets its report.
 *
 * Exit codes: 0 clean; 1 the change holds an error (the key at risk, an error finding, a move, a
 * failed synth or plan); 2 bad input (an unknown option or environment, an environment named
 * twice, a plan that is not this environment's or not a plan (a wrong type is named with its JSON
 * path), a key policy in the plan that is not JSON, a state instead of a plan, an unreadable file,
 * an output folder that cannot be made). An environment removed (--base) is a warning: nothing is
 * destroyed; its key and state stay in AWS, unmanaged.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ConfigError } from "../modules/index";
import { buildApp, EnvironmentConfig, environmentWarnings, loadEnvironments, selectEnvironments } from "../app";
import { CommandIo, parseCommandLine } from "./options";
import { BaseError, environmentMoves, Move, readBase } from "./review/moves";
import { checkPlan, Plan, PlanInputError, readPlan } from "./review/plan";
import { EnvironmentReview, failedReview, reviewEnvironment, reviewExitCode, reviewMarkdown } from "./review/report";

export type Io = CommandIo;

class UsageError extends Error {}

export const USAGE = `usage: npm run review -- [options]

  --env <a,b>                  the environments to review (default: all)
  --plan <env>=<plan.json>     terraform show -json of the environment's saved plan (once per environment)
  --plan-failed <env>=<log>    terraform plan failed for the environment; <log> holds its output
  --base <file | git ref>      the base's environments file, to find renamed, removed or moved environments
  --terraform                  run terraform init / plan / show here (needs credentials)
  --out <dir>                  where the reports go, made if missing (default: review)
  --outdir <dir>               where the app synthesizes, made if missing (default: cdktf.out)
  --json                       print the reviews as JSON
  --list                       print the environments' names as a JSON array and exit (the workflow's
                               matrix); when the environments file does not load, the --base's names
  --help                       this text

Exit codes: 0 clean; 1 the change holds an error; 2 bad input.`;

export function runReview(argv: string[], io: Io, configFile = path.resolve(process.env.MAVIK_CONFIG ?? "environments.json")): number {
  const options = parseCommandLine(
    argv,
    {
      env: { type: "string" },
      plan: { type: "string", multiple: true },
      "plan-failed": { type: "string", multiple: true },
      base: { type: "string" },
      terraform: { type: "boolean", default: false },
      out: { type: "string", default: "review" },
      outdir: { type: "string", default: "cdktf.out" },
      json: { type: "boolean", default: false },
      list: { type: "boolean", default: false },
    },
    USAGE,
    io,
  );
  if (typeof options === "number") return options;

  if (options.list) return listEnvironments(configFile, options.base, io);

  // One review (and one comment) per environment: a name twice is a slip, said as such.
  const named = (options.env ?? "").split(",").map((n) => n.trim());
  const twice = named.find((n, i) => n !== "" && named.indexOf(n) !== i);
  if (twice !== undefined) return usage(io, `--env: ${JSON.stringify(twice)} is not allowed. It is named twice in ${JSON.stringify(options.env)}; name each environment once.`);
  if (named.length > 1 && named.includes("")) return usage(io, `--env: ${JSON.stringify(options.env)} is not allowed. Expected environment names separated by commas, none empty.`);

  // The environments, or why the change under review does not even load them.
  let environments: EnvironmentConfig[];
  let allEnvironments: EnvironmentConfig[] = [];
  let synthError: string | undefined;
  try {
    allEnvironments = loadEnvironments(configFile);
    environments = selectEnvironments(allEnvironments, options.env, "--env");
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    if (/^--env: /.test(e.message)) return usage(io, e.message);
    if (!options.env) {
      io.stderr(`error: the environments file does not load, and no --env names what to report on:\n${e.message}\n`);
      return 1;
    }
    synthError = e.message;
    environments = options.env.split(",").map((name) => ({ name: name.trim(), accountId: "?", region: "?" }) as EnvironmentConfig);
  }

  let plans: Map<string, string>;
  let failedPlans: Map<string, string>;
  let moves: Move[] = [];
  try {
    const known = new Set(environments.map((e) => e.name));
    plans = pairs("--plan", options.plan ?? [], known);
    failedPlans = pairs("--plan-failed", options["plan-failed"] ?? [], known);
    for (const [env, file] of failedPlans) {
      if (plans.has(env)) throw new UsageError(`--plan-failed ${env}=${file}: ${env} has a plan (--plan ${env}=${plans.get(env)}); give each environment a plan or a failure, not both.`);
    }
    if (options.base !== undefined && synthError === undefined) moves = environmentMoves(readBase(options.base, configFile), loadEnvironments(configFile));
  } catch (e) {
    if (e instanceof UsageError || e instanceof BaseError) return usage(io, e.message);
    if (e instanceof ConfigError) return usage(io, `--base: ${e.message}`);
    throw e;
  }

  // The folders are made (parents too) once the input is checked; one that cannot be made is bad input.
  for (const [option, dir] of [["--outdir", options.outdir], ["--out", options.out]] as const) {
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (e) {
      return usage(io, `${option} ${dir}: the folder cannot be made (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
    }
  }

  if (synthError === undefined) {
    try {
      buildApp({ configFile, select: options.env, outdir: options.outdir }).app.synth();
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      synthError = e.message;
    }
  }

  const reviews: EnvironmentReview[] = [];
  const movesOf = (env: string) => [...moves.filter((m) => m.environment === env), ...moves.filter((m) => !environments.some((e) => e.name === m.environment))];
  for (const environment of environments) {
    const own = movesOf(environment.name);
    if (synthError !== undefined) {
      reviews.push(failedReview(environment, { what: "synth", output: synthError }, own));
      continue;
    }
    const failed = failedPlans.get(environment.name);
    if (failed !== undefined) {
      let log: string;
      try {
        log = fs.readFileSync(failed, "utf8");
      } catch (e) {
        return usage(io, `--plan-failed ${environment.name}=${failed}: the file cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
      }
      reviews.push(failedReview(environment, { what: "plan", output: log }, own));
      continue;
    }
    const stackDir = path.join(options.outdir, "stacks", environment.name);
    let plan: Plan | undefined;
    try {
      const file = plans.get(environment.name);
      if (file !== undefined) plan = readPlan(file, environment);
      else if (options.terraform) {
        io.stderr(`${environment.name}: terraform init / plan / show -json …\n`);
        const result = terraformPlan(stackDir);
        if (typeof result === "string") {
          if (/^terraform is not available/.test(result)) return usage(io, `${environment.name}: ${result}`);
          reviews.push(failedReview(environment, { what: "plan", output: result }, own));
          continue;
        }
        plan = checkPlan(result, `${environment.name} (terraform here)`, environment);
      }
    } catch (e) {
      if (e instanceof PlanInputError) return usage(io, e.message);
      throw e;
    }
    const stack = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));
    const across = environmentWarnings(allEnvironments)
      .filter((w) => w.environment === environment.name)
      .map((w) => ({ rule: "one-key-per-account", severity: "warning" as const, path: "environments", message: w.message }));
    reviews.push(reviewEnvironment(environment, stack, plan, own, across));
  }

  for (const review of reviews) {
    const file = path.join(options.out, `${review.environment}.md`);
    fs.writeFileSync(file, reviewMarkdown(review));
    if (!options.json) io.stderr(`wrote ${file}${headline(review)}\n`);
  }
  if (options.json) io.stdout(JSON.stringify(reviews, null, 2) + "\n");
  for (const r of reviews) {
    for (const f of r.findings.filter((f) => f.severity === "error")) io.stderr(`error: ${r.environment}: ${f.message}\n`);
    for (const f of (r.key?.flags ?? []).filter((f) => f.severity === "error")) io.stderr(`error: ${r.environment}: ${f.message}\n`);
  }
  return reviewExitCode(reviews);
}

function usage(io: Io, message: string): number {
  io.stderr(`error: ${message}\n`);
  return 2;
}

/** The worst of a review in a few words, for the line that says where it was written. */
function headline(review: EnvironmentReview): string {
  if (review.failure) return `  (!! ${review.failure.what === "synth" ? "the app does not synthesize" : "terraform plan failed"})`;
  if (review.key?.destroyOrReplace) return `  (!! the plan would ${review.key.destroyOrReplace} the data key)`;
  return "";
}

/**
 * The names to review, as a JSON array: this change's environments, or, when its file does not
 * load, the base's (each is then reported as not synthesizing, rather than no review at all).
 */
function listEnvironments(configFile: string, base: string | undefined, io: Io): number {
  let names: string[];
  try {
    names = loadEnvironments(configFile).map((e) => e.name);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    if (base === undefined) return usage(io, `--list: the environments file does not load, and there is no --base to take the names from:\n${e.message}`);
    try {
      names = readBase(base, configFile).map((b) => b.name);
    } catch (b) {
      if (b instanceof BaseError || b instanceof ConfigError) return usage(io, `--list: the environments file does not load (${e.message.split("\n")[0]}), nor does the base: ${b.message}`);
      throw b;
    }
    io.stderr(`note: the environments file does not load; listing the base's environments\n`);
  }
  io.stdout(JSON.stringify(names) + "\n");
  return 0;
}

/** `<env>=<file>` pairs of one option; an environment twice, or one not reviewed, is a usage error. */
function pairs(option: string, values: string[], known: Set<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of values) {
    const match = /^([^=]+)=(.+)$/.exec(pair);
    if (!match) throw new UsageError(`${option}: ${JSON.stringify(pair)} is not allowed. Expected <environment>=<file>.`);
    const [, env, file] = match;
    if (!known.has(env)) throw new UsageError(`${option}: ${JSON.stringify(env)} is not allowed. It is not a reviewed environment (${[...known].join(", ")}).`);
    const earlier = out.get(env);
    if (earlier !== undefined) throw new UsageError(`${option} ${env}=${file}: ${env} has one already (${option} ${env}=${earlier}); give each environment one.`);
    out.set(env, file);
  }
  return out;
}

/** Runs terraform in a synthesized stack's directory: the plan JSON, or why it failed. */
function terraformPlan(dir: string): unknown | string {
  const run = (args: string[]) => spawnSync("terraform", args, { cwd: dir, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  for (const args of [["init", "-input=false", "-no-color"], ["plan", "-input=false", "-no-color", "-lock=false", "-out=review.tfplan"]]) {
    const result = run(args);
    if (result.error) return `terraform is not available: ${result.error.message}`;
    if (result.status !== 0) return `terraform ${args[0]} failed:\n${result.stderr}${result.stdout}`;
  }
  const shown = run(["show", "-json", "review.tfplan"]);
  if (shown.status !== 0) return `terraform show failed:\n${shown.stderr}`;
  return JSON.parse(shown.stdout);
}

/** The command-line entry (`npm run review`, through scripts/run.js). */
export function main(argv: string[] = process.argv.slice(2)): number {
  return runReview(argv, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });
}

if (require.main === module) process.exitCode = main();
