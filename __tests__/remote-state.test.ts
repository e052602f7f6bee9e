/**
 * Remote state for real: Terraform's S3 backend against s3rver (S3-compatible) and dynalite
 * (DynamoDB-compatible), both started here on 127.0.0.1.
 */
import { CreateTableCommand, DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { ChildProcessWithoutNullStreams, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MULTI_CONFIG, synthApp } from "./support/synth";
import { findTerraform, localBackendCopy, terraformAvailable, TerraformSandbox, TerraformWorkspace } from "./support/terraform";

const BUCKET = "mavik-terraform-state";
const LOCK_TABLE = "mavik-terraform-locks";
const describeState = terraformAvailable("Remote state tier (S3 backend on s3rver and dynalite)") ? describe : describe.skip;

describeState("remote state: one S3 object per environment, DynamoDB locking", () => {
  const stacks = synthApp(MULTI_CONFIG).json;
  let servers: ChildProcessWithoutNullStreams;
  let s3Dir: string;
  let sandbox: TerraformSandbox;
  let endpoints: { s3: string; dynamodb: string };
  const workspaces: Record<string, TerraformWorkspace> = {};
  let prodPlan: Promise<string>;

  beforeAll(async () => {
    s3Dir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-s3rver-"));
    // In their own process: Terraform runs synchronously here and would block in-process servers.
    servers = spawn(process.execPath, [path.join(__dirname, "support", "local-aws-servers.js"), s3Dir, BUCKET]);
    endpoints = await new Promise((resolve, reject) => {
      let out = "";
      servers.stdout.on("data", (d) => {
        out += d;
        if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0]));
      });
      servers.stderr.on("data", (d) => (out += d));
      servers.on("exit", (code) => reject(new Error(`local S3/DynamoDB servers exited (${code}): ${out}`)));
    });

    const client = dynamoClient();
    await client.send(
      new CreateTableCommand({
        TableName: LOCK_TABLE,
        KeySchema: [{ AttributeName: "LockID", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "LockID", AttributeType: "S" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    client.destroy();

    sandbox = new TerraformSandbox("state");
    for (const name of Object.keys(stacks)) workspaces[name] = sandbox.workspace(name, localBackendCopy(stacks[name], endpoints));
    await Promise.all(Object.values(workspaces).map((ws) => ws.ok(["init", "-input=false", "-no-color"])));
    // Prod's plan touches only prod's object: it runs while staging's lock is contended below.
    prodPlan = workspaces.prod.ok(["plan", "-input=false", "-no-color", "-lock=true"]);
    prodPlan.catch(() => undefined); // awaited (and reported) by its test
  });

  afterAll(async () => {
    sandbox?.dispose();
    if (servers && servers.exitCode === null) {
      const exited = new Promise((resolve) => servers.on("exit", resolve));
      servers.stdin.end();
      await exited;
    }
    fs.rmSync(s3Dir, { recursive: true, force: true });
  });

  async function dynamoClientScan() {
    const client = dynamoClient();
    try {
      return (await client.send(new ScanCommand({ TableName: LOCK_TABLE }))).Items ?? [];
    } finally {
      client.destroy();
    }
  }

  function dynamoClient(): DynamoDBClient {
    return new DynamoDBClient({
      endpoint: endpoints.dynamodb,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
  }

  /** The objects in the state bucket, as s3rver stores them. */
  function stateObjects(): string[] {
    const root = path.join(s3Dir, BUCKET);
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith("._S3rver_object")) found.push(path.relative(root, full).replace(/\._S3rver_object$/, ""));
      }
    };
    if (fs.existsSync(root)) walk(root);
    return found.sort();
  }

  function readState(key: string): any {
    return JSON.parse(fs.readFileSync(path.join(s3Dir, BUCKET, `${key}._S3rver_object`), "utf8"));
  }

  // Each Terraform run here costs seconds of the provider's CPU, so each serves every assertion
  // that can read it: prod's first plan (started in beforeAll, running while staging's lock is
  // contended) also shows the lockfile left nothing behind; the lock holder's apply plans against
  // staging's backend before it waits at its prompt; and the refresh-only apply that writes
  // staging's state is also the run that shows the lock was released.

  test("terraform plans against staging's backend; while it holds the DynamoDB lock, a second plan fails with Terraform's lock error", async () => {
    // The first holder: a real `terraform apply` in a second working directory of staging,
    // waiting at its approval prompt with the lock held.
    const holderWs = sandbox.workspace("staging-holder", localBackendCopy(stacks.staging, endpoints));
    await holderWs.ok(["init", "-input=false", "-no-color"]);
    const holder = spawn(findTerraform()!, ["apply", "-no-color", "-input=true"], {
      cwd: holderWs.dir,
      env: { ...holderWs.env, TF_INPUT: "1" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let holderOutput = "";
    holder.stdout.on("data", (d) => (holderOutput += d));
    holder.stderr.on("data", (d) => (holderOutput += d));
    try {
      await waitFor(() => holderOutput.includes("Enter a value"), 60_000, () => holderOutput);
      // The holder planned against staging's synthesized S3 backend (empty state) first.
      expect(holderOutput).toContain("Plan: 2 to add, 0 to change, 0 to destroy.");

      const items = await dynamoClientScan();
      const lock = items.find((i) => i.LockID?.S === `${BUCKET}/mavik-data-key/staging/terraform.tfstate`);
      expect(lock).toBeDefined();
      expect(JSON.parse(lock!.Info!.S!).Operation).toBe("OperationTypeApply");

      const second = await workspaces.staging.run(["plan", "-input=false", "-no-color", "-lock-timeout=0s"]);
      expect(second.code).not.toBe(0);
      expect(second.stderr).toContain("Error acquiring the state lock");
      expect(second.stderr).toContain("OperationTypeApply");
    } finally {
      holder.stdin.end("no\n");
      await new Promise((resolve) => holder.on("close", resolve));
    }
    // Released: the next run takes the lock (the refresh-only apply of the next test).
    const items = (await dynamoClientScan()).filter((i) => i.LockID?.S === `${BUCKET}/mavik-data-key/staging/terraform.tfstate`);
    expect(items).toEqual([]);
  });

  test("terraform plan runs against prod's synthesized S3 backend, locked with use_lockfile", async () => {
    const out = await prodPlan;
    expect(out).toContain("Plan: 2 to add, 0 to change, 0 to destroy.");
    // Terraform's S3 lockfile relies on S3's If-None-Match conditional PUT. s3rver accepts the
    // lock object but does not enforce the condition, so a second holder would not be refused:
    // lock contention is shown with the DynamoDB table below. What is shown here: prod's backend
    // asks for the lockfile, and a locked run leaves no lock object behind.
    expect(stacks.prod.terraform.backend.s3.use_lockfile).toBe(true);
    expect(stateObjects().filter((k) => k.endsWith(".tflock"))).toEqual([]);
  });

  test("state lands under each environment's own key, and no two environments share an object", async () => {
    // A refresh-only apply writes state (here: the outputs) without touching AWS resources. For
    // staging it also takes the DynamoDB lock the holder above released.
    await Promise.all(Object.values(workspaces).map((ws) => ws.ok(["apply", "-refresh-only", "-auto-approve", "-input=false", "-no-color"])));
    expect(stateObjects()).toEqual(["mavik-data-key/prod/terraform.tfstate", "mavik-data-key/staging/terraform.tfstate"]);
    const prod = readState("mavik-data-key/prod/terraform.tfstate");
    const staging = readState("mavik-data-key/staging/terraform.tfstate");
    expect(prod.lineage).not.toBe(staging.lineage);
    expect(prod.outputs.alias_name.value).toBe("alias/mavik-data-kms-key");
    expect(staging.outputs.alias_name.value).toBe("alias/mavik-data-kms-key");

    // Planning prod reads prod's object back: alias_name is already in it, so it is no longer
    // planned as new. Staging's object stays byte for byte as it was.
    const stagingBefore = fs.readFileSync(path.join(s3Dir, BUCKET, "mavik-data-key/staging/terraform.tfstate._S3rver_object"));
    const out = await workspaces.prod.ok(["plan", "-refresh-only", "-input=false", "-no-color"]);
    expect(out).toContain("+ key_arn");
    expect(out).not.toContain("+ alias_name");
    expect(fs.readFileSync(path.join(s3Dir, BUCKET, "mavik-data-key/staging/terraform.tfstate._S3rver_object"))).toEqual(stagingBefore);
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms; output so far:\n${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
