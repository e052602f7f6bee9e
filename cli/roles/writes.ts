/**
 * What applying a stack writes, per Terraform type this project can synthesize: the IAM actions
 * of the calls hashicorp/aws 5.100.0 makes to create, update and delete it (its resources'
 * Create, Update and Delete functions; the reads are REFRESH_READS in cli/verify/audit-role.ts).
 * A type with no entry is an error, as for the reads, so a new resource type cannot reach the
 * deploy role without its writes. A write missing here shows as AccessDenied in the deploy's
 * apply, never as a quiet success.
 *
 * Left out on purpose, so the deploy role cannot do what the review refuses to apply:
 * `kms:ScheduleKeyDeletion` (destroying the key; added only for an environment with
 * `allowDestroy`) and `kms:DisableKey` (the key disabled). Bypassing KMS's lockout safety check is
 * denied outright (policies.ts).
 */
export const DEPLOY_WRITES: Readonly<Record<string, readonly string[]>> = {
  // CreateKey with Tags needs kms:TagResource too (AWS KMS API reference, CreateKey).
  aws_kms_key: ["kms:CreateKey", "kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:PutKeyPolicy", "kms:TagResource", "kms:UntagResource", "kms:UpdateKeyDescription", "kms:EnableKey"],
  aws_kms_alias: ["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"],
  aws_s3_bucket: ["s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketTagging"],
  // DeleteBucketEncryption is authorized as s3:PutEncryptionConfiguration (Amazon S3 API reference).
  aws_s3_bucket_server_side_encryption_configuration: ["s3:PutEncryptionConfiguration"],
  aws_dynamodb_table: ["dynamodb:CreateTable", "dynamodb:UpdateTable", "dynamodb:DeleteTable", "dynamodb:TagResource", "dynamodb:UntagResource", "dynamodb:UpdateTimeToLive", "dynamodb:UpdateContinuousBackups"],
  aws_secretsmanager_secret: ["secretsmanager:CreateSecret", "secretsmanager:UpdateSecret", "secretsmanager:DeleteSecret", "secretsmanager:TagResource", "secretsmanager:UntagResource"],
  aws_lambda_function: ["lambda:CreateFunction", "lambda:UpdateFunctionConfiguration", "lambda:DeleteFunction", "lambda:TagResource", "lambda:UntagResource"],
  aws_iam_role_policy: ["iam:PutRolePolicy", "iam:DeleteRolePolicy"],
  aws_sns_topic: ["sns:CreateTopic", "sns:SetTopicAttributes", "sns:DeleteTopic", "sns:TagResource", "sns:UntagResource"],
  aws_sns_topic_policy: ["sns:SetTopicAttributes"],
  aws_sns_topic_subscription: ["sns:Subscribe", "sns:Unsubscribe", "sns:SetSubscriptionAttributes"],
  aws_cloudwatch_event_rule: ["events:PutRule", "events:DeleteRule", "events:EnableRule", "events:DisableRule", "events:TagResource", "events:UntagResource"],
  aws_cloudwatch_event_target: ["events:PutTargets", "events:RemoveTargets"],
  aws_config_config_rule: ["config:PutConfigRule", "config:DeleteConfigRule", "config:TagResource", "config:UntagResource"],
  aws_cloudwatch_log_metric_filter: ["logs:PutMetricFilter", "logs:DeleteMetricFilter"],
  aws_cloudwatch_metric_alarm: ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource"],
  aws_cloudwatch_dashboard: ["cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"],
  "data.aws_kms_alias": [],
};

/**
 * The services that use the data key for a resource type when Terraform creates or changes it
 * with the deploy role's credentials: DynamoDB, Secrets Manager and Lambda call KMS on the
 * caller's behalf (kms:ViaService). What the deploy role may do through them is what AWS's own
 * managed keys (aws/dynamodb, aws/secretsmanager, aws/lambda) let an account's principals do through
 * their service, the hardened form the seed's `serviceAccess: "via-service"` writes too.
 */
export const KEY_USE_VIA: Readonly<Record<string, string>> = {
  aws_dynamodb_table: "dynamodb",
  aws_secretsmanager_secret: "secretsmanager",
  aws_lambda_function: "lambda",
};

/** The KMS actions of a managed key's via-service statement, spelt out (`kms:ReEncrypt*`, `kms:GenerateDataKey*` of symmetric keys). */
export const VIA_SERVICE_ACTIONS = [
  "kms:CreateGrant",
  "kms:Decrypt",
  "kms:DescribeKey",
  "kms:Encrypt",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
];
