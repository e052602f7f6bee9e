import { LookupEventsCommandOutput } from "@aws-sdk/client-cloudtrail";
import {
  DescribeKeyCommandOutput,
  GetKeyPolicyCommandOutput,
  GetKeyRotationStatusCommandOutput,
  ListAliasesCommandOutput,
} from "@aws-sdk/client-kms";
import { GetObjectCommandOutput } from "@aws-sdk/client-s3";
import { composeKeyPolicy, DEFAULT_ALIAS, documentDifferences, KeyBinding, matchStatements, partitionOf, PlacedStatement, PolicyDocument, readPolicy, stateKey } from "../../modules/index";
import { EnvironmentConfig } from "../../app";
import { grammarErrors } from "../review/diff";
import { Clients, READ_ONLY_COMMANDS as C, redirectedRegion, send, stateRedirectReason } from "./commands";
import { cannotCheck, CheckResult } from "./outcome";
import { bindingTargets, environmentBindings } from "./targets";

/** Calls of these on the key are flagged wherever they appear in the window. */
export const DESTRUCTIVE_EVENTS = ["DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "DisableKeyRotation"];

export interface VerifyOptions {
  /** Start of the CloudTrail window. */
  readonly since: Date;
  /** End of the window, fixed for the run. @default now */
  readonly until?: Date;
  /** Called before each check, for progress. */
  readonly progress?: (message: string) => void;
  /** The run's deadline: every call still under way when it fires ends as "timed out". */
  readonly signal?: AbortSignal;
  /** The key the alias must target (`--key-id`); else `existingKeyId`, else the state's `key_id` output. */
  readonly keyId?: string;
  /** The resources bound to the key. @default the bindings of the environment's stack */
  readonly bindings?: readonly KeyBinding[];
}

/** The key the environment is meant to have, and where that came from. */
export interface ExpectedKey {
  readonly id?: string;
  readonly source: string;
}

/** Seed §5 as one run: the key, every bound resource (§5.3), and the key's usage (§5.2). Every row is always present. */
export async function verifyEnvironment(env: EnvironmentConfig, clients: Clients, options: VerifyOptions): Promise<CheckResult[]> {
  const progress = options.progress ?? (() => undefined);
  const signal = options.signal;
  const alias = env.alias ?? DEFAULT_ALIAS;
  const targets = bindingTargets(env, options.bindings ?? environmentBindings(env));
  const window = { since: options.since, until: options.until ?? new Date() };
  const results: CheckResult[] = [];

  progress("the expected key");
  const expected = await expectedKey(env, clients, options.keyId, signal);

  progress(`DescribeKey ${expected.id ?? alias}`);
  let keyArn: string | undefined;
  let keyId: string | undefined;
  try {
    const { KeyMetadata: m } = await send<DescribeKeyCommandOutput>(clients.kms, new C.DescribeKeyCommand.command({ KeyId: expected.id ?? alias }), signal);
    keyArn = m?.Arn;
    keyId = m?.KeyId;
    const problems = [
      m?.KeyState !== "Enabled" && `state is ${m?.KeyState}, not Enabled`,
      m?.KeySpec !== "SYMMETRIC_DEFAULT" && `spec is ${m?.KeySpec}, not SYMMETRIC_DEFAULT`,
      m?.KeyUsage !== "ENCRYPT_DECRYPT" && `usage is ${m?.KeyUsage}, not ENCRYPT_DECRYPT`,
      m?.KeyManager !== "CUSTOMER" && `it is ${m?.KeyManager}-managed, not customer-managed`,
      ...placeProblems(keyArn, env),
      m?.MultiRegion === true && "it is a multi-Region key, not the single-Region key of the configuration",
      m?.Origin !== undefined && m.Origin !== "AWS_KMS" && `its key material comes from ${m.Origin}, not AWS_KMS (KMS neither generates nor rotates it)`,
    ].filter((p): p is string => typeof p === "string");
    results.push({
      check: "key",
      target: expected.id ?? alias,
      status: problems.length ? "fail" : "pass",
      reason: problems.length ? problems.join("; ") : `${keyArn}: Enabled, SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT, customer-managed`,
    });
  } catch (e) {
    results.push(cannotCheck("key", expected.id ?? alias, e));
  }

  // DescribeKey resolves the alias or key id in the caller's account: a key of another account
  // means credentials of that account, and every read below would be of the wrong account.
  const keyAccount = keyArn?.split(":")[4];
  if (keyArn === undefined || keyId === undefined || keyAccount !== env.accountId) {
    const reason =
      keyArn === undefined || keyId === undefined
        ? "the key could not be described, so nothing that depends on it was checked"
        : `not checked: the credentials are for account ${keyAccount}`;
    for (const check of ["rotation", "alias", "policy"]) results.push({ check, target: alias, status: "could-not-check", reason });
    for (const t of targets) results.push({ check: t.check, target: t.target, status: "could-not-check", reason });
    for (const check of ["usage", "destructive-events"]) results.push({ check, target: alias, status: "could-not-check", reason });
    return results;
  }

  progress(`GetKeyRotationStatus ${keyId}`);
  results.push(await checkRotation(clients, keyId, env.rotationPeriodInDays ?? 365, signal));
  progress("ListAliases");
  results.push(await checkAlias(clients, alias, expected, signal));
  progress(`GetKeyPolicy ${keyId}`);
  results.push(await checkPolicy(clients, keyId, env, signal));

  for (const target of targets) {
    progress(`${target.check} ${target.target}`);
    results.push(await target.run(clients, keyArn, signal));
  }

  progress(`CloudTrail LookupEvents ${keyArn}`);
  results.push(...(await checkUsage(clients, keyArn, window, signal)));
  return results;
}

/**
 * Where the key is against where the environment says it is: credentials of another account find
 * that account's key by the alias, and every check would then read the wrong key.
 */
function placeProblems(keyArn: string | undefined, env: EnvironmentConfig): string[] {
  const parts = keyArn?.split(":");
  if (parts === undefined || parts.length < 6) return [];
  return [
    parts[4] !== env.accountId && `it is in account ${parts[4]}, not the environment's ${env.accountId}`,
    parts[3] !== env.region && `it is in region ${parts[3]}, not the environment's ${env.region}`,
  ].filter((p): p is string => typeof p === "string");
}

/**
 * The key id the alias must target: `--key-id`, else `existingKeyId`, else the `key_id` output of
 * the environment's Terraform state (read from its S3 object as Terraform's backend reads it: in
 * `state.region`, a redirect to another region being a failure).
 */
export async function expectedKey(env: EnvironmentConfig, clients: Clients, keyId: string | undefined, signal?: AbortSignal): Promise<ExpectedKey> {
  if (keyId !== undefined) return { id: keyId, source: "--key-id" };
  if (env.existingKeyId !== undefined) return { id: env.existingKeyId, source: "existingKeyId" };
  const object = `s3://${env.state.bucket}/${stateKey(env.state, env.name)}`;
  try {
    const out = await send<GetObjectCommandOutput>(clients.stateS3, new C.GetObjectCommand.command({ Bucket: env.state.bucket, Key: stateKey(env.state, env.name) }), signal);
    const state = JSON.parse((await out.Body?.transformToString()) ?? "{}");
    const id = state?.outputs?.key_id?.value;
    return typeof id === "string" ? { id, source: `the key_id output of ${object}` } : { source: `${object} has no key_id output (not deployed yet?)` };
  } catch (e) {
    const moved = redirectedRegion(e);
    const why = moved === undefined ? cannotCheck("state", object, e).reason : stateRedirectReason(env.state.region, moved);
    return { source: `the state ${object} could not be read (${why})` };
  }
}
async function checkRotation(clients: Clients, keyId: string, expected: number, signal?: AbortSignal): Promise<CheckResult> {
  try {
    const r = await send<GetKeyRotationStatusCommandOutput>(clients.kms, new C.GetKeyRotationStatusCommand.command({ KeyId: keyId }), signal);
    if (!r.KeyRotationEnabled) return { check: "rotation", target: keyId, status: "fail", reason: "automatic rotation is off" };
    if (r.RotationPeriodInDays !== expected) {
      return { check: "rotation", target: keyId, status: "fail", reason: `rotates every ${r.RotationPeriodInDays} days, not ${expected}` };
    }
    return { check: "rotation", target: keyId, status: "pass", reason: `enabled, every ${expected} days` };
  } catch (e) {
    return cannotCheck("rotation", keyId, e);
  }
}

/** The alias targets the expected key: ListAliases, all pages, against the key id from {@link expectedKey}. */
async function checkAlias(clients: Clients, alias: string, expected: ExpectedKey, signal?: AbortSignal): Promise<CheckResult> {
  try {
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await send<ListAliasesCommandOutput>(clients.kms, new C.ListAliasesCommand.command({ Marker: marker }), signal);
      pages++;
      const found = page.Aliases?.find((a) => a.AliasName === alias);
      if (found) {
        if (expected.id === undefined) {
          return { check: "alias", target: alias, status: "could-not-check", reason: `it targets ${found.TargetKeyId}, but which key it should target is unknown: ${expected.source}; give --key-id` };
        }
        return found.TargetKeyId === expected.id
          ? { check: "alias", target: alias, status: "pass", reason: `targets ${expected.id}, the key of ${expected.source} (page ${pages})` }
          : { check: "alias", target: alias, status: "fail", reason: `targets ${found.TargetKeyId}, not ${expected.id} (${expected.source})` };
      }
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    return { check: "alias", target: alias, status: "fail", reason: `no such alias in ${pages} page(s) of ListAliases` };
  } catch (e) {
    return cannotCheck("alias", alias, e);
  }
}

/** The key's live policy (GetKeyPolicy), read as IAM's grammar allows it to be written. */
export async function liveKeyPolicy(clients: Clients, keyId: string, signal?: AbortSignal): Promise<PolicyDocument> {
  const r = await send<GetKeyPolicyCommandOutput>(clients.kms, new C.GetKeyPolicyCommand.command({ KeyId: keyId, PolicyName: "default" }), signal);
  return readPolicy(r.Policy ?? "");
}

async function checkPolicy(clients: Clients, keyId: string, env: EnvironmentConfig, signal?: AbortSignal): Promise<CheckResult> {
  try {
    const live = await liveKeyPolicy(clients, keyId, signal);
    const expected = composeKeyPolicy({ ...env, partition: partitionOf(env.region) }).document;
    const drift = policyDrift(expected, live);
    // Compared, not evaluated; what the grammar refuses in the live policy (always drift: the
    // synthesized one passed it at synth) is said with the drift.
    const refused = grammarErrors(live, "live policy", env.accountId);
    const outside = refused.length ? `; the live policy is outside the grammar a key policy may use: ${refused.map((f) => f.message).join(" ")}` : "";
    if (drift.length === 0) return { check: "policy", target: keyId, status: "pass", reason: "the live policy is the synthesized one (by meaning)" };
    return { check: "policy", target: keyId, status: "fail", reason: `drift: ${drift.join("; ")}${outside}`, details: drift };
  } catch (e) {
    return cannotCheck("policy", keyId, e);
  }
}

/**
 * Differences between two policies, statement by statement, read as IAM reads them: the one
 * comparison of `matchStatements` (modules/key-policy/document.ts), which the review's statement
 * diff and preflight use too. A statement is named by its Sid (an unnamed one by its position).
 */
export function policyDrift(expected: PolicyDocument, live: PolicyDocument): string[] {
  const name = (p: PlacedStatement) => JSON.stringify(p.statement.Sid ? p.statement.Sid : `Statement[${p.index}]`);
  const drift = documentDifferences(expected, live).map((d) => `${d.element} is ${JSON.stringify(d.after)}, expected ${JSON.stringify(d.before)}`);
  const m = matchStatements(expected, live);
  // In the synthesized policy's order, then what only the live policy has, in its order.
  const byExpected: [number, string][] = [
    ...m.changed.map((c): [number, string] => [c.before.index, `statement ${name(c.before)} differs in ${c.differences.map((d) => d.element).join(", ")}`]),
    ...m.removed.map((r): [number, string] => [r.index, `statement ${name(r)} is missing`]),
  ];
  drift.push(...byExpected.sort(([a], [b]) => a - b).map(([, text]) => text));
  drift.push(...m.added.map((a) => `statement ${name(a)} is not in the synthesized policy`));
  return drift;
}

/** CloudTrail usage of the key over the window, by event name and by caller; destructive calls flagged. */
async function checkUsage(clients: Clients, keyArn: string, window: { readonly since: Date; readonly until: Date }, signal?: AbortSignal): Promise<CheckResult[]> {
  const byEvent: Record<string, number> = {};
  /** day (UTC, YYYY-MM-DD) -> caller -> events */
  const byDay: Record<string, Record<string, number>> = {};
  const byCaller: Record<string, number> = {};
  const destructive: { time: string; event: string; caller: string }[] = [];
  let events = 0;
  let pages = 0;
  try {
    // One window for every page: a NextToken is valid only with the parameters it came with.
    const params = { LookupAttributes: [{ AttributeKey: "ResourceName" as const, AttributeValue: keyArn }], StartTime: window.since, EndTime: window.until };
    let nextToken: string | undefined;
    do {
      const page = await send<LookupEventsCommandOutput>(clients.cloudtrail, new C.LookupEventsCommand.command({ ...params, NextToken: nextToken }), signal);
      pages++;
      nextToken = page.NextToken;
      for (const event of page.Events ?? []) {
        events++;
        const name = event.EventName ?? "(unnamed)";
        const caller = callerOf(event.CloudTrailEvent, event.Username);
        byEvent[name] = (byEvent[name] ?? 0) + 1;
        byCaller[caller] = (byCaller[caller] ?? 0) + 1;
        const day = event.EventTime?.toISOString().slice(0, 10) ?? "unknown";
        byDay[day] ??= {};
        byDay[day][caller] = (byDay[day][caller] ?? 0) + 1;
        if (DESTRUCTIVE_EVENTS.includes(name)) destructive.push({ time: event.EventTime?.toISOString() ?? "?", event: name, caller });
      }
    } while (nextToken);
  } catch (e) {
    const failed = cannotCheck("usage", keyArn, e);
    return [failed, { ...failed, check: "destructive-events", reason: `CloudTrail could not be read: ${failed.reason}` }];
  }
  const top = (counts: Record<string, number>) =>
    Object.entries(counts)
      .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
  const span = `${window.since.toISOString()} to ${window.until.toISOString()}`;
  return [
    {
      check: "usage",
      target: keyArn,
      status: "pass",
      reason: events === 0 ? `no events ${span}` : `${events} event(s) in ${pages} page(s): ${top(byEvent)}; callers: ${top(byCaller)}`,
      details: { window: span, events, pages, byEvent, byCaller, byDay },
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
