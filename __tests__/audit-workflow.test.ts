/**
 * The scheduled audit: its workflow read by GitHub's parser; the drift script with real Terraform
 * and the real AWS provider refreshing against the local KMS wire server (no drift; a policy
 * changed in the console); and the issue sync against recorded GitHub exchanges, all four paths.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadEnvironments } from "../app";
import { auditIssue, runAuditIssue } from "../cli/audit-issue";
import { auditRolePolicy } from "../cli/verify/audit-role";
import { CheckResult } from "../cli/verify/outcome";
import { AwsWire, emptyWorld, World } from "./support/aws-wire";
import { parseWorkflowFile, runScript } from "./support/processes";
import { ReplayServer } from "./support/replay-server";
import { REPO, SEED_POLICY, SHIPPED_CONFIG, synthApp } from "./support/synth";
import { aliasStateResource, keyStateResource, offlineCopy, stateFile, terraformAvailable, TerraformSandbox, TerraformWorkspace } from "./support/terraform";

const RECORDINGS = path.join(REPO, "__tests__", "fixtures", "github");
const NOW = new Date("2026-11-28T06:17:00Z");
const KEY_ARN = "arn:aws:kms:us-east-1:167067248318:key/cb424700-0dd0-4dcb-a77d-13af16579270";

// ---------------------------------------------------------------------------------------------
// The issue sync

const row = (check: string, status: CheckResult["status"], reason: string, target = "alias/mavik-data-kms-key"): CheckResult => ({ check, target, status, reason });
const CLEAN = { results: [row("key", "pass", "Enabled"), row("usage", "pass", "no events")], exitCode: 0 };
const BROKEN = { results: [row("alias", "fail", "targets 1111, not cb42 (existingKeyId)"), row("key", "pass", "Enabled")], exitCode: 1 };

function workspace(verify: object | null, driftLog = "Note: Objects have changed outside of Terraform\n~ policy = jsonencode(...)") {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-audit-"));
  if (verify !== null) fs.writeFileSync(path.join(dir, "prod.verify.json"), JSON.stringify({ environment: "prod", mode: "verify", ...verify }));
  fs.writeFileSync(path.join(dir, "prod.drift.log"), driftLog);
  return dir;
}

async function sync(recording: string, drift: string, verify: object | null) {
  const server = await ReplayServer.start(path.join(RECORDINGS, recording));
  const dir = workspace(verify);
  let stdout = "";
  let stderr = "";
  try {
    const env = { GITHUB_TOKEN: "ghs_test", GITHUB_REPOSITORY: "mavik/data-key", GITHUB_API_URL: server.url, GITHUB_SERVER_URL: "https://github.com", GITHUB_RUN_ID: "77" };
    const code = await runAuditIssue(
      ["--env", "prod", "--drift", drift, "--drift-log", path.join(dir, "prod.drift.log"), "--verify", path.join(dir, "prod.verify.json")],
      { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
      env,
      { retryDelays: [0, 0], now: NOW },
    );
    const sent = server.received.filter((r) => r.method !== "GET").map((r) => ({ method: r.method, path: r.path, body: JSON.parse(r.body) }));
    return { code, stdout, stderr, server, sent, dir };
  } finally {
    await server.close();
  }
}

describe("the audit issue, one per environment, found again by its label and marker", () => {
  test("open: drift and no open issue; staging's issue and a person's quote are not prod's", async () => {
    const result = await sync("audit-open.json", "yes", CLEAN);
    expect([result.code, result.stdout, result.stderr]).toEqual([0, "opened https://github.com/mavik/data-key/issues/12\n", ""]);
    expect(result.server.done).toBe(true);
    expect(result.sent).toHaveLength(1);
    expect(result.sent[0].body).toMatchObject({ title: "Data key audit: prod: drift", labels: ["data-key-audit"] });
    const body: string = result.sent[0].body.body;
    expect(body.startsWith("<!-- mavik-data-key-audit:prod -->\n## Data key audit: `prod`\n\n**⛔ Drift: objects of the stack changed outside Terraform**")).toBe(true);
    expect(body).toContain("<details><summary>terraform plan -refresh-only (its last 60 lines)</summary>\n\n```text\nNote: Objects have changed outside of Terraform");
    expect(body).toContain("### Data key verify: `prod`\n\n**0 wrong, 0 not checked, 2 passed** (exit 0).");
    expect(body.endsWith("_Checked 2026-11-28T06:17:00.000Z by [the audit run](https://github.com/mavik/data-key/actions/runs/77)._\n")).toBe(true);
  });

  test("update: still failing, the open issue (on the second page; a labelled pull request is not it) gets the new findings", async () => {
    const result = await sync("audit-update.json", "none", BROKEN);
    expect([result.code, result.stdout]).toEqual([0, "updated https://github.com/mavik/data-key/issues/11\n"]);
    expect(result.server.done).toBe(true);
    expect(result.sent.map((s) => [s.method, s.path])).toEqual([["PATCH", "/repos/mavik/data-key/issues/11"]]);
    expect(result.sent[0].body.title).toBe("Data key audit: prod: failed checks");
    expect(result.sent[0].body.body).toContain("| ⛔ | alias | `alias/mavik-data-kms-key` | targets 1111, not cb42 (existingKeyId) |");
    expect(result.sent[0].body.body).toContain("No drift: the state matches AWS");
  });

  test("close: clean again, a comment saying so, then closed as completed", async () => {
    const result = await sync("audit-close.json", "none", CLEAN);
    expect([result.code, result.stdout]).toEqual([0, "closed https://github.com/mavik/data-key/issues/11\n"]);
    expect(result.server.done).toBe(true);
    expect(result.sent).toEqual([
      {
        method: "POST",
        path: "/repos/mavik/data-key/issues/11/comments",
        body: { body: "prod is clean again: no drift, every verify check passed (2026-11-28T06:17:00.000Z, [the audit run](https://github.com/mavik/data-key/actions/runs/77)). Closing." },
      },
      { method: "PATCH", path: "/repos/mavik/data-key/issues/11", body: { state: "closed", state_reason: "completed" } },
    ]);
  });

  test("nothing to do: clean, and no issue open", async () => {
    const result = await sync("audit-nothing.json", "none", CLEAN);
    expect([result.code, result.stdout, result.sent]).toEqual([0, "nothing to do: prod is clean and has no open audit issue\n", []]);
    expect(result.server.done).toBe(true);
  });

  test("verify that wrote nothing is a problem too, never a clean run", () => {
    const { title, body } = auditIssue({ environment: "prod", drift: "none", verify: { missing: "audit/prod.verify.json cannot be read (ENOENT); see the run's log" } }, NOW);
    expect(title).toBe("Data key audit: prod: checks not run");
    expect(body).toContain("**❔ verify did not report: audit/prod.verify.json cannot be read (ENOENT); see the run's log.**");
  });

  test.each<[string, string[], string]>([
    ["an unknown drift state", ["--env", "prod", "--drift", "maybe", "--verify", "v.json"], 'error: --drift: "maybe" is not allowed. Expected none, yes or failed (what scripts/ci/drift.sh printed).\n'],
    ["no verify file named", ["--env", "prod", "--drift", "none"], "error: --verify: missing. The file npm run verify -- --json wrote (it may be missing when verify failed; the issue then says so).\n"],
    ["no environment", ["--drift", "none", "--verify", "v.json"], 'error: --env: "" is not allowed. Expected an environment name.\n'],
  ])("refused, exit 2: %s", async (_name, args, message) => {
    let stderr = "";
    const code = await runAuditIssue(args, { stdout: () => undefined, stderr: (t) => (stderr += t) }, { GITHUB_TOKEN: "t", GITHUB_REPOSITORY: "a/b" });
    expect([code, stderr]).toEqual([2, message]);
  });
});

// ---------------------------------------------------------------------------------------------
// The workflow file

describe("the audit workflow, as GitHub's parser reads it", () => {
  const text = fs.readFileSync(path.join(REPO, ".github", "workflows", "audit.yml"), "utf8");

  test("has no errors, runs daily and on demand, one job per environment, issues writable", async () => {
    const { errors, template } = await parseWorkflowFile("audit.yml", text);
    expect(errors).toEqual([]);
    const audit = template.jobs.find((j: any) => j.id.value === "audit");
    expect(audit.needs.map((n: any) => n.value)).toEqual(["environments"]);
    const steps = audit.steps.map((s: any) => ({ name: s.name?.value, if: s.if?.expr, run: s.run?.value }));
    const byName = (name: string) => steps.find((s: any) => s.name === name);
    expect(byName("Drift (terraform plan -refresh-only)").run).toBe('scripts/ci/drift.sh "$ENVIRONMENT" audit');
    expect(byName("Open, update or close the environment's audit issue").if).toBe("always()");
    expect(byName("Fail while something is wrong").if).toBe("always() && (steps.drift.outputs.drift != 'none' || steps.verify.outputs.exit != '0')");
    expect(text).toMatch(/schedule:\n\s+- cron: "17 6 \* \* \*"\n\s+workflow_dispatch:/);
    expect(text).toMatch(/id-token: write[^\n]*\n\s+issues: write/);
  });

  test("every npm script it runs exists", () => {
    const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).scripts);
    const used = [...text.matchAll(/npm run (?:--silent )?([a-z-]+)/g)].map((m) => m[1]);
    expect(used.length).toBeGreaterThanOrEqual(4);
    expect(used.filter((u) => !scripts.includes(u))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Drift with real Terraform, refreshing against the local KMS

const describeTerraform = terraformAvailable("drift with real terraform (audit)") ? describe : describe.skip;

describeTerraform("drift: terraform plan -refresh-only against KMS on the wire", () => {
  let sandbox: TerraformSandbox;
  let kms: AwsWire;
  const world = (policy: object): World =>
    emptyWorld({
      keys: [{ id: "cb424700-0dd0-4dcb-a77d-13af16579270", policy: JSON.stringify(policy, null, 2) }],
      aliases: [{ name: "alias/mavik-data-kms-key", targetKeyId: "cb424700-0dd0-4dcb-a77d-13af16579270" }],
    });
  const results: Record<string, { code: number; stdout: string; log: string; files: string[] }> = {};

  beforeAll(async () => {
    sandbox = new TerraformSandbox("drift");
    kms = await AwsWire.start(world(SEED_POLICY));
    const dir = path.join(sandbox.root, "prod");
    const stackDir = path.join(dir, "cdktf.out", "stacks", "prod");
    fs.mkdirSync(stackDir, { recursive: true });
    const copy = offlineCopy(synthApp(SHIPPED_CONFIG).json.prod);
    copy.provider.aws[0].endpoints = [{ kms: kms.url }];
    fs.writeFileSync(path.join(stackDir, "cdk.tf.json"), JSON.stringify(copy, null, 2));
    fs.writeFileSync(path.join(stackDir, "terraform.tfstate"), JSON.stringify(stateFile([keyStateResource(), aliasStateResource()])));
    // The state as a deploy leaves it: Terraform's own record of the key and alias, and the outputs.
    const ws = new TerraformWorkspace(stackDir, sandbox.env);
    await ws.ok(["init", "-input=false", "-no-color"]);
    await ws.ok(["apply", "-refresh-only", "-auto-approve", "-input=false", "-lock=false", "-no-color"]);
    const drift = async (name: string) => {
      const result = await runScript("drift.sh", ["prod", "audit"], dir, { ...sandbox.env, GITHUB_OUTPUT: "" });
      const audit = path.join(dir, "audit");
      results[name] = { code: result.code, stdout: result.stdout, log: fs.readFileSync(path.join(audit, "prod.drift.log"), "utf8"), files: fs.readdirSync(audit).sort() };
    };
    await drift("clean");
    // Then someone adds a statement in the console.
    kms.world.keys[0].policy = JSON.stringify(
      { ...SEED_POLICY, Statement: [...SEED_POLICY.Statement, { Sid: "Console edit", Effect: "Allow", Principal: { AWS: "arn:aws:iam::167067248318:user/intern" }, Action: "kms:Decrypt", Resource: "*" }] },
      null,
      2,
    );
    await drift("changed");
  }, 240_000);
  afterAll(async () => {
    await kms?.close();
    sandbox?.dispose();
  });

  // Terraform 1.11.4 exits 2 on this plan under -detailed-exitcode although it says "No changes"
  // (hashicorp/terraform#36403): the saved plan's resource_drift decides instead.
  test("the state matches KMS: drift=none, read from the saved plan", () => {
    expect(results.clean.code).toBe(0);
    expect(results.clean.log).toContain("No changes. Your infrastructure still matches the configuration.");
    expect(results.clean.stdout.trimEnd().split("\n").pop()).toBe("drift=none");
    expect(results.clean.files).toEqual(["prod.drift.json", "prod.drift.log"]);
  });

  test("a statement added in the console: drift=yes, and Terraform's log names the key's policy", () => {
    expect(results.changed.code).toBe(0);
    expect(results.changed.stdout.trimEnd().split("\n").pop()).toBe("drift=yes");
    expect(results.changed.log).toContain("Objects have changed outside of Terraform");
    expect(results.changed.log).toContain("aws_kms_key.mavik_data_key");
    expect(results.changed.log).toContain("Console edit");
    expect(results.changed.log).toContain("Changed outside Terraform:\n  update aws_kms_key.mavik_data_key\n");
  });

  test("the refresh read the key through KMS's API, read-only", () => {
    const operations = new Set(kms.received.map((r) => `${r.service}.${r.operation}`));
    expect([...operations].filter((o) => !/^kms\.(Describe|Get|List)/.test(o))).toEqual([]);
    expect([...operations]).toEqual(expect.arrayContaining(["kms.DescribeKey", "kms.GetKeyPolicy", "kms.ListAliases"]));
  });

  test("the audit role's policy allows every call the refresh made (measured, not assumed)", () => {
    const allowed = auditRolePolicy(loadEnvironments(SHIPPED_CONFIG)[0]).Statement.find((s) => s.Sid === "TerraformRefresh")!.Action;
    const made = [...new Set(kms.received.map((r) => `${r.service}:${r.operation}`))].sort();
    expect(made).toEqual(["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListResourceTags"]);
    expect(made.filter((a) => !allowed.includes(a))).toEqual([]);
  });
});

test("drift.sh without a synthesized stack: drift=failed, exit 0", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-drift-"));
  const result = await runScript("drift.sh", ["prod", "audit"], dir, { ...process.env, GITHUB_OUTPUT: "" });
  expect([result.code, result.stdout]).toEqual([0, "cdktf.out/stacks/prod/cdk.tf.json is missing: the app did not synthesize prod.\ndrift=failed\n"]);
});

test("verify's results render in the issue as they do for --markdown", () => {
  const { body } = auditIssue({ environment: "prod", drift: "none", verify: { results: [row("usage", "pass", "2 events", KEY_ARN)], exitCode: 0 } }, NOW);
  expect(body).toContain("<details><summary>1 passed</summary>");
});
