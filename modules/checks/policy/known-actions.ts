import { notAllowed } from "../../common/errors";
import { closestKmsAction, kmsActions, matchingKmsActions } from "../../key-policy/actions";
import { KMS_ACTION_TABLE } from "../../key-policy/kms-actions.generated";
import { asList } from "../../key-policy/document";
import { Finding, Rule } from "../finding";
import { PolicySubject } from "./subject";

const ON_KEY = new Set(KMS_ACTION_TABLE.filter((a) => a.onKey).map((a) => `kms:${a.name}`));

/**
 * Unknown actions: every action, or wildcard, must match at least one KMS action in AWS's
 * service authorization data. A typo such as `kms:Decrpyt` grants nothing and hides a gap (error).
 * An action that acts on no key (`kms:CreateKey`, `kms:ListKeys`, `kms:ListAliases`,
 * `kms:GenerateRandom`, the custom key store actions) means nothing in a key policy: it belongs in
 * an IAM policy (warning).
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
          const path = `policy.Statement[${i}].${field}`;
          const problem = explain(action);
          if (problem !== undefined) {
            findings.push({ rule: this.id, severity: this.severity, path, message: notAllowed(path, action, problem) });
            return;
          }
          const matched = action === "*" ? [] : matchingKmsActions(action);
          if (field === "Action" && matched.length > 0 && matched.every((a) => !ON_KEY.has(a))) {
            findings.push({
              rule: this.id,
              severity: "warning",
              path,
              message: `${path}: ${JSON.stringify(action)} acts on no KMS key (${matched.join(", ")}), so a key policy cannot grant it; it belongs in an IAM policy.`,
            });
          }
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
