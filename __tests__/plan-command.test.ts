/**
 * `npm run plan` and `npm run deploy` where Terraform never runs: the offline copy of a stack,
 * every bad input refused with its message (exit 2), and the deploy's refusals that need no plan
 * to be made (a missing or mismatched saved plan). The plans themselves run in
 * deploy-docs.test.ts, deploy-workflow.test.ts and, through scripts/ci/plan.sh, review.test.ts.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runDeploy } from "../cli/deploy";
import { offlineConfig, runPlan } from "../cli/plan";
import { findProviderMirror, mirrorCandidates } from "../cli/provider-mirror";
import { OFFLINE_OUTPUT } from "../cli/review/plan";
import { SHIPPED_CONFIG, synthApp } from "./support/synth";

const io = () => {
  const out = { stdout: "", stderr: "" };
  return { out, io: { stdout: (t: string) => (out.stdout += t), stderr: (t: string) => (out.stderr += t) } };
};

describe("the offline copy of a stack", () => {
  const stack = synthApp(SHIPPED_CONFIG).json.prod;
  const { config, adopts } = offlineConfig(stack);

  test("no backend, no import blocks (each reported), the provider's checks skipped and its account pin dropped, the rest as synthesized", () => {
    expect(config.terraform.backend).toBeUndefined();
    expect(config.import).toBeUndefined();
    expect(adopts.map((a) => a.text)).toEqual([
      "adopts key cb424700-0dd0-4dcb-a77d-13af16579270 (not checked offline): aws_kms_key.mavik_data_key",
      "adopts alias alias/mavik-data-kms-key (not checked offline): aws_kms_alias.mavik_data_key",
    ]);
    expect(config.provider.aws).toEqual([
      { region: "us-east-1", access_key: "offline-plan", secret_key: "offline-plan", skip_credentials_validation: true, skip_requesting_account_id: true, skip_metadata_api_check: true },
    ]);
    expect(config.resource).toEqual(stack.resource);
    expect(config.output[OFFLINE_OUTPUT].value).toEqual({
      adopts: [
        { address: "aws_kms_key.mavik_data_key", id: "cb424700-0dd0-4dcb-a77d-13af16579270" },
        { address: "aws_kms_alias.mavik_data_key", id: "alias/mavik-data-kms-key" },
      ],
    });
    // The stack itself is untouched.
    expect(stack.import).toHaveLength(2);
  });

  test("a stack that reads a data source at plan is refused offline, naming it", () => {
    const reading = { ...stack, data: { aws_kms_alias: { other: { name: "alias/x" } } } };
    expect(() => offlineConfig(reading)).toThrow(
      "--offline: the stack reads data.aws_kms_alias.other when it plans (AWS, or another state); an offline plan cannot show it. Plan it with credentials.",
    );
  });
});

describe("npm run plan: bad input, exit 2, nothing run", () => {
  const mirror = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-no-mirror-"));
  test.each<[string, string[], string]>([
    ["neither --env nor --stack", [], "error: give one of --env <environment> or --stack <stack>.\n"],
    ["both", ["--env", "prod", "--stack", "prod"], "error: give one of --env <environment> or --stack <stack>.\n"],
    ["an unknown environment", ["--env", "qa"], 'error: --env: "qa" is not allowed. Known environments: prod.\n'],
    ["a stack name with a path in it", ["--stack", "../prod"], 'error: --stack: "../prod" is not allowed. Expected a stack name.\n'],
    ["a mirror for a real plan", ["--env", "prod", "--provider-mirror", mirror], "error: --provider-mirror goes with --offline (a real plan uses your Terraform configuration).\n"],
    [
      "a mirror without hashicorp/aws",
      ["--env", "prod", "--offline", "--provider-mirror", mirror],
      `error: --provider-mirror: ${JSON.stringify(mirror)} is not allowed. It holds no registry.terraform.io/hashicorp/aws (a filesystem mirror, as terraform providers mirror writes one).\n`,
    ],
    ["--matrix with an environment", ["--matrix", "--env", "prod"], "error: --matrix lists every environment; give it no --env or --stack.\n"],
    ["--base without --matrix", ["--env", "prod", "--base", "origin/main"], "error: --base goes with --matrix.\n"],
    ["an unknown option", ["--env", "prod", "--destroy"], expect.stringMatching(/^error: Unknown option '--destroy'/) as unknown as string],
  ])("%s", async (_name, args, message) => {
    const { out, io: commandIo } = io();
    expect(await runPlan(args, { ...commandIo, env: { PATH: process.env.PATH } }, SHIPPED_CONFIG)).toBe(2);
    expect(out.stderr).toEqual(message);
  });
});

describe("where an offline plan's provider comes from", () => {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "mavik-mirror-"));
  const mirrorAt = (dir: string, version: string) => fs.mkdirSync(path.join(dir, "registry.terraform.io", "hashicorp", "aws", version, "linux_amd64"), { recursive: true });

  test("MAVIK_TF_PROVIDER_MIRROR first, then /opt/tf-plugins, then Terraform's implied mirror directories", () => {
    const home = tmp();
    expect(mirrorCandidates({ MAVIK_TF_PROVIDER_MIRROR: "/m", XDG_DATA_HOME: "/xdg", XDG_DATA_DIRS: "/a:/b" })).toEqual([
      "/m",
      "/opt/tf-plugins",
      path.join(os.homedir(), ".terraform.d", "plugins"),
      "/xdg/terraform/plugins",
      "/a/terraform/plugins",
      "/b/terraform/plugins",
    ]);
    mirrorAt(path.join(home, "terraform", "plugins"), "0.0.7");
    expect(findProviderMirror("0.0.7", { XDG_DATA_HOME: home, XDG_DATA_DIRS: home })).toBe(path.join(home, "terraform", "plugins"));
    const given = tmp();
    mirrorAt(given, "0.0.7");
    expect(findProviderMirror("0.0.7", { MAVIK_TF_PROVIDER_MIRROR: given, XDG_DATA_HOME: home })).toBe(given);
    expect(findProviderMirror("0.0.8", { XDG_DATA_HOME: home, XDG_DATA_DIRS: home })).toBeUndefined();
  });

  test("no local mirror and no registry: the plan fails saying what to give, not only Terraform's registry error", async () => {
    const dir = tmp();
    const stackDir = path.join(dir, "cdktf.out", "stacks", "lonely");
    fs.mkdirSync(stackDir, { recursive: true });
    // A provider version no mirror holds, and a registry behind a proxy that refuses: Terraform
    // fails at init in milliseconds, without loading a provider.
    fs.writeFileSync(path.join(stackDir, "cdk.tf.json"), JSON.stringify({ terraform: { required_providers: { aws: { source: "aws", version: "0.0.1" } } }, provider: { aws: [{ region: "us-east-1" }] } }));
    const cliConfig = path.join(dir, "empty.tfrc");
    fs.writeFileSync(cliConfig, "");
    const env = { PATH: process.env.PATH, HOME: dir, XDG_DATA_HOME: dir, XDG_DATA_DIRS: dir, HTTPS_PROXY: "http://127.0.0.1:9", TF_CLI_CONFIG_FILE: cliConfig };
    const { out, io: commandIo } = io();
    const args = ["--stack", "lonely", "--offline", "--no-synth", "--outdir", path.join(dir, "cdktf.out"), "--out", path.join(dir, "plans")];
    expect(await runPlan(args, { ...commandIo, env }, SHIPPED_CONFIG)).toBe(1);
    expect(out.stdout).toContain("could not connect to registry.terraform.io");
    expect(out.stdout).toContain(
      "hashicorp/aws is in no local mirror and the registry cannot be reached. Give a filesystem mirror (--provider-mirror <dir> or MAVIK_TF_PROVIDER_MIRROR; " +
        `\`terraform providers mirror <dir>\` makes one on a machine with a network). Searched: ${mirrorCandidates(env).join(", ")}.\n`,
    );
  });
});

describe("npm run deploy: what it refuses before Terraform", () => {
  const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), "mavik-deploy-"));
  const deploy = async (plans: string, extra: string[] = []) => {
    const { out, io: commandIo } = io();
    const report = path.join(plans, "..", "report");
    const code = await runDeploy(["--env", "prod", "--plans", plans, "--out", report, ...extra], { ...commandIo, env: { PATH: process.env.PATH } }, SHIPPED_CONFIG);
    return { code, out, report: fs.readFileSync(path.join(report, "prod.md"), "utf8") };
  };

  test("no saved plan: refused, exit 1, the report says to plan first", async () => {
    const plans = path.join(dir(), "plans");
    const result = await deploy(plans);
    expect(result.code).toBe(1);
    expect(result.report).toContain(`**⛔ Not applied: there is no saved plan to apply (${path.join(plans, "prod.tfplan")}, ${path.join(plans, "prod.json")}, ${path.join(plans, "prod.digest.json")} missing): run npm run plan -- --env prod first. Nothing was changed.**`);
  });

  test("a plan that failed: refused, its output in the report, prevent_destroy named", async () => {
    const plans = path.join(dir(), "plans");
    fs.mkdirSync(plans);
    fs.writeFileSync(path.join(plans, "prod.log"), "Error: Instance cannot be destroyed\n\n  on cdk.tf.json line 42:\n");
    const result = await deploy(plans);
    expect(result.code).toBe(1);
    expect(result.report).toContain("**⛔ Not applied: terraform plan failed. Terraform refused it (lifecycle.prevent_destroy: the plan would destroy or replace a key). Nothing was changed.**");
    expect(result.report).toContain("```text\nError: Instance cannot be destroyed\n");
  });

  test("a saved plan that is not the one its JSON shows: refused", async () => {
    const plans = path.join(dir(), "plans");
    fs.mkdirSync(plans);
    fs.writeFileSync(path.join(plans, "prod.tfplan"), "a plan");
    fs.writeFileSync(path.join(plans, "prod.json"), "{}");
    fs.writeFileSync(path.join(plans, "prod.digest.json"), JSON.stringify({ tfplan: "0".repeat(64), json: "0".repeat(64) }));
    const result = await deploy(plans);
    expect(result.code).toBe(1);
    expect(result.report).toContain(`is not the plan ${path.join(plans, "prod.json")} shows (${path.join(plans, "prod.digest.json")} holds other hashes): plan again with npm run plan -- --env prod. Nothing was changed.**`);
  });

  test.each<[string, string[], NodeJS.ProcessEnv, string]>([
    ["no environment", [], {}, "error: --env: missing. Which environment? npm run deploy -- --env <name>\n"],
    [
      "a list of environments (deploy applies one saved plan a run)",
      ["--env", "prod,staging"],
      {},
      'error: --env: "prod,staging" is not allowed. deploy applies one environment\'s saved plan a run: name one, and run deploy once for each (the deploy workflow runs a job per environment).\n',
    ],
    ["--require-approval outside GitHub Actions", ["--env", "prod", "--require-approval"], {}, "error: GITHUB_TOKEN is not set. The workflow passes it: env: GITHUB_TOKEN: ${{ github.token }}.\n"],
  ])("bad input: %s, exit 2", async (_name, args, env, message) => {
    const { out, io: commandIo } = io();
    expect(await runDeploy(args, { ...commandIo, env: { PATH: process.env.PATH, ...env } }, SHIPPED_CONFIG)).toBe(2);
    expect(out.stderr).toBe(message);
  });
});
