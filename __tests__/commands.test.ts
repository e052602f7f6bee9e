/**
 * The commands as users type them: `npm run synth` and the cdktf.json app command go through
 * scripts/run.js, which bundles with esbuild when a source changed and runs the bundle.
 */
import { spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MULTI_CONFIG, REPO, SHIPPED_CONFIG, synthApp } from "./support/synth";

const RUN = path.join(REPO, "scripts", "run.js");

/** A PATH holding only `node`: no terraform, no npm, nothing else. */
function nodeOnlyPath(): string {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-bin-"));
  fs.symlinkSync(process.execPath, path.join(bin, "node"));
  return bin;
}

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd: options.cwd ?? REPO, encoding: "utf8", env: { ...process.env, ...options.env } });
}

/** The stacks a run wrote into `outdir`, as text. */
function written(outdir: string): Record<string, string> {
  const stacks = path.join(outdir, "stacks");
  return Object.fromEntries(fs.readdirSync(stacks).map((s) => [s, fs.readFileSync(path.join(stacks, s, "cdk.tf.json"), "utf8")]));
}

describe("the app command of cdktf.json and npm run synth", () => {
  const cdktf = JSON.parse(fs.readFileSync(path.join(REPO, "cdktf.json"), "utf8"));
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));

  test("are the same command: the launcher, not a type-check in front of every run", () => {
    expect(cdktf.app).toBe("node scripts/run.js main");
    expect(pkg.scripts.synth).toBe(cdktf.app);
    for (const name of ["review", "verify", "bench"]) expect(pkg.scripts[name]).toBe(`node scripts/run.js ${name}`);
  });

  test.each([
    ["the shipped environments", SHIPPED_CONFIG],
    ["two environments", MULTI_CONFIG],
  ])("write the same bytes as the app in-process, for %s", (_name, config) => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-cmd-"));
    const result = run("sh", ["-c", cdktf.app], { env: { MAVIK_CONFIG: config, CDKTF_OUTDIR: outdir } });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(written(outdir)).toEqual(synthApp(config).text);
  });
});

describe("synthesis needs no Terraform", () => {
  test("the shipped config, import blocks included, synthesizes with only node on PATH; the summary is on stdout", () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-noterraform-"));
    const result = run(process.execPath, [RUN, "main"], { env: { PATH: nodeOnlyPath(), CDKTF_OUTDIR: outdir, MAVIK_CONFIG: SHIPPED_CONFIG } });
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe(`synthesized 1 stack(s) into ${outdir}: prod\n`);
    expect(result.status).toBe(0);
    const prod = JSON.parse(written(outdir).prod);
    expect(prod.import.map((i: { to: string }) => i.to)).toEqual(["aws_kms_key.mavik_data_key", "aws_kms_alias.mavik_data_key"]);
  });

  test("where Terraform is truly needed (review --terraform), one line names it, never a stack trace", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-noterraform-"));
    const result = run(process.execPath, [RUN, "review", "--terraform", "--out", path.join(out, "review"), "--outdir", path.join(out, "cdktf.out")], {
      env: { PATH: nodeOnlyPath(), MAVIK_CONFIG: SHIPPED_CONFIG },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("prod: terraform init / plan / show -json …\nerror: prod: terraform is not available: spawnSync terraform ENOENT\n");
  });
});

describe("npm run synth leaves cdktf.out/stacks/ holding exactly the stacks it wrote", () => {
  test("a folder of an earlier synth is removed, as cdktf synth removes it; one holding a state file keeps the state and loses its stale stack", () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-stale-"));
    const stack = (name: string, files: Record<string, string>) => {
      fs.mkdirSync(path.join(outdir, "stacks", name, ".terraform"), { recursive: true });
      for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(outdir, "stacks", name, file), text);
    };
    // An earlier synth of another selection, a bootstrap stack after terraform init, and a local state someone kept.
    stack("staging", { "cdk.tf.json": "{}" });
    stack("bootstrap-167067248318-us-east-1", { "cdk.tf.json": "{}", ".terraform.lock.hcl": "" });
    stack("local", { "cdk.tf.json": "{}", "terraform.tfstate": "{}" });
    const result = run(process.execPath, [RUN, "main"], { env: { CDKTF_OUTDIR: outdir, MAVIK_CONFIG: SHIPPED_CONFIG } });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      [
        `note: removed ${outdir}/stacks/bootstrap-167067248318-us-east-1: a stack of an earlier synth, not of this one`,
        `note: removed ${outdir}/stacks/staging: a stack of an earlier synth, not of this one`,
        `synthesized 1 stack(s) into ${outdir}: prod`,
        "",
      ].join("\n"),
    );
    expect(result.stderr).toBe(
      `warning: ${outdir}/stacks/local is a stack of an earlier synth and holds a Terraform state file: kept, its cdk.tf.json removed; move the state and delete the folder\n`,
    );
    expect(fs.readdirSync(path.join(outdir, "stacks")).sort()).toEqual(["local", "prod"]);
    expect(fs.readdirSync(path.join(outdir, "stacks", "local")).sort()).toEqual([".terraform", "terraform.tfstate"]);
    expect(Object.keys(JSON.parse(fs.readFileSync(path.join(outdir, "manifest.json"), "utf8")).stacks)).toEqual(["prod"]);
  });
});

describe("no stale bundle after an edit", () => {
  // A copy of the app's sources beside the real node_modules, so the edit touches nothing here.
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-edit-"));
  for (const entry of ["main.ts", "app", "modules", "scripts", "environments.json", "tsconfig.json", "package.json"]) {
    fs.cpSync(path.join(REPO, entry), path.join(copy, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(copy, "node_modules"));
  const stamp = () => JSON.parse(fs.readFileSync(path.join(copy, "dist", "bundle", "main.inputs.json"), "utf8")).builtAt as number;
  const synth = () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-edit-out-"));
    const result = run(process.execPath, [path.join(copy, "scripts", "run.js"), "main"], { cwd: copy, env: { CDKTF_OUTDIR: outdir } });
    expect(result.stderr).toBe("");
    return JSON.parse(written(outdir).prod).resource.aws_kms_key.mavik_data_key.description as string;
  };

  test("an unchanged tree reuses the bundle; an edited source is rebuilt before it runs", () => {
    expect(synth()).toBe("Mavik SSOT data key: Secrets Manager, S3, DynamoDB and Lambda data");
    const first = stamp();
    expect(synth()).toBe("Mavik SSOT data key: Secrets Manager, S3, DynamoDB and Lambda data");
    expect(stamp()).toBe(first);

    const source = path.join(copy, "modules", "data-key", "data-key.ts");
    const text = fs.readFileSync(source, "utf8");
    expect(text).toContain('"Mavik SSOT data key: Secrets Manager, S3, DynamoDB and Lambda data"');
    fs.writeFileSync(source, text.replaceAll('"Mavik SSOT data key: Secrets Manager, S3, DynamoDB and Lambda data"', '"edited"'));
    // The edit is newer than the last build even on a file system with coarse timestamps.
    fs.utimesSync(source, new Date(), new Date(first + 5_000));
    expect(synth()).toBe("edited");
    expect(stamp()).toBeGreaterThan(first);
  });
});

test("verify switches the AWS SDK's Node-version notice off, unless the caller set the variable", async () => {
  const { createClients } = await import("../cli/verify/commands");
  const saved = process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  const warnings: string[] = [];
  const listen = (w: Error) => warnings.push(w.message);
  process.on("warning", listen);
  try {
    delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    createClients({ region: "us-east-1" });
    await new Promise((resolve) => setImmediate(resolve));
    expect(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe("true");
    expect(warnings.filter((w) => w.includes("NodeVersionSupportWarning"))).toEqual([]);
  } finally {
    process.off("warning", listen);
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = saved;
  }
});
