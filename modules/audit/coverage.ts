/**
 * Continuous coverage (seed §1, §5.3, §6 "audit key usage regularly via AWS Config"): AWS Config
 * rules that hold every bucket, table, secret and function of the account and region to the data
 * key, not only those a stack binds.
 *
 * | rule | AWS Config source | resource type |
 * |---|---|---|
 * | `<name>-coverage-s3` | managed `S3_DEFAULT_ENCRYPTION_KMS`, `kmsKeyArns` = the key ARN | `AWS::S3::Bucket` |
 * | `<name>-coverage-dynamodb` | managed `DYNAMODB_TABLE_ENCRYPTED_KMS`, `kmsKeyArns` = the key ARN | `AWS::DynamoDB::Table` |
 * | `<name>-coverage-secretsmanager` | managed `SECRETSMANAGER_USING_CMK`, `kmsKeyArns` = the key ARN | `AWS::SecretsManager::Secret` |
 * | `<name>-coverage-lambda` | custom policy rule (Guard), {@link lambdaCoveragePolicy} | `AWS::Lambda::Function` |
 *
 * The parameter names, resource types and triggers are those of the AWS Config developer guide's
 * pages for each managed rule (s3-default-encryption-kms, dynamodb-table-encrypted-kms,
 * secretsmanager-using-cmk). No managed rule checks a function's `KMSKeyArn`
 * (lambda-function-settings-check looks at runtime, role, timeout and memory only), so the Lambda
 * rule is a custom policy rule in Guard: declarative, no function to run.
 *
 * Scope: every resource of the four types in the account and region, never a tag filter, so a
 * resource created by hand is evaluated the day it appears. Resources that must not use the key
 * (an S3 server access log target bucket, which S3 allows to use SSE-S3 only) are exempted by
 * name with a reason: AWS Config still shows them NON_COMPLIANT (they are not on the key, and
 * Config rules have no exclusion list), but their compliance changes do not reach the alerts topic
 * ({@link coverageEventPattern}), and `verify --discover` lists them as exempted with the reason.
 * A new resource is never covered by an exemption: exemptions name resources, not patterns.
 *
 * What the rules assume and do not see is written down in docs/coverage.md.
 */
import { terraformName } from "../bindings/binding";
import { invalid } from "../common/errors";
import { isToken, validateBucketName, validateTableName } from "../common/validate";

/** The kinds of resource the coverage rules hold to the key, as environments.json names them. */
export type CoveredType = "bucket" | "table" | "secret" | "function";

/** A resource of the account that must not use the data key, and why. */
export interface CoverageExemption {
  /** `bucket`, `table`, `secret` or `function`. */
  readonly type: CoveredType;
  /**
   * The bucket name, the table name, the function name (or its ARN), or the secret's full ARN
   * (with its six-character suffix, as `verify --discover` prints it). The notification leaves out
   * both the name and the ARN, whichever Config uses as the resource id; a secret's ARN cannot be
   * derived from its name, hence the ARN. In the environment's account and region.
   */
  readonly name: string;
  /** Why it may not use the key, in words: at least 10 characters. */
  readonly reason: string;
}

/** Options of the coverage rules. */
export interface CoverageProps {
  /**
   * Resources that must not use the data key (an access-log bucket). They stay NON_COMPLIANT in
   * AWS Config; their compliance changes are not sent to the alerts topic.
   * @default []
   */
  readonly exemptions?: CoverageExemption[];
}

/** One coverage rule: what it evaluates and with which AWS Config source. */
export interface CoverageRule {
  /** The environments.json word for the resources it evaluates. */
  readonly type: CoveredType;
  /** The AWS Config resource type, the rule's whole scope. */
  readonly resourceType: string;
  /** The managed rule's identifier, or `CUSTOM_POLICY` for the Guard rule. */
  readonly source: string;
  /** The suffix of its name and Terraform name: `<name>-coverage-<suffix>`. */
  readonly suffix: "s3" | "dynamodb" | "secretsmanager" | "lambda";
}

/** The four rules, in the seed's order of services. */
export const COVERAGE_RULES: readonly CoverageRule[] = [
  { type: "bucket", resourceType: "AWS::S3::Bucket", source: "S3_DEFAULT_ENCRYPTION_KMS", suffix: "s3" },
  { type: "table", resourceType: "AWS::DynamoDB::Table", source: "DYNAMODB_TABLE_ENCRYPTED_KMS", suffix: "dynamodb" },
  { type: "secret", resourceType: "AWS::SecretsManager::Secret", source: "SECRETSMANAGER_USING_CMK", suffix: "secretsmanager" },
  { type: "function", resourceType: "AWS::Lambda::Function", source: "CUSTOM_POLICY", suffix: "lambda" },
];

/** The AWS Config rule name of a coverage rule of the audit `name`. */
export const coverageRuleName = (name: string, rule: CoverageRule) => `${name}-coverage-${rule.suffix}`;

/**
 * The Guard policy of the Lambda rule (AWS Config custom policy rule, runtime `guard-2.x.x`): a
 * function's configuration item names the data key for its environment variables.
 *
 * AWS Config's resource schema for AWS::Lambda::Function (awslabs/aws-config-resource-schema,
 * `AWS::Lambda::Function.properties.json`) spells the field `configuration.kmskeyArn`; the Lambda
 * API spells it `KMSKeyArn`. Both spellings are accepted, so a change of spelling by Config
 * cannot make every function pass or fail silently: a function without the key has neither, and
 * a clause on a missing field fails in Guard, so it is NON_COMPLIANT.
 */
export function lambdaCoveragePolicy(keyArn: string): string {
  return [
    'rule data_key_lambda_environment when resourceType == "AWS::Lambda::Function" {',
    `    configuration.kmskeyArn == "${keyArn}" or`,
    `    configuration.kmsKeyArn == "${keyArn}"`,
    "}",
    "",
  ].join("\n");
}

/** Where the exemptions are: the environment's account, region and partition. */
export interface CoverageContext {
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
}

/**
 * The identifiers AWS Config may give an exempted resource (its name and its ARN), per rule
 * type. Checks each exemption; `prop` names where they came from.
 */
export function exemptionIds(prop: string, exemptions: readonly CoverageExemption[], context: CoverageContext): Map<CoveredType, string[]> {
  if (!Array.isArray(exemptions)) invalid(prop, exemptions, 'A list of { "type", "name", "reason" }.');
  const ids = new Map<CoveredType, string[]>();
  const seen = new Set<string>();
  exemptions.forEach((e, i) => {
    const at = `${prop}[${i}]`;
    const rule = COVERAGE_RULES.find((r) => r.type === e?.type);
    if (rule === undefined) invalid(`${at}.type`, e?.type, `Allowed: ${COVERAGE_RULES.map((r) => r.type).join(", ")}.`);
    if (typeof e.reason !== "string" || e.reason.trim().length < 10) {
      invalid(`${at}.reason`, e.reason, "An exemption states its reason in words, at least 10 characters.");
    }
    const [name, arn] = identify(`${at}.name`, e.type, e.name, context);
    if (seen.has(`${e.type} ${name}`)) invalid(`${at}.name`, e.name, `The ${e.type} is exempted once; an earlier exemption names it already.`);
    seen.add(`${e.type} ${name}`);
    ids.set(e.type, [...(ids.get(e.type) ?? []), name, arn]);
  });
  return ids;
}

/** The name and ARN of an exempted resource. */
function identify(prop: string, type: CoveredType, value: string, c: CoverageContext): [string, string] {
  if (typeof value !== "string" || isToken(value)) invalid(prop, value, "A literal name: AWS Config matches exemptions by name, at synth time.");
  const here = `arn:${c.partition}:`;
  const check = (arn: string, service: string, resource: string, example: string): string => {
    const match = new RegExp(`^arn:([a-z-]+):${service}:([a-z0-9-]+):(\\d{12}):${resource}$`).exec(arn);
    if (!match) invalid(prop, arn, `Expected arn:${c.partition}:${service}:${c.region}:${c.accountId}:${example}.`);
    if (match[1] !== c.partition || match[2] !== c.region || match[3] !== c.accountId) {
      invalid(prop, arn, `It is in ${match[3]}, ${match[2]}; the environment is ${c.accountId}, ${c.region}: the rules see their own account and region only.`);
    }
    return match[4];
  };
  switch (type) {
    case "bucket":
      validateBucketName(prop, value);
      return [value, `${here}s3:::${value}`];
    case "table":
      validateTableName(prop, value);
      return [value, `${here}dynamodb:${c.region}:${c.accountId}:table/${value}`];
    case "function": {
      const name = value.startsWith("arn:") ? check(value, "lambda", "function:([A-Za-z0-9_-]{1,64})", "function:<name>") : value;
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) invalid(prop, value, "A function name has 1 to 64 letters, digits, _ and -, or is the function's ARN.");
      return [name, `${here}lambda:${c.region}:${c.accountId}:function:${name}`];
    }
    case "secret": {
      const name = check(value, "secretsmanager", "secret:([A-Za-z0-9/_+=.@-]{1,512})-[A-Za-z0-9]{6}", "secret:<name>-<6 characters>");
      return [name, value];
    }
  }
}

/**
 * The EventBridge pattern of the coverage rules' NON_COMPLIANT changes ("Config Rules Compliance
 * Change" events), leaving out the exempted resources by name and ARN (`anything-but`). A rule
 * without exemptions matches every resource it evaluates.
 */
export function coverageEventPattern(name: string, exempt: ReadonlyMap<CoveredType, readonly string[]>): Record<string, unknown> {
  const branches = COVERAGE_RULES.map((rule) => {
    const ids = exempt.get(rule.type);
    return ids?.length ? { configRuleName: [coverageRuleName(name, rule)], resourceId: [{ "anything-but": [...ids] }] } : { configRuleName: [coverageRuleName(name, rule)] };
  });
  const detail = branches.some((b) => "resourceId" in b)
    ? { newEvaluationResult: { complianceType: ["NON_COMPLIANT"] }, $or: branches }
    : { configRuleName: COVERAGE_RULES.map((rule) => coverageRuleName(name, rule)), newEvaluationResult: { complianceType: ["NON_COMPLIANT"] } };
  return { source: ["aws.config"], "detail-type": ["Config Rules Compliance Change"], detail };
}

/** The Terraform name of a coverage rule: `<base>_coverage_<suffix>`. */
export const coverageTerraformName = (base: string, rule: CoverageRule) => terraformName(`${base}_coverage_${rule.suffix}`);
