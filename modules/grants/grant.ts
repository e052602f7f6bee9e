/**
 * Grants as aws-cdk's `Key` has them (`grantEncrypt`, `grantDecrypt`, `grantEncryptDecrypt`, and
 * `grantGenerateDataKey`): an IAM role's use of the key, written as an `aws_iam_role_policy` on
 * the key's ARN in the role's stack. The key policy delegates to IAM in the key's account (the
 * seed's "Enable IAM User Permissions"), so the key policy does not change and no stack depends on
 * the role's: no cycle.
 *
 * A role of another account needs two policies in two accounts: the key policy (in the key's
 * account) must name that account or role, and the role's IAM policy lives in the role's account
 * (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html).
 * A grant writes the IAM policy only into a stack whose AWS provider works in the role's account
 * (its `allowed_account_ids`, or the stack of the key, whose account is the key's); anywhere else it
 * would attach to no role (NoSuchEntity) or to a role of the same name in the wrong account, so it
 * is an error that prints both policies to write. For a `DataKey`, the evaluator checks the key
 * policy would let the role use the key this way, and a grant it would not honour is an error
 * saying what to add.
 */
import { directCallContext, KeyFacts } from "../access/context";
import { evaluate } from "../access/evaluate";
import { requestPrincipal } from "../access/principals";
import { referenceName, terraformName } from "../bindings/binding";
import { invalid } from "../common/errors";
import { claimTerraformName } from "../common/names";
import { isToken } from "../common/validate";
import { matchingKmsActions } from "../key-policy/actions";
import { PolicyDocument } from "../key-policy/document";
import { Annotations, awsProviderOf, Construct, Fn, IamRole, IamRolePolicy, IConstruct, isResourceOfType, resolveString, stackOf, Token } from "../platform";

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
   * that should own it, a stack working in the role's account. An `IamRole` always gets its
   * policy in its own stack.
   * @default - the key's scope
   */
  readonly scope?: Construct;
}

/** What a grant needs of the key. */
export interface GrantableKey extends IConstruct {
  readonly keyArn: string;
  /** The key policy and what the evaluator knows of the key, when this app writes the policy. */
  keyPolicyFacts(): { readonly policy: PolicyDocument; readonly facts: KeyFacts } | undefined;
  /**
   * The account that holds the key, where known: a `DataKey`'s `accountId`, a literal key ARN's
   * account. @default - unknown
   */
  keyAccount?(): string | undefined;
  /** The key's region, where known. @default - unknown */
  keyRegion?(): string | undefined;
}

interface RolePolicy {
  readonly resource: IamRolePolicy;
  readonly statements: Record<string, unknown>[];
  readonly keyArn: string;
  /** The key's region as Terraform reads it, made once: each reading of a reference is a new token, and the same grant twice must compare equal. */
  readonly region: string;
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
  if (options.viaService !== undefined && (typeof options.viaService !== "string" || !SERVICE.test(options.viaService))) {
    invalid(`${call} viaService`, options.viaService, 'A service name as in its endpoint: "s3", "dynamodb", "secretsmanager", "lambda".');
  }
  if (options.scope !== undefined && !isConstruct(options.scope)) invalid(`${call} scope`, options.scope, "A construct of the stack the role policy goes into.");
  const who = roleOf(call, role, key);
  const scope = who.construct ?? options.scope ?? key;
  const accounts = accountsOf(key, who, scope);
  checkPlace(key, call, role, who, accounts, actions, options.viaService);
  checkKeyPolicy(key, call, role, who, accounts, actions, options.viaService);

  let byRole = policies.get(key);
  if (byRole === undefined) policies.set(key, (byRole = new Map()));
  let entry = byRole.get(who.identity);
  if (entry === undefined) {
    const keyName = terraformName(key.node.id);
    const resource = new IamRolePolicy(scope, who.construct ? `data-key-grant-${keyName}` : `data-key-grant-${keyName}-${who.terraformName}`, {
      name: `data-key-${keyName}`,
      role: who.construct ? who.construct.name : who.roleName,
      policy: "{}",
    });
    resource.overrideLogicalId(`${keyName}_${who.terraformName}`);
    claimTerraformName(resource);
    entry = { resource, statements: [], keyArn: key.keyArn, region: regionOf(key.keyArn) };
    byRole.set(who.identity, entry);
  }
  const statement = grantStatement(actions, entry.keyArn, options.viaService, entry.region);
  const shape = JSON.stringify(statement);
  if (!entry.statements.some((s) => JSON.stringify(s) === shape)) {
    entry.statements.push(statement);
    const document = { Version: "2012-10-17", Statement: entry.statements };
    // A literal policy when everything is known, so `terraform plan` shows it in full.
    entry.resource.policy = Token.isUnresolved(JSON.stringify(document)) ? Fn.jsonencode(document) : JSON.stringify(document, null, 2);
  }
  return entry.resource;
}

/** The role's IAM policy statement for `actions` on the key; through `viaService` of `region` when given. */
function grantStatement(actions: readonly string[], keyArn: string, viaService: string | undefined, region?: string): Record<string, unknown> {
  const statement: Record<string, unknown> = { Effect: "Allow", Action: [...actions], Resource: keyArn };
  if (viaService !== undefined) statement.Condition = { StringEquals: { "kms:ViaService": `${viaService}.${region}.amazonaws.com` } };
  return statement;
}

interface Grantee {
  /** An IamRole of the app (of any copy of the provider's classes). */
  readonly construct?: IamRole;
  /** The role's name as the role policy's `role` takes it: a literal, or a reference. */
  readonly roleName: string;
  /** The literal name, where known. */
  readonly name?: string;
  /** The role's ARN, where given. */
  readonly arn?: string;
  /** The account of `arn`. */
  readonly arnAccount?: string;
  /** The role's part of the policy's Terraform name: its construct's name, its literal name, or what its reference points to. */
  readonly terraformName: string;
  /** One role policy per key and identity. */
  readonly identity: string;
}

/** The role's construct, name and (where known) ARN. */
function roleOf(call: string, role: RoleTarget, key: GrantableKey): Grantee {
  // By the type Terraform sees, so an IamRole of another copy of the provider counts.
  if (isResourceOfType<IamRole>(role, "aws_iam_role")) {
    const name = role.nameInput !== undefined && !isToken(role.nameInput) ? role.nameInput : undefined;
    return { construct: role, roleName: role.name, name, terraformName: role.friendlyUniqueId, identity: `construct:${role.node.path}` };
  }
  if (typeof role !== "string") invalid(call, role, "A role: an IamRole of this app, or an existing role's name or ARN.");
  if (isToken(role)) {
    // Named after what the reference points to (aws_iam_role.reader -> reader), never the token's text.
    const ref = referenceName(key, call, role, "Pass the IamRole itself, a reference to its name (role.name), a variable or a remote state's output, or the role's name.");
    return { roleName: role, terraformName: ref.name, identity: `name:${ref.identity}` };
  }
  const arn = ROLE_ARN.exec(role);
  if (arn) return { roleName: arn[3], name: arn[3], arn: role, arnAccount: arn[2], terraformName: terraformName(arn[3]), identity: `name:${arn[3]}` };
  if (ROLE_NAME.test(role)) return { roleName: role, name: role, terraformName: terraformName(role), identity: `name:${role}` };
  return invalid(call, role, 'A role: an IamRole of this app, a role name ("MavikLambdaRole") or a role ARN ("arn:aws:iam::<account>:role/<name>").');
}

interface Accounts {
  /** The key's account, where known. */
  readonly key?: string;
  /** The account the role policy would be written in: that of the stack it lands in, where known. */
  readonly policy?: string;
  /** The stack the role policy lands in. */
  readonly stack: string;
  /** The role's account, where known: its ARN's, else the account its policy is written in (a name resolves there). */
  readonly role?: string;
}

/**
 * Where each part lives. A stack's account is its AWS provider's pin (`allowed_account_ids`, or
 * the role it assumes); the stack of a `DataKey` works in the key's account.
 */
function accountsOf(key: GrantableKey, who: Grantee, scope: IConstruct): Accounts {
  const keyAccount = key.keyAccount?.();
  const stack = stackOf(scope);
  const pinned = awsProviderOf(stack).accountId;
  const policy = pinned ?? (key.keyPolicyFacts() !== undefined && stack === stackOf(key) ? keyAccount : undefined);
  return { key: keyAccount, policy, stack: stack.node.id, role: who.arnAccount ?? policy };
}

/**
 * An IAM policy lives in its role's account: a role ARN of another account than the stack the
 * policy would land in is refused, with the two policies to write instead.
 */
function checkPlace(
  key: GrantableKey,
  call: string,
  role: RoleTarget,
  who: Grantee,
  accounts: Accounts,
  actions: readonly string[],
  viaService: string | undefined,
): void {
  if (who.arnAccount === undefined) return;
  // Unknown where it lands: fine for a role of the key's own account (the policy goes with the key).
  const landsIn = accounts.policy ?? (accounts.key === who.arnAccount ? who.arnAccount : undefined);
  if (landsIn === who.arnAccount || (accounts.policy === undefined && accounts.key === undefined)) return;
  const where =
    accounts.policy === undefined
      ? `its IAM policy would be written in stack ${accounts.stack}, whose AWS provider is pinned to no account, so nothing says that is ${who.arnAccount} (the key is in ${accounts.key})`
      : `its IAM policy would be written in stack ${accounts.stack}, which works in account ${accounts.policy}: there the role does not exist (NoSuchEntity), or a role of that name in the wrong account would get the key`;
  // As the role's account must write it: the key ARN as Terraform reads it (the key stack's key_arn output).
  const region = key.keyRegion?.() ?? (isToken(key.keyArn) ? "<the key's region>" : regionOf(key.keyArn));
  const iamPolicy = JSON.stringify({ Version: "2012-10-17", Statement: [grantStatement(actions, shownArn(key), viaService, region)] });
  invalid(
    call,
    typeof role === "string" ? role : role.node.path,
    `The role is in account ${who.arnAccount}, and ${where}. A role's IAM policy lives in the role's account: grant to the IamRole of a stack whose AWS provider is pinned to ${who.arnAccount} (allowedAccountIds), or pass { scope } in such a stack; ` +
      `or attach this policy to the role in ${who.arnAccount} yourself: ${iamPolicy}. ${keyPolicyAdvice(key, who, who.arnAccount, actions, viaService)}`,
  );
}

/** What the key policy must say for a role of another account, and whether it says it already. */
function keyPolicyAdvice(key: GrantableKey, who: Grantee, account: string, actions: readonly string[], viaService: string | undefined): string {
  const keyAccount = key.keyAccount?.() ?? "the key's account";
  const refused = refusedActions(key, who, account, actions, viaService);
  if (refused !== undefined && refused.length === 0) return `The key policy, in ${keyAccount}, allows the role this already.`;
  const statement = JSON.stringify(keyPolicyStatement(key, who, account, refused ?? concreteActions(actions)));
  return refused === undefined
    ? `The key policy, in ${keyAccount}, must allow the role too (this app cannot see it), e.g. with ${statement}.`
    : `The key policy, in ${keyAccount}, must allow the role too: add { arn: "${roleArn(who, account, key)}", crossAccount: true } to the key's users, or ${statement} with key.addStatements.`;
}

/** A key-policy statement for the role (its account's root where its name is not known). */
function keyPolicyStatement(key: GrantableKey, who: Grantee, account: string, actions: readonly string[]): Record<string, unknown> {
  const principal = who.name !== undefined ? roleArn(who, account, key) : `arn:${partitionOf(key, who)}:iam::${account}:root`;
  return { Sid: `Allow use of the key by ${who.name ?? account}`, Effect: "Allow", Principal: { AWS: principal }, Action: [...actions], Resource: "*" };
}

function partitionOf(key: GrantableKey, who: Grantee): string {
  return who.arn?.split(":")[1] ?? key.keyPolicyFacts()?.facts.partition ?? "aws";
}

function roleArn(who: Grantee, account: string, key: GrantableKey): string {
  return who.arn ?? `arn:${partitionOf(key, who)}:iam::${account}:role/${who.name ?? "<role name>"}`;
}

/** The key ARN as a message can show it: literal, or the reference Terraform reads. */
function shownArn(key: GrantableKey): string {
  return resolveString(key, key.keyArn) ?? key.keyArn;
}

function concreteActions(actions: readonly string[]): string[] {
  return [...new Set(actions.flatMap((a) => matchingKmsActions(a)))];
}

/**
 * The actions the key policy would not let the role take through its IAM policy, for a key whose
 * policy this app writes; undefined when the policy is not known here (a reference), or, through
 * a service, when the key's region is not known at synth: `kms:ViaService` is
 * `<service>.<the key's region>.amazonaws.com`, and no region is assumed.
 */
function refusedActions(key: GrantableKey, who: Grantee, account: string, actions: readonly string[], viaService: string | undefined): string[] | undefined {
  const known = key.keyPolicyFacts();
  if (known === undefined) return undefined;
  // The key's region as Terraform places the key (DataKey.keyRegion: its own region argument,
  // its region prop, or its provider's).
  const region = known.facts.region ?? key.keyRegion?.();
  if (viaService !== undefined && region === undefined) return undefined;
  // A role whose name is known only at apply: any role of its account.
  const principal = requestPrincipal(`arn:${known.facts.partition}:iam::${account}:role/${who.name ?? "any-role"}`);
  let context = directCallContext(principal, known.facts);
  if (viaService !== undefined) context = context.with({ "kms:ViaService": `${viaService}.${region}.amazonaws.com` });
  return concreteActions(actions).filter((action) => {
    const decision = evaluate(known.policy, known.facts, { principal, action, context });
    return decision.effect === "deny" && decision.conditionalGrants.length === 0;
  });
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
 * The key policy must let the role's account (or the role) use the key, or the IAM policy grants
 * nothing: checked where this app writes the key policy, a warning for a reference.
 */
function checkKeyPolicy(
  key: GrantableKey,
  call: string,
  role: RoleTarget,
  who: Grantee,
  accounts: Accounts,
  actions: readonly string[],
  viaService: string | undefined,
): void {
  const known = key.keyPolicyFacts();
  // A role whose account is not known is taken as the key's (the stack's credentials decide).
  const account = accounts.role ?? known?.facts.account ?? accounts.key;
  if (known === undefined) {
    if (account !== undefined && accounts.key !== undefined && account !== accounts.key) {
      Annotations.of(key).addWarning(
        `${call}(${who.arn ?? who.name ?? (typeof role === "string" ? role : role.node.path)}): the role is in account ${account} and the key in ${accounts.key}; the key's policy must also allow the role (or its account), in ${accounts.key}.`,
      );
    }
    return;
  }
  const refused = refusedActions(key, who, account ?? known.facts.account, actions, viaService);
  if (refused === undefined) {
    Annotations.of(key).addWarning(
      `${call}(${who.arn ?? who.name ?? (typeof role === "string" ? role : role.node.path)}, { viaService: "${viaService}" }): could not check the grant against the key policy: kms:ViaService names the key's region, which is not known at synth (give the DataKey a region, or its stack's AWS provider a literal one).`,
    );
    return;
  }
  if (refused.length === 0) return;
  const shown = typeof role === "string" ? role : role.node.path;
  if (account !== undefined && account !== known.facts.account) {
    invalid(
      call,
      shown,
      `The role is in account ${account}, and the key policy does not let it ${refused.join(", ")}: KMS needs both the key policy (in the key's account, ${known.facts.account}) and the role's IAM policy. ` +
        `Add { arn: "${roleArn(who, account, key)}", crossAccount: true } to the key's users, or ${JSON.stringify(keyPolicyStatement(key, who, account, refused))} with key.addStatements; then grant.`,
    );
  }
  const principal = `arn:${known.facts.partition}:iam::${known.facts.account}:role/${who.name ?? "any-role"}`;
  invalid(
    call,
    shown,
    `The key policy does not let ${principal} ${refused.join(", ")} through IAM (no "Enable IAM User Permissions" statement, or a Deny): an IAM policy would grant nothing. Add the role to the key's users instead.`,
  );
}

function isConstruct(value: unknown): value is IConstruct {
  return typeof value === "object" && value !== null && typeof (value as IConstruct).node?.path === "string";
}
