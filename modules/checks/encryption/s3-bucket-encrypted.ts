import { resolveString, S3Bucket, S3BucketEncryption } from "../../platform";
import { addressOf, literal } from "../../bindings/binding";
import { Finding, Rule } from "../finding";
import { EncryptionSubject, keyProblem, ofType, unencrypted } from "./subject";

/**
 * S3 buckets use the data key (checkov CKV_AWS_145 for this key): every bucket has an
 * `aws_s3_bucket_server_side_encryption_configuration` with `aws:kms` and the key ARN.
 */
export const s3BucketEncrypted: Rule<EncryptionSubject> = {
  id: "s3-bucket-encrypted",
  severity: "error",
  description: "Every S3 bucket's default encryption is aws:kms with the data key (CKV_AWS_145).",
  check(subject) {
    const findings: Finding[] = [];
    const configs = ofType(subject, S3BucketEncryption);
    // A configuration names its bucket by reference (id or bucket attribute) or by literal name.
    const configured = new Set(configs.map((c) => resolveString(subject.scope, c.bucketInput)));
    for (const bucket of ofType(subject, S3Bucket)) {
      const name = literal(bucket.bucketInput);
      const address = addressOf(bucket);
      const byReference = configured.has(`\${${address}.id}`) || configured.has(`\${${address}.bucket}`);
      if (byReference || (name !== undefined && configured.has(name))) continue;
      // The bucket's own (deprecated) server_side_encryption_configuration block counts too.
      const inline = bucket.serverSideEncryptionConfigurationInput;
      if (inline === undefined) {
        findings.push(unencrypted(this.id, bucket, "it has no aws_s3_bucket_server_side_encryption_configuration", "dataKey.encryptBucket(bucket)"));
        continue;
      }
      const problem = defaultEncryptionProblem(subject, (inline.rule as { applyServerSideEncryptionByDefault?: ByDefault } | undefined)?.applyServerSideEncryptionByDefault);
      if (problem) findings.push(unencrypted(this.id, bucket, `its server_side_encryption_configuration block: ${problem}`, "dataKey.encryptBucket(bucket), without the block"));
    }
    for (const config of configs) {
      const rules = Array.isArray(config.ruleInput) ? config.ruleInput : [];
      const problem = defaultEncryptionProblem(subject, rules[0]?.applyServerSideEncryptionByDefault);
      if (problem) findings.push(unencrypted(this.id, config, problem, "dataKey.encryptBucket(bucket) instead of this configuration"));
    }
    return findings;
  },
};

interface ByDefault {
  readonly sseAlgorithm: string;
  readonly kmsMasterKeyId?: string;
}

/** Why a default-encryption rule does not put the bucket on the key (aws:kms or aws:kms:dsse, the key ARN). */
function defaultEncryptionProblem(subject: EncryptionSubject, byDefault: ByDefault | undefined): string | undefined {
  if (byDefault === undefined) return "its rule sets no default encryption";
  if (!byDefault.sseAlgorithm.startsWith("aws:kms")) return `its algorithm is ${JSON.stringify(byDefault.sseAlgorithm)}, not "aws:kms"`;
  return keyProblem(byDefault.kmsMasterKeyId, subject, "aws/s3");
}
