import { CONDITION_KEY_PREFIXES, CONDITION_KEYS } from "../../common/aws-names.generated";
import { closestOf } from "../../common/validate";
import { evaluateOperator } from "../../access/conditions";
import { RequestContext } from "../../access/context";
import { ConditionValue, OneOrMany } from "../../key-policy/document";
import { Finding, Rule } from "../finding";
import { PolicySubject } from "./subject";

const KNOWN = new Set(CONDITION_KEYS);

/**
 * Known condition keys: every key a condition tests is one a KMS request can carry, AWS's global
 * keys or KMS's own (the service authorization data). No request carries any other, so a
 * condition on it sees the key absent: `StringEquals` never holds, `StringNotEquals` and
 * `…IfExists` always do. A typo there can open a statement or, in a Deny, close the key to
 * everyone. A warning: AWS adds keys, and keys are compared case-insensitively.
 */
export const knownConditionKeys: Rule<PolicySubject> = {
  id: "known-condition-keys",
  severity: "warning",
  description: "Every condition key is one a KMS request can carry (AWS's global keys and KMS's own).",
  input: true,
  check(subject) {
    const findings: Finding[] = [];
    subject.policy.Statement.forEach((statement, i) => {
      for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
        for (const key of Object.keys(keys)) {
          const lower = key.toLowerCase();
          if (KNOWN.has(lower) || CONDITION_KEY_PREFIXES.some((p) => lower.startsWith(p) && lower.length > p.length)) continue;
          const closest = closestOf(lower, CONDITION_KEYS, 3);
          const path = `policy.Statement[${i}].Condition.${operator}`;
          findings.push({
            rule: this.id,
            severity: "warning",
            path,
            message:
              `${path}: ${JSON.stringify(key)} is no condition key a KMS request carries (AWS's global keys and KMS's own)` +
              `${closest ? `; did you mean "${closest}"?` : "."} Every request sees it absent, so the condition ${holdsWhenAbsent(operator, keys[key]) ? "always holds" : "never holds"}.`,
          });
        }
      }
    });
    return findings;
  },
};

/** Whether a condition holds when its key is absent, as the evaluator decides it (the IAM reference's rules). */
function holdsWhenAbsent(operator: string, values: OneOrMany<ConditionValue>): boolean {
  const truth = evaluateOperator(operator, { absent: values }, new RequestContext({}, true));
  return truth.known && truth.value;
}
