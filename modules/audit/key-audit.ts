import { terraformName } from "../bindings/binding";
import { invalid } from "../common/errors";
import { claimTerraformName } from "../common/names";
import { partitionOf, validateAccountId, validateRegion } from "../common/validate";
import { DataKey } from "../data-key/data-key";
import { asList, PolicyStatement } from "../key-policy/document";
import {
  CloudwatchEventRule,
  CloudwatchEventTarget,
  ConfigConfigRule,
  Construct,
  Fn,
  SnsTopic,
  SnsTopicPolicy,
  SnsTopicSubscription,
  TerraformElement,
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
 * `<prefix>alerts_topic_arn`, `<prefix>alerts_rule_name` and `<prefix>rotation_config_rule_name`.
 * Its Terraform names come from its id, so two audits in one stack do not overwrite each other.
 */
export class KeyAudit extends Construct {
  public readonly rule?: CloudwatchEventRule;
  public readonly topic?: SnsTopic;
  public readonly configRule?: ConfigConfigRule;

  constructor(scope: Construct, id: string, props: KeyAuditProps) {
    super(scope, id);
    if (typeof props !== "object" || props === null) {
      invalid("KeyAudit props", props, "new KeyAudit(scope, id, { dataKey, accountId, region, name, alerts?, configRule? }) takes its props as an object.");
    }
    if (!(props.dataKey instanceof DataKey)) invalid("dataKey", props.dataKey, "The DataKey this audit watches (a key this app creates; its policy gets the events statement).");
    validateAccountId("accountId", props.accountId);
    validateRegion("region", props.region);
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

    if (props.alerts) {
      const subscriptions = props.alerts.subscriptions ?? [];
      validateSubscriptions("audit.alerts.subscriptions", subscriptions, props.accountId, props.region);
      const ruleName = `${props.name}-alerts`;
      // Known before apply (default event bus), so the key policy can name it as a literal.
      const ruleArn = `arn:${partition}:events:${props.region}:${props.accountId}:rule/${ruleName}`;
      const encrypt = props.alerts.encryptTopic ?? true;

      const topic = named(new SnsTopic(this, "topic", { name: ruleName, kmsMasterKeyId: encrypt ? props.dataKey.keyArn : undefined }), `${base}_alerts`);
      const rule = named(new CloudwatchEventRule(this, "rule", {
        name: ruleName,
        description: "Destructive calls on the Mavik data key: disable, schedule deletion, re-policy, rotation off, alias changes.",
        eventPattern: Fn.jsonencode(alertEventPattern(props.dataKey.keyArn)),
      }), `${base}_alerts`);
      named(new CloudwatchEventTarget(this, "target", { rule: rule.name, arn: topic.arn, targetId: "sns" }), `${base}_alerts`);
      named(new SnsTopicPolicy(this, "topic-policy", {
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
      }), `${base}_alerts`);
      subscriptions.forEach((s, i) => {
        named(new SnsTopicSubscription(this, `subscription-${i}`, { topicArn: topic.arn, protocol: s.protocol, endpoint: s.endpoint }), `${base}_alerts_${i}`);
      });
      if (encrypt) {
        // One statement for every audit's rule: a second audit widens it rather than repeating its Sid.
        const existing = props.dataKey.policy.Statement.find((st) => st.Sid === EVENTS_SID)?.Condition?.ArnEquals?.["aws:SourceArn"];
        props.dataKey.putStatement(eventsStatement(...(existing === undefined ? [] : asList(existing)), ruleArn));
      }
      named(new TerraformOutput(this, "topic-arn", { value: topic.arn, description: "The SNS topic for alerts on the data key." }), `${outputPrefix}alerts_topic_arn`);
      named(new TerraformOutput(this, "rule-name", { value: rule.name, description: "The EventBridge rule that raises them." }), `${outputPrefix}alerts_rule_name`);
      this.rule = rule;
      this.topic = topic;
    }

    if (props.configRule) {
      this.configRule = named(new ConfigConfigRule(this, "config-rule", {
        name: `${props.name}-rotation`,
        description: "AWS Config: customer-managed KMS keys rotate automatically (seed §6).",
        source: { owner: "AWS", sourceIdentifier: "CMK_BACKING_KEY_ROTATION_ENABLED" },
        maximumExecutionFrequency: "TwentyFour_Hours",
      }), `${base}_rotation`);
      named(
        new TerraformOutput(this, "config-rule-name", { value: this.configRule.name, description: "The AWS Config rule for key rotation." }),
        `${outputPrefix}rotation_config_rule_name`,
      );
    }
  }
}

/** Lets EventBridge use the key for the encrypted topics, for these rules only. */
export function eventsStatement(...ruleArns: string[]): PolicyStatement {
  return {
    Sid: EVENTS_SID,
    Effect: "Allow",
    Principal: { Service: "events.amazonaws.com" },
    Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
    Resource: "*",
    Condition: { ArnEquals: { "aws:SourceArn": ruleArns.length === 1 ? ruleArns[0] : ruleArns } },
  };
}
