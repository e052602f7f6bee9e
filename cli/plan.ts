/**
 * `npm run plan -- --env <name>`: one command for people and the workflows. It synthesizes the
 * environment and runs `terraform init`, `terraform plan -out` and `terraform show -json` in its
 * stack's directory, through the stack's own S3 backend, with the credentials at hand. It writes
 * `<out>/<name>.tfplan` (the saved plan `npm run deploy` applies), `<out>/<name>.json` (what
 * `npm run review -- --plan` reads) and `<out>/<name>.digest.json` (their hashes, so a deploy
 * applies only the plan whose JSON it reviewed); a failed plan leaves `<out>/<name>.log`.
 *
 * `--offline`: a real Terraform plan with no credentials and no network, showing what the stack
 * would create. A copy of the stack goes to `<outdir>/offline/<name>`: no backend (an empty local
 * state), the provider's credential and account checks skipped (fake static keys, no STS, no
 * metadata service, no `allowed_account_ids`), the import blocks left out and reported as
 * "adopts key … (not checked offline)". Its plan JSON carries an output, `mavik_offline_plan`,
 * so the review labels it and the deploy refuses it. Providers come from `--provider-mirror` (or
 * `$MAVIK_TF_PROVIDER_MIRROR`: a CLI config is written beside the copy, never into ~), else from
 * the user's own Terraform configuration: a plugin cache or Terraform's implied local mirrors
 * answer without a network, otherwise `terraform init` fetches hashicorp/aws from the registry
 * once (the plan itself calls nothing).
 *
 * `--matrix`: the workflows' matrix, each environment's account, region, roles and GitHub
 * environment, from the environments file (docs/deploy.md).
 *
 * Exit codes: 0 planned; 1 terraform (or synthesis) failed; 2 bad input. With `--ci` (what
 * scripts/ci/plan.sh runs): `result=planned|failed` and `changes=yes|no` lines, also appended to
 * $GITHUB_OUTPUT, and exit 0 either way (the review reports a failed plan).
 */
import { createHash } from "crypto";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ConfigError } from "../modules/index";
import { buildApp, EnvironmentConfig, loadEnvironments, selectEnvironments } from "../app";
import { githubEnvironment, roleArn } from "../app/bootstrap";
import { CommandIo, parseCommandLine } from "./options";
import { BaseError, readBase } from "./review/moves";
import { adoptionText, OFFLINE_OUTPUT } from "./review/plan";

export const USAGE = `usage: npm run plan -- --env <name> [options]
       npm run plan -- --stack <name> [options]
       npm run plan -- --matrix [--base <file | git ref>]

  --env <name>             synthesize the environment and plan its stack, through its S3 backend
  --stack <name>           plan a stack as synthesized (a bootstrap stack: npm run bootstrap)
  --offline                a real terraform plan with no credentials and no network: empty local state,
                           credential checks skipped, import blocks left out and reported
  --provider-mirror <dir>  with --offline: hashicorp/aws from this filesystem mirror
                           (default: $MAVIK_TF_PROVIDER_MIRROR, else your Terraform configuration)
  --out <dir>              where <name>.json, .tfplan, .digest.json (or .log) go (default: plans)
  --no-lock                plan without the state lock (-lock=false), as the read-only plan role must
  --no-synth               plan the stack as it is in --outdir (the workflows synthesize first)
  --outdir <dir>           where the app synthesizes (default: cdktf.out)
  --ci                     print result= and changes= lines (and append them to $GITHUB_OUTPUT); exit 0
  --matrix                 print the workflows' matrix: per environment its account, region, roles and
                           GitHub environment; with --base, the base's when the environments file does not load
  --help                   this text

Exit codes: 0 planned; 1 terraform or synthesis failed; 2 bad input.`;

export interface PlanIo extends CommandIo {
  /** The environment Terraform runs in. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** An import block the offline plan leaves out. */
export interface Adoption {
  readonly address: string;
  readonly id: string;
  /** `adopts key cb42… (not checked offline)` */
  readonly text: string;
}

export interface PlanCounts {
  readonly import: number;
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
}

export interface PlanResult {
  readonly status: "planned" | "failed";
  /** Planned: whether it changes anything (terraform plan -detailed-exitcode). */
  readonly changes?: boolean;
  readonly counts?: PlanCounts;
  readonly json?: string;
  readonly tfplan?: string;
  readonly log: string;
  readonly adopts: readonly Adoption[];
}

export interface PlanOptions {
  /** The stack's directory name under `<outdir>/stacks/`. */
  readonly name: string;
  readonly outdir: string;
  readonly out: string;
  readonly offline: boolean;
  readonly lock: boolean;
  readonly mirror?: string;
}

class UsageError extends Error {}

export async function runPlan(argv: string[], io: PlanIo, configFile = path.resolve(process.env.MAVIK_CONFIG ?? "environments.json")): Promise<number> {
  const values = parseCommandLine(
    argv,
    {
      env: { type: "string" },
      stack: { type: "string" },
      offline: { type: "boolean", default: false },
      "provider-mirror": { type: "string" },
      out: { type: "string", default: "plans" },
      "no-lock": { type: "boolean", default: false },
      "no-synth": { type: "boolean", default: false },
      outdir: { type: "string", default: "cdktf.out" },
      ci: { type: "boolean", default: false },
      matrix: { type: "boolean", default: false },
      base: { type: "string" },
    },
    USAGE,
    io,
  );
  if (typeof values === "number") return values;
  const env = io.env ?? process.env;
  const ci = values.ci;
  const say = (line: string) => {
    io.stdout(`${line}\n`);
    if (ci && env.GITHUB_OUTPUT) fs.appendFileSync(env.GITHUB_OUTPUT, `${line}\n`);
  };
  try {
    if (values.matrix) {
      if (values.env !== undefined || values.stack !== undefined) throw new UsageError("--matrix lists every environment; give it no --env or --stack.");
      io.stdout(`${JSON.stringify({ include: workflowMatrix(configFile, values.base, io) })}\n`);
      return 0;
    }
    if ((values.env === undefined) === (values.stack === undefined)) throw new UsageError("give one of --env <environment> or --stack <stack>.");
    if (values.base !== undefined) throw new UsageError("--base goes with --matrix.");
    const mirror = values["provider-mirror"] ?? (values.offline ? env.MAVIK_TF_PROVIDER_MIRROR || undefined : undefined);
    if (values["provider-mirror"] !== undefined && !values.offline) throw new UsageError("--provider-mirror goes with --offline (a real plan uses your Terraform configuration).");
    if (mirror !== undefined && !fs.existsSync(path.join(mirror, "registry.terraform.io", "hashicorp", "aws"))) {
      throw new UsageError(`--provider-mirror: ${JSON.stringify(mirror)} is not allowed. It holds no registry.terraform.io/hashicorp/aws (a filesystem mirror, as terraform providers mirror writes one).`);
    }
    const name = (values.env ?? values.stack)!;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new UsageError(`${values.env !== undefined ? "--env" : "--stack"}: ${JSON.stringify(name)} is not allowed. Expected a stack name.`);
    if (values.env !== undefined) {
      selectEnvironments(loadEnvironments(configFile), values.env, "--env");
      if (!values["no-synth"]) buildApp({ configFile, select: values.env, outdir: values.outdir }).app.synth();
    }
    const result = await planStack({ name, outdir: values.outdir, out: values.out, offline: values.offline, lock: !values["no-lock"], mirror }, { ...io, env }, ci);
    if (ci) {
      say(`result=${result.status}`);
      if (result.status === "planned") say(`changes=${result.changes ? "yes" : "no"}`);
      return 0;
    }
    if (result.status === "failed") {
      io.stderr(`error: terraform failed for ${name}; its output is in ${result.log}\n`);
      return 1;
    }
    io.stdout(summary(name, result, values.offline, values.out));
    return 0;
  } catch (e) {
    if (e instanceof UsageError || (e instanceof ConfigError && /^--[a-z]/.test(e.message)) || e instanceof BaseError || e instanceof TerraformMissing) {
      if (ci) {
        say("result=failed");
      }
      io.stderr(`error: ${e.message}\n`);
      return ci && !(e instanceof UsageError) ? 0 : 2;
    }
    if (e instanceof ConfigError) {
      io.stderr(`error: ${e.message}\n`);
      if (ci) {
        say("result=failed");
        return 0;
      }
      return 1;
    }
    throw e;
  }
}

/** What a plan says, in Terraform's words, and what an offline plan leaves out. */
function summary(name: string, result: PlanResult, offline: boolean, out: string): string {
  const c = result.counts!;
  const counts = `${c.import > 0 ? `${c.import} to import, ` : ""}${c.add} to add, ${c.change} to change, ${c.destroy} to destroy`;
  const lines = [`${name}${offline ? " (offline plan: no credentials, no state)" : ""}: ${counts}.`];
  if (offline) {
    for (const a of result.adopts) lines.push(`  ${a.text}`);
    if (result.adopts.length > 0) {
      lines.push(`  A real plan imports ${result.adopts.length === 1 ? "this one" : `these ${result.adopts.length}`} instead of adding ${result.adopts.length === 1 ? "it" : "them"}.`);
    }
    lines.push(
      "  An offline plan cannot show what the live objects hold (an adopted key's policy, description, tags), changes to what is",
      "  deployed, drift, whether the credentials, account and permissions are right, or what a data source reads (docs/deploy.md).",
    );
  }
  lines.push(`wrote ${result.json}${result.tfplan ? ` and ${result.tfplan}` : ""}: npm run review -- --plan ${name}=${path.join(out, `${name}.json`)}`);
  return `${lines.join("\n")}\n`;
}

class TerraformMissing extends Error {}

/** Plans one synthesized stack (or its offline copy); Terraform's output goes to stdout and the log. */
export async function planStack(options: PlanOptions, io: PlanIo, ci = false): Promise<PlanResult> {
  const env = io.env ?? process.env;
  const out = path.resolve(options.out);
  fs.mkdirSync(out, { recursive: true });
  const log = path.join(options.out, `${options.name}.log`);
  const json = path.join(options.out, `${options.name}.json`);
  const digest = path.join(options.out, `${options.name}.digest.json`);
  const tfplan = path.join(options.out, `${options.name}.tfplan`);
  for (const f of [log, json, digest, tfplan]) fs.rmSync(f, { force: true });
  const logLines: string[] = [];
  const write = (text: string) => {
    logLines.push(text);
    io.stdout(text);
  };
  const failed = (): PlanResult => {
    fs.writeFileSync(log, logLines.join(""));
    return { status: "failed", log, adopts: [] };
  };

  const stackFile = path.join(options.outdir, "stacks", options.name, "cdk.tf.json");
  if (!fs.existsSync(stackFile)) {
    write(`${stackFile} is missing: the app did not synthesize ${options.name}.\n`);
    return failed();
  }
  const terraform = findTerraform(env);
  if (terraform === undefined) {
    if (!ci) throw new TerraformMissing("terraform is not on PATH: install Terraform 1.11 or later (README, Quickstart).");
    write("terraform is not on PATH: install Terraform 1.11 or later (README, Quickstart).\n");
    return failed();
  }

  let dir = path.dirname(stackFile);
  let tfEnv: NodeJS.ProcessEnv = { ...env, CHECKPOINT_DISABLE: env.CHECKPOINT_DISABLE ?? "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0" };
  let adopts: Adoption[] = [];
  const planArgs = ["plan", "-input=false", "-no-color", "-detailed-exitcode"];
  if (options.offline) {
    const stack = JSON.parse(fs.readFileSync(stackFile, "utf8"));
    const copy = offlineConfig(stack);
    adopts = copy.adopts;
    dir = path.join(options.outdir, "offline", options.name);
    fs.mkdirSync(dir, { recursive: true });
    for (const f of ["main.tf.json", "terraform.tfstate", "terraform.tfstate.backup", "offline.tfplan"]) fs.rmSync(path.join(dir, f), { force: true });
    fs.writeFileSync(path.join(dir, "main.tf.json"), `${JSON.stringify(copy.config, null, 2)}\n`);
    tfEnv = offlineEnvironment(tfEnv);
    if (options.mirror !== undefined) {
      const config = path.join(dir, "terraform.tfrc");
      fs.writeFileSync(config, mirrorConfig(path.resolve(options.mirror)));
      tfEnv.TF_CLI_CONFIG_FILE = path.resolve(config);
    }
    planArgs.push("-refresh=false", "-lock=false", "-out=offline.tfplan");
  } else {
    if (!options.lock) planArgs.push("-lock=false");
    planArgs.push(`-out=${path.resolve(tfplan)}`);
  }

  const run = (args: string[], stream = true) => runTerraform(terraform, args, dir, tfEnv, stream ? write : undefined);
  const init = await run(["init", "-input=false", "-no-color"]);
  if (init.code !== 0) return failed();
  // -detailed-exitcode: 0 no changes, 1 error (a prevent_destroy refusal among them), 2 changes.
  const plan = await run(planArgs);
  if (plan.code !== 0 && plan.code !== 2) return failed();
  const planFile = options.offline ? "offline.tfplan" : path.resolve(tfplan);
  const shown = await run(["show", "-json", planFile], false);
  if (shown.code !== 0) {
    write(shown.stderr);
    return failed();
  }
  fs.writeFileSync(json, shown.stdout);
  if (!options.offline) {
    const hash = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");
    fs.writeFileSync(digest, `${JSON.stringify({ tfplan: hash(tfplan), json: hash(json) })}\n`);
  }
  return {
    status: "planned",
    changes: plan.code === 2,
    counts: countChanges(JSON.parse(shown.stdout)),
    json,
    tfplan: options.offline ? undefined : tfplan,
    log,
    adopts,
  };
}

/** Counts as `terraform plan` prints them: a replacement is one to add and one to destroy. */
export function countChanges(plan: { resource_changes?: { change: { actions: string[]; importing?: unknown } }[] }): PlanCounts {
  const changes = plan.resource_changes ?? [];
  const count = (test: (actions: string[], importing: boolean) => boolean) => changes.filter((rc) => test(rc.change.actions, rc.change.importing != null)).length;
  return {
    import: count((_a, importing) => importing),
    add: count((a) => a.includes("create")),
    change: count((a) => a.includes("update")),
    destroy: count((a) => a.includes("delete")),
  };
}

/** Provider settings that let the AWS provider plan with no credentials and no call to AWS. */
export const OFFLINE_PROVIDER = {
  access_key: "offline-plan",
  secret_key: "offline-plan",
  skip_credentials_validation: true,
  skip_requesting_account_id: true,
  skip_metadata_api_check: true,
} as const;

/**
 * The offline copy of a synthesized stack: no backend, no import blocks (each reported), the
 * provider's checks skipped and its account pin dropped (it needs the caller's account), and the
 * `mavik_offline_plan` output naming what is adopted. Data sources read AWS or another state at
 * plan time, so a stack with any is refused rather than planned half-way.
 */
export function offlineConfig(stack: Record<string, any>): { config: Record<string, any>; adopts: Adoption[] } {
  const reads = Object.entries<Record<string, unknown>>(stack.data ?? {}).flatMap(([type, byName]) => Object.keys(byName).map((n) => `data.${type}.${n}`));
  if (reads.length > 0) {
    throw new ConfigError(`--offline: the stack reads ${reads.join(", ")} when it plans (AWS, or another state); an offline plan cannot show it. Plan it with credentials.`);
  }
  const config = JSON.parse(JSON.stringify(stack));
  delete config.terraform?.backend;
  const adopts: Adoption[] = (config.import ?? []).map((i: { to: string; id: string }) => ({
    address: i.to,
    id: i.id,
    text: `${adoptionText(i.to, i.id)}: ${i.to}`,
  }));
  delete config.import;
  config.provider = {
    ...config.provider,
    aws: (config.provider?.aws ?? [{}]).map((p: Record<string, unknown>) => {
      const { allowed_account_ids: _pin, forbidden_account_ids: _forbidden, ...rest } = p;
      return { ...rest, ...OFFLINE_PROVIDER };
    }),
  };
  config.output = {
    ...config.output,
    [OFFLINE_OUTPUT]: {
      value: { adopts: adopts.map((a) => ({ address: a.address, id: a.id })) },
      description: "This plan was made offline (npm run plan -- --offline): no state, no credentials, import blocks left out. The review labels it; npm run deploy refuses it.",
    },
  };
  return { config, adopts };
}

/** Terraform's environment offline: no credentials of the user's reach the provider, no metadata service. */
function offlineEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, AWS_EC2_METADATA_DISABLED: "true" };
  for (const key of Object.keys(out)) {
    if (/^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|SECURITY_TOKEN|PROFILE|DEFAULT_PROFILE|ROLE_ARN|ROLE_SESSION_NAME|WEB_IDENTITY_TOKEN_FILE|CONTAINER_.*)$/.test(key)) delete out[key];
  }
  return out;
}

/** A Terraform CLI config that takes hashicorp/aws from `mirror` only. */
export function mirrorConfig(mirror: string): string {
  return `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n`;
}

function findTerraform(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, "terraform");
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Runs terraform; its output goes to `stream` as it comes (unless undefined), and is returned. */
export function runTerraform(
  terraform: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  stream?: (text: string) => void,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(terraform, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
      stream?.(d.toString());
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
      stream?.(d.toString());
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** One environment as the workflows' matrix holds it. */
export interface MatrixEntry {
  readonly environment: string;
  readonly account: string;
  readonly region: string;
  readonly planRole: string;
  readonly deployRole: string;
  readonly auditRole: string;
  /** The GitHub environment whose protection rules guard the deploy. */
  readonly githubEnvironment: string;
}

/**
 * Each environment's account, region, roles and GitHub environment, from the environments file;
 * when it does not load and `base` is given, the base's (so each environment of a broken change
 * still gets its review comment).
 */
export function workflowMatrix(configFile: string, base: string | undefined, io: CommandIo): MatrixEntry[] {
  let environments: EnvironmentConfig[];
  try {
    environments = loadEnvironments(configFile);
  } catch (e) {
    if (!(e instanceof ConfigError) || base === undefined) throw e;
    environments = readBase(base, configFile);
    io.stderr("note: the environments file does not load; the matrix is the base's environments\n");
  }
  return environments.map((env, i) => {
    try {
      return {
        environment: env.name,
        account: env.accountId,
        region: env.region,
        planRole: roleArn(env, "plan"),
        deployRole: roleArn(env, "deploy"),
        auditRole: roleArn(env, "audit"),
        githubEnvironment: githubEnvironment(env),
      };
    } catch (e) {
      if (e instanceof ConfigError) throw new ConfigError(`environments[${i}] (${env.name}): ${e.message}`);
      throw e;
    }
  });
}

/** The command-line entry (`npm run plan`, through scripts/run.js). */
export function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  return runPlan(argv, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });
}

if (require.main === module) void main().then((code) => (process.exitCode = code));
