import { SecretsmanagerSecret } from "../../platform";
import { Rule } from "../finding";
import { EncryptionSubject, keyProblem, ofType, replicaProblem, unencrypted } from "./subject";

/** Secrets Manager secrets use the data key (checkov CKV_AWS_149 for this key). */
export const secretCmk: Rule<EncryptionSubject> = {
  id: "secret-cmk",
  severity: "error",
  description: "Every Secrets Manager secret is encrypted with the data key (CKV_AWS_149).",
  check(subject) {
    return ofType(subject, SecretsmanagerSecret).flatMap((secret) => {
      const problem = keyProblem(secret.kmsKeyIdInput, subject, "aws/secretsmanager");
      if (problem) return [unencrypted(this.id, secret, problem, "dataKey.encryptSecret(secret)")];
      const replicas = replicaProblem((Array.isArray(secret.replicaInput) ? secret.replicaInput : []).map((r) => r.region));
      return replicas ? [unencrypted(this.id, secret, replicas, "keep the secret in the key's region without replica blocks")] : [];
    });
  },
};
