import { invalid } from "../common/errors";
import { validateBucketName, validateRegion, validateTableName } from "../common/validate";
import { S3Backend, TerraformStack } from "../platform";

/** How concurrent Terraform runs are kept apart. */
export type StateLocking = { readonly type: "lockfile" } | { readonly type: "dynamodb"; readonly table: string };

/** Where an environment's Terraform state lives: an S3 bucket, one object per environment. */
export interface RemoteStateConfig {
  /** The state bucket. */
  readonly bucket: string;
  /** The bucket's region. */
  readonly region: string;
  /**
   * The first part of the state object's key; the key is `<keyPrefix>/<environment>/terraform.tfstate`,
   * so two environments never share a state object.
   * @default "mavik-data-key"
   */
  readonly keyPrefix?: string;
  /**
   * Server-side encryption of the state object.
   * @default true
   */
  readonly encrypt?: boolean;
  /**
   * A KMS key (id, ARN or alias) for the state object. Use a different key from the data key:
   * the state must stay readable to recover the data key's configuration.
   * @default - the bucket's default encryption
   */
  readonly kmsKeyId?: string;
  /**
   * `{ type: "lockfile" }` uses S3's conditional writes (`use_lockfile`, Terraform >= 1.10);
   * `{ type: "dynamodb", table }` a DynamoDB lock table (deprecated by Terraform, still supported).
   */
  readonly locking: StateLocking;
}

/** The state object's key for an environment. */
export function stateKey(config: Pick<RemoteStateConfig, "keyPrefix">, environment: string): string {
  return `${config.keyPrefix ?? "mavik-data-key"}/${environment}/terraform.tfstate`;
}

/** Configures the stack's S3 backend. */
export function configureRemoteState(stack: TerraformStack, environment: string, config: RemoteStateConfig): S3Backend {
  validateBucketName("state.bucket", config.bucket);
  validateRegion("state.region", config.region);
  const keyPrefix = config.keyPrefix ?? "mavik-data-key";
  if (!/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/.test(keyPrefix)) {
    invalid("state.keyPrefix", keyPrefix, 'A key prefix is one or more "/"-separated parts of letters, digits and !_.*\'()-.');
  }
  if (keyPrefix.split("/").some((part) => part === "." || part === "..")) {
    invalid("state.keyPrefix", keyPrefix, 'A part may not be "." or "..": the state object would land outside the prefix (another project\'s state, say).');
  }
  const locking = config.locking as StateLocking | undefined;
  if (locking?.type === "dynamodb") validateTableName("state.locking.table", locking.table);
  else if (locking?.type !== "lockfile") {
    invalid("state.locking", locking, 'Allowed: { "type": "lockfile" } or { "type": "dynamodb", "table": "<table>" }.');
  }

  const backend = new S3Backend(stack, {
    bucket: config.bucket,
    key: stateKey(config, environment),
    region: config.region,
    encrypt: config.encrypt ?? true,
    kmsKeyId: config.kmsKeyId,
    dynamodbTable: locking.type === "dynamodb" ? locking.table : undefined,
  });
  // cdktf 0.21's S3Backend predates use_lockfile (Terraform 1.10); an override writes it.
  if (locking.type === "lockfile") backend.addOverride("use_lockfile", true);
  return backend;
}
