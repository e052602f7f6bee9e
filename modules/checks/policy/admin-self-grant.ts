import { describeClause } from "../../access/conditions";
import { directCallContext } from "../../access/context";
import { evaluate } from "../../access/evaluate";
import { requestPrincipal } from "../../access/principals";
import { awsPrincipals } from "../../key-policy/document";
import { Finding, Rule } from "../finding";
import { accountRoot, keyFacts, PolicySubject } from "./subject";

/**
 * Principals who can grant themselves data access (info): a grant that is not for an AWS resource
 * (`kms:CreateGrant` with `kms:GrantIsForAWSResource` false), or a new key policy
 * (`kms:PutKeyPolicy`), by the key policy alone. Asked of the evaluator, so a Deny or a condition
 * that takes the permission away counts; one that applies only under conditions is named.
 */
export const adminSelfGrant: Rule<PolicySubject> = {
  id: "admin-self-grant",
  severity: "info",
  description: "Names the principals who may grant themselves data access (CreateGrant not for an AWS resource, or PutKeyPolicy).",
  check(subject) {
    const key = keyFacts(subject);
    const now = subject.now;
    const root = accountRoot(subject);
    const principals = [...new Set(subject.policy.Statement.flatMap(awsPrincipals))].filter((p) => p !== "*" && p !== root && /:(user|role|assumed-role|federated-user)\//.test(p));
    const findings: Finding[] = [];
    for (const principal of principals) {
      const who = requestPrincipal(principal);
      const ways: string[] = [];
      for (const [action, extra] of [
        ["kms:CreateGrant", { "kms:GrantIsForAWSResource": "false" }],
        ["kms:PutKeyPolicy", {}],
      ] as const) {
        const decision = evaluate(subject.policy, key, { principal: who, action, context: directCallContext(who, key, now).with(extra) });
        if (decision.effect === "allow") ways.push(action);
        else {
          const direct = decision.conditionalGrants.filter((g) => g.effect === "allow");
          if (direct.length > 0) ways.push(`${action} when ${direct.map((g) => g.when.map(describeClause).join(" and ")).join(", or ")}`);
        }
      }
      if (ways.length > 0) {
        findings.push({ rule: this.id, severity: this.severity, path: "policy", message: `${principal} can grant itself data access through ${ways.join(" and ")}.` });
      }
    }
    return findings;
  },
};
