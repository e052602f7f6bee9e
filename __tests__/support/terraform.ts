/**
 * Runs the real Terraform CLI for tests, offline.
 *
 * Each run gets its own CLI config in a temp directory (never the user's home): a
 * `filesystem_mirror` for hashicorp/aws where the provider is found, and a plugin cache so
 * the 700 MB provider binary is copied once per test run, not once per workspace.
 * MAVIK_TF_PROVIDER_MIRROR overrides the mirror; with no mirror at all, Terraform uses the
 * default registry, as on a user's machine.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SEED_POLICY } from "./synth";

export const AWS_PROVIDER_VERSION = "5.100.0";

/** The terraform binary on PATH, or undefined. */
export function findTerraform(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, "terraform");
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Whether the Terraform tier can run. Without Terraform it is skipped with a loud message,
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

/** The first directory holding an unpacked hashicorp/aws mirror, or undefined. */
export function findProviderMirror(): string | undefined {
  const home = os.homedir();
  const candidates = [
    process.env.MAVIK_TF_PROVIDER_MIRROR,
    "/opt/tf-plugins",
    path.join(home, ".terraform.d", "plugins"),
    path.join(home, ".local", "share", "terraform", "plugins"),
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
  ].filter((d): d is string => !!d);
  return candidates.find((dir) => fs.existsSync(path.join(dir, "registry.terraform.io", "hashicorp", "aws", AWS_PROVIDER_VERSION)));
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A temp root shared by the workspaces of one test file: CLI config and plugin cache. */
export class TerraformSandbox {
  readonly root: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(name: string) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), `mavik-${name}-`));
    const cache = path.join(this.root, "plugin-cache");
    fs.mkdirSync(cache);
    const mirror = findProviderMirror();
    const installation = mirror
      ? `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n`
      : "";
    const cliConfig = path.join(this.root, "cli.tfrc");
    fs.writeFileSync(cliConfig, `plugin_cache_dir = ${JSON.stringify(cache)}\n${installation}`);
    this.env = {
      ...process.env,
      TF_CLI_CONFIG_FILE: cliConfig,
      TF_IN_AUTOMATION: "1",
      TF_INPUT: "0",
      CHECKPOINT_DISABLE: "1",
      AWS_EC2_METADATA_DISABLED: "true",
    };
    delete this.env.TF_PLUGIN_CACHE_DIR;
  }

  /** A new working directory holding `main.tf.json`. */
  workspace(name: string, config: object): TerraformWorkspace {
    const dir = path.join(this.root, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(config, null, 2));
    return new TerraformWorkspace(dir, this.env);
  }

  dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export class TerraformWorkspace {
  constructor(
    readonly dir: string,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  run(args: string[], extraEnv: NodeJS.ProcessEnv = {}): RunResult {
    const result = spawnSync(findTerraform() ?? "terraform", [...args], {
      cwd: this.dir,
      env: { ...this.env, ...extraEnv },
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.error) throw result.error;
    return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  }

  /** Runs and throws with Terraform's own output unless it succeeds. */
  ok(args: string[], extraEnv: NodeJS.ProcessEnv = {}): string {
    const result = this.run(args, extraEnv);
    if (result.code !== 0) {
      throw new Error(`terraform ${args.join(" ")} failed (${result.code}):\n${result.stderr}\n${result.stdout}`);
    }
    return result.stdout;
  }

  /** `terraform show -json` of a saved plan. */
  showPlan(planFile: string): PlanJson {
    return JSON.parse(this.ok(["show", "-json", planFile])) as PlanJson;
  }

  writeState(state: object): void {
    fs.writeFileSync(path.join(this.dir, "terraform.tfstate"), JSON.stringify(state));
  }
}

export interface PlanResource {
  address: string;
  type: string;
  name: string;
  values: Record<string, unknown>;
}

export interface PlanJson {
  planned_values: { root_module: { resources?: PlanResource[] } };
  resource_changes?: { address: string; change: { actions: string[]; before: Record<string, unknown> | null; after: Record<string, unknown> | null } }[];
  configuration: { root_module: { resources?: { address: string }[] } };
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

const SEED_KEY_ID = "cb424700-0dd0-4dcb-a77d-13af16579270";

/** A state file holding the key as `terraform import` would record it. */
export function stateWithKey(attributes: Record<string, unknown>): object {
  return {
    version: 4,
    terraform_version: "1.11.4",
    serial: 1,
    lineage: "0b7e1f0c-5d8a-4a51-9c1e-6f3b2d4a7e90",
    outputs: {},
    resources: [
      {
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
      },
    ],
  };
}

