import { asList } from "../../key-policy/document";
import { Finding, Rule } from "../finding";
import { PolicySubject } from "./subject";

/**
 * This key: in a key policy, `"Resource": "*"` is the key the policy is attached to (AWS KMS
 * developer guide, "Key policies": "the asterisk (*) in the Resource element means this KMS
 * key"). A statement whose Resource names another key (no wildcard, not this key's ARN where it is
 * known) never applies, and one whose NotResource is `"*"` or this key's ARN never applies either.
 * A warning: KMS accepts such a policy, but the statement grants or denies nothing.
 */
export const resourceThisKey: Rule<PolicySubject> = {
  id: "resource-this-key",
  severity: "warning",
  description: 'Every statement applies to this key: Resource "*" (or its ARN), no NotResource that excludes it.',
  input: true,
  check(subject) {
    const findings: Finding[] = [];
    const warn = (path: string, message: string) => findings.push({ rule: this.id, severity: "warning", path, message: `${path}: ${message}` });
    subject.policy.Statement.forEach((statement, i) => {
      for (const resource of asList(statement.Resource)) {
        if (resource.includes("*") || resource.includes("${") || resource === subject.keyArn) continue;
        warn(
          `policy.Statement[${i}].Resource`,
          `${JSON.stringify(resource)} is not this key ("*" is, in a key policy), so the statement never applies. Write "*".`,
        );
      }
      for (const resource of asList(statement.NotResource)) {
        if (resource !== "*" && resource !== subject.keyArn) continue;
        warn(`policy.Statement[${i}].NotResource`, `${JSON.stringify(resource)} excludes this key, so the statement never applies.`);
      }
    });
    return findings;
  },
};
