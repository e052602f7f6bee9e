import { invalid, missing } from "../common/errors";
import { isToken, validateAccountId } from "../common/validate";
import { compact, PolicyDocument, PolicyStatement } from "./document";
import type { IConstruct } from "../platform";
import { PrincipalContext, PrincipalRef, resolvePrincipal, validateServicePrincipal } from "./principal";

/** The seed's statement ids (§3), one per role, so a reviewer can find each group. */
export const Sids = {
  ROOT: "Enable IAM User Permissions",
  ADMINISTRATORS: "Allow access for Key Administrators",
  USERS: "Allow use of the key",
  GRANTS: "Allow attachment of persistent resources",
  SERVICES: "Allow AWS Managed Services To Use Key",
  VIA_SERVICES: "Allow access through AWS services for principals in the account",
} as const;

/** The seed's 15 key-administrator actions (§3), in its order. */
export const ADMIN_ACTIONS: readonly string[] = [
  "kms:Create*",
  "kms:Describe*",
  "kms:Enable*",
  "kms:List*",
  "kms:Put*",
  "kms:Update*",
  "kms:Revoke*",
  "kms:Disable*",
  "kms:Get*",
  "kms:Delete*",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
  "kms:RotateKeyOnDemand",
];

/** Cryptographic use of the key, for key users and AWS services (§3). */
export const USAGE_ACTIONS: readonly string[] = [
  "kms:Encrypt",
  "kms:Decrypt",
  "kms:ReEncrypt*",
  "kms:GenerateDataKey*",
  "kms:DescribeKey",
];

/** Grants that AWS services create for persistent resources (EBS, RDS, ...) on behalf of users. */
export const GRANT_ACTIONS: readonly string[] = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"];

/** The Id of the seed's policy, as the console wrote it. */
export const SEED_POLICY_ID = "key-consolepolicy-3";

export interface KeyPolicyProps {
  /** The account that owns the key; principal names resolve in it. 12 digits. */
  readonly accountId: string;
  /**
   * The partition of the account's region.
   * @default "aws"
   */
  readonly partition?: string;
  /**
   * The policy's `Id`.
   * @default "key-consolepolicy-3" (the seed's)
   */
  readonly policyId?: string;
  /**
   * Statement "Enable IAM User Permissions": the account root gets `kms:*`, so IAM policies of the
   * account can grant use of the key. Turning it off makes the key policy the only source of
   * access; then an administrator must keep `kms:PutKeyPolicy` or synth fails (lockout).
   * @default true
   */
  readonly enableIamUserPermissions?: boolean;
  /**
   * Key administrators (§3, "Allow access for Key Administrators"): manage the key's lifecycle,
   * never encrypt or decrypt. Seed §6: only `mavik-deployer` and `mavik-developer`.
   * @default [] - no administrator statement
   */
  readonly administrators?: PrincipalRef[];
  /**
   * Key users (§3, "Allow use of the key" and "Allow attachment of persistent resources"):
   * encrypt / decrypt and grants for AWS resources.
   * @default [] - neither statement
   */
  readonly users?: PrincipalRef[];
  /**
   * AWS service principals (§3, "Allow AWS Managed Services To Use Key"), e.g. `s3.amazonaws.com`.
   * @default [] - no service statement
   */
  readonly services?: string[];
  /**
   * How AWS services get the key:
   * - `"service-principals"`: the seed's statement for the service principals in `services`.
   * - `"via-service"`: the hardened form AWS managed keys use: principals of this account, only
   *   through those services (`kms:ViaService = <service>.<region>.amazonaws.com`,
   *   `kms:CallerAccount = <account>`). Needs `region`.
   * @default "service-principals" (the seed's, the documented system)
   */
  readonly serviceAccess?: "service-principals" | "via-service";
  /**
   * The key's region; used by `serviceAccess: "via-service"`.
   * @default - required only for "via-service"
   */
  readonly region?: string;
  /**
   * Extra statements, appended after the seed's groups. Their Sids must be unique and their
   * actions real KMS actions.
   * @default []
   */
  readonly additionalStatements?: PolicyStatement[];
}

/** Which of the props a statement of the built policy was written from. */
export type StatementOrigin =
  /** A role's statement: its principals of `kind` are the prop's list, in its order. */
  | { readonly prop: "administrators" | "users" | "services"; readonly kind: "AWS" | "Service" }
  /** `additionalStatements[index]`, as given. */
  | { readonly prop: "additionalStatements"; readonly index: number };

/** The key policy and the principals it was built from, resolved to ARNs. */
export interface BuiltKeyPolicy {
  readonly document: PolicyDocument;
  readonly administrators: string[];
  readonly users: string[];
  /** For each statement of `document`, the prop it was written from; undefined for the root statement. */
  readonly origins: readonly (StatementOrigin | undefined)[];
}

/**
 * A message about the policy (`policy.Statement[4].Principal.Service[1]: ...`) in the fields its
 * author wrote: `services[1]`, `users[0]`, `additionalStatements[0] (policy.Statement[5])`.
 * `origins` are those of the statements as the policy now holds them.
 */
export function nameUserFields(text: string, origins: readonly (StatementOrigin | undefined)[]): string {
  return text.replace(/policy\.Statement\[(\d+)\](\.(?:Principal|NotPrincipal)\.(AWS|Service)\[(\d+)\])?/g, (whole, n: string, principal?: string, kind?: string, j?: string) => {
    const origin = origins[Number(n)];
    if (origin === undefined) return whole;
    if (origin.prop === "additionalStatements") return `additionalStatements[${origin.index}] (policy.Statement[${n}])${principal ?? ""}`;
    return principal !== undefined && kind === origin.kind ? `${origin.prop}[${j}]` : whole;
  });
}

/**
 * Builds the key policy from roles, in the seed's statement order. Empty roles emit no statement,
 * as terraform-aws-kms does, so a policy never names an empty principal list.
 */
export function buildKeyPolicy(props: KeyPolicyProps): PolicyDocument {
  return composeKeyPolicy(props).document;
}

/**
 * {@link buildKeyPolicy}, also returning the resolved administrators and users. `scope`, where
 * given, resolves a Terraform reference among the principals to name what it points to.
 */
export function composeKeyPolicy(props: KeyPolicyProps, scope?: IConstruct): BuiltKeyPolicy {
  validateAccountId("accountId", props.accountId);
  const context = { accountId: props.accountId, partition: props.partition ?? "aws", scope };
  for (const [prop, list, what] of [
    ["administrators", props.administrators, "the key administrators' statement"],
    ["users", props.users, "the key users' statements"],
    ["services", props.services, "the AWS services' statement"],
  ] as const) {
    if (list !== undefined && !Array.isArray(list)) invalid(prop, list, "A list.");
    if (list !== undefined && list.length === 0) {
      invalid(prop, list, `An empty list writes no statement: list at least one, or leave ${prop} out to write no ${what.replace(/^the /, "")} on purpose.`);
    }
  }
  const administrators = resolveAll("administrators", props.administrators ?? [], context);
  administrators.forEach((arn, i) => {
    if (/:root$/.test(arn) && arn.includes(`::${context.accountId}:`)) {
      invalid(
        `administrators[${i}]`,
        (props.administrators ?? [])[i],
        "The account root is not a key administrator: the root statement (enableIamUserPermissions) already lets the account's IAM policies grant anything. List the users or roles that administer the key.",
      );
    }
  });
  const users = resolveAll("users", props.users ?? [], context);
  const services = props.services ?? [];
  services.forEach((s, i) => validateServicePrincipal(`services[${i}]`, s));
  noDuplicates("services", services);
  const policyId = props.policyId ?? SEED_POLICY_ID;
  if (!isToken(policyId) && !/^[\w+=,.@:\/-]{1,128}$/.test(policyId)) {
    invalid("policyId", policyId, "Allowed: 1 to 128 letters, digits and +=,.@:/_- characters.");
  }

  const statements: PolicyStatement[] = [];
  const origins: (StatementOrigin | undefined)[] = [];
  if (props.enableIamUserPermissions ?? true) {
    statements.push(allow(Sids.ROOT, { AWS: `arn:${context.partition}:iam::${context.accountId}:root` }, ["kms:*"]));
    origins.push(undefined);
  }
  if (administrators.length > 0) {
    statements.push(allow(Sids.ADMINISTRATORS, { AWS: compact(administrators) }, ADMIN_ACTIONS));
    origins.push({ prop: "administrators", kind: "AWS" });
  }
  if (users.length > 0) {
    statements.push(allow(Sids.USERS, { AWS: compact(users) }, USAGE_ACTIONS));
    statements.push({
      ...allow(Sids.GRANTS, { AWS: compact(users) }, GRANT_ACTIONS),
      Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
    });
    origins.push({ prop: "users", kind: "AWS" }, { prop: "users", kind: "AWS" });
  }
  const serviceAccess = props.serviceAccess ?? "service-principals";
  if (serviceAccess !== "service-principals" && serviceAccess !== "via-service") {
    invalid("serviceAccess", serviceAccess, 'Allowed: "service-principals" (the seed\'s) or "via-service".');
  }
  if (services.length > 0 && serviceAccess === "service-principals") {
    statements.push(allow(Sids.SERVICES, { Service: compact(services) }, USAGE_ACTIONS));
    origins.push({ prop: "services", kind: "Service" });
  }
  if (services.length > 0 && serviceAccess === "via-service") {
    if (props.region === undefined) missing("region", 'serviceAccess "via-service" needs the key\'s region, e.g. "us-east-1".');
    const via = services.map((s) => s.replace(/^([^.]+)\.amazonaws\.com(\.cn)?$/, `$1.${props.region}.amazonaws.com$2`));
    statements.push({
      ...allow(Sids.VIA_SERVICES, { AWS: "*" }, USAGE_ACTIONS),
      Condition: { StringEquals: { "kms:CallerAccount": context.accountId, "kms:ViaService": compact(via) } },
    });
    origins.push(undefined);
  }
  const additional = props.additionalStatements ?? [];
  statements.push(...additional);
  origins.push(...additional.map((_, index) => ({ prop: "additionalStatements" as const, index })));
  return { document: { Version: "2012-10-17", Id: policyId, Statement: statements }, administrators, users, origins };
}

function allow(sid: string, principal: PolicyStatement["Principal"], actions: readonly string[]): PolicyStatement {
  return { Sid: sid, Effect: "Allow", Principal: principal, Action: compact([...actions]), Resource: "*" };
}

function resolveAll(prop: string, refs: PrincipalRef[], context: PrincipalContext): string[] {
  const arns = refs.map((ref, i) => resolvePrincipal(`${prop}[${i}]`, ref, context));
  noDuplicates(prop, arns);
  return arns;
}

function noDuplicates(prop: string, values: string[]): void {
  const seen = new Map<string, number>();
  values.forEach((value, i) => {
    const first = seen.get(value);
    if (first !== undefined) invalid(`${prop}[${i}]`, value, `Each principal may be listed once; ${prop}[${first}] names it already.`);
    seen.set(value, i);
  });
}
