import { ConfigError, invalid } from "../common/errors";
import { isToken } from "../common/validate";
import { constructAt, IConstruct, referenceOf } from "../platform";

/**
 * An IAM principal named in the key policy:
 * - `"user/<name>"` or `"role/<name>"` (a path is allowed: `"role/service-role/<name>"`), in the
 *   environment's account;
 * - a full ARN, `arn:<partition>:iam::<account>:user/<name>`, `:role/<name>` or `:root`, which must
 *   be in the environment's account;
 * - `{ arn, crossAccount: true }` for a principal of another account, stated explicitly.
 */
export type PrincipalRef = string | { readonly arn: string; readonly crossAccount: true };

/** The account and partition that principal names resolve in. */
export interface PrincipalContext {
  readonly accountId: string;
  readonly partition: string;
  /** Where a Terraform reference among the principals is resolved, to name what it points to. @default - not named */
  readonly scope?: IConstruct;
}

const NAME = "[A-Za-z0-9+=,.@_-]+";
const SHORT = new RegExp(`^(user|role)/((?:${NAME}/)*${NAME})$`);
const ARN = new RegExp(`^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-eusc):iam::(\\d{12}):(root|(?:user|role)/(?:${NAME}/)*${NAME})$`);

const FORMAT =
  'Allowed: "user/<name>", "role/<name>", an ARN "arn:<partition>:iam::<account>:user/<name>" (or role/<name>, root), ' +
  "or { arn, crossAccount: true } for another account.";

/** Resolves a principal reference to its ARN, checking its format, partition and account. */
export function resolvePrincipal(prop: string, ref: PrincipalRef, context: PrincipalContext): string {
  const crossAccount = typeof ref === "object" && ref !== null && ref.crossAccount === true;
  const value = typeof ref === "object" && ref !== null ? ref.arn : ref;
  if (typeof value !== "string") invalid(prop, ref, FORMAT);
  if (isToken(value)) throw new ConfigError(referenceRefused(prop, value, context.scope));
  const short = SHORT.exec(value);
  if (short && !crossAccount) return `arn:${context.partition}:iam::${context.accountId}:${value}`;
  const arn = ARN.exec(value);
  if (!arn) invalid(prop, value, FORMAT);
  const [, partition, account] = arn;
  if (partition !== context.partition) {
    invalid(prop, value, `The environment's partition is "${context.partition}".`);
  }
  if (!isToken(context.accountId) && account !== context.accountId && !crossAccount) {
    invalid(
      prop,
      value,
      `It is in account ${account}, not the environment's account ${context.accountId}; ` +
        "name a principal of another account as { arn, crossAccount: true }.",
    );
  }
  return value;
}

const SERVICE = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com(\.cn)?$/;

/** An AWS service principal such as `s3.amazonaws.com`. */
export function validateServicePrincipal(prop: string, value: string): void {
  if (isToken(value)) return;
  if (!SERVICE.test(value)) invalid(prop, value, 'A service principal looks like "s3.amazonaws.com".');
}

/**
 * A principal that is a Terraform reference (`role.arn`, a variable) is known only at apply, while
 * the key policy is judged at synth (the rules, the review, the lockout check) and saved by KMS
 * with principals it resolves then. The message names what the reference points to, never the
 * token's placeholder, and says what to do instead.
 */
function referenceRefused(prop: string, value: string, scope: IConstruct | undefined): string {
  const ref = scope === undefined ? undefined : referenceOf(scope, value);
  const path = ref?.address === undefined || scope === undefined ? undefined : constructAt(scope, ref.address);
  const what = ref === undefined ? "a Terraform reference" : `"\${${ref.expression}}"`;
  const to = ref?.address === undefined ? "" : ` to ${ref.address}${path === undefined ? "" : ` (${path})`}`;
  const instead = /^deployer/.test(prop)
    ? 'The lockout rule checks the deployer at synth: name it literally, "user/<name>", "role/<name>" or an ARN.'
    : "For a role of this app, grant it the key through IAM instead: key.grantEncryptDecrypt(role), grantEncrypt, grantDecrypt, grantGenerateDataKey or grant(role, actions) write an IAM policy in the role's stack and leave the key policy as it is. Name other principals literally.";
  return `${prop}: ${what} is not allowed. It is a Terraform reference${to}, known only at apply; a key policy names its principals literally, so that the rules at synth, the review and KMS judge the same policy. ${instead}`;
}
