import { checkTerraformNames, configureRemoteState, DataKey, enforceEncryption, Finding, invalid, KeyAudit, partitionOf, stateKey, validateRegion } from "../../modules/index";
import { EnvironmentConfig } from "../environments/environment";
import { AwsProvider, Construct, TerraformOutput, TerraformStack } from "../platform";
import { inEnvironment } from "./label";
import { bindConfiguredResources } from "./resources";

/** The construct id of the data key, and so its Terraform addresses: `aws_kms_key.mavik_data_key`. */
export const DATA_KEY_ID = "mavik_data_key";

/**
 * One environment's stack: the AWS provider pinned to the environment's account, the S3 remote
 * state, the data key, its outputs (`key_id`, `key_arn`, `alias_name`, `alias_arn`), and the
 * environment's resources bound to the key. Before any stack of the app is written, every
 * bucket, table, secret and function in the stack must be encrypted with the key.
 */
export class DataKeyStack extends TerraformStack {
  public readonly dataKey: DataKey;
  public readonly environment: EnvironmentConfig;
  /** Non-error findings of the encryption rules (the exemptions), set when the app synthesizes. */
  public encryptionFindings: Finding[] = [];

  /** How messages name the environment: `environments[1] (staging)` when built from the file. */
  public readonly label: string;

  constructor(scope: Construct, environment: EnvironmentConfig, label = `environment ${environment.name}`) {
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(environment.name)) {
      invalid("name", environment.name, "An environment name is 1 to 32 lowercase letters, digits and hyphens, starting with a letter.");
    }
    super(scope, environment.name);
    this.environment = environment;
    this.label = label;
    validateRegion("region", environment.region);

    new AwsProvider(this, "aws", {
      region: environment.region,
      // Refuses to plan or apply with credentials of any other account.
      allowedAccountIds: [environment.accountId],
    });
    configureRemoteState(this, environment.name, environment.state);

    const partition = partitionOf(environment.region);
    this.dataKey = new DataKey(this, DATA_KEY_ID, { ...environment, partition });
    bindConfiguredResources(this, this.dataKey, environment.resources ?? {}, {
      accountId: environment.accountId,
      region: environment.region,
      partition,
    });

    const outputs = {
      key_id: [this.dataKey.keyId, "The data key's id."],
      key_arn: [this.dataKey.keyArn, "The data key's ARN: bind Secrets Manager, S3, DynamoDB and Lambda to this."],
      alias_name: [this.dataKey.aliasName, "The data key's alias."],
      alias_arn: [this.dataKey.aliasArn, "The alias ARN (for IAM conditions; never for resource encryption)."],
    } as const;
    for (const [name, [value, description]] of Object.entries(outputs)) {
      new TerraformOutput(this, name, { value, description });
    }
    // Which environment, account, region and state object this stack is: constant, so a saved
    // plan carries it (`terraform show -json` has no backend), and the review refuses a plan made
    // for another environment or state.
    new TerraformOutput(this, "stack_identity", {
      value: stackIdentity(environment),
      description: "The environment, account, region and state object of this stack (the review checks plans against it).",
    });
    if (environment.audit) {
      new KeyAudit(this, "audit", {
        dataKey: this.dataKey,
        // The names this stack has always written: no address moves.
        terraformName: DATA_KEY_ID,
        outputPrefix: "",
        accountId: environment.accountId,
        region: environment.region,
        name: `mavik-data-key-${environment.name}`,
        ...environment.audit,
      });
    }
  }

  /**
   * cdktf prepares every stack before it writes any, so checking here means a clash of Terraform
   * names or an unencrypted resource in one environment leaves no environment half-written.
   */
  public prepareStack(): void {
    inEnvironment(this.label, undefined, () => {
      checkTerraformNames(this);
      this.encryptionFindings = enforceEncryption(this, this.dataKey);
    });
    super.prepareStack();
  }
}

/** What a stack says it is, in its `stack_identity` output. */
export interface StackIdentity {
  readonly environment: string;
  readonly account_id: string;
  readonly region: string;
  readonly state_bucket: string;
  readonly state_key: string;
  readonly state_region: string;
}

/** The `stack_identity` output of an environment's stack. */
export function stackIdentity(environment: EnvironmentConfig): StackIdentity {
  return {
    environment: environment.name,
    account_id: environment.accountId,
    region: environment.region,
    state_bucket: environment.state.bucket,
    state_key: stateKey(environment.state, environment.name),
    state_region: environment.state.region,
  };
}
