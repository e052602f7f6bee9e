/**
 * The IAM policy of the scheduled audit's role, for one environment: read-only, and only what the
 * audit does (`npm run verify -- --env <name> --audit-role-policy` prints it).
 *
 * - verify and --preflight: the actions of their commands (READ_ONLY_COMMANDS);
 * - --discover: its list calls (DISCOVER_COMMANDS); not `--objects`, whose HeadObject is
 *   authorized as s3:GetObject and so would let the role read every object not under the key;
 * - the drift plan (`terraform plan -refresh-only -lock=false`): the state object and the
 *   provider's reads of every resource and data source in the environment's stack.
 *
 * REFRESH_READS holds, per Terraform type this project can synthesize, the IAM actions of the
 * calls hashicorp/aws 5.100.0 makes to read it (its resources' Read functions). The KMS ones are
 * measured: the drift test records the calls real Terraform makes to the local KMS. A type with no
 * entry is an error here, so a new resource type cannot reach the audit without its reads. A read
 * missing from a list shows as drift=failed with Terraform's AccessDenied in the audit issue,
 * never as a clean run.
 */
import { environmentStack, EnvironmentConfig } from "../../app";
import { partitionOf, stateKey } from "../../modules/index";
import { DISCOVER_COMMANDS, READ_ONLY_COMMANDS } from "./commands";

export const REFRESH_READS: Readonly<Record<string, readonly string[]>> = {
  aws_kms_key: ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"],
  aws_kms_alias: ["kms:ListAliases"],
  aws_s3_bucket: [
    "s3:ListBucket",
    "s3:GetBucketPolicy",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetBucketWebsite",
    "s3:GetBucketVersioning",
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketRequestPayment",
    "s3:GetBucketLogging",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketTagging",
  ],
  aws_s3_bucket_server_side_encryption_configuration: ["s3:GetEncryptionConfiguration"],
  aws_dynamodb_table: ["dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource"],
  aws_secretsmanager_secret: ["secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"],
  aws_lambda_function: ["lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:ListVersionsByFunction"],
  aws_iam_role_policy: ["iam:GetRolePolicy"],
  aws_sns_topic: ["sns:GetTopicAttributes", "sns:ListTagsForResource"],
  aws_sns_topic_policy: ["sns:GetTopicAttributes"],
  aws_sns_topic_subscription: ["sns:GetSubscriptionAttributes"],
  aws_cloudwatch_event_rule: ["events:DescribeRule", "events:ListTagsForResource"],
  aws_cloudwatch_event_target: ["events:ListTargetsByRule"],
  aws_config_config_rule: ["config:DescribeConfigRules", "config:ListTagsForResource"],
  aws_cloudwatch_log_metric_filter: ["logs:DescribeMetricFilters"],
  aws_cloudwatch_metric_alarm: ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"],
  aws_cloudwatch_dashboard: ["cloudwatch:GetDashboard"],
  "data.aws_kms_alias": ["kms:ListAliases", "kms:DescribeKey"],
};

export interface Statement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Action: string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string>>;
}

/** The Terraform types (resources, and data sources as `data.<type>`) in a synthesized stack. */
export function stackTypes(stack: Record<string, any>): string[] {
  return [...Object.keys(stack.resource ?? {}), ...Object.keys(stack.data ?? {}).map((t) => `data.${t}`)].sort();
}

/** The audit role's identity policy for `env`, from its stack as the app builds it. */
export function auditRolePolicy(env: EnvironmentConfig, stack: Record<string, any> = environmentStack(env).toTerraform()): { Version: string; Statement: Statement[] } {
  const reads = refreshReads(stack);
  const statements: Statement[] = [
    // s3:GetObject is verify's read of the state object only: TerraformStateRead grants that one.
    { Sid: "Verify", Effect: "Allow", Action: sorted(Object.values(READ_ONLY_COMMANDS).map((c) => c.action).filter((a) => a !== "s3:GetObject")), Resource: "*" },
    { Sid: "Discover", Effect: "Allow", Action: sorted(Object.values(DISCOVER_COMMANDS).map((c) => c.action)), Resource: "*" },
    { Sid: "TerraformRefresh", Effect: "Allow", Action: reads, Resource: "*" },
    ...stateReadStatements(env, stack),
  ];
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * The IAM actions of Terraform's refresh of every resource and data source type in `stack`
 * (sorted); a type without its entry in REFRESH_READS is an error naming it. Shared by the
 * workflows' roles (cli/roles/policies.ts).
 */
export function refreshReads(stack: Record<string, any>): string[] {
  const reads = new Set<string>();
  for (const type of stackTypes(stack)) {
    if (type === "data.terraform_remote_state") continue;
    const actions = REFRESH_READS[type];
    if (actions === undefined) throw new Error(`${type}: the audit role's reads of this type are not known. Add them to REFRESH_READS (cli/verify/audit-role.ts) from the provider's Read function.`);
    actions.forEach((a) => reads.add(a));
  }
  return sorted(reads);
}

/** The state objects a plan of `stack` reads: the environment's own, then the remote states it names. */
export function stateObjects(env: EnvironmentConfig, stack: Record<string, any>): { bucket: string; key: string }[] {
  const remote = Object.values<Record<string, any>>(stack.data?.terraform_remote_state ?? {});
  return [{ bucket: env.state.bucket, key: stateKey(env.state, env.name) }, ...remote.filter((r) => r.backend === "s3").map((r) => ({ bucket: r.config.bucket, key: r.config.key }))];
}

/**
 * What reading the state takes, without the lock (`-lock=false`): list the bucket, get the
 * objects, the DynamoDB digest item Terraform's S3 backend compares the state with when the
 * environment locks with DynamoDB (a failed read of it is only a warning, so without this a stale
 * read goes unseen), and the state's customer key when `state.kmsKeyId` is set.
 */
export function stateReadStatements(env: EnvironmentConfig, stack: Record<string, any>): Statement[] {
  const partition = partitionOf(env.state.region);
  const s3 = (resource: string) => `arn:${partition}:s3:::${resource}`;
  const states = stateObjects(env, stack);
  const statements: Statement[] = [
    { Sid: "TerraformStateList", Effect: "Allow", Action: ["s3:ListBucket"], Resource: sorted(states.map((s) => s3(s.bucket))) },
    { Sid: "TerraformStateRead", Effect: "Allow", Action: ["s3:GetObject"], Resource: sorted(states.map((s) => s3(`${s.bucket}/${s.key}`))) },
  ];
  if (env.state.locking.type === "dynamodb") {
    statements.push({ Sid: "TerraformStateDigest", Effect: "Allow", Action: ["dynamodb:GetItem"], Resource: lockTableArn(env) });
  }
  const key = stateKeyStatement(env, ["kms:Decrypt"]);
  if (key !== undefined) statements.push(key);
  return statements;
}

/** The ARN of the environment's DynamoDB lock table (in the state's region and the environment's account). */
export function lockTableArn(env: EnvironmentConfig): string {
  if (env.state.locking.type !== "dynamodb") throw new Error(`${env.name} locks with a lockfile, not a table`);
  return `arn:${partitionOf(env.state.region)}:dynamodb:${env.state.region}:${env.accountId}:table/${env.state.locking.table}`;
}

/** `actions` on the state's customer key, when `state.kmsKeyId` is set. */
export function stateKeyStatement(env: EnvironmentConfig, actions: string[]): Statement | undefined {
  if (env.state.kmsKeyId === undefined) return undefined;
  const partition = partitionOf(env.state.region);
  const key = env.state.kmsKeyId;
  return key.startsWith("alias/")
    ? // An alias is no Resource for kms:Decrypt; the key behind it is matched by its aliases.
      { Sid: "TerraformStateKey", Effect: "Allow", Action: actions, Resource: "*", Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": key } } }
    : { Sid: "TerraformStateKey", Effect: "Allow", Action: actions, Resource: key.startsWith("arn:") ? key : `arn:${partition}:kms:${env.state.region}:${env.accountId}:key/${key}` };
}

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();
