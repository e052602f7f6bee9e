/**
 * Deploy on merge, and one role per environment in every workflow: the three workflows read by
 * GitHub's parser (each environment's job assumes its own role in its own region, from the
 * matrix `npm run plan -- --matrix` prints, and the deploy job waits in its GitHub environment);
 * `npm run deploy`'s refusals on recorded GitHub exchanges: an unapproved run, and an approved one
 * whose real plan (Terraform refreshing against the KMS wire server) replaces a key, which the
 * review flags in bold: nothing applied, the result on the merged pull request. The applied path
 * runs in deploy-docs.test.ts (docs/deploy.md's commands).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runDeploy } from "../cli/deploy";
import { planStack, runPlan, PlanResult } from "../cli/plan";
import { AwsWire, emptyWorld } from "./support/aws-wire";
import { parseWorkflowFile } from "./support/processes";
import { ReplayServer } from "./support/replay-server";
import { REPO, SEED_POLICY, SHIPPED_CONFIG, synthApp } from "./support/synth";
import { aliasStateResource, keyStateResource, offlineCopy, stateFile, terraformAvailable, TerraformSandbox } from "./support/terraform";

const WORKFLOWS = path.join(REPO, ".github", "workflows");
const RECORDINGS = path.join(REPO, "__tests__", "fixtures", "github");
const SHA = "4f1c2d3e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d";
const SHIPPED = JSON.parse(fs.readFileSync(SHIPPED_CONFIG, "utf8"));
const TWO_ACCOUNTS = path.join(REPO, "__tests__", "fixtures", "environments.bootstrap.json");

interface Step {
  name?: string;
  if?: string;
  run?: string;
  uses?: string;
}

const stepsOf = (job: any): Step[] => job.steps.map((s: any) => ({ name: s.name?.value, if: s.if?.expr, run: s.run?.value, uses: s.uses?.value }));
const mapOf = (token: any) => Object.fromEntries((token?.map ?? []).map((e: any) => [e.key.value, e.value]));

describe("every workflow: each environment's job assumes that environment's role in that environment's region", () => {
  const role = { "pr-review.yml": ["review", "planRole"], "audit.yml": ["audit", "auditRole"], "deploy.yml": ["deploy", "deployRole"] } as const;

  test.each(Object.entries(role))("%s: the matrix is the environments file's, the credentials step names the matrix's role and region", async (file, [job, kind]) => {
    const { errors, template, document } = await parseWorkflowFile(file, fs.readFileSync(path.join(WORKFLOWS, file), "utf8"));
    expect(errors).toEqual([]);
    const list = template.jobs.find((j: any) => j.id.value === "environments");
    expect(stepsOf(list).find((s) => s.run?.includes("--matrix"))!.run).toMatch(/^echo "matrix=\$\(npm run --silent plan -- --matrix( --base "\$BASE")?\)" >> "\$GITHUB_OUTPUT"$/);
    const matrixJob = template.jobs.find((j: any) => j.id.value === job);
    expect(matrixJob.needs.map((n: any) => n.value)).toEqual(["environments"]);
    expect(mapOf(matrixJob.strategy).matrix.expr).toBe("fromJSON(needs.environments.outputs.matrix)");
    const credentials = document.jobs[job].steps.filter((s: Step) => s.uses === "aws-actions/configure-aws-credentials@v4");
    expect(credentials).toHaveLength(1);
    expect(credentials[0].with).toMatchObject({ "role-to-assume": `\${{ matrix.${kind} }}`, "aws-region": "${{ matrix.region }}" });
    // No role from a repository variable, no region written in.
    expect(fs.readFileSync(path.join(WORKFLOWS, file), "utf8")).not.toMatch(/vars\.MAVIK_|aws-region: [a-z]/);
  });

  test("two environments in two accounts get two roles in every workflow: the matrix each one reads", async () => {
    let stdout = "";
    expect(await runPlan(["--matrix"], { stdout: (t) => (stdout += t), stderr: () => undefined }, TWO_ACCOUNTS)).toBe(0);
    const { include } = JSON.parse(stdout);
    const assumed = (kind: string) => include.map((m: Record<string, string>) => [m.environment, m[kind], m.region]);
    expect(assumed("planRole")).toEqual([
      ["prod", "arn:aws:iam::167067248318:role/mavik-data-key-prod-plan", "us-east-1"],
      ["staging", "arn:aws:iam::210987654321:role/mavik-data-key-staging-plan", "us-west-2"],
      ["sandbox", "arn:aws:iam::210987654321:role/mavik-data-key-sandbox-plan", "eu-west-1"],
    ]);
    expect(assumed("deployRole").map((r: string[]) => r[1])).toEqual([
      "arn:aws:iam::167067248318:role/mavik-data-key-prod-deploy",
      "arn:aws:iam::210987654321:role/mavik-data-key-staging-deploy",
      "arn:aws:iam::210987654321:role/mavik-data-key-sandbox-deploy",
    ]);
    // sandbox names its own audit role.
    expect(assumed("auditRole").map((r: string[]) => r[1])).toEqual([
      "arn:aws:iam::167067248318:role/mavik-data-key-prod-audit",
      "arn:aws:iam::210987654321:role/mavik-data-key-staging-audit",
      "arn:aws:iam::210987654321:role/platform-auditor",
    ]);
    expect(include.map((m: Record<string, string>) => m.githubEnvironment)).toEqual(["data-key-prod", "data-key-staging", "data-key-sandbox"]);
  });

  test("a change whose environments file does not load: the matrix is the base's, so each environment still gets its review", async () => {
    const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mavik-matrix-")), "environments.json");
    fs.writeFileSync(broken, '{"environments": [');
    let stdout = "";
    let stderr = "";
    expect(await runPlan(["--matrix", "--base", SHIPPED_CONFIG], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, broken)).toBe(0);
    expect(JSON.parse(stdout).include.map((m: { environment: string }) => m.environment)).toEqual(["prod"]);
    expect(stderr).toBe("note: the environments file does not load; the matrix is the base's environments\n");
  });
});

describe("the deploy workflow, as GitHub's parser reads it", () => {
  const text = fs.readFileSync(path.join(WORKFLOWS, "deploy.yml"), "utf8");
  let template: any;
  let document: any;
  beforeAll(async () => {
    ({ template, document } = await parseWorkflowFile("deploy.yml", text));
  });

  test("runs on pushes to the default branch and on demand; each environment's job waits in its GitHub environment, one deploy of it at a time", () => {
    expect(text).toMatch(/\non:\n {2}push:\n {4}branches: \[main\]\n {2}workflow_dispatch:\n/);
    const deploy = template.jobs.find((j: any) => j.id.value === "deploy");
    expect(deploy.environment.expr).toBe("matrix.githubEnvironment");
    expect(mapOf(deploy.strategy)["fail-fast"].value).toBe(false);
    expect(mapOf(deploy.concurrency).group.expr).toBe("format('data-key-deploy-{0}', matrix.environment)");
    expect(mapOf(deploy.concurrency)["cancel-in-progress"].value).toBe(false);
  });

  test("the deploy job's token can read the run's approvals and comment, nothing more (no contents: write)", () => {
    expect(document.permissions).toEqual({ contents: "read" });
    expect(document.jobs.deploy.permissions).toEqual({ contents: "read", "id-token": "write", actions: "read", "pull-requests": "write" });
  });

  test("assume the deploy role, plan with the lock, then deploy: it refuses without approval, review or preflight, posts what happened", () => {
    const steps = stepsOf(template.jobs.find((j: any) => j.id.value === "deploy"));
    const byName = (name: string) => steps.find((s) => s.name === name)!;
    const order = ["Assume the deploy role (OIDC)", "terraform plan", "Deploy (review, preflight, apply, verify) and post the result", "Keep the plan's JSON and the report"];
    expect(steps.filter((s) => s.name && order.includes(s.name)).map((s) => s.name)).toEqual(order);
    expect(byName("terraform plan").run).toBe('npm run plan -- --env "$ENVIRONMENT" --out deploy-plans');
    const deploy = byName("Deploy (review, preflight, apply, verify) and post the result");
    expect(deploy.if).toBe("always()");
    expect(deploy.run).toContain('npm run --silent deploy -- --env "$ENVIRONMENT" --plans deploy-plans "${base[@]}" --require-approval --post');
    const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).scripts);
    expect([...text.matchAll(/npm run (?:--silent )?([a-z-]+)/g)].map((m) => m[1]).filter((s) => !scripts.includes(s))).toEqual([]);
  });

  test.each([
    ["an unclosed expression", "environment: ${{ matrix.githubEnvironment }}", "environment: ${{ matrix.githubEnvironment }", "The expression is not closed."],
    ["a need of a job that is not there", "needs: environments", "needs: environmnets", "Job 'deploy' depends on unknown job 'environmnets'."],
  ])("the parser does catch a broken deploy workflow: %s", async (_name, from, to, message) => {
    expect(text).toContain(from);
    const { errors } = await parseWorkflowFile("deploy.yml", text.replace(from, to));
    expect(errors.join("\n")).toContain(message);
  });
});

// ---------------------------------------------------------------------------------------------
// npm run deploy's refusals, on recorded GitHub exchanges

function github(server: ReplayServer, run: string, summary: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GITHUB_TOKEN: "ghs_test",
    GITHUB_REPOSITORY: "mavik/data-key",
    GITHUB_API_URL: server.url,
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_RUN_ID: run,
    GITHUB_SHA: SHA,
    GITHUB_STEP_SUMMARY: summary,
  };
}

test("no approval of the environment's GitHub environment in the run (rejected for prod, approved for another): refused before anything else, said where the run's summary is", async () => {
  const server = await ReplayServer.start(path.join(RECORDINGS, "deploy-unapproved.json"));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-deploy-unapproved-"));
  let stdout = "";
  let stderr = "";
  try {
    const summary = path.join(dir, "summary.md");
    const code = await runDeploy(
      ["--env", "prod", "--plans", path.join(dir, "plans"), "--out", path.join(dir, "deploy"), "--require-approval", "--post"],
      { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: github(server, "4243", summary), retryDelays: [0, 0] },
      SHIPPED_CONFIG,
    );
    expect([code, server.done, server.unexpected]).toEqual([1, true, []]);
    const report = fs.readFileSync(path.join(dir, "deploy", "prod.md"), "utf8");
    expect(report).toBe(
      "<!-- mavik-data-key-deploy:prod -->\n## Data key deploy: `prod`\n\n" +
        "**⛔ Not applied: no approval of the GitHub environment data-key-prod in this run (2 review(s) recorded). Give data-key-prod a required reviewer (Settings → Environments) and approve the run. Nothing was changed.**\n\n" +
        `_[The deploy run](https://github.com/mavik/data-key/actions/runs/4243) of ${SHA.slice(0, 12)}._\n`,
    );
    expect(fs.readFileSync(summary, "utf8")).toBe(report);
    expect(stdout).toBe(`no pull request was merged as ${SHA.slice(0, 12)}: the prod report is in the run's summary\n`);
    expect(stderr).toContain("wrote ");
  } finally {
    await server.close();
  }
});

const describeTerraform = terraformAvailable("deploy refusals with real terraform") ? describe : describe.skip;

describeTerraform("an approved deploy whose real plan replaces a key: refused, nothing applied, posted on the merged pull request", () => {
  const SANDBOX_KEY = "5e0c8a91-1f2d-4c3b-9a8e-7d6c5b4a3f21";
  const sandboxEnv = {
    ...SHIPPED.environments[0],
    name: "sandbox",
    alias: "alias/mavik-sandbox-key",
    existingKeyId: undefined,
    allowDestroy: true,
    deployer: undefined,
  };
  let sandbox: TerraformSandbox;
  let wire: AwsWire;
  let server: ReplayServer;
  let planned: PlanResult;
  let code: number;
  let stdout = "";
  let dir: string;
  let stateBefore: string;

  beforeAll(async () => {
    sandbox = new TerraformSandbox("deploy-refused");
    dir = sandbox.root;
    const config = path.join(dir, "environments.json");
    fs.writeFileSync(config, JSON.stringify({ environments: [SHIPPED.environments[0], sandboxEnv] }));
    // The live key is RSA; the configuration asks for SYMMETRIC_DEFAULT: Terraform must replace it.
    const arn = `arn:aws:kms:us-east-1:167067248318:key/${SANDBOX_KEY}`;
    wire = await AwsWire.start(emptyWorld({ keys: [{ id: SANDBOX_KEY, spec: "RSA_2048", policy: JSON.stringify(SEED_POLICY) }], aliases: [{ name: "alias/mavik-sandbox-key", targetKeyId: SANDBOX_KEY }] }));
    const stackDir = path.join(dir, "cdktf.out", "stacks", "sandbox");
    fs.mkdirSync(stackDir, { recursive: true });
    const copy = offlineCopy(synthApp(config, "sandbox").json.sandbox);
    copy.provider.aws[0].endpoints = [{ kms: wire.url }];
    fs.writeFileSync(path.join(stackDir, "cdk.tf.json"), JSON.stringify(copy, null, 2));
    const alias = aliasStateResource("alias/mavik-sandbox-key") as { instances: { attributes: Record<string, unknown> }[] };
    alias.instances[0].attributes = { ...alias.instances[0].attributes, target_key_id: SANDBOX_KEY, target_key_arn: arn };
    stateBefore = JSON.stringify(stateFile([keyStateResource({ id: SANDBOX_KEY, key_id: SANDBOX_KEY, arn, customer_master_key_spec: "RSA_2048", policy: JSON.stringify(SEED_POLICY) }), alias]));
    fs.writeFileSync(path.join(stackDir, "terraform.tfstate"), stateBefore);
    const quiet = { stdout: () => undefined, stderr: () => undefined };
    planned = await planStack({ name: "sandbox", outdir: path.join(dir, "cdktf.out"), out: path.join(dir, "plans"), offline: false, lock: false }, { ...quiet, env: sandbox.env });
    server = await ReplayServer.start(path.join(RECORDINGS, "deploy-refused.json"));
    code = await runDeploy(
      ["--env", "sandbox", "--plans", path.join(dir, "plans"), "--outdir", path.join(dir, "cdktf.out"), "--out", path.join(dir, "deploy"), "--require-approval", "--post", "--endpoint-url", wire.url],
      { stdout: (t) => (stdout += t), stderr: () => undefined, env: { ...sandbox.env, ...github(server, "4242", path.join(dir, "summary.md")) }, retryDelays: [0, 0] },
      config,
    );
  }, 240_000);
  afterAll(async () => {
    await server?.close();
    await wire?.close();
    sandbox?.dispose();
  });

  test("Terraform planned the replacement (allowDestroy lifts prevent_destroy): the saved plan exists", () => {
    expect(planned).toMatchObject({ status: "planned", changes: true, counts: { add: 1, destroy: 1 } });
    expect(fs.existsSync(planned.tfplan!)).toBe(true);
  });

  test("the deploy refuses it, as the review flags it in bold; nothing applied: no write reached KMS, the state is as it was", () => {
    expect(code).toBe(1);
    const report = fs.readFileSync(path.join(dir, "deploy", "sandbox.md"), "utf8");
    expect(report).toContain("**⛔ Not applied: the review of this plan finds an error (what it shows in bold). Nothing was changed.**");
    expect(report).toContain("- This change would REPLACE the data key `aws_kms_key.mavik_data_key`. Every byte encrypted under it would be lost.\n");
    expect(fs.readFileSync(path.join(dir, "cdktf.out", "stacks", "sandbox", "terraform.tfstate"), "utf8")).toBe(stateBefore);
    expect(wire.received.filter((r) => !/^(Describe|Get|List)/.test(r.operation))).toEqual([]);
    expect(fs.existsSync(path.join(dir, "plans", "sandbox.apply.log"))).toBe(false);
  });

  test("the approval was read from GitHub and the result posted on the pull request merged as the commit (#31, not #29 that contains it)", () => {
    expect([server.done, server.unexpected]).toEqual([true, []]);
    const post = server.received.find((r) => r.method === "POST")!;
    expect(post.path).toBe("/repos/mavik/data-key/issues/31/comments");
    expect(JSON.parse(post.body).body).toBe(fs.readFileSync(path.join(dir, "deploy", "sandbox.md"), "utf8"));
    expect(stdout).toBe("posted https://github.com/mavik/data-key/pull/31#issuecomment-9001\n");
  });
});
