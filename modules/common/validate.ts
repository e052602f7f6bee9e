import { Token } from "../platform";
import { invalid } from "./errors";

/** True when `value` is an unresolved CDKTF token; such values are checked by Terraform instead. */
export function isToken(value: unknown): boolean {
  return (typeof value === "string" || typeof value === "number") && Token.isUnresolved(value);
}

/** An AWS account id: exactly 12 digits. */
export function validateAccountId(prop: string, value: string): void {
  if (isToken(value)) return;
  if (!/^\d{12}$/.test(value)) invalid(prop, value, 'An AWS account id is exactly 12 digits, e.g. "167067248318".');
}

/** Commercial, GovCloud, China, ISO and European Sovereign Cloud region names, e.g. `us-east-1`. */
const REGION = /^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso|us-isob|eusc)-(central|north|south|east|west|northeast|northwest|southeast|southwest)-\d{1,2}$/;

/** An AWS region name such as `us-east-1`. */
export function validateRegion(prop: string, value: string): void {
  if (isToken(value)) return;
  if (!REGION.test(value)) invalid(prop, value, 'A region is an AWS region name such as "us-east-1" or "eu-west-2".');
}

/** An integer within `[min, max]`. */
export function validateIntegerRange(prop: string, value: number, min: number, max: number, unit: string): void {
  if (isToken(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    invalid(prop, value, `Allowed: a whole number of ${unit} from ${min} to ${max}.`);
  }
}

/** The partition of a region: `aws`, `aws-cn`, `aws-us-gov`, ... */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  if (region.startsWith("us-isob-")) return "aws-iso-b";
  if (region.startsWith("us-iso-")) return "aws-iso";
  if (region.startsWith("eusc-")) return "aws-eusc";
  return "aws";
}

/** S3 general purpose bucket naming rules. */
export function validateBucketName(prop: string, value: string): void {
  if (isToken(value)) return;
  const allowed =
    "An S3 bucket name has 3 to 63 characters: lowercase letters, digits, dots and hyphens, " +
    'starting and ending with a letter or digit, with no "..", not shaped like an IP address.';
  if (
    !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value) ||
    value.includes("..") ||
    /^\d+\.\d+\.\d+\.\d+$/.test(value) ||
    /^(xn--|sthree-|amzn-s3-demo-)/.test(value) ||
    /(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(value)
  ) {
    invalid(prop, value, allowed);
  }
}

/** DynamoDB table naming rules. */
export function validateTableName(prop: string, value: string): void {
  if (isToken(value)) return;
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(value)) {
    invalid(prop, value, "A DynamoDB table name has 3 to 255 letters, digits, underscores, hyphens and dots.");
  }
}
