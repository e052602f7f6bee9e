import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runReview } from "../cli/review";
import { boundResources, summarizeSynthesized } from "../modules";
import { REPO, SHIPPED_CONFIG, synthApp } from "./support/synth";
import { offlineCopy, stateWithKey, terraformAvailable, TerraformSandbox } from "./support/terraform";

const RESOURCES_CONFIG = path.join(REPO, "__tests__", "fixtures", "environments.resources.json");

/** Runs the review command in-process with its own output folders; returns code and output. */
function review(args: string[], configFile = SHIPPED_CONFIG) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-review-"));
  let stdout = "";
  let stderr = "";
  const code = runReview(["--out", path.join(dir, "review"), "--outdir", path.join(dir, "out"), ...args], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, configFile);
  const report = (env: string) => fs.readFileSync(path.join(dir, "review", `${env}.md`), "utf8");
  return { code, stdout, stderr, report, dir };
}

describe("the review of the seed's environment", () => {
  const result = review([]);
  const md = result.report("prod");

  test("exits 0: warnings and infos only", () => {
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("wrote ");
  });

  test("is one comment per environment, found again by its marker", () => {
    expect(md.startsWith("<!-- mavik-data-key-review:prod -->\n## Data key review: `prod`")).toBe(true);
  });

  test("names the seed's principals in the access matrix", () => {
    for (const principal of [
      "arn:aws:iam::167067248318:user/mavik-developer",
      "arn:aws:iam::167067248318:user/mavik-deployer",
      "arn:aws:iam::167067248318:role/ecsTaskExecutionRole",
      "arn:aws:iam::167067248318:role/MavikLambdaRole",
      "s3.amazonaws.com",
    ]) {
      expect(md).toContain(`| \`${principal}\` |`);
    }
    expect(md).toContain("| `a principal of another account` | denied (KMS refuses it across accounts) | denied | denied | denied |");
  });

  test("carries the rule-2 warning on the seed's service-principal statement", () => {
    expect(md).toContain('- **warning** `service-principal-source`: policy.Statement[4] ("Allow AWS Managed Services To Use Key") allows dynamodb.amazonaws.com');
  });

  test("without a plan, summarizes the synthesized configuration and says so", () => {
    expect(md).toContain("| 0 | 0 | 2 | 0 |");
    expect(md).toContain("_From the synthesized configuration (no plan was available)");
  });

  test("--json prints the same data for machines", () => {
    const json = JSON.parse(review(["--json"]).stdout);
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ environment: "prod", accountId: "167067248318", plan: { source: "synthesized configuration", import: 2 } });
    expect(json[0].findings.map((f: { rule: string }) => f.rule)).toEqual(["service-principal-source", "admin-self-grant", "admin-self-grant"]);
  });
});

describe("bound resources and the synthesized summary", () => {
  const stack = synthApp(RESOURCES_CONFIG).json.ssot;
  test("every resource bound to the key, new or adopted, in the synthesized (sorted) order", () => {
    expect(boundResources(stack)).toEqual([
      { service: "s3", name: "mavik-ssot-files", address: "aws_s3_bucket_server_side_encryption_configuration.mavik-ssot-files", existing: false },
      { service: "s3", name: "mavik-ssot-legacy-exports", address: "aws_s3_bucket_server_side_encryption_configuration.mavik-ssot-legacy-exports", existing: true },
      { service: "dynamodb", name: "mavik-ssot-audit", address: "aws_dynamodb_table.mavik-ssot-audit", existing: true },
      { service: "dynamodb", name: "mavik-ssot-records", address: "aws_dynamodb_table.mavik-ssot-records", existing: false },
      { service: "secretsmanager", name: "mavik/ssot/api-token", address: "aws_secretsmanager_secret.mavik_ssot_api-token", existing: false },
      { service: "secretsmanager", name: "mavik/ssot/db", address: "aws_secretsmanager_secret.mavik_ssot_db", existing: true },
      { service: "lambda", name: "mavik-ssot-api", address: "aws_lambda_function.mavik-ssot-api", existing: false },
      { service: "lambda", name: "mavik-ssot-sync", address: "aws_lambda_function.mavik-ssot-sync", existing: true },
    ]);
  });
  test("counts imports apart from additions", () => {
    // 11 resources (key, alias, a bucket, two bucket encryptions, two tables, two secrets, two functions), 5 imported.
    expect(summarizeSynthesized(stack)).toEqual({ source: "synthesized configuration", add: 6, change: 0, import: 5, destroy: 0 });
  });
});

describe("bad input to the command: a clear error and exit code 2", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-review-bad-"));
  const notAPlan = path.join(dir, "not-a-plan.json");
  fs.writeFileSync(notAPlan, JSON.stringify({ hello: "world" }));

  test.each<[string, string[], string]>([
    ["an unknown environment", ["--env", "qa"], 'error: --env: "qa" is not allowed. Known environments: prod.\n'],
    [
      "an unreadable plan file",
      ["--plan", `prod=${path.join(dir, "missing.json")}`],
      `error: --plan: ${JSON.stringify(path.join(dir, "missing.json"))} cannot be read: ENOENT: no such file or directory, open '${path.join(dir, "missing.json")}'\n`,
    ],
    ["a file that is not a plan", ["--plan", `prod=${notAPlan}`], `error: --plan: ${JSON.stringify(notAPlan)} is not the JSON of \`terraform show -json <plan>\` (no format_version).\n`],
    ["a plan for an environment not reviewed", ["--plan", `qa=${notAPlan}`], 'error: --plan: "qa" is not allowed. It is not a reviewed environment (prod).\n'],
    ["a plan without an environment", ["--plan", notAPlan], `error: --plan: ${JSON.stringify(notAPlan)} is not allowed. Expected <environment>=<file from terraform show -json>.\n`],
  ])("%s", (_name, args, message) => {
    const result = review(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(message);
  });

  test("an unknown option", () => {
    const result = review(["--planfile", "x"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: Unknown option '--planfile'/);
  });

  test("the command users type exits 2 too (npm run review, through scripts/run.js)", () => {
    const run = spawnSync(process.execPath, [path.join(REPO, "scripts", "run.js"), "review", "--env", "qa", "--out", path.join(dir, "r")], { cwd: REPO, encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('error: --env: "qa" is not allowed. Known environments: prod.\n');
  });
});

const describeTerraform = terraformAvailable("review with real terraform plans") ? describe : describe.skip;

describeTerraform("the review of real terraform plans", () => {
  let sandbox: TerraformSandbox;
  afterAll(() => sandbox?.dispose());

  /** A real plan: the stack's offline copy, optionally over a state, through terraform show -json. */
  async function planFile(name: string, stack: Record<string, any>, state?: object, change?: (copy: any) => void): Promise<string> {
    const copy = offlineCopy(stack);
    change?.(copy);
    const ws = sandbox.workspace(name, copy);
    await ws.init();
    if (state) ws.writeState(state);
    const file = path.join(ws.dir, "plan.json");
    fs.writeFileSync(file, JSON.stringify(await ws.plan("plan.bin", ["-refresh=false"])));
    return file;
  }
  // Both plans at once: each is a few seconds of the provider's CPU.
  let resourcesPlan: string;
  let replacePlan: string;
  beforeAll(async () => {
    sandbox = new TerraformSandbox("review");
    // Only a key without prevent_destroy can be planned for replacement at all; the state holds
    // an RSA key, the configuration a symmetric one: customer_master_key_spec forces a new key.
    const state = stateWithKey({ customer_master_key_spec: "RSA_2048" });
    [resourcesPlan, replacePlan] = await Promise.all([
      planFile("resources", synthApp(RESOURCES_CONFIG).json.ssot),
      planFile("replace", synthApp(SHIPPED_CONFIG).json.prod, state, (copy) => (copy.resource.aws_kms_key.mavik_data_key.lifecycle.prevent_destroy = false)),
    ]);
  });

  test("the plan summary comes from terraform plan", () => {
    const result = review(["--plan", `ssot=${resourcesPlan}`], RESOURCES_CONFIG);
    expect(result.code).toBe(0);
    const md = result.report("ssot");
    expect(md).toContain("| 11 | 0 | 0 | 0 |");
    expect(md).toContain("_From `terraform plan`._");
    expect(md).not.toContain("⚠");
  });

  test("a plan that would replace the key leads the report in bold, and exits 1", () => {
    const result = review(["--plan", `prod=${replacePlan}`]);
    expect(result.code).toBe(1);
    expect(result.report("prod").split("\n")[1]).toBe(
      "**⚠ This change would REPLACE the data key `aws_kms_key.mavik_data_key`. Every byte encrypted under it would be lost. Do not merge.**",
    );
    expect(result.stderr).toContain("(!! the plan would replace the data key)");
  });
});
