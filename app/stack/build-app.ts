import { POLICY_RULES } from "../../modules/index";
import { EnvironmentConfig } from "../environments/environment";
import { environmentWarnings, loadEnvironments, selectEnvironments } from "../environments/load";
import { App } from "../platform";
import { DataKeyStack } from "./data-key-stack";
import { inEnvironment } from "./label";

const INPUT_RULES = new Set(POLICY_RULES.filter((r) => r.input).map((r) => r.id));

export interface BuildOptions {
  /** The environments file. */
  readonly configFile: string;
  /** Comma-separated environment names; all when empty. */
  readonly select?: string;
  /** Where the Terraform JSON goes. @default $CDKTF_OUTDIR, else "cdktf.out" */
  readonly outdir?: string;
}

export interface BuiltApp {
  readonly app: App;
  readonly stacks: DataKeyStack[];
  /**
   * What was written that is legal but suspicious, one line each, naming the environment: the
   * input rules' warnings (a service AWS may not know), and across environments (two keys in one
   * account and region). The policy's design warnings are the review's.
   */
  readonly warnings: string[];
}

/**
 * The app: one DataKeyStack per selected environment. Throws before anything is written if one is
 * bad; an error a construct finds names the environment (`environments[1] (staging): …`), as
 * the file's schema errors do.
 */
export function buildApp(options: BuildOptions): BuiltApp {
  const all = loadEnvironments(options.configFile);
  const environments = selectEnvironments(all, options.select);
  const app = new App({ outdir: options.outdir ?? process.env.CDKTF_OUTDIR ?? "cdktf.out" });
  const stacks = environments.map((environment) => {
    const label = `environments[${all.indexOf(environment)}] (${environment.name})`;
    return inEnvironment(label, environment, () => new DataKeyStack(app, environment, label));
  });
  const selected = new Set(environments.map((e) => e.name));
  const warnings = [
    ...environmentWarnings(all)
      .filter((w) => selected.has(w.environment))
      .map((w) => w.message),
    ...stacks.flatMap((s) => s.dataKey.findings.filter((f) => f.severity === "warning" && INPUT_RULES.has(f.rule)).map((f) => `${s.label}: ${f.message}`)),
  ];
  return { app, stacks, warnings };
}

/**
 * One environment's stack, built in an app of its own and never synthesized: what it holds (its
 * key, its bindings) for tools that read the app rather than deploy it.
 */
export function environmentStack(environment: EnvironmentConfig): DataKeyStack {
  return new DataKeyStack(new App({ outdir: "cdktf.out", skipValidation: true }), environment);
}
