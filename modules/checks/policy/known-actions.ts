import { notAllowed } from "../../common/errors";
import { closestKmsAction, kmsActions, matchingKmsActions } from "../../key-policy/actions";
import { asList } from "../../key-policy/document";
import { Finding, Rule } from "../finding";
import { PolicySubject } from "./subject";

/**
 * Unknown actions: every action, or wildcard, must match at least one KMS action in AWS's
 * service authorization data. A typo such as `kms:Decrpyt` grants nothing and hides a gap.
 */
export const knownActions: Rule<PolicySubject> = {
  id: "known-actions",
  severity: "error",
  description: "Every action in the key policy is a real KMS action or a wildcard matching one.",
  check({ policy }) {
    const findings: Finding[] = [];
    policy.Statement.forEach((statement, i) => {
      for (const field of ["Action", "NotAction"] as const) {
        asList(statement[field]).forEach((action) => {
          const problem = explain(action);
          if (problem === undefined) return;
          const path = `policy.Statement[${i}].${field}`;
          findings.push({ rule: this.id, severity: this.severity, path, message: notAllowed(path, action, problem) });
        });
      }
    });
    return findings;
  },
};

function explain(action: string): string | undefined {
  if (action === "*") return undefined;
  if (!/^kms:[A-Za-z*?]+$/i.test(action)) {
    return 'A key policy grants only KMS actions: "kms:<Action>", a wildcard such as "kms:Get*", or "*".';
  }
  if (matchingKmsActions(action).length > 0) return undefined;
  const hint = closestKmsAction(action);
  const count = kmsActions().length;
  return (
    `It matches no KMS action in AWS's service authorization data (${count} actions)` +
    (hint ? `; did you mean "${hint}"?` : ".")
  );
}
