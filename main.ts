/**
 * The Mavik data-key app: one stack per environment of `environments.json`.
 *
 *   MAVIK_CONFIG  the environments file            (default: environments.json)
 *   MAVIK_ENV     comma-separated environments      (default: all)
 *
 * Run compiled (`npm run synth`, or `cdktf synth`, whose app command builds first): under
 * ts-node the same synth is about 9-12x slower. The app uses the module only through its
 * public API, as an outside app would.
 */
import * as path from "path";
import { buildApp, ConfigError } from "./modules";

export { buildApp };

if (require.main === module) {
  try {
    const { app, stacks } = buildApp({
      configFile: path.resolve(process.env.MAVIK_CONFIG ?? "environments.json"),
      select: process.env.MAVIK_ENV,
    });
    app.synth();
    const names = stacks.map((s) => s.environment.name);
    const shown = names.length > 10 ? `${names.slice(0, 10).join(", ")}, … (${names.length - 10} more)` : names.join(", ");
    for (const finding of stacks.flatMap((s) => s.encryptionFindings)) console.error(`note: ${finding.message}`);
    console.error(`synthesized ${names.length} stack(s) into ${app.outdir}: ${shown}`);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(`error: ${e.message}`);
    process.exit(1);
  }
}
