import type { KeyAuditProps, PolicyStatement, PrincipalRef, RemoteStateConfig } from "../../modules/index";
import { ResourcesConfig } from "../stack/resources";

/**
 * One environment: where the data key lives, who may use it, and where its state is kept.
 * Environments are data (`environments.json`), not code.
 */
export interface EnvironmentConfig {
  /** The environment's name; also the stack name and part of the state key. `[a-z][a-z0-9-]*`, at most 32. */
  readonly name: string;
  /** The AWS account, 12 digits. */
  readonly accountId: string;
  /** The AWS region, e.g. `us-east-1`. */
  readonly region: string;
  /** @default "alias/mavik-data-kms-key" */
  readonly alias?: string;
  /** @default - see {@link DataKeyProps.description} */
  readonly description?: string;
  /** An existing key to adopt through `import` blocks. @default - a new key */
  readonly existingKeyId?: string;
  /** 7 to 30. @default 30 */
  readonly deletionWindowInDays?: number;
  /** 90 to 2560. @default 365 */
  readonly rotationPeriodInDays?: number;
  /** @default {} */
  readonly tags?: Record<string, string>;
  /** @default "key-consolepolicy-3" */
  readonly policyId?: string;
  /** @default true */
  readonly enableIamUserPermissions?: boolean;
  /** Key administrators: `user/<name>`, `role/<name>`, an ARN, or `{ arn, crossAccount: true }`. */
  readonly administrators: PrincipalRef[];
  /** Key users, same forms as administrators. */
  readonly users: PrincipalRef[];
  /** AWS service principals, e.g. `s3.amazonaws.com`. */
  readonly services: string[];
  /**
   * The principal that runs `cdktf deploy` for this environment, checked by the lockout rule as
   * AWS's lockout safety check would. @default - a principal of the account, through the root statement
   */
  readonly deployer?: PrincipalRef;
  /** @default [] */
  readonly additionalStatements?: PolicyStatement[];
  /** `"service-principals"` (the seed's) or `"via-service"` (hardened). @default "service-principals" */
  readonly serviceAccess?: "service-principals" | "via-service";
  /** IMPORTANT: lifts `prevent_destroy` from the key; throwaway environments only. @default false */
  readonly allowDestroy?: boolean;
  /** The S3 remote state of this environment. */
  readonly state: RemoteStateConfig;
  /** The environment's buckets, tables, secrets and functions, bound to the key. @default none */
  readonly resources?: ResourcesConfig;
  /**
   * Audit of the key (seed §6): `alerts` (an EventBridge rule and SNS topic for destructive calls,
   * with subscriptions), `configRule` (AWS Config CMK_BACKING_KEY_ROTATION_ENABLED) and `coverage`
   * (AWS Config rules holding every bucket, table, secret and function of the account to the key).
   * @default none
   */
  readonly audit?: Pick<KeyAuditProps, "alerts" | "configRule" | "dashboard" | "cloudTrailLogGroup" | "decryptAlarm" | "coverage">;
  /**
   * The IAM roles the workflows assume for this environment (GitHub OIDC): each `"role/<name>"` or
   * a role ARN in the environment's account. A role named here is the user's own: the bootstrap
   * does not create it (docs/deploy.md).
   * @default - the bootstrap's roles, `role/mavik-data-key-<name>-plan`, `-deploy` and `-audit`
   */
  readonly roles?: EnvironmentRoles;
}

/** The roles of an environment's workflows, by what they do. */
export interface EnvironmentRoles {
  /** Pull-request plans (read-only). @default "role/mavik-data-key-<environment>-plan" */
  readonly plan?: string;
  /** The deploy on the default branch. @default "role/mavik-data-key-<environment>-deploy" */
  readonly deploy?: string;
  /** The scheduled audit (read-only). @default "role/mavik-data-key-<environment>-audit" */
  readonly audit?: string;
}

/**
 * What the bootstrap (`npm run bootstrap`, docs/deploy.md) needs beyond the environments: the
 * GitHub repository its roles trust, and per-account choices.
 */
export interface BootstrapConfig {
  /** The GitHub repository whose workflows may assume the roles, `"owner/name"`. */
  readonly repository: string;
  /** The repository's default branch: deploys and the scheduled audit run there. @default "main" */
  readonly defaultBranch?: string;
  /**
   * Accounts (12 digits) that already have GitHub's OIDC provider
   * (`token.actions.githubusercontent.com`): the bootstrap adopts it with an `import` block
   * instead of creating a second, which IAM refuses. @default [] - the bootstrap creates it
   */
  readonly existingOidcProviders?: string[];
  /**
   * Days after which a state bucket deletes a state object's noncurrent versions (and the delete
   * markers the lock files leave), 1 to 3650. @default - kept forever
   */
  readonly noncurrentVersionExpirationDays?: number;
}

/** The environments file. */
export interface EnvironmentsFile {
  readonly environments: EnvironmentConfig[];
  /** The bootstrap's settings. @default - none; `npm run bootstrap` then says what it needs */
  readonly bootstrap?: BootstrapConfig;
}
