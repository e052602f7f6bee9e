import { configureRemoteState, importInto, terraformName } from "../../modules/index";
import {
  AwsProvider,
  Construct,
  DynamodbTable,
  IamOpenidConnectProvider,
  IamRole,
  IamRolePolicy,
  LocalBackend,
  S3Bucket,
  S3BucketLifecycleConfiguration,
  S3BucketPolicy,
  S3BucketPublicAccessBlock,
  S3BucketServerSideEncryptionConfigurationA,
  S3BucketVersioningA,
  TerraformOutput,
  TerraformStack,
} from "./platform";
import { AccountBootstrap, GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST, roleArn, ROLE_KINDS } from "./settings";
import { IamPolicy, trustPolicy } from "./trust";

export interface BootstrapStackProps {
  readonly account: AccountBootstrap;
  /** Each created role's permission policy, by role name (derived from the environment's stack). */
  readonly policies: ReadonlyMap<string, IamPolicy>;
  /**
   * Where the bootstrap keeps its own state: `"local"` for the first apply (the bucket does not
   * exist yet), then `"s3"`, the bucket it made; `terraform init -migrate-state` moves it.
   * @default "s3"
   */
  readonly state?: "local" | "s3";
  /** With `state: "local"`, the state file, relative to the stack's directory. */
  readonly localStatePath?: string;
}

/** The IAM role session length: an hour, IAM's default, is longer than any plan or deploy here. */
const SESSION_SECONDS = 3600;

/**
 * The first thing an account gets, as code the user reviews with a plan: the state bucket
 * (versioned, encrypted, public access blocked, TLS only, noncurrent versions expiring when
 * asked), the DynamoDB lock tables environments ask for, GitHub's OIDC provider (created, or
 * adopted by import), and per environment the plan, deploy and audit roles trusted only by the
 * repository's workflows. Terraform addresses come from bucket, table and role names: an
 * environment added or reordered moves nothing.
 */
export class BootstrapStack extends TerraformStack {
  public readonly account: AccountBootstrap;

  constructor(scope: Construct, props: BootstrapStackProps) {
    const { account } = props;
    super(scope, account.stackName);
    this.account = account;
    new AwsProvider(this, "aws", { region: account.region, allowedAccountIds: [account.accountId] });
    if ((props.state ?? "s3") === "local") {
      new LocalBackend(this, { path: props.localStatePath ?? `terraform.${account.stackName}.tfstate` });
    } else {
      configureRemoteState(this, `${account.accountId}-${account.region}`, {
        bucket: account.bucket,
        region: account.region,
        keyPrefix: "mavik-data-key-bootstrap",
        locking: { type: "lockfile" },
      });
    }

    this.stateBucket();
    for (const table of account.lockTables) {
      // The S3 backend's lock table: a string partition key named LockID (Terraform's S3 backend docs).
      const lock = new DynamodbTable(this, `table_${table}`, {
        name: table,
        billingMode: "PAY_PER_REQUEST",
        hashKey: "LockID",
        attribute: [{ name: "LockID", type: "S" }],
        pointInTimeRecovery: { enabled: false },
      });
      lock.overrideLogicalId(terraformName(table));
    }

    const oidc = new IamOpenidConnectProvider(this, "github_actions", {
      url: `https://${GITHUB_OIDC_HOST}`,
      clientIdList: [GITHUB_OIDC_AUDIENCE],
      // No thumbprint: IAM trusts GitHub's certificate through its own root CAs (provider 5.x makes it optional).
      lifecycle: account.oidcProvider === "existing" ? { preventDestroy: true } : undefined,
    });
    if (account.oidcProvider === "existing") importInto(oidc, account.oidcProviderArn);

    for (const role of account.roles) {
      const policy = props.policies.get(role.name);
      if (policy === undefined) throw new Error(`${role.name}: no permission policy was derived for this role`);
      const id = terraformName(role.name);
      const iamRole = new IamRole(this, `role_${id}`, {
        name: role.name,
        description: `Mavik data key, ${role.environment.name}: ${DESCRIPTIONS[role.kind]} (GitHub Actions of ${account.repository}, through OIDC)`,
        assumeRolePolicy: JSON.stringify(trustPolicy(account, role.kind, role.environment)),
        maxSessionDuration: SESSION_SECONDS,
        dependsOn: [oidc],
      });
      iamRole.overrideLogicalId(id);
      const inline = new IamRolePolicy(this, `policy_${id}`, { name: "mavik-data-key", role: iamRole.name, policy: JSON.stringify(policy) });
      inline.overrideLogicalId(id);
    }

    new TerraformOutput(this, "state_bucket", { value: account.bucket, description: "The state bucket of this account's environments." });
    new TerraformOutput(this, "oidc_provider_arn", { value: account.oidcProviderArn, description: "GitHub Actions' OIDC provider in this account." });
    new TerraformOutput(this, "roles", {
      value: Object.fromEntries(account.environments.map((env) => [env.name, Object.fromEntries(ROLE_KINDS.map((kind) => [kind, roleArn(env, kind)]))])),
      description: "The role each workflow assumes, per environment (the workflows derive the same ARNs from the environments file).",
    });
  }

  private stateBucket(): void {
    const { account } = this;
    const name = account.bucket;
    const id = terraformName(name);
    const arn = `arn:${account.partition}:s3:::${name}`;
    // The state is what Terraform knows of the key: the bucket is never destroyed by Terraform.
    const bucket = new S3Bucket(this, `bucket_${id}`, { bucket: name, lifecycle: { preventDestroy: true } });
    bucket.overrideLogicalId(id);
    // Terraform's S3 backend docs: "highly recommended that you enable Bucket Versioning".
    const versioning = new S3BucketVersioningA(this, `versioning_${id}`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } });
    versioning.overrideLogicalId(id);
    // SSE-S3, not the data key: the state must stay readable to recover the key's configuration.
    const encryption = new S3BucketServerSideEncryptionConfigurationA(this, `encryption_${id}`, {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    encryption.overrideLogicalId(id);
    const block = new S3BucketPublicAccessBlock(this, `public_access_${id}`, {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    block.overrideLogicalId(id);
    // Amazon S3 user guide, "Security best practices": deny any request without TLS (aws:SecureTransport).
    const tls = new S3BucketPolicy(this, `policy_${id}`, {
      bucket: bucket.id,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [arn, `${arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      }),
      // S3 refuses concurrent configuration calls on one bucket ("OperationAborted"): one at a time.
      dependsOn: [block],
    });
    tls.overrideLogicalId(id);
    const days = account.noncurrentVersionExpirationDays;
    if (days !== undefined) {
      // Amazon S3 user guide, "Removing expired object delete markers": noncurrent versions expire,
      // then the delete markers the lock files leave (each lock is a put and a delete) go too.
      const lifecycle = new S3BucketLifecycleConfiguration(this, `lifecycle_${id}`, {
        bucket: bucket.id,
        rule: [
          {
            id: "expire-noncurrent-state-versions",
            status: "Enabled",
            filter: [{}],
            noncurrentVersionExpiration: [{ noncurrentDays: days }],
            expiration: [{ expiredObjectDeleteMarker: true }],
          },
        ],
        dependsOn: [versioning],
      });
      lifecycle.overrideLogicalId(id);
    }
  }
}

const DESCRIPTIONS = {
  plan: "plans of pull requests, read-only",
  deploy: "applies on the default branch, behind the GitHub environment's approval",
  audit: "the scheduled audit, read-only",
} as const;
