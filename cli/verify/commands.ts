import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { DescribeTableCommand, DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { DescribeKeyCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, KMSClient, ListAliasesCommand } from "@aws-sdk/client-kms";
import { GetFunctionCommand, GetFunctionConfigurationCommand, LambdaClient, ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { GetRoleCommand, GetUserCommand, IAMClient } from "@aws-sdk/client-iam";
import {
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { DescribeSecretCommand, ListSecretsCommand, ListSecretVersionIdsCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";

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
  // The state object, for the key id the environment's stack recorded (its key_id output).
  GetObjectCommand: { command: GetObjectCommand, action: "s3:GetObject" },
  // --preflight
  GetCallerIdentityCommand: { command: GetCallerIdentityCommand, action: "sts:GetCallerIdentity" },
  GetUserCommand: { command: GetUserCommand, action: "iam:GetUser" },
  GetRoleCommand: { command: GetRoleCommand, action: "iam:GetRole" },
  GetBucketVersioningCommand: { command: GetBucketVersioningCommand, action: "s3:GetBucketVersioning" },
  GetPublicAccessBlockCommand: { command: GetPublicAccessBlockCommand, action: "s3:GetBucketPublicAccessBlock" },
} as const;

/**
 * `--discover` sends these besides verify's GetBucketEncryption and DescribeTable: the list calls
 * of each service, a secret's versions, and an image function's image (GetFunction, for image
 * functions only: for a .zip it returns a presigned URL to the code). Each is a List or Read
 * action; the audit role's policy has them (audit-role.ts).
 */
export const DISCOVER_COMMANDS = {
  ListBucketsCommand: { command: ListBucketsCommand, action: "s3:ListAllMyBuckets" },
  GetBucketLocationCommand: { command: GetBucketLocationCommand, action: "s3:GetBucketLocation" },
  ListTablesCommand: { command: ListTablesCommand, action: "dynamodb:ListTables" },
  ListSecretsCommand: { command: ListSecretsCommand, action: "secretsmanager:ListSecrets" },
  ListSecretVersionIdsCommand: { command: ListSecretVersionIdsCommand, action: "secretsmanager:ListSecretVersionIds" },
  ListFunctionsCommand: { command: ListFunctionsCommand, action: "lambda:ListFunctions" },
  GetFunctionCommand: { command: GetFunctionCommand, action: "lambda:GetFunction" },
} as const;

/**
 * `--discover --objects N`: an adopted bucket's first N keys and each one's encryption. HeadObject
 * is authorized as s3:GetObject, which also reads the object: the audit role does not get these
 * (audit-role.ts), so the sampling is for a person's own credentials.
 */
export const OBJECT_SAMPLING_COMMANDS = {
  ListObjectsV2Command: { command: ListObjectsV2Command, action: "s3:ListBucket" },
  HeadObjectCommand: { command: HeadObjectCommand, action: "s3:GetObject" },
} as const;

const ALLOWED = new Set<unknown>([READ_ONLY_COMMANDS, DISCOVER_COMMANDS, OBJECT_SAMPLING_COMMANDS].flatMap((set) => Object.values(set).map((c) => c.command)));

export interface Clients {
  readonly kms: KMSClient;
  readonly secrets: SecretsManagerClient;
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly lambda: LambdaClient;
  readonly cloudtrail: CloudTrailClient;
  readonly sts: STSClient;
  readonly iam: IAMClient;
  /**
   * S3 in the state bucket's region (`state.region`), following no redirect: Terraform's S3
   * backend reads the bucket there and fails on S3's 301 to another region.
   */
  readonly stateS3: S3Client;
  /** DynamoDB in `state.region`: the S3 backend's `region` is the bucket's and the lock table's. */
  readonly stateDynamodb: DynamoDBClient;
}

export interface ClientOptions {
  /** The environment's region: the key's, and its resources'. */
  readonly region: string;
  /** The state bucket's and lock table's region (`state.region`). @default region */
  readonly stateRegion?: string;
  /** An emulator's URL, e.g. http://127.0.0.1:4566. */
  readonly endpoint?: string;
  /** Attempts per call, with the SDK's standard retry (backoff on throttling). @default 5 */
  readonly maxAttempts?: number;
  /** Milliseconds to wait for a connection. @default 5000 */
  readonly connectionTimeoutMs?: number;
  /** Milliseconds a request may sit without an answer before the attempt fails (and is retried). @default 20000 */
  readonly requestTimeoutMs?: number;
}

/**
 * The AWS SDK prints a notice on Node < 22 that its releases after January 2027 will need
 * Node 22. The versions pinned here support Node 20, which this project targets (engines >= 20),
 * so the notice is switched off through the SDK's own variable unless the caller set it. Moving
 * to Node 22 is the way to take newer SDK releases (docs/troubleshooting.md).
 */
export function silenceSdkNodeNotice(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
}

/**
 * One client per service, with the default credential chain, the SDK's standard retry, and
 * timeouts: the SDK sets none by default, so an endpoint that accepts a connection and never
 * answers would hold verify forever. The S3 client of bound buckets follows region redirects (a
 * bucket of another region is read there); the state's does not, as Terraform's backend does not.
 * IAM goes to its partition's endpoint ({@link iamRegion}), STS to the region's.
 */
export function createClients(options: ClientOptions): Clients {
  silenceSdkNodeNotice();
  const config = {
    region: options.region,
    maxAttempts: options.maxAttempts ?? 5,
    retryMode: "standard",
    requestHandler: { connectionTimeout: options.connectionTimeoutMs ?? 5000, requestTimeout: options.requestTimeoutMs ?? 20000, throwOnRequestTimeout: true },
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  };
  const state = { ...config, region: options.stateRegion ?? options.region };
  return {
    kms: new KMSClient(config),
    secrets: new SecretsManagerClient(config),
    s3: new S3Client({ ...config, forcePathStyle: options.endpoint !== undefined, followRegionRedirects: true }),
    dynamodb: new DynamoDBClient(config),
    lambda: new LambdaClient(config),
    cloudtrail: new CloudTrailClient(config),
    sts: new STSClient(config),
    iam: new IAMClient({ ...config, region: iamRegion(options.region) }),
    stateS3: new S3Client({ ...state, forcePathStyle: options.endpoint !== undefined, followRegionRedirects: false }),
    stateDynamodb: new DynamoDBClient(state),
  };
}

/**
 * The region IAM's endpoint signs for in `region`'s partition: IAM has one endpoint per partition,
 * iam.amazonaws.com in us-east-1, iam.cn-north-1.amazonaws.com.cn in cn-north-1,
 * iam.us-gov.amazonaws.com in us-gov-west-1 (IAM User Guide, "Calling the IAM API using HTTP query
 * requests", Endpoints; AWS GovCloud (US) User Guide, IAM: one IAM control plane, in US-West).
 * Read from the IAM client's own endpoint rules (AWS's endpoint data), so every partition the
 * SDK knows is covered; a client made with this region reaches that endpoint, and an emulator
 * given as `endpoint` sees the same signing region.
 */
export function iamRegion(region: string): string {
  const probe = new IAMClient({ region, credentials: { accessKeyId: "-", secretAccessKey: "-" } });
  try {
    const resolved = probe.config.endpointProvider({ Region: region, UseFIPS: false, UseDualStack: false });
    const schemes = resolved.properties?.authSchemes as { signingRegion?: string }[] | undefined;
    return schemes?.find((s) => s.signingRegion)?.signingRegion ?? region;
  } finally {
    probe.destroy();
  }
}

/**
 * The region S3 names when it answers 301 PermanentRedirect: the bucket is in another region than
 * the request's, and says which in the `x-amz-bucket-region` header (S3 API reference, HeadBucket
 * and "Error responses": PermanentRedirect, 301 Moved Permanently). `null` for a 301 without the
 * header; `undefined` for any other error.
 */
export function redirectedRegion(error: unknown): string | null | undefined {
  const e = error as { $metadata?: { httpStatusCode?: number }; $response?: { headers?: Record<string, string | undefined> } };
  if (e?.$metadata?.httpStatusCode !== 301) return undefined;
  return e.$response?.headers?.["x-amz-bucket-region"] ?? null;
}

/**
 * Why a bucket read in `stateRegion` (`state.region`) was redirected: Terraform's S3 backend does
 * not follow the redirect and fails with its `requested bucket from …, actual location …` error
 * (hashicorp/terraform, internal/backend/remote-state/s3, bucketRegionError).
 */
export function stateRedirectReason(stateRegion: string, actual: string | null): string {
  return actual === null
    ? `the bucket is not in state.region ${stateRegion}: S3 answers 301 PermanentRedirect without naming its region, and Terraform's S3 backend does not follow it`
    : `the bucket is in ${actual}, not state.region ${stateRegion}: S3 answers 301 PermanentRedirect, which Terraform's S3 backend does not follow (terraform init: requested bucket from ${JSON.stringify(stateRegion)}, actual location ${JSON.stringify(actual)}). Set state.region to ${actual}`;
}

/** Closes every client's connections, so the process ends when verify does. */
export function destroyClients(clients: Clients): void {
  for (const client of Object.values(clients)) (client as { destroy?: () => void }).destroy?.();
}

/**
 * Sends a command if it is one of {@link READ_ONLY_COMMANDS}; anything else is a bug and throws.
 * `signal` is the run's deadline: when it fires, the call ends with an AbortError.
 */
export function send<Output>(client: { send(command: any, options?: any): Promise<any> }, command: { constructor: unknown }, signal?: AbortSignal): Promise<Output> {
  if (!ALLOWED.has(command.constructor)) {
    throw new Error(`verify is read-only and may not send ${(command.constructor as { name?: string }).name}`);
  }
  if (signal?.aborted) return Promise.reject(Object.assign(new Error(typeof signal.reason === "string" ? signal.reason : "the run's deadline passed"), { name: "AbortError" }));
  return (signal ? client.send(command, { abortSignal: signal }) : client.send(command)) as Promise<Output>;
}

/** The run's deadline: its signal aborts every call still under way when `seconds` have passed. */
export function deadline(seconds: number): { readonly signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(`verify's deadline of ${seconds} s (--timeout) passed`), seconds * 1000);
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}
