import { describeClause } from "../../access/conditions";
import { directCallContext } from "../../access/context";
import { evaluate, sidOf } from "../../access/evaluate";
import { OUTSIDE_PRINCIPAL } from "../../access/matrix";
import { requestPrincipal } from "../../access/principals";
import { notAllowed } from "../../common/errors";
import { statementCovers } from "../../key-policy/actions";
import { awsPrincipals } from "../../key-policy/document";
import { KMS_ACTION_TABLE } from "../../key-policy/kms-actions.generated";
import { Finding, Rule } from "../finding";
import { keyFacts, PolicySubject } from "./subject";

/**
 * Wildcard principal: an Allow for `"*"` (or `{ "AWS": "*" }`) through which a principal of another
 * account gets the key (error), asked of the evaluator with a normal direct call from outside, so
 * an always-true condition (`aws:SecureTransport`) protects nothing while `kms:CallerAccount` does.
 * Access that depends on what the call's context decides (its IP, organization, VPC) is a warning
 * naming those conditions.
 */
export const wildcardPrincipal: Rule<PolicySubject> = {
  id: "wildcard-principal",
  severity: "error",
  description: 'No Allow statement for the principal "*" lets a principal of another account use or manage the key.',
  check(subject) {
    const key = keyFacts(subject);
    const outsider = requestPrincipal(OUTSIDE_PRINCIPAL(key, subject.policy));
    const context = directCallContext(outsider, key, subject.now);
    const findings: Finding[] = [];
    subject.policy.Statement.forEach((s, i) => {
      if (s.Effect !== "Allow" || !awsPrincipals(s).includes("*")) return;
      const sid = sidOf(s, i);
      const path = `policy.Statement[${i}].Principal`;
      const granted: string[] = [];
      const conditional: string[] = [];
      for (const action of KMS_ACTION_TABLE.filter((a) => a.onKey).map((a) => `kms:${a.name}`)) {
        if (!statementCovers(s, action)) continue;
        const decision = evaluate(subject.policy, key, { principal: outsider, action, context });
        if (decision.effect !== "deny" && decision.sids.includes(sid)) granted.push(action);
        else {
          const through = decision.conditionalGrants.filter((g) => g.sid === sid);
          if (through.length > 0) conditional.push(`${action} when ${through.map((g) => g.when.map(describeClause).join(" and ")).join(", or ")}`);
        }
      }
      if (granted.length > 0) {
        findings.push({
          rule: this.id,
          severity: "error",
          path,
          message: notAllowed(
            path,
            s.Principal,
            `Through ${JSON.stringify(sid)} a principal of any other AWS account may call ${granted.join(", ")} (its own IAM policy is all it needs). Name the principals, or limit the statement with a condition such as kms:CallerAccount or aws:PrincipalOrgID.`,
          ),
        });
      } else if (conditional.length > 0) {
        findings.push({
          rule: this.id,
          severity: "warning",
          path,
          message: `${path} (${JSON.stringify(sid)}) lets a principal of another account call ${conditional.join("; ")}. Check that these conditions hold only for callers you trust.`,
        });
      }
    });
    return findings;
  },
};
