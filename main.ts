/**
 * The Mavik data-key app: one stack per environment of `environments.json`.
 *
 *   MAVIK_CONFIG  the environments file            (default: environments.json)
 *   MAVIK_ENV     comma-separated environments      (default: all)
 *
 * Run compiled (`npm run synth`, or `cdktf synth`, whose app command builds first): under
 * ts-node the same synth is about 12x slower.
 */
import * as path from "path";
import { App, ConfigError, DataKeyStack, loadEnvironments, selectEnvironments } from "./modules";

export interface BuildOptions {
  /** The environments file. */
  readonly configFile: string;
  /** Comma-separated environment names; all when empty. */
  readonly select?: string;
  /** Where the Terraform JSON goes. @default "cdktf.out" */
  readonly outdir?: string;
}

/** Builds every selected environment's stack. Throws before anything is written if one is bad. */
export function buildApp(options: BuildOptions): { app: App; stacks: DataKeyStack[] } {
  const environments = selectEnvironments(loadEnvironments(options.configFile), options.select);
  const app = new App({ outdir: options.outdir ?? process.env.CDKTF_OUTDIR ?? "cdktf.out" });
  const stacks = environments.map((environment) => new DataKeyStack(app, environment));
  return { app, stacks };
}

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
