/**
 * The app's imports of CDK for Terraform and the AWS provider bindings, in one place as in
 * `modules/platform.ts`: moving to CDK Terrain changes the package names here and there only.
 * Provider classes by deep path (the package root loads every AWS binding).
 */
export { App, TerraformOutput, TerraformStack } from "cdktf";
export { Construct } from "constructs";
export { AwsProvider } from "@cdktf/provider-aws/lib/provider";
export { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
export { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
export { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
export { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
