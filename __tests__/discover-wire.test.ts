/**
 * `verify --discover` on the wire: the real AWS SDK clients (retries, timeouts, protocols) against
 * the in-repo fake AWS, with an account of every kind of resource: bound in the stack, exempted,
 * on the key outside the stack, not on the key (SSE-S3, another key, AWS owned and AWS managed
 * keys, the alias), unreadable, in another region; many pages per service, strict tokens,
 * throttling and stalls. The adoption block it prints is the fixture environments.adopted.json,
 * which the Terraform tier plans offline.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EnvironmentConfig, loadEnvironments } from "../app";
import { runVerify } from "../cli/verify";
import { createClients, DISCOVER_COMMANDS, OBJECT_SAMPLING_COMMANDS, READ_ONLY_COMMANDS } from "../cli/verify/commands";
import { discoverMarkdown, DiscoverReport, PAGE_SIZES, PLACEHOLDER_BUCKET, REENCRYPTION } from "../cli/verify/discover";
import { AwsWire, World } from "./support/aws-wire";
import { actionAccessLevel } from "./support/iam-data";
import { REPO, SEED_POLICY } from "./support/synth";

const CONFIG = path.join(REPO, "__tests__", "fixtures", "environments.coverage.json");
const ADOPTED = path.join(REPO, "__tests__", "fixtures", "environments.adopted.json");
const ENV = loadEnvironments(CONFIG)[0];
const ACCOUNT = "167067248318";
const KEY_ID = "cb424700-0dd0-4dcb-a77d-13af16579270";
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${KEY_ID}`;
const OTHER_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
const AWS_DYNAMODB_KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/99999999-0000-0000-0000-000000000000`;
const ALIAS_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:alias/mavik-data-kms-key`;
const NOW = new Date("2026-11-28T12:00:00Z");
const onKey = { algorithm: "aws:kms", keyId: KEY_ARN, bucketKey: true };

/** An account with every state discover knows, two resources per page. */
function account(): World {
  return {
    account: ACCOUNT,
    region: "us-east-1",
    keys: [{ id: KEY_ID, policy: JSON.stringify(SEED_POLICY) }],
    aliases: [{ name: "alias/mavik-data-kms-key", targetKeyId: KEY_ID }],
    listPageSize: 2,
    buckets: {
      // bound in the stack
      "mavik-ssot-files": { encryption: onKey },
      "mavik-ssot-legacy-exports": {
        encryption: onKey,
        objects: { "2024/a.csv": "a", "2024/b.csv": "b", "2025/c.csv": "c", "2026/d.csv": "d" },
        objectEncryption: { "2025/c.csv": { algorithm: "aws:kms", keyId: KEY_ARN }, "2026/d.csv": { algorithm: "aws:kms", keyId: KEY_ARN } },
      },
      // exempt, on the key outside the stack, not on the key in four ways, unreadable, the state bucket, another region
      "mavik-access-logs": { encryption: { algorithm: "AES256" } },
      "mavik-ssot-reports": { encryption: onKey },
      "mavik-ssot-uploads": { encryption: { algorithm: "AES256" } },
      "mavik-ssot-archive": { encryption: { algorithm: "aws:kms", keyId: OTHER_ARN } },
      "mavik-ssot-aliased": { encryption: { algorithm: "aws:kms", keyId: ALIAS_ARN } },
      "mavik-ssot-managed": { encryption: { algorithm: "aws:kms" } },
      "mavik-ssot-locked": { encryption: onKey, denied: ["GetBucketEncryption"] },
      "mavik-terraform-state": { encryption: { algorithm: "AES256" }, objects: {} },
      "mavik-eu-exports": { region: "eu-west-1", encryption: { algorithm: "AES256" } },
    },
    tables: {
      "mavik-ssot-records": { kmsKeyArn: KEY_ARN, hashKey: "pk", rangeKey: "sk" },
      "mavik-ssot-audit": { kmsKeyArn: KEY_ARN, hashKey: "id", hashKeyType: "N" },
      "mavik-ssot-sessions": { hashKey: "session", rangeKey: "at", rangeKeyType: "N" },
      "mavik-ssot-metrics": { kmsKeyArn: AWS_DYNAMODB_KEY, hashKey: "metric", hashKeyType: "B" },
      "mavik-ssot-orders": { hashKey: "order", globalSecondaryIndexes: ["by-customer"] },
      "mavik-ssot-events": { kmsKeyArn: KEY_ARN, hashKey: "id" },
      "mavik-ssot-retired": { hashKey: "id" },
    },
    secrets: {
      "mavik/ssot/api-token": { kmsKeyId: KEY_ARN },
      "mavik/ssot/db": { kmsKeyId: KEY_ARN, versions: [{ id: "v2".padEnd(32, "0"), stages: ["AWSCURRENT"], kmsKeyIds: [OTHER_ARN, KEY_ARN] }, { id: "v1".padEnd(32, "0"), stages: ["AWSPREVIOUS"], kmsKeyIds: [OTHER_ARN] }] },
      "mavik/ssot/legacy": {},
      "mavik/ssot/partner-feed": { kmsKeyId: OTHER_ARN },
      "mavik/partner/shared": { kmsKeyId: OTHER_ARN },
      "rds!db-0a1b2c3d": { owningService: "rds" },
      "mavik/eu/replica": { primaryRegion: "eu-west-1", kmsKeyId: OTHER_ARN },
    },
    functions: {
      "mavik-ssot-api": { kmsKeyArn: KEY_ARN },
      "mavik-ssot-sync": { kmsKeyArn: KEY_ARN, packageType: "Image", imageUri: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/mavik-ssot-sync:latest` },
      "mavik-ssot-worker": { runtime: "python3.12", handler: "worker.main" },
      "mavik-ssot-thumbnailer": { kmsKeyArn: OTHER_ARN, packageType: "Image", imageUri: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/thumbnailer:3.1` },
      "mavik-ssot-edge": {},
    },
    events: [],
    caller: { arn: `arn:aws:iam::${ACCOUNT}:user/mavik-deployer`, userId: "AIDAEXAMPLE" },
    users: [],
    roles: [],
  };
}

let wire: AwsWire;
const saved: NodeJS.ProcessEnv = {};
const CREDENTIALS = { AWS_ACCESS_KEY_ID: "AKIAWIRETEST", AWS_SECRET_ACCESS_KEY: "wire-test-secret", AWS_EC2_METADATA_DISABLED: "true" };

beforeAll(async () => {
  wire = await AwsWire.start(account());
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
beforeEach(() => wire.reset(account()));

/** One run over the whole account, shared by the tests that only read its report and its calls. */
let first: Awaited<ReturnType<typeof discover>> & { received: AwsWire["received"] };
beforeAll(async () => {
  wire.reset(account());
  const run = await discover(["--json"]);
  first = { ...run, received: [...wire.received] };
});

/** The environments file with `env` only. */
function configWith(env: EnvironmentConfig): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mavik-discover-config-")), "environments.json");
  fs.writeFileSync(file, JSON.stringify({ environments: [env] }));
  return file;
}

async function discover(args: string[] = [], config = CONFIG, client: { maxAttempts?: number; requestTimeoutMs?: number } = {}) {
  let stdout = "";
  let stderr = "";
  const started = Date.now();
  const code = await runVerify(
    ["--env", loadEnvironments(config)[0].name, "--endpoint-url", wire.url, "--discover", ...args],
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), now: NOW, clients: (o) => createClients({ ...o, ...client }) },
    config,
  );
  const json = args.includes("--json") ? (JSON.parse(stdout) as DiscoverReport & { mode: string }) : undefined;
  const row = (type: string, name: string) => json?.resources.find((r) => r.type === type && r.name === name);
  return { code, stdout, stderr, json, row, ms: Date.now() - started };
}

describe("discover: every resource of the account and region, and where it stands", () => {
  test("each state, with the key it uses and why", () => {
    const { json, code } = first;
    expect(json!.keyArn).toBe(KEY_ARN);
    expect(json!.resources.map((r) => [r.type, r.name, r.state, r.key])).toEqual([
      ["bucket", "mavik-access-logs", "exempt", "AES256 (SSE-S3)"],
      ["bucket", "mavik-ssot-aliased", "not-on-key", ALIAS_ARN],
      ["bucket", "mavik-ssot-archive", "not-on-key", OTHER_ARN],
      ["bucket", "mavik-ssot-files", "bound", KEY_ARN],
      ["bucket", "mavik-ssot-legacy-exports", "bound", KEY_ARN],
      ["bucket", "mavik-ssot-locked", "could-not-check", "?"],
      ["bucket", "mavik-ssot-managed", "not-on-key", "aws/s3 (the AWS managed key)"],
      ["bucket", "mavik-ssot-reports", "on-key", KEY_ARN],
      ["bucket", "mavik-ssot-uploads", "not-on-key", "AES256 (SSE-S3)"],
      ["bucket", "mavik-terraform-state", "not-on-key", "AES256 (SSE-S3)"],
      ["table", "mavik-ssot-audit", "bound", KEY_ARN],
      ["table", "mavik-ssot-events", "on-key", KEY_ARN],
      ["table", "mavik-ssot-metrics", "not-on-key", AWS_DYNAMODB_KEY],
      ["table", "mavik-ssot-orders", "not-on-key", "the AWS owned key"],
      ["table", "mavik-ssot-records", "bound", KEY_ARN],
      ["table", "mavik-ssot-retired", "exempt", "the AWS owned key"],
      ["table", "mavik-ssot-sessions", "not-on-key", "the AWS owned key"],
      ["secret", "mavik/eu/replica", "not-on-key", OTHER_ARN],
      ["secret", "mavik/partner/shared", "exempt", OTHER_ARN],
      ["secret", "mavik/ssot/api-token", "bound", KEY_ARN],
      ["secret", "mavik/ssot/db", "bound", KEY_ARN],
      ["secret", "mavik/ssot/legacy", "not-on-key", "aws/secretsmanager (the AWS managed key)"],
      ["secret", "mavik/ssot/partner-feed", "not-on-key", OTHER_ARN],
      ["secret", "rds!db-0a1b2c3d", "not-on-key", "aws/secretsmanager (the AWS managed key)"],
      ["function", "mavik-ssot-api", "bound", KEY_ARN],
      ["function", "mavik-ssot-edge", "exempt", "the AWS managed key of Lambda"],
      ["function", "mavik-ssot-sync", "bound", KEY_ARN],
      ["function", "mavik-ssot-thumbnailer", "not-on-key", OTHER_ARN],
      ["function", "mavik-ssot-worker", "not-on-key", "the AWS managed key of Lambda"],
    ]);
    expect(json!.otherRegionBuckets).toBe(0);
    expect(json!.staleExemptions).toEqual([]);
    expect(code).toBe(1);
  });

  test.each<[string, string, string, string]>([
    ["bucket", "mavik-ssot-files", "pass", "bound in the stack, on the data key"],
    ["bucket", "mavik-access-logs", "pass", "S3 server access log target: the log delivery service (logging.s3.amazonaws.com) is no principal of the data key's policy"],
    ["bucket", "mavik-ssot-reports", "pass", "on the data key; no stack manages it (adopt it to keep it there)"],
    ["bucket", "mavik-ssot-uploads", "fail", "default encryption is AES256, not aws:kms with the data key"],
    ["bucket", "mavik-ssot-archive", "fail", `encrypted with ${OTHER_ARN}, not the data key`],
    ["bucket", "mavik-ssot-aliased", "fail", "names the alias, which can be pointed at another key; binding writes the key ARN"],
    ["bucket", "mavik-ssot-managed", "fail", "encrypted with aws/s3 (the AWS managed key), not the data key"],
    ["bucket", "mavik-ssot-locked", "could-not-check", "access denied: Access Denied"],
    [
      "bucket",
      "mavik-terraform-state",
      "fail",
      "default encryption is AES256, not aws:kms with the data key; not in the adoption block: it holds this environment's Terraform state; keep it off the key that state manages (exempt it), or give it state.kmsKeyId",
    ],
    [
      "table",
      "mavik-ssot-orders",
      "fail",
      "encrypted with the AWS owned key, not the data key; not in the adoption block: it has global secondary indexes (by-customer), which a resources entry (name and keys, on demand) does not declare: the plan would change or remove them. Bind it in code (DataKey.encryptTable) with its whole definition",
    ],
    ["secret", "rds!db-0a1b2c3d", "fail", "encrypted with aws/secretsmanager (the AWS managed key), not the data key; not in the adoption block: rds manages it; change its key through rds"],
    [
      "secret",
      "mavik/eu/replica",
      "fail",
      `encrypted with ${OTHER_ARN}, not the data key; not in the adoption block: it is a replica of a secret in eu-west-1; its key here is set in the primary's replication settings`,
    ],
    ["function", "mavik-ssot-worker", "fail", "encrypted with the AWS managed key of Lambda, not the data key"],
  ])("%s %s: %s, %s", (type, name, status, reason) => {
    expect(first.row(type, name)).toMatchObject({ status, reason });
  });
});

describe("the resources block to adopt what is not on the key", () => {
  test("the environment's own entries, then one existing entry per resource to adopt: the fixture the Terraform tier plans", () => {
    const { json } = first;
    const adopted = loadEnvironments(ADOPTED)[0];
    expect(json!.adoption).toEqual(adopted.resources);
    expect(adopted.resources!.tables!.find((t) => t.name === "mavik-ssot-sessions")).toEqual({ name: "mavik-ssot-sessions", existing: true, hashKey: "session", hashKeyType: "S", rangeKey: "at", rangeKeyType: "N" });
    expect(adopted.resources!.secrets!.find((t) => t.name === "mavik/ssot/legacy")).toEqual({ name: "mavik/ssot/legacy", arn: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:mavik/ssot/legacy-AbCdEf` });
    expect(json!.resources.filter((r) => r.adopt).map((r) => `${r.type} ${r.name}`)).toEqual([
      "bucket mavik-ssot-aliased",
      "bucket mavik-ssot-archive",
      "bucket mavik-ssot-managed",
      "bucket mavik-ssot-uploads",
      "table mavik-ssot-metrics",
      "table mavik-ssot-sessions",
      "secret mavik/ssot/legacy",
      "secret mavik/ssot/partner-feed",
      "function mavik-ssot-thumbnailer",
      "function mavik-ssot-worker",
    ]);
    // Lambda's API does not say where a .zip came from: a placeholder, said so.
    expect(json!.resources.find((r) => r.name === "mavik-ssot-worker")!.note).toContain(`"${PLACEHOLDER_BUCKET}" is a placeholder`);
  });

  test("the text output: the block to paste, its notes, and what re-encrypting would take, once", async () => {
    const { stdout, code } = await discover();
    expect(stdout).toContain('10 resource(s) to adopt. Replace the "resources" of environment covered in environments.json with this block');
    const block = stdout.slice(stdout.indexOf('{\n  "resources"'), stdout.indexOf("\n}\n") + 2);
    expect(JSON.parse(block)).toEqual({ resources: loadEnvironments(ADOPTED)[0].resources });
    expect(stdout).toContain(`note: function mavik-ssot-worker: Lambda does not say where a .zip package came from`);
    expect(stdout.split(REENCRYPTION)).toHaveLength(2);
    expect(code).toBe(1);
  });

  test("after the paste, the adopted resources are bound (not on the key until the apply), and nothing is left to adopt", async () => {
    const adopted = { ...ENV, resources: loadEnvironments(ADOPTED)[0].resources };
    const { json, code } = await discover(["--json"], configWith(adopted));
    expect(json!.adoption).toBeUndefined();
    expect(json!.resources.filter((r) => r.state === "not-on-key").map((r) => r.name)).toEqual(["mavik-terraform-state", "mavik-ssot-orders", "mavik/eu/replica", "rds!db-0a1b2c3d"]);
    expect(json!.resources.find((r) => r.name === "mavik-ssot-uploads")).toMatchObject({ state: "bound", status: "fail", reason: "bound in the stack, not on the key yet (default encryption is AES256, not aws:kms with the data key): the next apply binds it" });
    expect(code).toBe(1);
  });
});


describe("paged with fixed parameters, throttling- and timeout-safe", () => {
  test("every listing takes several pages, each with the same parameters (the tokens are strict)", () => {
    const withoutToken = (service: string, operation: string, token: string) =>
      first.received.filter((c) => c.service === service && c.operation === operation).map((c) => Object.fromEntries(Object.entries(c.input).filter(([k]) => k !== token)));
    const listings: [string, string, string, Record<string, unknown>][] = [
      ["s3", "ListBuckets", "ContinuationToken", { MaxBuckets: PAGE_SIZES.ListBuckets, BucketRegion: "us-east-1" }],
      ["dynamodb", "ListTables", "ExclusiveStartTableName", { Limit: PAGE_SIZES.ListTables }],
      ["secretsmanager", "ListSecrets", "NextToken", { MaxResults: PAGE_SIZES.ListSecrets }],
      ["lambda", "ListFunctions", "Marker", { MaxItems: PAGE_SIZES.ListFunctions }],
    ];
    for (const [service, operation, token, params] of listings) {
      const calls = withoutToken(service, operation, token);
      expect([operation, calls.length > 2]).toEqual([operation, true]);
      expect([operation, new Set(calls.map((c) => JSON.stringify(c))).size, calls[0]]).toEqual([operation, 1, params]);
    }
    expect(first.received.filter((c) => c.operation === "ListBuckets")).toHaveLength(5);
  });

  test("S3: ListBuckets is asked for the environment's region; where it does not say a bucket's region, GetBucketLocation does", async () => {
    wire.world.listBucketsWithoutRegion = true;
    const { json } = await discover(["--json"]);
    expect(json!.resources.some((r) => r.name === "mavik-eu-exports")).toBe(false);
    expect(json!.otherRegionBuckets).toBe(1);
    expect(wire.calls("s3", "GetBucketLocation").map((c) => c.input.Bucket)).toContain("mavik-eu-exports");
    expect(wire.calls("s3", "GetBucketEncryption").map((c) => c.input.Bucket)).not.toContain("mavik-eu-exports");
    expect(json!.resources.filter((r) => r.type === "bucket")).toHaveLength(10);
  });

  test("throttled, then answered: the SDK's retry gives the same report", async () => {
    // One throttle, on a later page (the SDK's backoff after a throttle is up to a second).
    wire.inject("dynamodb", "ListTables", { kind: "throttle" }, 1, 1);
    const { json, code } = await discover(["--json"]);
    expect(json!.resources.filter((r) => r.state === "could-not-check").map((r) => r.name)).toEqual(["mavik-ssot-locked"]);
    expect(json!.resources).toEqual(first.json!.resources);
    expect(wire.calls("dynamodb", "ListTables")).toHaveLength(5);
    expect(code).toBe(1);
  });

  test("throttled past the retries on a later page: what was listed stays, and a row says the rest could not be seen", async () => {
    Object.assign(wire.world, { buckets: {}, tables: {}, functions: {}, listPageSize: 3 });
    wire.inject("secretsmanager", "ListSecrets", { kind: "throttle" }, Infinity, 1);
    const { json, code } = await discover(["--json"], CONFIG, { maxAttempts: 2 });
    expect(json!.resources.filter((r) => r.type === "secret").map((r) => [r.name, r.state, r.reason])).toEqual([
      ["(further secrets)", "could-not-check", "listing stopped after 1 page(s): throttled past the SDK's retries: Rate exceeded"],
      ["mavik/eu/replica", "not-on-key", expect.any(String)],
      ["mavik/partner/shared", "exempt", expect.any(String)],
      ["mavik/ssot/api-token", "bound", "bound in the stack, on the data key"],
    ]);
    // Nothing is said of the bound secret the listing did not reach, nor of the exemptions.
    expect(json!.resources.some((r) => r.name === "mavik/ssot/db")).toBe(false);
    expect(code).toBe(1);
  });

  test("a request that stalls once is timed out and retried", async () => {
    Object.assign(wire.world, { buckets: {}, tables: {}, secrets: {} });
    wire.inject("lambda", "ListFunctions", { kind: "stall" }, 1, 1);
    const { json } = await discover(["--json"], CONFIG, { requestTimeoutMs: 300 });
    expect(json!.resources.filter((r) => r.type === "function")).toHaveLength(5);
    expect(wire.calls("lambda", "ListFunctions")).toHaveLength(4);
  });

  test("an endpoint that never answers: within the deadline, every listing left says it could not check", async () => {
    wire.inject("dynamodb", "ListTables", { kind: "stall" });
    // 3 s, not less: what comes before the stalled listing must finish inside the deadline even
    // on a loaded 2-core machine (at 1 s it did not, once, at load average 8).
    const { json, code, ms } = await discover(["--json", "--timeout", "3"]);
    expect(ms).toBeLessThan(3000 + 1500);
    expect(json!.resources.filter((r) => r.state === "could-not-check").map((r) => [r.name, r.reason])).toEqual([
      ["mavik-ssot-locked", "access denied: Access Denied"],
      ["(further tables)", "listing stopped after 0 page(s): timed out: verify's deadline of 3 s (--timeout) passed"],
      ["(further secrets)", "listing stopped after 0 page(s): timed out: verify's deadline of 3 s (--timeout) passed"],
      ["(further functions)", "listing stopped after 0 page(s): timed out: verify's deadline of 3 s (--timeout) passed"],
    ]);
    expect(code).toBe(1);
  });
});

describe("--objects: what binding does not re-encrypt", () => {
  /** Only what these tests read: the adopted bucket and secret (fewer calls per run). */
  const trim = (w: World) => {
    w.buckets = { "mavik-ssot-legacy-exports": w.buckets["mavik-ssot-legacy-exports"] };
    w.secrets = { "mavik/ssot/db": w.secrets["mavik/ssot/db"] };
    w.tables = {};
    w.functions = {};
  };
  beforeEach(() => trim(wire.world));

  test("an adopted bucket's first n objects, and an adopted secret's current version", async () => {
    const { json, code } = await discover(["--json", "--objects", "3"]);
    expect(json!.reencryption).toEqual([
      { check: "objects", target: "mavik-ssot-legacy-exports", status: "fail", reason: "2 of the first 3 key(s) by name are not under the key (2 SSE-S3): binding did not re-encrypt them" },
      { check: "secret-version", target: "mavik/ssot/db", status: "pass", reason: `its current version is under the key, and still under ${OTHER_ARN} too (Secrets Manager keeps the earlier key's copy)` },
    ]);
    // Two keys a page here: the second page with the same MaxKeys, and the listing stops at three.
    expect(wire.calls("s3", "ListObjectsV2").map((c) => c.input)).toEqual([
      { Bucket: "mavik-ssot-legacy-exports", MaxKeys: 3 },
      { Bucket: "mavik-ssot-legacy-exports", MaxKeys: 3, ContinuationToken: expect.any(String) },
    ]);
    expect(wire.calls("s3", "HeadObject").map((c) => c.input.Key)).toEqual(["2024/a.csv", "2024/b.csv", "2025/c.csv"]);
    // Only adopted (existing) resources are sampled: the bucket the stack creates is not.
    expect(wire.calls("s3", "HeadObject").every((c) => c.input.Bucket === "mavik-ssot-legacy-exports")).toBe(true);
    expect(code).toBe(1);
  });

  test.each<[string, (w: World) => void, string, string]>([
    ["a current version under the old key only", (w) => (w.secrets["mavik/ssot/db"].versions = [{ id: "v2".padEnd(32, "0"), stages: ["AWSCURRENT"], kmsKeyIds: [OTHER_ARN] }]), "fail", `its current version is under ${OTHER_ARN}, not the key: a new version (PutSecretValue) is written under the key`],
    ["no KmsKeyIds in the answer", (w) => (w.secrets["mavik/ssot/db"].versions = [{ id: "v2".padEnd(32, "0"), stages: ["AWSCURRENT"] }]), "could-not-check", "Secrets Manager did not say which keys encrypt its current version (no KmsKeyIds in ListSecretVersionIds)"],
    ["the alias named", (w) => (w.secrets["mavik/ssot/db"].versions = [{ id: "v2".padEnd(32, "0"), stages: ["AWSCURRENT"], kmsKeyIds: [ALIAS_ARN] }]), "could-not-check", `its current version names the alias (${ALIAS_ARN}), which may have pointed at another key when the version was written`],
  ])("a secret's current version: %s", async (_name, change, status, reason) => {
    change(wire.world);
    const { json } = await discover(["--json", "--objects", "1"]);
    expect(json!.reencryption.find((r) => r.check === "secret-version")).toEqual({ check: "secret-version", target: "mavik/ssot/db", status, reason });
  });

  test("objects all under the key pass; an unreadable object is could not check, never a pass", async () => {
    wire.world.buckets["mavik-ssot-legacy-exports"].objectEncryption = Object.fromEntries(["2024/a.csv", "2024/b.csv"].map((k) => [k, { algorithm: "aws:kms", keyId: KEY_ARN }]));
    const pass = await discover(["--json", "--objects", "2"]);
    expect(pass.json!.reencryption[0]).toMatchObject({ status: "pass", reason: "all of the first 2 key(s) by name are under the key" });
    wire.inject("s3", "HeadObject", { kind: "error", status: 403, code: "Forbidden", message: "Forbidden" }, 1);
    const denied = await discover(["--json", "--objects", "2"]);
    expect(denied.json!.reencryption[0]).toMatchObject({ status: "could-not-check", reason: expect.stringMatching(/^1 of the first 2 key\(s\) by name could not be read: 2024\/a\.csv \(/) });
  });
});

describe("read-only, and what the audit role may call", () => {
  test("a run with --objects sends only List, Describe and Get calls, each a List or Read action in AWS's service authorization data", async () => {
    await discover(["--json", "--objects", "2"]);
    expect([...new Set(wire.received.map((r) => `${r.service}:${r.operation}`))].sort()).toEqual([
      "dynamodb:DescribeTable",
      "dynamodb:ListTables",
      "kms:DescribeKey",
      "lambda:GetFunction",
      "lambda:ListFunctions",
      "s3:GetBucketEncryption",
      "s3:HeadObject",
      "s3:ListBuckets",
      "s3:ListObjectsV2",
      "secretsmanager:ListSecretVersionIds",
      "secretsmanager:ListSecrets",
    ]);
    // GetFunction only for image functions: for a .zip it hands out a presigned URL to the code.
    expect(wire.calls("lambda", "GetFunction").map((c) => c.input.FunctionName)).toEqual(["mavik-ssot-thumbnailer"]);
    const actions = [...Object.values(DISCOVER_COMMANDS), ...Object.values(OBJECT_SAMPLING_COMMANDS)].map((c) => c.action);
    expect(actions.map((a) => [a, actionAccessLevel(a)]).filter(([, level]) => level !== "Read" && level !== "List")).toEqual([]);
  });

  test("the audit role gets discover's list calls, not the object sampling (HeadObject is s3:GetObject: it would read the data)", async () => {
    let stdout = "";
    await runVerify(["--env", ENV.name, "--audit-role-policy"], { stdout: (t) => (stdout += t), stderr: () => undefined }, CONFIG);
    const policy = JSON.parse(stdout) as { Statement: { Sid: string; Action: string[]; Resource: unknown }[] };
    expect(policy.Statement.find((st) => st.Sid === "Discover")).toEqual({
      Sid: "Discover",
      Effect: "Allow",
      Action: ["dynamodb:ListTables", "lambda:GetFunction", "lambda:ListFunctions", "s3:GetBucketLocation", "s3:ListAllMyBuckets", "secretsmanager:ListSecretVersionIds", "secretsmanager:ListSecrets"],
      Resource: "*",
    });
    // discover's other reads are verify's own.
    expect(policy.Statement.find((st) => st.Sid === "Verify")!.Action).toEqual(expect.arrayContaining([READ_ONLY_COMMANDS.GetBucketEncryptionCommand.action, READ_ONLY_COMMANDS.DescribeTableCommand.action]));
    const granted = policy.Statement.flatMap((st) => st.Action);
    expect(granted.filter((a) => a === "s3:GetObject")).toHaveLength(1);
    expect(policy.Statement.find((st) => st.Action.includes("s3:GetObject"))!.Resource).toEqual(["arn:aws:s3:::mavik-terraform-state/mavik-data-key/covered/terraform.tfstate"]);
  });
});

describe("outputs and bad input", () => {
  test("--markdown: counts, one table, the block folded, the re-encryption note", () => {
    const stdout = discoverMarkdown(first.json!);
    const code = first.code;
    const lines = stdout.split("\n");
    expect(lines.slice(0, 5)).toEqual([
      "## Data key discover: `covered`",
      "",
      "**14 not on the key, 1 not checked, 2 on the key outside the stack, 4 exempt, 8 bound** (exit 1).",
      "",
      "| type | name | state | key | reason |",
    ]);
    expect(stdout).toContain("<details><summary>The resources block to adopt them</summary>");
    expect(stdout).toContain("| bucket | `mavik-ssot-locked` | could not check | `?` | access denied: Access Denied |");
    expect(code).toBe(1);
  });

  test.each<[string[], string]>([
    [["--objects", "3"], "error: --objects: not allowed without --discover. It samples the objects of the buckets discover finds adopted.\n"],
    [["--discover", "--objects", "0"], 'error: --objects: "0" is not allowed. A whole number of objects per bucket, 1 to 1000 (one ListObjectsV2 page).\n'],
    [["--discover", "--objects", "1001"], 'error: --objects: "1001" is not allowed. A whole number of objects per bucket, 1 to 1000 (one ListObjectsV2 page).\n'],
    [["--discover", "--preflight"], "error: --discover: not allowed with --preflight. Choose one.\n"],
  ])("%j: exit 2", async (args, message) => {
    let stderr = "";
    const code = await runVerify(["--env", ENV.name, ...args], { stdout: () => undefined, stderr: (t) => (stderr += t), clients: () => { throw new Error("no client may be made"); } }, CONFIG);
    expect([code, stderr]).toEqual([2, message]);
  });

  test("a bad exemption is the synth's error, before any call", async () => {
    const bad = { ...ENV, audit: { coverage: { exemptions: [{ type: "secret" as const, name: "mavik/partner/shared", reason: "shared with a partner account" }] } } };
    const { code, stderr } = await discover([], configWith(bad));
    expect(stderr).toContain('error: audit.coverage.exemptions[0].name: "mavik/partner/shared" is not allowed. Expected arn:aws:secretsmanager:us-east-1:167067248318:secret:<name>-<6 characters>.');
    expect(code).toBe(2);
    expect(wire.received).toEqual([]);
  });
});
