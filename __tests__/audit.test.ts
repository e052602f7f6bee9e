import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { ConfigConfigRule } from "@cdktf/provider-aws/lib/config-config-rule";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Testing } from "cdktf";
import * as path from "path";
import {
  ALERT_EVENTS,
  alertEventPattern,
  DataKey,
  ALARMS_SID,
  cloudTrailPattern,
  dashboardBody,
  EVENTS_SID,
  KeyAudit,
  KeyAuditProps,
  lockout,
  POLICY_RULES,
} from "../modules/index";
import { REPO, synthApp } from "./support/synth";

const ACCOUNT = "167067248318";
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/cb424700-0dd0-4dcb-a77d-13af16579270`;
const RULE_ARN = `arn:aws:events:us-east-1:${ACCOUNT}:rule/mavik-data-key-prod-alerts`;
const SEED = {
  accountId: ACCOUNT,
  administrators: ["user/mavik-developer", "user/mavik-deployer"],
  users: ["role/ecsTaskExecutionRole", "role/MavikLambdaRole"],
  services: ["dynamodb.amazonaws.com", "s3.amazonaws.com", "lambda.amazonaws.com", "secretsmanager.amazonaws.com"],
};

function build(audit: Partial<KeyAuditProps> = {}) {
  let key!: DataKey;
  const out = Testing.synthScope((scope) => {
    key = new DataKey(scope, "mavik_data_key", SEED);
    new KeyAudit(scope, "audit", {
      dataKey: key,
      accountId: ACCOUNT,
      region: "us-east-1",
      name: "mavik-data-key-prod",
      alerts: { subscriptions: [{ protocol: "email", endpoint: "security@mavik.example" }] },
      configRule: true,
      // The names DataKeyStack gives its audit (its addresses since the first version).
      terraformName: "mavik_data_key",
      outputPrefix: "",
      ...audit,
    });
  });
  return { out, json: JSON.parse(out), key };
}

/**
 * EventBridge's matching, as documented, for the parts the alert pattern uses: every pattern
 * field must match; a list of values matches if the event's value (or any of its values) is in it.
 */
function matches(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    const values = Array.isArray(event) ? event : [event];
    return values.some((v) => pattern.includes(v));
  }
  if (typeof pattern === "object" && pattern !== null) {
    if (Array.isArray(event)) return event.some((item) => matches(pattern, item));
    if (typeof event !== "object" || event === null) return false;
    return Object.entries(pattern).every(([k, p]) => k in event && matches(p, (event as Record<string, unknown>)[k]));
  }
  return pattern === event;
}

/** A CloudTrail management event as EventBridge delivers it ("AWS API Call via CloudTrail"). */
function cloudTrailEvent(eventName: string, resourceArns: string[]) {
  return {
    version: "0",
    source: "aws.kms",
    account: ACCOUNT,
    region: "us-east-1",
    "detail-type": "AWS API Call via CloudTrail",
    detail: {
      eventVersion: "1.09",
      eventSource: "kms.amazonaws.com",
      eventName,
      resources: resourceArns.map((ARN) => ({ accountId: ACCOUNT, type: "AWS::KMS::Key", ARN })),
    },
  };
}

describe("the EventBridge rule (seed §6, CIS 4.7)", () => {
  test("its pattern: this key's CloudTrail management events, exactly the seven names", () => {
    expect(alertEventPattern(KEY_ARN)).toEqual({
      source: ["aws.kms"],
      "detail-type": ["AWS API Call via CloudTrail"],
      detail: {
        eventSource: ["kms.amazonaws.com"],
        eventName: ["DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "DisableKeyRotation", "CancelKeyDeletion", "DeleteAlias", "UpdateAlias"],
        resources: { ARN: [KEY_ARN] },
      },
    });
  });

  test.each(ALERT_EVENTS.map((e) => [e]))("matches %s on this key", (eventName) => {
    expect(matches(alertEventPattern(KEY_ARN), cloudTrailEvent(eventName, [KEY_ARN]))).toBe(true);
  });

  test.each<[string, string, string[]]>([
    ["an alert event on another key", "DisableKey", ["arn:aws:kms:us-east-1:167067248318:key/11111111-2222-3333-4444-555555555555"]],
    ["ordinary use of this key", "Decrypt", [KEY_ARN]],
    ["a re-enable of this key", "EnableKey", [KEY_ARN]],
    ["CreateAlias on this key", "CreateAlias", [KEY_ARN]],
  ])("does not match %s", (_name, eventName, arns) => {
    expect(matches(alertEventPattern(KEY_ARN), cloudTrailEvent(eventName, arns))).toBe(false);
  });

  test("UpdateAlias names the alias and the key among its resources; the key's ARN is enough", () => {
    const event = cloudTrailEvent("UpdateAlias", [`arn:aws:kms:us-east-1:${ACCOUNT}:alias/mavik-data-kms-key`, KEY_ARN]);
    expect(matches(alertEventPattern(KEY_ARN), event)).toBe(true);
  });

  test("synthesized: the rule's pattern references the key's ARN, and the rule targets the topic", () => {
    const { out, json } = build();
    expect(json.resource.aws_cloudwatch_event_rule.mavik_data_key_alerts.event_pattern).toBe(
      '${jsonencode({"source" = ["aws.kms"], "detail-type" = ["AWS API Call via CloudTrail"], "detail" = {"eventSource" = ["kms.amazonaws.com"], "eventName" = ["DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "DisableKeyRotation", "CancelKeyDeletion", "DeleteAlias", "UpdateAlias"], "resources" = {"ARN" = [aws_kms_key.mavik_data_key.arn]}}})}',
    );
    expect(out).toHaveResourceWithProperties(CloudwatchEventRule, { name: "mavik-data-key-prod-alerts" });
    expect(out).toHaveResourceWithProperties(CloudwatchEventTarget, { rule: "${aws_cloudwatch_event_rule.mavik_data_key_alerts.name}", arn: "${aws_sns_topic.mavik_data_key_alerts.arn}" });
  });
});

describe("the SNS topic and its subscriptions", () => {
  test("encrypted with the data key; subscriptions from config", () => {
    const { out } = build();
    expect(out).toHaveResourceWithProperties(SnsTopic, { name: "mavik-data-key-prod-alerts", kms_master_key_id: "${aws_kms_key.mavik_data_key.arn}" });
    expect(out).toHaveResourceWithProperties(SnsTopicSubscription, { protocol: "email", endpoint: "security@mavik.example", topic_arn: "${aws_sns_topic.mavik_data_key_alerts.arn}" });
  });

  test("the topic policy lets only this audit's rules publish: the alerts rule and the rotation compliance rule", () => {
    const { json } = build();
    const policy = json.resource.aws_sns_topic_policy.mavik_data_key_alerts.policy as string;
    expect(policy).toContain('"Principal" = {"Service" = "events.amazonaws.com"}');
    expect(policy).toContain(`"Condition" = {"ArnEquals" = {"aws:SourceArn" = ["${RULE_ARN}", "${RULE_ARN.replace("-alerts", "-rotation-compliance")}"]}}`);
  });

  test("outputs name the topic, the rule and the Config rule", () => {
    const { json } = build();
    expect(Object.keys(json.output).sort()).toEqual(["alerts_rule_name", "alerts_topic_arn", "rotation_config_rule_name"]);
  });
});

describe("the key policy's events statement", () => {
  test("events.amazonaws.com without a source condition: AWS does not support one for EventBridge-to-encrypted-topic delivery", () => {
    const { key } = build();
    // SNS developer guide, "Key management": adding aws:SourceAccount and aws:SourceArn to a KMS
    // key policy is not supported for EventBridge-to-encrypted topics; with them every alert is dropped.
    expect(key.policy.Statement.at(-1)).toEqual({
      Sid: EVENTS_SID,
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
      Resource: "*",
    });
    expect(JSON.parse(build().json.resource.aws_kms_key.mavik_data_key.policy).Statement).toHaveLength(6);
  });

  test("the policy with it passes every policy rule; the only warning stays the seed's own service statement", () => {
    const { key } = build();
    const findings = POLICY_RULES.flatMap((r) => r.check({ policy: key.policy, accountId: ACCOUNT }));
    expect(findings.filter((f) => f.severity === "error")).toEqual([]);
    expect(findings.filter((f) => f.rule === "service-principal-source").map((f) => f.path)).toEqual(["policy.Statement[4]"]);
    expect(lockout.check({ policy: key.policy, accountId: ACCOUNT })).toEqual([]);
  });

  test("an unencrypted topic needs no statement", () => {
    const { key, json } = build({ alerts: { encryptTopic: false, subscriptions: [] } });
    expect(key.policy.Statement.map((s) => s.Sid)).not.toContain(EVENTS_SID);
    expect(json.resource.aws_sns_topic.mavik_data_key_alerts.kms_master_key_id).toBeUndefined();
  });
});

describe("the AWS Config rule", () => {
  test("CMK_BACKING_KEY_ROTATION_ENABLED when turned on", () => {
    expect(build().out).toHaveResourceWithProperties(ConfigConfigRule, {
      name: "mavik-data-key-prod-rotation",
      source: { owner: "AWS", source_identifier: "CMK_BACKING_KEY_ROTATION_ENABLED" },
    });
  });
  test("absent otherwise", () => {
    expect(build({ configRule: false }).json.resource.aws_config_config_rule).toBeUndefined();
  });
});

describe("bad subscriptions fail at synth", () => {
  test.each<[string, object, string]>([
    ["an invalid e-mail", { protocol: "email", endpoint: "security@" }, 'audit.alerts.subscriptions[0].endpoint: "security@" is not allowed. An email endpoint is an e-mail address such as "security@mavik.example".'],
    ["an http URL", { protocol: "https", endpoint: "http://hooks.mavik.example/kms" }, 'audit.alerts.subscriptions[0].endpoint: "http://hooks.mavik.example/kms" is not allowed. An https endpoint is an https:// URL such as "https://hooks.mavik.example/kms".'],
    ["a queue of another account", { protocol: "sqs", endpoint: "arn:aws:sqs:us-east-1:210987654321:alerts" }, 'audit.alerts.subscriptions[0].endpoint: "arn:aws:sqs:us-east-1:210987654321:alerts" is not allowed. An sqs endpoint is the ARN of a queue in the environment\'s account and region.'],
    ["a phone number without +", { protocol: "sms", endpoint: "4155550123" }, 'audit.alerts.subscriptions[0].endpoint: "4155550123" is not allowed. An sms endpoint is a phone number in E.164 form such as "+14155550123".'],
    ["an unknown protocol", { protocol: "pigeon", endpoint: "x" }, 'audit.alerts.subscriptions[0].protocol: "pigeon" is not allowed. Allowed: email, email-json, https, sqs, lambda, sms.'],
  ])("%s", (_name, subscription, message) => {
    expect(() => build({ alerts: { subscriptions: [subscription as never] } })).toThrow(message);
  });
});

test("an environment turns audit on in environments.json", () => {
  const { json } = synthApp(path.join(REPO, "__tests__", "fixtures", "environments.audit.json"));
  expect(Object.keys(json.audited.resource).sort()).toEqual([
    "aws_cloudwatch_dashboard", "aws_cloudwatch_event_rule", "aws_cloudwatch_event_target", "aws_cloudwatch_log_metric_filter",
    "aws_cloudwatch_metric_alarm", "aws_config_config_rule", "aws_kms_alias", "aws_kms_key", "aws_sns_topic", "aws_sns_topic_policy",
    "aws_sns_topic_subscription",
  ]);
  expect(Object.keys(json.audited.resource.aws_sns_topic_subscription)).toEqual(["mavik_data_key_alerts_0", "mavik_data_key_alerts_1"]);
  // The app's stacks keep the names they have always had: no address moves, no output renamed.
  for (const type of ["aws_sns_topic", "aws_sns_topic_policy"]) {
    expect(Object.keys(json.audited.resource[type])).toEqual(["mavik_data_key_alerts"]);
  }
  for (const type of ["aws_cloudwatch_event_rule", "aws_cloudwatch_event_target"]) {
    expect(Object.keys(json.audited.resource[type])).toEqual(["mavik_data_key_alerts", "mavik_data_key_rotation_compliance"]);
  }
  expect(Object.keys(json.audited.resource.aws_config_config_rule)).toEqual(["mavik_data_key_rotation"]);
  expect(Object.keys(json.audited.output).filter((o) => /alerts|rotation|dashboard|alarm/.test(o)).sort()).toEqual([
    "alerts_rule_name",
    "alerts_topic_arn",
    "dashboard_name",
    "decrypt_alarm_name",
    "rotation_config_rule_name",
  ]);
});

describe("names from the construct id", () => {
  const twoAudits = () =>
    JSON.parse(
      Testing.synthScope((scope) => {
        const key = new DataKey(scope, "mavik_data_key", SEED);
        for (const id of ["security", "compliance"]) {
          new KeyAudit(scope, id, { dataKey: key, accountId: ACCOUNT, region: "us-east-1", name: `mavik-${id}`, alerts: { subscriptions: [{ protocol: "email", endpoint: "security@mavik.example" }] }, configRule: true });
        }
      }),
    );

  test("two audits in one stack keep every rule, target, topic, policy, subscription and output", () => {
    const json = twoAudits();
    for (const type of ["aws_sns_topic", "aws_sns_topic_policy"]) {
      expect(Object.keys(json.resource[type]).sort()).toEqual(["compliance_alerts", "security_alerts"]);
    }
    for (const type of ["aws_cloudwatch_event_rule", "aws_cloudwatch_event_target"]) {
      expect(Object.keys(json.resource[type]).sort()).toEqual(["compliance_alerts", "compliance_rotation_compliance", "security_alerts", "security_rotation_compliance"]);
    }
    expect(Object.keys(json.resource.aws_sns_topic_subscription).sort()).toEqual(["compliance_alerts_0", "security_alerts_0"]);
    expect(Object.keys(json.resource.aws_config_config_rule).sort()).toEqual(["compliance_rotation", "security_rotation"]);
    // One key-policy statement for both audits' topics.
    expect(JSON.parse(json.resource.aws_kms_key.mavik_data_key.policy).Statement.filter((st: { Sid?: string }) => st.Sid === EVENTS_SID)).toHaveLength(1);
    expect(Object.keys(json.output).sort()).toEqual([
      "compliance_alerts_rule_name",
      "compliance_alerts_topic_arn",
      "compliance_rotation_config_rule_name",
      "security_alerts_rule_name",
      "security_alerts_topic_arn",
      "security_rotation_config_rule_name",
    ]);
  });

  test("two audits given one Terraform name: an error naming both construct paths, at the second", () => {
    expect(() =>
      Testing.synthScope((scope) => {
        const key = new DataKey(scope, "mavik_data_key", SEED);
        for (const id of ["a", "b"]) new KeyAudit(scope, id, { dataKey: key, accountId: ACCOUNT, region: "us-east-1", name: `mavik-${id}`, configRule: true, terraformName: "audit" });
      }),
    ).toThrow(
      "aws_config_config_rule.audit_rotation: stack/b/config-rule would be written under the Terraform name stack/a/config-rule holds, and Terraform would keep only one of them. " +
        "Give one of the constructs another id (the id is the Terraform name), or put them in different stacks.",
    );
  });

  test.each<[string, Partial<KeyAuditProps>, string]>([
    ["a terraformName that is not a Terraform name", { terraformName: "1audit" }, 'audit terraformName: "1audit" is not allowed. A Terraform name: a letter or _ first, then letters, digits, _ or -.'],
    ["an outputPrefix that is not the start of one", { outputPrefix: "a b" }, 'audit outputPrefix: "a b" is not allowed. Empty, or the start of a Terraform name.'],
  ])("%s", (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});

describe("the dashboard, the per-key counts and the Decrypt alarm (seed §5.1)", () => {
  const LOG_GROUP = "aws-cloudtrail-logs-167067248318-mgmt";
  const full = () => build({ dashboard: true, cloudTrailLogGroup: LOG_GROUP, decryptAlarm: { threshold: 5000, periodMinutes: 15 } });

  test("a metric filter per operation on the trail's log group, for this key's ARN only", () => {
    const { json } = full();
    const filters = json.resource.aws_cloudwatch_log_metric_filter;
    expect(Object.keys(filters).sort()).toEqual(["mavik_data_key_creategrant", "mavik_data_key_decrypt", "mavik_data_key_encrypt", "mavik_data_key_generatedatakey", "mavik_data_key_reencrypt"]);
    expect(filters.mavik_data_key_decrypt).toMatchObject({
      name: "mavik-data-key-prod-Decrypt",
      log_group_name: LOG_GROUP,
      pattern: '{ ($.eventSource = "kms.amazonaws.com") && ($.eventName = "Decrypt") && ($.resources[0].ARN = "${aws_kms_key.mavik_data_key.arn}") }',
      metric_transformation: { name: "Decrypt", namespace: "Mavik/DataKey/mavik-data-key-prod", value: "1", default_value: "0" },
    });
  });

  test("CloudTrail's metric filter pattern matches this key's Decrypt record and nothing else (CloudWatch Logs JSON pattern semantics)", () => {
    const pattern = cloudTrailPattern(KEY_ARN, "Decrypt");
    const conditions = [...pattern.matchAll(/\(\$\.([\w[\].]+) = "([^"]+)"\)/g)].map((m) => [m[1], m[2]]);
    const field = (event: any, path: string) => path.split(/\.|\[(\d+)\]/).filter(Boolean).reduce((v, k) => (v === undefined ? v : v[k]), event);
    const matches = (event: object) => conditions.every(([path, value]) => field(event, path) === value);
    const record = (eventName: string, arn: string) => ({ eventSource: "kms.amazonaws.com", eventName, resources: [{ accountId: ACCOUNT, type: "AWS::KMS::Key", ARN: arn }] });
    expect(matches(record("Decrypt", KEY_ARN))).toBe(true);
    expect(matches(record("Encrypt", KEY_ARN))).toBe(false);
    expect(matches(record("Decrypt", KEY_ARN.replace("cb424700", "00000000")))).toBe(false);
  });

  test("the alarm: per key when the log group is named, to the alerts topic; CloudWatch may use the key for it", () => {
    const { json, key } = full();
    expect(json.resource.aws_cloudwatch_metric_alarm.mavik_data_key_decrypt).toMatchObject({
      alarm_name: "mavik-data-key-prod-decrypt-volume",
      namespace: "Mavik/DataKey/mavik-data-key-prod",
      metric_name: "Decrypt",
      statistic: "Sum",
      period: 900,
      threshold: 5000,
      comparison_operator: "GreaterThanThreshold",
      alarm_actions: ["${aws_sns_topic.mavik_data_key_alerts.arn}"],
    });
    const alarmArn = `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:mavik-data-key-prod-decrypt-volume`;
    expect(key.policy.Statement.find((st) => st.Sid === ALARMS_SID)).toEqual({
      Sid: ALARMS_SID,
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
      Resource: "*",
      Condition: { ArnEquals: { "aws:SourceArn": alarmArn }, StringEquals: { "aws:SourceAccount": ACCOUNT } },
    });
    expect(json.resource.aws_sns_topic_policy.mavik_data_key_alerts.policy).toContain(`"Principal" = {"Service" = "cloudwatch.amazonaws.com"}, "Action" = "sns:Publish"`);
  });

  test("without the log group the alarm counts the whole account, and says so", () => {
    const { json } = build({ decryptAlarm: { threshold: 100 } });
    expect(json.resource.aws_cloudwatch_metric_alarm.mavik_data_key_decrypt).toMatchObject({
      namespace: "AWS/Usage",
      metric_name: "CallCount",
      dimensions: { Service: "KMS", Type: "API", Resource: "Decrypt", Class: "None" },
      period: 300,
      alarm_description: "More than 100 Decrypt calls in 5 minutes by the whole account (AWS/Usage counts every key; name audit.cloudTrailLogGroup for this key alone).",
    });
  });

  test("the dashboard: account-wide counts labelled as such, per-key counts, the alerts' deliveries, rotation compliance, the alarm", () => {
    const body = dashboardBody({
      name: "mavik-data-key-prod",
      region: "us-east-1",
      keyArn: KEY_ARN,
      aliasName: "alias/mavik-data-kms-key",
      alertsRuleName: "mavik-data-key-prod-alerts",
      complianceRuleName: "mavik-data-key-prod-rotation-compliance",
      configRuleName: "mavik-data-key-prod-rotation",
      logGroup: LOG_GROUP,
      alarmArn: "arn:aws:cloudwatch:us-east-1:167067248318:alarm:mavik-data-key-prod-decrypt-volume",
    }) as { widgets: any[] };
    expect(body.widgets.map((w) => w.properties.title ?? w.type)).toEqual([
      "text",
      "KMS requests by operation: the whole account (AWS/Usage counts every key, not only this one)",
      "Requests to this key by operation (CloudTrail metric filters)",
      "Alerts on destructive calls: rule invocations, and failed deliveries to the topic",
      "Rotation rule mavik-data-key-prod-rotation: times it turned NON_COMPLIANT (AWS Config has no compliance metric)",
      "Unusual Decrypt volume",
    ]);
    expect(body.widgets[1].properties.metrics).toEqual(
      ["Encrypt", "Decrypt", "GenerateDataKey", "ReEncrypt", "CreateGrant"].map((op) => ["AWS/Usage", "CallCount", "Service", "KMS", "Type", "API", "Resource", op, "Class", "None"]),
    );
    expect(body.widgets[2].properties.metrics[1]).toEqual(["Mavik/DataKey/mavik-data-key-prod", "Decrypt"]);
    expect(body.widgets.every((w) => w.width === 24 && typeof w.y === "number")).toBe(true);
    const { json } = full();
    expect(json.resource.aws_cloudwatch_dashboard.mavik_data_key_dashboard.dashboard_name).toBe("mavik-data-key-prod");
  });

  test("the rotation rule's NON_COMPLIANT changes go to the alerts topic", () => {
    const { json } = full();
    expect(JSON.parse(json.resource.aws_cloudwatch_event_rule.mavik_data_key_rotation_compliance.event_pattern.replace(/^\$\{jsonencode\((.*)\)\}$/s, "$1").replace(/ = /g, ": "))).toEqual({
      source: ["aws.config"],
      "detail-type": ["Config Rules Compliance Change"],
      detail: { configRuleName: ["mavik-data-key-prod-rotation"], newEvaluationResult: { complianceType: ["NON_COMPLIANT"] } },
    });
    expect(json.resource.aws_cloudwatch_event_target.mavik_data_key_rotation_compliance.arn).toBe("${aws_sns_topic.mavik_data_key_alerts.arn}");
  });

  test.each<[string, Partial<KeyAuditProps>, string]>([
    ["an alarm without alerts", { alerts: undefined, decryptAlarm: { threshold: 10 } }, 'audit.decryptAlarm: {"threshold":10} is not allowed. The alarm notifies the alerts topic: turn on audit.alerts too.'],
    ["a threshold of zero", { decryptAlarm: { threshold: 0 } }, "audit.decryptAlarm.threshold: 0 is not allowed. A whole number of Decrypt calls, 1 or more."],
    ["a period of two days", { decryptAlarm: { threshold: 10, periodMinutes: 2880 } }, "audit.decryptAlarm.periodMinutes: 2880 is not allowed. A whole number of minutes from 1 to 1440 (one day)."],
    ["a log group with a space", { cloudTrailLogGroup: "cloud trail" }, 'audit.cloudTrailLogGroup: "cloud trail" is not allowed. A CloudWatch Logs group name: 1 to 512 letters, digits and . - _ / #.'],
    [
      "a name that makes the rotation compliance rule's name longer than EventBridge allows",
      { name: "m".repeat(45) },
      `audit name: "${"m".repeat(45)}" is not allowed. It makes the EventBridge rule name "${"m".repeat(45)}-rotation-compliance" of 65 characters; EventBridge allows at most 64: at most 44 characters here.`,
    ],
  ])("refused: %s", (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});
