import * as fs from "fs";
import * as path from "path";

/** What {@link removeStaleStacks} did, folder by folder (paths as `<outdir>/stacks/<name>`). */
export interface StaleStacks {
  /** Folders removed: stacks of an earlier synth. */
  readonly removed: string[];
  /** Folders kept because they hold a Terraform state file; their stale `cdk.tf.json` is removed. */
  readonly kept: string[];
}

/**
 * After a synth, `<outdir>/stacks/` holds exactly the stacks the synth's manifest lists: a folder
 * of an earlier synth (another `MAVIK_ENV` selection, a removed or renamed environment, a
 * bootstrap stack) is removed, so neither `terraform plan` in it nor `cdktf diff` can plan a
 * stale stack. This is what the CDKTF CLI does after `cdktf synth` (@cdktf/cli-core,
 * synth-stack.js: "orphanedDirectories"), for `npm run synth` and the app run alone.
 *
 * One exception, so nothing is lost: a folder holding a Terraform state file (`*.tfstate`, a
 * local state someone kept there) is left in place with only its stale `cdk.tf.json` removed.
 */
export function removeStaleStacks(outdir: string): StaleStacks {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, "manifest.json"), "utf8")) as { stacks: Record<string, { synthesizedStackPath: string }> };
  const current = new Set(Object.values(manifest.stacks).map((s) => path.basename(path.dirname(s.synthesizedStackPath))));
  const stacksDir = path.join(outdir, "stacks");
  const removed: string[] = [];
  const kept: string[] = [];
  const folders = fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir, { withFileTypes: true }).filter((e) => e.isDirectory()) : [];
  for (const folder of folders.map((e) => e.name).sort()) {
    if (current.has(folder)) continue;
    const dir = path.join(stacksDir, folder);
    if (fs.readdirSync(dir).some((f) => /\.tfstate(\.backup)?$/.test(f))) {
      fs.rmSync(path.join(dir, "cdk.tf.json"), { force: true });
      kept.push(path.join(outdir, "stacks", folder));
    } else {
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(path.join(outdir, "stacks", folder));
    }
  }
  return { removed, kept };
}
