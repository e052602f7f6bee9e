import { notAllowed } from "../../common/errors";
import { closestOperator, parseOperator, valueProblem } from "../../access/conditions";
import { variableBeforeResourcePart } from "../../access/evaluate";
import { asList, PolicyStatement } from "../../key-policy/document";
import { Finding, Rule } from "../finding";
import { PolicySubject } from "./subject";

const FIELDS = ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"];
/**
 * The AWS principals a resource-based policy may name (IAM User Guide, "AWS JSON policy elements:
 * Principal", "How to specify a principal"): `"*"`; an account, as its id or its root ARN; an IAM
 * user or role, with its path (IAM Identity Center's roles have one:
 * `role/aws-reserved/sso.amazonaws.com/<region>/AWSReservedSSO_…`); a role session
 * (`assumed-role/<role>/<session>`: a session's ARN carries no path); an AWS STS federated user
 * session (`federated-user/<name>`, GetFederationToken's Name: `[\w+=,.@-]`, no slash; KMS knows
 * them too: "Valid AWS principals include AWS accounts, IAM users, IAM roles, federated users, and
 * assumed role users", KMS API reference, CreateGrant, GranteePrincipal).
 */
const AWS_PRINCIPAL =
  /^(\*|\d{12}|arn:aws[a-z-]*:iam::\d{12}:(root|user\/[\w+=,.@/-]+|role\/[\w+=,.@/-]+)|arn:aws[a-z-]*:sts::\d{12}:(assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+|federated-user\/[\w+=,.@-]+))$/;
/** A user group's ARN: no principal ("You cannot identify a user group as a principal in a policy"). */
const GROUP = /^arn:aws[a-z-]*:iam::\d{12}:group\//;
const SERVICE_PRINCIPAL = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com(\.cn)?$/;

/**
 * The IAM policy grammar, as far as a key policy may use it: known elements only, exactly one of
 * Principal/NotPrincipal, Action/NotAction and Resource/NotResource, AWS and service principals
 * in their ARN and name forms, condition operators of the IAM reference with values of their
 * type. Anything else is refused at synth with its path, never skipped by the evaluator.
 *
 * What AWS does not support is refused too rather than given a guessed reading: NotPrincipal with
 * `"Effect": "Allow"` (IAM reference, NotPrincipal), a policy variable before an ARN's resource part
 * (IAM guide, "Where you can use policy variables"), an ARN operator's value that is no ARN of six
 * parts (IAM reference, ARN condition operators: "each of the six colon-delimited components … is
 * checked separately"), a user group or a wildcard within a principal's ARN (IAM reference,
 * Principal).
 */
export const policyGrammar: Rule<PolicySubject> = {
  id: "policy-grammar",
  severity: "error",
  description: "Every statement uses the IAM policy grammar as a key policy may: known elements, principals, operators and value types.",
  check({ policy }) {
    const findings: Finding[] = [];
    const report = (path: string, value: unknown, allowed: string) =>
      findings.push({ rule: this.id, severity: this.severity, path, message: notAllowed(path, value, allowed) });
    if (policy.Version !== "2012-10-17" && policy.Version !== ("2008-10-17" as string)) {
      report("policy.Version", policy.Version, 'Allowed: "2012-10-17" (policy variables need it) or "2008-10-17".');
    }
    policy.Statement.forEach((statement, i) => checkStatement(statement, `policy.Statement[${i}]`, report));
    return findings;
  },
};

function checkStatement(statement: PolicyStatement, path: string, report: (path: string, value: unknown, allowed: string) => void): void {
  for (const field of Object.keys(statement)) {
    if (!FIELDS.includes(field)) report(`${path}.${field}`, field, `A statement's elements are ${FIELDS.join(", ")}.`);
  }
  if (statement.Effect !== "Allow" && statement.Effect !== "Deny") report(`${path}.Effect`, statement.Effect, 'Allowed: "Allow" or "Deny".');
  for (const [a, b, what] of [
    ["Principal", "NotPrincipal", "A key policy statement names its principals"],
    ["Action", "NotAction", "A statement names its actions"],
    ["Resource", "NotResource", 'A key policy statement names its resource ("*": this key)'],
  ] as const) {
    const count = [a, b].filter((f) => statement[f] !== undefined).length;
    if (count !== 1) report(path, count === 0 ? `no ${a} or ${b}` : `both ${a} and ${b}`, `${what} with exactly one of ${a} and ${b}.`);
  }
  // IAM reference, NotPrincipal: "Using it with "Effect":"Allow" is not supported."
  if (statement.NotPrincipal !== undefined && statement.Effect === "Allow") {
    report(
      `${path}.NotPrincipal`,
      statement.NotPrincipal,
      'NotPrincipal is for "Effect": "Deny" only; AWS does not support it with "Allow". Name the principals to allow in Principal, or deny everyone else with a Deny (NotPrincipal, or aws:PrincipalArn in a condition).',
    );
  }
  for (const field of ["Resource", "NotResource"] as const) {
    for (const value of asList(statement[field])) {
      // IAM guide, "Where you can use policy variables": only in the resource part of an ARN.
      if (typeof value === "string" && variableBeforeResourcePart(value)) {
        report(
          `${path}.${field}`,
          value,
          "AWS substitutes a policy variable only in the resource part of an ARN, after its fifth colon; write the partition, service, region and account as text or wildcards.",
        );
      }
    }
  }
  for (const field of ["Principal", "NotPrincipal"] as const) {
    const element = statement[field];
    if (element === undefined || element === "*") continue;
    if (typeof element !== "object" || element === null || Array.isArray(element)) {
      report(`${path}.${field}`, element, 'A principal is "*" or { "AWS": ..., "Service": ... }.');
      continue;
    }
    for (const [kind, entries] of Object.entries(element)) {
      const at = `${path}.${field}.${kind}`;
      if (kind !== "AWS" && kind !== "Service") {
        // IAM reference, Principal: `Federated` names an OIDC or SAML identity provider "in the
        // Principal element of a role trust policy"; `CanonicalUser` is Amazon S3's. An AWS STS
        // federated user session is an `AWS` principal ("AWS STS federated user principals").
        report(
          at,
          kind,
          'A KMS key policy names AWS principals (AWS) and AWS services (Service); Federated (an identity provider, for role trust policies) and CanonicalUser principals cannot use a KMS key. An AWS STS federated user session is an AWS principal: { "AWS": "arn:<partition>:sts::<account>:federated-user/<name>" }.',
        );
        continue;
      }
      for (const entry of asList(entries as string | string[])) {
        if (typeof entry !== "string") report(at, entry, "Principals are strings.");
        else if (kind === "AWS" && !AWS_PRINCIPAL.test(entry)) report(at, entry, awsPrincipalProblem(entry));
        else if (kind === "Service" && !SERVICE_PRINCIPAL.test(entry)) report(at, entry, 'A service principal looks like "s3.amazonaws.com".');
      }
    }
  }
  const condition = statement.Condition;
  if (condition === undefined) return;
  if (typeof condition !== "object" || condition === null || Array.isArray(condition)) {
    report(`${path}.Condition`, condition, 'A Condition is { "<operator>": { "<key>": "<value>" or ["<value>", ...] } }.');
    return;
  }
  for (const [written, keys] of Object.entries(condition)) {
    const at = `${path}.Condition`;
    const operator = parseOperator(written);
    if (operator === undefined) {
      const hint = closestOperator(written);
      report(at, written, `It is no condition operator of the IAM reference${hint ? `; did you mean "${written.replace(/^((?:ForAnyValue|ForAllValues):)?.*?((?:IfExists)?)$/i, `$1${hint}$2`)}"?` : " (StringEquals, ArnLike, IpAddress, Bool, Null, ... with ForAnyValue:/ForAllValues: and IfExists)."}`);
      continue;
    }
    if (typeof keys !== "object" || keys === null || Array.isArray(keys)) {
      report(`${at}.${written}`, keys, 'An operator maps condition keys to values: { "<key>": "<value>" }.');
      continue;
    }
    for (const [key, values] of Object.entries(keys)) {
      const list = asList(values as string | string[]);
      if (list.length === 0) report(`${at}.${written}.${key}`, values, "A condition key needs at least one value.");
      for (const value of list as unknown[]) {
        // IAM's grammar: a condition value is a string, a number or a Boolean (read as its text).
        if (typeof value !== "string" && typeof value !== "boolean" && !(typeof value === "number" && Number.isFinite(value))) {
          report(`${at}.${written}.${key}`, value, "Condition values are strings, numbers or Booleans.");
          continue;
        }
        const problem = valueProblem(operator, typeof value === "string" ? value : JSON.stringify(value));
        if (problem) report(`${at}.${written}.${key}`, value, `${problem[0].toUpperCase()}${problem.slice(1)}.`);
      }
    }
  }
}

/**
 * Why an entry is no AWS principal, where the IAM reference ("AWS JSON policy elements: Principal")
 * says so in words: "You cannot identify a user group as a principal in a policy", and "You cannot
 * use a wildcard to match part of a principal name or ARN". Otherwise, the forms there are.
 */
function awsPrincipalProblem(entry: string): string {
  if (GROUP.test(entry)) return 'A user group is no principal ("You cannot identify a user group as a principal in a policy": IAM reference, Principal); name its users.';
  if (/^arn:/.test(entry) && /[*?]/.test(entry)) {
    return 'A principal ARN is matched whole ("You cannot use a wildcard to match part of a principal name or ARN": IAM reference, Principal); write "*" and test aws:PrincipalArn with ArnLike in a Condition.';
  }
  return 'An AWS principal is "*", a 12-digit account id, or an ARN: arn:<partition>:iam::<account>:root, :user/<name>, :role/<name> (with its path: :role/<path>/<name>), arn:<partition>:sts::<account>:assumed-role/<role>/<session>, or :federated-user/<name>.';
}
