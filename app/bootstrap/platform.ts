/**
 * The bootstrap's imports of CDK for Terraform and the AWS provider bindings, in one place as
 * `app/platform.ts` holds the data-key stack's: the environments' app (`npm run synth`) never
 * loads these classes, so its bundle stays as it was.
 */
export { App, LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
export { Construct } from "constructs";
export { AwsProvider } from "@cdktf/provider-aws/lib/provider";
export { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
export { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
export { IamRole } from "@cdktf/provider-aws/lib/iam-role";
export { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
export { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
export { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
export { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
export { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
export { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
export { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
