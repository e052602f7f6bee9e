/**
 * Synthesizes every environment fixture and every example with whatever framework the running
 * code resolves: in the test process (the repository's cdktf), or bundled into another
 * environment's child process (flavour-synth.ts). Nothing here imports the framework itself, and
 * nothing reads `__dirname` (a bundle's is another): the repository's root comes in.
 */
import * as fs from "fs";
import * as path from "path";
import { buildApp } from "../../main";

/** The environment files: the shipped one, the test fixtures, the examples'. */
export function environmentFiles(repo: string): string[] {
  const fixtures = fs.readdirSync(path.join(repo, "__tests__", "fixtures")).filter((f) => /^environments\..*\.json$/.test(f)).map((f) => `__tests__/fixtures/${f}`);
  const examples = fs.readdirSync(path.join(repo, "examples")).filter((d) => fs.existsSync(path.join(repo, "examples", d, "environments.json"))).map((d) => `examples/${d}/environments.json`);
  return ["environments.json", ...fixtures.sort(), ...examples.sort()];
}

/** The examples: every examples/<name>/main.ts, each exporting `build(outdir)`. */
export function exampleFiles(repo: string): string[] {
  return fs.readdirSync(path.join(repo, "examples")).filter((d) => fs.existsSync(path.join(repo, "examples", d, "main.ts"))).sort().map((d) => `examples/${d}/main.ts`);
}

/** `<environments file or example>/<stack>` -> the stack's cdk.tf.json text. */
export type Synthesized = Record<string, string>;

/** What the driver does, in this process or in the bundle: synthesize all, read every stack. */
export function synthesizeAll(repo: string, build: Record<string, (outdir?: string) => { synth(): void }>, tmp: string): Synthesized {
  const out: Synthesized = {};
  const read = (name: string, outdir: string) => {
    for (const stack of fs.readdirSync(path.join(outdir, "stacks")).sort()) out[`${name}/${stack}`] = fs.readFileSync(path.join(outdir, "stacks", stack, "cdk.tf.json"), "utf8");
  };
  for (const file of environmentFiles(repo)) {
    const outdir = fs.mkdtempSync(path.join(tmp, "env-"));
    buildApp({ configFile: path.join(repo, file), outdir }).app.synth();
    read(file, outdir);
  }
  for (const [file, fn] of Object.entries(build)) {
    const outdir = fs.mkdtempSync(path.join(tmp, "example-"));
    fn(outdir).synth();
    read(file, outdir);
  }
  return out;
}

