import { terraformName } from "../bindings/binding";
import { invalid } from "../common/errors";
import { claimTerraformName } from "../common/names";
import { isToken, partitionOf, validateAccountId, validateRegion } from "../common/validate";
import { DataKey } from "../data-key/data-key";
import { conditionValues, PolicyStatement } from "../key-policy/document";
import {
  CloudwatchDashboard,
  CloudwatchEventRule,
  CloudwatchEventTarget,
  CloudwatchLogMetricFilter,
  CloudwatchMetricAlarm,
  ConfigConfigRule,
  Construct,
  Fn,
  SnsTopic,
  SnsTopicPolicy,
  SnsTopicSubscription,
  TerraformElement,
  TerraformOutput,
} from "../platform";
import { COVERAGE_RULES, coverageEventPattern, CoverageProps, coverageRuleName, exemptionIds, lambdaCoveragePolicy } from "./coverage";
import { cloudTrailPattern, DASHBOARD_OPERATIONS, dashboardBody, perKeyNamespace } from "./dashboard";
import { ALARMS_SID, EVENTS_SID } from "./sids";
import { AlertSubscription, validateSubscriptions } from "./subscriptions";

/** The calls that disable, delete, re-policy or re-point the key (seed §6, CIS AWS Foundations 4.7). */
export const ALERT_EVENTS: readonly string[] = [
  "DisableKey",
  "ScheduleKeyDeletion",
  "PutKeyPolicy",
  "DisableKeyRotation",
  "CancelKeyDeletion",
  "DeleteAlias",
  "UpdateAlias",
];

export { ALARMS_SID, EVENTS_SID } from "./sids";

export interface KeyAuditProps {
  readonly dataKey: DataKey;
  /** The key's account (12 digits). */
  readonly accountId: string;
  /** The key's region. */
  readonly region: string;
  /**
   * Names of the rule, topic and Config rule: `<name>-alerts`, `<name>-rotation`. 1 to 48 of
   * `[A-Za-z0-9_.-]`.
   */
  readonly name: string;
  /**
   * The Terraform names of its resources: `<terraformName>_alerts` (rule, target, topic, topic
   * policy), `<terraformName>_alerts_<n>` (subscriptions), `<terraformName>_rotation`.
   * @default - the construct id, as a Terraform name
   */
  readonly terraformName?: string;
  /**
   * Put before its outputs' names: `<outputPrefix>alerts_topic_arn`, `<outputPrefix>alerts_rule_name`,
   * `<outputPrefix>rotation_config_rule_name`.
   * @default - `<terraformName>_`
   */
  readonly outputPrefix?: string;
  /**
   * The EventBridge rule on CloudTrail management events for this key and its SNS topic.
   * @default - no alerts
   */
  readonly alerts?: {
    /** Who is told. @default [] */
    readonly subscriptions?: AlertSubscription[];
    /**
     * Encrypt the topic with the data key. Adds a key-policy statement for events.amazonaws.com
     * (without aws:SourceArn: the SNS developer guide says KMS does not get it for
     * EventBridge-to-encrypted-topic delivery, so such a condition drops every alert).
     * @default true
     */
    readonly encryptTopic?: boolean;
  };
  /**
   * A CloudWatch dashboard of the key (seed §5.1): KMS requests by operation (account-wide from
   * AWS/Usage; per key with `cloudTrailLogGroup`), the alerts rule's deliveries, the rotation
   * rule's compliance changes, the Decrypt alarm. Named `<name>`.
   * @default false
   */
  readonly dashboard?: boolean;
  /**
   * The CloudWatch Logs group a CloudTrail trail delivers to: metric filters there count this
   * key's calls by operation (namespace `Mavik/DataKey/<name>`), for the dashboard and the alarm.
   * @default - account-wide counts only
   */
  readonly cloudTrailLogGroup?: string;
  /**
   * An alarm on unusual Decrypt volume that notifies the alerts topic: more than `threshold` calls
   * in `periodMinutes` (per key with `cloudTrailLogGroup`, else account-wide). Needs `alerts`.
   * @default - no alarm
   */
  readonly decryptAlarm?: { readonly threshold: number; readonly periodMinutes?: number };
  /**
   * The AWS Config managed rule CMK_BACKING_KEY_ROTATION_ENABLED. Needs a configuration recorder
   * in the account and region.
   * @default false
   */
  readonly configRule?: boolean;
  /**
   * Coverage (coverage.ts, docs/coverage.md): AWS Config rules that hold every bucket, table,
   * secret and function of the account and region to the data key, whether a stack binds it or
   * not: the managed rules S3_DEFAULT_ENCRYPTION_KMS, DYNAMODB_TABLE_ENCRYPTED_KMS and
   * SECRETSMANAGER_USING_CMK with `kmsKeyArns` = the key ARN, and a Guard custom policy rule on
   * `AWS::Lambda::Function`. With `alerts`, a resource turning NON_COMPLIANT notifies the topic
   * (exemptions left out); with `dashboard`, the dashboard counts those changes. `true` is
   * `{ exemptions: [] }`. IMPORTANT: needs a configuration recorder in the account and region that
   * records these four types; without one the apply fails, and a recorder that leaves a type out
   * leaves its rule with nothing to evaluate.
   * @default false
   */
  readonly coverage?: boolean | CoverageProps;
}

/** The EventBridge pattern: this key's CloudTrail management events of {@link ALERT_EVENTS}. */
export function alertEventPattern(keyArn: string): Record<string, unknown> {
  return {
    source: ["aws.kms"],
    "detail-type": ["AWS API Call via CloudTrail"],
    detail: {
      eventSource: ["kms.amazonaws.com"],
      eventName: [...ALERT_EVENTS],
      resources: { ARN: [keyArn] },
    },
  };
}

/**
 * Audit of the data key (seed §6): an EventBridge rule that notifies an SNS topic within minutes
 * of a destructive call on the key, and optionally the AWS Config rule for rotation. Outputs
 * `<prefix>alerts_topic_arn`, `<prefix>alerts_rule_name` and `<prefix>rotation_config_rule_name`.
 * Its Terraform names come from its id, so two audits in one stack do not overwrite each other.
 */
export class KeyAudit extends Construct {
  public readonly rule?: CloudwatchEventRule;
  public readonly topic?: SnsTopic;
  public readonly configRule?: ConfigConfigRule;
  /** The coverage rules, in the order of {@link COVERAGE_RULES}; empty without `coverage`. */
  public readonly coverageRules: ConfigConfigRule[] = [];

  constructor(scope: Construct, id: string, props: KeyAuditProps) {
    super(scope, id);
    if (typeof props !== "object" || props === null) {
      invalid("KeyAudit props", props, "new KeyAudit(scope, id, { dataKey, accountId, region, name, alerts?, configRule? }) takes its props as an object.");
    }
    if (!(props.dataKey instanceof DataKey)) invalid("dataKey", props.dataKey, "The DataKey this audit watches (a key this app creates; its policy gets the events statement).");
    validateAccountId("accountId", props.accountId);
    validateRegion("region", props.region);
    // KMS records a key's calls in the key's region: an audit of another region watches nothing.
    const keyRegion = props.dataKey.keyRegion();
    if (keyRegion !== undefined && keyRegion !== props.region) {
      invalid("region", props.region, `The audit watches the key's events, alarms and dashboard in the key's region: ${keyRegion} (DataKey.keyRegion(): its region argument, its region prop, or its stack's AWS provider's).`);
    }
    if (!/^[A-Za-z0-9_.-]{1,48}$/.test(props.name)) invalid("audit name", props.name, "Allowed: 1 to 48 letters, digits and _.- characters.");
    const base = props.terraformName ?? terraformName(id);
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(base)) invalid("audit terraformName", base, "A Terraform name: a letter or _ first, then letters, digits, _ or -.");
    const outputPrefix = props.outputPrefix ?? `${base}_`;
    if (!/^([A-Za-z_][A-Za-z0-9_-]*)?$/.test(outputPrefix)) invalid("audit outputPrefix", outputPrefix, "Empty, or the start of a Terraform name.");
    /** Gives `element` its Terraform name, and claims it in the stack. */
    const named = <T extends TerraformElement>(element: T, name: string): T => {
      element.overrideLogicalId(name);
      claimTerraformName(element);
      return element;
    };
    const partition = partitionOf(props.region);
    validateAuditExtras(props);
    validateEventRuleNames(props);
    const arnOf = (service: string, resource: string) => `arn:${partition}:${service}:${props.region}:${props.accountId}:${resource}`;
    const encrypt = props.alerts !== undefined && (props.alerts.encryptTopic ?? true);

    // The alerts: a rule on this key's destructive calls, to a topic (encrypted with the key).
    const alertsRuleName = `${props.name}-alerts`;
    let topic: SnsTopic | undefined;
    let rule: CloudwatchEventRule | undefined;
    if (props.alerts) {
      const subscriptions = props.alerts.subscriptions ?? [];
      validateSubscriptions("audit.alerts.subscriptions", subscriptions, props.accountId, props.region);
      topic = named(new SnsTopic(this, "topic", { name: alertsRuleName, kmsMasterKeyId: encrypt ? props.dataKey.keyArn : undefined }), `${base}_alerts`);
      rule = named(
        new CloudwatchEventRule(this, "rule", {
          name: alertsRuleName,
          description: "Destructive calls on the Mavik data key: disable, schedule deletion, re-policy, rotation off, alias changes.",
          eventPattern: Fn.jsonencode(alertEventPattern(props.dataKey.keyArn)),
        }),
        `${base}_alerts`,
      );
      named(new CloudwatchEventTarget(this, "target", { rule: rule.name, arn: topic.arn, targetId: "sns" }), `${base}_alerts`);
      subscriptions.forEach((sub, i) => {
        named(new SnsTopicSubscription(this, `subscription-${i}`, { topicArn: topic!.arn, protocol: sub.protocol, endpoint: sub.endpoint }), `${base}_alerts_${i}`);
      });
      named(new TerraformOutput(this, "topic-arn", { value: topic.arn, description: "The SNS topic for alerts on the data key." }), `${outputPrefix}alerts_topic_arn`);
      named(new TerraformOutput(this, "rule-name", { value: rule.name, description: "The EventBridge rule that raises them." }), `${outputPrefix}alerts_rule_name`);
      this.rule = rule;
      this.topic = topic;
    }

    // Rotation (seed §6): AWS Config's managed rule, and its compliance changes as events.
    let complianceRuleName: string | undefined;
    if (props.configRule) {
      this.configRule = named(
        new ConfigConfigRule(this, "config-rule", {
          name: `${props.name}-rotation`,
          description: "AWS Config: customer-managed KMS keys rotate automatically (seed §6).",
          source: { owner: "AWS", sourceIdentifier: "CMK_BACKING_KEY_ROTATION_ENABLED" },
          maximumExecutionFrequency: "TwentyFour_Hours",
        }),
        `${base}_rotation`,
      );
      named(
        new TerraformOutput(this, "config-rule-name", { value: this.configRule.name, description: "The AWS Config rule for key rotation." }),
        `${outputPrefix}rotation_config_rule_name`,
      );
      if (props.alerts || props.dashboard) {
        complianceRuleName = `${props.name}-rotation-compliance`;
        const compliance = named(
          new CloudwatchEventRule(this, "compliance-rule", {
            name: complianceRuleName,
            description: "AWS Config: the data key's rotation rule turned NON_COMPLIANT.",
            eventPattern: Fn.jsonencode({
              source: ["aws.config"],
              "detail-type": ["Config Rules Compliance Change"],
              detail: { configRuleName: [`${props.name}-rotation`], newEvaluationResult: { complianceType: ["NON_COMPLIANT"] } },
            }),
          }),
          `${base}_rotation_compliance`,
        );
        if (topic) named(new CloudwatchEventTarget(this, "compliance-target", { rule: compliance.name, arn: topic.arn, targetId: "sns" }), `${base}_rotation_compliance`);
      }
    }

    // Coverage (seed §1, §5.3): every resource of the account and region on the key, by AWS Config.
    let coverageComplianceName: string | undefined;
    const coverage = validateCoverage(props.coverage);
    if (coverage) {
      const exempt = exemptionIds("audit.coverage.exemptions", coverage.exemptions ?? [], { accountId: props.accountId, region: props.region, partition });
      for (const rule of COVERAGE_RULES) {
        const managed = rule.source !== "CUSTOM_POLICY";
        this.coverageRules.push(
          named(
            new ConfigConfigRule(this, `coverage-${rule.suffix}`, {
              name: coverageRuleName(props.name, rule),
              description: `AWS Config: every ${rule.resourceType} of the account and region is encrypted with the Mavik data key (seed §1, §5.3).`,
              source: managed
                ? { owner: "AWS", sourceIdentifier: rule.source }
                : {
                    owner: "CUSTOM_POLICY",
                    sourceDetail: [{ messageType: "ConfigurationItemChangeNotification" }, { messageType: "OversizedConfigurationItemChangeNotification" }],
                    customPolicyDetails: { policyRuntime: "guard-2.x.x", policyText: lambdaCoveragePolicy(props.dataKey.keyArn), enableDebugLogDelivery: false },
                  },
              inputParameters: managed ? Fn.jsonencode({ kmsKeyArns: props.dataKey.keyArn }) : undefined,
              scope: { complianceResourceTypes: [rule.resourceType] },
            }),
            `${base}_coverage_${rule.suffix}`,
          ),
        );
      }
      named(
        new TerraformOutput(this, "coverage-rule-names", {
          value: this.coverageRules.map((r) => r.name),
          description: "The AWS Config rules that hold the account's buckets, tables, secrets and functions to the data key.",
        }),
        `${outputPrefix}coverage_config_rule_names`,
      );
      if (props.alerts || props.dashboard) {
        coverageComplianceName = `${props.name}-coverage-compliance`;
        const pattern = coverageEventPattern(props.name, exempt);
        // EventBridge's default quota for an event pattern is 2048 characters (AWS provider docs,
        // aws_cloudwatch_event_rule event_pattern); past it PutRule fails at apply.
        const size = JSON.stringify(pattern).length;
        if (size > 2048) {
          invalid(
            "audit.coverage.exemptions",
            `${coverage.exemptions!.length} exemptions`,
            `They make an EventBridge pattern of ${size} characters; EventBridge takes 2048 by default. Exempt fewer resources (each costs its name and ARN), or exempt them in a rule of your own.`,
          );
        }
        const compliance = named(
          new CloudwatchEventRule(this, "coverage-compliance-rule", {
            name: coverageComplianceName,
            description: "AWS Config: a bucket, table, secret or function of the account turned NON_COMPLIANT with the data key's coverage rules (exemptions left out).",
            eventPattern: Fn.jsonencode(pattern),
          }),
          `${base}_coverage_compliance`,
        );
        if (topic) named(new CloudwatchEventTarget(this, "coverage-compliance-target", { rule: compliance.name, arn: topic.arn, targetId: "sns" }), `${base}_coverage_compliance`);
      }
    }

    // Per-key counts from CloudTrail, where the trail's log group is named.
    if (props.cloudTrailLogGroup) {
      for (const operation of DASHBOARD_OPERATIONS) {
        named(
          new CloudwatchLogMetricFilter(this, `filter-${operation}`, {
            name: `${props.name}-${operation}`,
            logGroupName: props.cloudTrailLogGroup,
            pattern: cloudTrailPattern(props.dataKey.keyArn, operation),
            metricTransformation: { name: operation, namespace: perKeyNamespace(props.name), value: "1", defaultValue: "0" },
          }),
          `${base}_${operation.toLowerCase()}`,
        );
      }
    }

    // An alarm on unusual Decrypt volume, to the alerts topic.
    let alarm: CloudwatchMetricAlarm | undefined;
    if (props.decryptAlarm && topic) {
      const perKey = props.cloudTrailLogGroup !== undefined;
      const period = (props.decryptAlarm.periodMinutes ?? 5) * 60;
      alarm = named(
        new CloudwatchMetricAlarm(this, "decrypt-alarm", {
          alarmName: `${props.name}-decrypt-volume`,
          alarmDescription: perKey
            ? `More than ${props.decryptAlarm.threshold} Decrypt calls on the data key in ${period / 60} minutes (CloudTrail metric filter).`
            : `More than ${props.decryptAlarm.threshold} Decrypt calls in ${period / 60} minutes by the whole account (AWS/Usage counts every key; name audit.cloudTrailLogGroup for this key alone).`,
          namespace: perKey ? perKeyNamespace(props.name) : "AWS/Usage",
          metricName: perKey ? "Decrypt" : "CallCount",
          dimensions: perKey ? undefined : { Service: "KMS", Type: "API", Resource: "Decrypt", Class: "None" },
          statistic: "Sum",
          period,
          evaluationPeriods: 1,
          threshold: props.decryptAlarm.threshold,
          comparisonOperator: "GreaterThanThreshold",
          treatMissingData: "notBreaching",
          alarmActions: [topic.arn],
        }),
        `${base}_decrypt`,
      );
      named(new TerraformOutput(this, "alarm-name", { value: alarm.alarmName, description: "The alarm on unusual Decrypt volume." }), `${outputPrefix}decrypt_alarm_name`);
    }

    // Who may publish to the topic: the rules, and the alarm.
    if (topic) {
      const ruleArns = [alertsRuleName, complianceRuleName, coverageComplianceName].filter((n): n is string => n !== undefined).map((n) => arnOf("events", `rule/${n}`));
      const alarmArn = alarm ? arnOf("cloudwatch", `alarm:${props.name}-decrypt-volume`) : undefined;
      named(
        new SnsTopicPolicy(this, "topic-policy", {
          arn: topic.arn,
          policy: Fn.jsonencode({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "AllowEventBridgeRule",
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topic.arn,
                Condition: { ArnEquals: { "aws:SourceArn": ruleArns.length === 1 ? ruleArns[0] : ruleArns } },
              },
              ...(alarmArn
                ? [{ Sid: "AllowCloudWatchAlarm", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: "sns:Publish", Resource: topic.arn, Condition: { ArnEquals: { "aws:SourceArn": alarmArn } } }]
                : []),
            ],
          }),
        }),
        `${base}_alerts`,
      );
      if (encrypt) {
        props.dataKey.putStatement(eventsStatement());
        if (alarmArn) {
          // One statement for every audit's alarm: a second audit widens it rather than repeating its Sid.
          const existing = props.dataKey.policy.Statement.find((st) => st.Sid === ALARMS_SID)?.Condition?.ArnEquals?.["aws:SourceArn"];
          props.dataKey.putStatement(alarmsStatement(props.accountId, ...conditionValues(existing), alarmArn));
        }
      }
    }

    if (props.dashboard) {
      const dashboard = named(
        new CloudwatchDashboard(this, "dashboard", {
          dashboardName: props.name,
          dashboardBody: Fn.jsonencode(
            dashboardBody({
              name: props.name,
              region: props.region,
              keyArn: props.dataKey.keyArn,
              aliasName: props.dataKey.aliasName,
              alertsRuleName: rule ? alertsRuleName : undefined,
              complianceRuleName,
              configRuleName: this.configRule ? `${props.name}-rotation` : undefined,
              coverageRuleName: coverageComplianceName,
              coverageConfigRuleNames: coverage ? COVERAGE_RULES.map((r) => coverageRuleName(props.name, r)) : undefined,
              logGroup: props.cloudTrailLogGroup,
              alarmArn: alarm?.arn,
            }),
          ),
        }),
        `${base}_dashboard`,
      );
      named(new TerraformOutput(this, "dashboard-name", { value: dashboard.dashboardName, description: "The data key's CloudWatch dashboard." }), `${outputPrefix}dashboard_name`);
    }
  }
}

/**
 * The EventBridge rules this audit creates are named `<name>-alerts`, `<name>-rotation-compliance`
 * and `<name>-coverage-compliance`: EventBridge takes rule names of at most 64 characters
 * (EventBridge API reference, PutRule `Name`), so a longer name fails at apply, not here.
 */
function validateEventRuleNames(props: KeyAuditProps): void {
  const rules = [
    props.alerts && `${props.name}-alerts`,
    props.configRule && (props.alerts || props.dashboard) && `${props.name}-rotation-compliance`,
    props.coverage && (props.alerts || props.dashboard) && `${props.name}-coverage-compliance`,
  ].filter((n): n is string => typeof n === "string");
  const long = rules.find((n) => n.length > 64);
  if (long !== undefined) {
    invalid("audit name", props.name, `It makes the EventBridge rule name ${JSON.stringify(long)} of ${long.length} characters; EventBridge allows at most 64: at most ${props.name.length - (long.length - 64)} characters here.`);
  }
}

/** `coverage` as options, or undefined when it is off. */
function validateCoverage(coverage: KeyAuditProps["coverage"]): CoverageProps | undefined {
  if (coverage === undefined || coverage === false) return undefined;
  if (coverage === true) return {};
  if (typeof coverage !== "object" || coverage === null || Array.isArray(coverage)) {
    invalid("audit.coverage", coverage, 'true, or { "exemptions": [ { "type", "name", "reason" }, ... ] }.');
  }
  return coverage;
}

/** The checks of the dashboard, log group and alarm props. */
function validateAuditExtras(props: KeyAuditProps): void {
  const group = props.cloudTrailLogGroup;
  if (group !== undefined && !isToken(group) && !/^[.\-_/#A-Za-z0-9]{1,512}$/.test(group)) {
    invalid("audit.cloudTrailLogGroup", group, "A CloudWatch Logs group name: 1 to 512 letters, digits and . - _ / #.");
  }
  const alarm = props.decryptAlarm;
  if (alarm === undefined) return;
  if (!props.alerts) invalid("audit.decryptAlarm", alarm, "The alarm notifies the alerts topic: turn on audit.alerts too.");
  if (!Number.isInteger(alarm.threshold) || alarm.threshold < 1) invalid("audit.decryptAlarm.threshold", alarm.threshold, "A whole number of Decrypt calls, 1 or more.");
  const minutes = alarm.periodMinutes ?? 5;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) invalid("audit.decryptAlarm.periodMinutes", minutes, "A whole number of minutes from 1 to 1440 (one day).");
}

/** A service's use of the key for the encrypted alerts topic: the data keys SNS asks for on its behalf. */
function topicKeyStatement(sid: string, service: string, condition?: PolicyStatement["Condition"]): PolicyStatement {
  return { Sid: sid, Effect: "Allow", Principal: { Service: service }, Action: ["kms:GenerateDataKey*", "kms:Decrypt"], Resource: "*", ...(condition ? { Condition: condition } : {}) };
}

/**
 * Lets EventBridge use the key for the encrypted alerts topic. No aws:SourceArn or
 * aws:SourceAccount condition: the SNS developer guide ("Key management") says adding them to a KMS
 * key policy is not supported for EventBridge-to-encrypted-topic delivery: KMS's request does not
 * carry them, and such a statement would drop every alert. The topic policy limits who publishes.
 */
export function eventsStatement(): PolicyStatement {
  return topicKeyStatement(EVENTS_SID, "events.amazonaws.com");
}

/** Lets CloudWatch alarms publish to the encrypted alerts topic: these alarms, this account. */
export function alarmsStatement(accountId: string, ...alarmArns: string[]): PolicyStatement {
  return topicKeyStatement(ALARMS_SID, "cloudwatch.amazonaws.com", {
    ArnEquals: { "aws:SourceArn": alarmArns.length === 1 ? alarmArns[0] : alarmArns },
    StringEquals: { "aws:SourceAccount": accountId },
  });
}
