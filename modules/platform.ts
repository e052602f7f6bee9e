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
export { App, Aspects, Fn, S3Backend, TerraformOutput, TerraformStack, Token } from "cdktf";
export type { IAspect, TerraformResource } from "cdktf";
export { Construct } from "constructs";
export type { IConstruct } from "constructs";
export { AwsProvider } from "@cdktf/provider-aws/lib/provider";
export { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
export { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
