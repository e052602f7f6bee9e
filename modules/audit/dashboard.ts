/**
 * The key's CloudWatch dashboard (seed §5.1, the console's monitoring view as code): what
 * CloudWatch can show of the key, and where it can only show the account.
 *
 * - KMS publishes no request metric per key. `AWS/Usage` counts KMS API calls per operation for
 *   the whole account and region (`CallCount`, Service=KMS, Type=API, Resource=<operation>): the
 *   widget says so.
 * - Per key: CloudTrail's events for this key's ARN, counted by metric filters on the log group
 *   the trail delivers to, when the environment names one.
 * - The alerts rule's invocations and failed invocations (AWS/Events); failed ones mean the topic
 *   did not get an alert.
 * - AWS Config publishes no compliance metric for a rule: a rule on Config's "Compliance Change"
 *   events for the rotation rule counts the times it turned NON_COMPLIANT (AWS/Events MatchedEvents);
 *   another does the same for the coverage rules (exemptions left out), and the text names them:
 *   which resources are NON_COMPLIANT now is in the AWS Config console and `verify --discover`.
 */

/** The operations the dashboard counts (the seed's services call these on the key). */
export const DASHBOARD_OPERATIONS: readonly string[] = ["Encrypt", "Decrypt", "GenerateDataKey", "ReEncrypt", "CreateGrant"];

/** The CloudWatch Logs metric namespace of an audit's per-key counts. */
export const perKeyNamespace = (name: string) => `Mavik/DataKey/${name}`;

/**
 * A CloudWatch Logs filter pattern for CloudTrail's record of `operation` on the key (the
 * `resources` list of a KMS event names the key's ARN first).
 */
export function cloudTrailPattern(keyArn: string, operation: string): string {
  return `{ ($.eventSource = "kms.amazonaws.com") && ($.eventName = "${operation}") && ($.resources[0].ARN = "${keyArn}") }`;
}

export interface DashboardParts {
  readonly name: string;
  readonly region: string;
  readonly keyArn: string;
  readonly aliasName: string;
  readonly alertsRuleName?: string;
  readonly complianceRuleName?: string;
  readonly configRuleName?: string;
  /** The EventBridge rule on the coverage rules' NON_COMPLIANT changes. */
  readonly coverageRuleName?: string;
  /** The coverage rules' AWS Config names. */
  readonly coverageConfigRuleNames?: readonly string[];
  readonly logGroup?: string;
  readonly alarmArn?: string;
}

/** The dashboard body (widgets), as CloudWatch's PutDashboard takes it. */
export function dashboardBody(p: DashboardParts): Record<string, unknown> {
  const widgets: Record<string, unknown>[] = [];
  let y = 0;
  const add = (widget: Record<string, unknown>, height: number) => {
    widgets.push({ ...widget, x: 0, y, width: 24, height });
    y += height;
  };
  const metric = (title: string, metrics: unknown[][], extra: Record<string, unknown> = {}) =>
    add({ type: "metric", properties: { title, region: p.region, view: "timeSeries", stacked: false, stat: "Sum", period: 300, metrics, ...extra } }, 6);

  add(
    {
      type: "text",
      properties: {
        markdown: [
          `# Data key ${p.aliasName}`,
          `\`${p.keyArn}\``,
          "",
          "KMS publishes no request count per key. The first graph counts **every key of the account** in this region (AWS/Usage).",
          p.logGroup
            ? `The second counts calls on **this key**, from CloudTrail's events in \`${p.logGroup}\` (metric filters).`
            : "Name the CloudTrail log group (`audit.cloudTrailLogGroup`) for counts per key.",
          ...(p.coverageConfigRuleNames?.length
            ? [
                "",
                `Coverage: AWS Config rules ${p.coverageConfigRuleNames.map((n) => `\`${n}\``).join(", ")} hold every bucket, table, secret and function of the account and region to this key. ` +
                  "Config publishes no compliance metric: the graph counts the times a resource turned NON_COMPLIANT (exemptions left out); " +
                  "the resources NON_COMPLIANT now are in the AWS Config console and in `npm run verify -- --env <name> --discover`.",
              ]
            : []),
        ].join("\n"),
      },
    },
    p.coverageConfigRuleNames?.length ? 6 : 4,
  );
  metric(
    "KMS requests by operation: the whole account (AWS/Usage counts every key, not only this one)",
    DASHBOARD_OPERATIONS.map((op) => ["AWS/Usage", "CallCount", "Service", "KMS", "Type", "API", "Resource", op, "Class", "None"]),
  );
  if (p.logGroup) {
    metric(
      "Requests to this key by operation (CloudTrail metric filters)",
      DASHBOARD_OPERATIONS.map((op) => [perKeyNamespace(p.name), op]),
    );
  }
  if (p.alertsRuleName) {
    metric("Alerts on destructive calls: rule invocations, and failed deliveries to the topic", [
      ["AWS/Events", "Invocations", "RuleName", p.alertsRuleName],
      ["AWS/Events", "FailedInvocations", "RuleName", p.alertsRuleName],
    ]);
  }
  if (p.complianceRuleName) {
    metric(
      `Rotation rule ${p.configRuleName}: times it turned NON_COMPLIANT (AWS Config has no compliance metric)`,
      [["AWS/Events", "MatchedEvents", "RuleName", p.complianceRuleName]],
      { period: 3600 },
    );
  }
  if (p.coverageRuleName) {
    metric(
      "Coverage rules: times a bucket, table, secret or function turned NON_COMPLIANT (exemptions left out)",
      [["AWS/Events", "MatchedEvents", "RuleName", p.coverageRuleName]],
      { period: 3600 },
    );
  }
  if (p.alarmArn) add({ type: "alarm", properties: { title: "Unusual Decrypt volume", alarms: [p.alarmArn] } }, 3);
  return { widgets };
}
