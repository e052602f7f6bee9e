import { LookupEventsCommandOutput } from "@aws-sdk/client-cloudtrail";
import { DescribeTableCommandOutput } from "@aws-sdk/client-dynamodb";
import {
  DescribeKeyCommandOutput,
  GetKeyPolicyCommandOutput,
  GetKeyRotationStatusCommandOutput,
  ListAliasesCommandOutput,
} from "@aws-sdk/client-kms";
import { GetFunctionConfigurationCommandOutput } from "@aws-sdk/client-lambda";
import { GetBucketEncryptionCommandOutput } from "@aws-sdk/client-s3";
import { DescribeSecretCommandOutput } from "@aws-sdk/client-secrets-manager";
import { composeKeyPolicy, DEFAULT_ALIAS, normalizePolicy, partitionOf, PolicyDocument } from "../../modules/index";
import { EnvironmentConfig } from "../../app";
import { Clients, READ_ONLY_COMMANDS as C, send } from "./commands";
import { cannotCheck, CheckResult } from "./outcome";

/** Calls of these on the key are flagged wherever they appear in the window. */
export const DESTRUCTIVE_EVENTS = ["DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "DisableKeyRotation"];

export interface VerifyOptions {
  /** Start of the CloudTrail window. */
  readonly since: Date;
  /** End of the window. @default now */
  readonly until?: Date;
  /** Called before each check, for progress. */
  readonly progress?: (message: string) => void;
}

/** Seed §5 as one run: the key, every bound resource (§5.3), and the key's usage (§5.2). */
export async function verifyEnvironment(env: EnvironmentConfig, clients: Clients, options: VerifyOptions): Promise<CheckResult[]> {
  const progress = options.progress ?? (() => undefined);
  const alias = env.alias ?? DEFAULT_ALIAS;
  const results: CheckResult[] = [];

  progress(`DescribeKey ${alias}`);
  let keyArn: string | undefined;
  let keyId: string | undefined;
  try {
    const { KeyMetadata: m } = await send<DescribeKeyCommandOutput>(clients.kms, new C.DescribeKeyCommand.command({ KeyId: alias }));
    keyArn = m?.Arn;
    keyId = m?.KeyId;
    const problems = [
      m?.KeyState !== "Enabled" && `state is ${m?.KeyState}, not Enabled`,
      m?.KeySpec !== "SYMMETRIC_DEFAULT" && `spec is ${m?.KeySpec}, not SYMMETRIC_DEFAULT`,
      m?.KeyUsage !== "ENCRYPT_DECRYPT" && `usage is ${m?.KeyUsage}, not ENCRYPT_DECRYPT`,
      m?.KeyManager !== "CUSTOMER" && `it is ${m?.KeyManager}-managed, not customer-managed`,
      env.existingKeyId !== undefined && m?.KeyId !== env.existingKeyId && `its id is ${m?.KeyId}, not the configured ${env.existingKeyId}`,
    ].filter((p): p is string => typeof p === "string");
    results.push({
      check: "key",
      target: alias,
      status: problems.length ? "fail" : "pass",
      reason: problems.length ? problems.join("; ") : `${keyArn}: Enabled, SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT, customer-managed`,
    });
  } catch (e) {
    results.push(cannotCheck("key", alias, e));
  }

  if (keyArn === undefined || keyId === undefined) {
    const reason = "the key could not be described, so nothing that depends on it was checked";
    for (const check of ["rotation", "alias", "policy"]) results.push({ check, target: alias, status: "could-not-check", reason });
    for (const r of boundTargets(env)) results.push({ check: r.check, target: r.target, status: "could-not-check", reason });
    results.push({ check: "usage", target: alias, status: "could-not-check", reason });
    return results;
  }

  progress(`GetKeyRotationStatus ${keyId}`);
  results.push(await checkRotation(clients, keyId, env.rotationPeriodInDays ?? 365));
  progress("ListAliases");
  results.push(await checkAlias(clients, alias, keyId));
  progress(`GetKeyPolicy ${keyId}`);
  results.push(await checkPolicy(clients, keyId, env));

  for (const target of boundTargets(env)) {
    progress(`${target.check} ${target.target}`);
    results.push(await target.run(clients, keyArn, env));
  }

  progress(`CloudTrail LookupEvents ${keyArn}`);
  results.push(...(await checkUsage(clients, keyArn, options)));
  return results;
}

async function checkRotation(clients: Clients, keyId: string, expected: number): Promise<CheckResult> {
  try {
    const r = await send<GetKeyRotationStatusCommandOutput>(clients.kms, new C.GetKeyRotationStatusCommand.command({ KeyId: keyId }));
    if (!r.KeyRotationEnabled) return { check: "rotation", target: keyId, status: "fail", reason: "automatic rotation is off" };
    if (r.RotationPeriodInDays !== expected) {
      return { check: "rotation", target: keyId, status: "fail", reason: `rotates every ${r.RotationPeriodInDays} days, not ${expected}` };
    }
    return { check: "rotation", target: keyId, status: "pass", reason: `enabled, every ${expected} days` };
  } catch (e) {
    return cannotCheck("rotation", keyId, e);
  }
}

async function checkAlias(clients: Clients, alias: string, keyId: string): Promise<CheckResult> {
  try {
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await send<ListAliasesCommandOutput>(clients.kms, new C.ListAliasesCommand.command({ Marker: marker }));
      pages++;
      const found = page.Aliases?.find((a) => a.AliasName === alias);
      if (found) {
        return found.TargetKeyId === keyId
          ? { check: "alias", target: alias, status: "pass", reason: `targets ${keyId} (page ${pages})` }
          : { check: "alias", target: alias, status: "fail", reason: `targets ${found.TargetKeyId}, not ${keyId}` };
      }
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    return { check: "alias", target: alias, status: "fail", reason: `no such alias in ${pages} page(s) of ListAliases` };
  } catch (e) {
    return cannotCheck("alias", alias, e);
  }
}

async function checkPolicy(clients: Clients, keyId: string, env: EnvironmentConfig): Promise<CheckResult> {
  try {
    const r = await send<GetKeyPolicyCommandOutput>(clients.kms, new C.GetKeyPolicyCommand.command({ KeyId: keyId, PolicyName: "default" }));
    const live = JSON.parse(r.Policy ?? "{}") as PolicyDocument;
    const expected = composeKeyPolicy({ ...env, partition: partitionOf(env.region) }).document;
    const drift = policyDrift(expected, live);
    return drift.length === 0
      ? { check: "policy", target: keyId, status: "pass", reason: "the live policy is the synthesized one (by meaning)" }
      : { check: "policy", target: keyId, status: "fail", reason: `drift: ${drift.join("; ")}`, details: drift };
  } catch (e) {
    return cannotCheck("policy", keyId, e);
  }
}

/** Differences between two policies, statement by statement (matched by Sid). */
export function policyDrift(expected: PolicyDocument, live: PolicyDocument): string[] {
  const e = normalizePolicy(expected) as { Id?: string; Statement: { Sid: string }[] };
  const l = normalizePolicy(live) as { Id?: string; Statement: { Sid: string }[] };
  const drift: string[] = [];
  if (e.Id !== l.Id) drift.push(`Id is ${JSON.stringify(l.Id)}, expected ${JSON.stringify(e.Id)}`);
  const liveBySid = new Map(l.Statement.map((s) => [s.Sid, s]));
  const expectedSids = new Set(e.Statement.map((s) => s.Sid));
  for (const statement of e.Statement) {
    const other = liveBySid.get(statement.Sid);
    if (other === undefined) {
      drift.push(`statement ${JSON.stringify(statement.Sid)} is missing`);
      continue;
    }
    const fields = (Object.keys(statement) as (keyof typeof statement)[]).filter((k) => JSON.stringify(statement[k]) !== JSON.stringify(other[k]));
    if (fields.length) drift.push(`statement ${JSON.stringify(statement.Sid)} differs in ${fields.join(", ")}`);
  }
  for (const statement of l.Statement) {
    if (!expectedSids.has(statement.Sid)) drift.push(`statement ${JSON.stringify(statement.Sid)} is not in the synthesized policy`);
  }
  return drift;
}

interface BoundTarget {
  readonly check: string;
  readonly target: string;
  run(clients: Clients, keyArn: string, env: EnvironmentConfig): Promise<CheckResult>;
}

/** The environment's resources, each with the call that reads its "Encryption key" field (§5.3). */
function boundTargets(env: EnvironmentConfig): BoundTarget[] {
  const r = env.resources ?? {};
  const aliasArn = `arn:${partitionOf(env.region)}:kms:${env.region}:${env.accountId}:${env.alias ?? DEFAULT_ALIAS}`;
  const judge = (check: string, target: string, actual: string | undefined, keyArn: string, extra?: string): CheckResult => {
    if (actual === keyArn && !extra) return { check, target, status: "pass", reason: `encrypted with ${keyArn}` };
    const reason =
      actual === undefined
        ? "not encrypted with a customer-managed key (AWS owned or AWS managed key)"
        : actual === aliasArn
          ? `names the alias ARN ${actual}, not the key ARN`
          : actual !== keyArn
            ? `encrypted with ${actual}, not ${keyArn}`
            : extra!;
    return { check, target, status: "fail", reason };
  };
  /** What a resource's "Encryption key" field says, or a verdict reached while reading it. */
  type Reading = { readonly keyArn: string | undefined; readonly problem?: string } | CheckResult;
  const target = (check: string, name: string, read: (c: Clients) => Promise<Reading>): BoundTarget => ({
    check,
    target: name,
    run: async (c, keyArn) => {
      try {
        const reading = await read(c);
        return "status" in reading ? reading : judge(check, name, reading.keyArn, keyArn, reading.problem);
      } catch (e) {
        return cannotCheck(check, name, e);
      }
    },
  });
  return [
    ...(r.secrets ?? []).map((s) =>
      target("secret", s.name, async (c) => {
        const d = await send<DescribeSecretCommandOutput>(c.secrets, new C.DescribeSecretCommand.command({ SecretId: s.arn ?? s.name }));
        return { keyArn: d.KmsKeyId };
      }),
    ),
    ...(r.buckets ?? []).map((b) =>
      target("bucket", b.name, async (c) => {
        const fail = (reason: string): CheckResult => ({ check: "bucket", target: b.name, status: "fail", reason });
        let d: GetBucketEncryptionCommandOutput;
        try {
          d = await send<GetBucketEncryptionCommandOutput>(c.s3, new C.GetBucketEncryptionCommand.command({ Bucket: b.name }));
        } catch (e) {
          if ((e as { name?: string }).name === "ServerSideEncryptionConfigurationNotFoundError") return fail("the bucket has no default encryption configuration");
          throw e;
        }
        const rule = d.ServerSideEncryptionConfiguration?.Rules?.[0];
        const byDefault = rule?.ApplyServerSideEncryptionByDefault;
        if (byDefault?.SSEAlgorithm !== "aws:kms") return fail(`default encryption is ${byDefault?.SSEAlgorithm ?? "none"}, not aws:kms`);
        return { keyArn: byDefault.KMSMasterKeyID, problem: rule?.BucketKeyEnabled ? undefined : "the S3 Bucket Key is off" };
      }),
    ),
    ...(r.tables ?? []).map((t) =>
      target("table", t.name, async (c) => {
        const d = await send<DescribeTableCommandOutput>(c.dynamodb, new C.DescribeTableCommand.command({ TableName: t.name }));
        return { keyArn: d.Table?.SSEDescription?.KMSMasterKeyArn };
      }),
    ),
    ...(r.functions ?? []).map((f) =>
      target("function", f.name, async (c) => {
        const d = await send<GetFunctionConfigurationCommandOutput>(c.lambda, new C.GetFunctionConfigurationCommand.command({ FunctionName: f.name }));
        return { keyArn: d.KMSKeyArn };
      }),
    ),
  ];
}

/** CloudTrail usage of the key over the window, by event name and by caller; destructive calls flagged. */
async function checkUsage(clients: Clients, keyArn: string, options: VerifyOptions): Promise<CheckResult[]> {
  const byEvent: Record<string, number> = {};
  const byCaller: Record<string, number> = {};
  const destructive: { time: string; event: string; caller: string }[] = [];
  let events = 0;
  let pages = 0;
  try {
    let nextToken: string | undefined;
    do {
      const page = await send<LookupEventsCommandOutput>(
        clients.cloudtrail,
        new C.LookupEventsCommand.command({
          LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: keyArn }],
          StartTime: options.since,
          EndTime: options.until ?? new Date(),
          NextToken: nextToken,
        }),
      );
      pages++;
      nextToken = page.NextToken;
      for (const event of page.Events ?? []) {
        events++;
        const name = event.EventName ?? "(unnamed)";
        const caller = callerOf(event.CloudTrailEvent, event.Username);
        byEvent[name] = (byEvent[name] ?? 0) + 1;
        byCaller[caller] = (byCaller[caller] ?? 0) + 1;
        if (DESTRUCTIVE_EVENTS.includes(name)) destructive.push({ time: event.EventTime?.toISOString() ?? "?", event: name, caller });
      }
    } while (nextToken);
  } catch (e) {
    return [cannotCheck("usage", keyArn, e)];
  }
  const top = (counts: Record<string, number>) =>
    Object.entries(counts)
      .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
  const window = `${options.since.toISOString()} to ${(options.until ?? new Date()).toISOString()}`;
  return [
    {
      check: "usage",
      target: keyArn,
      status: "pass",
      reason: events === 0 ? `no events ${window}` : `${events} event(s) in ${pages} page(s): ${top(byEvent)}; callers: ${top(byCaller)}`,
      details: { window, events, pages, byEvent, byCaller },
    },
    destructive.length === 0
      ? { check: "destructive-events", target: keyArn, status: "pass", reason: `none of ${DESTRUCTIVE_EVENTS.join(", ")}` }
      : {
          check: "destructive-events",
          target: keyArn,
          status: "fail",
          reason: destructive.map((d) => `${d.event} by ${d.caller} at ${d.time}`).join("; "),
          details: destructive,
        },
  ];
}

/** The caller of a CloudTrail event: the AWS service it came through, else the role or user ARN. */
export function callerOf(cloudTrailEvent: string | undefined, username: string | undefined): string {
  try {
    const identity = JSON.parse(cloudTrailEvent ?? "{}").userIdentity ?? {};
    if (identity.invokedBy) return `via ${identity.invokedBy}`;
    if (identity.type === "AWSService") return identity.invokedBy ?? "an AWS service";
    return identity.sessionContext?.sessionIssuer?.arn ?? identity.arn ?? username ?? "unknown";
  } catch {
    return username ?? "unknown";
  }
}
