/**
 * The Mavik data-key app: one stack per environment of `environments.json`.
 *
 *   MAVIK_CONFIG  the environments file            (default: environments.json)
 *   MAVIK_ENV     comma-separated environments      (default: all)
 *
 * `npm run synth` and the app command in cdktf.json run it through `scripts/run.js`, which
 * bundles it with esbuild when a source changed and runs the bundle (no type-check on the way;
 * `npm test` and `npm run typecheck` do that). The app uses the module only through its public
 * API, as an outside app would. Afterwards `<outdir>/stacks/` holds only the stacks of this
 * synth, as after `cdktf synth` (app/stack/outdir.ts).
 */
import * as path from "path";
import { ConfigError } from "./modules/index";
import { buildApp, removeStaleStacks } from "./app";

export { buildApp };

/** Synthesizes the selected environments; the summary on stdout, problems on stderr. Returns the exit code. */
export function main(): number {
  try {
    const { app, stacks, warnings } = buildApp({
      configFile: path.resolve(process.env.MAVIK_CONFIG ?? "environments.json"),
      select: process.env.MAVIK_ENV,
    });
    app.synth();
    const stale = removeStaleStacks(app.outdir);
    const names = stacks.map((s) => s.environment.name);
    const shown = names.length > 10 ? `${names.slice(0, 10).join(", ")}, … (${names.length - 10} more)` : names.join(", ");
    for (const warning of warnings) console.error(`warning: ${warning}`);
    for (const finding of stacks.flatMap((s) => s.encryptionFindings)) console.log(`note: ${finding.message}`);
    for (const dir of stale.removed) console.log(`note: removed ${dir}: a stack of an earlier synth, not of this one`);
    for (const dir of stale.kept) {
      console.error(`warning: ${dir} is a stack of an earlier synth and holds a Terraform state file: kept, its cdk.tf.json removed; move the state and delete the folder`);
    }
    console.log(`synthesized ${names.length} stack(s) into ${app.outdir}: ${shown}`);
    return 0;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(`error: ${e.message}`);
    return 1;
  }
}

if (require.main === module) process.exitCode = main();
