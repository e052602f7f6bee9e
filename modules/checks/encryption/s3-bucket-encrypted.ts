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
      if (!byReference && (name === undefined || !configured.has(name))) {
        findings.push(unencrypted(this.id, bucket, "it has no aws_s3_bucket_server_side_encryption_configuration", "dataKey.encryptBucket(bucket)"));
      }
    }
    for (const config of configs) {
      const rules = Array.isArray(config.ruleInput) ? config.ruleInput : [];
      const byDefault = rules[0]?.applyServerSideEncryptionByDefault;
      const problem =
        byDefault === undefined
          ? "its rule sets no default encryption"
          : !byDefault.sseAlgorithm.startsWith("aws:kms")
            ? `its algorithm is ${JSON.stringify(byDefault.sseAlgorithm)}, not "aws:kms"`
            : keyProblem(byDefault.kmsMasterKeyId, subject, "aws/s3");
      if (problem) findings.push(unencrypted(this.id, config, problem, "dataKey.encryptBucket(bucket) instead of this configuration"));
    }
    return findings;
  },
};
