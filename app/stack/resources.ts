import { DataKey, importInto, invalid, missing, terraformName, validateBucketName, validateTableName } from "../../modules/index";
import { Construct, DynamodbTable, LambdaFunction, S3Bucket, SecretsmanagerSecret } from "../platform";

/** A bucket of the environment. An existing one gets only its encryption configuration. */
export interface BucketConfig {
  readonly name: string;
  /** @default false - the stack creates the bucket */
  readonly existing?: boolean;
}

/** A DynamoDB table; an existing one is adopted with an `import` block, so its keys must match. */
export interface TableConfig {
  readonly name: string;
  /** @default false */
  readonly existing?: boolean;
  readonly hashKey: string;
  /** @default "S" */
  readonly hashKeyType?: "S" | "N" | "B";
  /** @default - no range key */
  readonly rangeKey?: string;
  /** @default "S" */
  readonly rangeKeyType?: "S" | "N" | "B";
}

/** A secret; with `arn` it exists and is adopted by that ARN. */
export interface SecretConfig {
  readonly name: string;
  /** The ARN of an existing secret, in the environment's account and region. @default - a new secret */
  readonly arn?: string;
}

/** Where a function's code is: a deployment package in S3, or a container image. */
export type FunctionCode = { readonly s3Bucket: string; readonly s3Key: string } | { readonly imageUri: string };

/**
 * A Lambda function whose environment variables the key encrypts. Its code belongs to its own
 * pipeline: `code`, `runtime` and `handler` are used when the function is created and ignored
 * afterwards, so Terraform changes nothing of an existing function but the key.
 */
export interface FunctionConfig {
  /** The function's name, or its ARN in the environment's account and region. */
  readonly name: string;
  /** The execution role: `role/<name>` or its ARN. */
  readonly role: string;
  /** @default false - the stack creates the function */
  readonly existing?: boolean;
  readonly code: FunctionCode;
  /** Required with an S3 package, e.g. `nodejs20.x`. */
  readonly runtime?: string;
  /** Required with an S3 package, e.g. `index.handler`. */
  readonly handler?: string;
}

/** The SSOT resources of an environment (seed §2.2). */
export interface ResourcesConfig {
  readonly buckets?: BucketConfig[];
  readonly tables?: TableConfig[];
  readonly secrets?: SecretConfig[];
  readonly functions?: FunctionConfig[];
}

export interface ResourceContext {
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
}

/**
 * Creates or adopts the environment's resources and binds each to the key. Terraform names
 * follow the AWS names (`aws_dynamodb_table.<name>`); two names that would share one Terraform
 * name are an error rather than a silent merge.
 */
export function bindConfiguredResources(scope: Construct, key: DataKey, config: ResourcesConfig, context: ResourceContext): void {
  const names = new Map<string, { name: string; prop: string }>();
  const claim = (prop: string, type: string, name: string): string => {
    const tfName = terraformName(name);
    const other = names.get(`${type}.${tfName}`);
    if (other?.name === name) invalid(prop, name, `It is listed twice; ${other.prop} names it already.`);
    if (other !== undefined) {
      invalid(prop, name, `Its Terraform name ${type}.${tfName} is taken by ${JSON.stringify(other.name)} (${other.prop}); rename one of them.`);
    }
    names.set(`${type}.${tfName}`, { name, prop });
    return tfName;
  };

  (config.buckets ?? []).forEach((b, i) => {
    const prop = `resources.buckets[${i}].name`;
    validateBucketName(prop, b.name);
    claim(prop, "aws_s3_bucket", b.name);
    if (b.existing) {
      key.encryptBucket(b.name, { existing: true });
      return;
    }
    const bucket = new S3Bucket(scope, `bucket-${b.name}`, { bucket: b.name });
    bucket.overrideLogicalId(terraformName(b.name));
    key.encryptBucket(bucket);
  });

  (config.tables ?? []).forEach((t, i) => {
    const prop = `resources.tables[${i}]`;
    validateTableName(`${prop}.name`, t.name);
    const tfName = claim(`${prop}.name`, "aws_dynamodb_table", t.name);
    if (t.rangeKey !== undefined && t.rangeKey === t.hashKey) {
      invalid(`${prop}.rangeKey`, t.rangeKey, "The sort (range) key is another attribute than the partition (hash) key; leave rangeKey out for a table keyed by the hash key alone.");
    }
    const attributes = [{ name: t.hashKey, type: t.hashKeyType ?? "S" }];
    if (t.rangeKey !== undefined) attributes.push({ name: t.rangeKey, type: t.rangeKeyType ?? "S" });
    const table = new DynamodbTable(scope, `table-${t.name}`, {
      name: t.name,
      billingMode: "PAY_PER_REQUEST",
      hashKey: t.hashKey,
      rangeKey: t.rangeKey,
      attribute: attributes,
    });
    table.overrideLogicalId(tfName);
    if (t.existing) importInto(table, t.name);
    key.encryptTable(table, { existing: t.existing });
  });

  (config.secrets ?? []).forEach((s, i) => {
    const prop = `resources.secrets[${i}]`;
    if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(s.name)) {
      invalid(`${prop}.name`, s.name, "A secret name has 1 to 512 letters, digits and /_+=.@- characters.");
    }
    if (s.arn !== undefined) validateArn(`${prop}.arn`, s.arn, "secretsmanager", `secret:${escape(s.name)}-[A-Za-z0-9]{6}`, context, `secret:${s.name}-AbCdEf`);
    const tfName = claim(`${prop}.name`, "aws_secretsmanager_secret", s.name);
    const secret = new SecretsmanagerSecret(scope, `secret-${s.name}`, { name: s.name });
    secret.overrideLogicalId(tfName);
    if (s.arn !== undefined) importInto(secret, s.arn);
    key.encryptSecret(secret, { existing: s.arn !== undefined });
  });

  (config.functions ?? []).forEach((f, i) => {
    const prop = `resources.functions[${i}]`;
    const name = f.name.startsWith("arn:")
      ? validateArn(`${prop}.name`, f.name, "lambda", "function:([A-Za-z0-9_-]{1,64})", context, "function:<name>")
      : f.name;
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) invalid(`${prop}.name`, f.name, "A function name has 1 to 64 letters, digits, _ and -, or is the function's ARN.");
    const role = f.role.startsWith("arn:") ? f.role : `arn:${context.partition}:iam::${context.accountId}:${f.role}`;
    if (!new RegExp(`^arn:${context.partition}:iam::\\d{12}:role/[A-Za-z0-9+=,.@_/-]+$`).test(role)) {
      invalid(`${prop}.role`, f.role, 'The execution role is "role/<name>" or an IAM role ARN.');
    }
    if (role.split(":")[4] !== context.accountId) {
      invalid(`${prop}.role`, f.role, `The execution role is in account ${role.split(":")[4]}; Lambda takes a role of the function's own account (${context.accountId}).`);
    }
    const image = "imageUri" in f.code ? f.code.imageUri : undefined;
    if (image === undefined) {
      validateBucketName(`${prop}.code.s3Bucket`, (f.code as { s3Bucket: string }).s3Bucket);
      if (!f.runtime) missing(`${prop}.runtime`, 'A function packaged in S3 needs a runtime such as "nodejs20.x".');
      if (!f.handler) missing(`${prop}.handler`, 'A function packaged in S3 needs a handler such as "index.handler".');
    }
    const tfName = claim(`${prop}.name`, "aws_lambda_function", name);
    const fn = new LambdaFunction(scope, `function-${name}`, {
      functionName: name,
      role,
      ...(image !== undefined
        ? { packageType: "Image", imageUri: image }
        : { s3Bucket: (f.code as { s3Bucket: string }).s3Bucket, s3Key: (f.code as { s3Key: string }).s3Key, runtime: f.runtime, handler: f.handler }),
      // The code belongs to the function's own pipeline; Terraform manages the key.
      lifecycle: { ignoreChanges: CODE_ATTRIBUTES },
    });
    fn.overrideLogicalId(tfName);
    if (f.existing) importInto(fn, name);
    key.encryptFunction(fn, { existing: f.existing });
  });
}

/** What a function's own pipeline changes; Terraform leaves these alone once the function exists. */
const CODE_ATTRIBUTES = [
  "filename",
  "image_uri",
  "s3_bucket",
  "s3_key",
  "s3_object_version",
  "source_code_hash",
  "handler",
  "runtime",
  "environment",
  "layers",
  "memory_size",
  "timeout",
  "tags",
];

/** Checks an ARN's shape, account and region; returns the first capture of `resource`, if any. */
function validateArn(prop: string, arn: string, service: string, resource: string, context: ResourceContext, example: string): string {
  const match = new RegExp(`^arn:([a-z-]+):${service}:([a-z0-9-]+):(\\d{12}):${resource}$`).exec(arn);
  if (!match) invalid(prop, arn, `Expected arn:${context.partition}:${service}:${context.region}:${context.accountId}:${example}.`);
  const [, partition, region, account, captured] = match;
  if (partition !== context.partition || region !== context.region || account !== context.accountId) {
    invalid(prop, arn, `It is in ${account}, ${region}; the environment is ${context.accountId}, ${context.region}.`);
  }
  return captured;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
