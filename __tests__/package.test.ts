/**
 * The package as another team gets it: packed, installed into a fresh CDKTF app outside the
 * repository (from the npm cache that `npm ci` filled), used exactly as the README shows, then
 * synthesized and validated by Terraform.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO } from "./support/synth";
import { offlineCopy, terraformAvailable, TerraformSandbox } from "./support/terraform";

const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));
const npm = (args: string[], cwd: string) => execFileSync("npm", args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: "false" } });

/** The TypeScript example under the README's heading "Using the constructs in another CDKTF app". */
function readmeExample(): string {
  const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
  const section = readme.split("## Using the constructs in another CDKTF app")[1];
  const match = /```ts\n([\s\S]*?)```/.exec(section ?? "");
  if (!match) throw new Error("README has no ```ts example under 'Using the constructs in another CDKTF app'");
  return match[1];
}

// The package is what `npm run build` emits; build it once here (npm test type-checks without emitting).
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: REPO, encoding: "utf8" });

// Packed once: the file list below and the consumer test read the same tarball.
const packDir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-pack-"));
const packed = JSON.parse(npm(["pack", "--json", "--ignore-scripts", "--pack-destination", packDir], REPO))[0];
const tarball = path.join(packDir, packed.filename);
afterAll(() => fs.rmSync(packDir, { recursive: true, force: true }));

describe("npm pack", () => {
  const files: string[] = packed.files.map((f: { path: string }) => f.path);

  test("holds the compiled module, its types, the CLIs and the docs", () => {
    expect(files).toEqual(expect.arrayContaining(["dist/modules/index.js", "dist/modules/index.d.ts", "dist/cli/verify.js", "README.md", "CHANGELOG.md", "LICENSE", "package.json"]));
  });

  test("leaves out tests, fixtures, the app, the benchmark, synth output and sources", () => {
    const unwanted = files.filter((f) => /^(__tests__|examples|bench|cdktf\.out|review)\/|^dist\/(main|bench)|\.ts$/.test(f) && !f.endsWith(".d.ts"));
    expect(unwanted).toEqual([]);
  });

  test("declares main, types, exports and peer dependencies mirrored by pinned devDependencies", () => {
    expect(pkg).toMatchObject({ main: "dist/modules/index.js", types: "dist/modules/index.d.ts", license: "Apache-2.0" });
    expect(pkg.exports["."]).toEqual({ types: "./dist/modules/index.d.ts", default: "./dist/modules/index.js" });
    for (const peer of ["cdktf", "constructs", "@cdktf/provider-aws"]) {
      expect(pkg.peerDependencies[peer]).toBeDefined();
      expect(pkg.devDependencies[peer]).toMatch(/^\d+\.\d+\.\d+$/);
    }
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

const describeTerraform = terraformAvailable("package consumption (terraform validate)") ? describe : describe.skip;

describeTerraform("an outside CDKTF app consumes the packed module as the README shows", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-consumer-"));
  let sandbox: TerraformSandbox;
  beforeAll(() => (sandbox = new TerraformSandbox("consumer")));
  afterAll(() => {
    sandbox?.dispose();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test("pack, install with the peers, compile the README's example, synth, terraform validate", async () => {
    expect(path.relative(REPO, work).startsWith("..")).toBe(true);

    const app = path.join(work, "app");
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "consumer-app", version: "1.0.0", private: true }));
    // What the package brings beyond its peers comes from the registry (the npm cache ci filled).
    // The peers, TypeScript and Node's types are linked from this repository's node_modules:
    // the same pinned versions a consumer installs, without unpacking 360 MB of provider again.
    npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--omit=peer", tarball], app);
    for (const linked of ["cdktf", "constructs", "@cdktf/provider-aws", "typescript", "@types/node"]) {
      const target = path.join(app, "node_modules", linked);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.symlinkSync(path.join(REPO, "node_modules", linked), target, "dir");
    }
    fs.writeFileSync(path.join(app, "main.ts"), readmeExample());
    fs.writeFileSync(
      path.join(app, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "ES2022", module: "commonjs", moduleResolution: "node", strict: true, skipLibCheck: true, types: ["node"] }, include: ["main.ts"] }),
    );
    execFileSync(process.execPath, [path.join(app, "node_modules", "typescript", "bin", "tsc"), "-p", "."], { cwd: app, encoding: "utf8" });
    execFileSync(process.execPath, ["main.js"], { cwd: app, encoding: "utf8", env: { ...process.env, CDKTF_OUTDIR: "cdktf.out" } });

    const stacks = fs.readdirSync(path.join(app, "cdktf.out", "stacks"));
    expect(stacks).toHaveLength(1);
    const stack = JSON.parse(fs.readFileSync(path.join(app, "cdktf.out", "stacks", stacks[0], "cdk.tf.json"), "utf8"));
    expect(Object.keys(stack.resource).sort()).toEqual(
      ["aws_dynamodb_table", "aws_kms_alias", "aws_kms_key", "aws_s3_bucket", "aws_s3_bucket_server_side_encryption_configuration"],
    );

    const ws = sandbox.workspace("consumer", offlineCopy(stack));
    await ws.init();
    expect(JSON.parse((await ws.run(["validate", "-json", "-no-color"])).stdout)).toMatchObject({ valid: true, error_count: 0 });
  }, 300_000);
});

test("main.ts and the CLIs use the module only through its public API (modules/index.ts)", () => {
  const files = ["main.ts", ...fs.readdirSync(path.join(REPO, "cli")).filter((f) => f.endsWith(".ts")).map((f) => `cli/${f}`),
    ...fs.readdirSync(path.join(REPO, "cli", "verify")).map((f) => `cli/verify/${f}`)];
  const deep = files.flatMap((file) =>
    [...fs.readFileSync(path.join(REPO, file), "utf8").matchAll(/from "([^"]*modules[^"]*)"/g)]
      .map((m) => m[1])
      .filter((spec) => !/^(\.\/|\.\.\/|\.\.\/\.\.\/)modules$/.test(spec))
      .map((spec) => `${file}: ${spec}`),
  );
  expect(files.length).toBeGreaterThan(5);
  expect(deep).toEqual([]);
});
