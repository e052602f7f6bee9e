import { invalid } from "../common/errors";
import { partitionOf, validateAccountId, validateRegion } from "../common/validate";
import { DataKey } from "../data-key/data-key";
import { PolicyStatement } from "../key-policy/document";
import {
  CloudwatchEventRule,
  CloudwatchEventTarget,
  ConfigConfigRule,
  Construct,
  Fn,
  SnsTopic,
  SnsTopicPolicy,
  SnsTopicSubscription,
  TerraformOutput,
} from "../platform";
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

/** The Sid of the key-policy statement that lets EventBridge publish to an encrypted alert topic. */
export const EVENTS_SID = "Allow EventBridge to publish key alerts to the encrypted topic";

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
   * The EventBridge rule on CloudTrail management events for this key and its SNS topic.
   * @default - no alerts
   */
  readonly alerts?: {
    /** Who is told. @default [] */
    readonly subscriptions?: AlertSubscription[];
    /**
     * Encrypt the topic with the data key. Adds a key-policy statement for events.amazonaws.com,
     * limited by aws:SourceArn to the rule.
     * @default true
     */
    readonly encryptTopic?: boolean;
  };
  /**
   * The AWS Config managed rule CMK_BACKING_KEY_ROTATION_ENABLED. Needs a configuration recorder
   * in the account and region.
   * @default false
   */
  readonly configRule?: boolean;
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
 * `alerts_topic_arn`, `alerts_rule_name` and `rotation_config_rule_name`.
 */
export class KeyAudit extends Construct {
  public readonly rule?: CloudwatchEventRule;
  public readonly topic?: SnsTopic;
  public readonly configRule?: ConfigConfigRule;

  constructor(scope: Construct, id: string, props: KeyAuditProps) {
    super(scope, id);
    validateAccountId("accountId", props.accountId);
    validateRegion("region", props.region);
    if (!/^[A-Za-z0-9_.-]{1,48}$/.test(props.name)) invalid("audit name", props.name, "Allowed: 1 to 48 letters, digits and _.- characters.");
    const partition = partitionOf(props.region);

    if (props.alerts) {
      const subscriptions = props.alerts.subscriptions ?? [];
      validateSubscriptions("audit.alerts.subscriptions", subscriptions, props.accountId, props.region);
      const ruleName = `${props.name}-alerts`;
      // Known before apply (default event bus), so the key policy can name it as a literal.
      const ruleArn = `arn:${partition}:events:${props.region}:${props.accountId}:rule/${ruleName}`;
      const encrypt = props.alerts.encryptTopic ?? true;

      const topic = new SnsTopic(this, "topic", { name: ruleName, kmsMasterKeyId: encrypt ? props.dataKey.keyArn : undefined });
      topic.overrideLogicalId("mavik_data_key_alerts");
      const rule = new CloudwatchEventRule(this, "rule", {
        name: ruleName,
        description: "Destructive calls on the Mavik data key: disable, schedule deletion, re-policy, rotation off, alias changes.",
        eventPattern: Fn.jsonencode(alertEventPattern(props.dataKey.keyArn)),
      });
      rule.overrideLogicalId("mavik_data_key_alerts");
      const target = new CloudwatchEventTarget(this, "target", { rule: rule.name, arn: topic.arn, targetId: "sns" });
      target.overrideLogicalId("mavik_data_key_alerts");
      const topicPolicy = new SnsTopicPolicy(this, "topic-policy", {
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
              Condition: { ArnEquals: { "aws:SourceArn": ruleArn } },
            },
          ],
        }),
      });
      topicPolicy.overrideLogicalId("mavik_data_key_alerts");
      subscriptions.forEach((s, i) => {
        const subscription = new SnsTopicSubscription(this, `subscription-${i}`, { topicArn: topic.arn, protocol: s.protocol, endpoint: s.endpoint });
        subscription.overrideLogicalId(`mavik_data_key_alerts_${i}`);
      });
      if (encrypt) props.dataKey.addStatements(eventsStatement(ruleArn));
      new TerraformOutput(this, "topic-arn", { value: topic.arn, description: "The SNS topic for alerts on the data key." }).overrideLogicalId("alerts_topic_arn");
      new TerraformOutput(this, "rule-name", { value: rule.name, description: "The EventBridge rule that raises them." }).overrideLogicalId("alerts_rule_name");
      this.rule = rule;
      this.topic = topic;
    }

    if (props.configRule) {
      this.configRule = new ConfigConfigRule(this, "config-rule", {
        name: `${props.name}-rotation`,
        description: "AWS Config: customer-managed KMS keys rotate automatically (seed §6).",
        source: { owner: "AWS", sourceIdentifier: "CMK_BACKING_KEY_ROTATION_ENABLED" },
        maximumExecutionFrequency: "TwentyFour_Hours",
      });
      this.configRule.overrideLogicalId("mavik_data_key_rotation");
      new TerraformOutput(this, "config-rule-name", { value: this.configRule.name, description: "The AWS Config rule for key rotation." }).overrideLogicalId(
        "rotation_config_rule_name",
      );
    }
  }
}

/** Lets EventBridge use the key for the encrypted topic, for this rule only. */
export function eventsStatement(ruleArn: string): PolicyStatement {
  return {
    Sid: EVENTS_SID,
    Effect: "Allow",
    Principal: { Service: "events.amazonaws.com" },
    Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
    Resource: "*",
    Condition: { ArnEquals: { "aws:SourceArn": ruleArn } },
  };
}
