import { Token } from "../platform";
import { REGIONS_BY_PARTITION } from "./aws-names.generated";
import { editDistance } from "./edit-distance";
import { invalid, missing } from "./errors";

/** True when `value` is an unresolved CDKTF token; such values are checked by Terraform instead. */
export function isToken(value: unknown): boolean {
  return (typeof value === "string" || typeof value === "number") && Token.isUnresolved(value);
}

/** An AWS account id: a string of exactly 12 digits. */
export function validateAccountId(prop: string, value: string): void {
  if (value === undefined) missing(prop, 'An AWS account id is a string of exactly 12 digits, e.g. "167067248318".');
  if (typeof value !== "string") {
    invalid(prop, value, `An AWS account id is a string of exactly 12 digits, e.g. "167067248318", not a ${typeName(value)}${typeof value === "number" ? " (a number loses an account id's leading zeros)" : ""}.`);
  }
  if (isToken(value)) return;
  if (!/^\d{12}$/.test(value)) invalid(prop, value, 'An AWS account id is exactly 12 digits, e.g. "167067248318".');
}

/** What a value is, for "not a <type>" messages: a number, a Boolean, a list, an object, null. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "list";
  return typeof value === "boolean" ? "Boolean" : typeof value;
}

/** The type a prop takes, as a JavaScript caller may get it wrong (`accountId: 167067248318`, `allowDestroy: "false"`). */
export type PropType = "string" | "number" | "boolean" | "list" | "object";

/**
 * Checks that each given prop has its type, before any meaning is read from it: `"false"` is
 * true to JavaScript, and `167067248318` passes a digits pattern while comparing unequal to the
 * account everywhere else. A Terraform reference counts as its type.
 */
export function validatePropTypes(owner: string, props: Record<string, unknown>, types: Readonly<Record<string, PropType>>): void {
  for (const [prop, type] of Object.entries(types)) {
    const value = props[prop];
    if (value === undefined) continue;
    const ok =
      type === "list" ? Array.isArray(value) : type === "object" ? typeof value === "object" && value !== null && !Array.isArray(value) : typeof value === type;
    if (ok) continue;
    const expected = { string: "a string", number: "a number", boolean: 'true or false (a Boolean; the text "false" would count as true)', list: "a list", object: "an object" }[type];
    invalid(prop, value, `${owner}'s ${prop} is ${expected}, not a ${typeName(value)}.`);
  }
}

/** A partition of AWS, as the pinned AWS SDK's endpoint data lists them. */
export function validatePartition(prop: string, value: string): void {
  if (isToken(value) || Object.keys(REGIONS_BY_PARTITION).includes(value)) return;
  invalid(prop, value, `A partition is one of ${Object.keys(REGIONS_BY_PARTITION).map((p) => JSON.stringify(p)).join(", ")} (the AWS SDK's endpoint data).`);
}

const ALL_REGIONS: readonly string[] = Object.values(REGIONS_BY_PARTITION).flat();

/**
 * A region of one of AWS's partitions, as the pinned AWS SDK's endpoint data lists them
 * (`modules/common/aws-names.generated.ts`, `npm run generate`).
 */
export function validateRegion(prop: string, value: string): void {
  if (isToken(value)) return;
  if (typeof value === "string" && ALL_REGIONS.includes(value)) return;
  const closest = typeof value === "string" ? closestOf(value.toLowerCase(), ALL_REGIONS, 3) : undefined;
  invalid(
    prop,
    value,
    `It is no region of any AWS partition (the AWS SDK's endpoint data)` +
      `${closest ? `; did you mean ${JSON.stringify(closest)}?` : '; a region is a name such as "us-east-1" or "eu-west-2".'}`,
  );
}

/** The candidate closest to `value`, if within `limit` edits. */
export function closestOf(value: string, candidates: readonly string[], limit: number): string | undefined {
  let best: string | undefined;
  let distance = Infinity;
  for (const c of candidates) {
    const d = editDistance(value, c);
    if (d < distance) [best, distance] = [c, d];
  }
  return distance <= limit ? best : undefined;
}

/** An integer within `[min, max]`. */
export function validateIntegerRange(prop: string, value: number, min: number, max: number, unit: string): void {
  if (isToken(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    invalid(prop, value, `Allowed: a whole number of ${unit} from ${min} to ${max}.`);
  }
}

/** The partition of a region: `aws`, `aws-cn`, `aws-us-gov`, ... (from the endpoint data, else by its prefix). */
export function partitionOf(region: string): string {
  for (const [partition, regions] of Object.entries(REGIONS_BY_PARTITION)) if (regions.includes(region)) return partition;
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
  if (typeof value !== "string") invalid(prop, value, "An S3 bucket name is a string.");
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

/**
 * Tags as AWS accepts them (User-Defined Tag Restrictions, and KMS's Tag type): at most 50; keys
 * of 1 to 128 and values of up to 256 characters, Unicode letters, digits, spaces and `_ . : / = + - @`;
 * no key or value starting with `aws:` (in any case), which is reserved for AWS.
 */
export function validateTags(prop: string, tags: Record<string, string> | undefined): void {
  if (tags === undefined || isToken(tags as unknown as string)) return;
  if (typeof tags !== "object" || tags === null || Array.isArray(tags)) invalid(prop, tags, 'Tags are an object of strings, e.g. { "team": "ssot" }.');
  const entries = Object.entries(tags);
  if (entries.length > 50) invalid(prop, `${entries.length} tags`, "A resource has at most 50 tags.");
  const CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
  for (const [key, value] of entries) {
    const where = `${prop}.${key}`;
    if (isToken(key) || isToken(value)) continue;
    if (typeof value !== "string") invalid(where, value, "A tag value is a string (it may be empty).");
    if ([...key].length < 1 || [...key].length > 128) invalid(`${prop} key`, key, `A tag key has 1 to 128 characters; this one has ${[...key].length}.`);
    if ([...value].length > 256) invalid(where, value, `A tag value has at most 256 characters; this one has ${[...value].length}.`);
    if (/^aws:/i.test(key)) invalid(`${prop} key`, key, 'Tag keys starting with "aws:" are reserved for AWS.');
    if (/^aws:/i.test(value)) invalid(where, value, 'Tag values starting with "aws:" are reserved for AWS.');
    if (!CHARS.test(key)) invalid(`${prop} key`, key, "A tag key has Unicode letters, digits, spaces and _ . : / = + - @ only.");
    if (!CHARS.test(value)) invalid(where, value, "A tag value has Unicode letters, digits, spaces and _ . : / = + - @ only.");
  }
}
