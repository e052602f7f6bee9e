/**
 * The construct package as another team gets it, for each flavour and framework environment
 * (scripts/flavours.js): built and packed as a release would (`npm pack`), installed into a fresh
 * app of that framework outside the repository with npm's default (strict) peer resolution, and
 * its programs compiled by TypeScript against the framework's own types and run.
 *
 * A consumer app's framework packages are symlinks into the environment (npm takes a linked
 * package for the version its package.json says, and checks peers against it): what `npm
 * install` of the tarball adds is the package alone, without unpacking 360 MB of provider again.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runProcess, RunResult } from "./processes";
import { REPO } from "./synth";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const flavours = require("../../scripts/flavours");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { build } = require("../../scripts/build-package");

export type FlavourId = "cdktf" | "cdktn";
export type EnvironmentId = "aws20" | "aws21" | "cdktn" | "cdktn-cli";

const NPM_ENV = { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" };

export function npm(args: readonly string[], cwd: string): string {
  return execFileSync("npm", args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: NPM_ENV, stdio: ["ignore", "pipe", "pipe"] });
}

export function npmAsync(args: readonly string[], cwd: string): Promise<RunResult> {
  return runProcess("npm", args, { cwd, env: NPM_ENV });
}

export interface Packed {
  readonly flavour: FlavourId;
  /** The directory npm packs (modules/ for cdktf, the staged package for the others). */
  readonly dir: string;
  readonly manifest: Record<string, any>;
  readonly tarball: string;
  /** The tarball's files, as `npm pack --json` lists them. */
  readonly files: string[];
  /** The files `npm pack --dry-run --json` lists: what `npm publish` would upload. */
  readonly dryRunFiles: string[];
  /** The tarball, unpacked (its `package/`). */
  readonly unpacked: string;
  read(file: string): string;
}

/** Builds the flavour (scripts/build-package.js), lists and packs it into `into`. */
export function buildAndPack(flavour: FlavourId, into: string): Packed {
  const dir: string = build(flavour);
  const dryRun = JSON.parse(npm(["pack", "--dry-run", "--json", "--ignore-scripts", dir], REPO))[0];
  const packed = JSON.parse(npm(["pack", "--json", "--ignore-scripts", "--pack-destination", into, dir], REPO))[0];
  const tarball = path.join(into, packed.filename);
  const unpacked = path.join(into, `${flavour}-unpacked`);
  fs.mkdirSync(unpacked);
  execFileSync("tar", ["-xzf", tarball, "-C", unpacked]);
  const files = (list: { path: string }[]) => list.map((f) => f.path).sort();
  return {
    flavour,
    dir,
    manifest: JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")),
    tarball,
    files: files(packed.files),
    dryRunFiles: files(dryRun.files),
    unpacked: path.join(unpacked, "package"),
    read: (file) => fs.readFileSync(path.join(unpacked, "package", file), "utf8"),
  };
}

/**
 * Exactly what a flavour's tarball holds: for every TypeScript source of modules/ its JavaScript
 * and its declarations under dist/, the manifest and the four documents. Nothing else.
 */
export function expectedTarballFiles(): string[] {
  const sources = (dir: string, prefix = ""): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      if (e.isDirectory()) return e.name === "dist" || e.name === "node_modules" ? [] : sources(path.join(dir, e.name), `${prefix}${e.name}/`);
      return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [`${prefix}${e.name.replace(/\.ts$/, "")}`] : [];
    });
  const compiled = sources(path.join(REPO, "modules")).flatMap((f) => [`dist/${f}.js`, `dist/${f}.d.ts`]);
  return [...compiled, "package.json", "README.md", "API.md", "CHANGELOG.md", "LICENSE"].sort();
}

/** The ```ts examples of a README, in order. */
export function readmeExamples(readme: string): string[] {
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** A program written for cdktf (the repository's examples are), as an app of `flavour` writes it. */
export function forFlavour(code: string, flavour: FlavourId): string {
  return flavours.rewriteSpecifiers(code, flavour);
}

/** The framework packages of an environment, as its app's package.json pins them. */
export function frameworkOf(env: EnvironmentId): Record<string, string> {
  const e = flavours.ENVIRONMENTS[env];
  const root = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));
  if (!e.installed) return Object.fromEntries(e.shared.map((name: string) => [name, root.dependencies[name]]));
  const { manifest } = flavours.definitionOf(env);
  const pins: Record<string, string> = { ...manifest.dependencies };
  for (const name of e.shared) pins[name] = root.dependencies[name];
  return pins;
}

export interface ConsumerApp {
  readonly dir: string;
  readonly env: EnvironmentId;
  /** The framework packages its package.json pins (linked into its node_modules). */
  readonly framework: Record<string, string>;
}

/**
 * A fresh app of environment `env` in `parent`: a package.json pinning the environment's
 * framework packages, each linked from the environment, and TypeScript and Node's types from the
 * repository (to compile its programs).
 */
export function consumerApp(parent: string, name: string, env: EnvironmentId): ConsumerApp {
  const dir = path.join(parent, name);
  fs.mkdirSync(path.join(dir, "node_modules"), { recursive: true });
  const framework = frameworkOf(env);
  const root = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));
  const tools = Object.fromEntries(["typescript", "@types/node"].map((pkg) => [pkg, root.devDependencies[pkg]]));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", private: true, dependencies: framework, devDependencies: tools }, null, 2));
  for (const pkg of Object.keys(framework)) link(dir, flavours.packageDir(env, pkg), pkg);
  for (const pkg of Object.keys(tools)) link(dir, path.join(REPO, "node_modules", pkg), pkg);
  return { dir, env, framework };
}

function link(app: string, from: string, pkg: string): void {
  const target = path.join(app, "node_modules", pkg);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.symlinkSync(from, target, "dir");
}

/**
 * Links packages of other environments into the app's node_modules after its install, as a
 * second framework that an app's own dependencies brought in: [environment, package].
 */
export function linkForeign(app: ConsumerApp, packages: readonly [EnvironmentId, string][]): void {
  for (const [from, pkg] of packages) link(app.dir, flavours.packageDir(from, pkg), pkg);
}

/** Every package under `node_modules` (nested ones too), symlinks aside. */
export function installedPackages(dir: string): string[] {
  const out: string[] = [];
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith(".") || e.isSymbolicLink() || !e.isDirectory()) continue;
    const full = path.join(dir, e.name);
    if (e.name.startsWith("@")) {
      for (const scoped of fs.readdirSync(full, { withFileTypes: true })) {
        if (!scoped.isDirectory() || scoped.isSymbolicLink()) continue;
        out.push(`${e.name}/${scoped.name}`, ...installedPackages(path.join(full, scoped.name, "node_modules")));
      }
    } else out.push(e.name, ...installedPackages(path.join(full, "node_modules")));
  }
  return out.sort();
}

/**
 * `npm install <tarball>` into the app with npm's defaults: peers are resolved strictly against
 * the app's own packages (a conflict is ERESOLVE). Returns npm's result; `dryRun` changes nothing.
 */
export function installTarball(app: ConsumerApp, tarball: string, options: { dryRun?: boolean } = {}): Promise<RunResult> {
  return npmAsync(["install", "--prefer-offline", ...(options.dryRun ? ["--dry-run"] : []), tarball], app.dir);
}

export interface ProgramResult {
  /** Stack name -> synthesized JSON, when the program synthesized. */
  readonly stacks?: Record<string, Record<string, any>>;
  /** The error it failed with. */
  readonly error?: string;
}

/**
 * Writes the programs (name -> TypeScript), compiles them with the app's TypeScript against its
 * framework's types (any type error fails), and runs each as its own app in one Node process
 * (one load of the framework for all): a program synthesizes into its own outdir, or fails.
 */
export async function compileAndRun(app: ConsumerApp, programs: Record<string, string>): Promise<Record<string, ProgramResult>> {
  for (const [name, code] of Object.entries(programs)) fs.writeFileSync(path.join(app.dir, `${name}.ts`), code);
  fs.writeFileSync(
    path.join(app.dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { target: "ES2022", module: "commonjs", moduleResolution: "node", strict: true, skipLibCheck: true, types: ["node"] }, include: Object.keys(programs).map((n) => `${n}.ts`) }),
  );
  const tsc = await runProcess(process.execPath, [path.join(app.dir, "node_modules", "typescript", "bin", "tsc"), "-p", "."], { cwd: app.dir, env: process.env });
  if (tsc.code !== 0) throw new Error(`tsc in the ${app.env} app failed:\n${tsc.stdout}${tsc.stderr}`);
  fs.writeFileSync(path.join(app.dir, "run-programs.js"), RUNNER);
  const run = await runProcess(process.execPath, ["run-programs.js", ...Object.keys(programs)], { cwd: app.dir, env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  if (run.code !== 0) throw new Error(`running the ${app.env} app's programs failed:\n${run.stderr}`);
  return JSON.parse(fs.readFileSync(path.join(app.dir, "results.json"), "utf8"));
}

/** Runs each compiled program as its own app (its own CDKTF_OUTDIR), one after the other. */
const RUNNER = `"use strict";
const fs = require("fs");
const path = require("path");
const results = {};
fs.mkdirSync(path.join(__dirname, "out"), { recursive: true });
for (const name of process.argv.slice(2)) {
  const outdir = path.join(__dirname, "out", name);
  process.env.CDKTF_OUTDIR = outdir;
  try {
    require("./" + name + ".js");
    const stacks = {};
    for (const s of fs.readdirSync(path.join(outdir, "stacks"))) stacks[s] = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", s, "cdk.tf.json"), "utf8"));
    results[name] = { stacks };
  } catch (e) {
    results[name] = { error: String((e && e.message) || e) };
  }
}
fs.writeFileSync(path.join(__dirname, "results.json"), JSON.stringify(results));
`;

/** A directory of this run's temporary root, outside the repository. */
export function workDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mavik-${name}-`));
  if (!path.relative(REPO, dir).startsWith("..")) throw new Error(`${dir} is inside the repository`);
  return dir;
}

/**
 * Programs every flavour's consumer runs besides the README's examples, written for cdktf (and
 * renamed for the flavour's app): a reference by alias with a secret and a grant; an unencrypted
 * bucket, which enforcement must refuse.
 */
export const ALIAS_REFERENCE = `import { App, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { DataKey } from "@mavik/data-key";

const app = new App();
const stack = new TerraformStack(app, "by-alias");
new AwsProvider(stack, "aws", { region: "us-east-1" });
const key = DataKey.fromAlias(stack, "data_key", "alias/mavik-data-kms-key");
key.encryptSecret(new SecretsmanagerSecret(stack, "token", { name: "mavik/by-alias/token" }));
key.grantDecrypt("mavik-token-reader");
app.synth();
`;

export const UNENCRYPTED_BUCKET = `import { App, Aspects, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { DataKey, EncryptionEnforcement } from "@mavik/data-key";

const app = new App();
const stack = new TerraformStack(app, "plain");
new AwsProvider(stack, "aws", { region: "us-east-1" });
const key = new DataKey(stack, "mavik_data_key", { accountId: "167067248318", administrators: ["user/mavik-deployer"] });
new S3Bucket(stack, "plain", { bucket: "mavik-plain" });
Aspects.of(stack).add(new EncryptionEnforcement(key));
app.synth();
`;

/**
 * A bucket of the other framework's classes in a stack of `flavour`'s, unencrypted (its provider
 * package linked into the app; that import is not renamed). `via: "aspect"` enforces as the
 * README does and synthesizes; `via: "call"` calls enforceEncryption on the stack itself. Either
 * way it must fail, never pass unchecked.
 */
export function foreignBucket(flavour: FlavourId, via: "aspect" | "call"): string {
  const foreign = flavour === "cdktf" ? "@cdktn/provider-aws" : "@cdktf/provider-aws";
  const enforce = via === "aspect" ? "Aspects.of(stack).add(new EncryptionEnforcement(key));\napp.synth();" : "enforceEncryption(stack, key);";
  return forFlavour(
    `import { App, Aspects, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket as ForeignBucket } from "FOREIGN_PROVIDER/lib/s3-bucket";
import { DataKey, EncryptionEnforcement, enforceEncryption } from "@mavik/data-key";

const app = new App();
const stack = new TerraformStack(app, "mixed");
new AwsProvider(stack, "aws", { region: "us-east-1" });
const key = new DataKey(stack, "mavik_data_key", { accountId: "167067248318", administrators: ["user/mavik-deployer"] });
// The two frameworks' constructs are other classes (and another copy of constructs): typed apart.
new ForeignBucket(stack as any, "foreign", { bucket: "mavik-foreign" });
void [Aspects, EncryptionEnforcement, enforceEncryption];
${enforce}
`,
    flavour,
  ).replace("FOREIGN_PROVIDER", foreign);
}

export const UNENCRYPTED_MESSAGE = "aws_s3_bucket.plain: not encrypted with the data key: it has no aws_s3_bucket_server_side_encryption_configuration";
/**
 * CDK Terrain 0.24 prepares every element of a stack before aspects run, calling a method cdktf's
 * classes do not have (cdktn/lib/terraform-stack.js, _runPreparingResolve): a cdktf resource in a
 * cdktn stack never synthesizes, encrypted or not.
 */
export const CDKTN_REFUSES_CDKTF = "_resetResolveDiscoveredProviderFeatureUsage is not a function";
export const FOREIGN_MESSAGE = "aws_s3_bucket.foreign: not encrypted with the data key: it has no aws_s3_bucket_server_side_encryption_configuration";
