/**
 * docs/deploy.md, run: every command of every `sh` block, in the page's order, in a checkout of
 * its own (the shipped environments.json, or the page's own file where it gives one), and every
 * `text` block checked against what the commands printed. Where AWS would be needed, AWS is
 * faked at the wire: Terraform's S3 backend talks to s3rver (a `-backend-config` file through
 * TF_CLI_ARGS_init), the AWS provider and verify to `support/aws-wire.ts` (AWS_ENDPOINT_URL and
 * `--endpoint-url`), which holds the seed's key as KMS describes it. Offline commands run with a
 * dead proxy and no credentials, so a call to AWS would fail them.
 *
 * One command cannot run without AWS: the bootstrap's `terraform apply` (it creates IAM roles and
 * a bucket). Its stand-ins are named below and checked to exist. The page's CDKTF CLI and plain
 * Terraform block (`<!-- needs-aws: ... -->`) is not run here: docs-commands.test.ts names its
 * stand-ins.
 *
 * The page's blocks form chains (`<!-- test: <chain> -->`), run at once; each chain runs its
 * commands in order. The offline chain's review is the sample the pages show (README.md,
 * docs/review.md: `npm run samples`), checked here against what the review writes.
 */
import { ChildProcessWithoutNullStreams, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AwsWire, emptyWorld, World } from "./support/aws-wire";
import { RunResult, runProcess } from "./support/processes";
import { REPO, SEED_POLICY } from "./support/synth";
import { stateFile, terraformAvailable, TerraformSandbox } from "./support/terraform";
import { deployRolePolicy } from "../cli/roles/policies";
import { loadEnvironments } from "../app";
import { DEPLOY_WRITES } from "../cli/roles/writes";
import { actionAccessLevel } from "./support/iam-data";
import { ensureNewline, readBlocks } from "../scripts/generated-blocks";
import { reviewBlocks } from "../scripts/samples";

const DOC = fs.readFileSync(path.join(REPO, "docs", "deploy.md"), "utf8");
const SCRIPTS: Record<string, string> = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).scripts;
const KEY_ID = "cb424700-0dd0-4dcb-a77d-13af16579270";
const STATE_BUCKET = "mavik-terraform-state-167067248318";

interface Block {
  readonly kind: "test" | "output" | "environments" | "needs-aws";
  readonly chain: string;
  readonly lang: string;
  readonly body: string;
}

/** The page's marked code blocks: `<!-- test|output|environments|needs-aws: <chain> -->` right before a fence. */
function blocks(doc: string): Block[] {
  return [...doc.matchAll(/<!-- (test|output|environments|needs-aws): ([a-z-]+) -->\n```([a-z]*)\n([\s\S]*?)```/g)].map((m) => ({ kind: m[1] as Block["kind"], chain: m[2], lang: m[3], body: m[4] }));
}

const BLOCKS = blocks(DOC);
const CHAINS = [...new Set(BLOCKS.filter((b) => b.kind === "test").map((b) => b.chain))];
const commandsOf = (chain: string) =>
  BLOCKS.filter((b) => b.kind === "test" && b.chain === chain)
    .flatMap((b) => b.body.split("\n"))
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));

/** The commands that cannot run without AWS, and what runs in their place. */
const STAND_INS: Record<string, { file: string; test: string }[]> = {
  "terraform -chdir=cdktf.out/stacks/bootstrap-167067248318-us-east-1 apply": [{ file: "__tests__/terraform.test.ts", test: "the bootstrap of every account plans with the real provider" }],
};

const describeTerraform = terraformAvailable("docs/deploy.md, run") ? describe : describe.skip;

describe("docs/deploy.md: its blocks", () => {
  test("has the chains the test runs, and every sh block is marked (no command on the page goes unrun or unlisted)", () => {
    expect(CHAINS).toEqual(["bootstrap", "offline", "deploy", "cdktf-cli", "two-accounts"]);
    const fences = [...DOC.matchAll(/```sh\n/g)].length;
    expect(BLOCKS.filter((b) => (b.kind === "test" || b.kind === "needs-aws") && b.lang === "sh")).toHaveLength(fences);
  });

  test.each(Object.entries(STAND_INS))("%s: its stand-ins exist", (_command, standIns) => {
    for (const s of standIns) expect(fs.readFileSync(path.join(REPO, s.file), "utf8")).toContain(s.test);
  });
});

describeTerraform("docs/deploy.md, run", () => {
  let sandbox: TerraformSandbox;
  let wire: AwsWire;
  let servers: ChildProcessWithoutNullStreams;
  let s3: string;
  let s3Dir: string;
  /** chain -> each command and what it printed */
  const ran: Record<string, { command: string; result: RunResult }[]> = {};
  const workspaces: Record<string, string> = {};
  let preflightRefusal: RunResult;
  let offlineRefusal: RunResult;
  let mirror: string;

  const world = (bucketVersioning: "Enabled" | null): World =>
    emptyWorld({
      keys: [{ id: KEY_ID, policy: JSON.stringify(SEED_POLICY, null, 2) }],
      aliases: [{ name: "alias/mavik-data-kms-key", targetKeyId: KEY_ID }],
      users: ["mavik-developer", "mavik-deployer"],
      roles: ["ecsTaskExecutionRole", "MavikLambdaRole"],
      buckets: {
        // As the bootstrap makes it.
        [STATE_BUCKET]: {
          versioning: bucketVersioning,
          encryption: { algorithm: "AES256" },
          publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
        },
      },
    });

  beforeAll(async () => {
    sandbox = new TerraformSandbox("deploy-docs");
    mirror = /path\s*=\s*"([^"]+)"/.exec(fs.readFileSync(process.env.MAVIK_TEST_TF_CLI_CONFIG!, "utf8"))![1];
    s3Dir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-docs-s3-"));
    servers = spawn(process.execPath, [path.join(__dirname, "support", "local-aws-servers.js"), s3Dir, STATE_BUCKET]);
    s3 = await new Promise<string>((resolve, reject) => {
      let out = "";
      servers.stdout.on("data", (d) => {
        out += d;
        if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0]).s3);
      });
      servers.on("exit", (code) => reject(new Error(`local S3 server exited (${code}): ${out}`)));
    });
    wire = await AwsWire.start(world(null));
    const backend = path.join(sandbox.root, "backend.hcl");
    fs.writeFileSync(
      backend,
      [
        `endpoints = { s3 = "${s3}" }`,
        "use_path_style = true",
        'access_key = "S3RVER"',
        'secret_key = "S3RVER"',
        "skip_credentials_validation = true",
        "skip_requesting_account_id = true",
        "skip_metadata_api_check = true",
        "",
      ].join("\n"),
    );
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-docs-home-"));
    const base = { ...sandbox.env, HOME: home, CHECKPOINT_DISABLE: "1" };
    // Offline: no credentials of any use, a proxy that answers nothing, providers from the mirror.
    const offline: NodeJS.ProcessEnv = { ...base, AWS_PROFILE: "no-such-profile", HTTPS_PROXY: "http://127.0.0.1:9", HTTP_PROXY: "http://127.0.0.1:9", MAVIK_TF_PROVIDER_MIRROR: mirror };
    delete offline.TF_CLI_CONFIG_FILE;
    // AWS at the wire; the S3 backend on s3rver.
    const aws: NodeJS.ProcessEnv = {
      ...base,
      AWS_ENDPOINT_URL: wire.url,
      AWS_ACCESS_KEY_ID: "AKIADOCSTEST",
      AWS_SECRET_ACCESS_KEY: "docs-test",
      AWS_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
      TF_CLI_ARGS_init: `-backend-config=${backend}`,
    };

    const environments = (chain: string) => BLOCKS.find((b) => b.kind === "environments" && b.chain === chain)?.body;
    for (const chain of CHAINS) {
      const dir = path.join(sandbox.root, chain);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, "environments.json"), environments(chain) ?? fs.readFileSync(path.join(REPO, "environments.json"), "utf8"));
      if (chain === "cdktf-cli") {
        // A project as the CDKTF CLI finds one: its config, the app command's launcher, the CLI itself.
        fs.copyFileSync(path.join(REPO, "cdktf.json"), path.join(dir, "cdktf.json"));
        for (const link of ["node_modules", "scripts"]) fs.symlinkSync(path.join(REPO, link), path.join(dir, link));
      }
      workspaces[chain] = dir;
    }

    /** One command of the page, as it is written, in the chain's checkout. */
    const run = async (chain: string, command: string): Promise<RunResult> => {
      const dir = workspaces[chain];
      const npm = /^npm run ([a-z-]+)(?: -- (.*))?$/.exec(command);
      if (npm) {
        const args = npm[2] ? npm[2].split(" ") : [];
        const entry = /^node scripts\/run\.js ([a-z-]+)$/.exec(SCRIPTS[npm[1]])?.[1];
        if (entry === undefined) throw new Error(`${command}: package.json has no such script run through scripts/run.js`);
        const needsAws = (entry === "plan" && !args.includes("--offline") && !args.includes("--matrix")) || entry === "deploy" || (entry === "verify" && !args.includes("--audit-role-policy"));
        // verify and deploy reach AWS through the SDK, whose S3 client needs its endpoint named for path-style requests.
        const endpoint = needsAws && (entry === "verify" || entry === "deploy") ? ["--endpoint-url", wire.url] : [];
        return runProcess(process.execPath, [path.join(REPO, "scripts", "run.js"), entry, ...args, ...endpoint], { cwd: dir, env: needsAws ? aws : offline });
      }
      if (command in STAND_INS) return { code: 0, stdout: "", stderr: "" };
      if (command === "npx cdktf synth") return runProcess("npx", ["cdktf", "synth"], { cwd: dir, env: offline });
      const terraform = /^terraform -chdir=(\S+) (.*)$/.exec(command);
      if (terraform) {
        const migrating = terraform[2].includes("-migrate-state");
        if (migrating) {
          // Where the first apply leaves the bootstrap's state (the stand-in writes it): here, its bucket as recorded.
          const bucket = { mode: "managed", type: "aws_s3_bucket", name: STATE_BUCKET, provider: 'provider["registry.terraform.io/hashicorp/aws"]', instances: [{ schema_version: 0, attributes: { id: STATE_BUCKET, bucket: STATE_BUCKET } }] };
          fs.writeFileSync(path.join(dir, "terraform.bootstrap-167067248318-us-east-1.tfstate"), JSON.stringify(stateFile([bucket], { state_bucket: STATE_BUCKET })));
        }
        return runProcess("terraform", [`-chdir=${terraform[1]}`, ...terraform[2].split(" "), "-input=false", "-no-color"], { cwd: dir, env: migrating ? aws : { ...base } });
      }
      throw new Error(`${command}: not a command this test knows how to run`);
    };

    await Promise.all(
      CHAINS.map(async (chain) => {
        ran[chain] = [];
        for (const command of commandsOf(chain)) {
          if (chain === "deploy" && command === "npm run deploy -- --env prod") {
            // First with a bucket made without versioning: preflight refuses, nothing is applied.
            preflightRefusal = await run(chain, command);
            wire.world = world("Enabled");
          }
          ran[chain].push({ command, result: await run(chain, command) });
        }
        // Not on the page: what the deploy makes of the offline plan the page just made.
        if (chain === "offline") offlineRefusal = await run(chain, "npm run deploy -- --env prod");
      }),
    );
  }, 300_000);

  afterAll(async () => {
    await wire?.close();
    if (servers && servers.exitCode === null) {
      const exited = new Promise((resolve) => servers.on("exit", resolve));
      servers.stdin.end();
      await exited;
    }
    if (s3Dir) fs.rmSync(s3Dir, { recursive: true, force: true });
    sandbox?.dispose();
  });

  const output = (chain: string) => ran[chain].map((r) => `${r.result.stdout}${r.result.stderr}`).join("\n");

  test.each(CHAINS.flatMap((chain) => commandsOf(chain).map((command, i) => [chain, i, command] as [string, number, string])))(
    "%s #%d: %s exits 0",
    (chain, i, command) => {
      const { result } = ran[chain][i];
      expect(ran[chain][i].command).toBe(command);
      expect([result.code, result.code === 0 ? "" : `${result.stderr}\n${result.stdout}`.slice(-3000)]).toEqual([0, ""]);
    },
  );

  test.each(BLOCKS.filter((b) => b.kind === "output" && b.chain !== "preflight").map((b) => [b.chain, b.body] as [string, string]))("%s: prints what the page shows", (chain, body) => {
    const printed = `${output(chain)}\n${chain === "deploy" ? fs.readFileSync(path.join(workspaces.deploy, "deploy", "prod.md"), "utf8") : ""}`;
    for (const line of body.split("\n").filter((l) => l.trim() !== "")) expect(printed).toContain(line);
  });

  test("the preflight example: a bucket without versioning refuses the deploy, nothing applied, as the page shows", () => {
    const shown = BLOCKS.find((b) => b.kind === "output" && b.chain === "preflight")!.body.trim();
    expect(preflightRefusal.code).toBe(1);
    expect(preflightRefusal.stderr).toContain("wrote deploy/prod.md: ⛔ Not applied: verify --preflight finds something wrong (exit 1). Nothing was changed.");
    expect(shown).toBe("**⛔ Not applied: verify --preflight finds something wrong (exit 1). Nothing was changed.**");
    expect(preflightRefusal.stdout).not.toContain("Apply complete");
  });

  test("an offline plan is never applied: the deploy refuses it before anything else", () => {
    expect(offlineRefusal.code).toBe(1);
    expect(fs.readFileSync(path.join(workspaces.offline, "deploy", "prod.md"), "utf8")).toContain(
      "**⛔ Not applied: this is an offline plan (npm run plan -- --offline): it shows what the stack would create, never what to apply. Plan with credentials: npm run plan -- --env prod. Nothing was changed.**",
    );
  });

  test("the CDKTF CLI synthesizes through the app command, offline, with no [ERROR] line (CHECKPOINT_DISABLE=1)", () => {
    const [synth] = ran["cdktf-cli"];
    expect(`${synth.result.stdout}${synth.result.stderr}`).not.toContain("[ERROR]");
    expect(synth.result.stdout).toContain("Generated Terraform code for the stacks: prod");
    expect(fs.readdirSync(path.join(workspaces["cdktf-cli"], "cdktf.out", "stacks"))).toEqual(["prod"]);
  });

  test("the review the pages show is the one the offline chain's review writes today (npm run samples)", () => {
    const rendered = reviewBlocks(fs.readFileSync(path.join(workspaces.offline, "review", "prod.md"), "utf8"));
    const shown = readBlocks().filter((b) => b.command === "samples" && b.name in rendered);
    expect(shown.map((b) => b.name).sort()).toEqual(["sample-review", "sample-review-head"]);
    for (const b of shown) expect([b.page, b.name, b.body]).toEqual([b.page, b.name, ensureNewline(rendered[b.name])]);
  });

  test("the offline plan made no call: with a dead proxy and no credentials, it planned, and the review labels it", () => {
    const review = fs.readFileSync(path.join(workspaces.offline, "review", "prod.md"), "utf8");
    expect(review).toContain("_From an **offline** `terraform plan` (no credentials, no state)");
    expect(review).toContain("| 0 | 0 | 2 | 0 |");
    expect(review).toContain(`- adopts key ${KEY_ID} (not checked offline): \`aws_kms_key.mavik_data_key\``);
    // Its CLI config came from MAVIK_TF_PROVIDER_MIRROR, written beside the copy (never into ~).
    expect(fs.readFileSync(path.join(workspaces.offline, "cdktf.out", "offline", "prod", "terraform.tfrc"), "utf8")).toContain(`path    = ${JSON.stringify(mirror)}`);
  });

  test("the bootstrap's state moved into its bucket, at the bootstrap's own key: the local state's resources and outputs", () => {
    const object = path.join(s3Dir, STATE_BUCKET, "mavik-data-key-bootstrap", "167067248318-us-east-1", "terraform.tfstate._S3rver_object");
    const moved = JSON.parse(fs.readFileSync(object, "utf8"));
    const local = JSON.parse(fs.readFileSync(path.join(workspaces.bootstrap, "terraform.bootstrap-167067248318-us-east-1.tfstate"), "utf8"));
    expect(moved.resources.map((r: { type: string; name: string }) => `${r.type}.${r.name}`)).toEqual([`aws_s3_bucket.${STATE_BUCKET}`]);
    expect([moved.resources[0].instances[0].attributes, moved.outputs]).toEqual([local.resources[0].instances[0].attributes, local.outputs]);
    // And the stack now names that object as its backend, locked with a lockfile.
    const stack = JSON.parse(fs.readFileSync(path.join(workspaces.bootstrap, "cdktf.out", "stacks", "bootstrap-167067248318-us-east-1", "cdk.tf.json"), "utf8"));
    expect(stack.terraform.backend.s3).toEqual({ bucket: STATE_BUCKET, key: "mavik-data-key-bootstrap/167067248318-us-east-1/terraform.tfstate", region: "us-east-1", encrypt: true, use_lockfile: true });
  });

  test("the deploy applied the adoption through the S3 backend: the state in the bucket holds the live key, and each AWS write Terraform made is in the deploy role's policy", () => {
    const state = JSON.parse(fs.readFileSync(path.join(s3Dir, STATE_BUCKET, "mavik-data-key", "prod", "terraform.tfstate._S3rver_object"), "utf8"));
    expect(state.resources.map((r: { type: string; name: string }) => `${r.type}.${r.name}`)).toEqual(["aws_kms_alias.mavik_data_key", "aws_kms_key.mavik_data_key"]);
    expect(state.resources[1].instances[0].attributes.id).toBe(KEY_ID);
    const writes = wire.received.map((r) => `${r.service}:${r.operation}`).filter((a) => !["Read", "List", undefined].includes(actionAccessLevel(a)));
    expect(writes).toEqual(["kms:UpdateKeyDescription"]);
    const allowed = deployRolePolicy(loadEnvironments(path.join(REPO, "environments.json"))[0]).Statement.filter((s) => s.Effect === "Allow").flatMap((s) => s.Action);
    expect(writes.filter((w) => !allowed.includes(w))).toEqual([]);
    expect(DEPLOY_WRITES.aws_kms_key).toContain("kms:UpdateKeyDescription");
  });
});
