import { effectiveAttributes, resolveString, Token } from "../../platform";
import type { S3Bucket, S3BucketEncryption } from "../../platform";
import { addressOf } from "../../bindings/binding";
import { Finding, Rule } from "../finding";
import { EncryptionSubject, first, keyProblem, ofType, unencrypted } from "./subject";

/**
 * S3 buckets use the data key (checkov CKV_AWS_145 for this key): every bucket has an
 * `aws_s3_bucket_server_side_encryption_configuration` with `aws:kms` and the key ARN. Judged on
 * the arguments Terraform will read, overrides included.
 */
export const s3BucketEncrypted: Rule<EncryptionSubject> = {
  id: "s3-bucket-encrypted",
  severity: "error",
  description: "Every S3 bucket's default encryption is aws:kms with the data key (CKV_AWS_145).",
  check(subject) {
    const findings: Finding[] = [];
    const configs = ofType<S3BucketEncryption>(subject, "aws_s3_bucket_server_side_encryption_configuration").map((c) => ({ config: c, args: effectiveAttributes(c) }));
    // A configuration names its bucket by reference (id or bucket attribute) or by literal name.
    const configured = new Set(configs.map((c) => resolveString(subject.scope, c.args.bucket as string | undefined)));
    for (const bucket of ofType<S3Bucket>(subject, "aws_s3_bucket")) {
      const args = effectiveAttributes(bucket);
      const name = typeof args.bucket === "string" && !Token.isUnresolved(args.bucket) ? args.bucket : undefined;
      const address = addressOf(bucket);
      const byReference = configured.has(`\${${address}.id}`) || configured.has(`\${${address}.bucket}`);
      if (byReference || (name !== undefined && configured.has(name))) continue;
      // The bucket's own (deprecated) server_side_encryption_configuration block counts too.
      const inline = first(args.server_side_encryption_configuration);
      if (inline === undefined) {
        findings.push(unencrypted(this.id, bucket, "it has no aws_s3_bucket_server_side_encryption_configuration", "dataKey.encryptBucket(bucket)"));
        continue;
      }
      const problem = defaultEncryptionProblem(subject, first(first(inline.rule)?.apply_server_side_encryption_by_default));
      if (problem) findings.push(unencrypted(this.id, bucket, `its server_side_encryption_configuration block: ${problem}`, "dataKey.encryptBucket(bucket), without the block"));
    }
    for (const { config, args } of configs) {
      const problem = defaultEncryptionProblem(subject, first(first(args.rule)?.apply_server_side_encryption_by_default));
      if (problem) findings.push(unencrypted(this.id, config, problem, "dataKey.encryptBucket(bucket) instead of this configuration"));
    }
    return findings;
  },
};

/** Why a default-encryption rule does not put the bucket on the key (aws:kms or aws:kms:dsse, the key ARN). */
function defaultEncryptionProblem(subject: EncryptionSubject, byDefault: Record<string, any> | undefined): string | undefined {
  if (byDefault === undefined) return "its rule sets no default encryption";
  const algorithm = String(resolveString(subject.scope, String(byDefault.sse_algorithm)));
  if (!algorithm.startsWith("aws:kms")) return `its algorithm is ${JSON.stringify(algorithm)}, not "aws:kms"`;
  return keyProblem(byDefault.kms_master_key_id, subject, "aws/s3");
}
