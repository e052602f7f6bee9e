/**
 * The data key where another stack or app made it: by ARN, by alias, or from the owning stack's
 * remote state. A reference binds, grants and enforces like `DataKey`; it never changes the key.
 */
import { terraformName } from "../bindings/binding";
import { invalid } from "../common/errors";
import { claimTerraformName } from "../common/names";
import { isToken } from "../common/validate";
import { awsProviderOf, Construct, DataAwsKmsAlias, DataTerraformRemoteStateS3, DataTerraformRemoteStateS3Config, Fn, stackOf } from "../platform";
import { validateAlias } from "./alias";
import { DataKeyBase } from "./data-key-base";

export interface KeyArnOptions {
  /**
   * The key's alias, e.g. `alias/mavik-data-kms-key`: `aliasName` and `aliasArn` are then known.
   * @default - no alias
   */
  readonly aliasName?: string;
}

/** The names of the owning stack's outputs. Defaults: what `DataKeyStack` writes. */
export interface RemoteStateOutputs {
  /** @default "key_arn" */
  readonly keyArn?: string;
  /** @default "key_id" */
  readonly keyId?: string;
  /** @default "alias_name" */
  readonly aliasName?: string;
  /** @default "alias_arn" */
  readonly aliasArn?: string;
}

const KEY_ARN = /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):kms:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):key\/((?:mrk-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;

interface KeyAttributes {
  readonly keyArn: string;
  readonly keyId: string;
  readonly aliasName?: string;
  readonly aliasArn?: string;
  /** For a key known only at plan: makes Terraform check its region (see DataKeyBase.requireKeyRegion). */
  readonly requireRegion?: (region: string, where: string) => void;
  /** Where the key is, as far as known at synth: a literal ARN's account and region, or "the reference's stack" (an alias names a key of the provider's own account and region). */
  readonly where?: { readonly account: string; readonly region: string } | "own-stack";
}

/** A key referenced by its attributes, which may come from a data source made under it. */
class DataKeyReference extends DataKeyBase {
  public readonly keyArn: string;
  public readonly keyId: string;
  public readonly aliasName?: string;
  public readonly aliasArn?: string;
  private readonly where: KeyAttributes["where"];
  private readonly requireRegion: KeyAttributes["requireRegion"];

  constructor(scope: Construct, id: string, attributes: (self: Construct) => KeyAttributes) {
    super(scope, id);
    const { keyArn, keyId, aliasName, aliasArn, where, requireRegion } = attributes(this);
    this.requireRegion = requireRegion;
    this.keyArn = keyArn;
    this.keyId = keyId;
    this.aliasName = aliasName;
    this.aliasArn = aliasArn;
    this.where = where;
  }

  public keyAccount(): string | undefined {
    return this.where === "own-stack" ? awsProviderOf(stackOf(this)).accountId : this.where?.account;
  }

  public keyRegion(): string | undefined {
    return this.where === "own-stack" ? awsProviderOf(stackOf(this)).region : this.where?.region;
  }

  protected requireKeyRegion(region: string, where: string): void {
    this.requireRegion?.(region, where);
  }
}

function validateId(id: string, call: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(id)) {
    invalid(`${call} id`, id, "The id names the reference's Terraform resources: a letter or _ first, then letters, digits, _ or -.");
  }
}

export function keyFromArn(scope: Construct, id: string, keyArn: string, options: KeyArnOptions = {}): DataKeyReference {
  validateId(id, "DataKey.fromKeyArn");
  if (typeof keyArn !== "string") invalid("DataKey.fromKeyArn keyArn", keyArn, 'A key ARN: "arn:aws:kms:<region>:<account>:key/<key id>".');
  if (options.aliasName !== undefined) validateAlias("DataKey.fromKeyArn aliasName", options.aliasName);
  if (isToken(keyArn)) {
    return new DataKeyReference(scope, id, () => ({ keyArn, keyId: Fn.element(Fn.split("/", keyArn), 1), aliasName: options.aliasName }));
  }
  const parts = KEY_ARN.exec(keyArn);
  if (!parts) {
    const hint = /:alias\//.test(keyArn)
      ? " This is an alias ARN: resources must name the key ARN (DynamoDB plans a change on every run otherwise); use DataKey.fromAlias."
      : "";
    invalid("DataKey.fromKeyArn keyArn", keyArn, `A key ARN: "arn:aws:kms:<region>:<account>:key/<key id>".${hint}`);
  }
  const [, partition, region, account, keyId] = parts;
  const aliasArn = options.aliasName === undefined ? undefined : `arn:${partition}:kms:${region}:${account}:${options.aliasName}`;
  return new DataKeyReference(scope, id, () => ({ keyArn, keyId, aliasName: options.aliasName, aliasArn, where: { account, region } }));
}

export function keyFromAlias(scope: Construct, id: string, aliasName: string): DataKeyReference {
  validateId(id, "DataKey.fromAlias");
  validateAlias("DataKey.fromAlias aliasName", aliasName);
  return new DataKeyReference(scope, id, (self) => {
    // Named by the reference's id: data.aws_kms_alias.<id>.
    const alias = new DataAwsKmsAlias(self, "alias", { name: aliasName });
    alias.overrideLogicalId(terraformName(id));
    claimTerraformName(alias);
    return { keyArn: alias.targetKeyArn, keyId: alias.targetKeyId, aliasName, aliasArn: alias.arn, where: "own-stack" };
  });
}

export function keyFromRemoteState(scope: Construct, id: string, state: DataTerraformRemoteStateS3Config, outputs: RemoteStateOutputs = {}): DataKeyReference {
  validateId(id, "DataKey.fromRemoteState");
  for (const field of ["bucket", "key", "region"] as const) {
    const value = state?.[field];
    if (typeof value !== "string" || value === "") invalid(`DataKey.fromRemoteState ${field}`, value, `The owning stack's S3 backend ${field}.`);
  }
  return new DataKeyReference(scope, id, (self) => {
    // Named by the reference's id: data.terraform_remote_state.<id>.
    const remote = new DataTerraformRemoteStateS3(self, "state", state);
    remote.overrideLogicalId(terraformName(id));
    claimTerraformName(remote);
    const output = (name: string | undefined, fallback: string) => remote.getString(name ?? fallback);
    // The key's region is known only when Terraform reads the state: each region a binding needs
    // becomes a postcondition of the data source, so a key of another region fails the plan.
    const keyArnOutput = outputs.keyArn ?? "key_arn";
    const regions = new Map<string, string[]>();
    const requireRegion = (region: string, where: string) => {
      regions.set(region, [...new Set([...(regions.get(region) ?? []), where])]);
      remote.addOverride(
        "lifecycle.postcondition",
        [...regions].map(([r, stacks]) => ({
          condition: `\${element(split(":", self.outputs[${JSON.stringify(keyArnOutput)}]), 3) == ${JSON.stringify(r)}}`,
          error_message:
            `The key of ${self.node.path} (output ${keyArnOutput}) is not in ${r}, where stack ${stacks.join(", ")} binds resources to it: ` +
            "a KMS key serves its own region only (the data key is single-Region).",
        })),
      );
    };
    return {
      requireRegion,
      keyArn: output(outputs.keyArn, "key_arn"),
      keyId: output(outputs.keyId, "key_id"),
      aliasName: output(outputs.aliasName, "alias_name"),
      aliasArn: output(outputs.aliasArn, "alias_arn"),
    };
  });
}
