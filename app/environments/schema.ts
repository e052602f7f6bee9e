import { z } from "zod";
import { EnvironmentConfig, EnvironmentsFile } from "./environment";

/**
 * The shape of `environments.json`: types and known fields only. The meaning of each value
 * (account digits, regions, aliases, ranges) is checked by the constructs, so a consumer who
 * builds them in code gets the same messages.
 *
 * Every field says what it is, what is allowed and its default with `.describe()`: the
 * configuration reference (docs/configuration.md, `npm run docs`) is generated from these
 * descriptions, and a test fails when the page and the schema drift apart. Keep them one
 * sentence or two, in markdown, without `|`.
 */
const principal = z.union([z.string(), z.strictObject({ arn: z.string(), crossAccount: z.literal(true) })], {
  error: 'Expected "user/<name>", "role/<name>", an IAM ARN, or { "arn": "<ARN>", "crossAccount": true }.',
});
const PRINCIPAL_FORMS = '`"user/<name>"`, `"role/<name>"`, an IAM ARN in the environment\'s account, or `{ "arn": "…", "crossAccount": true }` for another account\'s';
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

const state = z
  .strictObject({
    bucket: z.string().describe("The state bucket (S3 bucket naming rules). `npm run bootstrap` creates it (docs/deploy.md)."),
    region: z.string().describe("The state bucket's region; the lock table's too."),
    keyPrefix: z
      .string()
      .optional()
      .describe("The state object is `<keyPrefix>/<name>/terraform.tfstate`. `/`-separated parts, no `.` or `..`. Default `mavik-data-key`."),
    encrypt: z.boolean().optional().describe("Server-side encryption of the state object. Default `true`."),
    kmsKeyId: z.string().optional().describe("A KMS key for the state object. Default: the bucket's default encryption."),
    locking: z
      .discriminatedUnion("type", [z.strictObject({ type: z.literal("lockfile") }), z.strictObject({ type: z.literal("dynamodb"), table: z.string() })], {
        error: 'Expected { "type": "lockfile" } or { "type": "dynamodb", "table": "<table>" }.',
      })
      .describe(
        '`{ "type": "lockfile" }` (S3 conditional writes, Terraform 1.10+) or `{ "type": "dynamodb", "table": "…" }` (deprecated by Terraform 1.11, which warns on every init).',
      ),
  })
  .describe("Where Terraform keeps this environment's state: an S3 backend, one object per environment.");

const keyType = z.enum(["S", "N", "B"]);
const resources = z
  .strictObject({
    buckets: z
      .array(
        z.strictObject({
          name: z.string().describe("The bucket's name (S3 bucket naming rules)."),
          existing: z
            .boolean()
            .optional()
            .describe("`true`: the bucket exists; the stack adds only its encryption configuration (no import), and only objects written afterwards use the key. Default `false`: the stack creates it."),
        }),
      )
      .optional()
      .describe("S3 buckets: `aws:kms` default encryption with the key ARN and an S3 Bucket Key."),
    tables: z
      .array(
        z.strictObject({
          name: z.string().describe("The table's name (DynamoDB naming rules)."),
          existing: z.boolean().optional().describe("`true`: adopted with an `import` block by name; its keys must match the live table. Default `false`."),
          hashKey: z.string().describe("The partition key's attribute name."),
          hashKeyType: keyType.optional().describe("`S`, `N` or `B`. Default `S`."),
          rangeKey: z.string().optional().describe("The sort key's attribute name, not the hash key's. Default: none."),
          rangeKeyType: keyType.optional().describe("`S`, `N` or `B`. Default `S`."),
        }),
      )
      .optional()
      .describe("DynamoDB tables: server-side encryption with the key ARN (never the alias ARN, which diffs on every plan); no `replica` blocks."),
    secrets: z
      .array(
        z.strictObject({
          name: z.string().describe("The secret's name."),
          arn: z
            .string()
            .optional()
            .describe("An existing secret's full ARN (with its six-character suffix), in the environment's account and region: adopted by `import`. Its existing versions stay under their old key. Default: a new secret."),
        }),
      )
      .optional()
      .describe("Secrets Manager secrets: `kms_key_id` = the key ARN; no secret version is written."),
    functions: z
      .array(
        z.strictObject({
          name: z.string().describe("The function's name, or its ARN in the environment's account and region."),
          role: z.string().describe("The execution role: `role/<name>` or a role ARN of the environment's account."),
          existing: z.boolean().optional().describe("`true`: adopted with an `import` block by name. Default `false`: the stack creates it."),
          code: z
            .union([z.strictObject({ s3Bucket: z.string(), s3Key: z.string() }), z.strictObject({ imageUri: z.string() })], {
              error: 'Expected { "s3Bucket": "...", "s3Key": "..." } or { "imageUri": "..." }.',
            })
            .describe('`{ "s3Bucket", "s3Key" }` or `{ "imageUri" }`. Used when the function is created, ignored afterwards: the stack changes only the key.'),
          runtime: z.string().optional().describe("Such as `nodejs20.x`; required with an S3 package."),
          handler: z.string().optional().describe("Such as `index.handler`; required with an S3 package."),
        }),
      )
      .optional()
      .describe("Lambda functions: `kms_key_arn` = the key ARN, for their environment variables."),
  })
  .describe("The environment's buckets, tables, secrets and functions, new or existing, each bound to the key (docs/configuration.md, \"Resources\"). Default: none.");

const audit = z
  .strictObject({
    alerts: z
      .strictObject({
        subscriptions: z
          .array(
            z.strictObject({
              protocol: z.enum(["email", "email-json", "https", "sqs", "lambda", "sms"]).describe("`email`, `email-json`, `https`, `sqs`, `lambda` or `sms`."),
              endpoint: z.string().describe("An address, URL or ARN of the protocol's kind, checked at synth. E-mail recipients must confirm."),
            }),
          )
          .optional()
          .describe("Who is told. Default: none."),
        encryptTopic: z.boolean().optional().describe("Encrypt the alerts topic with the data key (and let EventBridge use it for the delivery). Default `true`."),
      })
      .optional()
      .describe("An EventBridge rule on the key's destructive CloudTrail events (DisableKey, ScheduleKeyDeletion, PutKeyPolicy, …) notifying an SNS topic. Default: none."),
    configRule: z.boolean().optional().describe("The AWS Config managed rule `CMK_BACKING_KEY_ROTATION_ENABLED` (needs a Config recorder). Default `false`."),
    dashboard: z.boolean().optional().describe("A CloudWatch dashboard of the key's use, alerts and compliance (docs/audit.md). Default `false`."),
    cloudTrailLogGroup: z
      .string()
      .optional()
      .describe("The CloudWatch Logs group a CloudTrail trail delivers to: metric filters there count this key's requests. Default: account-wide counts only."),
    decryptAlarm: z
      .strictObject({
        threshold: z.number().describe("More than this many Decrypt calls in the period raise the alarm; at least 1."),
        periodMinutes: z.number().optional().describe("1 to 1440. Default 5."),
      })
      .optional()
      .describe("An alarm on unusual Decrypt volume, notifying the alerts topic (so `alerts` is required). Default: none."),
    coverage: z
      .strictObject({
        exemptions: z
          .array(
            z.strictObject({
              type: z.enum(["bucket", "table", "secret", "function"]).describe("`bucket`, `table`, `secret` or `function`."),
              name: z.string().describe("The resource's name (a secret by its full ARN), as `verify --discover` prints it."),
              reason: z.string().describe("Why it is not on the key; at least 10 characters."),
            }),
          )
          .optional()
          .describe("Resources that must not use the key, each by name with its reason. Default: none."),
      })
      .optional()
      .describe("AWS Config rules holding every bucket, table, secret and function of the account and region to the key; `{}` turns them on (docs/coverage.md). Default: off."),
  })
  .describe("Alerts, AWS Config rules, a dashboard and an alarm for the key (docs/audit.md). Default: none.");

// An IAM role name: letters, digits and +=,.@_- (IAM's rule), after an optional path.
const ROLE_NAME = String.raw`([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}`;
const roleRef = z.string().regex(new RegExp(`^(role\\/${ROLE_NAME}|arn:aws[a-z-]*:iam::\\d{12}:role\\/${ROLE_NAME})$`), {
  error: 'Expected "role/<name>" or an IAM role ARN (arn:aws:iam::<account>:role/<name>).',
});
const roleOf = (kind: string, what: string) =>
  roleRef
    .optional()
    .describe(`The role ${what} assume${what.endsWith("s") ? "" : "s"}: \`"role/<name>"\` or a role ARN of the environment's account. Default: the bootstrap's \`mavik-data-key-<name>-${kind}\`.`);
const roles = z
  .strictObject({
    plan: roleOf("plan", "pull-request plans"),
    deploy: roleOf("deploy", "the deploy"),
    audit: roleOf("audit", "the scheduled audit"),
  })
  .describe("The roles the workflows assume for this environment through GitHub's OIDC; a role named here is your own, which the bootstrap does not create (docs/deploy.md). Default: the bootstrap's.");

const bootstrap = z
  .strictObject({
    repository: z.string().describe('The GitHub repository whose workflows may assume the roles, `"<owner>/<name>"`.'),
    defaultBranch: z.string().optional().describe("Where deploys and the scheduled audit run. Default `main`."),
    existingOidcProviders: z
      .array(z.string())
      .optional()
      .describe("Accounts that already have GitHub's OIDC provider: the bootstrap adopts it with an `import` block (IAM refuses a second one). Default: none."),
    noncurrentVersionExpirationDays: z
      .number()
      .optional()
      .describe("1 to 3650: the state bucket deletes noncurrent versions after that many days, and the delete markers each lock leaves. Default: kept forever."),
  })
  .describe("What `npm run bootstrap` needs beyond the environments (docs/deploy.md). Default: none; the bootstrap then says what it needs.");

const environment = z
  .strictObject({
    name: z.string().describe("The stack name and part of the state key: `[a-z][a-z0-9-]*`, at most 32 characters."),
    accountId: z.string().describe("The AWS account, 12 digits. The provider refuses credentials of any other (`allowed_account_ids`)."),
    region: z.string().describe("A region of an AWS partition, such as `us-east-1` (the AWS SDK's endpoint data, with \"did you mean\")."),
    alias: z
      .string()
      .optional()
      .describe("`alias/…`, not under `alias/aws/`, of `[A-Za-z0-9/_-]`, at most 256 characters; one per account and region. Default `alias/mavik-data-kms-key`."),
    description: z
      .string()
      .optional()
      .describe('The key\'s description, at most 8,192 characters. Default `"Mavik SSOT data key: Secrets Manager, S3, DynamoDB and Lambda data"`.'),
    existingKeyId: z
      .string()
      .optional()
      .describe("Adopt this existing key (a UUID or `mrk-…`) and its alias through `import` blocks instead of creating one. Default: create a key."),
    deletionWindowInDays: z.number().optional().describe("7 to 30. Default 30."),
    rotationPeriodInDays: z.number().optional().describe("Automatic rotation every so many days, 90 to 2560. Default 365."),
    tags: z
      .record(z.string(), z.string())
      .optional()
      .describe("At most 50; keys of 1 to 128 and values of up to 256 letters, digits, spaces and `_ . : / = + - @`; no key starting `aws:`. Default: none."),
    policyId: z.string().optional().describe("The key policy's `Id`. Default `key-consolepolicy-3`."),
    enableIamUserPermissions: z
      .boolean()
      .optional()
      .describe("The root statement (`kms:*` for the account, which delegates to IAM policies). Default `true`; without it, name the `deployer`."),
    administrators: z.array(principal).describe(`Key administrators, at least one: ${PRINCIPAL_FORMS}; not the account root (the root statement covers it).`),
    users: z.array(principal).describe("Key users (encrypt, decrypt, grants for AWS resources), at least one, in the same forms as `administrators`."),
    services: z
      .array(z.string())
      .describe("Service principals such as `s3.amazonaws.com`, at least one; one no known service has is a warning."),
    deployer: principal
      .optional()
      .describe(
        "The principal that deploys, which the `lockout` rule checks as AWS's safety check would. Default: any principal of the account through its IAM policies, which needs the root statement.",
      ),
    additionalStatements: z
      .array(statement)
      .optional()
      .describe("More key policy statements, in IAM's JSON grammar, checked by every policy rule (docs/key-policy.md). Default: none."),
    serviceAccess: z
      .enum(["service-principals", "via-service"])
      .optional()
      .describe(
        '`"service-principals"` (the seed\'s statement, default) or `"via-service"`: principals of the account may use the key only through the listed services (`kms:ViaService`, `kms:CallerAccount`), as AWS managed keys do.',
      ),
    allowDestroy: z.boolean().optional().describe("**Lifts `prevent_destroy` from the key**: throwaway environments only. Default `false`."),
    state,
    resources: resources.optional(),
    audit: audit.optional(),
    roles: roles.optional(),
  })
  .describe("One environment: one stack, one key, one state object.") satisfies z.ZodType<EnvironmentConfig>;

export const environmentsFileSchema = z
  .strictObject({
    $schema: z.string().optional().describe("Ignored: room for an editor's schema reference."),
    environments: z.array(environment).describe("The environments, at least one; each becomes a stack of the same name."),
    bootstrap: bootstrap.optional(),
  })
  .describe("The environments file, `environments.json` (or `MAVIK_CONFIG`).") satisfies z.ZodType<EnvironmentsFile>;
