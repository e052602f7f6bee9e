/**
 * verify and --preflight on the wire: the real AWS SDK clients, with their real retries, timeouts
 * and protocols, against a local server that speaks KMS, Secrets Manager, CloudTrail (JSON 1.1),
 * DynamoDB (JSON 1.0), Lambda (REST-JSON), S3 (REST-XML), STS and IAM (Query) as AWS documents
 * them, with faults injected (never answers, throttles, 5xx, errors, pages, strict NextToken).
 */
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { environmentStack, EnvironmentConfig, loadEnvironments } from "../app";
import { runVerify } from "../cli/verify";
import { createClients } from "../cli/verify/commands";
import { verifyEnvironment } from "../cli/verify/checks";
import { cell } from "../cli/verify/markdown";
import { CheckResult, exitCode } from "../cli/verify/outcome";
import { AwsWire, routeThroughWire, World } from "./support/aws-wire";
import { REPO, SEED_POLICY } from "./support/synth";

const CONFIG = path.join(REPO, "__tests__", "fixtures", "environments.resources.json");
const ENV = loadEnvironments(CONFIG)[0];
const ACCOUNT = "167067248318";
const KEY_ID = "cb424700-0dd0-4dcb-a77d-13af16579270";
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${KEY_ID}`;
const OTHER_ID = "11111111-2222-3333-4444-555555555555";
const OTHER_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${OTHER_ID}`;
const NOW = new Date("2026-11-28T12:00:00Z");
const LAMBDA_ROLE = { type: "AssumedRole", arn: `arn:aws:sts::${ACCOUNT}:assumed-role/MavikLambdaRole/fn`, sessionContext: { sessionIssuer: { type: "Role", arn: `arn:aws:iam::${ACCOUNT}:role/MavikLambdaRole` } } };

/** A healthy account: the key, its alias on the second page, every bound resource on the key, five events over three pages. */
function healthy(): World {
  const encrypted = { algorithm: "aws:kms", keyId: KEY_ARN, bucketKey: true };
  return {
    account: ACCOUNT,
    region: "us-east-1",
    keys: [{ id: KEY_ID, policy: JSON.stringify(SEED_POLICY, null, 2) }, { id: OTHER_ID }],
    aliases: [
      { name: "alias/aws/s3", targetKeyId: "aaaaaaaa-0000-0000-0000-000000000000" },
      { name: "alias/mavik-data-kms-key", targetKeyId: KEY_ID },
    ],
    aliasPageSize: 1,
    secrets: { "mavik/ssot/api-token": { kmsKeyId: KEY_ARN }, "mavik/ssot/db": { kmsKeyId: KEY_ARN } },
    buckets: {
      "mavik-ssot-files": { encryption: encrypted },
      "mavik-ssot-legacy-exports": { encryption: encrypted },
      "mavik-terraform-state": {
        encryption: { algorithm: "AES256" },
        versioning: "Enabled",
        publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
        objects: {},
      },
    },
    tables: { "mavik-ssot-records": { kmsKeyArn: KEY_ARN }, "mavik-ssot-audit": { kmsKeyArn: KEY_ARN } },
    functions: { "mavik-ssot-api": { kmsKeyArn: KEY_ARN }, "mavik-ssot-sync": { kmsKeyArn: KEY_ARN } },
    events: [1, 2, 3, 4, 5].map((h) => ({ name: h === 3 ? "GenerateDataKey" : "Decrypt", time: new Date(NOW.getTime() - h * 3_600_000), identity: LAMBDA_ROLE, resource: KEY_ARN })),
    eventsPageSize: 2,
    caller: { arn: `arn:aws:iam::${ACCOUNT}:user/mavik-deployer`, userId: "AIDAEXAMPLE" },
    users: ["mavik-developer", "mavik-deployer"],
    roles: ["ecsTaskExecutionRole", "MavikLambdaRole"],
  };
}

let wire: AwsWire;
const saved: NodeJS.ProcessEnv = {};
const CREDENTIALS = { AWS_ACCESS_KEY_ID: "AKIAWIRETEST", AWS_SECRET_ACCESS_KEY: "wire-test-secret", AWS_EC2_METADATA_DISABLED: "true" };

beforeAll(async () => {
  wire = await AwsWire.start(healthy());
  for (const [k, v] of Object.entries(CREDENTIALS)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  for (const k of ["AWS_PROFILE", "AWS_SESSION_TOKEN"]) {
    saved[k] = process.env[k];
    delete process.env[k];
  }
});
afterAll(async () => {
  await wire.close();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});
beforeEach(() => wire.reset(healthy()));

/** An environments file with `env` only. */
function configWith(env: EnvironmentConfig): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mavik-wire-config-")), "environments.json");
  fs.writeFileSync(file, JSON.stringify({ environments: [env] }));
  return file;
}

/** verify in-process with the real clients against the wire; `client` options tune retries and timeouts. */
async function verify(args: string[] = [], config = CONFIG, client: { maxAttempts?: number; requestTimeoutMs?: number } = {}) {
  let stdout = "";
  let stderr = "";
  const started = Date.now();
  const code = await runVerify(
    ["--env", ENV.name, "--endpoint-url", wire.url, "--json", ...args],
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), now: NOW, clients: (o) => createClients({ ...o, ...client }) },
    config,
  );
  const results: CheckResult[] = stdout ? JSON.parse(stdout).results : [];
  const row = (check: string, target?: string) => results.find((r) => r.check === check && (target === undefined || r.target === target));
  return { code, results, row, stderr, ms: Date.now() - started };
}

describe("verify on the wire", () => {
  test("all good: every documented row passes, exit 0", async () => {
    const { code, results } = await verify();
    expect(results.map((r) => [r.check, r.status])).toEqual([
      ["key", "pass"], ["rotation", "pass"], ["alias", "pass"], ["policy", "pass"],
      ["bucket", "pass"], ["bucket", "pass"], ["table", "pass"], ["table", "pass"],
      ["secret", "pass"], ["secret", "pass"], ["function", "pass"], ["function", "pass"],
      ["usage", "pass"], ["destructive-events", "pass"],
    ]);
    expect(code).toBe(0);
  });

  test("CloudTrail: one window for the run, identical parameters on every page (the NextToken is strict)", async () => {
    const { row } = await verify();
    expect(row("usage")).toMatchObject({ status: "pass", details: { events: 5, pages: 3 } });
    const calls = wire.calls("cloudtrail", "LookupEvents").map((c) => c.input);
    expect(calls).toHaveLength(3);
    const { NextToken: _none, ...first } = calls[0];
    for (const call of calls.slice(1)) {
      const { NextToken, ...rest } = call;
      expect(NextToken).toEqual(expect.any(String));
      expect(rest).toEqual(first);
    }
    expect(first).toMatchObject({ StartTime: (NOW.getTime() - 7 * 86_400_000) / 1000, EndTime: NOW.getTime() / 1000 });
  });

  test("a NextToken sent with other parameters is refused, as CloudTrail does", async () => {
    wire.inject("cloudtrail", "LookupEvents", { kind: "error", status: 400, code: "InvalidNextTokenException", message: "Invalid NextToken" }, 1);
    const { row, code } = await verify();
    expect(row("usage")).toMatchObject({ status: "could-not-check", reason: "InvalidNextTokenException: Invalid NextToken" });
    expect(code).toBe(2);
  });

  test("CloudTrail unreadable: both its rows are present, could not check", async () => {
    wire.inject("cloudtrail", "LookupEvents", { kind: "error", status: 400, code: "AccessDeniedException", message: "User is not authorized to perform: cloudtrail:LookupEvents" });
    const { results, code } = await verify();
    expect(results.slice(-2)).toEqual([
      { check: "usage", target: KEY_ARN, status: "could-not-check", reason: "access denied: User is not authorized to perform: cloudtrail:LookupEvents" },
      { check: "destructive-events", target: KEY_ARN, status: "could-not-check", reason: "CloudTrail could not be read: access denied: User is not authorized to perform: cloudtrail:LookupEvents" },
    ]);
    expect(code).toBe(2);
  });

  test("a destructive event on a later page fails the run", async () => {
    wire.world.events.push({ name: "ScheduleKeyDeletion", time: new Date(NOW.getTime() - 6 * 3_600_000), identity: { type: "IAMUser", arn: `arn:aws:iam::${ACCOUNT}:user/intern` }, resource: KEY_ARN });
    const { row, code } = await verify();
    expect(row("destructive-events")).toMatchObject({ status: "fail", reason: `ScheduleKeyDeletion by arn:aws:iam::${ACCOUNT}:user/intern at 2026-11-28T06:00:00.000Z` });
    expect(code).toBe(1);
  });

  test("a bucket in another region: S3's 301 PermanentRedirect is followed", async () => {
    wire.world.buckets["mavik-ssot-files"].region = "eu-west-1";
    const { row, code } = await verify();
    expect(row("bucket", "mavik-ssot-files")).toMatchObject({ status: "pass" });
    expect(wire.calls("s3", "GetBucketEncryption").map((c) => c.region)).toEqual(["us-east-1", "eu-west-1", "us-east-1"]);
    expect(code).toBe(0);
  });

  test.each<[string, (w: World) => void, string, string | undefined, string]>([
    ["a secret with another key", (w) => (w.secrets["mavik/ssot/db"].kmsKeyId = OTHER_ARN), "secret", "mavik/ssot/db", `encrypted with ${OTHER_ARN}, not ${KEY_ARN}`],
    ["a bucket with SSE-S3", (w) => (w.buckets["mavik-ssot-files"].encryption = { algorithm: "AES256" }), "bucket", "mavik-ssot-files", "default encryption is AES256, not aws:kms"],
    ["a bucket without default encryption", (w) => (w.buckets["mavik-ssot-files"].encryption = null), "bucket", "mavik-ssot-files", "the bucket has no default encryption configuration"],
    ["a table naming the alias ARN", (w) => (w.tables["mavik-ssot-audit"].kmsKeyArn = `arn:aws:kms:us-east-1:${ACCOUNT}:alias/mavik-data-kms-key`), "table", "mavik-ssot-audit", `names the alias ARN arn:aws:kms:us-east-1:${ACCOUNT}:alias/mavik-data-kms-key, not the key ARN`],
    ["a function without a customer-managed key", (w) => delete w.functions["mavik-ssot-api"].kmsKeyArn, "function", "mavik-ssot-api", "not encrypted with a customer-managed key (AWS owned or AWS managed key)"],
    ["rotation off", (w) => (w.keys[0].rotation = { enabled: false }), "rotation", undefined, "automatic rotation is off"],
    ["a drifted policy", (w) => (w.keys[0].policy = JSON.stringify({ ...SEED_POLICY, Statement: SEED_POLICY.Statement.slice(0, 4) })), "policy", undefined, 'drift: statement "Allow AWS Managed Services To Use Key" is missing'],
  ])("something wrong on the wire: %s (exit 1)", async (_name, change, check, target, reason) => {
    change(wire.world);
    const { row, code } = await verify();
    expect(row(check, target)).toMatchObject({ status: "fail", reason });
    expect(code).toBe(1);
  });

  test("credentials of another account: the key row fails and nothing that depends on it is read in that account", async () => {
    wire.world.account = "210987654321";
    const { results, code } = await verify();
    expect(results[0]).toMatchObject({ check: "key", status: "fail", reason: "it is in account 210987654321, not the environment's 167067248318" });
    expect(results.slice(1).map((r) => [r.check, r.status, r.reason])).toEqual(
      ["rotation", "alias", "policy", "bucket", "bucket", "table", "table", "secret", "secret", "function", "function", "usage", "destructive-events"].map((check) => [
        check,
        "could-not-check",
        "not checked: the credentials are for account 210987654321",
      ]),
    );
    expect(wire.received.map((r) => `${r.service}:${r.operation}`)).toEqual(["kms:DescribeKey"]);
    expect(code).toBe(1);
  });

  test("a missing resource: could not check, exit 2", async () => {
    delete wire.world.functions["mavik-ssot-sync"];
    const { row, code } = await verify();
    expect(row("function", "mavik-ssot-sync")).toMatchObject({ status: "could-not-check", reason: `not found: Function not found: arn:aws:lambda:us-east-1:${ACCOUNT}:function:mavik-ssot-sync` });
    expect(code).toBe(2);
  });
});

describe("--markdown: the report for an issue or a pull-request comment", () => {
  const markdown = async (args: string[] = []) => {
    let stdout = "";
    const code = await runVerify(["--env", ENV.name, "--endpoint-url", wire.url, "--markdown", ...args], { stdout: (t) => (stdout += t), stderr: () => undefined, now: NOW, clients: (o) => createClients(o) }, CONFIG);
    return { code, stdout };
  };

  test("what is wrong first, then what was not checked, the passes folded, usage per day and caller", async () => {
    wire.world.aliases[1].targetKeyId = OTHER_ID;
    wire.inject("dynamodb", "DescribeTable", { kind: "error", status: 400, code: "AccessDeniedException", message: "User is not authorized to perform: dynamodb:DescribeTable" }, 1);
    wire.world.events.push({ name: "Decrypt", time: new Date("2026-11-27T09:00:00Z"), identity: { type: "AWSService", invokedBy: "s3.amazonaws.com" }, resource: KEY_ARN });
    const { code, stdout } = await markdown();
    expect(code).toBe(1);
    const lines = stdout.split("\n");
    expect(lines.slice(0, 8)).toEqual([
      "## Data key verify: `ssot`",
      "",
      "**1 wrong, 1 not checked, 12 passed** (exit 1).",
      "",
      "| | check | target | result |",
      "|---|---|---|---|",
      `| ⛔ | alias | \`alias/mavik-data-kms-key\` | targets ${OTHER_ID}, not ${KEY_ID} (existingKeyId) |`,
      "| ❔ | table | `mavik-ssot-records` | access denied: User is not authorized to perform: dynamodb:DescribeTable |",
    ]);
    expect(stdout).toContain("<details><summary>12 passed</summary>");
    const usage = stdout.slice(stdout.indexOf("### Key usage"));
    expect(usage).toBe(
      [
        "### Key usage, 2026-11-21T12:00:00.000Z to 2026-11-28T12:00:00.000Z",
        "",
        "| day | caller | events |",
        "|---|---|---|",
        "| 2026-11-28 | `role/MavikLambdaRole` | 5 |",
        "| 2026-11-27 | `via s3.amazonaws.com` | 1 |",
        "",
      ].join("\n"),
    );
  });

  test("--markdown with --json is refused", async () => {
    let stderr = "";
    const code = await runVerify(["--env", "ssot", "--json", "--markdown"], { stdout: () => undefined, stderr: (t) => (stderr += t) }, CONFIG);
    expect([code, stderr]).toEqual([2, "error: --markdown: not allowed with --json. Choose one output.\n"]);
  });
});

describe("the alias row checks the key it should target", () => {
  const fresh = { ...ENV, existingKeyId: undefined };
  const stateObject = (keyId: string) => JSON.stringify({ version: 4, outputs: { key_id: { value: keyId, type: "string" } }, resources: [] });

  test("existingKeyId: an alias pointing at another key fails", async () => {
    wire.world.aliases[1].targetKeyId = OTHER_ID;
    const { row, code } = await verify();
    expect(row("alias")).toMatchObject({ status: "fail", reason: `targets ${OTHER_ID}, not ${KEY_ID} (existingKeyId)` });
    expect(row("key")).toMatchObject({ target: KEY_ID, status: "pass" });
    expect(code).toBe(1);
  });

  test("no existingKeyId: the key_id output of the environment's state, read from its S3 object", async () => {
    wire.world.buckets["mavik-terraform-state"].objects = { "mavik-data-key/ssot/terraform.tfstate": stateObject(KEY_ID) };
    const pass = await verify([], configWith(fresh));
    expect(pass.row("alias")).toMatchObject({ status: "pass", reason: `targets ${KEY_ID}, the key of the key_id output of s3://mavik-terraform-state/mavik-data-key/ssot/terraform.tfstate (page 2)` });
    wire.world.aliases[1].targetKeyId = OTHER_ID;
    const fail = await verify([], configWith(fresh));
    expect(fail.row("alias")).toMatchObject({ status: "fail", reason: `targets ${OTHER_ID}, not ${KEY_ID} (the key_id output of s3://mavik-terraform-state/mavik-data-key/ssot/terraform.tfstate)` });
    expect(fail.code).toBe(1);
  });

  test("the state object is read in state.region, and a bucket answering from another region is not followed", async () => {
    const elsewhere = { ...fresh, state: { ...fresh.state, region: "us-west-2" } };
    wire.world.buckets["mavik-terraform-state"] = { region: "us-west-2", objects: { "mavik-data-key/ssot/terraform.tfstate": stateObject(KEY_ID) } };
    const pass = await verify([], configWith(elsewhere));
    expect(pass.row("alias")).toMatchObject({ status: "pass" });
    expect(wire.calls("s3", "GetObject").map((c) => c.region)).toEqual(["us-west-2"]);
    wire.reset({ ...healthy(), buckets: { ...healthy().buckets, "mavik-terraform-state": { region: "eu-west-1", objects: { "mavik-data-key/ssot/terraform.tfstate": stateObject(KEY_ID) } } } });
    const moved = await verify([], configWith(elsewhere));
    expect(moved.row("alias")).toMatchObject({
      status: "could-not-check",
      reason: `it targets ${KEY_ID}, but which key it should target is unknown: the state s3://mavik-terraform-state/mavik-data-key/ssot/terraform.tfstate could not be read (the bucket is in eu-west-1, not state.region us-west-2: S3 answers 301 PermanentRedirect, which Terraform's S3 backend does not follow (terraform init: requested bucket from "us-west-2", actual location "eu-west-1"). Set state.region to eu-west-1); give --key-id`,
    });
    expect(wire.calls("s3", "GetObject").map((c) => c.region)).toEqual(["us-west-2"]);
  });

  test("--key-id wins over both", async () => {
    wire.world.aliases[1].targetKeyId = OTHER_ID;
    const { row, code } = await verify(["--key-id", OTHER_ID]);
    expect(row("alias")).toMatchObject({ status: "pass", reason: `targets ${OTHER_ID}, the key of --key-id (page 2)` });
    expect(row("key")).toMatchObject({ target: OTHER_ID });
    // The other key's resources are not on it: the bound resources fail against it.
    expect(code).toBe(1);
  });

  test("nothing says which key: could not check, never a pass", async () => {
    const { row, code } = await verify([], configWith(fresh));
    expect(row("alias")).toMatchObject({
      status: "could-not-check",
      reason: `it targets ${KEY_ID}, but which key it should target is unknown: the state s3://mavik-terraform-state/mavik-data-key/ssot/terraform.tfstate could not be read (not found: The specified key does not exist.); give --key-id`,
    });
    expect(code).toBe(2);
  });
});

describe("faults: timeouts, throttling, 5xx", () => {
  test("an endpoint that never answers ends within the deadline: exit 2, timed out, every row present", async () => {
    wire.inject("kms", "GetKeyPolicy", { kind: "stall" });
    const { results, row, code, ms } = await verify(["--timeout", "2"]);
    expect(ms).toBeLessThan(2000 + 1500);
    expect(row("policy")).toMatchObject({ status: "could-not-check", reason: "timed out: verify's deadline of 2 s (--timeout) passed" });
    expect(results.map((r) => r.check)).toEqual(["key", "rotation", "alias", "policy", "bucket", "bucket", "table", "table", "secret", "secret", "function", "function", "usage", "destructive-events"]);
    expect(results.slice(4).filter((r) => r.status !== "could-not-check" || !r.reason.includes("timed out: verify's deadline of 2 s (--timeout) passed"))).toEqual([]);
    expect(code).toBe(2);
  });

  test("a request that stalls once is timed out and retried by the SDK", async () => {
    wire.inject("secretsmanager", "DescribeSecret", { kind: "stall" }, 1);
    const { row, code } = await verify([], CONFIG, { requestTimeoutMs: 300 });
    expect(row("secret", "mavik/ssot/api-token")).toMatchObject({ status: "pass" });
    expect(wire.calls("secretsmanager", "DescribeSecret")).toHaveLength(3);
    expect(code).toBe(0);
  });

  test("throttled twice, then answered: the SDK's retry passes", async () => {
    wire.inject("dynamodb", "DescribeTable", { kind: "throttle" }, 2);
    const { row, code } = await verify();
    expect(row("table", "mavik-ssot-records")).toMatchObject({ status: "pass" });
    expect(code).toBe(0);
  });

  test("throttled past the SDK's retries: could not check", async () => {
    wire.inject("dynamodb", "DescribeTable", { kind: "throttle" });
    const { row, code } = await verify([], CONFIG, { maxAttempts: 2 });
    expect(row("table", "mavik-ssot-records")).toMatchObject({ status: "could-not-check", reason: "throttled past the SDK's retries: Rate of requests exceeds the allowed throughput." });
    expect(code).toBe(2);
  });

  test("a 500 once, then answered", async () => {
    wire.inject("lambda", "GetFunctionConfiguration", { kind: "5xx" }, 1);
    wire.inject("s3", "GetBucketEncryption", { kind: "5xx" }, 1);
    const { code } = await verify();
    expect(code).toBe(0);
  });
});

describe("every bound resource of the environment's stack, bound in config or in code", () => {
  test("a table bound in code is verified with the rest", async () => {
    const stack = environmentStack(ENV);
    stack.dataKey.encryptTable(new DynamodbTable(stack, "extra", { name: "mavik-ssot-extra", hashKey: "id", attribute: [{ name: "id", type: "S" }] }));
    const clients = createClients({ region: "us-east-1", endpoint: wire.url });
    const run = () => verifyEnvironment(ENV, clients, { since: new Date(NOW.getTime() - 86_400_000), until: NOW, bindings: stack.dataKey.bindings });
    const missing = await run();
    expect(missing.find((r) => r.target === "mavik-ssot-extra")).toMatchObject({ check: "table", status: "could-not-check", reason: "not found: Requested resource not found: Table: mavik-ssot-extra not found" });
    wire.world.tables["mavik-ssot-extra"] = { kmsKeyArn: OTHER_ARN };
    const other = await run();
    expect(other.find((r) => r.target === "mavik-ssot-extra")).toMatchObject({ status: "fail", reason: `encrypted with ${OTHER_ARN}, not ${KEY_ARN}` });
    expect(exitCode(other)).toBe(1);
    expect(other.filter((r) => ["bucket", "table", "secret", "function"].includes(r.check))).toHaveLength(9);
  });
});

describe("bad input", () => {
  test.each([["notaurl"], ["ftp://127.0.0.1:21"], ["http://"]])("--endpoint-url %s: exit 2", async (url) => {
    let stderr = "";
    const code = await runVerify(["--env", "ssot", "--endpoint-url", url], { stdout: () => undefined, stderr: (t) => (stderr += t) }, CONFIG);
    expect([code, stderr]).toEqual([2, `error: --endpoint-url: ${JSON.stringify(url)} is not allowed. An http(s) URL such as http://127.0.0.1:4566.\n`]);
  });
  test.each<[string[], string]>([
    [["--timeout", "0"], 'error: --timeout: "0" is not allowed. Seconds, more than 0 and at most 3600.\n'],
    [["--timeout", "soon"], 'error: --timeout: "soon" is not allowed. Seconds, more than 0 and at most 3600.\n'],
    [["--key-id", KEY_ARN], `error: --key-id: "${KEY_ARN}" is not allowed. A key id such as cb424700-0dd0-4dcb-a77d-13af16579270 (not an ARN or alias).\n`],
  ])("%j: exit 2", async (args, message) => {
    let stderr = "";
    const code = await runVerify(["--env", "ssot", ...args], { stdout: () => undefined, stderr: (t) => (stderr += t) }, CONFIG);
    expect([code, stderr]).toEqual([2, message]);
  });
});

describe("--preflight", () => {
  const preflight = (args: string[] = [], config = CONFIG) => verify(["--preflight", ...args], config);
  const dynamodbLocked = { ...ENV, state: { ...ENV.state, locking: { type: "dynamodb" as const, table: "mavik-terraform-locks" } } };

  test("all clear before adopting the existing key: every check passes", async () => {
    wire.world.tables["mavik-terraform-locks"] = { hashKey: "LockID" };
    const { results, code } = await preflight([], configWith(dynamodbLocked));
    expect(results.map((r) => [r.check, r.target, r.status])).toEqual([
      ["caller", `arn:aws:iam::${ACCOUNT}:user/mavik-deployer`, "pass"],
      ["principal", `arn:aws:iam::${ACCOUNT}:user/mavik-developer`, "pass"],
      ["principal", `arn:aws:iam::${ACCOUNT}:user/mavik-deployer`, "pass"],
      ["principal", `arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`, "pass"],
      ["principal", `arn:aws:iam::${ACCOUNT}:role/MavikLambdaRole`, "pass"],
      ["alias", "alias/mavik-data-kms-key", "pass"],
      ["existing-key-policy", KEY_ID, "pass"],
      ["existing-key-put-policy", `arn:aws:iam::${ACCOUNT}:user/mavik-deployer`, "pass"],
      ["state-bucket", "s3://mavik-terraform-state/mavik-data-key/ssot/terraform.tfstate", "pass"],
      ["lock-table", "mavik-terraform-locks", "pass"],
      ["lockout", `arn:aws:iam::${ACCOUNT}:user/mavik-deployer`, "pass"],
    ]);
    expect(results.find((r) => r.check === "existing-key-put-policy")!.reason).toBe(`may call kms:PutKeyPolicy under the live policy of ${KEY_ID}`);
    expect(code).toBe(0);
  });

  test.each<[string, (w: World) => void, EnvironmentConfig, string, string]>([
    ["credentials of another account", (w) => (w.caller = { arn: "arn:aws:iam::210987654321:user/someone", userId: "AIDAX", account: "210987654321" }), ENV, "caller", "credentials of account 210987654321, not ssot's 167067248318: the provider's allowed_account_ids refuses them"],
    ["a role the policy names does not exist", (w) => (w.roles = ["MavikLambdaRole"]), ENV, "principal", "no such role: KMS rejects a key policy naming it (MalformedPolicyDocumentException); create it first, or take it out of the environment"],
    ["the alias is taken by a key nobody adopts", () => undefined, { ...ENV, existingKeyId: undefined }, "alias", `exists already, targeting ${KEY_ID}: creating it fails (AlreadyExistsException). Set existingKeyId to ${KEY_ID} to adopt that key, or choose another alias`],
    ["an unversioned state bucket open to the public", (w) => Object.assign(w.buckets["mavik-terraform-state"], { versioning: null, publicAccessBlock: null }), ENV, "state-bucket", "versioning is off: an overwritten state cannot be recovered; it has no public access block"],
    ["no state bucket", (w) => delete w.buckets["mavik-terraform-state"], ENV, "state-bucket", "the bucket mavik-terraform-state does not exist: terraform init fails. Create it first: versioned, encrypted, public access blocked"],
    ["no lock table", () => undefined, dynamodbLocked, "lock-table", "it does not exist in us-east-1 (state.region, where Terraform's S3 backend looks for it): locking the state fails. Create it there with the partition key LockID (string)"],
  ])("fails: %s (exit 1)", async (_name, change, env, check, reason) => {
    change(wire.world);
    const { results, code } = await preflight([], configWith(env));
    expect(results.find((r) => r.check === check && r.status === "fail")).toMatchObject({ reason });
    expect(code).toBe(1);
  });

  test("the caller would lock itself out: a policy without the root statement and a caller who is no administrator", async () => {
    wire.world.caller = { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ci-deployer/run-42`, userId: "AROAEXAMPLE:run-42" };
    const { row, code } = await preflight([], configWith({ ...ENV, enableIamUserPermissions: false, deployer: "user/mavik-deployer" }));
    expect(row("lockout")).toMatchObject({ status: "fail", target: `arn:aws:sts::${ACCOUNT}:assumed-role/ci-deployer/run-42` });
    expect(row("lockout")!.reason).toMatch(/could not call kms:PutKeyPolicy: no statement allows it\. AWS's policy lockout safety check refuses a key policy that takes kms:PutKeyPolicy from the principal applying it\./);
    expect(code).toBe(1);
  });

  test("what the deploy changes in the live policy of the existing key, statement by statement", async () => {
    wire.world.keys[0].policy = JSON.stringify({ ...SEED_POLICY, Statement: [...SEED_POLICY.Statement, { Sid: "Console edit", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/intern` }, Action: "kms:Decrypt", Resource: "*" }] });
    const { row } = await preflight();
    expect(row("existing-key-policy")).toMatchObject({
      status: "pass",
      reason: `the deploy changes 1 statement(s) of the live policy: removed “Console edit”: Allow; Principal AWS: arn:aws:iam::${ACCOUNT}:user/intern; Action: kms:Decrypt`,
    });
  });

  // The deploy's PutKeyPolicy on the existing key is authorized by its live policy, which the
  // console or another tool may have written: read with the grammar, evaluated only if it passes.
  const withConsoleEdit = (statement: object) => JSON.stringify({ ...SEED_POLICY, Statement: [...SEED_POLICY.Statement, statement] });
  const UNKNOWN_OPERATOR = { Sid: "Console: through S3", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/MavikLambdaRole` }, Action: "kms:Decrypt", Resource: "*", Condition: { StringEqualz: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } } };
  const REFUSED = 'live policy.Statement[5].Condition: "StringEqualz" is not allowed. It is no condition operator of the IAM reference; did you mean "StringEquals"?';

  test.each<[string, object, string]>([
    ["an unknown operator (the evaluator would throw)", UNKNOWN_OPERATOR, REFUSED],
    [
      "NotPrincipal with Allow",
      { Sid: "Console: all but the intern", Effect: "Allow", NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:user/intern` }, Action: "kms:PutKeyPolicy", Resource: "*" },
      `live policy.Statement[5].NotPrincipal: {"AWS":"arn:aws:iam::${ACCOUNT}:user/intern"} is not allowed. NotPrincipal is for "Effect": "Deny" only; AWS does not support it with "Allow". Name the principals to allow in Principal, or deny everyone else with a Deny (NotPrincipal, or aws:PrincipalArn in a condition).`,
    ],
  ])("a live policy the grammar refuses (%s) is not evaluated: could not check, exit 2, never a pass or a trace", async (_name, statement, message) => {
    wire.world.keys[0].policy = withConsoleEdit(statement);
    const { row, code } = await preflight();
    expect(row("existing-key-put-policy")).toEqual({ check: "existing-key-put-policy", target: `arn:aws:iam::${ACCOUNT}:user/mavik-deployer`, status: "could-not-check", reason: `could not evaluate the live policy: ${message}` });
    // What the deploy changes is a comparison, shown with what the grammar refuses.
    expect(row("existing-key-policy")!.reason).toMatch(new RegExp(`^the deploy changes 1 statement\\(s\\) of the live policy: removed “${(statement as { Sid: string }).Sid}”: .*; the live policy is outside the grammar a key policy may use: ${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`));
    expect(code).toBe(2);
  });

  test("verify's drift row names what the grammar refuses in the live policy", async () => {
    wire.world.keys[0].policy = withConsoleEdit(UNKNOWN_OPERATOR);
    const { row } = await verify();
    expect(row("policy")).toMatchObject({ status: "fail", reason: `drift: statement "Console: through S3" is not in the synthesized policy; the live policy is outside the grammar a key policy may use: ${REFUSED}` });
  });

  test("the live policy does not let the caller change it: fail, though the new policy would (the lockout row)", async () => {
    wire.world.caller = { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ci-deployer/run-42`, userId: "AROAEXAMPLE:run-42" };
    wire.world.keys[0].policy = JSON.stringify({ ...SEED_POLICY, Statement: SEED_POLICY.Statement.slice(1) });
    const { row, code } = await preflight();
    expect(row("existing-key-put-policy")).toMatchObject({
      status: "fail",
      reason: `could not call kms:PutKeyPolicy under the live policy of ${KEY_ID} (no statement allows it): the deploy's update of the key policy would be refused (AccessDeniedException). Allow it in the live policy first: the root statement, or kms:PutKeyPolicy for the caller`,
    });
    expect(row("lockout")).toMatchObject({ status: "pass" });
    expect(code).toBe(1);
  });

  test("a federated user's session as the caller is evaluated as AWS does: the live root statement delegates to its IAM and session policies", async () => {
    const federated = `arn:aws:sts::${ACCOUNT}:federated-user/bob`;
    wire.world.caller = { arn: federated, userId: `${ACCOUNT}:bob` };
    const { row } = await preflight();
    expect([row("existing-key-put-policy"), row("lockout")]).toEqual([
      {
        check: "existing-key-put-policy",
        target: federated,
        status: "pass",
        reason: "may call kms:PutKeyPolicy under the live policy of cb424700-0dd0-4dcb-a77d-13af16579270 if its IAM policy allows it (the live policy delegates to the account)",
      },
      { check: "lockout", target: federated, status: "pass", reason: "keeps kms:PutKeyPolicy after the change" },
    ]);
  });

  test("a caller the evaluator cannot place (an ARN of no principal form): could not check, never a trace", async () => {
    const odd = `arn:aws:iam::${ACCOUNT}:group/ops`;
    wire.world.caller = { arn: odd, userId: "AGPAEXAMPLE" };
    const { row, code } = await preflight();
    const reason = `the caller could not be evaluated (not a principal that can call KMS: ${JSON.stringify(odd)})`;
    expect([row("existing-key-put-policy"), row("lockout")]).toEqual([
      { check: "existing-key-put-policy", target: odd, status: "could-not-check", reason },
      { check: "lockout", target: odd, status: "could-not-check", reason },
    ]);
    expect(code).toBe(2);
  });

  test("could not check: access denied on iam:GetRole; a principal of another account", async () => {
    wire.inject("iam", "GetRole", { kind: "error", status: 403, code: "AccessDenied", message: "User is not authorized to perform: iam:GetRole" });
    const partner = { arn: "arn:aws:iam::111111111111:role/partner", crossAccount: true as const };
    const { results, code } = await preflight([], configWith({ ...ENV, users: [...(ENV.users ?? []), partner] }));
    expect(results.filter((r) => r.status === "could-not-check")).toEqual([
      { check: "principal", target: `arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`, status: "could-not-check", reason: "access denied: User is not authorized to perform: iam:GetRole" },
      { check: "principal", target: `arn:aws:iam::${ACCOUNT}:role/MavikLambdaRole`, status: "could-not-check", reason: "access denied: User is not authorized to perform: iam:GetRole" },
      { check: "principal", target: "arn:aws:iam::111111111111:role/partner", status: "could-not-check", reason: "in account 111111111111: its IAM is not readable with ssot's credentials" },
    ]);
    expect(code).toBe(2);
  });

  test("the state bucket must answer in state.region: a redirect is a fail naming the bucket's region, and is not followed", async () => {
    wire.world.buckets["mavik-terraform-state"].region = "us-west-2";
    const { row, code } = await preflight();
    expect(row("state-bucket")).toEqual({
      check: "state-bucket",
      target: "s3://mavik-terraform-state/mavik-data-key/ssot/terraform.tfstate",
      status: "fail",
      reason:
        'the bucket is in us-west-2, not state.region us-east-1: S3 answers 301 PermanentRedirect, which Terraform\'s S3 backend does not follow (terraform init: requested bucket from "us-east-1", actual location "us-west-2"). Set state.region to us-west-2',
    });
    expect(wire.calls("s3").map((c) => `${c.operation} ${c.region}`)).toEqual(["GetBucketVersioning us-east-1"]);
    expect(code).toBe(1);
  });

  test("the state bucket is read in state.region, not the key's region", async () => {
    const { row, code } = await preflight([], configWith({ ...ENV, region: "eu-west-1", resources: undefined }));
    expect(row("state-bucket")).toMatchObject({ status: "pass" });
    expect(wire.calls("s3").map((c) => `${c.operation} ${c.region}`)).toEqual(["GetBucketVersioning us-east-1", "GetBucketEncryption us-east-1", "GetPublicAccessBlock us-east-1"]);
    expect(code).toBe(0);
  });

  // Terraform's S3 backend: `region` is the region of the bucket and of the DynamoDB table.
  test.each<[string, string, CheckResult]>([
    ["only in the state region: pass", "us-west-2", { check: "lock-table", target: "mavik-terraform-locks", status: "pass", reason: "exists in us-west-2, keyed by LockID (string)" }],
    [
      "only in the key's region: fail",
      "us-east-1",
      {
        check: "lock-table",
        target: "mavik-terraform-locks",
        status: "fail",
        reason: "it does not exist in us-west-2 (state.region, where Terraform's S3 backend looks for it): locking the state fails. Create it there with the partition key LockID (string)",
      },
    ],
  ])("the lock table is looked up in state.region: a table %s", async (_name, tableRegion, expected) => {
    wire.world.buckets["mavik-terraform-state"].region = "us-west-2";
    wire.world.tables["mavik-terraform-locks"] = { hashKey: "LockID", region: tableRegion };
    const { row } = await preflight([], configWith({ ...dynamodbLocked, state: { ...dynamodbLocked.state, region: "us-west-2" } }));
    expect(row("lock-table")).toEqual(expected);
    expect(row("state-bucket")).toMatchObject({ status: "pass" });
    expect(wire.calls("dynamodb", "DescribeTable").map((c) => c.region)).toEqual(["us-west-2"]);
  });

  test("credentials of another account stop the run after GetCallerIdentity: every other row is not checked", async () => {
    wire.world.caller = { arn: "arn:aws:iam::210987654321:user/someone", userId: "AIDAX", account: "210987654321" };
    const { results, code } = await preflight([], configWith(dynamodbLocked));
    const notChecked = (check: string, target: string): CheckResult => ({ check, target, status: "could-not-check", reason: "not checked: the credentials are for account 210987654321" });
    expect(results).toEqual([
      { check: "caller", target: "arn:aws:iam::210987654321:user/someone", status: "fail", reason: "credentials of account 210987654321, not ssot's 167067248318: the provider's allowed_account_ids refuses them" },
      notChecked("principal", `arn:aws:iam::${ACCOUNT}:user/mavik-developer`),
      notChecked("principal", `arn:aws:iam::${ACCOUNT}:user/mavik-deployer`),
      notChecked("principal", `arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`),
      notChecked("principal", `arn:aws:iam::${ACCOUNT}:role/MavikLambdaRole`),
      notChecked("alias", "alias/mavik-data-kms-key"),
      notChecked("existing-key-policy", KEY_ID),
      notChecked("existing-key-put-policy", "arn:aws:iam::210987654321:user/someone"),
      notChecked("state-bucket", "s3://mavik-terraform-state/mavik-data-key/ssot/terraform.tfstate"),
      notChecked("lock-table", "mavik-terraform-locks"),
      notChecked("lockout", "arn:aws:iam::210987654321:user/someone"),
    ]);
    expect(wire.received.map((r) => `${r.service}:${r.operation}`)).toEqual(["sts:GetCallerIdentity"]);
    expect(code).toBe(1);
  });

  test("credentials whose account cannot be learned: nothing else is called, every other row is not checked", async () => {
    wire.inject("sts", "GetCallerIdentity", { kind: "error", status: 403, code: "InvalidClientTokenId", message: "The security token included in the request is invalid." });
    const { results, code } = await preflight();
    expect(results[0]).toEqual({ check: "caller", target: "sts:GetCallerIdentity", status: "could-not-check", reason: "access denied: The security token included in the request is invalid." });
    expect(results.slice(1).map((r) => [r.check, r.status, r.reason])).toEqual(
      ["principal", "principal", "principal", "principal", "alias", "existing-key-policy", "existing-key-put-policy", "state-bucket", "lockout"].map((check) => [
        check,
        "could-not-check",
        "not checked: which account the credentials are for is unknown (sts:GetCallerIdentity failed)",
      ]),
    );
    expect(wire.received.map((r) => `${r.service}:${r.operation}`)).toEqual(["sts:GetCallerIdentity"]);
    expect(code).toBe(2);
  });

  // The endpoints AWS's rules give each partition: IAM has one per partition (signed in us-east-1,
  // cn-north-1, us-gov-west-1), STS one per region. The clients are made without an endpoint and
  // only their connections go to the wire, so the Host header is where each call was meant to go.
  test.each([
    ["aws-cn", "cn-northwest-1", "iam.cn-north-1.amazonaws.com.cn", "cn-north-1", "sts.cn-northwest-1.amazonaws.com.cn"],
    ["aws-us-gov", "us-gov-east-1", "iam.us-gov.amazonaws.com", "us-gov-west-1", "sts.us-gov-east-1.amazonaws.com"],
    ["aws", "eu-west-1", "iam.amazonaws.com", "us-east-1", "sts.eu-west-1.amazonaws.com"],
  ])("an %s environment (%s): IAM and STS calls go to the partition's endpoints", async (partition, region, iamHost, iamRegion, stsHost) => {
    const env: EnvironmentConfig = { ...ENV, region, state: { ...ENV.state, region }, resources: undefined };
    Object.assign(wire.world, { region, caller: { arn: `arn:${partition}:iam::${ACCOUNT}:user/mavik-deployer`, userId: "AIDAEXAMPLE" } });
    // The existing key's live policy names the partition's principals, as KMS there keeps them.
    wire.world.keys[0].policy = JSON.stringify(SEED_POLICY).replaceAll("arn:aws:", `arn:${partition}:`);
    let stdout = "";
    const code = await runVerify(["--env", ENV.name, "--preflight", "--json"], {
      stdout: (t) => (stdout += t),
      stderr: () => undefined,
      clients: (o) => {
        const clients = createClients(o);
        routeThroughWire(clients, wire);
        return clients;
      },
    }, configWith(env));
    const results: CheckResult[] = JSON.parse(stdout).results;
    expect(results.filter((r) => r.check === "principal").map((r) => [r.target, r.status])).toEqual(
      ["user/mavik-developer", "user/mavik-deployer", "role/ecsTaskExecutionRole", "role/MavikLambdaRole"].map((p) => [`arn:${partition}:iam::${ACCOUNT}:${p}`, "pass"]),
    );
    expect([...new Set(wire.calls("iam").map((c) => `${c.host} ${c.region}`))]).toEqual([`${iamHost} ${iamRegion}`]);
    expect(wire.calls("sts").map((c) => `${c.host} ${c.region}`)).toEqual([`${stsHost} ${region}`]);
    expect(code).toBe(0);
  });

  test("sends only read-only calls", async () => {
    await preflight();
    expect([...new Set(wire.received.map((r) => `${r.service}:${r.operation}`))].sort()).toEqual([
      "iam:GetRole", "iam:GetUser", "kms:GetKeyPolicy", "kms:ListAliases", "s3:GetBucketEncryption", "s3:GetBucketVersioning", "s3:GetPublicAccessBlock", "sts:GetCallerIdentity",
    ]);
  });
});

describe("the command users type (npm run verify, through scripts/run.js)", () => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>((resolve) => {
      const started = Date.now();
      const child = spawn(process.execPath, [path.join(REPO, "scripts", "run.js"), "verify", "--env", "ssot", "--endpoint-url", wire.url, ...args], {
        cwd: REPO,
        env: { PATH: process.env.PATH, MAVIK_CONFIG: CONFIG, ...CREDENTIALS },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("close", (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
    });

  test("passes against a healthy account", async () => {
    const result = await run(["--since", "90d"]);
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")[0]).toMatch(/^STATUS +CHECK +TARGET +REASON$/);
  });

  test("a stalled endpoint: the process itself ends within the deadline, exit 2", async () => {
    wire.inject("kms", "DescribeKey", { kind: "stall" });
    const result = await run(["--timeout", "2"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/COULD NOT CHECK +key +cb424700-0dd0-4dcb-a77d-13af16579270 +timed out: verify's deadline of 2 s \(--timeout\) passed/);
    // Startup (a bundle, perhaps rebuilt) plus the two seconds; never the SDK's unbounded wait.
    expect(result.ms).toBeLessThan(2000 + 8000);
  });
});

test("a markdown cell keeps text AWS wrote from breaking the report or pinging anyone", () => {
  expect(cell("User: arn:aws:sts::1:assumed-role/r/@octocat is not authorized | </details>\nnext")).toBe(
    "User: arn:aws:sts::1:assumed-role/r/@\u200boctocat is not authorized \\| &lt;/details> next",
  );
});
