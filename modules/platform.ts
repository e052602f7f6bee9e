/**
 * The only file that imports CDK for Terraform, the AWS provider bindings and `constructs`.
 *
 * CDKTF was archived by HashiCorp on 2025-12-10 (0.21.0 is final); CDK Terrain (`cdktn`) is the
 * community fork. This file is the one each flavour of the package swaps: the CDK Terrain build
 * (`@mavik/data-key-cdktn`, scripts/build-package.js) compiles a copy of it with `cdktf` and
 * `@cdktf/provider-aws` renamed `cdktn` and `@cdktn/provider-aws` (scripts/flavours.js), and
 * every other file as it is; a framework import anywhere else fails that build. Keep framework
 * imports here, written for cdktf: the cdktf flavour builds this file as it is.
 *
 * Provider classes are imported by deep path: the package root loads every AWS resource
 * binding (~1,500 files) and makes synth several times slower.
 */
import { DefaultTokenResolver, StringConcat, TerraformElement, TerraformResource, TerraformStack, Token, Tokenization } from "cdktf";
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
  // Not `preparing`: a reference across stacks resolves to its own address and wires nothing.
  return String(Tokenization.resolve(value, { scope: stackOf(scope), resolver }));
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


// ---------------------------------------------------------------------------------------------
// Recognising constructs by what Terraform sees
//
// An app can hold constructs of more than one copy of the framework: a second `cdktf` or
// `@cdktf/provider-aws` in node_modules (a consumer's own next to this package's), or a fork
// such as CDK Terrain. `instanceof` sees only this file's copy of the classes, so a check built on
// it passes what it cannot see. Every class of the framework marks its instances with a
// registry-wide symbol (`Symbol.for("cdktf/TerraformResource")`, which `TerraformResource
// .isTerraformResource` reads); resources carry their Terraform type (`terraformResourceType`),
// and every element renders the JSON Terraform reads (`toTerraform()`). Everything in `modules/`
// that asks "what is this construct" asks {@link terraformKind} and the functions below, never
// `instanceof` of a framework class.
// ---------------------------------------------------------------------------------------------

/** What a construct is to Terraform. `element` is any other element (variable, local, module, remote state, ...). */
export type TerraformKind = "app" | "stack" | "resource" | "data" | "provider" | "backend" | "output" | "element";

/**
 * How one framework marks its classes across copies of itself: the `Symbol.for` key its classes
 * set on each instance, by kind (cdktf: `lib/terraform-resource.js`, `TERRAFORM_RESOURCE_SYMBOL`,
 * and the like in each class's file).
 */
export interface FrameworkFlavour {
  readonly name: string;
  readonly markers: Readonly<Record<TerraformKind, string>>;
}

/** cdktf 0.21's markers (`Symbol.for("cdktf/<Class>")`, set in each class's constructor). */
export const CDKTF_FLAVOUR: FrameworkFlavour = {
  name: "cdktf",
  markers: {
    app: "cdktf/App",
    stack: "cdktf/TerraformStack",
    resource: "cdktf/TerraformResource",
    data: "cdktf/TerraformDataSource",
    provider: "cdktf/TerraformProvider",
    backend: "cdktf/TerraformBackend",
    output: "cdktf/TerraformOutput",
    element: "cdktf/TerraformElement",
  },
};

/**
 * The flavours whose constructs are recognised. CDK Terrain 0.24 sets cdktf's own markers
 * (`Symbol.for("cdktf/TerraformResource")` and the rest, in `cdktn/lib`), so cdktf's entry covers
 * its constructs too: a cdktn bucket in a cdktf stack, and a cdktf bucket in a cdktn stack, are
 * seen (`__tests__/flavours.test.ts`). A framework whose markers are named otherwise is one more
 * entry here; nothing else in `modules/` changes.
 */
export const FRAMEWORK_FLAVOURS: readonly FrameworkFlavour[] = [CDKTF_FLAVOUR];

/** Most specific first: a resource is an element too. */
const KIND_ORDER: readonly TerraformKind[] = ["resource", "data", "provider", "backend", "output", "stack", "app", "element"];
const MARKERS: readonly (readonly [TerraformKind, symbol])[] = KIND_ORDER.flatMap((kind) => FRAMEWORK_FLAVOURS.map((f) => [kind, Symbol.for(f.markers[kind])] as const));

/** What `node` is to Terraform, by the framework's cross-copy markers; undefined for a plain construct. */
export function terraformKind(node: unknown): TerraformKind | undefined {
  if (node === null || typeof node !== "object") return undefined;
  for (const [kind, marker] of MARKERS) if (marker in node) return kind;
  return undefined;
}

/** A Terraform resource of any copy of the framework. */
export function isTerraformResource(node: unknown): node is TerraformResource {
  return terraformKind(node) === "resource";
}

/** A resource of the given Terraform type (`aws_s3_bucket`), of any copy of the framework. */
export function isResourceOfType<T extends TerraformResource = TerraformResource>(node: unknown, type: string): node is T {
  return isTerraformResource(node) && node.terraformResourceType === type;
}

/** Any Terraform element (resource, data source, output, variable, provider, ...) of any copy. */
export function isTerraformElement(node: unknown): node is TerraformElement {
  const kind = terraformKind(node);
  return kind !== undefined && kind !== "app" && kind !== "stack";
}

/** A stack of any copy of the framework. */
export function isStack(node: unknown): node is TerraformStack {
  return terraformKind(node) === "stack";
}

/** The app that holds `node`, whichever copy made it; undefined outside an app. */
export function appOf(node: IConstruct): IConstruct | undefined {
  return node.node.scopes.find((s) => terraformKind(s) === "app");
}

/** The stack that holds `node` (the node itself when it is one), whichever copy made it. */
export function stackOf(node: IConstruct): TerraformStack {
  const stack = [...node.node.scopes].reverse().find(isStack);
  if (stack === undefined) throw new Error(`${node.node.path || "(root)"}: not inside a TerraformStack`);
  return stack;
}

/**
 * The Terraform address an element is written under in its stack: `aws_kms_key.x`,
 * `data.aws_kms_alias.x`, `output.x`, `var.x`, `local.x`, `module.x`; undefined for providers,
 * backends and the rest. Read from the element's kind and, for the kinds without a marker of
 * their own (variables, locals, modules, remote state), from the JSON it renders.
 */
export function terraformAddress(element: unknown): string | undefined {
  const kind = terraformKind(element);
  if (kind === "resource") return `${(element as TerraformResource).terraformResourceType}.${(element as TerraformResource).friendlyUniqueId}`;
  if (kind === "data") return `data.${(element as TerraformResource).terraformResourceType}.${(element as TerraformElement).friendlyUniqueId}`;
  if (kind === "output") return `output.${(element as TerraformElement).friendlyUniqueId}`;
  if (kind !== "element") return undefined;
  const json = (element as TerraformElement).toTerraform() as Record<string, Record<string, unknown>>;
  const [block] = Object.keys(json);
  const body = json[block];
  if (body === null || typeof body !== "object") return undefined;
  const [first] = Object.keys(body);
  if (first === undefined) return undefined;
  if (block === "variable") return `var.${first}`;
  if (block === "locals") return `local.${first}`;
  if (block === "module") return `module.${first}`;
  if (block === "data") {
    const [name] = Object.keys((body[first] ?? {}) as Record<string, unknown>);
    return name === undefined ? undefined : `data.${first}.${name}`;
  }
  return undefined;
}

/** What a stack's default AWS provider pins, as Terraform will read it; undefined where not literal. */
export interface AwsProviderFacts {
  /** The provider's `region`. */
  readonly region?: string;
  /** The one account the provider works in: `allowed_account_ids` of one account, else the account of `assume_role.role_arn`. */
  readonly accountId?: string;
}

/**
 * The stack's default AWS provider (the `aws` provider without an alias), read from the JSON it
 * renders, so a provider of any copy of the bindings counts. `{}` when the stack has none.
 */
export function awsProviderOf(stack: TerraformStack): AwsProviderFacts {
  const config = awsProviderConfig(stack, undefined);
  if (config === undefined) return {};
  const literal = (v: unknown) => (typeof v === "string" && !Token.isUnresolved(v) ? v : undefined);
  const allowed: unknown[] = Array.isArray(config.allowed_account_ids) ? config.allowed_account_ids : [];
  const assumed = literal((Array.isArray(config.assume_role) ? config.assume_role[0] : config.assume_role)?.role_arn);
  const accountId = allowed.length === 1 ? literal(allowed[0]) : assumed !== undefined ? /^arn:[^:]+:iam::(\d{12}):/.exec(assumed)?.[1] : undefined;
  return { region: literal(config.region), accountId };
}

/**
 * The region Terraform puts a resource in, as far as synth can tell: its own `region` argument
 * (the AWS provider 6's enhanced region support: "Optional and Computed, defaults to the Region
 * specified in the provider configuration", version-6-upgrade and enhanced-region-support guides
 * of hashicorp/terraform-provider-aws; overrides included, so an `addOverride("region", ...)` on
 * a provider 5 class counts as well), else the region of the provider it uses (an aliased one
 * through its `provider` argument, else the stack's default `aws`).
 */
export interface ResourceRegion {
  /** The region, where it is a literal. */
  readonly region?: string;
  /** Where the region comes from: the resource's own argument, or its provider. */
  readonly from: "resource" | "provider";
  /** What says so, for messages: `its region argument`, `its provider aws.eu`, `its stack's AWS provider`. */
  readonly source: string;
  /** The expression Terraform reads, when the region is not a literal: `var.region`. */
  readonly expression?: string;
}

/** Where `node` is: a resource's own region or its provider's; any other construct, its stack's AWS provider's. */
export function regionOf(node: IConstruct): ResourceRegion {
  const stack = stackOf(node);
  const attributes = isTerraformResource(node) ? effectiveAttributes(node) : {};
  const shown = (value: unknown) => (typeof value === "string" ? (resolveString(stack, value) ?? value).replace(/^\$\{(.*)\}$/s, "$1") : JSON.stringify(value));
  if (attributes.region !== undefined && attributes.region !== null) {
    const region = attributes.region;
    return typeof region === "string" && !Token.isUnresolved(region) ? { region, from: "resource", source: "its region argument" } : { from: "resource", source: "its region argument", expression: shown(region) };
  }
  const alias = typeof attributes.provider === "string" && attributes.provider.startsWith("aws.") ? attributes.provider.slice("aws.".length) : undefined;
  const config = awsProviderConfig(stack, alias);
  const source = alias === undefined ? "its stack's AWS provider" : `its provider aws.${alias}`;
  if (config?.region === undefined) return { from: "provider", source, expression: config === undefined ? undefined : "the provider's region (not set: AWS_REGION or the profile's)" };
  return typeof config.region === "string" && !Token.isUnresolved(config.region) ? { region: config.region, from: "provider", source } : { from: "provider", source, expression: shown(config.region) };
}

/**
 * The `aws` providers of each stack as last found. Every binding asks for its target's provider,
 * so walking the whole tree each time made synthesis quadratic (10,000 bound resources: minutes).
 * A construct is never taken out of the tree, so a provider found stays; one added since is found
 * by walking again when the cached ones do not answer. The JSON is read anew on each call, so an
 * override made after the walk counts.
 */
const awsProviders = new WeakMap<TerraformStack, TerraformElement[]>();

function findAwsProviders(stack: TerraformStack): TerraformElement[] {
  const found = stack.node
    .findAll()
    .filter((node): node is TerraformElement => terraformKind(node) === "provider" && (node as TerraformResource).terraformResourceType === "aws" && stackOf(node) === stack);
  awsProviders.set(stack, found);
  return found;
}

/** The JSON of the stack's `aws` provider with `alias` (none: the default one). */
function awsProviderConfig(stack: TerraformStack, alias: string | undefined): Record<string, any> | undefined {
  const match = (providers: TerraformElement[]) => {
    for (const node of providers) {
      const config = (node.toTerraform() as { provider?: { aws?: Record<string, any>[] } }).provider?.aws?.[0];
      if (config !== undefined && config.alias === alias) return config;
    }
    return undefined;
  };
  const cached = awsProviders.get(stack);
  return (cached !== undefined ? match(cached) : undefined) ?? match(findAwsProviders(stack));
}

/** A value that is one Terraform reference, as {@link referenceOf} reads it. */
export interface TerraformReference {
  /** The expression Terraform reads, without `${}`: `aws_s3_bucket.logs.bucket`. */
  readonly expression: string;
  /** The address of the element it reads: `aws_s3_bucket.logs`, `var.bucket`, `data.terraform_remote_state.platform`. */
  readonly address?: string;
  /**
   * What it points to: the element's address, or for an output of a remote state or module, that
   * output (`data.terraform_remote_state.platform.outputs.bucket`). Two attributes of one resource
   * (`bucket.id`, `bucket.bucket`) point to one target.
   */
  readonly target?: string;
  /**
   * A Terraform name for what it points to, from the element's own name: `logs` for any attribute
   * of `aws_s3_bucket.logs` or `data.aws_s3_bucket.logs`, `bucket` for `var.bucket`,
   * `platform_bucket` for the output `bucket` of a remote state or module `platform`.
   */
  readonly name?: string;
}

const TRAVERSAL = /^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\]|\["[^"]*"\])*$/;

/**
 * What a token refers to, as Terraform will read it; undefined for a literal. A token's own text
 * (`${TfToken[TOKEN.4]}`) is numbered in creation order and changes with every edit, so nothing
 * may be named after it; the reference it resolves to names one element, the same on every synth.
 * `address` and `name` are absent for an expression that is not one reference (a function call,
 * a concatenation, a conditional).
 */
export function referenceOf(scope: IConstruct, value: string): TerraformReference | undefined {
  if (!Token.isUnresolved(value)) return undefined;
  const resolved = resolveString(scope, value)!;
  const inner = /^\$\{(.*)\}$/s.exec(resolved)?.[1];
  const expression = inner ?? resolved;
  if (inner === undefined || !TRAVERSAL.test(inner)) return { expression };
  const parts = inner.split(/\.|\[/).map((p) => p.replace(/^"|"?\]$|"$/g, ""));
  const [head, second, third, fourth, fifth] = parts;
  if (second === undefined) return { expression };
  if (head === "var" || head === "local") return { expression, address: `${head}.${second}`, target: `${head}.${second}`, name: second };
  if (head === "module") {
    const address = `module.${second}`;
    return third === undefined ? { expression, address, target: address, name: second } : { expression, address, target: `${address}.${third}`, name: `${second}_${third}` };
  }
  if (head === "data") {
    if (third === undefined) return { expression };
    const address = `data.${second}.${third}`;
    // A remote state reads many things: each output is its own target.
    if (second === "terraform_remote_state" && fourth === "outputs" && fifth !== undefined) {
      return { expression, address, target: `${address}.outputs.${fifth}`, name: `${third}_${fifth}` };
    }
    return { expression, address, target: address, name: third };
  }
  return { expression, address: `${head}.${second}`, target: `${head}.${second}`, name: second };
}

/**
 * The path of the construct written at `address`, looked for in `scope`'s stack, then in the rest
 * of its app; for messages only (it reads every element's name, which fixes names still to be
 * overridden, so it belongs on the way to an error).
 */
export function constructAt(scope: IConstruct, address: string): string | undefined {
  const stack = stackOf(scope);
  const root = appOf(scope) ?? stack;
  const found = [...stack.node.findAll(), ...root.node.findAll()].find((n) => isTerraformElement(n) && terraformAddress(n) === address);
  return found?.node.path;
}
