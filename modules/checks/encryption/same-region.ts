import { addressOf } from "../../bindings/binding";
import { regionOf, TerraformResource } from "../../platform";
import { Finding, Rule } from "../finding";
import { EncryptionSubject, ofType } from "./subject";

/**
 * The resources the data key encrypts: a bucket and its default-encryption configuration, a
 * table, a secret, a function. Each is regional (AWS provider 6 gives every one a `region`
 * argument; IAM's are global and take none).
 */
const REGIONAL = ["aws_s3_bucket", "aws_s3_bucket_server_side_encryption_configuration", "aws_dynamodb_table", "aws_secretsmanager_secret", "aws_lambda_function"];

/**
 * Every encrypted resource is in the key's region: a KMS key serves its own region only, and the
 * data key is single-Region (seed §2.1). Read from the resource as Terraform will: its own
 * `region` (AWS provider 6's enhanced region support, or an override), else its provider's.
 * Where either region is known only at plan, a warning says the rule could not check it.
 */
export const sameRegion: Rule<EncryptionSubject> = {
  id: "same-region",
  severity: "error",
  description: "Every bucket, table, secret and function is in the data key's region (a KMS key serves its own region only).",
  check(subject) {
    const findings: Finding[] = [];
    for (const resource of REGIONAL.flatMap((type) => ofType<TerraformResource>(subject, type))) {
      const address = addressOf(resource);
      const where = regionOf(resource);
      if (subject.keyRegion === undefined) {
        // The key's region is known at plan only (a key from remote state): a resource in the
        // provider's region is checked by the plan (DataKey.fromRemoteState's postcondition).
        if (where.from === "resource") findings.push(couldNotCheck(address, `its region argument is ${where.region ?? where.expression}, and the data key's region is known only at plan`));
        continue;
      }
      if (where.region === undefined) {
        if (where.expression !== undefined) findings.push(couldNotCheck(address, `its region (${where.source}) is ${where.expression}, known only at plan; the data key is in ${subject.keyRegion}`));
        continue;
      }
      if (where.region === subject.keyRegion) continue;
      const fix = where.from === "resource" ? `leave region to its provider, or set it to ${subject.keyRegion}` : `put it in a stack (or under a provider) of ${subject.keyRegion}`;
      findings.push({
        rule: "same-region",
        severity: "error",
        path: address,
        message:
          `${address}: in ${where.region} (${where.source}), and the data key is in ${subject.keyRegion}: a KMS key serves its own region only, and the data key is single-Region. ` +
          `Fix: ${fix}, or exemptFromEncryption(<resource>, "<reason>").`,
      });
    }
    return findings;
  },
};

function couldNotCheck(address: string, why: string): Finding {
  return { rule: "same-region", severity: "warning", path: address, message: `${address}: could not check that it is in the data key's region: ${why}.` };
}
