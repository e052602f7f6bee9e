import { SecretsmanagerSecret } from "../platform";
import { addressOf, Binder, expectResource, literal } from "./binding";

/**
 * Secrets Manager (seed §4.1): `kms_key_id = <key ARN>`. As the seed says ("do not check Create
 * new version of secret with new encryption key"), binding never writes a secret version: new
 * versions are encrypted with the data key, and existing versions stay readable under the key
 * they were written with.
 */
export const secretsmanagerBinder: Binder<SecretsmanagerSecret> = {
  service: "secretsmanager",
  call: "encryptSecret",
  identify: (secret) => {
    expectResource<SecretsmanagerSecret>("encryptSecret", secret, "aws_secretsmanager_secret", "a SecretsmanagerSecret of this app");
    return `secretsmanager:${literal(secret.nameInput) ?? addressOf(secret)}`;
  },
  construct: (secret) => secret,
  apply(key, secret, existing) {
    secret.kmsKeyId = key.keyArn;
    const address = addressOf(secret);
    return { service: "secretsmanager", name: literal(secret.nameInput) ?? address, address, existing, resource: secret };
  },
};
