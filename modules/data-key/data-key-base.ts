import { KeyFacts } from "../access/context";
import { Binder, KeyBinding } from "../bindings/binding";
import { dynamodbBinder } from "../bindings/dynamodb";
import { lambdaBinder } from "../bindings/lambda";
import { BucketTarget, s3Binder } from "../bindings/s3";
import { secretsmanagerBinder } from "../bindings/secretsmanager";
import { invalid } from "../common/errors";
import { DECRYPT_ACTIONS, ENCRYPT_ACTIONS, GENERATE_DATA_KEY_ACTIONS, grantKeyUse, GrantOptions, RoleTarget } from "../grants/grant";
import { PolicyDocument } from "../key-policy/document";
import { appOf, Construct, DynamodbTable, IamRolePolicy, IConstruct, LambdaFunction, S3BucketEncryption, regionOf, SecretsmanagerSecret, stackOf } from "../platform";

/**
 * The data key as other constructs use it: the `DataKey` this app creates, or a reference to one
 * that exists (`DataKey.fromKeyArn`, `DataKey.fromAlias`, `DataKey.fromRemoteState`). Bindings,
 * grants and `EncryptionEnforcement` take any `IDataKey`.
 */
export interface IDataKey extends IConstruct {
  /** The key's ARN: bind resources to this, never to the alias ARN. */
  readonly keyArn: string;
  /** The key's id (a UUID). */
  readonly keyId: string;
  /** The alias name, where known. */
  readonly aliasName?: string;
  /** The alias ARN, where known (for IAM conditions; never for resource encryption). */
  readonly aliasArn?: string;
  /** Every resource bound to this key through this construct, in the order bound. */
  readonly bindings: KeyBinding[];
  /** Binds `target` with `binder`; the `encrypt*` methods are shortcuts for it. */
  bind<T>(binder: Binder<T>, target: T, options?: BindOptions): KeyBinding;
  /** S3 default encryption with this key and an S3 Bucket Key (seed §4.2). */
  encryptBucket(bucket: BucketTarget, options?: BindOptions): S3BucketEncryption;
  /** DynamoDB encryption at rest with this key's ARN (seed §4.3). */
  encryptTable(table: DynamodbTable, options?: BindOptions): DynamodbTable;
  /** Secrets Manager encryption with this key (seed §4.1). */
  encryptSecret(secret: SecretsmanagerSecret, options?: BindOptions): SecretsmanagerSecret;
  /** Lambda environment variables encrypted with this key (seed §4.4). */
  encryptFunction(fn: LambdaFunction, options?: BindOptions): LambdaFunction;
  /** Lets `role` call `actions` on this key, through an IAM role policy in the role's stack. */
  grant(role: RoleTarget, actions: readonly string[], options?: GrantOptions): IamRolePolicy;
  /** `kms:Encrypt`, `kms:ReEncrypt*`, `kms:GenerateDataKey*`. */
  grantEncrypt(role: RoleTarget, options?: GrantOptions): IamRolePolicy;
  /** `kms:Decrypt`. */
  grantDecrypt(role: RoleTarget, options?: GrantOptions): IamRolePolicy;
  /** Both of the above. */
  grantEncryptDecrypt(role: RoleTarget, options?: GrantOptions): IamRolePolicy;
  /** `kms:GenerateDataKey`. */
  grantGenerateDataKey(role: RoleTarget, options?: GrantOptions): IamRolePolicy;
}

export interface BindOptions {
  /**
   * The resource existed before this stack (it is adopted through an `import` block).
   * @default false
   */
  readonly existing?: boolean;
  /**
   * Where the helper resources of a binding go when the target is only a name (an existing
   * bucket): a construct in the stack that should own them. A construct target's helpers always
   * go beside it, in its stack.
   * @default - the key's scope
   */
  readonly scope?: Construct;
}

/**
 * What `DataKey` and the key references share: bindings (into the target's stack, referencing the
 * key across stacks) and grants (IAM role policies in the role's stack).
 */
export abstract class DataKeyBase extends Construct implements IDataKey {
  public abstract readonly keyArn: string;
  public abstract readonly keyId: string;
  public abstract readonly aliasName?: string;
  public abstract readonly aliasArn?: string;
  private readonly bound = new Map<string, KeyBinding>();

  /**
   * The key policy and what the evaluator knows of the key, when this app writes the policy:
   * grants are checked against it.
   */
  public keyPolicyFacts(): { readonly policy: PolicyDocument; readonly facts: KeyFacts } | undefined {
    return undefined;
  }

  /** The account that holds the key, where known at synth. */
  public keyAccount(): string | undefined {
    return undefined;
  }

  /**
   * Makes sure, where the key's region is known only at plan (a key from remote state), that it is
   * the first argument, the region of a stack that binds resources to it (the second, named in
   * the message): a plan-time check in Terraform. Nothing by default.
   */
  protected requireKeyRegion(_region: string, _where: string): void {}

  /**
   * The region the key is in, where known at synth. The data key is single-Region: S3, DynamoDB,
   * Secrets Manager and Lambda use a key of their own region only.
   */
  public keyRegion(): string | undefined {
    return undefined;
  }

  public get bindings(): KeyBinding[] {
    return [...this.bound.values()];
  }

  /**
   * The one way a resource is bound to the key; the `encrypt*` methods are shortcuts for it.
   * Binding the same resource twice is an error naming the first binding.
   */
  public bind<T>(binder: Binder<T>, target: T, options: BindOptions = {}): KeyBinding {
    if (options.existing !== undefined && typeof options.existing !== "boolean") invalid(`${binder.call} existing`, options.existing, "true or false (a Boolean).");
    if (options.scope !== undefined && typeof (options.scope as IConstruct)?.node?.path !== "string") invalid(`${binder.call} scope`, options.scope, "A construct of the stack the binding goes into.");
    const scope = binder.construct(target) ?? options.scope ?? this;
    const identity = binder.identify(target, scope);
    const earlier = this.bound.get(identity);
    if (earlier) {
      invalid(binder.call, earlier.name, `It is bound to the data key already (${earlier.address}); bind each resource once.`);
    }
    checkReachable(binder.call, this, scope);
    this.checkRegion(binder.call, scope);
    const binding = binder.apply(this, target, options.existing ?? false, scope);
    this.bound.set(identity, binding);
    return binding;
  }

  /**
   * S3 default encryption with this key and an S3 Bucket Key (seed §4.2), for a bucket of this
   * app (its configuration goes beside it, in its stack) or an existing bucket's name (in
   * `options.scope`, else the key's scope). Only objects written afterwards use the key.
   */
  public encryptBucket(bucket: BucketTarget, options?: BindOptions): S3BucketEncryption {
    return this.bind(s3Binder, bucket, options).resource as S3BucketEncryption;
  }

  /** DynamoDB encryption at rest with this key's ARN (seed §4.3). */
  public encryptTable(table: DynamodbTable, options?: BindOptions): DynamodbTable {
    this.bind(dynamodbBinder, table, options);
    return table;
  }

  /** Secrets Manager encryption with this key (seed §4.1); no new secret version is written. */
  public encryptSecret(secret: SecretsmanagerSecret, options?: BindOptions): SecretsmanagerSecret {
    this.bind(secretsmanagerBinder, secret, options);
    return secret;
  }

  /** Lambda environment variables encrypted with this key (seed §4.4). */
  public encryptFunction(fn: LambdaFunction, options?: BindOptions): LambdaFunction {
    this.bind(lambdaBinder, fn, options);
    return fn;
  }

  /**
   * Lets `role` call `actions` on this key: an `aws_iam_role_policy` on the key's ARN, in the
   * role's stack (or `options.scope` for a role given by name or ARN). The key policy does not
   * change: it delegates to IAM in the key's account.
   */
  public grant(role: RoleTarget, actions: readonly string[], options?: GrantOptions): IamRolePolicy {
    return grantKeyUse(this, "grant", role, actions, options);
  }

  /** `kms:Encrypt`, `kms:ReEncrypt*`, `kms:GenerateDataKey*`, as aws-cdk's `grantEncrypt`. */
  public grantEncrypt(role: RoleTarget, options?: GrantOptions): IamRolePolicy {
    return grantKeyUse(this, "grantEncrypt", role, ENCRYPT_ACTIONS, options);
  }

  /** `kms:Decrypt`, as aws-cdk's `grantDecrypt`. */
  public grantDecrypt(role: RoleTarget, options?: GrantOptions): IamRolePolicy {
    return grantKeyUse(this, "grantDecrypt", role, DECRYPT_ACTIONS, options);
  }

  /** Encrypt and decrypt, as aws-cdk's `grantEncryptDecrypt`. */
  public grantEncryptDecrypt(role: RoleTarget, options?: GrantOptions): IamRolePolicy {
    return grantKeyUse(this, "grantEncryptDecrypt", role, [...ENCRYPT_ACTIONS, ...DECRYPT_ACTIONS], options);
  }

  /** `kms:GenerateDataKey`: envelope encryption of what the role writes. */
  public grantGenerateDataKey(role: RoleTarget, options?: GrantOptions): IamRolePolicy {
    return grantKeyUse(this, "grantGenerateDataKey", role, GENERATE_DATA_KEY_ACTIONS, options);
  }

  /**
   * A binding's resource lives in its own `region` (the AWS provider 6's per-resource argument)
   * or else its provider's, and a KMS key serves its own region only (the data key is
   * single-Region, seed §2.1): a key of another region would fail at apply, after the plan looked
   * fine. Where the key's region is known only at plan, Terraform checks it
   * ({@link requireKeyRegion}). A region set after binding is the encryption rules' to catch
   * (`same-region`).
   */
  private checkRegion(call: string, target: IConstruct): void {
    const keyRegion = this.keyRegion();
    const where = regionOf(target);
    const stack = stackOf(target);
    const region = where.region;
    if (region === undefined) return;
    if (keyRegion === undefined) return this.requireKeyRegion(region, where.from === "resource" ? `${stack.node.id} (${target.node.path})` : stack.node.id);
    if (keyRegion === region) return;
    if (where.from === "resource") {
      invalid(
        call,
        target.node.path,
        `Its region argument is ${region}, and the key ${this.node.path} is in ${keyRegion}: a KMS key serves its own region only (the data key is single-Region), so the resource cannot use it. ` +
          `Leave region to its stack's AWS provider, set it to ${keyRegion}, or bind it to a key of ${region}.`,
      );
    }
    invalid(
      call,
      target.node.path,
      `Its stack ${stack.node.id} works in ${region} (${where.source === "its stack's AWS provider" ? "its AWS provider's region" : `the region of ${where.source}`}), and the key ${this.node.path} is in ${keyRegion}: a KMS key serves its own region only (the data key is single-Region), so the resource cannot use it. ` +
        `Bind resources of ${region} to a key of ${region}, or put the resource in a stack of ${keyRegion}.`,
    );
  }
}

/**
 * A binding lands in the target's stack and references the key from there: the target must be in
 * the key's app, and the key's stack must not already depend on the target's (a cycle).
 */
function checkReachable(call: string, key: IConstruct, target: IConstruct): void {
  if (appOf(key) !== appOf(target)) {
    invalid(
      call,
      target.node.path,
      `It is in another app than the key (${key.node.path}). Reference the key in the resource's app instead: DataKey.fromKeyArn, DataKey.fromAlias or DataKey.fromRemoteState.`,
    );
  }
  const keyStack = stackOf(key);
  const targetStack = stackOf(target);
  if (keyStack !== targetStack && keyStack.dependsOn(targetStack)) {
    invalid(
      call,
      target.node.path,
      `Its stack ${targetStack.node.id} would depend on the key's stack ${keyStack.node.id}, which already depends on it: a cycle. Keep the key in a stack that depends on nothing of the resource's.`,
    );
  }
}
