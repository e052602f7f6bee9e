import { awsPrincipals } from "../../key-policy/document";
import { Finding, Rule } from "../finding";
import { statementCovers } from "../../key-policy/actions";
import { ADMINISTRATIVE_ACTIONS } from "./grants";
import { accountRoot, PolicySubject } from "./subject";

/**
 * Administrators outside the list (warning): seed §6 limits administration to mavik-deployer and
 * mavik-developer. Any other principal given administrative actions without a condition is
 * reported. The account root is the account itself and is not counted.
 */
export const administratorsListed: Rule<PolicySubject> = {
  id: "administrators-listed",
  severity: "warning",
  description: "Only the environment's listed administrators get administrative actions.",
  check(subject) {
    if (subject.administrators === undefined) return [];
    const allowed = new Set([...subject.administrators, accountRoot(subject)]);
    const findings: Finding[] = [];
    subject.policy.Statement.forEach((s, i) => {
      if (s.Effect !== "Allow" || s.Condition !== undefined) return;
      const actions = ADMINISTRATIVE_ACTIONS.filter((a) => statementCovers(s, a));
      if (actions.length === 0) return;
      for (const principal of awsPrincipals(s).filter((p) => !allowed.has(p))) {
        findings.push({
          rule: this.id,
          severity: this.severity,
          path: `policy.Statement[${i}]`,
          message: `${principal} gets administrative actions (${actions.join(", ")}) in ${JSON.stringify(s.Sid ?? `Statement[${i}]`)} but is not one of the environment's administrators.`,
        });
      }
    });
    return findings;
  },
};
