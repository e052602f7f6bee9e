/**
 * The only file that imports CDK for Terraform, the AWS provider bindings and `constructs`.
 *
 * CDKTF was archived by HashiCorp on 2025-12-10 (0.21.0 is final); CDK Terrain (`cdktn`) is the
 * community fork. Moving to it means changing the package names below and nothing else in
 * `modules/` (see README, "Moving to CDK Terrain"). Keep new cdktf imports here.
 *
 * Provider classes are imported by deep path: the package root loads every AWS resource
 * binding (~1,500 files) and makes synth several times slower.
 */
import { DefaultTokenResolver, StringConcat, TerraformStack, Token, Tokenization } from "cdktf";
import type { IConstruct } from "constructs";

export { Annotations, App, Fn, S3Backend, TerraformOutput, TerraformResource, TerraformStack, Token } from "cdktf";
export type { IAspect } from "cdktf";
export { Construct } from "constructs";
export type { IConstruct } from "constructs";
export { AwsProvider } from "@cdktf/provider-aws/lib/provider";
export { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
export { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
export { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
export { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
export { ConfigConfigRule } from "@cdktf/provider-aws/lib/config-config-rule";
export { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
export { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
export { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
export { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
export { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
export { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
export { S3BucketServerSideEncryptionConfigurationA as S3BucketEncryption } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
export { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";

const resolver = new DefaultTokenResolver(new StringConcat());

/**
 * A value as Terraform will read it: `key.arn` becomes `"${aws_kms_key.mavik_data_key.arn}"`.
 * Each read of a resource attribute makes a new token, so references compare only resolved.
 */
export function resolveString(scope: IConstruct, value: string | undefined): string | undefined {
  if (value === undefined || !Token.isUnresolved(value)) return value;
  return String(Tokenization.resolve(value, { scope: TerraformStack.of(scope), resolver }));
}
