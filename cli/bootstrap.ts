/**
 * `npm run bootstrap`: synthesizes each account's bootstrap stack, `bootstrap-<account>-<region>`,
 * into cdktf.out/stacks/ (the state bucket, lock tables, GitHub's OIDC provider and the workflows'
 * roles; app/bootstrap). It applies nothing: the user plans and applies it with Terraform, with
 * the account's administrator credentials, once (docs/deploy.md).
 *
 * Its own state starts local (`--local-state`: the bucket does not exist before the first apply)
 * and then moves into the bucket it made: synthesize again without `--local-state` and run
 * `terraform init -migrate-state` in the stack's directory.
 *
 * Exit codes: 0 synthesized; 1 the environments file or the bootstrap settings are wrong (the
 * message names the field); 2 bad input.
 */
import * as path from "path";
import { ConfigError } from "../modules/index";
import { environmentStack, EnvironmentConfig, selectEnvironments } from "../app";
import { accountBootstraps, BootstrapStack, IamPolicy, loadBootstrapFile, RoleKind } from "../app/bootstrap";
import { App } from "../app/bootstrap/platform";
import { CommandIo, parseCommandLine } from "./options";
import { rolePolicy } from "./roles/policies";

export const USAGE = `usage: npm run bootstrap -- [options]

  --account <id>          one account's bootstrap (default: every account of the environments file)
  --local-state           the first run: keep the bootstrap's state in ./terraform.<stack>.tfstate,
                          since its bucket does not exist yet (docs/deploy.md: then -migrate-state)
  --outdir <dir>          where it synthesizes (default: cdktf.out)
  --policy <env>:<kind>   print the permission policy of an environment's plan, deploy or audit role
                          (for a role named in "roles", which the bootstrap does not create), and exit
  --help                  this text

Exit codes: 0 synthesized; 1 the environments file or its "bootstrap" settings are wrong; 2 bad input.`;

export interface BootstrapBuildOptions {
  readonly configFile: string;
  /** One account; all when empty. */
  readonly account?: string;
  /** @default "s3" */
  readonly state?: "local" | "s3";
  /** @default "cdktf.out" */
  readonly outdir?: string;
}

/** The bootstrap app: one BootstrapStack per account, each role's policy from its environment's stack. */
export function buildBootstrapApp(options: BootstrapBuildOptions): { app: App; stacks: BootstrapStack[] } {
  const { environments, bootstrap } = loadBootstrapFile(options.configFile);
  const accounts = accountBootstraps(environments, bootstrap, options.account);
  const outdir = options.outdir ?? "cdktf.out";
  const app = new App({ outdir });
  const stacks = accounts.map((account) => {
    const policies = new Map<string, IamPolicy>();
    for (const env of account.environments) {
      const stack = environmentStack(env).toTerraform();
      for (const role of account.roles.filter((r) => r.environment === env)) policies.set(role.name, rolePolicy(env, role.kind, stack));
    }
    const stackDir = path.resolve(outdir, "stacks", account.stackName);
    return new BootstrapStack(app, {
      account,
      policies,
      state: options.state,
      // Beside the environments file's directory (the repository), outside cdktf.out, which is rebuilt at will.
      localStatePath: path.relative(stackDir, path.resolve(`terraform.${account.stackName}.tfstate`)),
    });
  });
  return { app, stacks };
}

export function runBootstrap(argv: string[], io: CommandIo, configFile = path.resolve(process.env.MAVIK_CONFIG ?? "environments.json")): number {
  const values = parseCommandLine(
    argv,
    { account: { type: "string" }, "local-state": { type: "boolean", default: false }, outdir: { type: "string", default: "cdktf.out" }, policy: { type: "string" } },
    USAGE,
    io,
  );
  if (typeof values === "number") return values;
  try {
    if (values.policy !== undefined) return printPolicy(values.policy, configFile, io);
    const { app, stacks } = buildBootstrapApp({ configFile, account: values.account, state: values["local-state"] ? "local" : "s3", outdir: values.outdir });
    app.synth();
    for (const stack of stacks) {
      const a = stack.account;
      const dir = path.join(values.outdir, "stacks", a.stackName);
      const where = values["local-state"] ? `state: ./terraform.${a.stackName}.tfstate (local, until the bucket exists)` : `state: s3://${a.bucket}/${a.stateKey}`;
      io.stdout(`synthesized ${a.stackName} into ${dir}: bucket ${a.bucket}, ${a.roles.length} role(s), OIDC provider ${a.oidcProvider === "existing" ? "adopted" : "created"}; ${where}\n`);
    }
    io.stdout(
      values["local-state"]
        ? "next: terraform init && terraform apply in each directory, with the account's administrator credentials; then npm run bootstrap again and terraform init -migrate-state (docs/deploy.md)\n"
        : "next: terraform init (-migrate-state after a --local-state apply) && terraform plan in each directory (docs/deploy.md)\n",
    );
    return 0;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    if (/^--(account|policy): /.test(e.message)) {
      io.stderr(`error: ${e.message}\n`);
      return 2;
    }
    io.stderr(`error: ${e.message}\n`);
    return 1;
  }
}

function printPolicy(spec: string, configFile: string, io: CommandIo): number {
  // One environment: a list (`a,b:plan`) is refused, never read as its first name.
  const match = /^([^:,]+):(plan|deploy|audit)$/.exec(spec);
  if (!match) throw new ConfigError(`--policy: ${JSON.stringify(spec)} is not allowed. Expected <environment>:<plan|deploy|audit>${spec.includes(",") ? ", one environment" : ""}.`);
  const { environments } = loadBootstrapFile(configFile);
  const [env] = selectEnvironments(environments, match[1], "--policy") as EnvironmentConfig[];
  io.stdout(`${JSON.stringify(rolePolicy(env, match[2] as RoleKind), null, 2)}\n`);
  return 0;
}

/** The command-line entry (`npm run bootstrap`, through scripts/run.js). */
export function main(argv: string[] = process.argv.slice(2)): number {
  return runBootstrap(argv, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });
}

if (require.main === module) process.exitCode = main();
