/**
 * Every environment fixture and every example synthesized by another framework environment
 * (scripts/flavours.js): the app (main.ts, app/, modules/) and the examples bundled with esbuild
 * with the framework's imports resolved in that environment, as the flavour's build swaps them
 * (CDK Terrain: "cdktf" -> "cdktn", "@cdktf/provider-aws/..." -> "@cdktn/provider-aws/...";
 * "constructs" the environment's), then run by Node in a child process. The same code,
 * synthesized in this process with the repository's cdktf, is what it is compared with.
 */
import { runProcess } from "./processes";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { exampleFiles, Synthesized, synthesizeAll } from "./synth-all";
import { REPO } from "./synth";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const flavours = require("../../scripts/flavours");

/** Everything, synthesized here with the framework the test process has (aws20: the repository's). */
export function synthesizeHere(): Synthesized {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-flavour-synth-"));
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const build = Object.fromEntries(exampleFiles(REPO).map((file) => [file, require(path.join(REPO, file)).build]));
    return synthesizeAll(REPO, build, tmp);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Everything, synthesized in a child process by environment `env`'s framework. */
export async function synthesizeIn(env: string): Promise<Synthesized> {
  flavours.ensure(env);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-flavour-synth-"));
  try {
    const bundle = path.join(tmp, "synth.js");
    // The driver: this file's synthesizeAll, with the examples imported statically.
    const examples = exampleFiles(REPO);
    const driver = [
      `import { synthesizeAll } from ${JSON.stringify(path.join(__dirname, "synth-all"))};`,
      ...examples.map((file, i) => `import { build as example${i} } from ${JSON.stringify(path.join(REPO, file))};`),
      `const out = synthesizeAll(${JSON.stringify(REPO)}, { ${examples.map((file, i) => `${JSON.stringify(file)}: example${i}`).join(", ")} }, ${JSON.stringify(tmp)});`,
      `require("fs").writeFileSync(${JSON.stringify(path.join(tmp, "out.json"))}, JSON.stringify(out));`,
    ].join("\n");
    const esbuild = require("esbuild") as typeof import("esbuild");
    await esbuild.build({
      stdin: { contents: driver, resolveDir: REPO, loader: "ts" },
      outfile: bundle,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      keepNames: true,
      logLevel: "error",
      // The entry points' "run when started directly" (main.ts, the examples) stay off: the driver runs them.
      define: { "require.main": "undefined" },
      plugins: [frameworkOf(env)],
    });
    // In the repository, as the test process: a local backend's path is the working directory's.
    const run = await runProcess(process.execPath, [bundle], { cwd: REPO, env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
    if (run.code !== 0) throw new Error(`synthesizing in ${env} failed:\n${run.stderr}`);
    return JSON.parse(fs.readFileSync(path.join(tmp, "out.json"), "utf8"));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The esbuild plugin that swaps the framework: "cdktf", "@cdktf/provider-aws/..." and
 * "constructs" resolve in the environment, renamed as its flavour names them. And `__dirname` of
 * an example is its own directory (the bundle's is another).
 */
function frameworkOf(env: string): import("esbuild").Plugin {
  const e = flavours.ENVIRONMENTS[env];
  const renames: Record<string, string> = flavours.RENAMES[e.flavour];
  return {
    name: `framework-${env}`,
    setup(build) {
      build.onResolve({ filter: /^(cdktf|constructs|@cdktf\/provider-aws)(\/.*)?$/ }, (args) => {
        const [, pkg, rest = ""] = /^(cdktf|constructs|@cdktf\/provider-aws)(\/.*)?$/.exec(args.path)!;
        const own = renames[pkg] ?? pkg;
        return { path: require.resolve(`${own}${rest}`, { paths: [path.dirname(flavours.packageDir(env, own))] }) };
      });
      build.onLoad({ filter: /[/\\]examples[/\\][^/\\]+[/\\]main\.ts$/ }, (args) => ({
        contents: fs.readFileSync(args.path, "utf8").replace(/\b__dirname\b/g, JSON.stringify(path.dirname(args.path))),
        loader: "ts",
      }));
    },
  };
}

/**
 * A stack's JSON without what the framework and provider versions write: the provider pin
 * (`required_providers.aws`: its version, and its source, which cdktf 0.21 with provider 20.x
 * writes "aws" and the newer bindings "hashicorp/aws", the same provider to Terraform: a source
 * of one name is a hashicorp provider) and cdktf's metadata version.
 */
export function withoutVersions(text: string): { json: string; pin?: string; source?: string; metadata?: string } {
  const json = JSON.parse(text);
  const aws = json.terraform?.required_providers?.aws;
  const metadata = json["//"]?.metadata?.version;
  if (aws !== undefined) json.terraform.required_providers.aws = "<pin>";
  if (metadata !== undefined) json["//"].metadata.version = "<version>";
  const source = aws?.source === undefined ? undefined : String(aws.source).includes("/") ? String(aws.source) : `hashicorp/${aws.source}`;
  return { json: JSON.stringify(json, null, 2), pin: aws?.version, source, metadata };
}

export { environmentFiles, exampleFiles } from "./synth-all";
export type { Synthesized } from "./synth-all";
