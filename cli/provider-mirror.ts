/**
 * Where an unpacked hashicorp/aws lives on this machine, for a Terraform run that must not reach
 * the registry (`npm run plan -- --offline`, and the tests' Terraform tier).
 *
 * A filesystem mirror is a directory laid out as `terraform providers mirror` writes it:
 * `<dir>/registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>/`. The candidates, first found
 * wins: `$MAVIK_TF_PROVIDER_MIRROR`; `/opt/tf-plugins` (where build images and CI runners commonly
 * keep one); then Terraform's own implied local mirror directories on Unix
 * (developer.hashicorp.com/terraform/cli/config/config-file#implied-local-mirror-directories):
 * `~/.terraform.d/plugins`, `$XDG_DATA_HOME/terraform/plugins`, and
 * `terraform/plugins` under each `$XDG_DATA_DIRS` entry.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The directories searched, in order. */
export function mirrorCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = os.homedir();
  const dataHome = env.XDG_DATA_HOME || path.join(home, ".local", "share");
  const dataDirs = (env.XDG_DATA_DIRS || "/usr/local/share:/usr/share").split(":").filter(Boolean);
  return [
    env.MAVIK_TF_PROVIDER_MIRROR,
    "/opt/tf-plugins",
    path.join(home, ".terraform.d", "plugins"),
    path.join(dataHome, "terraform", "plugins"),
    ...dataDirs.map((d) => path.join(d, "terraform", "plugins")),
  ].filter((d): d is string => !!d);
}

/** Whether `dir` holds hashicorp/aws `version` (any version when none is given) as a mirror. */
export function holdsAwsProvider(dir: string, version?: string): boolean {
  const provider = path.join(dir, "registry.terraform.io", "hashicorp", "aws");
  return fs.existsSync(version === undefined ? provider : path.join(provider, version));
}

/** The first candidate directory holding hashicorp/aws `version`, or undefined. */
export function findProviderMirror(version: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return mirrorCandidates(env).find((dir) => holdsAwsProvider(dir, version));
}
