import { notAllowed } from "../../common/errors";
import { awsPrincipals } from "../../key-policy/document";
import { Finding, Rule } from "../finding";
import { PolicySubject } from "./subject";

/** Wildcard principal: `"*"` or `{ "AWS": "*" }` in an Allow without a condition opens the key to everyone. */
export const wildcardPrincipal: Rule<PolicySubject> = {
  id: "wildcard-principal",
  severity: "error",
  description: 'No Allow statement names the principal "*" without a condition.',
  check({ policy }) {
    const findings: Finding[] = [];
    policy.Statement.forEach((s, i) => {
      if (s.Effect !== "Allow" || s.Condition !== undefined || !awsPrincipals(s).includes("*")) return;
      const path = `policy.Statement[${i}].Principal`;
      findings.push({
        rule: this.id,
        severity: this.severity,
        path,
        message: notAllowed(
          path,
          s.Principal,
          "A wildcard principal without a condition lets any AWS account use the key; name the principals, or add a condition such as kms:CallerAccount.",
        ),
      });
    });
    return findings;
  },
};
