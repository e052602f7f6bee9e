import { invalid } from "../common/errors";

/** Who hears about a destructive call on the key: an SNS subscription. */
export interface AlertSubscription {
  /** `email`, `email-json`, `https`, `sqs`, `lambda` or `sms`. */
  readonly protocol: "email" | "email-json" | "https" | "sqs" | "lambda" | "sms";
  /** An e-mail address, an https URL, an SQS queue or Lambda function ARN, or an E.164 phone number. */
  readonly endpoint: string;
}

const RULES: Record<AlertSubscription["protocol"], { test: (endpoint: string, account: string, region: string) => boolean; allowed: string }> = {
  email: { test: (e) => isEmail(e), allowed: 'An email endpoint is an e-mail address such as "security@mavik.example".' },
  "email-json": { test: (e) => isEmail(e), allowed: 'An email-json endpoint is an e-mail address such as "security@mavik.example".' },
  https: { test: (e) => isHttpsUrl(e), allowed: 'An https endpoint is an https:// URL such as "https://hooks.mavik.example/kms".' },
  sqs: {
    test: (e, account, region) => new RegExp(`^arn:aws[a-z-]*:sqs:${region}:${account}:[A-Za-z0-9_-]{1,80}(\\.fifo)?$`).test(e),
    allowed: "An sqs endpoint is the ARN of a queue in the environment's account and region.",
  },
  lambda: {
    test: (e, account, region) => new RegExp(`^arn:aws[a-z-]*:lambda:${region}:${account}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?$`).test(e),
    allowed: "A lambda endpoint is the ARN of a function in the environment's account and region.",
  },
  sms: { test: (e) => /^\+[1-9]\d{6,14}$/.test(e), allowed: 'An sms endpoint is a phone number in E.164 form such as "+14155550123".' },
};

/** Checks each subscription's protocol and endpoint; `prop` is where they came from. */
export function validateSubscriptions(prop: string, subscriptions: readonly AlertSubscription[], account: string, region: string): void {
  const seen = new Set<string>();
  subscriptions.forEach((s, i) => {
    const rule = RULES[s.protocol];
    if (rule === undefined) invalid(`${prop}[${i}].protocol`, s.protocol, `Allowed: ${Object.keys(RULES).join(", ")}.`);
    if (!rule.test(s.endpoint, account, region)) invalid(`${prop}[${i}].endpoint`, s.endpoint, rule.allowed);
    const identity = `${s.protocol} ${s.endpoint}`;
    if (seen.has(identity)) invalid(`${prop}[${i}]`, identity, "Each subscription is listed once.");
    seen.add(identity);
  });
}

function isEmail(value: string): boolean {
  return /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/.test(value);
}

function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" && url.hostname.includes(".") && !url.username && !url.password;
  } catch {
    return false;
  }
}
