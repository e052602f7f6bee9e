import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildApp } from "../../main";

export const REPO = path.resolve(__dirname, "..", "..");
export const SHIPPED_CONFIG = path.join(REPO, "environments.json");
export const MULTI_CONFIG = path.join(REPO, "__tests__", "fixtures", "environments.multi.json");
export const SEED_POLICY = JSON.parse(fs.readFileSync(path.join(REPO, "__tests__", "fixtures", "seed-key-policy.json"), "utf8"));

export interface Synthesized {
  readonly outdir: string;
  /** Stack name -> cdk.tf.json text, exactly as written. */
  readonly text: Record<string, string>;
  /** Stack name -> parsed cdk.tf.json. */
  readonly json: Record<string, Record<string, any>>;
}

/** Synthesizes the app for a config file into a fresh temp directory, as `npm run synth` does. */
export function synthApp(configFile: string, select?: string): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-synth-"));
  const { app, stacks } = buildApp({ configFile, select, outdir });
  app.synth();
  const text: Record<string, string> = {};
  const json: Record<string, Record<string, any>> = {};
  for (const stack of stacks) {
    const name = stack.environment.name;
    text[name] = fs.readFileSync(path.join(outdir, "stacks", name, "cdk.tf.json"), "utf8");
    json[name] = JSON.parse(text[name]);
  }
  return { outdir, text, json };
}

/** An app factory of examples/: `build(outdir)` returns the app to synthesize. */
export type Build = (outdir?: string) => { synth(): void };

const built = new Map<Build, Record<string, Record<string, any>>>();

/** The stacks an example's app writes (stack name -> parsed JSON), synthesized once per test file. */
export function synthExample(build: Build): Record<string, Record<string, any>> {
  if (!built.has(build)) {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-example-"));
    build(outdir).synth();
    const stacks = fs.readdirSync(path.join(outdir, "stacks"));
    built.set(build, Object.fromEntries(stacks.map((s) => [s, JSON.parse(fs.readFileSync(path.join(outdir, "stacks", s, "cdk.tf.json"), "utf8"))])));
    fs.rmSync(outdir, { recursive: true, force: true });
  }
  return built.get(build)!;
}
