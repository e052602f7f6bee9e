import { statementCovers } from "../key-policy/actions";
import { asList, OneOrMany, PolicyCondition, PolicyDocument, PolicyStatement } from "../key-policy/document";

/**
 * A small evaluator of one key policy for one request, enough for the access matrix. It reads
 * only the key policy: where a statement delegates to the account (its root), the answer is
 * "allowed if the principal's IAM policy allows it".
 */

/** Who asks: an IAM principal by ARN, or an AWS service principal. */
export interface RequestPrincipal {
  readonly kind: "AWS" | "Service";
  readonly id: string;
}

export interface AccessRequest {
  readonly principal: RequestPrincipal;
  readonly action: string;
  /** Condition keys and values of the request, e.g. `{ "kms:GrantIsForAWSResource": "true" }`. */
  readonly context?: Readonly<Record<string, string>>;
}

/**
 * - `allow`: the key policy alone allows it (the deciding Sid);
 * - `iam`: allowed only if the principal's IAM policy also allows it (a statement for the account,
 *   or a principal of another account, which always needs its own IAM policy too);
 * - `deny`: denied, explicitly (with the Sid) or because nothing allows it.
 */
export type Decision =
  | { readonly effect: "allow"; readonly sid: string }
  | { readonly effect: "iam"; readonly sid: string }
  | { readonly effect: "deny"; readonly sid?: string };

/** The account of an IAM ARN, or undefined for a service principal. */
export function accountOf(principal: RequestPrincipal): string | undefined {
  return principal.kind === "AWS" ? /^arn:[^:]+:iam::(\d{12}):/.exec(principal.id)?.[1] : undefined;
}

/** The request's implicit context: the caller's account and ARN. */
export function requestContext(request: AccessRequest): Record<string, string> {
  const account = accountOf(request.principal);
  const implicit: Record<string, string> = account
    ? { "aws:PrincipalAccount": account, "kms:CallerAccount": account, "aws:PrincipalArn": request.principal.id }
    : {};
  return { ...implicit, ...(request.context ?? {}) };
}

export function evaluate(policy: PolicyDocument, keyAccount: string, request: AccessRequest): Decision {
  const context = requestContext(request);
  const applying = policy.Statement.map((statement, i) => ({ statement, i, match: principalMatch(statement, request.principal) })).filter(
    ({ statement, match }) => match !== undefined && statementCovers(statement, request.action) && conditionsHold(statement.Condition, context),
  );
  const sidOf = (s: PolicyStatement, i: number) => s.Sid ?? `Statement[${i}]`;
  const deny = applying.find(({ statement }) => statement.Effect === "Deny");
  if (deny) return { effect: "deny", sid: sidOf(deny.statement, deny.i) };
  const allows = applying.filter(({ statement }) => statement.Effect === "Allow");
  const outside = request.principal.kind === "AWS" && accountOf(request.principal) !== keyAccount;
  const direct = allows.find(({ match }) => match === "direct");
  if (direct) return { effect: outside ? "iam" : "allow", sid: sidOf(direct.statement, direct.i) };
  const delegated = allows.find(({ match }) => match === "account");
  if (delegated) return { effect: "iam", sid: sidOf(delegated.statement, delegated.i) };
  return { effect: "deny" };
}

/** `direct` when the statement names the principal (or `*`), `account` when it names its account. */
function principalMatch(statement: PolicyStatement, principal: RequestPrincipal): "direct" | "account" | undefined {
  const p = statement.Principal;
  if (p === undefined) return undefined;
  if (p === "*") return "direct";
  if (principal.kind === "Service") return asList(p.Service).includes(principal.id) ? "direct" : undefined;
  const entries = asList(p.AWS);
  // The account root stands for the account: access through it also needs an IAM policy, for
  // every identity of the account (the root ARN's own row included).
  const account = accountOf(principal);
  const root = entries.some((e) => e === account || new RegExp(`^arn:[^:]+:iam::${account}:root$`).test(e));
  if (entries.includes("*") || (entries.includes(principal.id) && !principal.id.endsWith(":root"))) return "direct";
  return root ? "account" : undefined;
}

/** IAM condition operators this evaluator understands; any other makes a statement not apply. */
const OPERATORS: Record<string, (actual: string, expected: string) => boolean> = {
  stringequals: (a, e) => a === e,
  stringequalsignorecase: (a, e) => a.toLowerCase() === e.toLowerCase(),
  stringlike: (a, e) => wildcard(e).test(a),
  bool: (a, e) => a.toLowerCase() === e.toLowerCase(),
  arnequals: (a, e) => a === e,
  arnlike: (a, e) => wildcard(e).test(a),
};

function conditionsHold(condition: PolicyCondition | undefined, context: Record<string, string>): boolean {
  if (condition === undefined) return true;
  const lowered = Object.fromEntries(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v]));
  return Object.entries(condition).every(([rawOperator, keys]) => {
    let operator = rawOperator.toLowerCase().replace(/^for(any|all)value:/, "");
    const ifExists = operator.endsWith("ifexists");
    if (ifExists) operator = operator.slice(0, -"ifexists".length);
    const negated = /^(string|arn)not/.test(operator);
    const test = OPERATORS[operator.replace(/^(string|arn)not/, "$1")];
    if (test === undefined) return false;
    return Object.entries(keys as Record<string, OneOrMany<string>>).every(([key, expected]) => {
      const actual = lowered[key.toLowerCase()];
      if (actual === undefined) return ifExists || negated;
      const any = asList(expected).some((e) => test(actual, e));
      return negated ? !any : any;
    });
  });
}

function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
}
