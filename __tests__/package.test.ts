/**
 * The construct package as another team gets it: built and packed from modules/, installed into a
 * fresh CDKTF app outside the repository (from the npm cache that `npm ci` filled), every example
 * of its README compiled and synthesized exactly as written there (one stack; a platform stack and
 * an app stack; another app with a reference and a grant), then planned by Terraform, offline, with
 * a local state standing for the platform stack's outputs.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AwsWire, emptyWorld } from "./support/aws-wire";
import { REPO } from "./support/synth";
import { localRemoteState, offlineCopy, stateFile, terraformAvailable, TerraformSandbox } from "./support/terraform";

const PACKAGE_DIR = path.join(REPO, "modules");
const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, "package.json"), "utf8"));
const root = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));
const npm = (args: string[], cwd: string) => execFileSync("npm", args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: "false" } });

// Built once (what the package's prepack runs), packed once: the file list and the consumer read the same tarball.
execFileSync(process.execPath, [path.join(REPO, "scripts", "build-package.js")], { cwd: REPO, encoding: "utf8" });
const packDir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-pack-"));
const packed = JSON.parse(npm(["pack", "--json", "--ignore-scripts", "--pack-destination", packDir, PACKAGE_DIR], REPO))[0];
const tarball = path.join(packDir, packed.filename);
const unpacked = path.join(packDir, "unpacked");
fs.mkdirSync(unpacked);
execFileSync("tar", ["-xzf", tarball, "-C", unpacked]);
const packedFile = (file: string) => fs.readFileSync(path.join(unpacked, "package", file), "utf8");
afterAll(() => fs.rmSync(packDir, { recursive: true, force: true }));

/** The ```ts examples of the packed README, in order. */
function readmeExamples(): string[] {
  return [...packedFile("README.md").matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

describe("npm pack ./modules", () => {
  const files: string[] = packed.files.map((f: { path: string }) => f.path);

  test("holds the compiled constructs, their types and the documents", () => {
    expect(files).toEqual(expect.arrayContaining(["dist/index.js", "dist/index.d.ts", "dist/data-key/data-key.js", "README.md", "API.md", "CHANGELOG.md", "LICENSE", "package.json"]));
  });

  test("leaves out the app, the tools, tests, sources and build configuration", () => {
    const unwanted = files.filter((f) => (/\.ts$/.test(f) && !f.endsWith(".d.ts")) || /(^|\/)(cli|app|environments|stack|__tests__)\//.test(f) || f === "tsconfig.json");
    expect(unwanted).toEqual([]);
  });

  test("needs nothing at run time beyond its peers: no dependencies", () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.bin).toBeUndefined();
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(["@cdktf/provider-aws", "cdktf", "constructs"]);
    for (const peer of Object.keys(pkg.peerDependencies)) expect(root.dependencies[peer]).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test("the compiled package requires only its peers and its own files", () => {
    const required = new Set<string>();
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) walk(full);
        else if (e.name.endsWith(".js")) for (const m of fs.readFileSync(full, "utf8").matchAll(/require\("([^".][^"]*)"\)/g)) required.add(m[1].split("/").slice(0, m[1].startsWith("@") ? 2 : 1).join("/"));
      }
    };
    walk(path.join(unpacked, "package", "dist"));
    expect([...required].sort()).toEqual(["@cdktf/provider-aws", "cdktf", "constructs"]);
  });

  test("declares main, types and exports into dist", () => {
    expect(pkg).toMatchObject({ name: "@mavik/data-key", main: "dist/index.js", types: "dist/index.d.ts", license: "Apache-2.0" });
    expect(pkg.exports["."]).toEqual({ types: "./dist/index.d.ts", default: "./dist/index.js" });
    expect(pkg.version).toBe(root.version);
  });

  test("every document the packed README and API.md link is in the package", () => {
    const links = ["README.md", "API.md"].flatMap((doc) =>
      [...packedFile(doc).matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1]).filter((target) => !/^[a-z]+:/.test(target)).map((target) => ({ doc, target })),
    );
    expect(links.map((l) => l.target)).toEqual(expect.arrayContaining(["API.md", "CHANGELOG.md"]));
    expect(links.filter((l) => !files.includes(path.posix.normalize(l.target)))).toEqual([]);
  });
});

const describeTerraform = terraformAvailable("package consumption (terraform plan)") ? describe : describe.skip;

describeTerraform("an outside CDKTF app consumes the packed package as its README shows", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-consumer-"));
  const app = path.join(work, "app");
  let sandbox: TerraformSandbox;
  let added: string[] = [];
  const stacks: Record<string, Record<string, any>> = {};

  beforeAll(() => {
    sandbox = new TerraformSandbox("consumer");
    expect(path.relative(REPO, work).startsWith("..")).toBe(true);
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "consumer-app", version: "1.0.0", private: true }));
    // A CDKTF app has its peers already; what the install adds comes from the registry (the npm
    // cache ci filled). The peers, TypeScript and Node's types are linked from this repository's
    // node_modules: the same pinned versions, without unpacking 360 MB of provider again.
    npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--omit=peer", tarball], app);
    added = installedPackages(path.join(app, "node_modules"));
    for (const linked of ["cdktf", "constructs", "@cdktf/provider-aws", "typescript", "@types/node"]) {
      const target = path.join(app, "node_modules", linked);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.symlinkSync(path.join(REPO, "node_modules", linked), target, "dir");
    }
    // The README's examples, and one more program: a reference by alias (planned against a local KMS).
    const examples = [...readmeExamples(), ALIAS_REFERENCE];
    examples.forEach((code, i) => fs.writeFileSync(path.join(app, `example${i + 1}.ts`), code));
    fs.writeFileSync(
      path.join(app, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "ES2022", module: "commonjs", moduleResolution: "node", strict: true, skipLibCheck: true, types: ["node"] }, include: ["*.ts"] }),
    );
    execFileSync(process.execPath, [path.join(app, "node_modules", "typescript", "bin", "tsc"), "-p", "."], { cwd: app, encoding: "utf8" });
    examples.forEach((_code, i) => {
      const outdir = `cdktf.out.${i + 1}`;
      execFileSync(process.execPath, [`example${i + 1}.js`], { cwd: app, encoding: "utf8", env: { ...process.env, CDKTF_OUTDIR: outdir } });
      for (const name of fs.readdirSync(path.join(app, outdir, "stacks"))) {
        stacks[`${i + 1}/${name}`] = JSON.parse(fs.readFileSync(path.join(app, outdir, "stacks", name, "cdk.tf.json"), "utf8"));
      }
    });
  }, 300_000);
  afterAll(() => {
    sandbox?.dispose();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test("installing the package into a CDKTF app adds at most 5 packages (the count is printed)", () => {
    process.stdout.write(`\n  npm install @mavik/data-key into a CDKTF app added ${added.length} package(s): ${added.join(", ")}\n`);
    expect(added).toEqual(["@mavik/data-key"]);
    expect(added.length).toBeLessThanOrEqual(5);
  });

  test("the README's three examples synthesize (one stack; platform and orders; reports), and the alias reference", () => {
    expect(Object.keys(stacks).sort()).toEqual(["1/example", "2/orders", "2/platform", "3/reports", "4/by-alias"]);
  });

  test("terraform plan: every stack, the platform's outputs from a local state", async () => {
    const KEY_ARN = "arn:aws:kms:us-east-1:167067248318:key/cb424700-0dd0-4dcb-a77d-13af16579270";
    // The state of the stacks the others read: the platform stack's cross-stack output, and the
    // outputs an environment's stack (DataKeyStack) writes.
    const platformState = path.join(sandbox.root, "platform.tfstate");
    fs.writeFileSync(
      platformState,
      JSON.stringify(
        stateFile([], {
          "cross-stack-output-aws_kms_keymavik_data_keyarn": KEY_ARN,
          key_arn: KEY_ARN,
          key_id: "cb424700-0dd0-4dcb-a77d-13af16579270",
          alias_name: "alias/mavik-data-kms-key",
          alias_arn: "arn:aws:kms:us-east-1:167067248318:alias/mavik-data-kms-key",
        }),
      ),
    );
    // DataKey.fromAlias reads the aws_kms_alias data source at plan: KMS answers from a local
    // server speaking its wire protocol (ListAliases, DescribeKey).
    const kms = await AwsWire.start(emptyWorld({ keys: [{ id: "cb424700-0dd0-4dcb-a77d-13af16579270" }], aliases: [{ name: "alias/mavik-data-kms-key", targetKeyId: "cb424700-0dd0-4dcb-a77d-13af16579270" }] }));
    let plan;
    try {
      const ws = sandbox.combined(
        "consumer",
        Object.entries(stacks).map(([name, json]) => {
          const config = localRemoteState(offlineCopy(json), platformState);
          if (name === "4/by-alias") config.provider.aws[0].endpoints = [{ kms: kms.url }];
          return { id: `example${name.replace("/", "_")}`, config };
        }),
      );
      await ws.init();
      plan = await ws.plan("plan.bin", ["-refresh=false"]);
    } finally {
      await kms.close();
    }
    expect(kms.received.map((r) => `${r.service}.${r.operation}`)).toEqual(expect.arrayContaining(["kms.ListAliases", "kms.DescribeKey"]));
    const after = (address: string) => plan.resource_changes!.find((c) => c.address === address)!.change.after!;
    const actions = Object.fromEntries(plan.resource_changes!.map((c) => [c.address, c.change.actions.join(",")]));
    expect(Object.values(actions).every((a) => a === "create")).toBe(true);

    // Two stacks: every binding and the grant carry the key ARN the platform's state holds.
    expect(after("module.example2_orders.aws_s3_bucket_server_side_encryption_configuration.files").rule[0].apply_server_side_encryption_by_default[0].kms_master_key_id).toBe(KEY_ARN);
    expect(after("module.example2_orders.aws_dynamodb_table.records").server_side_encryption[0].kms_key_arn).toBe(KEY_ARN);
    expect(after("module.example2_orders.aws_secretsmanager_secret.token").kms_key_id).toBe(KEY_ARN);
    expect(after("module.example2_orders.aws_lambda_function.api").kms_key_arn).toBe(KEY_ARN);
    expect(JSON.parse(after("module.example2_orders.aws_iam_role_policy.mavik_data_key_api-role").policy).Statement).toEqual([
      { Effect: "Allow", Action: ["kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Decrypt"], Resource: KEY_ARN },
    ]);
    expect(Object.keys(actions).filter((a) => a.startsWith("module.example2_platform.")).sort()).toEqual(["module.example2_platform.aws_kms_alias.mavik_data_key", "module.example2_platform.aws_kms_key.mavik_data_key"]);

    // Another app: the reference from remote state, its binding and its grant through S3 only.
    expect(after("module.example3_reports.aws_s3_bucket_server_side_encryption_configuration.exports").rule[0].apply_server_side_encryption_by_default[0].kms_master_key_id).toBe(KEY_ARN);
    expect(JSON.parse(after("module.example3_reports.aws_iam_role_policy.data_key_mavik-reports-reader").policy).Statement).toEqual([
      { Effect: "Allow", Action: ["kms:Decrypt"], Resource: KEY_ARN, Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } } },
    ]);
    // One stack: the README's first example.
    expect(after("module.example1_example.aws_dynamodb_table.records").billing_mode).toBe("PAY_PER_REQUEST");
    // By alias: the key ARN the alias targets, as KMS answered it.
    expect(after("module.example4_by-alias.aws_secretsmanager_secret.token").kms_key_id).toBe(KEY_ARN);
  }, 300_000);
});

/** A consumer program beyond the README: the key by its alias, a secret bound to it, a grant. */
const ALIAS_REFERENCE = `import { App, TerraformStack } from "cdktf";
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


/** Every package under `node_modules` (nested ones too), symlinks aside. */
function installedPackages(dir: string): string[] {
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

test("main.ts, the app and the CLIs use the constructs only through their public API (modules/index.ts)", () => {
  const sources = (dir: string): string[] =>
    fs.readdirSync(path.join(REPO, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(`${dir}/${e.name}`) : e.name.endsWith(".ts") ? [`${dir}/${e.name}`] : []));
  const files = ["main.ts", ...sources("app"), ...sources("cli")];
  const deep = files.flatMap((file) =>
    [...fs.readFileSync(path.join(REPO, file), "utf8").matchAll(/from "([^"]*modules[^"]*)"/g)]
      .map((m) => m[1])
      // "…/modules" alone would load modules/package.json's main (the built package), not the sources.
      .filter((spec) => !/^(\.\/|(\.\.\/)+)modules\/index$/.test(spec))
      .map((spec) => `${file}: ${spec}`),
  );
  expect(files.length).toBeGreaterThan(10);
  expect(deep).toEqual([]);
});
