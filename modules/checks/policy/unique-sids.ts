import { notAllowed } from "../../common/errors";
import { Finding, Rule } from "../finding";
import { PolicySubject } from "./subject";

/** Duplicate Sids: AWS rejects a key policy whose statements share a Sid. */
export const uniqueSids: Rule<PolicySubject> = {
  id: "unique-sids",
  severity: "error",
  description: "Every statement id in the key policy is unique.",
  check({ policy }) {
    const findings: Finding[] = [];
    const seen = new Map<string, number>();
    policy.Statement.forEach((statement, i) => {
      if (statement.Sid === undefined) return;
      const first = seen.get(statement.Sid);
      if (first === undefined) {
        seen.set(statement.Sid, i);
        return;
      }
      const path = `policy.Statement[${i}].Sid`;
      findings.push({
        rule: this.id,
        severity: this.severity,
        path,
        message: notAllowed(path, statement.Sid, `Sids must be unique within a key policy; Statement[${first}] uses it already.`),
      });
    });
    return findings;
  },
};
