/**
 * The pull-request review: from the synthesized stack alone, and from real Terraform plans made
 * offline against hand-written states holding the live key (a policy change with every flag, a
 * destroy and a replace with allowDestroy, a plan prevent_destroy refuses); every bad input with
 * its message and exit code.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runReview, USAGE } from "../cli/review";
import { boundResources, summarizeSynthesized } from "../cli/review/report";
import { EnvironmentConfig, stackIdentity } from "../app";
import { runScript } from "./support/processes";
import { REPO, SEED_POLICY, SHIPPED_CONFIG, synthApp } from "./support/synth";
import { aliasStateResource, keyStateResource, offlineCopy, StateResource, stateFile, terraformAvailable, TerraformSandbox } from "./support/terraform";

const RESOURCES_CONFIG = path.join(REPO, "__tests__", "fixtures", "environments.resources.json");

/** The data key's change in a plan, and its index (the plan sorts resource changes by address). */
const KEY_INDEX = 1;
const keyChange = (plan: any) => {
  expect(plan.resource_changes[KEY_INDEX].address).toBe("aws_kms_key.mavik_data_key");
  return plan.resource_changes[KEY_INDEX];
};
/** What JSON.parse says of `text` (the wording is Node's). */
const jsonError = (text: string) => {
  try {
    JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`${text} is JSON`);
};
const SHIPPED: EnvironmentConfig = JSON.parse(fs.readFileSync(SHIPPED_CONFIG, "utf8")).environments[0];

/** An environments file holding `environments`, in a fresh temp directory. */
function configWith(...environments: EnvironmentConfig[]): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mavik-review-config-")), "environments.json");
  fs.writeFileSync(file, JSON.stringify({ environments }, null, 2));
  return file;
}

/** Runs the review command in-process with its own output folders; returns code and output. */
function review(args: string[], configFile = SHIPPED_CONFIG) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-review-"));
  let stdout = "";
  let stderr = "";
  const code = runReview(["--out", path.join(dir, "review"), "--outdir", path.join(dir, "out"), ...args], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, configFile);
  const report = (env: string) => fs.readFileSync(path.join(dir, "review", `${env}.md`), "utf8");
  return { code, stdout, stderr, report, dir };
}

/** A plan JSON file written from an object. */
function planFile(plan: unknown): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mavik-review-plan-")), "plan.json");
  fs.writeFileSync(file, JSON.stringify(plan));
  return file;
}

describe("the review of the seed's environment, without a plan", () => {
  const result = review([]);
  const md = result.report("prod");

  test("exits 0: warnings and infos only", () => {
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`wrote ${path.join(result.dir, "review", "prod.md")}\n`);
  });

  test("is one comment per environment, found again by its marker", () => {
    expect(md.startsWith("<!-- mavik-data-key-review:prod -->\n## Data key review: `prod`\n\n`alias/mavik-data-kms-key` in account 167067248318, us-east-1.")).toBe(true);
  });

  test("folds the whole matrix away, with one legend, the statements as S1 … and short principals", () => {
    const matrix = md.slice(md.indexOf("<details><summary>Who can use the key (the whole matrix)</summary>"));
    expect(matrix).toContain("| principal | administer | encrypt / decrypt | grants for AWS resources | grants to any grantee | describe |");
    expect(matrix).toContain("| `role/MavikLambdaRole` | IAM S1 | **allowed** S3 | **allowed** S4 | IAM S1 | **allowed** S3 |");
    // The seed's administrators hold kms:Create*, so they may grant the key to anyone they name.
    expect(matrix).toContain("| `user/mavik-deployer` | **allowed** S2 | IAM S1 | **allowed** S2 | **allowed** S2 | **allowed** S2 |");
    expect(matrix).toContain("| `a principal of another account` | — (cross-account) | — | — | — | — |");
    expect(matrix).toContain(
      [
        "- S1 “Enable IAM User Permissions”",
        "- S2 “Allow access for Key Administrators”",
        "- S3 “Allow use of the key”",
        "- S4 “Allow attachment of persistent resources”",
        "- S5 “Allow AWS Managed Services To Use Key”",
      ].join("\n"),
    );
    expect(matrix.trimEnd().endsWith("</details>")).toBe(true);
    expect(md.match(/\*\*allowed\*\*: by the key policy alone/g)).toHaveLength(1);
  });

  test("no line is longer than 200 characters, findings aside", () => {
    const long = md.split("\n").filter((l) => l.length > 200 && !l.startsWith("- **"));
    expect(long).toEqual([]);
  });

  test("carries the rule-2 warning on the seed's service-principal statement", () => {
    expect(md).toContain('- **warning** `service-principal-source`: policy.Statement[4] ("Allow AWS Managed Services To Use Key") allows dynamodb.amazonaws.com');
  });

  test("without a plan, summarizes the synthesized configuration and says so", () => {
    // The key and the alias are both imported: nothing to add.
    expect(md).toContain("| 0 | 0 | 2 | 0 |");
    expect(md).toContain("_From the synthesized configuration (no plan)");
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

describe("input the review refuses: a clear message and exit code 2", () => {
  test("--help prints the usage and exits 0", () => {
    const result = review(["--help"]);
    expect([result.code, result.stdout, result.stderr]).toEqual([0, `${USAGE}\n`, ""]);
  });
  test.each<[string, string[], string]>([
    ["an unknown environment", ["--env", "qa"], 'error: --env: "qa" is not allowed. Known environments: prod.\n'],
    ["a plan for an environment not reviewed", ["--plan", "staging=plan.json"], 'error: --plan: "staging" is not allowed. It is not a reviewed environment (prod).\n'],
    ["a plan without an environment", ["--plan", "plan.json"], 'error: --plan: "plan.json" is not allowed. Expected <environment>=<file>.\n'],
    ["an unreadable plan file", ["--plan", "prod=/nonexistent/plan.json"], "error: --plan prod=/nonexistent/plan.json: the file cannot be read (ENOENT).\n"],
    ["the same environment twice", ["--plan", "prod=a.json", "--plan", "prod=b.json"], "error: --plan prod=b.json: prod has one already (--plan prod=a.json); give each environment one.\n"],
    ["a plan and a failure for one environment", ["--plan", "prod=a.json", "--plan-failed", "prod=log.txt"], "error: --plan-failed prod=log.txt: prod has a plan (--plan prod=a.json); give each environment a plan or a failure, not both.\n"],
    ["an environment named twice", ["--env", "prod,prod"], 'error: --env: "prod" is not allowed. It is named twice in "prod,prod"; name each environment once.\n'],
    ["an empty name in the list", ["--env", "prod,"], 'error: --env: "prod," is not allowed. Expected environment names separated by commas, none empty.\n'],
    ["an --out that cannot be made (its parent is a file)", ["--out", path.join(SHIPPED_CONFIG, "review")], `error: --out ${path.join(SHIPPED_CONFIG, "review")}: the folder cannot be made (ENOTDIR).\n`],
    ["an --outdir that cannot be made", ["--outdir", path.join(SHIPPED_CONFIG, "out")], `error: --outdir ${path.join(SHIPPED_CONFIG, "out")}: the folder cannot be made (ENOTDIR).\n`],
  ])("%s", (_name, args, message) => {
    const result = review(args);
    expect([result.code, result.stderr]).toEqual([2, message]);
  });

  // A wrong type is named as such, with its path: it is not "missing".
  test.each<[string, unknown, string]>([
    ["a top-level array", [], "(top level): expected an object, got an array"],
    ["resource_changes as an object", { format_version: "1.2", planned_values: {}, resource_changes: { "aws_kms_key.mavik_data_key": {} } }, "resource_changes: expected an array, got an object"],
    [
      "change.actions as a string",
      { format_version: "1.2", planned_values: {}, resource_changes: [{ address: "aws_kms_key.mavik_data_key", type: "aws_kms_key", change: { actions: "update" } }] },
      'resource_changes[0].change.actions: expected an array, got a string ("update")',
    ],
    ["planned_values as null", { format_version: "1.2", planned_values: null }, "planned_values: expected an object, got null"],
    ["no actions", { format_version: "1.2", planned_values: {}, resource_changes: [{ address: "a.b", type: "a", change: { actions: [] } }] }, "resource_changes[0].change.actions: expected at least 1 item, got none"],
  ])("a plan with %s is refused, the path and both types named", (_name, plan, message) => {
    const file = planFile(plan);
    const result = review(["--plan", `prod=${file}`]);
    expect([result.code, result.stderr]).toEqual([2, `error: --plan prod=${file}: ${message}. Expected the output of terraform show -json <plan>.\n`]);
  });

  test("an --outdir whose parents do not exist is made", () => {
    const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mavik-review-")), "a", "b", "cdktf.out");
    const result = review(["--outdir", outdir]);
    expect([result.code, fs.existsSync(path.join(outdir, "stacks", "prod", "cdk.tf.json"))]).toEqual([0, true]);
  });

  test("a file that is not JSON", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mavik-review-plan-")), "plan.json");
    fs.writeFileSync(file, "Terraform will perform the following actions:");
    expect(review(["--plan", `prod=${file}`]).stderr).toMatch(new RegExp(`^error: --plan prod=${file}: it is not JSON \\(.*\\)\\. Expected the output of terraform show -json <plan>\\.\\n$`));
  });

  test("an unknown option", () => {
    const result = review(["--planfile", "x"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: Unknown option '--planfile'/);
  });

  test("the command users type exits 2 too (npm run review, through scripts/run.js)", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-review-"));
    const run = spawnSync(process.execPath, [path.join(REPO, "scripts", "run.js"), "review", "--env", "qa", "--out", out], { cwd: REPO, encoding: "utf8" });
    expect([run.status, run.stderr]).toEqual([2, 'error: --env: "qa" is not allowed. Known environments: prod.\n']);
  });
});

/**
 * The live key policy, as the plan's prior state holds it (the `before` of an update, or the key
 * an import adopts), is read with the policy grammar: AWS keeps what the console or another tool
 * wrote, and the evaluator answers only for what the grammar accepts. A refused live policy is a
 * bold error finding labelled as the live policy's, and its access diff is not evaluated.
 */
describe("a live policy the grammar refuses", () => {
  const KEY_ARN = `arn:aws:kms:us-east-1:${SHIPPED.accountId}:key/cb424700-0dd0-4dcb-a77d-13af16579270`;
  const ROLE = `arn:aws:iam::${SHIPPED.accountId}:role/MavikLambdaRole`;
  const withConsoleEdit = (statement: object) => ({ ...SEED_POLICY, Statement: [...SEED_POLICY.Statement, statement] });
  /** A plan of the shipped environment that puts the synthesized (seed) policy on a key whose policy is `live`. */
  const planOf = (live: object, importing = false, planned: object = SEED_POLICY) =>
    planFile({
      format_version: "1.2",
      planned_values: { outputs: { stack_identity: { value: stackIdentity(SHIPPED) } } },
      resource_changes: [
        {
          address: "aws_kms_key.mavik_data_key",
          type: "aws_kms_key",
          change: {
            actions: ["update"],
            before: { arn: KEY_ARN, policy: JSON.stringify(live), is_enabled: true, enable_key_rotation: true },
            after: { policy: JSON.stringify(planned), is_enabled: true, enable_key_rotation: true },
            ...(importing ? { importing: { id: "cb424700-0dd0-4dcb-a77d-13af16579270" } } : {}),
          },
        },
      ],
    });

  test.each<[string, object, string]>([
    [
      "NotPrincipal with Allow",
      { Sid: "Console: all but the intern", Effect: "Allow", NotPrincipal: { AWS: `arn:aws:iam::${SHIPPED.accountId}:user/intern` }, Action: "kms:Decrypt", Resource: "*" },
      `live policy.Statement[5].NotPrincipal: {"AWS":"arn:aws:iam::${SHIPPED.accountId}:user/intern"} is not allowed. NotPrincipal is for "Effect": "Deny" only; AWS does not support it with "Allow". Name the principals to allow in Principal, or deny everyone else with a Deny (NotPrincipal, or aws:PrincipalArn in a condition).`,
    ],
    [
      "an unknown condition operator (the evaluator would throw)",
      { Sid: "Console: through S3", Effect: "Allow", Principal: { AWS: ROLE }, Action: "kms:Decrypt", Resource: "*", Condition: { StringEqualz: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } } },
      'live policy.Statement[5].Condition: "StringEqualz" is not allowed. It is no condition operator of the IAM reference; did you mean "StringEquals"?',
    ],
    [
      "a variable before an ARN's fifth colon",
      { Sid: "Console: any account's key", Effect: "Allow", Principal: { AWS: ROLE }, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:${aws:PrincipalAccount}:key/*" },
      'live policy.Statement[5].Resource: "arn:aws:kms:us-east-1:${aws:PrincipalAccount}:key/*" is not allowed. AWS substitutes a policy variable only in the resource part of an ARN, after its fifth colon; write the partition, service, region and account as text or wildcards.',
    ],
  ])("%s: a bold error on the live policy, the access diff not evaluated, exit 1", (_name, statement, message) => {
    const result = review(["--plan", `prod=${planOf(withConsoleEdit(statement))}`, "--json"]);
    expect(result.code).toBe(1);
    const [json] = JSON.parse(result.stdout);
    expect(json.findings.filter((f: { path: string }) => f.path.startsWith("live policy"))).toEqual([{ rule: "policy-grammar", severity: "error", path: message.slice(0, message.indexOf(":")), message }]);
    expect([json.key.access, json.key.accessUnknown]).toEqual([[], `could not evaluate the live policy: ${message}`]);
    const md = result.report("prod");
    expect(md).toContain(`\n- **error** \`policy-grammar\` (the live policy, before this change): ${message}\n`);
    expect(md).toContain(`### Who can use the key: what changes\n\n**could not evaluate the live policy**: ${message}\n`);
    // What changes statement by statement is still shown: it compares, it does not evaluate.
    expect(md).toContain(`- **removed** “${(statement as { Sid: string }).Sid}”\n`);
    expect(result.stderr).toContain(`error: prod: ${message}\n`);
  });

  test("a console-edited key adopted by import: the same", () => {
    const statement = { Sid: "Console: all but the intern", Effect: "Allow", NotPrincipal: { AWS: `arn:aws:iam::${SHIPPED.accountId}:user/intern` }, Action: "kms:Decrypt", Resource: "*" };
    const result = review(["--plan", `prod=${planOf(withConsoleEdit(statement), true)}`, "--json"]);
    const [json] = JSON.parse(result.stdout);
    expect([result.code, json.key.importing, json.key.accessUnknown]).toEqual([1, true, expect.stringMatching(/^could not evaluate the live policy: live policy\.Statement\[5\]\.NotPrincipal: /)]);
  });

  test("a planned policy the grammar refuses (the plan of a hand-edited stack): the same, labelled as the planned policy", () => {
    const planned = withConsoleEdit({ Sid: "Edited", Effect: "Allow", Principal: { AWS: ROLE }, Action: "kms:Decrypt", Resource: "*", Condition: { IpAddres: { "aws:SourceIp": "203.0.113.0/24" } } });
    const result = review(["--plan", `prod=${planOf(SEED_POLICY, false, planned)}`, "--json"]);
    const [json] = JSON.parse(result.stdout);
    const message = 'planned policy.Statement[5].Condition: "IpAddres" is not allowed. It is no condition operator of the IAM reference; did you mean "IpAddress"?';
    expect([result.code, json.key.accessUnknown, json.findings.filter((f: { path: string }) => f.path.startsWith("planned policy")).map((f: { message: string }) => f.message)]).toEqual([
      1,
      `could not evaluate the planned policy: ${message}`,
      [message],
    ]);
    expect(result.report("prod")).toContain(`\n- **error** \`policy-grammar\` (the planned policy): ${message}\n`);
  });

  test("a live policy the grammar accepts is evaluated, and a deleted role's unique id that KMS shows in it is no grammar error", () => {
    const live = withConsoleEdit({ Sid: "Console: a deleted role", Effect: "Allow", Principal: { AWS: ["AROAEXAMPLEID1234567", `arn:aws:iam::${SHIPPED.accountId}:user/intern`] }, Action: "kms:Decrypt", Resource: "*" });
    const result = review(["--plan", `prod=${planOf(live)}`, "--json"]);
    const [json] = JSON.parse(result.stdout);
    expect([result.code, json.key.accessUnknown, json.findings.filter((f: { path: string }) => f.path.startsWith("live policy"))]).toEqual([0, undefined, []]);
    expect(json.key.access.map((c: { principal: string; column: string }) => `${c.principal} ${c.column}`)).toEqual([`arn:aws:iam::${SHIPPED.accountId}:user/intern encrypt / decrypt`]);
  });
});

test("a change that does not synthesize still gets its report, with the error in bold, and exits 1", () => {
  const config = configWith({ ...SHIPPED, deletionWindowInDays: 45 });
  const result = review(["--env", "prod"], config);
  expect(result.code).toBe(1);
  const md = result.report("prod");
  expect(md).toContain("**⛔ The app does not synthesize, so nothing was planned. Do not merge until it does.**");
  expect(md).toContain("deletionWindowInDays: 45 is not allowed. Allowed: a whole number of days from 7 to 30.");
});

test("two environments in one account and region with different aliases: the review lists the warning synth prints", () => {
  const result = review([], configWith(SHIPPED, { ...SHIPPED, name: "reports", alias: "alias/mavik-reports-key", existingKeyId: undefined }));
  expect(result.code).toBe(0);
  expect(result.report("reports")).toContain(
    "- **warning** `one-key-per-account`: environments[1] (reports): a second data key in account 167067248318, us-east-1 (alias/mavik-reports-key, beside alias/mavik-data-kms-key of environments[0] (prod)); the seed keeps one key under one alias per account and region (§6).",
  );
  expect(result.report("prod")).not.toContain("one-key-per-account");
});

describe("environment moves against the base branch (--base)", () => {
  const base = configWith(SHIPPED, { ...SHIPPED, name: "staging", accountId: "210987654321", existingKeyId: undefined, state: { ...SHIPPED.state, bucket: "mavik-terraform-state-210987654321" } });
  const moved = (current: EnvironmentConfig[]) => {
    const result = review(["--base", base], configWith(...current));
    return { ...result, text: current.map((e) => result.report(e.name)).join("\n") };
  };

  test("a renamed environment: an empty state, a second owner of the live key; keep the name or move the state", () => {
    const result = moved([{ ...SHIPPED, name: "production" }]);
    expect(result.code).toBe(1);
    expect(result.text).toContain(
      "**⛔ Environment prod is renamed to production. Its stack would plan against an empty state at s3://mavik-terraform-state-167067248318/mavik-data-key/production/terraform.tfstate (us-east-1): " +
        "a second key (here: the live key cb424700-0dd0-4dcb-a77d-13af16579270 adopted into a second state, two owners of one key), " +
        "while s3://mavik-terraform-state-167067248318/mavik-data-key/prod/terraform.tfstate (us-east-1) still holds the key. Keep the name prod, or move the state before this is deployed:",
    );
    expect(result.text).toContain("Environment staging is removed. Nothing plans it any more");
  });
  test("a moved state (key prefix) and a changed existingKeyId", () => {
    const result = moved([{ ...SHIPPED, state: { ...SHIPPED.state, keyPrefix: "data-key" }, existingKeyId: "00000000-1111-2222-3333-444444444444" }]);
    expect(result.code).toBe(1);
    expect(result.text).toContain(
      "**⛔ The state of prod moves from s3://mavik-terraform-state-167067248318/mavik-data-key/prod/terraform.tfstate (us-east-1) to s3://mavik-terraform-state-167067248318/data-key/prod/terraform.tfstate (us-east-1).",
    );
    expect(result.text).toContain("**⛔ existingKeyId of prod changes from cb424700-0dd0-4dcb-a77d-13af16579270 to 00000000-1111-2222-3333-444444444444.");
  });
  test("a removed environment is a warning, exit 0 (nothing is destroyed), and docs/review.md says so", () => {
    const result = moved([SHIPPED]);
    expect(result.code).toBe(0);
    expect(result.text).toContain(
      "### Environments\n\n- **warning**: Environment staging is removed. Nothing plans it any more: its key (with prevent_destroy) and its state at " +
        "s3://mavik-terraform-state-210987654321/mavik-data-key/staging/terraform.tfstate (us-east-1) stay in AWS, unmanaged.\n",
    );
    const page = fs.readFileSync(path.join(REPO, "docs", "review.md"), "utf8");
    const bold = page.slice(page.indexOf("1. **In bold, leading, exit 1**"), page.indexOf("2. **What changes**"));
    expect(bold.replace(/\s+/g, " ")).toContain("(an environment removed from the file is a warning, exit 0: nothing is destroyed, its key and state stay in AWS, unmanaged)");
    expect(bold).not.toMatch(/renamed or removed/);
  });
  test("nothing moved: no finding, exit 0", () => {
    const result = moved([SHIPPED, { ...SHIPPED, name: "staging", accountId: "210987654321", existingKeyId: undefined, state: { ...SHIPPED.state, bucket: "mavik-terraform-state-210987654321" } }]);
    expect(result.code).toBe(0);
    expect(result.text).not.toContain("⛔");
  });
  test("the base as a git ref (git show <ref>:<environments file>)", () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-review-git-"));
    const git = (...args: string[]) => spawnSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: repo, encoding: "utf8" });
    fs.copyFileSync(SHIPPED_CONFIG, path.join(repo, "environments.json"));
    git("init", "-q");
    git("add", ".");
    git("commit", "-qm", "base");
    fs.writeFileSync(path.join(repo, "environments.json"), JSON.stringify({ environments: [{ ...SHIPPED, name: "production" }] }));
    const result = review(["--base", "HEAD"], path.join(repo, "environments.json"));
    expect(result.code).toBe(1);
    expect(result.report("production")).toContain("**⛔ Environment prod is renamed to production.");
    expect(review(["--base", "no-such-ref"], path.join(repo, "environments.json")).stderr).toMatch(/^error: --base: "no-such-ref" is neither a file nor a git ref holding environments\.json \(git: fatal: /);
  });
});

describe("the workflow's scripts where Terraform never ran", () => {
  const checkout = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-review-ci-"));
    fs.copyFileSync(SHIPPED_CONFIG, path.join(dir, "environments.json"));
    return dir;
  };
  test("a stack that was not synthesized: the plan script records the failure", async () => {
    const dir = checkout();
    const result = await runScript("plan.sh", ["prod", "plans"], dir, { ...process.env, GITHUB_OUTPUT: "" });
    expect([result.code, result.stdout]).toEqual([0, "cdktf.out/stacks/prod/cdk.tf.json is missing: the app did not synthesize prod.\nresult=failed\n"]);
    expect(fs.readFileSync(path.join(dir, "plans", "prod.log"), "utf8")).toBe("cdktf.out/stacks/prod/cdk.tf.json is missing: the app did not synthesize prod.\n");
  });
  test("no plan and no log (a step before the plan failed): the report says the plan did not run, exit 1", async () => {
    const dir = checkout();
    const result = await runScript("review.sh", ["prod", "plans"], dir);
    expect(result.code).toBe(1);
    const md = fs.readFileSync(path.join(dir, "review", "prod.md"), "utf8");
    expect(md).toContain("**⛔ terraform plan failed, so nothing below comes from a plan. Do not merge until it plans.**");
    expect(md).toContain("terraform plan did not run for prod: a step before it failed (see the workflow log).");
  });
  test.each([
    ["plan.sh", []],
    ["plan.sh", ["prod"]],
    ["review.sh", ["prod"]],
    ["review.sh", ["", "plans"]],
  ])("%s %j: usage, exit 2", async (script, args) => {
    const result = await runScript(script, args as string[], os.tmpdir());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^usage: scripts/ci/${script.replace(".", "\\.")} <environment> <plans-dir>`));
  });
});

describe("--list: the workflow's matrix", () => {
  test("this change's environments, as a JSON array", () => {
    const result = review(["--list"], configWith(SHIPPED, { ...SHIPPED, name: "staging", accountId: "210987654321", existingKeyId: undefined }));
    expect([result.code, result.stdout, result.stderr]).toEqual([0, '["prod","staging"]\n', ""]);
  });
  test("an environments file that does not load: the base's names, so each still gets its comment", () => {
    const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mavik-review-config-")), "environments.json");
    fs.writeFileSync(broken, '{"environments": [');
    const result = review(["--list", "--base", SHIPPED_CONFIG], broken);
    expect([result.code, result.stdout, result.stderr]).toEqual([0, '["prod"]\n', "note: the environments file does not load; listing the base's environments\n"]);
  });
  test("neither loads: exit 2", () => {
    const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mavik-review-config-")), "environments.json");
    fs.writeFileSync(broken, "[]");
    const result = review(["--list"], broken);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: --list: the environments file does not load, and there is no --base to take the names from:\n/);
  });
});

const describeTerraform = terraformAvailable("review with real terraform plans") ? describe : describe.skip;

describeTerraform("the review of real terraform plans", () => {
  let sandbox: TerraformSandbox;
  /** The live state: the seed's key with a partner's Decrypt statement added in the console, and its alias. */
  const livePolicy = {
    ...SEED_POLICY,
    Statement: [...SEED_POLICY.Statement, { Sid: "Partner Decrypt", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:root" }, Action: "kms:Decrypt", Resource: "*" }],
  };
  const live = [keyStateResource({ policy: JSON.stringify(livePolicy, null, 2) }), aliasStateResource()];
  // The change under review: MavikLambdaRole no longer a user, a rotation and a deletion window
  // changed, the alias renamed; the key disabled and the lockout check bypassed through escape hatches.
  const changed: EnvironmentConfig = {
    ...SHIPPED,
    users: ["role/ecsTaskExecutionRole"],
    rotationPeriodInDays: 730,
    deletionWindowInDays: 7,
    alias: "alias/mavik-data-key-v2",
  };
  const configs = { changed: configWith(changed), disposable: configWith({ ...SHIPPED, allowDestroy: true }) };
  const plans: Record<string, string> = {};
  let refusal = "";

  /** What scripts/ci/plan.sh printed, and the lines it appended to GITHUB_OUTPUT, per case. */
  const planned: Record<string, { code: number; stdout: string; output: string; dir: string }> = {};

  beforeAll(async () => {
    sandbox = new TerraformSandbox("review");
    // Each case is laid out as the workflow's checkout is (environments.json, cdktf.out/stacks/prod)
    // and planned by the workflow's own script, offline: no refresh, the stack's offline copy.
    const layout = (name: string, config: string, state: StateResource[], edit?: (copy: any) => void) => {
      const dir = path.join(sandbox.root, name);
      const stackDir = path.join(dir, "cdktf.out", "stacks", "prod");
      fs.mkdirSync(stackDir, { recursive: true });
      fs.copyFileSync(config, path.join(dir, "environments.json"));
      const copy = offlineCopy(synthApp(config).json.prod);
      edit?.(copy);
      fs.writeFileSync(path.join(stackDir, "cdk.tf.json"), JSON.stringify(copy, null, 2));
      fs.writeFileSync(path.join(stackDir, "terraform.tfstate"), JSON.stringify(stateFile(state)));
      return dir;
    };
    const plan = async (name: string, dir: string, planArgs = "-refresh=false") => {
      const output = path.join(dir, "github-output");
      const result = await runScript("plan.sh", ["prod", "plans"], dir, { ...sandbox.env, TF_CLI_ARGS_plan: planArgs, GITHUB_OUTPUT: output });
      planned[name] = { code: result.code, stdout: result.stdout, output: fs.readFileSync(output, "utf8"), dir };
      if (fs.existsSync(path.join(dir, "plans", "prod.json"))) plans[name] = path.join(dir, "plans", "prod.json");
    };
    const rsaKey = [keyStateResource({ customer_master_key_spec: "RSA_2048" }), aliasStateResource()];
    await Promise.all([
      plan(
        "update",
        layout("update", configs.changed, live, (copy) => {
          copy.resource.aws_kms_key.mavik_data_key.is_enabled = false;
          copy.resource.aws_kms_key.mavik_data_key.bypass_policy_lockout_safety_check = true;
        }),
      ),
      plan("destroy", layout("destroy", configs.disposable, live), "-refresh=false -destroy"),
      plan("replace", layout("replace", configs.disposable, rsaKey)),
      plan("refused", layout("refused", SHIPPED_CONFIG, rsaKey)),
      // The key and alias taken out of Terraform with removed blocks (destroy = false).
      plan(
        "forget",
        layout("forget", SHIPPED_CONFIG, live, (copy) => {
          delete copy.resource;
          for (const name of Object.keys(copy.output)) if (name !== "stack_identity") delete copy.output[name];
          copy.removed = [
            { from: "aws_kms_key.mavik_data_key", lifecycle: { destroy: false } },
            { from: "aws_kms_alias.mavik_data_key", lifecycle: { destroy: false } },
          ];
        }),
      ),
      // A second key in the state that the configuration no longer has (a construct removed).
      plan("second-key", layout("second-key", SHIPPED_CONFIG, [...live, { ...keyStateResource(), name: "legacy" }])),
    ]);
    refusal = path.join(planned.refused.dir, "plans", "prod.log");
  });
  afterAll(() => sandbox?.dispose());

  describe("a policy change that removes a role and a partner's Decrypt, with every flag", () => {
    let result: ReturnType<typeof review>;
    let md: string;
    beforeAll(() => {
      result = review(["--plan", `prod=${plans.update}`], configs.changed);
      md = result.report("prod");
    });

    test("exits 1: the key disabled, the lockout check bypassed, the alias renamed lead the report in bold", () => {
      expect(result.code).toBe(1);
      const lines = md.split("\n");
      const first = lines.findIndex((l) => l.startsWith("**⛔"));
      expect(lines.slice(0, first).filter(Boolean)).toEqual([
        "<!-- mavik-data-key-review:prod -->",
        "## Data key review: `prod`",
        "`alias/mavik-data-key-v2` in account 167067248318, us-east-1.",
      ]);
      expect(lines.slice(first, first + 6).filter(Boolean)).toEqual([
        "**⛔ The key would be disabled: nothing encrypted under it can be decrypted until it is enabled again. Do not merge.**",
        "**⛔ bypass_policy_lockout_safety_check would be on: AWS would not refuse a policy that locks everyone out of the key. Do not merge.**",
        "**⛔ The alias would be renamed from alias/mavik-data-kms-key to alias/mavik-data-key-v2: everything that names alias/mavik-data-kms-key loses the key. Do not merge.**",
      ]);
    });

    test("the counts come from terraform plan, and the warnings follow them", () => {
      expect(md).toContain("| 1 | 1 | 0 | 1 |\n\n_From `terraform plan`._");
      expect(md).toContain("- **warning**: The rotation period would change from 365 to 730 days.");
      expect(md).toContain("- **warning**: The deletion window would shrink from 30 to 7 days: less time to cancel a scheduled deletion.");
    });

    test("every statement the change removes or changes, from the live policy to the planned one", () => {
      const section = md.slice(md.indexOf("### Key policy"), md.indexOf("### Who can use the key: what changes"));
      expect(section).toBe(
        [
          "### Key policy",
          "",
          "- **changed** “Allow use of the key”",
          "  - Principal removed: AWS: arn:aws:iam::167067248318:role/MavikLambdaRole",
          "- **changed** “Allow attachment of persistent resources”",
          "  - Principal removed: AWS: arn:aws:iam::167067248318:role/MavikLambdaRole",
          "- **removed** “Partner Decrypt”",
          "  - Allow",
          "  - Principal AWS: arn:aws:iam::111111111111:root",
          "  - Action: kms:Decrypt",
          "",
          "",
        ].join("\n"),
      );
    });

    test("every access cell the change takes away: the role's data access, the partner's Decrypt", () => {
      const start = md.indexOf("### Who can use the key: what changes");
      const section = md.slice(start, md.indexOf("### ", start + 4));
      expect(section).toBe(
        [
          "### Who can use the key: what changes",
          "",
          "| principal | what | before | after |",
          "|---|---|---|---|",
          "| `role/MavikLambdaRole` | encrypt / decrypt | **allowed** S3 | IAM S1 |",
          "| `role/MavikLambdaRole` | grants for AWS resources | **allowed** S4 | IAM S1 |",
          "| `role/MavikLambdaRole` | describe | **allowed** S3 | IAM S1 |",
          "| `111111111111:root` | encrypt / decrypt: Decrypt | IAM S6 | — |",
          "",
          "**allowed**: by the key policy alone · IAM: if the principal's own IAM policy allows too (the key policy delegates to its account) · —: denied",
          "when [n]: allowed only when condition [n] holds (IAM when [n]: and if its IAM policy allows) · alone when [n]: by the key policy alone when [n] holds",
          "unless [n]: denied when it holds · `what: Decrypt`, `what: all but Decrypt`: those actions of the column only · partly ‡n: its actions differ, listed under ‡n",
          "",
          "- S1 “Enable IAM User Permissions”",
          "- S2 “Allow access for Key Administrators”",
          "- S3 “Allow use of the key”",
          "- S4 “Allow attachment of persistent resources”",
          "- S5 “Allow AWS Managed Services To Use Key”",
          "- S6 “Partner Decrypt” (removed by this change)",
          "",
          "",
        ].join("\n"),
      );
      // A principal of an account the policies do not name never had the partner's Decrypt.
      expect(md).not.toMatch(/\| `a principal of another account` \| encrypt/);
    });

    test("no line is longer than 200 characters, findings aside", () => {
      expect(md.split("\n").filter((l) => l.length > 200 && !l.startsWith("- **"))).toEqual([]);
    });

    test("a state given as a plan is refused (its prior_state is what terraform show -json prints of the state)", () => {
      const state = planFile(JSON.parse(fs.readFileSync(plans.update, "utf8")).prior_state);
      expect([review(["--plan", `prod=${state}`], configs.changed).code, review(["--plan", `prod=${state}`], configs.changed).stderr]).toEqual([
        2,
        `error: --plan prod=${state}: it is terraform show -json of a state, not of a saved plan (it has "values" and no "planned_values"). Run terraform plan -out=plan.bin, then terraform show -json plan.bin.\n`,
      ]);
    });

    test.each<[string, (plan: any) => void, string]>([
      ["another environment's plan", (p) => (p.planned_values.outputs.stack_identity.value.environment = "staging"), 'the plan\'s environment is "staging" (output stack_identity), not prod\'s "prod".'],
      ["another state object", (p) => (p.planned_values.outputs.stack_identity.value.state_key = "mavik-data-key/staging/terraform.tfstate"), 'the plan\'s state object is "mavik-data-key/staging/terraform.tfstate" (output stack_identity), not prod\'s "mavik-data-key/prod/terraform.tfstate".'],
      ["another region", (p) => (p.configuration.provider_config.aws.expressions.region.constant_value = "eu-west-1"), "the plan is for region eu-west-1 (the provider's region), not prod's us-east-1."],
      ["another account", (p) => (p.configuration.provider_config.aws.expressions.allowed_account_ids = { constant_value: ["210987654321"] }), "the plan is for account 210987654321 (the provider's allowed_account_ids), not prod's 167067248318."],
      [
        "no identity",
        (p) => {
          delete p.planned_values.outputs.stack_identity;
          delete p.configuration.root_module.outputs.stack_identity;
        }, "the plan has no stack_identity output, so its environment and state cannot be checked. Plan the stack this project synthesizes (cdktf.out/stacks/prod)."],
      ["a resource change without its change", (p) => delete p.resource_changes[0].change, "resource_changes[0].change: missing. Expected the output of terraform show -json <plan>."],
      ["an unknown action", (p) => (p.resource_changes[0].change.actions = ["explode"]), 'resource_changes[0].change.actions[0]: expected one of "no-op"|"create"|"read"|"update"|"delete"|"forget", got a string ("explode"). Expected the output of terraform show -json <plan>.'],
      [
        "a planned key policy that is not JSON",
        (p) => (keyChange(p).change.after.policy = "{ Statement: [] }"),
        `resource_changes[${KEY_INDEX}].change.after.policy: it is not a key policy (${jsonError("{ Statement: [] }")}).`,
      ],
      ["a key policy before that is JSON of no policy", (p) => (keyChange(p).change.before.policy = "[]"), `resource_changes[${KEY_INDEX}].change.before.policy: it is not a key policy (the policy is not a JSON object).`],
      ["a planned key policy that is not a string", (p) => (keyChange(p).change.after.policy = { Statement: [] }), `resource_changes[${KEY_INDEX}].change.after.policy: expected a string, got an object. Expected the output of terraform show -json <plan>.`],
    ])("%s is refused", (_name, edit, message) => {
      const plan = JSON.parse(fs.readFileSync(plans.update, "utf8"));
      edit(plan);
      const file = planFile(plan);
      const result = review(["--plan", `prod=${file}`], configs.changed);
      expect([result.code, result.stderr]).toEqual([2, `error: --plan prod=${file}: ${message}\n`]);
    });
  });

  test.each([
    ["destroy", "DESTROY"],
    ["replace", "REPLACE"],
  ])("a plan that would %s the key leads the report in bold, and exits 1", (name, word) => {
    const result = review(["--plan", `prod=${plans[name]}`], configs.disposable);
    expect(result.code).toBe(1);
    expect(result.report("prod").split("\n").find((l) => l.startsWith("**⛔"))).toBe(
      `**⛔ This change would ${word} the data key \`aws_kms_key.mavik_data_key\`. Every byte encrypted under it would be lost. Do not merge.**`,
    );
    expect(result.stderr).toContain(`(!! the plan would ${name} the data key)`);
  });

  test("a key and alias taken out of Terraform (removed, destroy = false) are warned about: no longer under prevent_destroy or review", () => {
    const result = review(["--plan", `prod=${plans.forget}`]);
    expect(result.code).toBe(0);
    const md = result.report("prod");
    expect(md).toContain("`aws_kms_key.mavik_data_key` would leave Terraform's management (removed from the state, not destroyed): prevent_destroy, drift and this review no longer cover it.");
    expect(md).toContain("`aws_kms_alias.mavik_data_key` would leave Terraform's management");
    expect(md).not.toContain("**⛔");
  });

  test("another KMS key of the stack that the plan destroys leads the report in bold, and exits 1", () => {
    const result = review(["--plan", `prod=${plans["second-key"]}`]);
    expect(result.code).toBe(1);
    expect(result.report("prod").split("\n").find((l) => l.startsWith("**⛔"))).toBe(
      "**⛔ This change would DESTROY the KMS key `aws_kms_key.legacy`. Every byte encrypted under it would be lost. Do not merge.**",
    );
  });

  test("the workflow's plan script records every outcome and never fails the job", () => {
    expect(planned.update).toMatchObject({ code: 0, stdout: expect.stringMatching(/result=planned\nchanges=yes\n$/), output: "result=planned\nchanges=yes\n" });
    expect(planned.refused).toMatchObject({ code: 0, output: "result=failed\n" });
    expect(fs.existsSync(path.join(planned.refused.dir, "plans", "prod.json"))).toBe(false);
    // Terraform's output is in the job log and in the log the review folds into its report.
    expect(planned.refused.stdout).toContain("Error: Instance cannot be destroyed");
    expect(fs.readFileSync(refusal, "utf8")).toContain("Error: Instance cannot be destroyed");
    expect(fs.existsSync(path.join(planned.update.dir, "plans", "prod.log"))).toBe(false);
  });

  test("the workflow's review script turns the refused plan into its report, and exits 1", async () => {
    const result = await runScript("review.sh", ["prod", "plans"], planned.refused.dir);
    expect(result.code).toBe(1);
    expect(fs.readFileSync(path.join(planned.refused.dir, "review", "prod.md"), "utf8")).toContain(
      "**⛔ This change would DESTROY or REPLACE the data key `aws_kms_key.mavik_data_key`: Terraform refused the plan (lifecycle.prevent_destroy).",
    );
  });

  test("a plan that prevent_destroy refuses still gets its report: the refusal in bold, Terraform's output folded", () => {
    const result = review(["--plan-failed", `prod=${refusal}`]);
    expect(result.code).toBe(1);
    const md = result.report("prod");
    expect(md.split("\n").find((l) => l.startsWith("**⛔"))).toBe(
      "**⛔ This change would DESTROY or REPLACE the data key `aws_kms_key.mavik_data_key`: Terraform refused the plan (lifecycle.prevent_destroy). Every byte encrypted under it would be lost. Do not merge.**",
    );
    expect(md).toContain("<details><summary>Terraform's output (its last 40 lines)</summary>");
    expect(md).toContain("Error: Instance cannot be destroyed");
    expect(result.stderr).toContain("(!! terraform plan failed)");
  });
});
