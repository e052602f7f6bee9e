import { notAllowed } from "../../common/errors";
import { renderPolicy } from "../../key-policy/document";
import { Rule } from "../finding";
import { PolicySubject } from "./subject";

/** AWS KMS rejects key policies over 32 KB. */
export const MAX_KEY_POLICY_BYTES = 32768;

/** Policy size: the rendered policy must fit AWS's 32 KB limit. */
export const policySize: Rule<PolicySubject> = {
  id: "policy-size",
  severity: "error",
  description: "The rendered key policy is at most 32 KB.",
  check({ policy }) {
    const bytes = Buffer.byteLength(renderPolicy(policy), "utf8");
    if (bytes <= MAX_KEY_POLICY_BYTES) return [];
    return [
      {
        rule: this.id,
        severity: this.severity,
        path: "policy",
        message: notAllowed("policy", `${bytes} bytes`, `A key policy may be at most ${MAX_KEY_POLICY_BYTES} bytes (32 KB).`),
      },
    ];
  },
};
