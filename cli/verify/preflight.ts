/**
 * `npm run verify -- --env <name> --preflight`: read-only checks before a deploy, the first one
 * above all, of what would make it fail or do harm. Each row is pass, fail or could-not-check, with
 * verify's exit codes.
 *
 * - caller: the credentials are of the environment's account (the provider's allowed_account_ids
 *   would refuse others);
 * - principal: every principal the key policy names exists (KMS rejects a policy naming a missing
 *   one with MalformedPolicyDocumentException);
 * - alias: free, or already targeting `existingKeyId` (creating a taken alias fails);
 * - existing-key-policy: what the deploy changes in the live policy of `existingKeyId`;
 * - state-bucket: exists, versioned, encrypted, public access blocked;
 * - lock-table: exists with a LockID string key, where DynamoDB locking is configured;
 * - lockout: the caller keeps kms:PutKeyPolicy after the change (AWS's lockout safety check).
 */
import { DescribeTableCommandOutput } from "@aws-sdk/client-dynamodb";
import { ListAliasesCommandOutput } from "@aws-sdk/client-kms";
import { GetBucketVersioningCommandOutput, GetPublicAccessBlockCommandOutput } from "@aws-sdk/client-s3";
import { GetCallerIdentityCommandOutput } from "@aws-sdk/client-sts";
import { environmentStack, EnvironmentConfig } from "../../app";
import { awsPrincipals, DEFAULT_ALIAS, lockout, partitionOf, PolicyDocument, stateKey } from "../../modules/index";
import { statementDiff } from "../review/diff";
import { Clients, READ_ONLY_COMMANDS as C, send } from "./commands";
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
  try {
    const id = await send<GetCallerIdentityCommandOutput>(clients.sts, new C.GetCallerIdentityCommand.command({}), signal);
    caller = id.Arn;
    results.push(
      id.Account === env.accountId
        ? { check: "caller", target: id.Arn ?? "?", status: "pass", reason: `credentials of account ${env.accountId}` }
        : {
            check: "caller",
            target: id.Arn ?? "?",
            status: "fail",
            reason: `credentials of account ${id.Account}, not ${env.name}'s ${env.accountId}: the provider's allowed_account_ids refuses them`,
          },
    );
  } catch (e) {
    results.push(cannotCheck("caller", "sts:GetCallerIdentity", e));
  }

  for (const principal of namedPrincipals(policy)) {
    progress(`principal ${principal.arn}`);
    results.push(await checkPrincipal(clients, principal, env, signal));
  }

  progress("ListAliases");
  results.push(await checkAliasFree(clients, env, signal));

  if (env.existingKeyId !== undefined) {
    progress(`GetKeyPolicy ${env.existingKeyId}`);
    results.push(await checkExistingPolicy(clients, env.existingKeyId, policy, signal));
  }

  progress(`state bucket ${env.state.bucket}`);
  results.push(await checkStateBucket(clients, env, signal));
  const locking = env.state.locking;
  if (locking.type === "dynamodb") {
    progress(`lock table ${locking.table}`);
    results.push(await checkLockTable(clients, locking.table, signal));
  }

  results.push(checkLockout(policy, env, caller));
  return results;
}

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

async function checkExistingPolicy(clients: Clients, keyId: string, policy: PolicyDocument, signal?: AbortSignal): Promise<CheckResult> {
  try {
    const live = await liveKeyPolicy(clients, keyId, signal);
    const changes = statementDiff(live, policy);
    if (changes.length === 0) return { check: "existing-key-policy", target: keyId, status: "pass", reason: "the deploy leaves the live policy as it is" };
    const lines = changes.map((c) => `${c.kind} “${c.sid}”${c.details.length ? `: ${c.details.join("; ")}` : ""}`);
    return { check: "existing-key-policy", target: keyId, status: "pass", reason: `the deploy changes ${changes.length} statement(s) of the live policy: ${lines.join(" | ")}`, details: changes };
  } catch (e) {
    return cannotCheck("existing-key-policy", keyId, e);
  }
}

async function checkStateBucket(clients: Clients, env: EnvironmentConfig, signal?: AbortSignal): Promise<CheckResult> {
  const bucket = env.state.bucket;
  const target = `s3://${bucket}/${stateKey(env.state, env.name)}`;
  const problems: string[] = [];
  try {
    const versioning = await send<GetBucketVersioningCommandOutput>(clients.s3, new C.GetBucketVersioningCommand.command({ Bucket: bucket }), signal);
    if (versioning.Status !== "Enabled") problems.push(`versioning is ${versioning.Status ?? "off"}: an overwritten state cannot be recovered`);
    try {
      await send(clients.s3, new C.GetBucketEncryptionCommand.command({ Bucket: bucket }), signal);
    } catch (e) {
      if ((e as { name?: string }).name !== "ServerSideEncryptionConfigurationNotFoundError") throw e;
      problems.push("it has no default encryption");
    }
    try {
      const block = await send<GetPublicAccessBlockCommandOutput>(clients.s3, new C.GetPublicAccessBlockCommand.command({ Bucket: bucket }), signal);
      const c = block.PublicAccessBlockConfiguration ?? {};
      const open = (["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"] as const).filter((k) => c[k] !== true);
      if (open.length) problems.push(`public access is not fully blocked (${open.join(", ")} off)`);
    } catch (e) {
      if ((e as { name?: string }).name !== "NoSuchPublicAccessBlockConfiguration") throw e;
      problems.push("it has no public access block");
    }
  } catch (e) {
    if ((e as { name?: string }).name === "NoSuchBucket") {
      return { check: "state-bucket", target, status: "fail", reason: `the bucket ${bucket} does not exist: terraform init fails. Create it first: versioned, encrypted, public access blocked` };
    }
    return cannotCheck("state-bucket", target, e);
  }
  return problems.length
    ? { check: "state-bucket", target, status: "fail", reason: problems.join("; ") }
    : { check: "state-bucket", target, status: "pass", reason: "exists, versioned, encrypted, public access blocked" };
}

async function checkLockTable(clients: Clients, table: string, signal?: AbortSignal): Promise<CheckResult> {
  try {
    const d = await send<DescribeTableCommandOutput>(clients.dynamodb, new C.DescribeTableCommand.command({ TableName: table }), signal);
    const hash = d.Table?.KeySchema?.find((k) => k.KeyType === "HASH")?.AttributeName;
    const type = d.Table?.AttributeDefinitions?.find((a) => a.AttributeName === hash)?.AttributeType;
    return hash === "LockID" && type === "S"
      ? { check: "lock-table", target: table, status: "pass", reason: "exists, keyed by LockID (string)" }
      : { check: "lock-table", target: table, status: "fail", reason: `its partition key is ${hash ?? "?"} (${type ?? "?"}); Terraform's S3 backend needs LockID (string)` };
  } catch (e) {
    if ((e as { name?: string }).name === "ResourceNotFoundException") {
      return { check: "lock-table", target: table, status: "fail", reason: "it does not exist: terraform init fails. Create it with the partition key LockID (string)" };
    }
    return cannotCheck("lock-table", table, e);
  }
}

/** The caller, as the deployer, keeps kms:PutKeyPolicy under the policy the deploy applies. */
function checkLockout(policy: PolicyDocument, env: EnvironmentConfig, caller: string | undefined): CheckResult {
  if (caller === undefined) return { check: "lockout", target: "(the caller)", status: "could-not-check", reason: "who the caller is could not be learned (GetCallerIdentity)" };
  const partition = partitionOf(env.region);
  const findings = lockout.check({ policy, accountId: env.accountId, partition, region: env.region, deployer: caller }).filter((f) => f.message.includes(JSON.stringify(caller)));
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
