import { IAM_SERVICE_PREFIXES } from "../../common/aws-names.generated";
import { closestOf } from "../../common/validate";
import { asList } from "../../key-policy/document";
import { Finding, Rule } from "../finding";
import { PolicySubject } from "./subject";

const PREFIXES = new Set(IAM_SERVICE_PREFIXES);

/**
 * Known services: every service principal (`<service>.amazonaws.com`) names a service of AWS's
 * service authorization data. A warning, not an error: a few real service principals are not
 * named after the service's IAM prefix (`ecs-tasks`, `delivery.logs`), and AWS adds services.
 *
 * The warning does not say KMS refuses such a policy, because AWS documents no such check. KMS
 * refuses a key policy that is "not syntactically or semantically correct"
 * (MalformedPolicyDocumentException, KMS API reference, PutKeyPolicy), and the knowledge-center
 * article on "Policy contains a statement with one or more invalid principals"
 * (https://repost.aws/knowledge-center/kms-policy-error-invalid-principals) names IAM identities
 * that do not exist (or orphaned unique ids) as the cause; of a service principal it only asks
 * that the service be one that works with KMS. So a misspelt service may well be saved and then
 * match no caller: the statement grants nothing, and nothing but this warning tells.
 */
export const knownServices: Rule<PolicySubject> = {
  id: "known-services",
  severity: "warning",
  description: "Every service principal names a service of AWS's service authorization data.",
  input: true,
  check(subject) {
    const findings: Finding[] = [];
    subject.policy.Statement.forEach((statement, i) => {
      for (const element of ["Principal", "NotPrincipal"] as const) {
        const p = statement[element];
        if (p === undefined || p === "*" || p.Service === undefined) continue;
        asList(p.Service).forEach((service, j) => {
          const label = /^([a-z0-9-]+)\./.exec(service)?.[1];
          if (label === undefined || PREFIXES.has(label) || service.startsWith("${")) return;
          // A hint only when it is close for the name's length: "dynamodbb" → dynamodb, not "foo" → "fis".
          const closest = closestOf(label, IAM_SERVICE_PREFIXES, label.length <= 4 ? 1 : 2);
          findings.push({
            rule: this.id,
            severity: "warning",
            path: `policy.Statement[${i}].${element}.Service`,
            message:
              `policy.Statement[${i}].${element}.Service[${j}]: ${JSON.stringify(service)} names no service of AWS's service authorization data` +
              `${closest ? ` (did you mean "${closest}.amazonaws.com"?)` : ""}. No service calls KMS under a name that is not its own, so for a misspelt one the statement grants nothing, and AWS documents no check of service names when it saves a key policy; check the name.`,
          });
        });
      }
    });
    return findings;
  },
};
