import { invalid } from "../common/errors";
import { isToken } from "../common/validate";

/** The seed's alias (§2.1), kept across environments (§6). */
export const DEFAULT_ALIAS = "alias/mavik-data-kms-key";

/** KMS alias rules: `alias/` prefix, not under `alias/aws/`, `[A-Za-z0-9/_-]`, at most 256 characters. */
export function validateAlias(prop: string, alias: string): void {
  if (isToken(alias)) return;
  if (typeof alias !== "string") invalid(prop, alias, 'An alias is a string starting with "alias/", e.g. "alias/mavik-data-kms-key".');
  if (!alias.startsWith("alias/")) {
    invalid(prop, alias, 'An alias must start with "alias/", e.g. "alias/mavik-data-kms-key".');
  }
  if (alias.toLowerCase().startsWith("alias/aws/")) {
    invalid(prop, alias, 'Names under "alias/aws/" are reserved for AWS managed keys.');
  }
  if (!/^alias\/[A-Za-z0-9/_-]+$/.test(alias)) {
    invalid(prop, alias, 'After "alias/" an alias has at least one character, each a letter, digit, "/", "_" or "-".');
  }
  if (alias.length > 256) {
    invalid(prop, alias, `An alias is at most 256 characters; this one has ${alias.length}.`);
  }
}

/** An existing key's id: a UUID, or `mrk-` and 32 hex digits for a multi-Region key. */
export function validateKeyId(prop: string, keyId: string): void {
  if (isToken(keyId)) return;
  if (typeof keyId !== "string" || !/^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/.test(keyId)) {
    invalid(prop, keyId, 'A KMS key id is a UUID such as "cb424700-0dd0-4dcb-a77d-13af16579270", or "mrk-" and 32 hex digits.');
  }
}
