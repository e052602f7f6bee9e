/**
 * Runs the real Terraform CLI for tests, offline, with the run's CLI config (terraform-cli.ts).
 *
 * Every Terraform command that loads the AWS provider costs 2-4 s of CPU, so tests batch: a
 * combined root holds one module per stack, and one `validate`, `plan` or `show` covers them
 * all ({@link TerraformSandbox.combined}, {@link moduleView}). Commands run asynchronously so a
 * suite can run several at once.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RunResult, runProcess } from "./processes";
import { SEED_POLICY } from "./synth";
import { AWS_PROVIDER_VERSION, findTerraform } from "./terraform-cli";

export { findTerraform } from "./terraform-cli";


/**
 * Whether a Terraform-backed suite can run. Without Terraform it is skipped with a loud message,
 * except under CI, where a missing Terraform fails the run.
 */
export function terraformAvailable(suite: string): boolean {
  if (findTerraform()) return true;
  if (process.env.CI) throw new Error(`${suite}: terraform is not on PATH, and CI is set: the Terraform tier may not be skipped.`);
  console.warn(
    `\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n` +
      `!! SKIPPED: ${suite}\n!! terraform is not on PATH. Install Terraform >= 1.10 to run this tier.\n` +
      `!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n`,
  );
  return false;
}

/**
 * Whether Terraform can run with hashicorp/aws `version` here: Terraform on PATH (else as
 * {@link terraformAvailable}) and that provider version in the run's filesystem mirror (the
 * directory its CLI config names). A missing provider version is a loud, named skip, under CI
 * too: offline, the mirror is all the provider binaries there are (only 5.100.0 on the project's
 * machines), and the AWS provider 6 of the other flavours has none.
 */
export function providerAvailable(version: string, suite: string): boolean {
  if (!terraformAvailable(suite)) return false;
  const config = process.env.MAVIK_TEST_TF_CLI_CONFIG;
  const mirror = config === undefined ? undefined : /filesystem_mirror \{\s*path\s*=\s*("[^"]*")/.exec(fs.readFileSync(config, "utf8"))?.[1];
  const dir = mirror === undefined ? undefined : (JSON.parse(mirror) as string);
  if (dir !== undefined && fs.existsSync(path.join(dir, "registry.terraform.io", "hashicorp", "aws", version))) return true;
  console.warn(
    `\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n` +
      `!! SKIPPED: ${suite}\n!! no hashicorp/aws ${version} provider binary in the filesystem mirror (${dir ?? "none"}); the\n` +
      `!! Terraform tier plans only with the provider versions that are there. Put the provider\n` +
      `!! under <mirror>/registry.terraform.io/hashicorp/aws/${version}/<os>_<arch>/ to run it.\n` +
      `!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n`,
  );
  return false;
}

export type { RunResult };

/** A temp root for one test file's working directories, sharing the run's CLI config and cache. */
export class TerraformSandbox {
  readonly root: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(name: string) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), `mavik-${name}-`));
    const cliConfig = process.env.MAVIK_TEST_TF_CLI_CONFIG;
    if (cliConfig === undefined) throw new Error("MAVIK_TEST_TF_CLI_CONFIG is not set: run the tests through jest (its global setup prepares Terraform)");
    this.env = {
      ...process.env,
      TF_CLI_CONFIG_FILE: cliConfig,
      TF_IN_AUTOMATION: "1",
      TF_INPUT: "0",
      CHECKPOINT_DISABLE: "1",
      AWS_EC2_METADATA_DISABLED: "true",
      // Go runtime knobs for Terraform and the provider, not behaviour: the AWS provider
      // allocates heavily at start, and several run at once on the 2 cores the suite is sized
      // for. Less frequent garbage collection on one thread cut their CPU by a quarter (measured).
      GOGC: "800",
      GOMAXPROCS: "1",
    };
    delete this.env.TF_PLUGIN_CACHE_DIR;
    delete this.env.TF_DATA_DIR;
  }

  /** A new working directory holding `main.tf.json`. */
  workspace(name: string, config: object): TerraformWorkspace {
    const dir = path.join(this.root, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(config, null, 2));
    return new TerraformWorkspace(dir, this.env);
  }

  /**
   * One root with a module per case (`module.<id>`), so one Terraform command covers every case.
   *
   * Each module's provider block (already an offline one, see {@link offlineCopy}) moves to the
   * root: one aliased `aws` provider per distinct configuration, passed to the module through
   * `providers`. A provider block inside a module makes its own provider process, about a CPU
   * second per module per command (measured); hoisted, twenty stacks cost little more than one.
   * A case's state resources are written into the root's state under its module.
   */
  combined(name: string, cases: readonly ModuleCase[], providerVersion = AWS_PROVIDER_VERSION): TerraformWorkspace {
    const configs: string[] = [];
    const aliasOf = (provider: Record<string, unknown>) => {
      const key = JSON.stringify(provider);
      if (!configs.includes(key)) configs.push(key);
      return `p${configs.indexOf(key)}`;
    };
    const modules = cases.map((c) => {
      const config = JSON.parse(JSON.stringify(c.config));
      const providers: Record<string, unknown>[] = config.provider?.aws ?? [];
      if (providers.length !== 1 || "alias" in providers[0]) throw new Error(`${c.id}: a combined root takes stacks with exactly one unaliased aws provider`);
      delete config.provider;
      return { ...c, config, alias: aliasOf(providers[0]) };
    });
    const ws = this.workspace(name, {
      terraform: { required_providers: { aws: { source: "hashicorp/aws", version: providerVersion } } },
      provider: { aws: configs.map((key, i) => ({ alias: `p${i}`, ...JSON.parse(key) })) },
      module: Object.fromEntries(modules.map((m) => [m.id, { source: `./${m.id}`, providers: { aws: `aws.${m.alias}` } }])),
    });
    for (const m of modules) {
      fs.mkdirSync(path.join(ws.dir, m.id));
      fs.writeFileSync(path.join(ws.dir, m.id, "main.tf.json"), JSON.stringify(m.config, null, 2));
    }
    const provider = (alias: string) => `provider["registry.terraform.io/hashicorp/aws"].${alias}`;
    const resources = modules.flatMap((m) => (m.state ?? []).map((r) => ({ ...r, module: `module.${m.id}`, provider: provider(m.alias) })));
    if (resources.length > 0) ws.writeState(stateFile(resources));
    return ws;
  }

  dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export interface ModuleCase {
  /** The module name: letters, digits, `_` and `-`. */
  readonly id: string;
  readonly config: object;
  readonly state?: readonly StateResource[];
}

export class TerraformWorkspace {
  constructor(
    readonly dir: string,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Runs terraform here and waits, without blocking the event loop. */
  run(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    return runProcess(findTerraform() ?? "terraform", args, { cwd: this.dir, env: { ...this.env, ...extraEnv } });
  }

  /** Runs synchronously: for the few places that need Terraform done before the next line. */
  runSync(args: string[], extraEnv: NodeJS.ProcessEnv = {}): RunResult {
    const result = spawnSync(findTerraform() ?? "terraform", args, {
      cwd: this.dir,
      env: { ...this.env, ...extraEnv },
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.error) throw result.error;
    return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  }

  /** Runs and rejects with Terraform's own output unless it succeeds. */
  async ok(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
    return succeeded(args, await this.run(args, extraEnv));
  }

  /** `terraform init` without a backend (offline copies). */
  init(): Promise<string> {
    return this.ok(["init", "-input=false", "-no-color", "-backend=false"]);
  }

  /** Plans into `planFile` and returns `terraform show -json` of it. */
  async plan(planFile: string, extra: string[] = []): Promise<PlanJson> {
    await this.ok(["plan", "-input=false", "-no-color", "-lock=false", ...extra, `-out=${planFile}`]);
    return JSON.parse(await this.ok(["show", "-json", planFile])) as PlanJson;
  }

  writeState(state: object): void {
    fs.writeFileSync(path.join(this.dir, "terraform.tfstate"), JSON.stringify(state));
  }
}

function succeeded(args: string[], result: RunResult): string {
  if (result.code !== 0) {
    throw new Error(`terraform ${args.join(" ")} failed (${result.code}):\n${result.stderr}\n${result.stdout}`);
  }
  return result.stdout;
}

export interface PlanResource {
  address: string;
  type: string;
  name: string;
  values: Record<string, unknown>;
}

export interface ResourceChange {
  address: string;
  module_address?: string;
  type: string;
  change: { actions: string[]; before: Record<string, any> | null; after: Record<string, any> | null; importing?: unknown };
}

interface PlannedModule {
  address?: string;
  resources?: PlanResource[];
  child_modules?: PlannedModule[];
}

export interface PlanJson {
  format_version: string;
  planned_values: { root_module: PlannedModule };
  resource_changes?: ResourceChange[];
  configuration: { root_module: { resources?: { address: string; expressions: Record<string, any> }[]; module_calls?: Record<string, any> } };
}

/** One module's part of a combined plan, with addresses as they read inside the module. */
export interface ModuleView {
  /** address -> planned values */
  readonly values: Record<string, Record<string, any>>;
  readonly changes: ResourceChange[];
  /** address -> configuration expressions (references to other resources) */
  readonly expressions: Record<string, Record<string, any>>;
}

/** The part of a combined plan (see {@link TerraformSandbox.combined}) that belongs to module `id`. */
export function moduleView(plan: PlanJson, id: string): ModuleView {
  const prefix = `module.${id}.`;
  const strip = (address: string) => address.slice(prefix.length);
  const planned = plan.planned_values.root_module.child_modules?.find((m) => m.address === `module.${id}`);
  const values = Object.fromEntries((planned?.resources ?? []).map((r) => [strip(r.address), r.values]));
  const changes = (plan.resource_changes ?? []).filter((c) => c.module_address === `module.${id}`).map((c) => ({ ...c, address: strip(c.address) }));
  const configured = plan.configuration.root_module.module_calls?.[id]?.module?.resources ?? [];
  const expressions = Object.fromEntries(configured.map((r: { address: string; expressions: Record<string, any> }) => [r.address, r.expressions]));
  return { values, changes, expressions };
}

/** Provider settings for planning offline: fake credentials, no AWS calls. */
export const OFFLINE_PROVIDER = {
  access_key: "offline",
  secret_key: "offline",
  skip_credentials_validation: true,
  skip_requesting_account_id: true,
  skip_metadata_api_check: true,
};

/**
 * A copy of a synthesized stack that plans without AWS: no backend (local state), no import
 * blocks (an import reads the live resource), and credential checks skipped. The account pin
 * (`allowed_account_ids`) needs the caller's account, which offline planning cannot learn.
 */
export function offlineCopy(stack: Record<string, any>): Record<string, any> {
  const copy = JSON.parse(JSON.stringify(stack));
  delete copy.terraform.backend;
  delete copy.import;
  copy.provider.aws = copy.provider.aws.map((p: Record<string, unknown>) => {
    const { allowed_account_ids: _pin, ...rest } = p;
    return { ...rest, ...OFFLINE_PROVIDER };
  });
  return copy;
}

/**
 * A copy of a synthesized stack that keeps its S3 backend (bucket, key, locking) but points it
 * at local S3- and DynamoDB-compatible servers. Import blocks go (they read live AWS resources).
 */
export function localBackendCopy(stack: Record<string, any>, endpoints: { s3: string; dynamodb: string }): Record<string, any> {
  const copy = offlineCopy(stack);
  copy.terraform.backend = {
    s3: {
      ...stack.terraform.backend.s3,
      endpoints,
      use_path_style: true,
      access_key: "S3RVER",
      secret_key: "S3RVER",
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
      skip_region_validation: true,
    },
  };
  return copy;
}

export const SEED_KEY_ID = "cb424700-0dd0-4dcb-a77d-13af16579270";

/** One resource of a state file. */
export type StateResource = Record<string, unknown>;

/** A state file holding `resources`, and string `outputs` (what terraform_remote_state reads). */
export function stateFile(resources: readonly StateResource[], outputs: Record<string, string> = {}): object {
  return {
    version: 4,
    terraform_version: "1.11.4",
    serial: 1,
    lineage: "0b7e1f0c-5d8a-4a51-9c1e-6f3b2d4a7e90",
    outputs: Object.fromEntries(Object.entries(outputs).map(([name, value]) => [name, { value, type: "string" }])),
    resources,
  };
}

/**
 * A copy of a stack whose `terraform_remote_state` data sources (CDKTF's cross-stack references,
 * `DataKey.fromRemoteState`) read the local state file `statePath` instead of S3.
 */
export function localRemoteState(stack: Record<string, any>, statePath: string): Record<string, any> {
  const copy = JSON.parse(JSON.stringify(stack));
  for (const remote of Object.values<Record<string, unknown>>(copy.data?.terraform_remote_state ?? {})) {
    remote.backend = "local";
    remote.config = { path: statePath };
  }
  return copy;
}

/** The data key as `terraform import` records it: the seed's live key, with `attributes` changed. */
export function keyStateResource(attributes: Record<string, unknown> = {}): StateResource {
  return {
    mode: "managed",
    type: "aws_kms_key",
    name: "mavik_data_key",
    provider: 'provider["registry.terraform.io/hashicorp/aws"]',
    instances: [
      {
        schema_version: 0,
        attributes: {
          id: SEED_KEY_ID,
          key_id: SEED_KEY_ID,
          arn: `arn:aws:kms:us-east-1:167067248318:key/${SEED_KEY_ID}`,
          customer_master_key_spec: "SYMMETRIC_DEFAULT",
          key_usage: "ENCRYPT_DECRYPT",
          is_enabled: true,
          enable_key_rotation: true,
          rotation_period_in_days: 365,
          deletion_window_in_days: 30,
          multi_region: false,
          bypass_policy_lockout_safety_check: false,
          description: "",
          // As GetKeyPolicy returns the live policy: the seed's text, pretty-printed.
          policy: JSON.stringify(SEED_POLICY, null, 2),
          tags: {},
          tags_all: {},
          ...attributes,
        },
      },
    ],
  };
}

/** The alias as `terraform import` records it, pointing at the seed's key. */
export function aliasStateResource(name = "alias/mavik-data-kms-key"): StateResource {
  return {
    mode: "managed",
    type: "aws_kms_alias",
    name: "mavik_data_key",
    provider: 'provider["registry.terraform.io/hashicorp/aws"]',
    instances: [
      {
        schema_version: 0,
        attributes: {
          id: name,
          name,
          name_prefix: "",
          arn: `arn:aws:kms:us-east-1:167067248318:${name}`,
          target_key_id: SEED_KEY_ID,
          target_key_arn: `arn:aws:kms:us-east-1:167067248318:key/${SEED_KEY_ID}`,
        },
        dependencies: ["aws_kms_key.mavik_data_key"],
      },
    ],
  };
}

/** A state file holding the key as `terraform import` would record it. */
export function stateWithKey(attributes: Record<string, unknown>): object {
  return stateFile([keyStateResource(attributes)]);
}
