/**
 * The Terraform CLI config the tests use, written once per run by the global setup (never into
 * the user's home): a `filesystem_mirror` holding hashicorp/aws unpacked, and nothing else.
 *
 * Terraform links a provider from an unpacked mirror without writing anything, so any number of
 * `terraform init`s can run at once. A plugin cache cannot do that: Terraform writes into it on
 * every init, and two inits at once fail ("provider binary not found", "file exists"; seen here).
 *
 * The mirror is the first one found by cli/provider-mirror.ts, as `npm run plan -- --offline`
 * finds it (MAVIK_TF_PROVIDER_MIRROR, /opt/tf-plugins, Terraform's implied mirror directories); without one, a single `terraform init` fetches the provider from the
 * registry, as on a user's machine, and its `.terraform/providers` becomes the run's mirror.
 * Kept apart from terraform.ts so the global setup can use it without loading the app.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { findProviderMirror } from "../../cli/provider-mirror";

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
 * Writes the run's CLI config into `dir` and returns its path, or undefined without Terraform
 * (the Terraform suites then skip, or fail under CI, with their own message).
 */
export function prepareTerraform(dir: string): string | undefined {
  if (findTerraform() === undefined) return undefined;
  fs.mkdirSync(dir, { recursive: true });
  let mirror = findProviderMirror(AWS_PROVIDER_VERSION);
  if (mirror === undefined) {
    const fetch = path.join(dir, "fetch");
    fs.mkdirSync(fetch);
    fs.writeFileSync(
      path.join(fetch, "main.tf.json"),
      JSON.stringify({ terraform: { required_providers: { aws: { source: "hashicorp/aws", version: AWS_PROVIDER_VERSION } } } }),
    );
    const empty = path.join(dir, "registry.tfrc");
    fs.writeFileSync(empty, "");
    const result = spawnSync("terraform", ["init", "-backend=false", "-input=false", "-no-color"], {
      cwd: fetch,
      encoding: "utf8",
      env: { ...process.env, TF_CLI_CONFIG_FILE: empty, CHECKPOINT_DISABLE: "1" },
    });
    if (result.status !== 0) throw new Error(`fetching hashicorp/aws ${AWS_PROVIDER_VERSION} for the tests failed:\n${result.stderr}${result.stdout}`);
    mirror = path.join(fetch, ".terraform", "providers");
  }
  const file = path.join(dir, "cli.tfrc");
  fs.writeFileSync(
    file,
    `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n`,
  );
  return file;
}
