import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DescribeKeyCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, KMSClient, ListAliasesCommand } from "@aws-sdk/client-kms";
import { GetFunctionConfigurationCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { GetBucketEncryptionCommand, S3Client } from "@aws-sdk/client-s3";
import { DescribeSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

/**
 * verify is read-only: these are the only commands it may send, each with the IAM action it
 * needs (for the README's policy and for the test that checks each is a Read or List action in
 * AWS's service authorization data). `send` refuses anything else.
 */
export const READ_ONLY_COMMANDS = {
  DescribeKeyCommand: { command: DescribeKeyCommand, action: "kms:DescribeKey" },
  GetKeyRotationStatusCommand: { command: GetKeyRotationStatusCommand, action: "kms:GetKeyRotationStatus" },
  ListAliasesCommand: { command: ListAliasesCommand, action: "kms:ListAliases" },
  GetKeyPolicyCommand: { command: GetKeyPolicyCommand, action: "kms:GetKeyPolicy" },
  DescribeSecretCommand: { command: DescribeSecretCommand, action: "secretsmanager:DescribeSecret" },
  GetBucketEncryptionCommand: { command: GetBucketEncryptionCommand, action: "s3:GetEncryptionConfiguration" },
  DescribeTableCommand: { command: DescribeTableCommand, action: "dynamodb:DescribeTable" },
  GetFunctionConfigurationCommand: { command: GetFunctionConfigurationCommand, action: "lambda:GetFunctionConfiguration" },
  LookupEventsCommand: { command: LookupEventsCommand, action: "cloudtrail:LookupEvents" },
} as const;

const ALLOWED = new Set<unknown>(Object.values(READ_ONLY_COMMANDS).map((c) => c.command));

export interface Clients {
  readonly kms: KMSClient;
  readonly secrets: SecretsManagerClient;
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly lambda: LambdaClient;
  readonly cloudtrail: CloudTrailClient;
}

export interface ClientOptions {
  readonly region: string;
  /** An emulator's URL, e.g. http://127.0.0.1:4566. */
  readonly endpoint?: string;
  /** Attempts per call, with the SDK's standard retry (backoff on throttling). @default 5 */
  readonly maxAttempts?: number;
}

/**
 * The AWS SDK prints a notice on Node < 22 that its releases after January 2027 will need
 * Node 22. The versions pinned here support Node 20, which this project targets (engines >= 20),
 * so the notice is switched off through the SDK's own variable unless the caller set it. Moving
 * to Node 22 is the way to take newer SDK releases (README, "Node version").
 */
export function silenceSdkNodeNotice(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
}

/** One client per service, with the default credential chain and the SDK's standard retry. */
export function createClients(options: ClientOptions): Clients {
  silenceSdkNodeNotice();
  const config = {
    region: options.region,
    maxAttempts: options.maxAttempts ?? 5,
    retryMode: "standard",
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  };
  return {
    kms: new KMSClient(config),
    secrets: new SecretsManagerClient(config),
    s3: new S3Client({ ...config, forcePathStyle: options.endpoint !== undefined }),
    dynamodb: new DynamoDBClient(config),
    lambda: new LambdaClient(config),
    cloudtrail: new CloudTrailClient(config),
  };
}

/** Sends a command if it is one of {@link READ_ONLY_COMMANDS}; anything else is a bug and throws. */
export function send<Output>(client: { send(command: any): Promise<any> }, command: { constructor: unknown }): Promise<Output> {
  if (!ALLOWED.has(command.constructor)) {
    throw new Error(`verify is read-only and may not send ${(command.constructor as { name?: string }).name}`);
  }
  return client.send(command) as Promise<Output>;
}
