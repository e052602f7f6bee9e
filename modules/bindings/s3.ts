import { invalid } from "../common/errors";
import { claimTerraformName } from "../common/names";
import { isToken, validateBucketName } from "../common/validate";
import { Construct, effectiveAttributes, S3Bucket, S3BucketEncryption } from "../platform";
import { addressOf, Binder, expectResource, literal, referenceName, terraformName } from "./binding";

/** A bucket created in the stack, or the name of one that already exists. */
export type BucketTarget = S3Bucket | string;

/**
 * S3 (seed §4.2): default encryption `aws:kms` with the key ARN and an S3 Bucket Key, which cuts
 * KMS requests (and cost) for busy buckets. A separate
 * `aws_s3_bucket_server_side_encryption_configuration`, so an existing bucket needs no import.
 *
 * Only objects written afterwards are encrypted with the key; existing objects keep their
 * encryption until they are copied over themselves.
 */
export const s3Binder: Binder<BucketTarget> = {
  service: "s3",
  call: "encryptBucket",
  identify(target, scope) {
    if (typeof target !== "string") expectResource<S3Bucket>("encryptBucket", target, "aws_s3_bucket", "an S3Bucket of this app, or an existing bucket's name");
    if (typeof target === "string") return `s3:${isToken(target) ? byReference(scope, target).identity : target}`;
    return `s3:${literal(target.bucketInput) ?? addressOf(target)}`;
  },
  construct: (target) => (typeof target === "string" ? undefined : target),
  apply(key, target, existing, scope) {
    if (typeof target === "string") validateBucketName("encryptBucket", target);
    else if (target.serverSideEncryptionConfigurationInput !== undefined) {
      // The bucket's inline block and a separate configuration would fight over the bucket's
      // encryption on every apply (AWS provider docs, aws_s3_bucket: use one or the other).
      invalid(
        `encryptBucket(${addressOf(target)}).server_side_encryption_configuration`,
        "an inline block",
        "Remove the bucket's own server_side_encryption_configuration block (deprecated by the AWS provider): the binding writes an aws_s3_bucket_server_side_encryption_configuration with the key instead.",
      );
    }
    const name = typeof target === "string" ? literal(target) : literal(target.bucketInput);
    // A bucket by reference is named after what the reference points to (aws_s3_bucket.logs ->
    // logs), never after the token's text, which changes with every edit of the app.
    const logicalId =
      typeof target !== "string" ? target.friendlyUniqueId : isToken(target) ? byReference(scope, target).name : terraformName(target);
    const encryption = new S3BucketEncryption(scope, typeof target === "string" ? `bucket-encryption-${logicalId}` : "data-key-encryption", {
      bucket: typeof target === "string" ? target : target.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.keyArn },
          bucketKeyEnabled: true,
        },
      ],
    });
    // A bucket of its own region (AWS provider 6): its configuration is an S3 call in that region
    // too, so it takes the same region (the provider's default would address another region).
    if (typeof target !== "string") {
      const region = effectiveAttributes(target).region;
      if (region !== undefined && region !== null) encryption.addOverride("region", region);
    }
    encryption.overrideLogicalId(logicalId);
    claimTerraformName(encryption);
    const address = addressOf(encryption);
    return { service: "s3", name: name ?? address, address, existing, resource: encryption };
  },
};

function byReference(scope: Construct, bucket: string): { readonly name: string; readonly identity: string } {
  return referenceName(
    scope,
    "encryptBucket",
    bucket,
    "Pass the S3Bucket itself, a reference to its name (bucket.bucket), a variable or a remote state's output, or the bucket's name.",
  );
}
