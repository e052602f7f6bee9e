/**
 * Environment moves across a pull request: an environment renamed or removed, or its state moved
 * (bucket, key prefix, region), its account or region changed, or its existingKeyId changed.
 * Each points the stack at a state that does not hold the key, or at the wrong key; Terraform
 * would then plan a second key, or a second owner of the same key. Found by comparing the
 * environments file with the base branch's.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DEFAULT_ALIAS, stateKey } from "../../modules/index";
import { EnvironmentConfig, parseEnvironments } from "../../app";

export interface Move {
  readonly severity: "error" | "warning";
  /** The environment it concerns, by its name in this change (or in the base, when removed). */
  readonly environment: string;
  readonly message: string;
}

/** The base's environments: from a file, or from `git show <ref>:<path of the environments file>`. */
export function readBase(base: string, configFile: string): EnvironmentConfig[] {
  if (fs.existsSync(base) && fs.statSync(base).isFile()) return parseEnvironments(fs.readFileSync(base, "utf8"), base);
  const top = spawnSync("git", ["rev-parse", "--show-toplevel"], { cwd: path.dirname(configFile), encoding: "utf8" });
  if (top.status !== 0) throw new BaseError(`--base: ${JSON.stringify(base)} is not a file, and ${path.dirname(configFile)} is not in a git repository.`);
  const inRepo = path.relative(top.stdout.trim(), configFile).split(path.sep).join("/");
  const shown = spawnSync("git", ["show", `${base}:${inRepo}`], { cwd: top.stdout.trim(), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (shown.status !== 0) {
    throw new BaseError(`--base: ${JSON.stringify(base)} is neither a file nor a git ref holding ${inRepo} (git: ${shown.stderr.trim().split("\n")[0]}).`);
  }
  return parseEnvironments(shown.stdout, `${base}:${inRepo}`);
}

export class BaseError extends Error {}

const location = (e: EnvironmentConfig) => `s3://${e.state.bucket}/${stateKey(e.state, e.name)} (${e.state.region})`;
const keyOf = (e: EnvironmentConfig) => `${e.accountId}/${e.region}/${e.alias ?? DEFAULT_ALIAS}`;

/** What changes between the base's environments and this change's. */
export function environmentMoves(base: readonly EnvironmentConfig[], current: readonly EnvironmentConfig[]): Move[] {
  const moves: Move[] = [];
  const now = new Map(current.map((e) => [e.name, e]));
  const before = new Map(base.map((e) => [e.name, e]));
  const added = current.filter((e) => !before.has(e.name));
  for (const old of base) {
    const same = now.get(old.name);
    if (same === undefined) {
      const renamed = added.find((e) => keyOf(e) === keyOf(old));
      moves.push(
        renamed
          ? {
              severity: "error",
              environment: renamed.name,
              message:
                `Environment ${old.name} is renamed to ${renamed.name}. Its stack would plan against an empty state at ${location(renamed)}: a second key` +
                `${renamed.existingKeyId ? ` (here: the live key ${renamed.existingKeyId} adopted into a second state, two owners of one key)` : ""}, while ${location(old)} still holds the key. ` +
                `Keep the name ${old.name}, or move the state before this is deployed: copy ${location(old)} to ${location(renamed)} (or terraform state pull / push).`,
            }
          : {
              severity: "warning",
              environment: old.name,
              message: `Environment ${old.name} is removed. Nothing plans it any more: its key (with prevent_destroy) and its state at ${location(old)} stay in AWS, unmanaged.`,
            },
      );
      continue;
    }
    if (old.accountId !== same.accountId || old.region !== same.region) {
      moves.push({
        severity: "error",
        environment: same.name,
        message:
          `Environment ${same.name} moves from ${old.accountId} ${old.region} to ${same.accountId} ${same.region}. Its state holds the key in ${old.accountId} ${old.region}; ` +
          "the provider's allowed_account_ids refuses the old account's credentials, and in the new one Terraform plans a new key. Make a new environment instead.",
      });
    }
    if (location(old) !== location(same)) {
      moves.push({
        severity: "error",
        environment: same.name,
        message:
          `The state of ${same.name} moves from ${location(old)} to ${location(same)}. Terraform would plan against an empty state there: a second key` +
          `${same.existingKeyId ? ` (here: the live key adopted into a second state, two owners of one key)` : ""}. ` +
          `Migrate the state first (terraform init -migrate-state, or copy the object), or keep the old location.`,
      });
    }
    if (old.existingKeyId !== same.existingKeyId && same.existingKeyId !== undefined) {
      moves.push({
        severity: "error",
        environment: same.name,
        message:
          `existingKeyId of ${same.name} changes from ${old.existingKeyId ?? "none (a key made by Terraform)"} to ${same.existingKeyId}. The state already holds ` +
          `${old.existingKeyId ?? "the key Terraform made"} at aws_kms_key.mavik_data_key: Terraform refuses an import into an address it manages. ` +
          "Change which key an environment manages with terraform state rm and import, by hand and reviewed, not through existingKeyId.",
      });
    }
  }
  return moves;
}
