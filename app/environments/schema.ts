import { z } from "zod";
import { EnvironmentsFile } from "./environment";

/**
 * The shape of `environments.json`: types and known fields only. The meaning of each value
 * (account digits, regions, aliases, ranges) is checked by the constructs, so a consumer who
 * builds them in code gets the same messages.
 */
const principal = z.union([z.string(), z.strictObject({ arn: z.string(), crossAccount: z.literal(true) })], {
  error: 'Expected "user/<name>", "role/<name>", an IAM ARN, or { "arn": "<ARN>", "crossAccount": true }.',
});
const oneOrMany = z.union([z.string(), z.array(z.string())], { error: "Expected a string or a list of strings." });

const statementPrincipal = z
  .union([z.literal("*"), z.strictObject({ AWS: oneOrMany.optional(), Service: oneOrMany.optional() })], {
    error: 'Expected "*" or { "AWS": ..., "Service": ... }.',
  })
  .optional();
const conditionValue = z.union([z.string(), z.number(), z.boolean()]);
const statement = z.strictObject({
  Sid: z.string().optional(),
  Effect: z.enum(["Allow", "Deny"]),
  Principal: statementPrincipal,
  NotPrincipal: statementPrincipal,
  Action: oneOrMany.optional(),
  NotAction: oneOrMany.optional(),
  Resource: oneOrMany.optional(),
  NotResource: oneOrMany.optional(),
  // IAM's grammar: a condition value is a string, a number or a Boolean.
  Condition: z.record(z.string(), z.record(z.string(), z.union([conditionValue, z.array(conditionValue)]))).optional(),
});

const state = z.strictObject({
  bucket: z.string(),
  region: z.string(),
  keyPrefix: z.string().optional(),
  encrypt: z.boolean().optional(),
  kmsKeyId: z.string().optional(),
  locking: z.discriminatedUnion(
    "type",
    [z.strictObject({ type: z.literal("lockfile") }), z.strictObject({ type: z.literal("dynamodb"), table: z.string() })],
    { error: 'Expected { "type": "lockfile" } or { "type": "dynamodb", "table": "<table>" }.' },
  ),
});

const keyType = z.enum(["S", "N", "B"]);
const resources = z.strictObject({
  buckets: z.array(z.strictObject({ name: z.string(), existing: z.boolean().optional() })).optional(),
  tables: z
    .array(
      z.strictObject({
        name: z.string(),
        existing: z.boolean().optional(),
        hashKey: z.string(),
        hashKeyType: keyType.optional(),
        rangeKey: z.string().optional(),
        rangeKeyType: keyType.optional(),
      }),
    )
    .optional(),
  secrets: z.array(z.strictObject({ name: z.string(), arn: z.string().optional() })).optional(),
  functions: z
    .array(
      z.strictObject({
        name: z.string(),
        role: z.string(),
        existing: z.boolean().optional(),
        code: z.union([z.strictObject({ s3Bucket: z.string(), s3Key: z.string() }), z.strictObject({ imageUri: z.string() })], {
          error: 'Expected { "s3Bucket": "...", "s3Key": "..." } or { "imageUri": "..." }.',
        }),
        runtime: z.string().optional(),
        handler: z.string().optional(),
      }),
    )
    .optional(),
});

const audit = z.strictObject({
  alerts: z
    .strictObject({
      subscriptions: z
        .array(z.strictObject({ protocol: z.enum(["email", "email-json", "https", "sqs", "lambda", "sms"]), endpoint: z.string() }))
        .optional(),
      encryptTopic: z.boolean().optional(),
    })
    .optional(),
  configRule: z.boolean().optional(),
  dashboard: z.boolean().optional(),
  cloudTrailLogGroup: z.string().optional(),
  decryptAlarm: z.strictObject({ threshold: z.number(), periodMinutes: z.number().optional() }).optional(),
  // AWS Config coverage rules (modules/audit/coverage.ts, docs/coverage.md): `{}` turns them on.
  coverage: z
    .strictObject({
      exemptions: z.array(z.strictObject({ type: z.enum(["bucket", "table", "secret", "function"]), name: z.string(), reason: z.string() })).optional(),
    })
    .optional(),
});

// An IAM role name: letters, digits and +=,.@_- (IAM's rule), after an optional path.
const ROLE_NAME = String.raw`([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}`;
const roleRef = z.string().regex(new RegExp(`^(role\\/${ROLE_NAME}|arn:aws[a-z-]*:iam::\\d{12}:role\\/${ROLE_NAME})$`), {
  error: 'Expected "role/<name>" or an IAM role ARN (arn:aws:iam::<account>:role/<name>).',
});
const roles = z.strictObject({ plan: roleRef.optional(), deploy: roleRef.optional(), audit: roleRef.optional() });

const bootstrap = z.strictObject({
  repository: z.string(),
  defaultBranch: z.string().optional(),
  existingOidcProviders: z.array(z.string()).optional(),
  noncurrentVersionExpirationDays: z.number().optional(),
});

const environment = z.strictObject({
  name: z.string(),
  accountId: z.string(),
  region: z.string(),
  alias: z.string().optional(),
  description: z.string().optional(),
  existingKeyId: z.string().optional(),
  deletionWindowInDays: z.number().optional(),
  rotationPeriodInDays: z.number().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  policyId: z.string().optional(),
  enableIamUserPermissions: z.boolean().optional(),
  administrators: z.array(principal),
  users: z.array(principal),
  services: z.array(z.string()),
  deployer: principal.optional(),
  additionalStatements: z.array(statement).optional(),
  serviceAccess: z.enum(["service-principals", "via-service"]).optional(),
  allowDestroy: z.boolean().optional(),
  state,
  resources: resources.optional(),
  audit: audit.optional(),
  roles: roles.optional(),
});

export const environmentsFileSchema = z.strictObject({
  $schema: z.string().optional(),
  environments: z.array(environment),
  bootstrap: bootstrap.optional(),
}) satisfies z.ZodType<EnvironmentsFile>;
