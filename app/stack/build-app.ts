import { EnvironmentConfig } from "../environments/environment";
import { loadEnvironments, selectEnvironments } from "../environments/load";
import { App } from "../platform";
import { DataKeyStack } from "./data-key-stack";

export interface BuildOptions {
  /** The environments file. */
  readonly configFile: string;
  /** Comma-separated environment names; all when empty. */
  readonly select?: string;
  /** Where the Terraform JSON goes. @default $CDKTF_OUTDIR, else "cdktf.out" */
  readonly outdir?: string;
}

/** The app: one DataKeyStack per selected environment. Throws before anything is written if one is bad. */
export function buildApp(options: BuildOptions): { app: App; stacks: DataKeyStack[] } {
  const environments = selectEnvironments(loadEnvironments(options.configFile), options.select);
  const app = new App({ outdir: options.outdir ?? process.env.CDKTF_OUTDIR ?? "cdktf.out" });
  const stacks = environments.map((environment) => new DataKeyStack(app, environment));
  return { app, stacks };
}

/**
 * One environment's stack, built in an app of its own and never synthesized: what it holds (its
 * key, its bindings) for tools that read the app rather than deploy it.
 */
export function environmentStack(environment: EnvironmentConfig): DataKeyStack {
  return new DataKeyStack(new App({ outdir: "cdktf.out", skipValidation: true }), environment);
}
