/**
 * Who asks, and how a key policy's Principal and NotPrincipal elements match them (IAM reference,
 * "AWS JSON policy elements: Principal" and "NotPrincipal").
 *
 * - `"*"` and `{ "AWS": "*" }` match everyone.
 * - An account (`"123456789012"` or `arn:aws:iam::123456789012:root`) stands for the account: a
 *   match through it is "account-level", and grants only what the principal's own IAM policies
 *   also allow (KMS: the key policy delegates to IAM).
 * - A user or role ARN matches that user, or any session of that role (`arn:aws:sts::…:assumed-
 *   role/<role>/<session>`, matched by account and role name; a role's path is not in its sessions'
 *   ARNs). A session ARN matches that session only.
 * - A role's name matches whatever its case: IAM names "are not distinguished by case" (IAM API
 *   reference, CreateRole), and AWS saves a role named in a Principal as its unique id ("When you
 *   save the policy, AWS transforms the ARN to a unique principal ID"), so `role/approle` names the
 *   role `AppRole`. A user's name matches as written: the Principal reference says so of users in
 *   so many words ("In a Principal element, the user name part of the Amazon Resource Name (ARN)
 *   is case sensitive": IAM User Guide, "AWS JSON policy elements: Principal", IAM user
 *   principals), so `user/Mavik-Developer` does not name `mavik-developer`; iam-simulate reads it
 *   the same way. A session ARN is kept as text.
 * - An AWS STS federated user session (`arn:aws:sts::…:federated-user/<name>`, made by
 *   GetFederationToken) matches that federated user only, its name as written: it is the Name the
 *   caller gave GetFederationToken, no IAM entity (the IAM rule that names are "not distinguished by
 *   case" covers users, groups, roles and instance profiles), and nothing saves it as a unique id.
 *   An IAM user's ARN does not name the federated users it makes (their ARNs carry GetFederationToken's
 *   Name, not the user's: the IAM guide's example federates the user `token-app` as `Carol`), and
 *   what a resource policy grants that user reaches its federated sessions only within their session
 *   policies (IAM guide, "Session policies"), which a key policy cannot see. The account forms and
 *   `"*"` match it as any principal of its account.
 * - A service principal (`s3.amazonaws.com`) matches that service calling with its own identity.
 * - NotPrincipal: AWS may check a request as each of its identities in turn (the account, then the
 *   user or role, then the session), so a principal is excluded only when every one of its
 *   identities is listed; the reference asks for the account ARN beside a user, and for both role
 *   and session with a role. A federated user's identities are its account and itself, as a user's.
 */
import { asList, PolicyPrincipal } from "../key-policy/document";

export type RequestPrincipal =
  | { readonly kind: "root"; readonly arn: string; readonly partition: string; readonly account: string; readonly principalArn: string }
  | { readonly kind: "user"; readonly arn: string; readonly partition: string; readonly account: string; readonly name: string; readonly principalArn: string }
  /** A role, calling as a session of it whose name does not matter. */
  | { readonly kind: "role"; readonly arn: string; readonly partition: string; readonly account: string; readonly name: string; readonly principalArn: string }
  | {
      readonly kind: "session";
      readonly arn: string;
      readonly partition: string;
      readonly account: string;
      readonly name: string;
      readonly session: string;
      /** The role's ARN, without its path (a session's ARN carries none): what aws:PrincipalArn holds. */
      readonly principalArn: string;
    }
  /** An AWS STS federated user session (GetFederationToken): `name` is the Name it was given. */
  | { readonly kind: "federated"; readonly arn: string; readonly partition: string; readonly account: string; readonly name: string; readonly principalArn: string }
  | { readonly kind: "service"; readonly arn: string; readonly name: string };

const IAM = /^arn:(aws[a-z-]*):iam::(\d{12}):(root|user\/(?:[^/]+\/)*([^/]+)|role\/(?:[^/]+\/)*([^/]+))$/;
const SESSION = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/;
const FEDERATED = /^arn:(aws[a-z-]*):sts::(\d{12}):federated-user\/([^/]+)$/;
const SERVICE = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com(\.cn)?$/;

/** Parses who asks: an IAM ARN (root, user, role), an assumed-role session ARN, a federated user's ARN, or a service principal. */
export function requestPrincipal(id: string): RequestPrincipal {
  const iam = IAM.exec(id);
  if (iam) {
    const [, partition, account, resource, user, role] = iam;
    if (resource === "root") return { kind: "root", arn: id, partition, account, principalArn: id };
    if (user !== undefined) return { kind: "user", arn: id, partition, account, name: user, principalArn: id };
    return { kind: "role", arn: id, partition, account, name: role, principalArn: id };
  }
  const session = SESSION.exec(id);
  if (session) {
    const [, partition, account, name, sessionName] = session;
    return { kind: "session", arn: id, partition, account, name, session: sessionName, principalArn: `arn:${partition}:iam::${account}:role/${name}` };
  }
  const federated = FEDERATED.exec(id);
  // Its aws:PrincipalArn is its own ARN (IAM reference, aws:PrincipalArn).
  if (federated) return { kind: "federated", arn: id, partition: federated[1], account: federated[2], name: federated[3], principalArn: id };
  if (SERVICE.test(id)) return { kind: "service", arn: id, name: id };
  throw new Error(`not a principal that can call KMS: ${JSON.stringify(id)}`);
}

/** The account of a principal; undefined for a service principal. */
export function accountOf(principal: RequestPrincipal): string | undefined {
  return principal.kind === "service" ? undefined : principal.account;
}

/** How a Principal element matches: `direct` (it names the principal or everyone), `account` (its account), or not. */
export type PrincipalMatch = "direct" | "account" | undefined;

/** Matches a Principal element (`"*"` or `{ AWS, Service }`) against who asks. */
export function matchPrincipal(element: PolicyPrincipal, principal: RequestPrincipal): PrincipalMatch {
  if (element === "*") return "direct";
  let best: PrincipalMatch;
  for (const entry of asList(element.AWS)) {
    const match = matchAwsEntry(entry, principal);
    if (match === "direct") return "direct";
    best ??= match;
  }
  if (principal.kind === "service" && asList(element.Service).includes(principal.name)) return "direct";
  return best;
}

/** Matches a NotPrincipal element: the statement applies unless every identity of the principal is listed. */
export function matchNotPrincipal(element: PolicyPrincipal, principal: RequestPrincipal): PrincipalMatch {
  if (element === "*") return undefined;
  const aws = asList(element.AWS);
  if (aws.includes("*")) return undefined;
  const listed = (identity: string): boolean => {
    if (/^\d{12}$/.test(identity)) return aws.some((e) => e === identity || rootOf(e) === identity);
    return aws.some((e) => sameIdentity(e, identity));
  };
  const identities = identitiesOf(principal);
  if (principal.kind === "service") return asList(element.Service).includes(principal.name) ? undefined : "direct";
  return identities.every(listed) ? undefined : "direct";
}

/**
 * The identities AWS may check a request as: the account, then the user (or the role and the
 * session). A role row stands for its sessions, whose names are unknown: only a listed session ARN
 * pattern could exclude them, so its session identity is a placeholder no entry names.
 */
function identitiesOf(principal: RequestPrincipal): string[] {
  switch (principal.kind) {
    case "root":
      return [principal.account];
    case "user":
    case "federated":
      return [principal.account, principal.arn];
    case "role":
      return [principal.account, principal.arn, `arn:${principal.partition}:sts::${principal.account}:assumed-role/${principal.name}/\u0000`];
    case "session":
      return [principal.account, principal.principalArn, principal.arn];
    case "service":
      return [principal.name];
  }
}

function matchAwsEntry(entry: string, principal: RequestPrincipal): PrincipalMatch {
  if (entry === "*") return "direct";
  if (principal.kind === "service") return undefined;
  const account = principal.account;
  const root = rootOf(entry);
  if (root !== undefined) {
    const partition = /^arn:([^:]+):/.exec(entry)?.[1];
    return root === account && (partition === undefined || partition === principal.partition) ? "account" : undefined;
  }
  if (principal.kind === "root") return undefined;
  if (entry === principal.arn) return "direct";
  // A user by its name; a role names its sessions too, by the role's name.
  if (principal.kind === "user" || principal.kind === "session" || principal.kind === "role") {
    const named = IAM.exec(entry);
    const kind = principal.kind === "user" ? 4 : 5;
    if (named && named[kind] !== undefined && named[1] === principal.partition && named[2] === principal.account && sameName(named[kind], principal.name, kind === 4 ? "user" : "role")) return "direct";
  }
  return undefined;
}

/** A role's name compares case-insensitively, a user's as written (see the header). */
function sameName(a: string, b: string, kind: "user" | "role" = "role"): boolean {
  return kind === "user" ? a === b : a.toLowerCase() === b.toLowerCase();
}

/**
 * One key for every spelling of a principal ARN that names the same identity: a role's name in
 * lower case and without its path, a user's name as written without its path; any other ARN as
 * written.
 */
export function principalKey(arn: string): string {
  const m = IAM.exec(arn);
  if (!m || m[3] === "root") return arn;
  return m[4] !== undefined ? `arn:${m[1]}:iam::${m[2]}:user/${m[4]}` : `arn:${m[1]}:iam::${m[2]}:role/${m[5].toLowerCase()}`;
}

/** The account an entry names as a whole (`"123456789012"` or `…:root`), or undefined. */
function rootOf(entry: string): string | undefined {
  if (/^\d{12}$/.test(entry)) return entry;
  return /^arn:[^:]+:iam::(\d{12}):root$/.exec(entry)?.[1];
}

/** True when a listed entry is this identity (a user or a role by account and name, whatever its path, a role's whatever its case; a session). */
function sameIdentity(entry: string, identity: string): boolean {
  return entry === identity || (IAM.test(entry) && principalKey(entry) === principalKey(identity));
}
