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
import { DefaultTokenResolver, StringConcat, TerraformDataSource, TerraformElement, TerraformOutput, TerraformRemoteState, TerraformResource, TerraformStack, TerraformVariable, Token, Tokenization } from "cdktf";
import type { Construct as ConstructType, IConstruct } from "constructs";

export { Annotations, App, DataTerraformRemoteStateS3, Fn, S3Backend, TerraformElement, TerraformOutput, TerraformResource, TerraformStack, Token } from "cdktf";
export type { DataTerraformRemoteStateS3Config, IAspect } from "cdktf";
export { Construct } from "constructs";
export type { IConstruct } from "constructs";
export { AwsProvider } from "@cdktf/provider-aws/lib/provider";
export { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
export { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
export { DataAwsKmsAlias } from "@cdktf/provider-aws/lib/data-aws-kms-alias";
export { IamRole } from "@cdktf/provider-aws/lib/iam-role";
export { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
export { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
export { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
export { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
export { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
export { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
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

/**
 * A resource's arguments as Terraform will read them: overrides (`addOverride`, escape hatches)
 * applied, names in Terraform's snake_case; references still tokens (see {@link resolveString}). What a rule must judge, since a
 * construct's typed inputs do not see an override.
 */
export function effectiveAttributes(resource: TerraformResource): Record<string, any> {
  // Unresolved: a string that holds a reference is resolved where it is read (resolveString),
  // which costs far less than resolving every argument of every resource.
  const json = resource.toTerraform() as { resource: Record<string, Record<string, Record<string, unknown>>> };
  return Object.values(Object.values(json.resource)[0])[0];
}

/** A reference in cdktf's HCL rendering; `string` for literal values. */
const hcl = (value: string, storageClassType: "reference" | "string") => ({ value, type: "simple", storageClassType });

/**
 * A stack-level `import` or `moved` block, written beside the resource it names.
 *
 * cdktf's own `importFrom` and `moveFromId` attach a validation that runs `terraform version`
 * in a child process at every synth (one per import, one per stack with a move), so synthesis
 * would need Terraform on PATH and pay ~50 ms per block. These blocks are the same JSON
 * (`{ id, to }`, `{ to, from }`) without that check: Terraform itself refuses them if older
 * than 1.5, and this project needs 1.10 anyway (`use_lockfile`).
 */
class StackBlock extends TerraformElement {
  constructor(
    scope: ConstructType,
    id: string,
    private readonly kind: "import" | "moved",
    private readonly json: Record<string, string>,
    private readonly hclForm: Record<string, unknown>,
    private readonly resource: TerraformResource,
  ) {
    super(scope, id);
  }

  /** The stack metadata cdktf writes for imported and moved resources (`"//"`), as `importFrom` does. */
  public toMetadata(): Record<string, unknown> {
    return { [this.kind === "import" ? "imports" : "moved"]: { [this.resource.terraformResourceType]: [this.resource.friendlyUniqueId] } };
  }

  public toTerraform(): Record<string, unknown> {
    return { [this.kind]: [this.json] };
  }

  public toHclTerraform(): Record<string, unknown> {
    return { [this.kind]: [this.hclForm] };
  }
}

/** `import { id = <id>, to = <resource> }`: adopt an existing object into `resource`. */
export function importInto(resource: TerraformResource, id: string): void {
  const to = `${resource.terraformResourceType}.${resource.friendlyUniqueId}`;
  new StackBlock(resource, "import", "import", { id, to }, { to: hcl(to, "reference"), id: hcl(id, "string") }, resource);
}

/** `moved { from = <from>, to = <resource> }`: `resource` was at address `from` before. */
export function movedFrom(resource: TerraformResource, from: string): void {
  const to = `${resource.terraformResourceType}.${resource.friendlyUniqueId}`;
  new StackBlock(resource, "moved", "moved", { to, from }, { to: hcl(to, "reference"), from: hcl(from, "reference") }, resource);
}

/**
 * The Terraform address an element is written under in its stack: `aws_kms_key.x`,
 * `data.aws_kms_alias.x`, `output.x`, `var.x`; undefined for providers, backends and the rest.
 */
export function terraformAddress(element: TerraformElement): string | undefined {
  if (TerraformResource.isTerraformResource(element)) return `${element.terraformResourceType}.${element.friendlyUniqueId}`;
  if (element instanceof TerraformDataSource) return `data.${element.terraformResourceType}.${element.friendlyUniqueId}`;
  if (element instanceof TerraformRemoteState) return `data.terraform_remote_state.${element.friendlyUniqueId}`;
  if (TerraformOutput.isTerraformOutput(element)) return `output.${element.friendlyUniqueId}`;
  if (element instanceof TerraformVariable) return `var.${element.friendlyUniqueId}`;
  return undefined;
}
