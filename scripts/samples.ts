/**
 * `npm run samples`: the sample outputs the pages show, made by the commands themselves.
 *
 * - `sample-review`, `sample-review-head`: the review comment of the quickstart, from a real
 *   offline plan: `npm run synth`, `npm run plan -- --env prod --offline` and
 *   `npm run review -- --plan prod=plans/prod.json`, run in a copy of the shipped environments
 *   file (Terraform and the AWS provider needed: `--provider-mirror` or
 *   `$MAVIK_TF_PROVIDER_MIRROR`, as for the plan). `__tests__/deploy-docs.test.ts` makes the same
 *   report in its offline chain and checks the pages show it.
 * - `sample-verify`, `sample-preflight`, `sample-discover`: `npm run verify` in-process with the
 *   real AWS SDK clients against the wire-level fake AWS of the tests
 *   (`__tests__/support/aws-wire.ts`), holding the worlds below, at a fixed time.
 *   `__tests__/generated-docs.test.ts` renders them again and compares.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { environmentStack, EnvironmentConfig, loadEnvironments } from "../app";
import { runVerify } from "../cli/verify";
import { AwsWire, emptyWorld, World } from "../__tests__/support/aws-wire";
import { ROOT, writeBlocks } from "./generated-blocks";

const ACCOUNT = "167067248318";
const KEY_ID = "cb424700-0dd0-4dcb-a77d-13af16579270";
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${KEY_ID}`;
const ALIAS_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:alias/mavik-data-kms-key`;
const OTHER_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
/** The samples' clock: CloudTrail windows are relative to it. */
export const NOW = new Date("2026-11-28T12:00:00Z");

export const SHIPPED = path.join(ROOT, "environments.json");
export const ADOPT_EXISTING = path.join(ROOT, "examples", "adopt-existing", "environments.json");

/** The key policy the environment's stack synthesizes: what the live key holds after a deploy. */
const policyOf = (env: EnvironmentConfig) => environmentStack(env).toTerraform().resource.aws_kms_key.mavik_data_key.policy as string;
const lambdaRole = { type: "AssumedRole", arn: `arn:aws:sts::${ACCOUNT}:assumed-role/MavikLambdaRole/mavik-ssot-sync`, sessionContext: { sessionIssuer: { type: "Role", arn: `arn:aws:iam::${ACCOUNT}:role/MavikLambdaRole` } } };
const onKey = { algorithm: "aws:kms", keyId: KEY_ARN, bucketKey: true };
const stateBucket = {
  encryption: { algorithm: "AES256" },
  versioning: "Enabled" as const,
  publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
  objects: {},
};

/**
 * verify of examples/adopt-existing after its deploy: the key, the alias and every adopted
 * resource on the key, but one secret that names the alias ARN rather than the key ARN.
 */
export function verifyWorld(): World {
  const env = loadEnvironments(ADOPT_EXISTING)[0];
  return emptyWorld({
    keys: [{ id: KEY_ID, policy: policyOf(env) }],
    aliases: [{ name: "alias/mavik-data-kms-key", targetKeyId: KEY_ID }],
    buckets: { "mavik-ssot-exports": { encryption: onKey }, "mavik-terraform-state-167067248318": stateBucket },
    tables: { "mavik-ssot-records": { kmsKeyArn: KEY_ARN, hashKey: "pk", rangeKey: "sk" } },
    secrets: { "mavik/ssot/db": { kmsKeyId: ALIAS_ARN } },
    functions: { "mavik-ssot-sync": { kmsKeyArn: KEY_ARN, packageType: "Image" } },
    events: [
      ...[1, 2, 5, 26, 50].map((h) => ({ name: "Decrypt", time: new Date(NOW.getTime() - h * 3_600_000), identity: lambdaRole, resource: KEY_ARN })),
      { name: "GenerateDataKey", time: new Date(NOW.getTime() - 3 * 3_600_000), identity: lambdaRole, resource: KEY_ARN },
    ],
  });
}

/** --preflight of the shipped prod before its first deploy: the console key, the bootstrap's state bucket. */
export function preflightWorld(): World {
  const env = loadEnvironments(SHIPPED)[0];
  return emptyWorld({
    keys: [{ id: KEY_ID, policy: policyOf(env) }],
    aliases: [{ name: "alias/mavik-data-kms-key", targetKeyId: KEY_ID }],
    buckets: { "mavik-terraform-state-167067248318": stateBucket },
    users: ["mavik-developer", "mavik-deployer"],
    roles: ["ecsTaskExecutionRole", "MavikLambdaRole"],
  });
}

/** --discover for the shipped prod (which binds nothing yet) in an account with a resource of each kind. */
export function discoverWorld(): World {
  const env = loadEnvironments(SHIPPED)[0];
  return emptyWorld({
    keys: [{ id: KEY_ID, policy: policyOf(env) }, { id: OTHER_ARN.split("/")[1] }],
    aliases: [{ name: "alias/mavik-data-kms-key", targetKeyId: KEY_ID }],
    buckets: {
      "mavik-ssot-files": { encryption: onKey },
      "mavik-ssot-exports": { encryption: { algorithm: "AES256" } },
      "mavik-terraform-state-167067248318": stateBucket,
    },
    tables: { "mavik-ssot-records": { hashKey: "pk", rangeKey: "sk" } },
    secrets: { "mavik/ssot/api-token": { kmsKeyId: KEY_ARN }, "mavik/ssot/db": { kmsKeyId: OTHER_ARN } },
    functions: { "mavik-ssot-sync": { packageType: "Image", imageUri: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/mavik-ssot-sync:1` } },
  });
}

/** No credentials anywhere the SDK's default chain looks (no variables, no files, no instance metadata). */
const NO_CREDENTIALS: Record<string, string | undefined> = {
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
  AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
  AWS_SHARED_CREDENTIALS_FILE: path.join(os.tmpdir(), "mavik-samples-no-such-file"),
  AWS_CONFIG_FILE: path.join(os.tmpdir(), "mavik-samples-no-such-file"),
  AWS_EC2_METADATA_DISABLED: "true",
};
const WIRE_CREDENTIALS = { ...NO_CREDENTIALS, AWS_ACCESS_KEY_ID: "AKIASAMPLE", AWS_SECRET_ACCESS_KEY: "sample" };

/**
 * The verify samples: the command line each page shows, its environments file, and the world the
 * wire-level fake AWS holds (none: the real endpoints, never reached without credentials).
 */
export const WIRE_SAMPLES: { name: string; args: string[]; config: string; world?: () => World }[] = [
  { name: "sample-verify", args: ["--env", "prod"], config: ADOPT_EXISTING, world: verifyWorld },
  { name: "sample-preflight", args: ["--env", "prod", "--preflight"], config: SHIPPED, world: preflightWorld },
  { name: "sample-discover", args: ["--env", "prod", "--discover"], config: SHIPPED, world: discoverWorld },
  { name: "sample-no-credentials", args: ["--env", "prod"], config: SHIPPED },
];

/** What a terminal shows of one verify run (progress on stderr first, then the report), and its exit code. */
export async function runWireSample(sample: (typeof WIRE_SAMPLES)[number]): Promise<{ text: string; code: number }> {
  const wire = sample.world ? await AwsWire.start(sample.world()) : undefined;
  const env = wire ? WIRE_CREDENTIALS : NO_CREDENTIALS;
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(env);
  let stdout = "";
  let stderr = "";
  try {
    const args = wire ? [...sample.args, "--endpoint-url", wire.url] : sample.args;
    const code = await runVerify(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), now: NOW }, sample.config);
    return { text: `${stderr}${stdout}`, code };
  } finally {
    set(saved);
    await wire?.close();
  }
}

const fence = (text: string) => ["```text", text.trimEnd(), "```"].join("\n");
/** A markdown report shown as GitHub shows it, framed as a quote. */
const quoted = (markdown: string) =>
  markdown
    .trimEnd()
    .split("\n")
    .map((l) => (l === "" ? ">" : `> ${l}`))
    .join("\n");

/** The review's first part, up to its findings: the README's excerpt. */
export const reviewHead = (report: string) => report.slice(0, report.indexOf("\n### Findings"));

export async function wireBlocks(): Promise<Record<string, string>> {
  const blocks: Record<string, string> = {};
  for (const sample of WIRE_SAMPLES) {
    const { text, code } = await runWireSample(sample);
    blocks[sample.name] = `${fence(text)}\n\nExit code ${code}.`;
  }
  return blocks;
}

export function reviewBlocks(report: string): Record<string, string> {
  return { "sample-review": quoted(report), "sample-review-head": quoted(reviewHead(report)) };
}

/** The quickstart's review, made as the quickstart makes it, in a temporary copy of the shipped environments file. */
export function quickstartReview(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-samples-"));
  try {
    fs.copyFileSync(SHIPPED, path.join(dir, "environments.json"));
    for (const args of [["main"], ["plan", "--env", "prod", "--offline"], ["review", "--plan", "prod=plans/prod.json"]]) {
      const result = spawnSync(process.execPath, [path.join(ROOT, "scripts", "run.js"), ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
      if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}:\n${result.stdout}${result.stderr}`);
    }
    return fs.readFileSync(path.join(dir, "review", "prod.md"), "utf8");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(): Promise<number> {
  const blocks = { ...(await wireBlocks()), ...reviewBlocks(quickstartReview()) };
  const changed = writeBlocks("samples", blocks);
  console.log(changed.length ? `wrote ${changed.join(", ")}` : "the samples are current");
  return 0;
}

if (require.main === module) main().then((code) => (process.exitCode = code));
