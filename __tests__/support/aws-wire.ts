/**
 * A local HTTP server that answers the AWS calls `verify` makes, on the wire, as AWS documents
 * them: KMS, Secrets Manager and CloudTrail (JSON 1.1), DynamoDB (JSON 1.0), Lambda (REST-JSON),
 * S3 (REST-XML, path style), STS and IAM (Query, XML answers). One endpoint for all: the service
 * is read from the SigV4 credential scope of each request (`Credential=<id>/<date>/<region>/<service>/…`),
 * the region too (an S3 bucket of another region answers 301 PermanentRedirect with
 * `x-amz-bucket-region`, as S3 does).
 *
 * The account is a {@link World}; faults are injected per service and operation: never answer,
 * throttle N times, answer 5xx N times, or a given error. CloudTrail's NextToken is strict: it is
 * only valid with the parameters it was issued for (LookupEvents: "InvalidNextTokenException").
 *
 * {@link routeThroughWire} sends clients made without an endpoint here after the SDK chose the
 * endpoint AWS's rules give their region: the request keeps that Host header, recorded as
 * `Received.host`, so a test sees which partition's endpoint a call was meant for. S3 is then
 * addressed virtual-hosted style (the bucket in the Host), which the server reads as well.
 *
 * Shapes: the AWS API references of DescribeKey, GetKeyRotationStatus, ListAliases, GetKeyPolicy,
 * DescribeSecret, LookupEvents, DescribeTable, GetFunctionConfiguration, GetBucketEncryption,
 * GetBucketVersioning, GetPublicAccessBlock, GetObject, GetCallerIdentity, GetUser and GetRole;
 * and UpdateKeyDescription, the one write a deploy of the seed's key makes.
 * Signatures are not checked.
 *
 * The list APIs of `verify --discover`, paged as each service pages (page sizes from the world):
 * S3 ListBuckets (MaxBuckets/ContinuationToken, BucketRegion filter, each bucket's BucketRegion),
 * GetBucketLocation, ListObjectsV2 and HeadObject (the object's SSE headers); DynamoDB ListTables
 * (Limit/ExclusiveStartTableName); Secrets Manager ListSecrets and ListSecretVersionIds
 * (MaxResults/NextToken); Lambda ListFunctions (MaxItems/Marker) and GetFunction. Their tokens
 * are strict as CloudTrail's: valid only with the parameters they were issued for.
 */
import { createHash } from "crypto";
import * as http from "http";
import { AddressInfo, Socket } from "net";

export interface WireKey {
  readonly id: string;
  state?: string;
  spec?: string;
  usage?: string;
  manager?: "CUSTOMER" | "AWS";
  rotation?: { enabled: boolean; periodInDays?: number };
  policy?: string;
  /** @default "" (a key made in the console without one) */
  description?: string;
}

export interface WireBucket {
  region?: string;
  encryption?: { algorithm: string; keyId?: string; bucketKey?: boolean } | null;
  versioning?: "Enabled" | "Suspended" | null;
  publicAccessBlock?: { BlockPublicAcls: boolean; IgnorePublicAcls: boolean; BlockPublicPolicy: boolean; RestrictPublicBuckets: boolean } | null;
  objects?: Record<string, string>;
  /** Operations on the bucket refused with AccessDenied, as a bucket policy denying the caller would. */
  denied?: string[];
  /** How each object is encrypted (HeadObject's SSE headers); objects not named here are SSE-S3. */
  objectEncryption?: Record<string, { algorithm: string; keyId?: string }>;
}

/** A DynamoDB table as DescribeTable shows it. */
export interface WireTable {
  kmsKeyArn?: string;
  /** The table's region (DescribeTable elsewhere is ResourceNotFoundException). @default the world's */
  region?: string;
  hashKey?: string;
  hashKeyType?: "S" | "N" | "B";
  rangeKey?: string;
  rangeKeyType?: "S" | "N" | "B";
  /** @default "PAY_PER_REQUEST" */
  billingMode?: "PAY_PER_REQUEST" | "PROVISIONED";
  globalSecondaryIndexes?: string[];
  /** Regions of a global table's replicas. */
  replicas?: string[];
}

/** A secret as ListSecrets and ListSecretVersionIds show it. */
export interface WireSecret {
  kmsKeyId?: string;
  owningService?: string;
  primaryRegion?: string;
  /** @default one version, AWSCURRENT, with no KmsKeyIds */
  versions?: { id: string; stages: string[]; kmsKeyIds?: string[] }[];
}

/** A Lambda function as ListFunctions and GetFunction show it. */
export interface WireFunction {
  kmsKeyArn?: string;
  /** @default "MavikLambdaRole" */
  role?: string;
  /** @default "Zip" */
  packageType?: "Zip" | "Image";
  runtime?: string;
  handler?: string;
  imageUri?: string;
}

export interface WireEvent {
  readonly name: string;
  readonly time: Date;
  readonly identity: Record<string, unknown>;
  readonly resource: string;
}

export interface World {
  account: string;
  region: string;
  keys: WireKey[];
  aliases: { name: string; targetKeyId: string }[];
  /** ListAliases page size. */
  aliasPageSize?: number;
  secrets: Record<string, WireSecret>;
  buckets: Record<string, WireBucket>;
  tables: Record<string, WireTable>;
  functions: Record<string, WireFunction>;
  /** Page size of the list APIs of discovery (ListBuckets, ListTables, ListSecrets, ListFunctions, ListSecretVersionIds). */
  listPageSize?: number;
  /** ListBuckets knows no BucketRegion, neither the filter nor the field, as an older S3-compatible endpoint. */
  listBucketsWithoutRegion?: boolean;
  events: WireEvent[];
  /** LookupEvents page size (AWS's default is 50). */
  eventsPageSize?: number;
  caller: { arn: string; userId: string; account?: string };
  users: string[];
  roles: string[];
}

/** A world with nothing in it but the caller, in the seed's account and region; `overrides` fill it. */
export function emptyWorld(overrides: Partial<World> = {}): World {
  return {
    account: "167067248318",
    region: "us-east-1",
    keys: [],
    aliases: [],
    secrets: {},
    buckets: {},
    tables: {},
    functions: {},
    events: [],
    caller: { arn: "arn:aws:iam::167067248318:user/mavik-deployer", userId: "AIDAEXAMPLE" },
    users: [],
    roles: [],
    ...overrides,
  };
}

export type Fault =
  | { readonly kind: "stall" }
  | { readonly kind: "throttle" }
  | { readonly kind: "5xx" }
  | { readonly kind: "error"; readonly status: number; readonly code: string; readonly message: string };

interface FaultRule {
  readonly service: string;
  readonly operation?: string;
  readonly fault: Fault;
  remaining: number;
  /** Matching calls still to let through before the fault applies. */
  skip: number;
}

export interface Received {
  readonly service: string;
  /** The SigV4 credential scope's region. */
  readonly region: string;
  /** The Host header: the endpoint the SDK resolved (the wire's own address when given as `endpoint`). */
  readonly host: string;
  readonly operation: string;
  readonly input: Record<string, unknown>;
}

class WireError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export class AwsWire {
  readonly received: Received[] = [];
  private readonly faults: FaultRule[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    public world: World,
  ) {}

  static async start(world: World): Promise<AwsWire> {
    let wire: AwsWire | undefined;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => wire!.handle(req, Buffer.concat(chunks).toString("utf8"), res));
    });
    server.on("connection", (socket) => {
      wire?.sockets.add(socket);
      socket.on("close", () => wire?.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    wire = new AwsWire(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, world);
    return wire;
  }

  /** A new account to answer for, with no faults and nothing received. */
  reset(world: World): void {
    this.world = world;
    this.faults.length = 0;
    this.received.length = 0;
  }

  /** The next `times` calls of `service` (and `operation`, if given) get `fault`, after the first `after` of them are answered. */
  inject(service: string, operation: string | undefined, fault: Fault, times = Infinity, after = 0): void {
    this.faults.push({ service, operation, fault, remaining: times, skip: after });
  }

  calls(service: string, operation?: string): Received[] {
    return this.received.filter((r) => r.service === service && (operation === undefined || r.operation === operation));
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(req.headers.authorization ?? ""));
    if (!scope) {
      res.writeHead(403, { "content-type": "text/plain" }).end("missing SigV4 authorization");
      return;
    }
    const [, region, service] = scope;
    const url = new URL(req.url ?? "/", "http://localhost");
    const host = String(req.headers.host ?? "");
    let operation = "";
    let input: Record<string, unknown> = {};
    try {
      ({ operation, input } = parseRequest(service, req, url, body));
    } catch (e) {
      res.writeHead(400, { "content-type": "text/plain" }).end(String(e));
      return;
    }
    this.received.push({ service, region, host, operation, input });
    const matching = this.faults.filter((f) => f.remaining > 0 && f.service === service && (f.operation === undefined || f.operation === operation));
    const rule = matching.find((f) => f.skip === 0);
    for (const f of matching) if (f.skip > 0) f.skip--;
    if (rule) {
      rule.remaining--;
      if (rule.fault.kind === "stall") return; // Never answers; close() destroys the socket.
      const error =
        rule.fault.kind === "throttle"
          ? throttling(service)
          : rule.fault.kind === "5xx"
            ? new WireError(500, service === "s3" ? "InternalError" : "InternalFailure", "We encountered an internal error. Please try again.")
            : new WireError(rule.fault.status, rule.fault.code, rule.fault.message);
      return this.sendError(res, service, error);
    }
    try {
      const answer = this.answer(service, region, operation, input, url);
      this.sendAnswer(res, service, operation, answer);
    } catch (e) {
      if (e instanceof WireError) this.sendError(res, service, e);
      else {
        res.writeHead(500, { "content-type": "text/plain" }).end(String((e as Error).stack));
      }
    }
  }

  private answer(service: string, region: string, operation: string, input: Record<string, unknown>, url: URL): Answer {
    const w = this.world;
    const arnOfKey = (id: string) => `arn:aws:kms:${w.region}:${w.account}:key/${id}`;
    const findKey = (ref: unknown): WireKey => {
      const value = String(ref ?? "");
      const aliasName = /^alias\//.test(value) ? value : /:alias\//.test(value) ? value.slice(value.indexOf("alias/")) : undefined;
      if (aliasName !== undefined) {
        const alias = w.aliases.find((a) => a.name === aliasName);
        if (!alias) throw new WireError(400, "NotFoundException", `Alias arn:aws:kms:${w.region}:${w.account}:${aliasName} is not found.`);
        return findKey(alias.targetKeyId);
      }
      const id = value.includes(":key/") ? value.slice(value.indexOf(":key/") + 5) : value;
      const key = w.keys.find((k) => k.id === id);
      if (!key) throw new WireError(400, "NotFoundException", `Key '${arnOfKey(id)}' does not exist`);
      return key;
    };
    switch (`${service}.${operation}`) {
      case "kms.DescribeKey": {
        const k = findKey(input.KeyId);
        return {
          json: {
            KeyMetadata: {
              AWSAccountId: w.account,
              KeyId: k.id,
              Arn: arnOfKey(k.id),
              CreationDate: 1740787200,
              Enabled: (k.state ?? "Enabled") === "Enabled",
              Description: k.description ?? "",
              KeyUsage: k.usage ?? "ENCRYPT_DECRYPT",
              KeyState: k.state ?? "Enabled",
              Origin: "AWS_KMS",
              KeyManager: k.manager ?? "CUSTOMER",
              CustomerMasterKeySpec: k.spec ?? "SYMMETRIC_DEFAULT",
              KeySpec: k.spec ?? "SYMMETRIC_DEFAULT",
              EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
              MultiRegion: false,
            },
          },
        };
      }
      case "kms.GetKeyRotationStatus": {
        const k = findKey(input.KeyId);
        const rotation = k.rotation ?? { enabled: true, periodInDays: 365 };
        return {
          json: {
            KeyRotationEnabled: rotation.enabled,
            KeyId: arnOfKey(k.id),
            ...(rotation.enabled ? { RotationPeriodInDays: rotation.periodInDays ?? 365, NextRotationDate: 1803859200 } : {}),
          },
        };
      }
      case "kms.ListAliases": {
        const size = w.aliasPageSize ?? 100;
        const start = input.Marker === undefined ? 0 : Number(/^marker-(\d+)$/.exec(String(input.Marker))?.[1] ?? NaN);
        if (Number.isNaN(start)) throw new WireError(400, "InvalidMarkerException", "Invalid marker");
        const page = w.aliases.slice(start, start + size);
        const more = start + size < w.aliases.length;
        return {
          json: {
            Aliases: page.map((a) => ({ AliasName: a.name, AliasArn: `arn:aws:kms:${w.region}:${w.account}:${a.name}`, TargetKeyId: a.targetKeyId, CreationDate: 1740787200 })),
            Truncated: more,
            ...(more ? { NextMarker: `marker-${start + size}` } : {}),
          },
        };
      }
      case "kms.ListResourceTags": {
        findKey(input.KeyId);
        return { json: { Tags: [], Truncated: false } };
      }
      // The one write the deploy test's adoption makes: the console key's empty description set.
      case "kms.UpdateKeyDescription": {
        findKey(input.KeyId).description = String(input.Description ?? "");
        return { json: {} };
      }
      case "kms.GetKeyPolicy": {
        const k = findKey(input.KeyId);
        return { json: { Policy: k.policy ?? "{}", PolicyName: "default" } };
      }
      case "secretsmanager.DescribeSecret": {
        const name = String(input.SecretId).replace(/^arn:[^:]+:secretsmanager:[^:]+:\d+:secret:/, "").replace(/-[A-Za-z0-9]{6}$/, "");
        const secret = w.secrets[name];
        if (!secret) throw new WireError(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
        return {
          json: {
            ARN: `arn:aws:secretsmanager:${w.region}:${w.account}:secret:${name}-AbCdEf`,
            Name: name,
            ...(secret.kmsKeyId ? { KmsKeyId: secret.kmsKeyId } : {}),
            LastChangedDate: 1740787200,
            VersionIdsToStages: { "a1b2c3": ["AWSCURRENT"] },
          },
        };
      }
      case "secretsmanager.ListSecrets": {
        const names = Object.keys(w.secrets).sort();
        const { page, next } = this.page(names, input, "NextToken", Number(input.MaxResults ?? 100));
        return {
          json: {
            SecretList: page.map((name) => {
              const secret = w.secrets[name];
              return {
                ARN: `arn:aws:secretsmanager:${w.region}:${w.account}:secret:${name}-AbCdEf`,
                Name: name,
                ...(secret.kmsKeyId ? { KmsKeyId: secret.kmsKeyId } : {}),
                LastChangedDate: 1740787200,
                ...(secret.owningService ? { OwningService: secret.owningService } : {}),
                ...(secret.primaryRegion ? { PrimaryRegion: secret.primaryRegion } : {}),
                SecretVersionsToStages: Object.fromEntries(this.versionsOf(secret).map((v) => [v.id, v.stages])),
                CreatedDate: 1740787200,
              };
            }),
            ...(next ? { NextToken: next } : {}),
          },
        };
      }
      case "secretsmanager.ListSecretVersionIds": {
        const name = String(input.SecretId).replace(/^arn:[^:]+:secretsmanager:[^:]+:\d+:secret:/, "").replace(/-[A-Za-z0-9]{6}$/, "");
        const secret = w.secrets[name];
        if (!secret) throw new WireError(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
        const { page, next } = this.page(this.versionsOf(secret), input, "NextToken", Number(input.MaxResults ?? 100));
        return {
          json: {
            Versions: page.map((v) => ({ VersionId: v.id, VersionStages: v.stages, CreatedDate: 1740787200, ...(v.kmsKeyIds ? { KmsKeyIds: v.kmsKeyIds } : {}) })),
            ARN: `arn:aws:secretsmanager:${w.region}:${w.account}:secret:${name}-AbCdEf`,
            Name: name,
            ...(next ? { NextToken: next } : {}),
          },
        };
      }
      case "cloudtrail.LookupEvents":
        return { json: this.lookupEvents(input) };
      case "dynamodb.DescribeTable": {
        const name = String(input.TableName);
        const table = w.tables[name];
        if (!table || (table.region ?? w.region) !== region) throw new WireError(400, "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", `Requested resource not found: Table: ${name} not found`);
        const hashKey = table.hashKey ?? "id";
        const keys = [{ name: hashKey, type: table.hashKeyType ?? "S", role: "HASH" }, ...(table.rangeKey ? [{ name: table.rangeKey, type: table.rangeKeyType ?? "S", role: "RANGE" }] : [])];
        const arn = `arn:aws:dynamodb:${w.region}:${w.account}:table/${name}`;
        return {
          json: {
            Table: {
              TableName: name,
              TableArn: arn,
              TableStatus: "ACTIVE",
              CreationDateTime: 1740787200,
              KeySchema: keys.map((k) => ({ AttributeName: k.name, KeyType: k.role })),
              AttributeDefinitions: keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
              BillingModeSummary: { BillingMode: table.billingMode ?? "PAY_PER_REQUEST" },
              ...(table.billingMode === "PROVISIONED" ? { ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5, NumberOfDecreasesToday: 0 } } : {}),
              ...(table.globalSecondaryIndexes?.length
                ? { GlobalSecondaryIndexes: table.globalSecondaryIndexes.map((g) => ({ IndexName: g, IndexArn: `${arn}/index/${g}`, IndexStatus: "ACTIVE", KeySchema: [{ AttributeName: hashKey, KeyType: "HASH" }], Projection: { ProjectionType: "ALL" } })) }
                : {}),
              ...(table.replicas?.length ? { Replicas: table.replicas.map((r) => ({ RegionName: r, ReplicaStatus: "ACTIVE" })) } : {}),
              ...(table.kmsKeyArn ? { SSEDescription: { Status: "ENABLED", SSEType: "KMS", KMSMasterKeyArn: table.kmsKeyArn } } : {}),
            },
          },
        };
      }
      case "dynamodb.ListTables": {
        const names = Object.keys(w.tables)
          .filter((n) => (w.tables[n].region ?? w.region) === region)
          .sort();
        const start = input.ExclusiveStartTableName === undefined ? 0 : names.filter((n) => n <= String(input.ExclusiveStartTableName)).length;
        const size = Math.min(Number(input.Limit ?? 100), w.listPageSize ?? 100);
        const page = names.slice(start, start + size);
        return { json: { TableNames: page, ...(start + size < names.length ? { LastEvaluatedTableName: page[page.length - 1] } : {}) } };
      }
      case "lambda.GetFunctionConfiguration": {
        const name = String(input.FunctionName);
        const fn = w.functions[name];
        const arn = `arn:aws:lambda:${w.region}:${w.account}:function:${name}`;
        if (!fn) throw new WireError(404, "ResourceNotFoundException", `Function not found: ${arn}`);
        return { json: { FunctionName: name, FunctionArn: arn, Runtime: "nodejs20.x", Role: `arn:aws:iam::${w.account}:role/MavikLambdaRole`, ...(fn.kmsKeyArn ? { KMSKeyArn: fn.kmsKeyArn } : {}) } };
      }
      case "lambda.ListFunctions": {
        const names = Object.keys(w.functions).sort();
        const { page, next } = this.page(names, input, "Marker", Number(input.MaxItems ?? 50));
        return { json: { Functions: page.map((name) => this.functionConfiguration(name)), ...(next ? { NextMarker: next } : {}) } };
      }
      case "lambda.GetFunction": {
        const name = String(input.FunctionName);
        const fn = w.functions[name];
        if (!fn) throw new WireError(404, "ResourceNotFoundException", `Function not found: arn:aws:lambda:${w.region}:${w.account}:function:${name}`);
        const image = fn.packageType === "Image";
        return {
          json: {
            Configuration: this.functionConfiguration(name),
            Code: image
              ? { RepositoryType: "ECR", ImageUri: fn.imageUri, ResolvedImageUri: `${String(fn.imageUri).replace(/:[^:/]+$/, "")}@sha256:${"0".repeat(64)}` }
              : { RepositoryType: "S3", Location: `https://awslambda-${w.region}-tasks.s3.${w.region}.amazonaws.com/snapshots/${w.account}/${name}?X-Amz-Signature=example` },
          },
        };
      }
      case "s3.ListBuckets": {
        const wanted = input.BucketRegion === undefined || w.listBucketsWithoutRegion ? undefined : String(input.BucketRegion);
        // S3: BucketRegion is only valid at that region's endpoint (ListBuckets API reference).
        if (wanted !== undefined && wanted !== region) throw new WireError(400, "InvalidArgument", "Requests made to a Regional endpoint that is different from the bucket-region parameter are not supported.");
        const names = Object.keys(w.buckets)
          .filter((name) => wanted === undefined || (w.buckets[name].region ?? w.region) === wanted)
          .sort();
        const { page, next } = this.page(names, input, "ContinuationToken", Number(input.MaxBuckets ?? 10000));
        const withRegion = !w.listBucketsWithoutRegion && Object.keys(input).length > 0;
        const ns = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
        const buckets = page
          .map((name) => `<Bucket><Name>${name}</Name><CreationDate>2025-03-01T00:00:00.000Z</CreationDate>${withRegion ? `<BucketRegion>${w.buckets[name].region ?? w.region}</BucketRegion>` : ""}</Bucket>`)
          .join("");
        return {
          xml: `<ListAllMyBucketsResult ${ns}><Buckets>${buckets}</Buckets><Owner><ID>${"a".repeat(64)}</ID></Owner>${next ? `<ContinuationToken>${next}</ContinuationToken>` : ""}</ListAllMyBucketsResult>`,
        };
      }
      case "s3.GetBucketLocation": {
        const bucket = w.buckets[String(input.Bucket)];
        if (!bucket) throw new WireError(404, "NoSuchBucket", "The specified bucket does not exist");
        const home = bucket.region ?? w.region;
        // us-east-1 is the empty LocationConstraint (GetBucketLocation API reference).
        return { xml: `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${home === "us-east-1" ? "" : home}</LocationConstraint>` };
      }
      case "s3.ListObjectsV2":
      case "s3.HeadObject":
      case "s3.GetBucketEncryption":
      case "s3.GetBucketVersioning":
      case "s3.GetPublicAccessBlock":
      case "s3.GetObject":
        return this.s3(operation, region, input, url);
      case "sts.GetCallerIdentity":
        return { xml: `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${w.caller.arn}</Arn><UserId>${w.caller.userId}</UserId><Account>${w.caller.account ?? w.account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>` };
      case "iam.GetUser":
      case "iam.GetRole": {
        const kind = operation === "GetUser" ? "User" : "Role";
        const name = String(input[`${kind}Name`]);
        if (!(kind === "User" ? w.users : w.roles).includes(name)) {
          throw new WireError(404, "NoSuchEntity", `The ${kind.toLowerCase()} with name ${name} cannot be found.`);
        }
        const arn = `arn:aws:iam::${w.account}:${kind.toLowerCase()}/${name}`;
        const extra = kind === "Role" ? `<AssumeRolePolicyDocument>%7B%7D</AssumeRolePolicyDocument><RoleId>AROA${name.length}EXAMPLE</RoleId>` : `<UserId>AIDA${name.length}EXAMPLE</UserId>`;
        return {
          xml: `<Get${kind}Response xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Get${kind}Result><${kind}><Path>/</Path><${kind}Name>${name}</${kind}Name><Arn>${arn}</Arn><CreateDate>2025-03-01T00:00:00Z</CreateDate>${extra}</${kind}></Get${kind}Result><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></Get${kind}Response>`,
        };
      }
      default:
        throw new WireError(400, "UnknownOperationException", `${service}.${operation} is not answered here`);
    }
  }

  /**
   * One page of `items` for a list API: `size` (capped by the world's page size) from the offset
   * the token carries. A token is valid only with the parameters it was issued for, as CloudTrail's.
   */
  private page<T>(items: readonly T[], input: Record<string, unknown>, tokenField: string, size: number): { page: T[]; next?: string } {
    const { [tokenField]: token, ...params } = input;
    const fingerprint = createHash("sha256").update(JSON.stringify(params)).digest("hex").slice(0, 16);
    let start = 0;
    if (token !== undefined) {
      const match = /^([0-9a-f]{16})\.(\d+)$/.exec(String(token));
      if (!match || match[1] !== fingerprint) throw new WireError(400, "InvalidNextTokenException", `Invalid ${tokenField}`);
      start = Number(match[2]);
    }
    const n = Math.min(size, this.world.listPageSize ?? size);
    const page = items.slice(start, start + n);
    return { page, ...(start + n < items.length ? { next: `${fingerprint}.${start + n}` } : {}) };
  }

  private versionsOf(secret: WireSecret): { id: string; stages: string[]; kmsKeyIds?: string[] }[] {
    return secret.versions ?? [{ id: "a1b2c3d4e5f60718293a4b5c6d7e8f90", stages: ["AWSCURRENT"] }];
  }

  /** A FunctionConfiguration as ListFunctions and GetFunction give it. */
  private functionConfiguration(name: string): Record<string, unknown> {
    const w = this.world;
    const fn = w.functions[name];
    const image = fn.packageType === "Image";
    return {
      FunctionName: name,
      FunctionArn: `arn:aws:lambda:${w.region}:${w.account}:function:${name}`,
      Role: `arn:aws:iam::${w.account}:role/${fn.role ?? "MavikLambdaRole"}`,
      PackageType: image ? "Image" : "Zip",
      ...(image ? {} : { Runtime: fn.runtime ?? "nodejs20.x", Handler: fn.handler ?? "index.handler" }),
      CodeSize: 1024,
      MemorySize: 128,
      Timeout: 3,
      LastModified: "2025-03-01T00:00:00.000+0000",
      Version: "$LATEST",
      ...(fn.kmsKeyArn ? { KMSKeyArn: fn.kmsKeyArn } : {}),
    };
  }

  /** LookupEvents over the window, newest first, paged; a NextToken is valid only with the parameters it came with. */
  private lookupEvents(input: Record<string, unknown>): Record<string, unknown> {
    const w = this.world;
    const { NextToken: token, ...params } = input;
    const fingerprint = createHash("sha256").update(JSON.stringify(params)).digest("hex").slice(0, 16);
    let start = 0;
    if (token !== undefined) {
      const match = /^([0-9a-f]{16})\.(\d+)$/.exec(String(token));
      if (!match || match[1] !== fingerprint) throw new WireError(400, "InvalidNextTokenException", "Invalid NextToken");
      start = Number(match[2]);
    }
    const attributes = (input.LookupAttributes as { AttributeKey: string; AttributeValue: string }[] | undefined) ?? [];
    const resource = attributes.find((a) => a.AttributeKey === "ResourceName")?.AttributeValue;
    const from = input.StartTime === undefined ? -Infinity : Number(input.StartTime) * 1000;
    const to = input.EndTime === undefined ? Infinity : Number(input.EndTime) * 1000;
    const matching = w.events
      .filter((e) => (resource === undefined || e.resource === resource) && e.time.getTime() >= from && e.time.getTime() <= to)
      .sort((a, b) => b.time.getTime() - a.time.getTime());
    const size = Math.min(Number(input.MaxResults ?? 50), w.eventsPageSize ?? 50);
    const page = matching.slice(start, start + size);
    return {
      Events: page.map((e, i) => ({
        EventId: `evt-${start + i}`,
        EventName: e.name,
        ReadOnly: /^(Describe|Get|List)/.test(e.name) ? "true" : "false",
        EventTime: e.time.getTime() / 1000,
        EventSource: "kms.amazonaws.com",
        Username: String(e.identity.userName ?? e.identity.arn ?? ""),
        Resources: [{ ResourceType: "AWS::KMS::Key", ResourceName: e.resource }],
        CloudTrailEvent: JSON.stringify({ eventVersion: "1.09", userIdentity: e.identity, eventTime: e.time.toISOString(), eventSource: "kms.amazonaws.com", eventName: e.name }),
      })),
      ...(start + size < matching.length ? { NextToken: `${fingerprint}.${start + size}` } : {}),
    };
  }

  private s3(operation: string, region: string, input: Record<string, unknown>, url: URL): Answer {
    const name = String(input.Bucket);
    const bucket = this.world.buckets[name];
    if (!bucket) throw new WireError(404, "NoSuchBucket", "The specified bucket does not exist", {});
    const home = bucket.region ?? this.world.region;
    if (home !== region) {
      throw new WireError(301, "PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.", {
        "x-amz-bucket-region": home,
      });
    }
    if (bucket.denied?.includes(operation)) throw new WireError(403, "AccessDenied", "Access Denied");
    const ns = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
    const headers = { "x-amz-bucket-region": home };
    switch (operation) {
      case "GetBucketEncryption": {
        const e = bucket.encryption;
        if (!e) throw new WireError(404, "ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found");
        return {
          headers,
          xml: `<ServerSideEncryptionConfiguration ${ns}><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>${e.algorithm}</SSEAlgorithm>${e.keyId ? `<KMSMasterKeyID>${e.keyId}</KMSMasterKeyID>` : ""}</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>${e.bucketKey ? "true" : "false"}</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`,
        };
      }
      case "GetBucketVersioning":
        return { headers, xml: `<VersioningConfiguration ${ns}>${bucket.versioning ? `<Status>${bucket.versioning}</Status>` : ""}</VersioningConfiguration>` };
      case "GetPublicAccessBlock": {
        const b = bucket.publicAccessBlock;
        if (!b) throw new WireError(404, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found");
        const fields = Object.entries(b).map(([k, v]) => `<${k}>${v}</${k}>`).join("");
        return { headers, xml: `<PublicAccessBlockConfiguration ${ns}>${fields}</PublicAccessBlockConfiguration>` };
      }
      case "ListObjectsV2": {
        const keys = Object.keys(bucket.objects ?? {}).sort();
        const { page, next } = this.page(keys, input, "ContinuationToken", Number(input.MaxKeys ?? 1000));
        const contents = page.map((k) => `<Contents><Key>${k}</Key><LastModified>2025-03-01T00:00:00.000Z</LastModified><ETag>&quot;e${k.length}&quot;</ETag><Size>${bucket.objects![k].length}</Size><StorageClass>STANDARD</StorageClass></Contents>`).join("");
        return {
          headers,
          xml: `<ListBucketResult ${ns}><Name>${name}</Name><Prefix></Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${Number(input.MaxKeys ?? 1000)}</MaxKeys><IsTruncated>${next ? "true" : "false"}</IsTruncated>${contents}${next ? `<NextContinuationToken>${next}</NextContinuationToken>` : ""}</ListBucketResult>`,
        };
      }
      case "HeadObject": {
        const object = bucket.objects?.[String(input.Key)];
        if (object === undefined) throw new WireError(404, "NotFound", "Not Found");
        // Since January 2023 every object is encrypted at rest: SSE-S3 unless it says otherwise.
        const e = bucket.objectEncryption?.[String(input.Key)] ?? { algorithm: "AES256" };
        return {
          headers: {
            ...headers,
            "content-length": String(object.length),
            etag: `"e${String(input.Key).length}"`,
            "last-modified": "Sat, 01 Mar 2025 00:00:00 GMT",
            "x-amz-server-side-encryption": e.algorithm,
            ...(e.keyId ? { "x-amz-server-side-encryption-aws-kms-key-id": e.keyId } : {}),
            ...(e.algorithm === "aws:kms" ? { "x-amz-server-side-encryption-bucket-key-enabled": "true" } : {}),
          },
          raw: "",
        };
      }
      default: {
        const object = bucket.objects?.[String(input.Key)];
        if (object === undefined) throw new WireError(404, "NoSuchKey", "The specified key does not exist.");
        void url;
        return { headers: { ...headers, "content-type": "application/json" }, raw: object };
      }
    }
  }

  private sendAnswer(res: http.ServerResponse, service: string, operation: string, answer: Answer): void {
    const id = requestId();
    if (answer.json !== undefined) {
      const type = service === "dynamodb" ? "application/x-amz-json-1.0" : service === "lambda" ? "application/json" : "application/x-amz-json-1.1";
      res.writeHead(200, { "content-type": type, "x-amzn-requestid": id, ...answer.headers }).end(JSON.stringify(answer.json));
    } else if (answer.xml !== undefined) {
      res.writeHead(200, { "content-type": "text/xml", "x-amz-request-id": id, "x-amzn-requestid": id, ...answer.headers }).end(`<?xml version="1.0" encoding="UTF-8"?>\n${answer.xml}`);
    } else {
      res.writeHead(200, { "x-amz-request-id": id, ...answer.headers }).end(answer.raw ?? "");
      void operation;
    }
  }

  /** An error as each protocol carries it. */
  private sendError(res: http.ServerResponse, service: string, error: WireError): void {
    const id = requestId();
    if (service === "s3") {
      res
        .writeHead(error.status, { "content-type": "application/xml", "x-amz-request-id": id, ...error.headers })
        .end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${error.message}</Message><RequestId>${id}</RequestId></Error>`);
    } else if (service === "sts" || service === "iam") {
      const ns = service === "sts" ? "https://sts.amazonaws.com/doc/2011-06-15/" : "https://iam.amazonaws.com/doc/2010-05-08/";
      res
        .writeHead(error.status, { "content-type": "text/xml", "x-amzn-requestid": id })
        .end(`<ErrorResponse xmlns="${ns}"><Error><Type>Sender</Type><Code>${error.code}</Code><Message>${error.message}</Message></Error><RequestId>${id}</RequestId></ErrorResponse>`);
    } else if (service === "lambda") {
      res.writeHead(error.status, { "content-type": "application/json", "x-amzn-errortype": `${error.code}:http://internal.amazon.com/coral/com.amazonaws.lambda.core/`, "x-amzn-requestid": id }).end(JSON.stringify({ Type: "User", Message: error.message }));
    } else {
      const type = service === "dynamodb" ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1";
      res.writeHead(error.status, { "content-type": type, "x-amzn-requestid": id }).end(JSON.stringify({ __type: error.code, message: error.message }));
    }
  }
}

interface Answer {
  readonly json?: unknown;
  readonly xml?: string;
  readonly raw?: string;
  readonly headers?: Record<string, string>;
}

/** Each protocol's throttling error. */
function throttling(service: string): WireError {
  if (service === "s3") return new WireError(503, "SlowDown", "Please reduce your request rate.");
  if (service === "lambda") return new WireError(429, "TooManyRequestsException", "Rate exceeded");
  if (service === "sts" || service === "iam") return new WireError(400, "Throttling", "Rate exceeded");
  if (service === "dynamodb") return new WireError(400, "com.amazonaws.dynamodb.v20120810#ThrottlingException", "Rate of requests exceeds the allowed throughput.");
  return new WireError(400, "ThrottlingException", "Rate exceeded");
}

/** The operation and its input, as each protocol puts them on the wire. */
function parseRequest(service: string, req: http.IncomingMessage, url: URL, body: string): { operation: string; input: Record<string, unknown> } {
  const target = req.headers["x-amz-target"];
  if (typeof target === "string") return { operation: target.slice(target.lastIndexOf(".") + 1), input: body ? JSON.parse(body) : {} };
  if (service === "sts" || service === "iam") {
    const form = Object.fromEntries(new URLSearchParams(body));
    const { Action, Version: _version, ...input } = form;
    return { operation: Action, input };
  }
  if (service === "lambda") {
    if (req.method === "GET" && /^\/2015-03-31\/functions\/?$/.test(url.pathname)) {
      const q = url.searchParams;
      return { operation: "ListFunctions", input: { ...(q.has("MaxItems") ? { MaxItems: Number(q.get("MaxItems")) } : {}), ...(q.has("Marker") ? { Marker: q.get("Marker") } : {}), ...(q.has("FunctionVersion") ? { FunctionVersion: q.get("FunctionVersion") } : {}) } };
    }
    const fn = /^\/2015-03-31\/functions\/([^/]+)$/.exec(url.pathname);
    if (fn && req.method === "GET") return { operation: "GetFunction", input: { FunctionName: decodeURIComponent(fn[1]) } };
    const match = /^\/2015-03-31\/functions\/([^/]+)\/configuration$/.exec(url.pathname);
    if (!match || req.method !== "GET") throw new Error(`lambda: ${req.method} ${url.pathname} is not answered here`);
    return { operation: "GetFunctionConfiguration", input: { FunctionName: decodeURIComponent(match[1]) } };
  }
  if (service === "s3") {
    // Virtual-hosted style (<bucket>.s3.<region>.amazonaws.com[.cn]), else path style (/<bucket>/<key>).
    const virtual = /^(.+?)\.s3[.-](?:[a-z0-9-]+\.)*amazonaws\.com(?:\.cn)?(?::\d+)?$/.exec(String(req.headers.host ?? ""));
    const parts = url.pathname.split("/").slice(1);
    const [bucket, ...key] = virtual ? [virtual[1], ...(url.pathname === "/" ? [] : parts)] : parts;
    const q = url.searchParams;
    if (req.method === "GET" && bucket === "" && q.get("x-id") === "ListBuckets") {
      const names: Record<string, string> = { "max-buckets": "MaxBuckets", "continuation-token": "ContinuationToken", prefix: "Prefix", "bucket-region": "BucketRegion" };
      return { operation: "ListBuckets", input: Object.fromEntries([...q].filter(([k]) => k in names).map(([k, v]) => [names[k], k === "max-buckets" ? Number(v) : v])) };
    }
    if (q.has("location")) return { operation: "GetBucketLocation", input: { Bucket: bucket } };
    if (req.method === "GET" && q.get("list-type") === "2") {
      const names: Record<string, string> = { "max-keys": "MaxKeys", "continuation-token": "ContinuationToken", prefix: "Prefix", "start-after": "StartAfter" };
      return { operation: "ListObjectsV2", input: { Bucket: bucket, ...Object.fromEntries([...q].filter(([k]) => k in names).map(([k, v]) => [names[k], k === "max-keys" ? Number(v) : v])) } };
    }
    if (req.method === "HEAD" && key.length > 0) return { operation: "HeadObject", input: { Bucket: bucket, Key: key.map(decodeURIComponent).join("/") } };
    if (q.has("encryption")) return { operation: "GetBucketEncryption", input: { Bucket: bucket } };
    if (q.has("versioning")) return { operation: "GetBucketVersioning", input: { Bucket: bucket } };
    if (q.has("publicAccessBlock")) return { operation: "GetPublicAccessBlock", input: { Bucket: bucket } };
    if (req.method === "GET" && key.length > 0) return { operation: "GetObject", input: { Bucket: bucket, Key: key.map(decodeURIComponent).join("/") } };
  }
  throw new Error(`${service}: ${req.method} ${url.pathname}${url.search} is not answered here`);
}

let requestCounter = 0;
const requestId = () => `req-${(++requestCounter).toString(16).padStart(8, "0")}`;

/** The part of an SDK client this file uses: its middleware stack. */
interface SdkClient {
  readonly middlewareStack: { add(middleware: unknown, options: Record<string, unknown>): void };
}

/**
 * Sends every request of `clients` (made without `endpoint`) to `wire`, after the SDK resolved the
 * endpoint AWS's rules give the client's region and signed the request: only the connection goes to
 * the wire; the Host header stays the resolved endpoint's, and the wire records it.
 */
export function routeThroughWire(clients: object, wire: AwsWire): void {
  const target = new URL(wire.url);
  for (const client of Object.values(clients) as SdkClient[]) {
    client.middlewareStack.add(
      (next: (args: { request: { protocol: string; hostname: string; port?: number } }) => Promise<unknown>) =>
        (args: { request: { protocol: string; hostname: string; port?: number } }) => {
          Object.assign(args.request, { protocol: target.protocol, hostname: target.hostname, port: Number(target.port) });
          return next(args);
        },
      { step: "finalizeRequest", priority: "low", name: "routeThroughWire" },
    );
  }
}
