/**
 * The Terraform CLI config the tests use: a plugin cache, and a `filesystem_mirror` for
 * hashicorp/aws where one is found. Kept apart from terraform.ts so the global setup can write it
 * without loading the app.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const AWS_PROVIDER_VERSION = "5.100.0";

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

/** Writes a CLI config (plugin cache, and the mirror where there is one) into `dir`; returns its path. */
export function writeCliConfig(dir: string): string {
  const cache = path.join(dir, "plugin-cache");
  fs.mkdirSync(cache, { recursive: true });
  const mirror = findProviderMirror();
  const installation = mirror
    ? `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n`
    : "";
  const file = path.join(dir, "cli.tfrc");
  fs.writeFileSync(file, `plugin_cache_dir = ${JSON.stringify(cache)}\n${installation}`);
  return file;
}

