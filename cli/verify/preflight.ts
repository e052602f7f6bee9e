/**
 * `npm run verify -- --env <name> --preflight`: read-only checks before a deploy, the first one
 * above all, of what would make it fail or do harm. Each row is pass, fail or could-not-check, with
 * verify's exit codes.
 *
 * - caller: the credentials are of the environment's account (the provider's allowed_account_ids
 *   would refuse others). When they are another account's, or their account cannot be learned,
 *   nothing else is called: every other row is "not checked" (a missing principal or a free alias
 *   in the wrong account says nothing of the right one);
 * - principal: every principal the key policy names exists (KMS rejects a policy naming a missing
 *   one with MalformedPolicyDocumentException);
 * - alias: free, or already targeting `existingKeyId` (creating a taken alias fails);
 * - existing-key-policy: what the deploy changes in the live policy of `existingKeyId`;
 * - existing-key-put-policy: the caller may call kms:PutKeyPolicy under that live policy, which
 *   authorizes the deploy's update of it (else AccessDenied mid-apply). A live policy the policy
 *   grammar refuses is not evaluated: "could not check", never a pass;
 * - state-bucket: answers in `state.region` (Terraform's S3 backend does not follow S3's 301 to
 *   another region), exists, versioned, encrypted, public access blocked;
 * - lock-table: exists in `state.region` with a LockID string key, where DynamoDB locking is
 *   configured (the backend's `region` is "the region of the S3 bucket and DynamoDB table");
 * - lockout: the caller keeps kms:PutKeyPolicy after the change (AWS's lockout safety check).
 */
import { DescribeTableCommandOutput } from "@aws-sdk/client-dynamodb";
import { ListAliasesCommandOutput } from "@aws-sdk/client-kms";
import { GetBucketVersioningCommandOutput, GetPublicAccessBlockCommandOutput } from "@aws-sdk/client-s3";
import { GetCallerIdentityCommandOutput } from "@aws-sdk/client-sts";
import { environmentStack, EnvironmentConfig } from "../../app";
import { awsPrincipals, DEFAULT_ALIAS, Decision, describeClause, directCallContext, evaluate, KeyFacts, lockout, partitionOf, PolicyDocument, requestPrincipal, stateKey } from "../../modules/index";
import { grammarErrors, statementDiff } from "../review/diff";
import { Clients, READ_ONLY_COMMANDS as C, redirectedRegion, send, stateRedirectReason } from "./commands";
import { liveKeyPolicy } from "./checks";
import { cannotCheck, CheckResult } from "./outcome";

export interface PreflightOptions {
  readonly progress?: (message: string) => void;
  readonly signal?: AbortSignal;
}

export async function preflightEnvironment(env: EnvironmentConfig, clients: Clients, options: PreflightOptions = {}): Promise<CheckResult[]> {
  const progress = options.progress ?? (() => undefined);
  const signal = options.signal;
  const policy = environmentStack(env).dataKey.policy;
  const results: CheckResult[] = [];

  progress("GetCallerIdentity");
  let caller: string | undefined;
  /** Why nothing else is checked: the credentials are not (or not known to be) the environment's account's. */
  let stop: string | undefined;
  try {
    const id = await send<GetCallerIdentityCommandOutput>(clients.sts, new C.GetCallerIdentityCommand.command({}), signal);
    caller = id.Arn;
    if (id.Account === env.accountId) {
      results.push({ check: "caller", target: id.Arn ?? "?", status: "pass", reason: `credentials of account ${env.accountId}` });
    } else {
      results.push({
        check: "caller",
        target: id.Arn ?? "?",
        status: "fail",
        reason: `credentials of account ${id.Account}, not ${env.name}'s ${env.accountId}: the provider's allowed_account_ids refuses them`,
      });
      stop = `not checked: the credentials are for account ${id.Account}`;
    }
  } catch (e) {
    results.push(cannotCheck("caller", "sts:GetCallerIdentity", e));
    stop = "not checked: which account the credentials are for is unknown (sts:GetCallerIdentity failed)";
  }

  const rows: Row[] = [
    ...namedPrincipals(policy).map((p): Row => ({ check: "principal", target: p.arn, progress: `principal ${p.arn}`, run: () => checkPrincipal(clients, p, env, signal) })),
    { check: "alias", target: env.alias ?? DEFAULT_ALIAS, progress: "ListAliases", run: () => checkAliasFree(clients, env, signal) },
  ];
  const keyId = env.existingKeyId;
  if (keyId !== undefined) {
    // Read once: the diff row reads it, the PutKeyPolicy row evaluates what it read.
    let live: LivePolicy = { error: "it was not read" };
    rows.push({
      check: "existing-key-policy",
      target: keyId,
      progress: `GetKeyPolicy ${keyId}`,
      run: async () => {
        const [row, read] = await checkExistingPolicy(clients, keyId, policy, signal);
        live = read;
        return row;
      },
    });
    rows.push({ check: "existing-key-put-policy", target: caller ?? "(the caller)", run: async () => checkExistingPutPolicy(live, keyId, env, caller) });
  }
  rows.push({ check: "state-bucket", target: stateTarget(env), progress: `state bucket ${env.state.bucket}`, run: () => checkStateBucket(clients, env, signal) });
  const locking = env.state.locking;
  if (locking.type === "dynamodb") {
    rows.push({ check: "lock-table", target: locking.table, progress: `lock table ${locking.table}`, run: () => checkLockTable(clients, locking.table, env.state.region, signal) });
  }
  rows.push({ check: "lockout", target: caller ?? "(the caller)", run: async () => checkLockout(policy, env, caller) });

  for (const row of rows) {
    if (stop !== undefined) {
      results.push({ check: row.check, target: row.target, status: "could-not-check", reason: stop });
      continue;
    }
    if (row.progress) progress(row.progress);
    results.push(await row.run());
  }
  return results;
}

/** One row of the report after the caller's: what it checks, and the check. */
interface Row {
  readonly check: string;
  readonly target: string;
  readonly progress?: string;
  run(): Promise<CheckResult>;
}

const stateTarget = (env: EnvironmentConfig) => `s3://${env.state.bucket}/${stateKey(env.state, env.name)}`;

interface NamedPrincipal {
  readonly arn: string;
  readonly kind: "user" | "role";
  readonly name: string;
  readonly account: string;
}

/** The users and roles the key policy names (not accounts, not `*`, not services). */
function namedPrincipals(policy: PolicyDocument): NamedPrincipal[] {
  const seen = new Map<string, NamedPrincipal>();
  for (const statement of policy.Statement) {
    for (const arn of awsPrincipals(statement)) {
      const match = /^arn:[^:]+:iam::(\d{12}):(user|role)\/(?:[^/]+\/)*([^/]+)$/.exec(arn);
      if (match && !seen.has(arn)) seen.set(arn, { arn, account: match[1], kind: match[2] as "user" | "role", name: match[3] });
    }
  }
  return [...seen.values()];
}

async function checkPrincipal(clients: Clients, p: NamedPrincipal, env: EnvironmentConfig, signal?: AbortSignal): Promise<CheckResult> {
  if (p.account !== env.accountId) {
    return { check: "principal", target: p.arn, status: "could-not-check", reason: `in account ${p.account}: its IAM is not readable with ${env.name}'s credentials` };
  }
  try {
    if (p.kind === "user") await send(clients.iam, new C.GetUserCommand.command({ UserName: p.name }), signal);
    else await send(clients.iam, new C.GetRoleCommand.command({ RoleName: p.name }), signal);
    return { check: "principal", target: p.arn, status: "pass", reason: `the ${p.kind} exists` };
  } catch (e) {
    if ((e as { name?: string }).name === "NoSuchEntityException" || (e as { name?: string }).name === "NoSuchEntity") {
      return {
        check: "principal",
        target: p.arn,
        status: "fail",
        reason: `no such ${p.kind}: KMS rejects a key policy naming it (MalformedPolicyDocumentException); create it first, or take it out of the environment`,
      };
    }
    return cannotCheck("principal", p.arn, e);
  }
}

async function checkAliasFree(clients: Clients, env: EnvironmentConfig, signal?: AbortSignal): Promise<CheckResult> {
  const alias = env.alias ?? DEFAULT_ALIAS;
  try {
    let marker: string | undefined;
    do {
      const page = await send<ListAliasesCommandOutput>(clients.kms, new C.ListAliasesCommand.command({ Marker: marker }), signal);
      const found = page.Aliases?.find((a) => a.AliasName === alias);
      if (found) {
        if (env.existingKeyId !== undefined && found.TargetKeyId === env.existingKeyId) {
          return { check: "alias", target: alias, status: "pass", reason: `targets ${env.existingKeyId}, the existingKeyId the deploy adopts` };
        }
        return {
          check: "alias",
          target: alias,
          status: "fail",
          reason:
            env.existingKeyId === undefined
              ? `exists already, targeting ${found.TargetKeyId}: creating it fails (AlreadyExistsException). Set existingKeyId to ${found.TargetKeyId} to adopt that key, or choose another alias`
              : `targets ${found.TargetKeyId}, not existingKeyId ${env.existingKeyId}: the deploy would point it at ${env.existingKeyId}`,
        };
      }
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    return { check: "alias", target: alias, status: "pass", reason: "free: the deploy creates it" };
  } catch (e) {
    return cannotCheck("alias", alias, e);
  }
}

/** The live policy of `existingKeyId` as the diff row read it, or why it could not be. */
type LivePolicy = { readonly policy: PolicyDocument; readonly error?: undefined } | { readonly policy?: undefined; readonly error: string };

/**
 * What the deploy changes in the live policy: a comparison (it evaluates nothing), so it is shown
 * for a live policy the grammar refuses too, with the grammar's errors.
 */
async function checkExistingPolicy(clients: Clients, keyId: string, policy: PolicyDocument, signal?: AbortSignal): Promise<[CheckResult, LivePolicy]> {
  let live: PolicyDocument;
  try {
    live = await liveKeyPolicy(clients, keyId, signal);
  } catch (e) {
    const row = cannotCheck("existing-key-policy", keyId, e);
    return [row, { error: row.reason }];
  }
  const changes = statementDiff(live, policy);
  const refused = grammarErrors(live, "live policy");
  const outside = refused.length ? `; the live policy is outside the grammar a key policy may use: ${refused.map((f) => f.message).join(" ")}` : "";
  if (changes.length === 0) return [{ check: "existing-key-policy", target: keyId, status: "pass", reason: `the deploy leaves the live policy as it is${outside}` }, { policy: live }];
  const lines = changes.map((c) => `${c.kind} “${c.sid}”${c.details.length ? `: ${c.details.join("; ")}` : ""}`);
  return [{ check: "existing-key-policy", target: keyId, status: "pass", reason: `the deploy changes ${changes.length} statement(s) of the live policy: ${lines.join(" | ")}${outside}`, details: changes }, { policy: live }];
}

/**
 * The deploy's update of the existing key's policy is a kms:PutKeyPolicy that the live policy
 * authorizes (the new policy's lockout check is the row `lockout`). Evaluated only for a live
 * policy the grammar accepts: otherwise "could not evaluate the live policy", never a pass.
 */
function checkExistingPutPolicy(live: LivePolicy, keyId: string, env: EnvironmentConfig, caller: string | undefined): CheckResult {
  const check = "existing-key-put-policy";
  if (caller === undefined) return { check, target: "(the caller)", status: "could-not-check", reason: "who the caller is could not be learned (GetCallerIdentity)" };
  if (live.policy === undefined) return { check, target: caller, status: "could-not-check", reason: `the live policy of ${keyId} could not be read (${live.error})` };
  const refused = grammarErrors(live.policy, "live policy", env.accountId);
  if (refused.length) return { check, target: caller, status: "could-not-check", reason: `could not evaluate the live policy: ${refused.map((f) => f.message).join(" ")}` };
  const partition = partitionOf(env.region);
  const key: KeyFacts = { account: env.accountId, partition, region: env.region, keyArn: `arn:${partition}:kms:${env.region}:${env.accountId}:key/${keyId}` };
  let d: Decision;
  try {
    d = evaluate(live.policy, key, { principal: caller, action: "kms:PutKeyPolicy", context: directCallContext(requestPrincipal(caller), key) });
  } catch (e) {
    return { check, target: caller, status: "could-not-check", reason: `the caller could not be evaluated (${(e as Error).message})` };
  }
  const when = (statements: Decision["conditionalGrants"]) => statements.map((g) => `${g.when.map(describeClause).join(" and ")} (${JSON.stringify(g.sid)})`).join(", or ");
  if (d.effect === "deny" && d.conditionalGrants.length === 0) {
    const why = d.reason === "explicit" ? `denied by ${d.sids.map((x) => JSON.stringify(x)).join(", ")}` : d.reason === "cross-account" ? "KMS refuses it from another account" : "no statement allows it";
    return {
      check,
      target: caller,
      status: "fail",
      reason: `could not call kms:PutKeyPolicy under the live policy of ${keyId} (${why}): the deploy's update of the key policy would be refused (AccessDeniedException). Allow it in the live policy first: the root statement, or kms:PutKeyPolicy for the caller`,
    };
  }
  if (d.effect === "deny") return { check, target: caller, status: "pass", reason: `may call kms:PutKeyPolicy under the live policy of ${keyId} only when ${when(d.conditionalGrants)}` };
  const through = d.effect === "iam" ? " if its IAM policy allows it (the live policy delegates to the account)" : "";
  const unless = d.conditionalDenies.length ? `, unless ${when(d.conditionalDenies)}` : "";
  return { check, target: caller, status: "pass", reason: `may call kms:PutKeyPolicy under the live policy of ${keyId}${through}${unless}` };
}

/** The state bucket as Terraform's S3 backend reaches it: in `state.region`, following no redirect. */
async function checkStateBucket(clients: Clients, env: EnvironmentConfig, signal?: AbortSignal): Promise<CheckResult> {
  const bucket = env.state.bucket;
  const target = stateTarget(env);
  const problems: string[] = [];
  try {
    const versioning = await send<GetBucketVersioningCommandOutput>(clients.stateS3, new C.GetBucketVersioningCommand.command({ Bucket: bucket }), signal);
    if (versioning.Status !== "Enabled") problems.push(`versioning is ${versioning.Status ?? "off"}: an overwritten state cannot be recovered`);
    try {
      await send(clients.stateS3, new C.GetBucketEncryptionCommand.command({ Bucket: bucket }), signal);
    } catch (e) {
      if ((e as { name?: string }).name !== "ServerSideEncryptionConfigurationNotFoundError") throw e;
      problems.push("it has no default encryption");
    }
    try {
      const block = await send<GetPublicAccessBlockCommandOutput>(clients.stateS3, new C.GetPublicAccessBlockCommand.command({ Bucket: bucket }), signal);
      const c = block.PublicAccessBlockConfiguration ?? {};
      const open = (["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"] as const).filter((k) => c[k] !== true);
      if (open.length) problems.push(`public access is not fully blocked (${open.join(", ")} off)`);
    } catch (e) {
      if ((e as { name?: string }).name !== "NoSuchPublicAccessBlockConfiguration") throw e;
      problems.push("it has no public access block");
    }
  } catch (e) {
    const moved = redirectedRegion(e);
    if (moved !== undefined) return { check: "state-bucket", target, status: "fail", reason: stateRedirectReason(env.state.region, moved) };
    if ((e as { name?: string }).name === "NoSuchBucket") {
      return { check: "state-bucket", target, status: "fail", reason: `the bucket ${bucket} does not exist: terraform init fails. Create it first: versioned, encrypted, public access blocked` };
    }
    return cannotCheck("state-bucket", target, e);
  }
  return problems.length
    ? { check: "state-bucket", target, status: "fail", reason: problems.join("; ") }
    : { check: "state-bucket", target, status: "pass", reason: "exists, versioned, encrypted, public access blocked" };
}

/** The lock table where the S3 backend looks for it: in `state.region` (`region`: "AWS Region of the S3 Bucket and DynamoDB Table"). */
async function checkLockTable(clients: Clients, table: string, region: string, signal?: AbortSignal): Promise<CheckResult> {
  try {
    const d = await send<DescribeTableCommandOutput>(clients.stateDynamodb, new C.DescribeTableCommand.command({ TableName: table }), signal);
    const hash = d.Table?.KeySchema?.find((k) => k.KeyType === "HASH")?.AttributeName;
    const type = d.Table?.AttributeDefinitions?.find((a) => a.AttributeName === hash)?.AttributeType;
    return hash === "LockID" && type === "S"
      ? { check: "lock-table", target: table, status: "pass", reason: `exists in ${region}, keyed by LockID (string)` }
      : { check: "lock-table", target: table, status: "fail", reason: `its partition key is ${hash ?? "?"} (${type ?? "?"}); Terraform's S3 backend needs LockID (string)` };
  } catch (e) {
    if ((e as { name?: string }).name === "ResourceNotFoundException") {
      return {
        check: "lock-table",
        target: table,
        status: "fail",
        reason: `it does not exist in ${region} (state.region, where Terraform's S3 backend looks for it): locking the state fails. Create it there with the partition key LockID (string)`,
      };
    }
    return cannotCheck("lock-table", table, e);
  }
}

/** The caller, as the deployer, keeps kms:PutKeyPolicy under the policy the deploy applies. */
function checkLockout(policy: PolicyDocument, env: EnvironmentConfig, caller: string | undefined): CheckResult {
  if (caller === undefined) return { check: "lockout", target: "(the caller)", status: "could-not-check", reason: "who the caller is could not be learned (GetCallerIdentity)" };
  const partition = partitionOf(env.region);
  let findings;
  try {
    findings = lockout.check({ policy, accountId: env.accountId, partition, region: env.region, deployer: caller }).filter((f) => f.message.includes(JSON.stringify(caller)));
  } catch (e) {
    // A caller the evaluator cannot place (an ARN of no principal form): not checked, never a pass or a trace.
    return { check: "lockout", target: caller, status: "could-not-check", reason: `the caller could not be evaluated (${(e as Error).message})` };
  }
  const error = findings.find((f) => f.severity === "error");
  if (error) return { check: "lockout", target: caller, status: "fail", reason: error.message.replace(/^policy: /, "") };
  const warning = findings.find((f) => f.severity === "warning");
  return {
    check: "lockout",
    target: caller,
    status: "pass",
    reason: warning ? `keeps kms:PutKeyPolicy with a condition: ${warning.message.replace(/^policy: /, "")}` : "keeps kms:PutKeyPolicy after the change",
  };
}
