/**
 * Coverage (modules/audit/coverage.ts): the AWS Config rules that hold every bucket, table,
 * secret and function of the account to the data key, their NON_COMPLIANT notifications and the
 * dashboard, with the CDKTF matchers; the Guard rule against AWS CloudFormation Guard itself when
 * the binary is installed; bad input, word for word. The Terraform tier (terraform.test.ts) plans
 * the fixture environment offline.
 */
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { ConfigConfigRule } from "@cdktf/provider-aws/lib/config-config-rule";
import { spawnSync } from "child_process";
import { Testing } from "cdktf";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { COVERAGE_RULES, coverageEventPattern, CoverageExemption, dashboardBody, DataKey, exemptionIds, KeyAudit, KeyAuditProps, lambdaCoveragePolicy } from "../modules/index";
import { findCfnGuard } from "./support/cfn-guard";
import { REPO, synthApp } from "./support/synth";

const ACCOUNT = "167067248318";
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/cb424700-0dd0-4dcb-a77d-13af16579270`;
const NAME = "mavik-data-key-prod";
const SEED = {
  accountId: ACCOUNT,
  administrators: ["user/mavik-developer", "user/mavik-deployer"],
  users: ["role/ecsTaskExecutionRole", "role/MavikLambdaRole"],
  services: ["dynamodb.amazonaws.com", "s3.amazonaws.com", "lambda.amazonaws.com", "secretsmanager.amazonaws.com"],
};
const EXEMPTIONS: CoverageExemption[] = [
  { type: "bucket", name: "mavik-access-logs", reason: "S3 server access log target: the log delivery service is no principal of the key's policy" },
  { type: "secret", name: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:mavik/partner/shared-AbCdEf`, reason: "Shared with a partner under the partner's own key" },
];

let built: ReturnType<typeof synth> | undefined;
/** The audit with `audit` changed; the default one is synthesized once. */
function build(audit: Partial<KeyAuditProps> = {}) {
  if (Object.keys(audit).length > 0) return synth(audit);
  return (built ??= synth({}));
}

function synth(audit: Partial<KeyAuditProps>) {
  const out = Testing.synthScope((scope) => {
    const key = new DataKey(scope, "mavik_data_key", SEED);
    new KeyAudit(scope, "audit", {
      dataKey: key,
      accountId: ACCOUNT,
      region: "us-east-1",
      name: NAME,
      alerts: { subscriptions: [{ protocol: "email", endpoint: "security@mavik.example" }] },
      dashboard: true,
      coverage: { exemptions: EXEMPTIONS },
      terraformName: "mavik_data_key",
      outputPrefix: "",
      ...audit,
    });
  });
  return { out, json: JSON.parse(out) };
}

/** `${jsonencode({...})}` as CDKTF writes it, back to the object (no references inside). */
const decode = (hcl: string) => JSON.parse(hcl.replace(/^\$\{jsonencode\((.*)\)\}$/s, "$1").replace(/" = /g, '": '));

/**
 * EventBridge's matching, as its user guide documents the parts used here ("Event patterns",
 * "Comparison operators"): every field of the pattern must match; a list matches if any of its
 * matchers does; `{ "anything-but": [...] }` matches a value not in the list; `$or` matches if
 * any of its patterns does, with the fields beside it.
 */
function matches(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((m) => (typeof m === "object" && m !== null && "anything-but" in m ? event !== undefined && !(m["anything-but"] as unknown[]).includes(event) : m === event));
  }
  if (typeof pattern === "object" && pattern !== null) {
    if (typeof event !== "object" || event === null) return false;
    const { $or, ...fields } = pattern as Record<string, unknown>;
    const own = Object.entries(fields).every(([k, p]) => matches(p, (event as Record<string, unknown>)[k]));
    return own && ($or === undefined || ($or as unknown[]).some((branch) => matches(branch, event)));
  }
  return pattern === event;
}

/** AWS Config's "Config Rules Compliance Change" event (AWS Config developer guide, compliance change notification). */
function complianceChange(configRuleName: string, resourceType: string, resourceId: string, complianceType = "NON_COMPLIANT") {
  return {
    version: "0",
    source: "aws.config",
    account: ACCOUNT,
    region: "us-east-1",
    "detail-type": "Config Rules Compliance Change",
    detail: {
      resourceId,
      awsRegion: "us-east-1",
      awsAccountId: ACCOUNT,
      configRuleName,
      recordVersion: "1.0",
      configRuleARN: `arn:aws:config:us-east-1:${ACCOUNT}:config-rule/config-rule-abc123`,
      messageType: "ComplianceChangeNotification",
      newEvaluationResult: {
        evaluationResultIdentifier: { evaluationResultQualifier: { configRuleName, resourceType, resourceId }, orderingTimestamp: "2026-11-28T12:00:00.000Z" },
        complianceType,
        resultRecordedTime: "2026-11-28T12:00:01.000Z",
        configRuleInvokedTime: "2026-11-28T12:00:00.500Z",
      },
      resourceType,
    },
  };
}

describe("the four rules: every resource of the account and region, held to the key's ARN", () => {
  test.each(COVERAGE_RULES.filter((r) => r.source !== "CUSTOM_POLICY").map((r) => [r.source, r.suffix, r.resourceType]))(
    "%s: kmsKeyArns = the key ARN, scope %s",
    (identifier, suffix, resourceType) => {
      const { out, json } = build();
      expect(out).toHaveResourceWithProperties(ConfigConfigRule, {
        name: `${NAME}-coverage-${suffix}`,
        source: { owner: "AWS", source_identifier: identifier },
        input_parameters: '${jsonencode({"kmsKeyArns" = aws_kms_key.mavik_data_key.arn})}',
        scope: { compliance_resource_types: [resourceType] },
      });
      // No tag filter and no resource id: a resource created by hand is in scope the day it appears.
      expect(Object.keys(json.resource.aws_config_config_rule[`mavik_data_key_coverage_${suffix}`].scope)).toEqual(["compliance_resource_types"]);
      // Managed rules triggered by configuration changes take no execution frequency.
      expect(json.resource.aws_config_config_rule[`mavik_data_key_coverage_${suffix}`].maximum_execution_frequency).toBeUndefined();
    },
  );

  test("Lambda: a Guard custom policy rule on AWS::Lambda::Function, no function to run", () => {
    const { out } = build();
    expect(out).toHaveResourceWithProperties(ConfigConfigRule, {
      name: `${NAME}-coverage-lambda`,
      scope: { compliance_resource_types: ["AWS::Lambda::Function"] },
      source: {
        owner: "CUSTOM_POLICY",
        source_detail: [{ message_type: "ConfigurationItemChangeNotification" }, { message_type: "OversizedConfigurationItemChangeNotification" }],
        custom_policy_details: {
          policy_runtime: "guard-2.x.x",
          enable_debug_log_delivery: false,
          policy_text: [
            'rule data_key_lambda_environment when resourceType == "AWS::Lambda::Function" {',
            '    configuration.kmskeyArn == "${aws_kms_key.mavik_data_key.arn}" or',
            '    configuration.kmsKeyArn == "${aws_kms_key.mavik_data_key.arn}"',
            "}",
            "",
          ].join("\n"),
        },
      },
    });
  });

  test("their names are an output, and nothing of coverage is made without it", () => {
    expect(build().json.output.coverage_config_rule_names.value).toEqual(COVERAGE_RULES.map((r) => `\${aws_config_config_rule.mavik_data_key_coverage_${r.suffix}.name}`));
    const off = build({ coverage: undefined }).json;
    expect(off.resource.aws_config_config_rule).toBeUndefined();
    expect(Object.keys(off.resource.aws_cloudwatch_event_rule)).toEqual(["mavik_data_key_alerts"]);
    expect(build({ coverage: true }).json.resource.aws_config_config_rule).toBeDefined();
  });
});

describe("a resource turning NON_COMPLIANT notifies the alerts topic; exemptions do not", () => {
  const pattern = () => decode(build().json.resource.aws_cloudwatch_event_rule.mavik_data_key_coverage_compliance.event_pattern);

  test("the rule targets the topic, and the topic policy lets it publish", () => {
    const { out, json } = build();
    expect(out).toHaveResourceWithProperties(CloudwatchEventRule, { name: `${NAME}-coverage-compliance` });
    expect(out).toHaveResourceWithProperties(CloudwatchEventTarget, { rule: "${aws_cloudwatch_event_rule.mavik_data_key_coverage_compliance.name}", arn: "${aws_sns_topic.mavik_data_key_alerts.arn}" });
    expect(json.resource.aws_sns_topic_policy.mavik_data_key_alerts.policy).toContain(
      `"aws:SourceArn" = ["arn:aws:events:us-east-1:${ACCOUNT}:rule/${NAME}-alerts", "arn:aws:events:us-east-1:${ACCOUNT}:rule/${NAME}-coverage-compliance"]`,
    );
    expect(pattern()).toEqual(coverageEventPattern(NAME, exemptionIds("e", EXEMPTIONS, { accountId: ACCOUNT, region: "us-east-1", partition: "aws" })));
  });

  test.each<[string, string, string, string, boolean]>([
    ["a new bucket not on the key", "s3", "AWS::S3::Bucket", "mavik-ssot-uploads", true],
    ["a new table", "dynamodb", "AWS::DynamoDB::Table", "mavik-ssot-sessions", true],
    ["a secret, by its ARN", "secretsmanager", "AWS::SecretsManager::Secret", `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:mavik/ssot/legacy-XyZ123`, true],
    ["a function", "lambda", "AWS::Lambda::Function", "mavik-ssot-worker", true],
    ["a function named like the exempted bucket: exemptions are per rule", "lambda", "AWS::Lambda::Function", "mavik-access-logs", true],
    ["the exempted access-log bucket, by name", "s3", "AWS::S3::Bucket", "mavik-access-logs", false],
    ["the exempted access-log bucket, by ARN", "s3", "AWS::S3::Bucket", "arn:aws:s3:::mavik-access-logs", false],
    ["the exempted secret, by ARN", "secretsmanager", "AWS::SecretsManager::Secret", `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:mavik/partner/shared-AbCdEf`, false],
    ["the exempted secret, by name", "secretsmanager", "AWS::SecretsManager::Secret", "mavik/partner/shared", false],
  ])("%s: notified = %s", (_name, suffix, type, id, notified) => {
    expect(matches(pattern(), complianceChange(`${NAME}-coverage-${suffix}`, type, id))).toBe(notified);
  });

  test.each<[string, ReturnType<typeof complianceChange>]>([
    ["a resource turning COMPLIANT", complianceChange(`${NAME}-coverage-s3`, "AWS::S3::Bucket", "mavik-ssot-uploads", "COMPLIANT")],
    ["another rule's change", complianceChange("s3-bucket-versioning-enabled", "AWS::S3::Bucket", "mavik-ssot-uploads")],
    ["the rotation rule's change (its own rule notifies)", complianceChange(`${NAME}-rotation`, "AWS::KMS::Key", "cb424700-0dd0-4dcb-a77d-13af16579270")],
  ])("not notified: %s", (_name, event) => {
    expect(matches(pattern(), event)).toBe(false);
  });

  test("without exemptions, the pattern names the four rules and nothing else", () => {
    const plain = decode(build({ coverage: true }).json.resource.aws_cloudwatch_event_rule.mavik_data_key_coverage_compliance.event_pattern);
    expect(plain).toEqual({
      source: ["aws.config"],
      "detail-type": ["Config Rules Compliance Change"],
      detail: { configRuleName: COVERAGE_RULES.map((r) => `${NAME}-coverage-${r.suffix}`), newEvaluationResult: { complianceType: ["NON_COMPLIANT"] } },
    });
    expect(matches(plain, complianceChange(`${NAME}-coverage-s3`, "AWS::S3::Bucket", "mavik-access-logs"))).toBe(true);
  });

  test("the dashboard counts the changes and names the rules", () => {
    const { json } = build();
    const body = decode(json.resource.aws_cloudwatch_dashboard.mavik_data_key_dashboard.dashboard_body) as { widgets: any[] };
    const widget = body.widgets.find((w) => w.properties.title?.startsWith("Coverage rules"));
    expect(widget.properties).toMatchObject({ metrics: [["AWS/Events", "MatchedEvents", "RuleName", `${NAME}-coverage-compliance`]], period: 3600 });
    expect(body.widgets[0].properties.markdown).toContain(`Coverage: AWS Config rules \`${NAME}-coverage-s3\`, \`${NAME}-coverage-dynamodb\``);
    expect(body.widgets[0].height).toBe(6);
    // Without coverage the dashboard is as it was.
    const plain = dashboardBody({ name: NAME, region: "us-east-1", keyArn: KEY_ARN, aliasName: "alias/mavik-data-kms-key" }) as { widgets: any[] };
    expect(plain.widgets[0].height).toBe(4);
    expect(plain.widgets.some((w) => w.properties.title?.startsWith("Coverage"))).toBe(false);
  });

  test("coverage without alerts or a dashboard makes the rules only", () => {
    const { json } = build({ alerts: undefined, dashboard: false });
    expect(Object.keys(json.resource.aws_config_config_rule)).toHaveLength(4);
    expect(json.resource.aws_cloudwatch_event_rule).toBeUndefined();
  });
});

describe("bad coverage input fails at synth", () => {
  const exempt = (e: Partial<CoverageExemption>) => ({ coverage: { exemptions: [{ type: "bucket", name: "mavik-access-logs", reason: "S3 server access log target bucket", ...e } as CoverageExemption] } });
  test.each<[string, Partial<KeyAuditProps>, string]>([
    ["an unknown type", exempt({ type: "queue" as never }), 'audit.coverage.exemptions[0].type: "queue" is not allowed. Allowed: bucket, table, secret, function.'],
    ["a reason of one word", exempt({ reason: "logs" }), 'audit.coverage.exemptions[0].reason: "logs" is not allowed. An exemption states its reason in words, at least 10 characters.'],
    ["a bucket name with capitals", exempt({ name: "Access-Logs" }), 'audit.coverage.exemptions[0].name: "Access-Logs" is not allowed. An S3 bucket name has 3 to 63 characters: lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, with no "..", not shaped like an IP address.'],
    ["a secret by name", exempt({ type: "secret", name: "mavik/partner/shared" }), 'audit.coverage.exemptions[0].name: "mavik/partner/shared" is not allowed. Expected arn:aws:secretsmanager:us-east-1:167067248318:secret:<name>-<6 characters>.'],
    [
      "a secret of another account",
      exempt({ type: "secret", name: "arn:aws:secretsmanager:us-east-1:210987654321:secret:shared-AbCdEf" }),
      'audit.coverage.exemptions[0].name: "arn:aws:secretsmanager:us-east-1:210987654321:secret:shared-AbCdEf" is not allowed. It is in 210987654321, us-east-1; the environment is 167067248318, us-east-1: the rules see their own account and region only.',
    ],
    ["a function of 65 characters", exempt({ type: "function", name: "f".repeat(65) }), `audit.coverage.exemptions[0].name: "${"f".repeat(65)}" is not allowed. A function name has 1 to 64 letters, digits, _ and -, or is the function's ARN.`],
    ["a table name of two characters", exempt({ type: "table", name: "ab" }), 'audit.coverage.exemptions[0].name: "ab" is not allowed. A DynamoDB table name has 3 to 255 letters, digits, underscores, hyphens and dots.'],
    [
      "one bucket exempted twice",
      { coverage: { exemptions: [EXEMPTIONS[0], { ...EXEMPTIONS[0], reason: "the same bucket once more, for another reason" }] } },
      'audit.coverage.exemptions[1].name: "mavik-access-logs" is not allowed. The bucket is exempted once; an earlier exemption names it already.',
    ],
    ["25 exemptions fit", { coverage: { exemptions: Array.from({ length: 25 }, (_, i) => ({ type: "bucket" as const, name: `mavik-access-logs-${String(i).padStart(2, "0")}`, reason: "S3 server access log target bucket" })) } }, ""],
    ["coverage as a string", { coverage: "yes" as never }, 'audit.coverage: "yes" is not allowed. true, or { "exemptions": [ { "type", "name", "reason" }, ... ] }.'],
    [
      "exemptions past EventBridge's pattern size",
      { coverage: { exemptions: Array.from({ length: 30 }, (_, i) => ({ type: "bucket" as const, name: `mavik-access-logs-${String(i).padStart(2, "0")}`, reason: "S3 server access log target bucket" })) } },
      'audit.coverage.exemptions: "30 exemptions" is not allowed. They make an EventBridge pattern of 2198 characters; EventBridge takes 2048 by default. Exempt fewer resources (each costs its name and ARN), or exempt them in a rule of your own.',
    ],
    [
      "a name that makes an EventBridge rule name past 64 characters",
      { name: "m".repeat(45) },
      `audit name: "${"m".repeat(45)}" is not allowed. It makes the EventBridge rule name "${"m".repeat(45)}-coverage-compliance" of 65 characters; EventBridge allows at most 64: at most 44 characters here.`,
    ],
  ])("%s", (_name, props, message) => {
    if (message === "") expect(build(props).json.resource.aws_config_config_rule).toBeDefined();
    else expect(() => build(props)).toThrow(message);
  });

  test("environments.json: the audit block's coverage field is checked by the schema, naming the field", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-coverage-"));
    const file = path.join(dir, "environments.json");
    const config = JSON.parse(fs.readFileSync(path.join(REPO, "__tests__", "fixtures", "environments.coverage.json"), "utf8"));
    config.environments[0].audit.coverage = { exemptions: [{ type: "bucket", name: "mavik-access-logs", why: "logs" }] };
    fs.writeFileSync(file, JSON.stringify(config));
    expect(() => synthApp(file)).toThrow(
      [
        "  environments[0].audit.coverage.exemptions[0].reason: missing. Expected a string.",
        "  environments[0].audit.coverage.exemptions[0].why: unknown field. Allowed fields: type, name, reason.",
      ].join("\n"),
    );
  });
});

test("the fixture environment turns coverage on in environments.json, at the Terraform names the app keeps", () => {
  const { json } = synthApp(path.join(REPO, "__tests__", "fixtures", "environments.coverage.json"));
  expect(Object.keys(json.covered.resource.aws_config_config_rule).sort()).toEqual(["mavik_data_key_coverage_dynamodb", "mavik_data_key_coverage_lambda", "mavik_data_key_coverage_s3", "mavik_data_key_coverage_secretsmanager"]);
  expect(Object.keys(json.covered.resource.aws_cloudwatch_event_target).sort()).toEqual(["mavik_data_key_alerts", "mavik_data_key_coverage_compliance"]);
});

/**
 * The Lambda rule against AWS CloudFormation Guard itself (the engine of Config's custom policy
 * rules), on configuration items shaped as AWS Config's resource schema has them. The binary comes
 * from the npm registry (support/cfn-guard.ts). Without it the block is skipped loudly; under CI a
 * missing Guard fails the run, as a missing Terraform does.
 */
const found = findCfnGuard();
const guard = "binary" in found ? found.binary : undefined;
if ("missing" in found) {
  if (process.env.CI) throw new Error(`the Guard rule's tests need cfn-guard, and CI is set: ${found.missing}`);
  console.warn(`\n!! SKIPPED: the Guard rule against cfn-guard: ${found.missing} (set MAVIK_CFN_GUARD or put cfn-guard on PATH).\n`);
}
(guard ? describe : describe.skip)("the Lambda rule, evaluated by cfn-guard", () => {
  const item = (configuration: Record<string, unknown>, resourceType = "AWS::Lambda::Function") => ({ resourceType, resourceId: "mavik-ssot-worker", configuration });
  test.each<[string, string, object]>([
    ["the key, as Config's schema spells the field", "PASS", item({ kmskeyArn: KEY_ARN })],
    ["the key, as the Lambda API spells it", "PASS", item({ kmsKeyArn: KEY_ARN })],
    ["another key", "FAIL", item({ kmskeyArn: KEY_ARN.replace("cb424700", "00000000") })],
    ["no key (the AWS managed key)", "FAIL", item({ functionName: "mavik-ssot-worker" })],
    ["a null key", "FAIL", item({ kmskeyArn: null })],
    ["the alias ARN", "FAIL", item({ kmskeyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/mavik-data-kms-key` })],
    ["another resource type", "SKIP", item({}, "AWS::S3::Bucket")],
  ])("%s: %s", (_name, status, configurationItem) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-guard-"));
    fs.writeFileSync(path.join(dir, "rule.guard"), lambdaCoveragePolicy(KEY_ARN));
    fs.writeFileSync(path.join(dir, "item.json"), JSON.stringify(configurationItem));
    const run = spawnSync(guard!, ["validate", "-r", path.join(dir, "rule.guard"), "-d", path.join(dir, "item.json"), "-o", "json", "--show-summary", "none"], { encoding: "utf8" });
    expect(JSON.parse(run.stdout).status).toBe(status);
  });
});
