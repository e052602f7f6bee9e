import { notAllowed } from "../../common/errors";
import { statementCovers } from "../../key-policy/actions";
import { awsPrincipals, PolicyStatement } from "../../key-policy/document";
import { Rule } from "../finding";
import { PolicySubject } from "./subject";

const PUT_KEY_POLICY = "kms:PutKeyPolicy";

/**
 * Lockout: unless some IAM principal may call `kms:PutKeyPolicy`, AWS's policy lockout safety
 * check rejects the policy, and if it were bypassed nobody could ever change the policy again.
 *
 * A principal counts when an Allow statement without conditions grants it `kms:PutKeyPolicy`
 * and no unconditional Deny for everyone (`*`) takes it away.
 */
export const lockout: Rule<PolicySubject> = {
  id: "lockout",
  severity: "error",
  description: "At least one IAM principal may call kms:PutKeyPolicy.",
  check({ policy }) {
    const grants = (s: PolicyStatement) => s.Condition === undefined && statementCovers(s, PUT_KEY_POLICY);
    const deniedToAll = policy.Statement.some((s) => s.Effect === "Deny" && awsPrincipals(s).includes("*") && grants(s));
    const allowed = policy.Statement.some((s) => s.Effect === "Allow" && awsPrincipals(s).length > 0 && grants(s));
    if (allowed && !deniedToAll) return [];
    return [
      {
        rule: this.id,
        severity: this.severity,
        path: "policy",
        message: notAllowed(
          "policy",
          "no principal with kms:PutKeyPolicy",
          "AWS's policy lockout safety check rejects a key policy that no principal may change. " +
            "Keep enableIamUserPermissions (the account root with kms:*) or give an administrator kms:PutKeyPolicy (kms:Put* does).",
        ),
      },
    ];
  },
};
