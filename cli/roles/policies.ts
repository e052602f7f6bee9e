/**
 * The permission policies of an environment's three workflow roles, each derived from the
 * environment's synthesized stack as the audit role's is (cli/verify/audit-role.ts):
 *
 * - **plan** (pull requests): the reads of Terraform's refresh of the stack's types and the state
 *   read, nothing else. Its plans run with
 *   `-lock=false`: with `use_lockfile` a locked plan writes and deletes `<key>.tflock`
 *   (s3:PutObject, s3:DeleteObject; Terraform's S3 backend docs, "Permissions Required"), and a
 *   role every pull request can assume should not be able to hold or break the deploy's lock.
 * - **deploy** (the default branch, behind the GitHub environment): the reads, the writes of the
 *   stack's types (DEPLOY_WRITES), the data key through the services that bind to it, the state
 *   read and written with its lock, and verify's and --preflight's reads (the deploy runs both).
 * - **audit**: today's `npm run verify -- --audit-role-policy`.
 */
import { environmentStack, EnvironmentConfig } from "../../app";
import type { IamPolicy, IamStatement, RoleKind } from "../../app/bootstrap";
import { partitionOf, stateKey } from "../../modules/index";
import { READ_ONLY_COMMANDS } from "../verify/commands";
import { auditRolePolicy, lockTableArn, refreshReads, stackTypes, stateKeyStatement, stateObjects, stateReadStatements } from "../verify/audit-role";
import { DEPLOY_WRITES, KEY_USE_VIA, VIA_SERVICE_ACTIONS } from "./writes";

type Stack = Record<string, any>;

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/** The policy of an environment's role of `kind`. */
export function rolePolicy(env: EnvironmentConfig, kind: RoleKind, stack: Stack = environmentStack(env).toTerraform()): IamPolicy {
  switch (kind) {
    case "plan":
      return planRolePolicy(env, stack);
    case "deploy":
      return deployRolePolicy(env, stack);
    case "audit":
      return auditRolePolicy(env, stack) as unknown as IamPolicy;
  }
}

/** The plan role: refresh reads and the state read (no lock: see above). */
export function planRolePolicy(env: EnvironmentConfig, stack: Stack = environmentStack(env).toTerraform()): IamPolicy {
  return {
    Version: "2012-10-17",
    Statement: [{ Sid: "TerraformRefresh", Effect: "Allow", Action: refreshReads(stack), Resource: "*" }, ...stateReadStatements(env, stack)],
  };
}

/** The deploy role: what applying the stack takes, and verify's reads after it. */
export function deployRolePolicy(env: EnvironmentConfig, stack: Stack = environmentStack(env).toTerraform()): IamPolicy {
  const partition = partitionOf(env.region);
  const statePartition = partitionOf(env.state.region);
  const s3 = (resource: string) => `arn:${statePartition}:s3:::${resource}`;
  const types = stackTypes(stack);
  const writes = new Set<string>();
  for (const type of types) {
    if (type === "data.terraform_remote_state") continue;
    const actions = DEPLOY_WRITES[type];
    if (actions === undefined) throw new Error(`${type}: the deploy role's writes of this type are not known. Add them to DEPLOY_WRITES (cli/roles/writes.ts) from the provider's Create, Update and Delete functions.`);
    actions.forEach((a) => writes.add(a));
  }
  // Only a throwaway environment's key may be destroyed; prevent_destroy and the review guard the rest.
  if (env.allowDestroy === true && types.includes("aws_kms_key")) writes.add("kms:ScheduleKeyDeletion");

  const statements: IamStatement[] = [
    { Sid: "Verify", Effect: "Allow", Action: sorted(Object.values(READ_ONLY_COMMANDS).map((c) => c.action).filter((a) => a !== "s3:GetObject")), Resource: "*" },
    { Sid: "TerraformRefresh", Effect: "Allow", Action: refreshReads(stack), Resource: "*" },
    { Sid: "TerraformApply", Effect: "Allow", Action: sorted(writes), Resource: "*" },
  ];

  const services = sorted(types.filter((t) => KEY_USE_VIA[t] !== undefined).map((t) => KEY_USE_VIA[t]));
  if (services.length > 0) {
    statements.push({
      Sid: "DataKeyThroughBoundServices",
      Effect: "Allow",
      Action: VIA_SERVICE_ACTIONS,
      Resource: "*",
      Condition: {
        // Not narrowed to the data key by its alias: a table or secret may be created before the
        // alias is (both wait only for the key). Through a service only, and no data read: the
        // role holds no dynamodb:GetItem, secretsmanager:GetSecretValue or lambda:Invoke.
        StringEquals: { "kms:ViaService": services.map((s) => `${s}.${env.region}.amazonaws.com`), "kms:CallerAccount": env.accountId },
      },
    });
  }
  const functions = Object.values<Record<string, any>>(stack.resource?.aws_lambda_function ?? {});
  if (functions.length > 0) {
    // CreateFunction passes the execution role to Lambda (iam:PassRole, Lambda developer guide).
    statements.push({
      Sid: "PassFunctionRoles",
      Effect: "Allow",
      Action: ["iam:PassRole"],
      Resource: sorted(functions.map((f) => f.role)),
      Condition: { StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" } },
    });
    const packages = functions.filter((f) => typeof f.s3_bucket === "string").map((f) => `arn:${partition}:s3:::${f.s3_bucket}/${f.s3_key}`);
    // Lambda reads a deployment package in S3 with the caller's permissions.
    if (packages.length > 0) statements.push({ Sid: "FunctionPackages", Effect: "Allow", Action: ["s3:GetObject"], Resource: sorted(packages) });
    const images = functions
      .map((f) => (typeof f.image_uri === "string" ? /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(f.image_uri) : null))
      .filter((m): m is RegExpExecArray => m !== null)
      .map(([, account, region, repository]) => `arn:${partitionOf(region)}:ecr:${region}:${account}:repository/${repository}`);
    if (images.length > 0) statements.push({ Sid: "FunctionImages", Effect: "Allow", Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], Resource: sorted(images) });
  }

  const own = { bucket: env.state.bucket, key: stateKey(env.state, env.name) };
  const remote = stateObjects(env, stack).slice(1);
  statements.push(
    { Sid: "TerraformStateList", Effect: "Allow", Action: ["s3:ListBucket"], Resource: sorted([own, ...remote].map((s) => s3(s.bucket))) },
    // Terraform's S3 backend docs: s3:GetObject and s3:PutObject on the state (never s3:DeleteObject).
    { Sid: "TerraformStateWrite", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: s3(`${own.bucket}/${own.key}`) },
  );
  if (env.state.locking.type === "lockfile") {
    // ... and with use_lockfile, s3:GetObject, s3:PutObject and s3:DeleteObject on <key>.tflock.
    statements.push({ Sid: "TerraformStateLock", Effect: "Allow", Action: ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], Resource: s3(`${own.bucket}/${own.key}.tflock`) });
  } else {
    // ... or with a DynamoDB table: DescribeTable, GetItem, PutItem and DeleteItem on it.
    statements.push({ Sid: "TerraformStateLock", Effect: "Allow", Action: ["dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem"], Resource: lockTableArn(env) });
  }
  if (remote.length > 0) statements.push({ Sid: "RemoteStateRead", Effect: "Allow", Action: ["s3:GetObject"], Resource: sorted(remote.map((s) => s3(`${s.bucket}/${s.key}`))) });
  // ... and with kms_key_id, kms:Encrypt, kms:Decrypt and kms:GenerateDataKey on that key.
  const stateKeyUse = stateKeyStatement(env, ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]);
  if (stateKeyUse !== undefined) statements.push(stateKeyUse);
  // What the review refuses to apply, refused by IAM too: a key policy that skips KMS's lockout check.
  statements.push({
    Sid: "DenyLockoutCheckBypass",
    Effect: "Deny",
    Action: ["kms:CreateKey", "kms:PutKeyPolicy"],
    Resource: "*",
    Condition: { Bool: { "kms:BypassPolicyLockoutSafetyCheck": "true" } },
  });
  return { Version: "2012-10-17", Statement: statements };
}
