import { awsPrincipals } from "../../key-policy/document";
import { Finding, Rule } from "../finding";
import { statementCovers } from "../../key-policy/actions";
import { accountRoot, PolicySubject } from "./subject";

/**
 * Administrators can grant themselves data access (info): `kms:Create*` includes
 * `kms:CreateGrant` with no condition, and `kms:Put*` includes `kms:PutKeyPolicy`. Either lets an
 * administrator give itself Decrypt. Reported, naming the principals, so reviewers know.
 */
export const adminSelfGrant: Rule<PolicySubject> = {
  id: "admin-self-grant",
  severity: "info",
  description: "Names the principals who may grant themselves data access (CreateGrant without condition, or PutKeyPolicy).",
  check(subject) {
    const root = accountRoot(subject);
    const principals = new Map<string, Set<string>>();
    subject.policy.Statement.forEach((s) => {
      if (s.Effect !== "Allow") return;
      const via = [
        ...(s.Condition === undefined && statementCovers(s, "kms:CreateGrant") ? ["kms:CreateGrant"] : []),
        ...(statementCovers(s, "kms:PutKeyPolicy") ? ["kms:PutKeyPolicy"] : []),
      ];
      for (const principal of awsPrincipals(s).filter((p) => p !== root)) {
        for (const action of via) principals.set(principal, (principals.get(principal) ?? new Set()).add(action));
      }
    });
    const findings: Finding[] = [];
    for (const [principal, actions] of principals) {
      findings.push({
        rule: this.id,
        severity: this.severity,
        path: "policy",
        message: `${principal} can grant itself data access through ${[...actions].join(" and ")}.`,
      });
    }
    return findings;
  },
};
