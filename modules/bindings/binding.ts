import { ConfigError } from "../common/errors";
import { notAllowed } from "../common/errors";
import { Construct, IConstruct, isResourceOfType, referenceOf, TerraformResource, Token } from "../platform";

/** The four services of seed §2.2 and §4 whose data the key protects. */
export type BoundService = "s3" | "dynamodb" | "secretsmanager" | "lambda";

/** What the data key must offer a binding: its ARN. */
export interface EncryptionKey extends IConstruct {
  /** The key ARN (never the alias ARN). */
  readonly keyArn: string;
}

/** A resource bound to the data key, as reported by `DataKey.bindings` and the review. */
export interface KeyBinding {
  readonly service: BoundService;
  /** The AWS name of the resource, or its Terraform address when the name is computed. */
  readonly name: string;
  /** The Terraform address that carries the encryption setting. */
  readonly address: string;
  /** True when the resource existed before and is adopted, not created. */
  readonly existing: boolean;
  /** The resource that carries the encryption setting. */
  readonly resource: TerraformResource;
}

/**
 * One service's binding: every `encrypt*` shortcut of `DataKey` goes through `DataKey.bind`
 * with one of these, as aws-cdk routes every `grant*` through one `grant`.
 */
export interface Binder<T> {
  readonly service: BoundService;
  /** The `DataKey` method that binds this kind of resource, for messages. */
  readonly call: string;
  /**
   * The resource's identity for "bound twice": its AWS name, else its Terraform address, else
   * (a name given as a reference) what the reference points to, resolved in `scope`.
   */
  identify(target: T, scope: Construct): string;
  /** The construct the binding changes, when the target is one; the binding lands in its stack. */
  construct(target: T): Construct | undefined;
  /**
   * Sets the encryption. Helper resources (S3's encryption configuration) go into `scope`: the
   * target itself when it is a construct, so they sit in its stack beside it and reference the
   * key across stacks, never the other way round.
   */
  apply(key: EncryptionKey, target: T, existing: boolean, scope: Construct): KeyBinding;
}

/** `aws_dynamodb_table.orders` */
export function addressOf(resource: TerraformResource): string {
  return `${resource.terraformResourceType}.${resource.friendlyUniqueId}`;
}

/**
 * `target` as a resource of Terraform type `type` (of any copy of the provider's classes), or a
 * {@link ConfigError} naming the call and what it takes: from JavaScript anything can arrive.
 */
export function expectResource<T extends TerraformResource>(call: string, target: unknown, type: string, what: string): T {
  if (isResourceOfType<T>(target, type)) return target;
  const shown = typeof target === "object" && target !== null && typeof (target as IConstruct).node?.path === "string" ? (target as IConstruct).node.path : target;
  throw new ConfigError(notAllowed(call, shown, `${call} takes ${what} (Terraform type ${type}).`));
}

/** The literal value of an input, or undefined when it is missing or a token. */
export function literal(value: string | undefined): string | undefined {
  return value === undefined || Token.isUnresolved(value) ? undefined : value;
}

/**
 * A Terraform resource name for an AWS resource name: letters, digits, `_` and `-`; other
 * characters become `_`; a leading digit or `-` gets a `_` in front.
 *
 * Never for a Terraform reference: a token's text (`${TfToken[TOKEN.4]}`) is numbered in the
 * order tokens are made, so a name made from it moves with every unrelated edit. Name what a
 * reference points to with {@link referenceName}.
 */
export function terraformName(name: string): string {
  if (Token.isUnresolved(name)) {
    throw new ConfigError(
      `terraformName: ${JSON.stringify(name)} is not allowed. A Terraform reference has no text of its own to name a resource after (its placeholder changes with every edit); name it after the construct it points to.`,
    );
  }
  const cleaned = name.replace(/[^A-Za-z0-9_-]/g, "_");
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

/**
 * The Terraform name and identity of a target given as a Terraform reference (`bucket.bucket`,
 * `role.name`, `var.bucket_name`, a remote state's output): from the element it points to, the
 * same on every synth whatever else the app holds. Anything but one reference (a function call,
 * a concatenation) has no such element and is refused, naming `call` and the expression.
 */
export function referenceName(scope: IConstruct, call: string, value: string, instead: string): { readonly name: string; readonly identity: string } {
  const ref = referenceOf(scope, value)!;
  if (ref.name === undefined || ref.target === undefined) {
    throw new ConfigError(
      `${call}: "\${${ref.expression}}" is not allowed. It is a Terraform expression, not a reference to one resource, variable or output, so nothing names what it points to on every synth. ${instead}`,
    );
  }
  return { name: terraformName(ref.name), identity: `reference:${ref.target}` };
}
