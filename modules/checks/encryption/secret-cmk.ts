import { effectiveAttributes } from "../../platform";
import type { SecretsmanagerSecret } from "../../platform";
import { Rule } from "../finding";
import { EncryptionSubject, keyProblem, list, ofType, replicaProblem, unencrypted } from "./subject";

/** Secrets Manager secrets use the data key (checkov CKV_AWS_149 for this key), overrides included. */
export const secretCmk: Rule<EncryptionSubject> = {
  id: "secret-cmk",
  severity: "error",
  description: "Every Secrets Manager secret is encrypted with the data key (CKV_AWS_149).",
  check(subject) {
    return ofType<SecretsmanagerSecret>(subject, "aws_secretsmanager_secret").flatMap((secret) => {
      const args = effectiveAttributes(secret);
      const problem = keyProblem(args.kms_key_id, subject, "aws/secretsmanager");
      if (problem) return [unencrypted(this.id, secret, problem, "dataKey.encryptSecret(secret)")];
      const replicas = replicaProblem(list(args.replica).map((r) => String(r.region)));
      return replicas ? [unencrypted(this.id, secret, replicas, "keep the secret in the key's region without replica blocks")] : [];
    });
  },
};
