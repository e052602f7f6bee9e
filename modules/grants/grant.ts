/**
 * Grants as aws-cdk's `Key` has them (`grantEncrypt`, `grantDecrypt`, `grantEncryptDecrypt`, and
 * `grantGenerateDataKey`): an IAM role's use of the key, written as an `aws_iam_role_policy` on
 * the key's ARN in the role's stack. The key policy delegates to IAM in the key's account (the
 * seed's "Enable IAM User Permissions"), so the key policy does not change and no stack depends on
 * the role's: no cycle.
 *
 * A role of another account needs the key policy too: KMS takes a key from another account only
 * when the key policy names that account or role (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html).
 * For a `DataKey`, the evaluator checks the key policy would let the role use the key this way,
 * and a grant it would not honour is an error saying what to add.
 */
import { directCallContext, KeyFacts } from "../access/context";
import { evaluate } from "../access/evaluate";
import { requestPrincipal } from "../access/principals";
import { terraformName } from "../bindings/binding";
import { invalid } from "../common/errors";
import { claimTerraformName } from "../common/names";
import { isToken } from "../common/validate";
import { matchingKmsActions } from "../key-policy/actions";
import { PolicyDocument } from "../key-policy/document";
import { Annotations, Construct, Fn, IamRole, IamRolePolicy, IConstruct, Token } from "../platform";

/** `kms:Encrypt`, `kms:ReEncrypt*`, `kms:GenerateDataKey*`, as aws-cdk's `grantEncrypt`. */
export const ENCRYPT_ACTIONS: readonly string[] = ["kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"];
/** `kms:Decrypt`, as aws-cdk's `grantDecrypt`. */
export const DECRYPT_ACTIONS: readonly string[] = ["kms:Decrypt"];
/** `kms:GenerateDataKey`: envelope encryption of data the role writes (S3 uploads, client-side encryption). */
export const GENERATE_DATA_KEY_ACTIONS: readonly string[] = ["kms:GenerateDataKey"];

/** A role of the consumer's app (`IamRole`), or an existing role's name or ARN. */
export type RoleTarget = IamRole | string;

export interface GrantOptions {
  /**
   * Use only through this AWS service: `kms:ViaService` = `<service>.<key's region>.amazonaws.com`,
   * e.g. `"s3"` for a role that reads objects of an encrypted bucket but may not call KMS itself.
   * @default - any use, direct or through a service
   */
  readonly viaService?: string;
  /**
   * Where the role policy goes when the role is given by name or ARN: a construct in the stack
   * that should own it. An `IamRole` always gets its policy in its own stack.
   * @default - the key's scope
   */
  readonly scope?: Construct;
}

/** What a grant needs of the key. */
export interface GrantableKey extends IConstruct {
  readonly keyArn: string;
  /** The key policy and what the evaluator knows of the key, when this app writes the policy. */
  keyPolicyFacts(): { readonly policy: PolicyDocument; readonly facts: KeyFacts } | undefined;
}

interface RolePolicy {
  readonly resource: IamRolePolicy;
  readonly statements: Record<string, unknown>[];
  readonly keyArn: string;
}

const policies = new WeakMap<IConstruct, Map<string, RolePolicy>>();

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SERVICE = /^[a-z][a-z0-9-]{1,62}$/;

/**
 * Lets `role` use `key` for `actions`: one `aws_iam_role_policy` per key and role, named
 * `<key id>_<role>`, gathering every grant made to that role; the same grant twice adds nothing.
 */
export function grantKeyUse(key: GrantableKey, call: string, role: RoleTarget, actions: readonly string[], options: GrantOptions = {}): IamRolePolicy {
  const who = roleOf(call, role);
  if (options.viaService !== undefined && !SERVICE.test(options.viaService)) {
    invalid(`${call} viaService`, options.viaService, 'A service name as in its endpoint: "s3", "dynamodb", "secretsmanager", "lambda".');
  }
  checkKeyPolicy(key, call, role, who, actions, options.viaService);

  let byRole = policies.get(key);
  if (byRole === undefined) policies.set(key, (byRole = new Map()));
  const identity = who.construct ? `construct:${who.construct.node.path}` : `name:${who.name}`;
  let entry = byRole.get(identity);
  if (entry === undefined) {
    const keyName = terraformName(key.node.id);
    const scope = who.construct ?? options.scope ?? key;
    const roleName = who.construct ? who.construct.friendlyUniqueId : terraformName(who.name!);
    const resource = new IamRolePolicy(scope, who.construct ? `data-key-grant-${keyName}` : `data-key-grant-${keyName}-${roleName}`, {
      name: `data-key-${keyName}`,
      role: who.construct ? who.construct.name : who.name!,
      policy: "{}",
    });
    resource.overrideLogicalId(`${keyName}_${roleName}`);
    claimTerraformName(resource);
    entry = { resource, statements: [], keyArn: key.keyArn };
    byRole.set(identity, entry);
  }
  const statement: Record<string, unknown> = { Effect: "Allow", Action: [...actions], Resource: entry.keyArn };
  if (options.viaService !== undefined) {
    statement.Condition = { StringEquals: { "kms:ViaService": `${options.viaService}.${regionOf(entry.keyArn)}.amazonaws.com` } };
  }
  const shape = JSON.stringify(statement);
  if (!entry.statements.some((s) => JSON.stringify(s) === shape)) {
    entry.statements.push(statement);
    const document = { Version: "2012-10-17", Statement: entry.statements };
    // A literal policy when everything is known, so `terraform plan` shows it in full.
    entry.resource.policy = Token.isUnresolved(JSON.stringify(document)) ? Fn.jsonencode(document) : JSON.stringify(document, null, 2);
  }
  return entry.resource;
}

/** The role's construct, name and (where known) ARN. */
function roleOf(call: string, role: RoleTarget): { construct?: IamRole; name?: string; arn?: string } {
  if (role instanceof IamRole) return { construct: role, name: role.nameInput, arn: undefined };
  if (typeof role !== "string") invalid(call, role, "A role: an IamRole of this app, or an existing role's name or ARN.");
  if (isToken(role)) return { name: role };
  const arn = ROLE_ARN.exec(role);
  if (arn) return { name: arn[3], arn: role };
  if (ROLE_NAME.test(role)) return { name: role };
  return invalid(call, role, 'A role: an IamRole of this app, a role name ("MavikLambdaRole") or a role ARN ("arn:aws:iam::<account>:role/<name>").');
}

/** The region of a key ARN, as Terraform will know it: literal, or the ARN's fourth field. */
function regionOf(keyArn: string): string {
  if (!isToken(keyArn)) {
    const region = keyArn.split(":")[3];
    if (region) return region;
  }
  return Fn.element(Fn.split(":", keyArn), 3);
}

/**
 * For a key whose policy this app writes: the key policy must let the role's account (or the
 * role) use the key, or the IAM policy grants nothing.
 */
function checkKeyPolicy(
  key: GrantableKey,
  call: string,
  role: RoleTarget,
  target: { readonly name?: string; readonly arn?: string },
  actions: readonly string[],
  viaService: string | undefined,
): void {
  const roleArn = target.arn;
  const known = key.keyPolicyFacts();
  if (known === undefined) {
    if (roleArn !== undefined) {
      const account = ROLE_ARN.exec(roleArn)?.[2];
      const keyAccount = isToken(key.keyArn) ? undefined : key.keyArn.split(":")[4];
      if (account !== undefined && keyAccount !== undefined && account !== keyAccount) {
        Annotations.of(key).addWarning(
          `${call}(${roleArn}): the role is in account ${account} and the key in ${keyAccount}; the key's policy must also allow the role (or its account), in ${keyAccount}.`,
        );
      }
    }
    return;
  }
  // A role by name (or a role whose ARN is known only at apply) is in the key's account.
  const principal = roleArn ?? `arn:${known.facts.partition}:iam::${known.facts.account}:role/${target.name !== undefined && !isToken(target.name) ? target.name : "any-role"}`;
  const who = requestPrincipal(principal);
  let context = directCallContext(who, known.facts);
  if (viaService !== undefined) context = context.with({ "kms:ViaService": `${viaService}.${known.facts.region ?? "us-east-1"}.amazonaws.com` });
  const concrete = [...new Set(actions.flatMap((a) => matchingKmsActions(a)))];
  const refused = concrete.filter((action) => {
    const decision = evaluate(known.policy, known.facts, { principal: who, action, context });
    return decision.effect === "deny" && decision.conditionalGrants.length === 0;
  });
  if (refused.length === 0) return;
  const account = ROLE_ARN.exec(principal)?.[2] ?? known.facts.account;
  invalid(
    call,
    typeof role === "string" ? role : role.node.path,
    account !== known.facts.account
      ? `The role is in account ${account}, and the key policy does not let it ${refused.join(", ")}: KMS needs both the key policy (in the key's account) and the role's IAM policy. Add the role to the key's users as { arn, crossAccount: true }, or add a statement with key.addStatements, then grant.`
      : `The key policy does not let ${principal} ${refused.join(", ")} through IAM (no "Enable IAM User Permissions" statement, or a Deny): an IAM policy would grant nothing. Add the role to the key's users instead.`,
  );
}
