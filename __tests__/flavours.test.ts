/**
 * The CDK Terrain flavour, `@mavik/data-key-cdktn`, as a CDK Terrain app gets it (the cdktf
 * flavour is package.test.ts): built from the same sources with the platform file swapped,
 * packed, installed with npm's strict peers into a fresh cdktn app, the README's examples
 * synthesized (by Node, and by `cdktn synth` on the Node 22 the CLI needs), an unencrypted bucket
 * of cdktn's classes and of cdktf's refused. And the one-source promise: every environment
 * fixture and example synthesizes to the same JSON on CDK Terrain and on cdktf with the AWS
 * provider 6 as on the repository's cdktf, the provider pin and the framework's version aside.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { buildAndPack, consumerApp, ConsumerApp, installTarball, linkForeign, Packed, workDir } from "./support/consumer";
import { describeConsumer, describeTarball } from "./support/flavour-suite";
import { environmentFiles, exampleFiles, synthesizeHere, synthesizeIn, withoutVersions } from "./support/flavour-synth";
import { REPO } from "./support/synth";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const flavours = require("../scripts/flavours");

const work = workDir("flavours");
const packed: Packed = buildAndPack("cdktn", work);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describeTarball("cdktn", () => packed);
const cdktnApp = describeConsumer("cdktn", { packed: () => packed, work: () => work, plan: true });

test("the CDK Terrain flavour is refused by npm's strict peers in an app of cdktf 0.21 and constructs 10.4 (the repository's)", async () => {
  const app = consumerApp(work, "app-aws20-refuses-cdktn", "aws20");
  const result = await installTarball(app, packed.tarball, { dryRun: true });
  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain("ERESOLVE");
  expect(result.stderr).toMatch(/peer constructs@">=10\.6\.0 <10\.8\.0" from (@mavik\/data-key-cdktn|cdktn)@/);
});

describe("cdktn synth (the CLI, cdktn-cli 0.24 on Node 22 from the npm registry)", () => {
  let synth: ReturnType<typeof spawnSync>;
  let app: ConsumerApp;
  let direct: Record<string, any> | undefined;
  const cli = path.join(flavours.modulesOf("cdktn-cli"), "cdktn-cli", "bin", "cdktn");
  const node22 = path.join(flavours.modulesOf("cdktn-cli"), `node-${process.platform}-${process.arch}`, "bin", "node");

  beforeAll(async () => {
    flavours.ensure("cdktn-cli");
    // The cdktn app above, its README examples compiled and synthesized by Node: the CLI's reference.
    app = cdktnApp().app;
    linkForeign(app, [["cdktn-cli", "cdktn-cli"]]);
    direct = cdktnApp().results.example1?.stacks?.example;
    fs.writeFileSync(path.join(app.dir, "cdktf.json"), JSON.stringify({ language: "typescript", app: "node example1.js", terraformProviders: [], terraformModules: [] }));
    const home = path.join(work, "cdktn-home");
    fs.mkdirSync(home);
    synth = spawnSync(node22, [cli, "synth"], {
      cwd: app.dir,
      encoding: "utf8",
      timeout: 120_000,
      env: {
        ...process.env,
        // The app command runs on the same Node 22; the CLI's files (CDKTF_HOME) and Terraform's
        // config are the run's, never the user's home.
        PATH: `${path.dirname(node22)}${path.delimiter}${process.env.PATH}`,
        CDKTF_HOME: home,
        CDKTF_LOG_FILE_DIRECTORY: home,
        TF_CLI_CONFIG_FILE: process.env.MAVIK_TEST_TF_CLI_CONFIG ?? path.join(home, "none.tfrc"),
        CHECKPOINT_DISABLE: "1",
        CI: "true",
        FORCE_COLOR: "0",
      },
    });
  }, 300_000);

  test("the CLI runs on Node 22 >= 22.19 (it needs it: util.markAsUncloneable)", () => {
    const version = spawnSync(node22, ["--version"], { encoding: "utf8" }).stdout.trim();
    const [major, minor] = version.replace(/^v/, "").split(".").map(Number);
    expect(major).toBe(22);
    expect(minor).toBeGreaterThanOrEqual(19);
  });

  test("synthesizes the README's first example with the CDK Terrain flavour into cdktf.out (the fork keeps cdktf.json and cdktf.out), as Node does", () => {
    expect({ status: synth.status, stderr: synth.status === 0 ? "" : synth.stderr }).toEqual({ status: 0, stderr: "" });
    expect(synth.stdout).toContain("Generated Terraform code for the stacks: example");
    const written = JSON.parse(fs.readFileSync(path.join(app.dir, "cdktf.out", "stacks", "example", "cdk.tf.json"), "utf8"));
    expect(written.terraform.required_providers.aws.version).toBe(flavours.ENVIRONMENTS.cdktn.aws);
    expect(written).toEqual(direct);
  });
});

describe("one source: every environment file and example synthesizes to the same JSON in each framework environment", () => {
  const here = synthesizeHere();

  test("the repository's cdktf synthesizes every environment file and example", () => {
    const sources = new Set(Object.keys(here).map((k) => k.slice(0, k.lastIndexOf("/"))));
    expect([...sources].sort()).toEqual([...environmentFiles(REPO), ...exampleFiles(REPO)].sort());
    for (const text of Object.values(here)) expect([withoutVersions(text).source, withoutVersions(text).pin]).toEqual(["hashicorp/aws", flavours.ENVIRONMENTS.aws20.aws]);
  });

  test.each([
    ["cdktn", "CDK Terrain 0.24, @cdktn/provider-aws 25.x"],
    ["aws21", "cdktf 0.21, @cdktf/provider-aws 21.x"],
  ])("%s (%s): the same stacks and bytes, but for the provider pin and the framework's version", async (env) => {
    const there = await synthesizeIn(env);
    expect(Object.keys(there).sort()).toEqual(Object.keys(here).sort());
    const differences = Object.keys(here).filter((stack) => withoutVersions(here[stack]).json !== withoutVersions(there[stack]).json);
    expect(differences).toEqual([]);
    const e = flavours.ENVIRONMENTS[env];
    const core = JSON.parse(fs.readFileSync(path.join(flavours.packageDir(env, e.flavour === "cdktn" ? "cdktn" : "cdktf"), "package.json"), "utf8")).version;
    for (const stack of Object.keys(there)) {
      const { pin, source, metadata } = withoutVersions(there[stack]);
      expect([stack, source, pin, metadata]).toEqual([stack, "hashicorp/aws", e.aws, core]);
    }
  });
});
