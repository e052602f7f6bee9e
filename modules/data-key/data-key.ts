import { KeyFacts } from "../access/context";
import { invalid } from "../common/errors";
import { claimAlias, claimTerraformName } from "../common/names";
import { isToken, PropType, validateAccountId, validateIntegerRange, validatePartition, validatePropTypes, validateRegion, validateTags } from "../common/validate";
import { failOnErrors, Finding } from "../checks/finding";
import { checkPolicy, keyFacts, PolicySubject } from "../checks/policy";
import { partitionOf } from "../common/validate";
import { PolicyDocument, PolicyStatement, renderPolicy } from "../key-policy/document";
import { composeKeyPolicy, KeyPolicyProps, nameUserFields, StatementOrigin } from "../key-policy/key-policy";
import { PrincipalRef, resolvePrincipal } from "../key-policy/principal";
import { Construct, DataTerraformRemoteStateS3Config, importInto, KmsAlias, KmsKey, movedFrom, regionOf } from "../platform";
import { DEFAULT_ALIAS, validateAlias, validateKeyId } from "./alias";
import { DataKeyBase, IDataKey } from "./data-key-base";
import { keyFromAlias, keyFromArn, keyFromRemoteState, KeyArnOptions, RemoteStateOutputs } from "./references";

export interface DataKeyProps extends KeyPolicyProps {
  /**
   * The alias, kept the same across environments (seed §6).
   * @default "alias/mavik-data-kms-key"
   */
  readonly alias?: string;
  /**
   * The key's description.
   * @default "Mavik SSOT data key: Secrets Manager, S3, DynamoDB and Lambda data"
   */
  readonly description?: string;
  /**
   * Days between `ScheduleKeyDeletion` and deletion: 7 to 30.
   * @default 30 (the longest, to leave time to cancel)
   */
  readonly deletionWindowInDays?: number;
  /**
   * Days between automatic rotations: 90 to 2560. Rotation is always on (seed §2.1, §6).
   * @default 365 (the seed's "yearly")
   */
  readonly rotationPeriodInDays?: number;
  /**
   * Tags of the key.
   * @default {}
   */
  readonly tags?: Record<string, string>;
  /**
   * The id of a key that already exists (the seed's key was made in the console). The stack then
   * emits Terraform `import` blocks for the key and the alias, so the first deploy adopts them
   * instead of creating a second key and failing on the taken alias.
   * @default - a new key is created
   */
  readonly existingKeyId?: string;
  /**
   * IMPORTANT: lifts `lifecycle.prevent_destroy` from the key. Destroying the key destroys every
   * byte encrypted under it. Only for throwaway test environments.
   * @default false
   */
  readonly allowDestroy?: boolean;
  /**
   * The principal that runs `cdktf deploy`. AWS's policy lockout safety check refuses a key policy
   * that takes `kms:PutKeyPolicy` from the principal applying it, so the lockout rule checks this
   * one: `"user/<name>"`, `"role/<name>"` or an ARN (a role covers its sessions).
   * @default - a principal of the account whose IAM policies allow it, through the root statement;
   *   without `enableIamUserPermissions` a deployer must then be named
   */
  readonly deployer?: PrincipalRef;
  /**
   * Former Terraform addresses after a refactor, e.g. `{ key: "aws_kms_key.old" }`. Emits `moved`
   * blocks, so Terraform renames the key in state instead of destroying and creating it.
   * @default - no moved blocks
   */
  readonly movedFrom?: { readonly key?: string; readonly alias?: string };
}

/**
 * The customer-managed data key of seed §2: symmetric (`SYMMETRIC_DEFAULT`, `ENCRYPT_DECRYPT`),
 * enabled, rotated every `rotationPeriodInDays`, with its alias and the key policy of seed §3.
 *
 * Terraform addresses are `aws_kms_key.<id>` and `aws_kms_alias.<id>`, whatever construct the
 * key sits in, so moving the construct never moves the key.
 *
 * The policy is rendered here as a literal JSON string rather than through the
 * `aws_iam_policy_document` data source: the literal keeps the seed's `Id`, statement order and
 * principal forms exactly, is checked (size, Sids, actions, lockout) on the very bytes Terraform
 * receives, and is known at synth time, so `terraform plan` shows it in full.
 */
export class DataKey extends DataKeyBase {
  /**
   * A key that exists, by its ARN (a literal or a reference). With `aliasName`, the alias name
   * and ARN are known too.
   */
  public static fromKeyArn(scope: Construct, id: string, keyArn: string, options?: KeyArnOptions): IDataKey {
    return keyFromArn(scope, id, keyArn, options);
  }

  /** A key that exists, by its alias: the `aws_kms_alias` data source, read at plan time. */
  public static fromAlias(scope: Construct, id: string, aliasName: string): IDataKey {
    return keyFromAlias(scope, id, aliasName);
  }

  /**
   * The key of another stack, from that stack's outputs (`key_arn`, `key_id`, `alias_name`,
   * `alias_arn`) in its S3 state: `terraform_remote_state`, configured as that stack's backend.
   */
  public static fromRemoteState(scope: Construct, id: string, state: DataTerraformRemoteStateS3Config, outputs?: RemoteStateOutputs): IDataKey {
    return keyFromRemoteState(scope, id, state, outputs);
  }

  /** The key's id (a UUID), as a Terraform reference. */
  public readonly keyId: string;
  /** The key's ARN. Bind resources to this, never to the alias ARN. */
  public readonly keyArn: string;
  /** The alias name, e.g. `alias/mavik-data-kms-key`. */
  public readonly aliasName: string;
  /** The alias ARN. */
  public readonly aliasArn: string;
  /** Non-error findings of the policy rules (errors fail synth). */
  public findings: Finding[];
  /** The underlying resources, for escape hatches. */
  public readonly key: KmsKey;
  public readonly alias: KmsAlias;
  private document: PolicyDocument;
  /** For each statement, the prop it was written from (findings name that field). */
  private origins: readonly (StatementOrigin | undefined)[];
  private readonly policySubject: Omit<PolicySubject, "policy">;

  constructor(scope: Construct, id: string, props: DataKeyProps) {
    super(scope, id);
    if (typeof props !== "object" || props === null) {
      invalid("DataKey props", props, 'new DataKey(scope, id, { accountId, administrators, users, services, ... }) takes its props as an object; "accountId" at least.');
    }
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(id)) {
      invalid("id", id, "The construct id becomes the Terraform resource name: a letter or _ first, then letters, digits, _ or -.");
    }
    // Types first: from JavaScript, `accountId: 167067248318` would pass a digits pattern and then
    // compare unequal to the account everywhere (a lockout message), and `allowDestroy: "false"` is true.
    validateAccountId("accountId", props.accountId);
    validatePropTypes("DataKey", props as unknown as Record<string, unknown>, PROP_TYPES);
    if (props.partition !== undefined) validatePartition("partition", props.partition);
    if (props.region !== undefined) validateRegion("region", props.region);
    const alias = props.alias ?? DEFAULT_ALIAS;
    validateAlias("alias", alias);
    const deletionWindowInDays = props.deletionWindowInDays ?? 30;
    validateIntegerRange("deletionWindowInDays", deletionWindowInDays, 7, 30, "days");
    const rotationPeriodInDays = props.rotationPeriodInDays ?? 365;
    validateIntegerRange("rotationPeriodInDays", rotationPeriodInDays, 90, 2560, "days");
    if (props.existingKeyId !== undefined) validateKeyId("existingKeyId", props.existingKeyId);
    validateMovedFrom(props.movedFrom);
    if (props.description !== undefined && !isToken(props.description)) {
      if (typeof props.description !== "string") invalid("description", props.description, "A description is a string.");
      if (props.description.length > 8192) invalid("description", props.description, `A key description has at most 8,192 characters (KMS CreateKey); this one has ${props.description.length}.`);
    }
    validateTags("tags", props.tags);
    claimAlias(this, alias);

    const built = composeKeyPolicy(props, this);
    this.document = built.document;
    this.origins = built.origins;
    const partition = props.partition ?? (props.region ? partitionOf(props.region) : "aws");
    const deployer = props.deployer === undefined ? undefined : resolvePrincipal("deployer", props.deployer, { accountId: props.accountId, partition, scope: this });
    this.policySubject = {
      accountId: props.accountId,
      partition,
      region: props.region,
      keyArn:
        props.existingKeyId !== undefined && props.region !== undefined ? `arn:${partition}:kms:${props.region}:${props.accountId}:key/${props.existingKeyId}` : undefined,
      administrators: built.administrators,
      deployer,
      rotation: { enabled: true, periodInDays: rotationPeriodInDays, expectedPeriodInDays: rotationPeriodInDays },
    };
    this.findings = failOnErrors(this.inUserFields(checkPolicy({ ...this.policySubject, policy: this.document })));

    this.key = new KmsKey(this, "key", {
      description: props.description ?? "Mavik SSOT data key: Secrets Manager, S3, DynamoDB and Lambda data",
      customerMasterKeySpec: "SYMMETRIC_DEFAULT",
      keyUsage: "ENCRYPT_DECRYPT",
      isEnabled: true,
      enableKeyRotation: true,
      rotationPeriodInDays,
      deletionWindowInDays,
      bypassPolicyLockoutSafetyCheck: false,
      policy: renderPolicy(this.document),
      tags: props.tags,
      lifecycle: { preventDestroy: !(props.allowDestroy ?? false) },
    });
    this.key.overrideLogicalId(id);
    claimTerraformName(this.key);

    // Regions are judged at synth, when every escape hatch is in (addOverride("region", ...)).
    this.node.addValidation({ validate: () => this.regionProblems() });

    this.alias = new KmsAlias(this, "alias", { name: alias, targetKeyId: this.key.keyId });
    this.alias.overrideLogicalId(id);
    claimTerraformName(this.alias);

    if (props.existingKeyId !== undefined) {
      importInto(this.key, props.existingKeyId);
      importInto(this.alias, alias);
    }
    if (props.movedFrom?.key) movedFrom(this.key, props.movedFrom.key);
    if (props.movedFrom?.alias) movedFrom(this.alias, props.movedFrom.alias);

    this.keyId = this.key.keyId;
    this.keyArn = this.key.arn;
    this.aliasName = alias;
    this.aliasArn = this.alias.arn;
  }

  /** The key's account: `accountId`. */
  public keyAccount(): string | undefined {
    return isToken(this.policySubject.accountId) ? undefined : this.policySubject.accountId;
  }

  /**
   * The key's region: the `aws_kms_key`'s own `region` argument where one is set (AWS provider 6;
   * an escape hatch), else `region`, else its provider's. {@link regionProblems} makes synth fail
   * where these disagree.
   */
  public keyRegion(): string | undefined {
    const where = regionOf(this.key);
    if (where.from === "resource") return where.region;
    return this.policySubject.region ?? where.region;
  }

  /** The key policy and what the evaluator knows of the key: grants are checked against it. */
  public keyPolicyFacts(): { readonly policy: PolicyDocument; readonly facts: KeyFacts } {
    return { policy: this.document, facts: keyFacts({ ...this.policySubject, region: this.keyRegion(), policy: this.document }) };
  }

  /**
   * Where Terraform creates the key and its alias, against what the key policy says: the key is
   * in its own `region` argument or its provider's, and the policy's `kms:ViaService` values and
   * the adopted key's ARN use `region`; an alias names a key of its own region only. Run at synth
   * (a validation of this construct), after every escape hatch.
   */
  public regionProblems(): string[] {
    const key = regionOf(this.key);
    const alias = regionOf(this.alias);
    const problems: string[] = [];
    const keyAddress = `aws_kms_key.${this.key.friendlyUniqueId}`;
    const declared = this.policySubject.region;
    if (declared !== undefined && key.region !== undefined && key.region !== declared) {
      problems.push(
        `${keyAddress}: Terraform creates it in ${key.region} (${key.source}), and the DataKey's region is ${declared}, which its key policy's kms:ViaService values and ARNs use. ` +
          `Set the DataKey's region to ${key.region}, or create the key in ${declared}.`,
      );
    }
    const keyRegion = key.region ?? (key.from === "provider" ? declared : undefined);
    if (keyRegion !== undefined && alias.region !== undefined && alias.region !== keyRegion) {
      problems.push(
        `aws_kms_alias.${this.alias.friendlyUniqueId}: Terraform creates it in ${alias.region} (${alias.source}), and its key ${keyAddress} is in ${keyRegion}: an alias names a key of its own region only. Give both the same region.`,
      );
    }
    return problems;
  }

  /** The key policy: the seed's statements by role, then any added ones. */
  public get policy(): PolicyDocument {
    return this.document;
  }

  /**
   * Appends statements to the key policy, for constructs that need the key (an encrypted alert
   * topic, say). The policy rules run again; an error fails synth here.
   */
  public addStatements(...statements: PolicyStatement[]): void {
    this.setPolicy([...this.document.Statement, ...statements], [...this.origins, ...statements.map(() => undefined)]);
  }

  /**
   * Replaces the statement with `statement`'s Sid, or appends it when there is none: for
   * constructs that widen a statement they added (a second audit's rule). The rules run again.
   */
  public putStatement(statement: PolicyStatement): void {
    const at = statement.Sid === undefined ? -1 : this.document.Statement.findIndex((s) => s.Sid === statement.Sid);
    if (at < 0) this.setPolicy([...this.document.Statement, statement], [...this.origins, undefined]);
    else this.setPolicy(this.document.Statement.map((s, i) => (i === at ? statement : s)), this.origins.map((o, i) => (i === at ? undefined : o)));
  }

  private setPolicy(statements: PolicyStatement[], origins: readonly (StatementOrigin | undefined)[]): void {
    const next = { ...this.document, Statement: statements };
    const findings = failOnErrors(inUserFields(checkPolicy({ ...this.policySubject, policy: next }), origins));
    this.findings = findings;
    this.document = next;
    this.origins = origins;
    this.key.policy = renderPolicy(next);
  }

  /** Findings with each policy path the user wrote named as their field (`services[1]`). */
  private inUserFields(findings: Finding[]): Finding[] {
    return inUserFields(findings, this.origins);
  }
}

/** The type of each prop, checked before its meaning (`deployer` and the principals check their own). */
const PROP_TYPES: Readonly<Record<string, PropType>> = {
  partition: "string",
  region: "string",
  policyId: "string",
  alias: "string",
  description: "string",
  existingKeyId: "string",
  serviceAccess: "string",
  enableIamUserPermissions: "boolean",
  allowDestroy: "boolean",
  deletionWindowInDays: "number",
  rotationPeriodInDays: "number",
  administrators: "list",
  users: "list",
  services: "list",
  additionalStatements: "list",
  tags: "object",
  movedFrom: "object",
};

function inUserFields(findings: Finding[], origins: readonly (StatementOrigin | undefined)[]): Finding[] {
  return findings.map((f) => ({ ...f, path: nameUserFields(f.path, origins), message: nameUserFields(f.message, origins) }));
}

function validateMovedFrom(movedFrom: DataKeyProps["movedFrom"]): void {
  for (const [field, type] of [["key", "aws_kms_key"], ["alias", "aws_kms_alias"]] as const) {
    const address = movedFrom?.[field];
    if (address === undefined || isToken(address)) continue;
    if (!new RegExp(`^(module\\.[A-Za-z_][\\w-]*\\.)*${type}\\.[A-Za-z_][\\w-]*$`).test(address)) {
      invalid(`movedFrom.${field}`, address, `A former address of the ${field} looks like "${type}.<name>".`);
    }
  }
}
