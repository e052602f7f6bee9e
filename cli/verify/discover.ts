/**
 * `npm run verify -- --env <name> --discover`: every bucket, table, secret and Lambda function of
 * the environment's account and region, the key each uses, and where it stands:
 *
 * - `bound`: the environment's stack binds it to the data key (environments.json or code);
 * - `exempt`: `audit.coverage.exemptions` names it, with the reason;
 * - `on-key`: on the data key, but no stack of this environment manages that;
 * - `not-on-key`: on another key, an AWS owned or AWS managed key, SSE-S3, or the alias;
 * - `could-not-check`: its encryption could not be read (never a pass).
 *
 * For what is not on the key it builds a `resources` block for environments.json: the
 * environment's own entries, then one `existing` entry per resource to adopt, so adopting them is
 * a paste and a reviewed plan. Resources a `resources` entry cannot adopt without the plan
 * changing more than the key (a table with secondary indexes, a replica secret, a function in a
 * VPC, ...) are left out, each with the reason.
 *
 * Read-only, with verify's clients, retries and deadline: every list call is paged with fixed
 * parameters (a token is only valid with the parameters it came with), and a page that fails
 * ends the listing of that service with a could-not-check row, never a shorter list that looks
 * complete.
 *
 * `--objects N` (binding does not re-encrypt, seed §6): for each adopted bucket, the first N keys
 * and how each is encrypted (HeadObject); for each adopted secret, the keys of its AWSCURRENT
 * version (ListSecretVersionIds `KmsKeyIds`). Nothing is re-encrypted; {@link REENCRYPTION} says
 * what that would take.
 */
import { DescribeTableCommandOutput, TableDescription } from "@aws-sdk/client-dynamodb";
import { DescribeKeyCommandOutput } from "@aws-sdk/client-kms";
import { FunctionConfiguration, GetFunctionCommandOutput, ListFunctionsCommandOutput } from "@aws-sdk/client-lambda";
import {
  GetBucketEncryptionCommandOutput,
  GetBucketLocationCommandOutput,
  HeadObjectCommandOutput,
  ListBucketsCommandOutput,
  ListObjectsV2CommandOutput,
} from "@aws-sdk/client-s3";
import { ListSecretsCommandOutput, ListSecretVersionIdsCommandOutput, SecretListEntry } from "@aws-sdk/client-secrets-manager";
import { ListTablesCommandOutput } from "@aws-sdk/client-dynamodb";
import { EnvironmentConfig, FunctionConfig, ResourcesConfig, TableConfig } from "../../app";
import { COVERAGE_RULES, CoveredType, DEFAULT_ALIAS, exemptionIds, KeyBinding, partitionOf } from "../../modules/index";
import { Clients, DISCOVER_COMMANDS as D, OBJECT_SAMPLING_COMMANDS as O, READ_ONLY_COMMANDS as C, send } from "./commands";
import { expectedKey } from "./checks";
import { cell } from "./markdown";
import { cannotCheck } from "./outcome";
import { environmentBindings } from "./targets";

/** Where a resource stands against the data key. */
export type DiscoveredState = "bound" | "exempt" | "on-key" | "not-on-key" | "could-not-check";

/** One resource of the account and region. */
export interface DiscoveredResource {
  readonly type: CoveredType;
  readonly name: string;
  readonly arn?: string;
  /** What its encryption field says: a key ARN, `AES256 (SSE-S3)`, `AWS owned key`, ... */
  readonly key: string;
  readonly state: DiscoveredState;
  /** pass: bound and on the key, exempt, or on the key; fail: not on the key; could-not-check. */
  readonly status: "pass" | "fail" | "could-not-check";
  readonly reason: string;
  /** Part of the adoption block. */
  readonly adopt: boolean;
  /** What adopting it into the stack would still leave to do (a placeholder, a note). */
  readonly note?: string;
}

/** A check of what binding does not re-encrypt: an adopted bucket's objects, an adopted secret's current version. */
export interface ReencryptionCheck {
  readonly check: "objects" | "secret-version";
  readonly target: string;
  readonly status: "pass" | "fail" | "could-not-check";
  readonly reason: string;
}

export interface DiscoverReport {
  readonly environment: string;
  readonly accountId: string;
  readonly region: string;
  /** The data key's ARN, when it could be described. */
  readonly keyArn?: string;
  /** Where the key came from (verify's expected key: --key-id, existingKeyId, the state's key_id output, else the alias). */
  readonly keySource: string;
  readonly resources: DiscoveredResource[];
  /** The environment's `resources` with the adoptions added, when there is something to adopt. */
  readonly adoption?: ResourcesConfig;
  readonly reencryption: ReencryptionCheck[];
  /** Buckets of the account in other regions, left out (the key is single-Region). */
  readonly otherRegionBuckets: number;
  /** Exemptions that name nothing this run found. */
  readonly staleExemptions: string[];
  readonly exitCode: number;
}

export interface DiscoverOptions {
  readonly signal?: AbortSignal;
  readonly progress?: (message: string) => void;
  /** `--key-id`. */
  readonly keyId?: string;
  /** `--objects N`: sample this many objects per adopted bucket, and check adopted secrets' versions. */
  readonly objects?: number;
  /** The resources bound to the key. @default the bindings of the environment's stack */
  readonly bindings?: readonly KeyBinding[];
}

/** Page sizes: fixed for every page of a listing (a token is only valid with the parameters it came with). */
export const PAGE_SIZES = { ListBuckets: 1000, ListTables: 100, ListSecrets: 100, ListSecretVersionIds: 100, ListFunctions: 50 } as const;

/** What binding does not re-encrypt, and what re-encrypting would take: said once, never done. */
export const REENCRYPTION = [
  "Binding changes a resource's key for what is written next; discover re-encrypts nothing.",
  "- S3: default encryption applies to objects written after it. An existing object keeps its key until it is copied over itself with SSE-KMS and the key " +
    "(S3 Batch Operations Copy for many objects; a versioned bucket keeps the old version too, under the old key).",
  "- Secrets Manager: when a secret's key changes, Secrets Manager re-encrypts its AWSCURRENT, AWSPENDING and AWSPREVIOUS versions only if the caller may decrypt with the old key, " +
    "and keeps copies under the old key. A new secret version (PutSecretValue) is written under the key alone.",
  "- DynamoDB re-wraps a table's key hierarchy under the new key when the table's key changes; Lambda encrypts the environment variables with the function's key when its configuration is written.",
].join("\n");

type Reading = { readonly key: string; readonly onKey: boolean; readonly reason: string };

/** Where the environment's resources stand against the data key, read-only. */
export async function discoverEnvironment(env: EnvironmentConfig, clients: Clients, options: DiscoverOptions = {}): Promise<DiscoverReport> {
  const { signal } = options;
  const progress = options.progress ?? (() => undefined);
  const partition = partitionOf(env.region);
  const alias = env.alias ?? DEFAULT_ALIAS;
  const aliasArn = `arn:${partition}:kms:${env.region}:${env.accountId}:${alias}`;
  const bindings = options.bindings ?? environmentBindings(env);
  const base = { environment: env.name, accountId: env.accountId, region: env.region };

  progress("the expected key");
  const expected = await expectedKey(env, clients, options.keyId, signal);
  let keyArn: string | undefined;
  let keyId: string | undefined;
  try {
    const { KeyMetadata: m } = await send<DescribeKeyCommandOutput>(clients.kms, new C.DescribeKeyCommand.command({ KeyId: expected.id ?? alias }), signal);
    keyArn = m?.Arn;
    keyId = m?.KeyId;
  } catch (e) {
    const reason = `the data key could not be described (${cannotCheck("key", alias, e).reason}), so no resource could be judged`;
    return {
      ...base,
      keySource: expected.source,
      resources: [{ type: "bucket", name: "(every resource)", key: "?", state: "could-not-check", status: "could-not-check", reason, adopt: false }],
      reencryption: [],
      otherRegionBuckets: 0,
      staleExemptions: [],
      exitCode: 2,
    };
  }
  const keySource = expected.id === undefined ? `the alias ${alias} (${expected.source})` : expected.source;
  if (keyArn === undefined || keyId === undefined) throw new Error("DescribeKey answered without the key's ARN");

  /** The verdict on what a resource's encryption field says (seed §5.3: the key ARN). */
  const judge = (actual: string | undefined, none: string): Reading => {
    if (actual === undefined || actual === "") return { key: none, onKey: false, reason: `encrypted with ${none}, not the data key` };
    if (actual === keyArn) return { key: actual, onKey: true, reason: "on the data key" };
    if (actual === keyId) return { key: actual, onKey: true, reason: "on the data key, named by its id (binding writes the key ARN)" };
    if (actual === aliasArn || actual === alias) return { key: actual, onKey: false, reason: "names the alias, which can be pointed at another key; binding writes the key ARN" };
    return { key: actual, onKey: false, reason: `encrypted with ${actual}, not the data key` };
  };

  const exempt = exemptionsOf(env);
  const resources: DiscoveredResource[] = [];
  const adoptions: { buckets: NonNullable<ResourcesConfig["buckets"]>; tables: TableConfig[]; secrets: NonNullable<ResourcesConfig["secrets"]>; functions: FunctionConfig[] } = {
    buckets: [],
    tables: [],
    secrets: [],
    functions: [],
  };
  const seen = new Set<string>();
  const SERVICE = { bucket: "s3", table: "dynamodb", secret: "secretsmanager", function: "lambda" } as const;
  const boundTo = (type: CoveredType, name: string) => bindings.find((b) => b.service === SERVICE[type] && b.name === name);

  type Adoption = { entry?: unknown; leftOut?: string; note?: string };
  /** Places a resource read from the account; `adopt` builds its entry, or says why it cannot be adopted (called only for what is not on the key). */
  const place = async (type: CoveredType, name: string, reading: Reading | { error: unknown }, adopt: () => Adoption | Promise<Adoption>, arn?: string) => {
    seen.add(`${type} ${name}`);
    const binding = boundTo(type, name);
    const exemption = exempt.get(`${type} ${name}`);
    if ("error" in reading) {
      resources.push({ type, name, arn, key: "?", state: "could-not-check", status: "could-not-check", reason: cannotCheck(type, name, reading.error).reason, adopt: false });
      return;
    }
    if (binding) {
      const also = exemption ? "; audit.coverage also exempts it: take one of the two out" : "";
      resources.push({
        type,
        name,
        arn,
        key: reading.key,
        state: "bound",
        status: reading.onKey ? "pass" : "fail",
        reason: reading.onKey ? `bound in the stack, ${reading.reason}${also}` : `bound in the stack, not on the key yet (${reading.reason}): the next apply binds it${also}`,
        adopt: false,
      });
      return;
    }
    if (exemption) {
      resources.push({ type, name, arn, key: reading.key, state: "exempt", status: "pass", reason: `${exemption}${reading.onKey ? " (it is on the data key all the same)" : ""}`, adopt: false });
      return;
    }
    if (reading.onKey) {
      resources.push({ type, name, arn, key: reading.key, state: "on-key", status: "pass", reason: `${reading.reason}; no stack manages it (adopt it to keep it there)`, adopt: false });
      return;
    }
    const built = await adopt();
    if (built.entry !== undefined) (adoptions[`${type}s` as keyof typeof adoptions] as unknown[]).push(built.entry);
    resources.push({
      type,
      name,
      arn,
      key: reading.key,
      state: "not-on-key",
      status: "fail",
      reason: built.entry !== undefined ? reading.reason : `${reading.reason}; not in the adoption block: ${built.leftOut}`,
      adopt: built.entry !== undefined,
      ...(built.note ? { note: built.note } : {}),
    });
  };
  /** A listing that stopped: what was listed stays, and a row says the rest could not be seen. */
  const stopped = (type: CoveredType, what: string, pages: number, error: unknown) =>
    resources.push({ type, name: `(${what})`, key: "?", state: "could-not-check", status: "could-not-check", reason: `listing stopped after ${pages} page(s): ${cannotCheck(type, what, error).reason}`, adopt: false });

  // S3. ListBuckets is global: BucketRegion limits it to the environment's region (S3 API
  // reference, ListBuckets), and each bucket's BucketRegion is checked again, with
  // GetBucketLocation where it is not given: the key is single-Region.
  progress("ListBuckets");
  let otherRegionBuckets = 0;
  const buckets = await pages((token) => send<ListBucketsCommandOutput>(clients.s3, new D.ListBucketsCommand.command({ MaxBuckets: PAGE_SIZES.ListBuckets, BucketRegion: env.region, ContinuationToken: token }), signal).then((o) => ({ items: o.Buckets ?? [], next: o.ContinuationToken })));
  for (const b of buckets.items) {
    const name = b.Name!;
    let region = b.BucketRegion;
    if (region === undefined) {
      try {
        const location = await send<GetBucketLocationCommandOutput>(clients.s3, new D.GetBucketLocationCommand.command({ Bucket: name }), signal);
        // GetBucketLocation: an empty constraint is us-east-1, and "EU" the old name of eu-west-1.
        region = !location.LocationConstraint ? "us-east-1" : location.LocationConstraint === "EU" ? "eu-west-1" : location.LocationConstraint;
      } catch (e) {
        await place("bucket", name, { error: e }, () => ({}));
        continue;
      }
    }
    if (region !== env.region) {
      otherRegionBuckets++;
      continue;
    }
    progress(`bucket ${name}`);
    await place("bucket", name, await bucketReading(clients, name, judge, signal), () =>
      name === env.state.bucket
        ? { leftOut: "it holds this environment's Terraform state; keep it off the key that state manages (exempt it), or give it state.kmsKeyId" }
        : { entry: { name, existing: true } },
    );
  }
  if (buckets.error !== undefined) stopped("bucket", "further buckets", buckets.pages, buckets.error);

  // DynamoDB.
  progress("ListTables");
  const tables = await pages((token) => send<ListTablesCommandOutput>(clients.dynamodb, new D.ListTablesCommand.command({ Limit: PAGE_SIZES.ListTables, ExclusiveStartTableName: token }), signal).then((o) => ({ items: o.TableNames ?? [], next: o.LastEvaluatedTableName })));
  for (const name of tables.items) {
    progress(`table ${name}`);
    let table: TableDescription | undefined;
    try {
      table = (await send<DescribeTableCommandOutput>(clients.dynamodb, new C.DescribeTableCommand.command({ TableName: name }), signal)).Table;
    } catch (e) {
      await place("table", name, { error: e }, () => ({}));
      continue;
    }
    const sse = table?.SSEDescription;
    const reading = judge(sse?.SSEType === "KMS" && sse.Status !== "DISABLED" ? sse.KMSMasterKeyArn : undefined, "the AWS owned key");
    await place("table", name, reading, () => tableAdoption(name, table, env), table?.TableArn);
  }
  if (tables.error !== undefined) stopped("table", "further tables", tables.pages, tables.error);

  // Secrets Manager.
  progress("ListSecrets");
  const secrets = await pages((token) => send<ListSecretsCommandOutput>(clients.secrets, new D.ListSecretsCommand.command({ MaxResults: PAGE_SIZES.ListSecrets, NextToken: token }), signal).then((o) => ({ items: o.SecretList ?? [], next: o.NextToken })));
  for (const secret of secrets.items) {
    const name = secret.Name!;
    await place("secret", name, judge(secret.KmsKeyId, "aws/secretsmanager (the AWS managed key)"), () => secretAdoption(secret, env), secret.ARN);
  }
  if (secrets.error !== undefined) stopped("secret", "further secrets", secrets.pages, secrets.error);

  // Lambda.
  progress("ListFunctions");
  const functions = await pages((token) => send<ListFunctionsCommandOutput>(clients.lambda, new D.ListFunctionsCommand.command({ MaxItems: PAGE_SIZES.ListFunctions, Marker: token }), signal).then((o) => ({ items: o.Functions ?? [], next: o.NextMarker })));
  for (const fn of functions.items) {
    const name = fn.FunctionName!;
    await place("function", name, judge(fn.KMSKeyArn, "the AWS managed key of Lambda"), () => functionAdoption(fn, clients, signal), fn.FunctionArn);
  }
  if (functions.error !== undefined) stopped("function", "further functions", functions.pages, functions.error);

  // Bound resources the account does not have (yet).
  const complete = { bucket: buckets.error === undefined, table: tables.error === undefined, secret: secrets.error === undefined, function: functions.error === undefined };
  for (const b of bindings) {
    const type = (Object.keys(SERVICE) as CoveredType[]).find((t) => SERVICE[t] === b.service)!;
    if (seen.has(`${type} ${b.name}`) || !complete[type]) continue;
    if (b.name === b.address) {
      resources.push({ type, name: b.address, key: "?", state: "bound", status: "pass", reason: "bound in the stack; its name is known only after apply", adopt: false });
    } else if (b.existing) {
      resources.push({ type, name: b.name, key: "?", state: "bound", status: "fail", reason: "the stack adopts it as existing, but the account has no such resource in this region: the import fails", adopt: false });
    } else {
      resources.push({ type, name: b.name, key: "-", state: "bound", status: "pass", reason: "bound in the stack; not in the account yet: the next apply creates it on the key", adopt: false });
    }
  }

  const staleExemptions = [...exempt.keys()].filter((k) => !seen.has(k) && complete[k.split(" ")[0] as CoveredType]);

  const reencryption: ReencryptionCheck[] = [];
  if (options.objects !== undefined) {
    for (const b of bindings.filter((x) => x.existing && x.service === "s3" && seen.has(`bucket ${x.name}`))) {
      progress(`objects of ${b.name}`);
      reencryption.push(await sampleObjects(clients, b.name, options.objects, judge, signal));
    }
    for (const b of bindings.filter((x) => x.existing && x.service === "secretsmanager" && seen.has(`secret ${x.name}`))) {
      progress(`versions of ${b.name}`);
      reencryption.push(await currentVersion(clients, b.name, resources.find((r) => r.type === "secret" && r.name === b.name)?.arn, keyArn, keyId, alias, aliasArn, signal));
    }
  }

  resources.sort((a, b) => COVERAGE_RULES.findIndex((r) => r.type === a.type) - COVERAGE_RULES.findIndex((r) => r.type === b.type) || a.name.localeCompare(b.name));
  const adopted = Object.values(adoptions).some((list) => list.length > 0);
  const adoption = adopted ? mergedResources(env.resources ?? {}, adoptions) : undefined;
  const statuses = [...resources, ...reencryption].map((r) => ({ pass: 0, fail: 1, "could-not-check": 2 })[r.status]);
  const exitCode = statuses.includes(1) ? 1 : statuses.includes(2) ? 2 : 0;
  return { ...base, keyArn, keySource, resources, adoption, reencryption, otherRegionBuckets, staleExemptions, exitCode };
}

/** `audit.coverage.exemptions` as `<type> <name>` → reason (a secret by its name). */
function exemptionsOf(env: EnvironmentConfig): Map<string, string> {
  const coverage = env.audit?.coverage;
  const list = typeof coverage === "object" ? (coverage.exemptions ?? []) : [];
  // The same checks as the synth (names, ARNs in the account and region); the map is by name.
  exemptionIds("audit.coverage.exemptions", list, { accountId: env.accountId, region: env.region, partition: partitionOf(env.region) });
  return new Map(list.map((e) => [`${e.type} ${e.type === "secret" ? e.name.replace(/^arn:[^:]+:secretsmanager:[^:]+:\d+:secret:/, "").replace(/-[A-Za-z0-9]{6}$/, "") : e.type === "function" ? e.name.replace(/^arn:.*:function:/, "") : e.name}`, e.reason.trim()]));
}

/** Every page of a listing; a page that fails ends it, and says after how many pages. */
async function pages<T>(fetch: (token?: string) => Promise<{ items: T[]; next?: string }>): Promise<{ items: T[]; pages: number; error?: unknown }> {
  const items: T[] = [];
  let token: string | undefined;
  let count = 0;
  try {
    do {
      const page = await fetch(token);
      count++;
      items.push(...page.items);
      token = page.next || undefined;
    } while (token !== undefined);
    return { items, pages: count };
  } catch (error) {
    return { items, pages: count, error };
  }
}

async function bucketReading(clients: Clients, name: string, judge: (actual: string | undefined, none: string) => Reading, signal?: AbortSignal): Promise<Reading | { error: unknown }> {
  let out: GetBucketEncryptionCommandOutput;
  try {
    out = await send<GetBucketEncryptionCommandOutput>(clients.s3, new C.GetBucketEncryptionCommand.command({ Bucket: name }), signal);
  } catch (e) {
    if ((e as { name?: string }).name === "ServerSideEncryptionConfigurationNotFoundError") return { key: "none", onKey: false, reason: "it has no default encryption configuration" };
    return { error: e };
  }
  const rule = out.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
  const algorithm = rule?.SSEAlgorithm;
  if (algorithm === "aws:kms" || algorithm === "aws:kms:dsse") return judge(rule?.KMSMasterKeyID, "aws/s3 (the AWS managed key)");
  return { key: `${algorithm ?? "none"}${algorithm === "AES256" ? " (SSE-S3)" : ""}`, onKey: false, reason: `default encryption is ${algorithm ?? "none"}, not aws:kms with the data key` };
}

/** A table's entry, or why a `resources` entry cannot adopt it without the plan changing more than its key. */
function tableAdoption(name: string, table: TableDescription | undefined, env: EnvironmentConfig): { entry?: TableConfig; leftOut?: string } {
  if (env.state.locking.type === "dynamodb" && env.state.locking.table === name) {
    return { leftOut: "it is this environment's Terraform lock table; keep it off the key that state manages (exempt it)" };
  }
  const extra = [
    table?.GlobalSecondaryIndexes?.length && `global secondary indexes (${table.GlobalSecondaryIndexes.map((g) => g.IndexName).join(", ")})`,
    table?.LocalSecondaryIndexes?.length && `local secondary indexes (${table.LocalSecondaryIndexes.map((l) => l.IndexName).join(", ")})`,
    table?.BillingModeSummary?.BillingMode === "PROVISIONED" || (table?.BillingModeSummary === undefined && (table?.ProvisionedThroughput?.ReadCapacityUnits ?? 0) > 0) ? "provisioned capacity" : undefined,
    table?.Replicas?.length && `replicas in ${table.Replicas.map((r) => r.RegionName).join(", ")}`,
    table?.StreamSpecification?.StreamEnabled && "a stream",
    table?.DeletionProtectionEnabled && "deletion protection",
    table?.TableClassSummary?.TableClass && table.TableClassSummary.TableClass !== "STANDARD" && `table class ${table.TableClassSummary.TableClass}`,
  ].filter((x): x is string => typeof x === "string");
  if (extra.length) {
    return { leftOut: `it has ${extra.join(", ")}, which a resources entry (name and keys, on demand) does not declare: the plan would change or remove them. Bind it in code (DataKey.encryptTable) with its whole definition` };
  }
  const attribute = (n: string | undefined) => table?.AttributeDefinitions?.find((a) => a.AttributeName === n)?.AttributeType as TableConfig["hashKeyType"];
  const hash = table?.KeySchema?.find((k) => k.KeyType === "HASH")?.AttributeName;
  const range = table?.KeySchema?.find((k) => k.KeyType === "RANGE")?.AttributeName;
  if (hash === undefined) return { leftOut: "DescribeTable gave no key schema" };
  return { entry: { name, existing: true, hashKey: hash, hashKeyType: attribute(hash) ?? "S", ...(range ? { rangeKey: range, rangeKeyType: attribute(range) ?? "S" } : {}) } };
}

function secretAdoption(secret: SecretListEntry, env: EnvironmentConfig): { entry?: { name: string; arn: string }; leftOut?: string } {
  if (secret.OwningService) return { leftOut: `${secret.OwningService} manages it; change its key through ${secret.OwningService}` };
  if (secret.PrimaryRegion && secret.PrimaryRegion !== env.region) return { leftOut: `it is a replica of a secret in ${secret.PrimaryRegion}; its key here is set in the primary's replication settings` };
  return { entry: { name: secret.Name!, arn: secret.ARN! } };
}

/** A function's entry. A .zip's package location is not in Lambda's API: the entry names a placeholder, unused for an existing function. */
async function functionAdoption(fn: FunctionConfiguration, clients: Clients, signal?: AbortSignal): Promise<{ entry?: FunctionConfig; leftOut?: string; note?: string }> {
  const name = fn.FunctionName!;
  const extra = [
    fn.VpcConfig?.SubnetIds?.length && "a VPC configuration",
    fn.FileSystemConfigs?.length && "a file system",
    fn.DeadLetterConfig?.TargetArn && "a dead-letter queue",
  ].filter((x): x is string => typeof x === "string");
  if (extra.length) return { leftOut: `it has ${extra.join(", ")}, which a resources entry does not declare: the plan would remove them. Bind it in code (DataKey.encryptFunction) with its whole definition` };
  const role = fn.Role!;
  if (fn.PackageType === "Image") {
    try {
      const out = await send<GetFunctionCommandOutput>(clients.lambda, new D.GetFunctionCommand.command({ FunctionName: name }), signal);
      const image = out.Code?.ImageUri;
      if (!image) return { leftOut: "GetFunction gave no image URI" };
      return { entry: { name, role, existing: true, code: { imageUri: image } } };
    } catch (e) {
      return { leftOut: `its image could not be read (${cannotCheck("function", name, e).reason})` };
    }
  }
  return {
    entry: { name, role, existing: true, code: { s3Bucket: PLACEHOLDER_BUCKET, s3Key: `${name}.zip` }, runtime: fn.Runtime ?? "provided.al2023", handler: fn.Handler ?? "bootstrap" },
    note: `Lambda does not say where a .zip package came from: code.s3Bucket "${PLACEHOLDER_BUCKET}" is a placeholder; an existing function ignores it (the stack never changes its code)`,
  };
}

/** The code bucket named for an adopted .zip function, whose package location Lambda's API does not give. */
export const PLACEHOLDER_BUCKET = "replace-with-the-package-bucket";

/** The environment's resources followed by the adoptions, each list in name order. */
function mergedResources(own: ResourcesConfig, add: { buckets: NonNullable<ResourcesConfig["buckets"]>; tables: TableConfig[]; secrets: NonNullable<ResourcesConfig["secrets"]>; functions: FunctionConfig[] }): ResourcesConfig {
  const byName = <T extends { name: string }>(list: T[]) => [...list].sort((a, b) => a.name.localeCompare(b.name));
  const merged: Record<string, unknown[]> = {};
  for (const kind of ["buckets", "tables", "secrets", "functions"] as const) {
    const list = [...(own[kind] ?? []), ...byName(add[kind] as { name: string }[])];
    if (list.length) merged[kind] = list;
  }
  return merged as ResourcesConfig;
}

/** The first `n` keys of an adopted bucket, and how many are not under the key (HeadObject's SSE headers). */
async function sampleObjects(clients: Clients, bucket: string, n: number, judge: (actual: string | undefined, none: string) => Reading, signal?: AbortSignal): Promise<ReencryptionCheck> {
  // S3 may answer fewer keys than MaxKeys with a continuation token: pages, with the same MaxKeys, until n.
  const keys: string[] = [];
  let token: string | undefined;
  try {
    do {
      const out = await send<ListObjectsV2CommandOutput>(clients.s3, new O.ListObjectsV2Command.command({ Bucket: bucket, MaxKeys: n, ContinuationToken: token }), signal);
      keys.push(...(out.Contents ?? []).map((c) => c.Key!));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token !== undefined && keys.length < n);
  } catch (e) {
    return { check: "objects", target: bucket, ...cannotCheckOf(bucket, e) };
  }
  keys.splice(n);
  if (keys.length === 0) return { check: "objects", target: bucket, status: "pass", reason: "the bucket has no objects" };
  const off: Record<string, number> = {};
  const unread: string[] = [];
  for (const key of keys) {
    try {
      const head = await send<HeadObjectCommandOutput>(clients.s3, new O.HeadObjectCommand.command({ Bucket: bucket, Key: key }), signal);
      const algorithm = head.ServerSideEncryption;
      const onKey = (algorithm === "aws:kms" || algorithm === "aws:kms:dsse") && judge(head.SSEKMSKeyId, "aws/s3").onKey;
      if (!onKey) {
        const label = algorithm === "aws:kms" || algorithm === "aws:kms:dsse" ? (head.SSEKMSKeyId ?? "aws/s3") : algorithm === "AES256" ? "SSE-S3" : (algorithm ?? "no SSE header");
        off[label] = (off[label] ?? 0) + 1;
      }
    } catch (e) {
      unread.push(`${key} (${cannotCheck("object", key, e).reason})`);
    }
  }
  const notOn = Object.values(off).reduce((a, b) => a + b, 0);
  const sample = `the first ${keys.length} key(s) by name`;
  const how = Object.entries(off).map(([label, count]) => `${count} ${label}`).join(", ");
  if (unread.length) {
    return { check: "objects", target: bucket, status: "could-not-check", reason: `${unread.length} of ${sample} could not be read: ${unread.join("; ")}${notOn ? `; of the rest, ${notOn} not under the key (${how})` : ""}` };
  }
  return notOn
    ? { check: "objects", target: bucket, status: "fail", reason: `${notOn} of ${sample} are not under the key (${how}): binding did not re-encrypt them` }
    : { check: "objects", target: bucket, status: "pass", reason: `all of ${sample} are under the key` };
}

/**
 * The keys of an adopted secret's AWSCURRENT version, from ListSecretVersionIds `KmsKeyIds` ("the
 * KMS keys used to encrypt the secret version", Secrets Manager API reference,
 * SecretVersionsListEntry). DescribeSecret's KmsKeyId is the key for new versions only, so it
 * cannot tell. No KmsKeyIds in the answer is "could not check".
 */
async function currentVersion(clients: Clients, name: string, arn: string | undefined, keyArn: string, keyId: string, alias: string, aliasArn: string, signal?: AbortSignal): Promise<ReencryptionCheck> {
  const target = name;
  const versions = await pages((token) =>
    send<ListSecretVersionIdsCommandOutput>(clients.secrets, new D.ListSecretVersionIdsCommand.command({ SecretId: arn ?? name, MaxResults: PAGE_SIZES.ListSecretVersionIds, NextToken: token }), signal).then((o) => ({ items: o.Versions ?? [], next: o.NextToken })),
  );
  const current = versions.items.find((v) => v.VersionStages?.includes("AWSCURRENT"));
  if (current === undefined) {
    if (versions.error !== undefined) return { check: "secret-version", target, ...cannotCheckOf(name, versions.error) };
    return { check: "secret-version", target, status: "could-not-check", reason: "ListSecretVersionIds shows no AWSCURRENT version" };
  }
  const keys = current.KmsKeyIds;
  if (keys === undefined || keys.length === 0) {
    return { check: "secret-version", target, status: "could-not-check", reason: "Secrets Manager did not say which keys encrypt its current version (no KmsKeyIds in ListSecretVersionIds)" };
  }
  const others = keys.filter((k) => k !== keyArn && k !== keyId);
  if (others.length === keys.length) {
    if (keys.some((k) => k === alias || k === aliasArn)) {
      return { check: "secret-version", target, status: "could-not-check", reason: `its current version names the alias (${keys.join(", ")}), which may have pointed at another key when the version was written` };
    }
    return { check: "secret-version", target, status: "fail", reason: `its current version is under ${keys.join(", ")}, not the key: a new version (PutSecretValue) is written under the key` };
  }
  return {
    check: "secret-version",
    target,
    status: "pass",
    reason: others.length ? `its current version is under the key, and still under ${others.join(", ")} too (Secrets Manager keeps the earlier key's copy)` : "its current version is under the key",
  };
}

function cannotCheckOf(target: string, e: unknown): { status: "could-not-check"; reason: string } {
  return { status: "could-not-check", reason: cannotCheck("", target, e).reason };
}

const STATE_LABEL: Record<DiscoveredState, string> = { bound: "BOUND", exempt: "EXEMPT", "on-key": "ON KEY", "not-on-key": "NOT ON KEY", "could-not-check": "COULD NOT CHECK" };

/** The report as text: a table, the adoption block, what re-encrypting would take. */
export function discoverText(report: DiscoverReport): string {
  const rows = report.resources.map((r) => [r.type, r.name, STATE_LABEL[r.state], r.key, r.reason]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i].length), ["TYPE", "NAME", "STATE", "KEY"][i].length));
  const line = (row: string[]) => row.map((c, i) => (i < 4 ? c.padEnd(widths[i]) : c)).join("  ") + "\n";
  const out = [`data key: ${report.keyArn ?? "(not described)"} (${report.keySource})\n`, line(["TYPE", "NAME", "STATE", "KEY", "REASON"]), ...rows.map(line)];
  if (report.otherRegionBuckets) out.push(`\n${report.otherRegionBuckets} bucket(s) of the account in other regions left out: the key is single-Region (${report.region}).\n`);
  for (const stale of report.staleExemptions) out.push(`\nnote: audit.coverage exempts ${stale}, which this account and region do not have.\n`);
  if (report.reencryption.length) {
    const label = { pass: "PASS", fail: "NOT UNDER KEY", "could-not-check": "COULD NOT CHECK" };
    out.push("\n", ...report.reencryption.map((r) => `${label[r.status]}  ${r.check}  ${r.target}  ${r.reason}\n`));
  }
  if (report.adoption) {
    const adopt = report.resources.filter((r) => r.adopt);
    out.push(
      `\n${adopt.length} resource(s) to adopt. Replace the "resources" of environment ${report.environment} in environments.json with this block, then review the plan ` +
        "(existing tables, secrets and functions are imported; a bucket gets an encryption configuration):\n\n",
      JSON.stringify({ resources: report.adoption }, null, 2),
      "\n",
      ...adopt.filter((r) => r.note).map((r) => `note: ${r.type} ${r.name}: ${r.note}\n`),
    );
  }
  out.push(`\n${REENCRYPTION}\n`);
  return out.join("");
}

/** The report as markdown, for an issue or a pull-request comment. */
export function discoverMarkdown(report: DiscoverReport): string {
  const count = (s: DiscoveredState) => report.resources.filter((r) => r.state === s).length;
  const lines = [
    `## Data key discover: \`${report.environment}\``,
    "",
    `**${count("not-on-key")} not on the key, ${count("could-not-check")} not checked, ${count("on-key")} on the key outside the stack, ${count("exempt")} exempt, ${count("bound")} bound** (exit ${report.exitCode}).`,
    "",
    "| type | name | state | key | reason |",
    "|---|---|---|---|---|",
    ...report.resources.map((r) => `| ${r.type} | \`${cell(r.name)}\` | ${STATE_LABEL[r.state].toLowerCase()} | \`${cell(r.key)}\` | ${cell(r.reason)} |`),
    "",
  ];
  if (report.reencryption.length) {
    lines.push("| check | target | result | |", "|---|---|---|---|", ...report.reencryption.map((r) => `| ${r.check} | \`${cell(r.target)}\` | ${r.status} | ${cell(r.reason)} |`), "");
  }
  if (report.adoption) lines.push("<details><summary>The resources block to adopt them</summary>", "", "```json", JSON.stringify({ resources: report.adoption }, null, 2), "```", "", "</details>", "");
  lines.push(REENCRYPTION, "");
  return lines.join("\n");
}
