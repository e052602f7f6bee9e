import { Annotations, Construct, IAspect, IConstruct, isStack, resolveString } from "../../platform";
import { enforce, Finding, Rule } from "../finding";
import { dynamodbTableCmk } from "./dynamodb-table-cmk";
import { lambdaEnvCmk } from "./lambda-env-cmk";
import { s3BucketEncrypted } from "./s3-bucket-encrypted";
import { sameRegion } from "./same-region";
import { secretCmk } from "./secret-cmk";
import { EncryptionSubject, exemptionFindings, stackResources } from "./subject";

export { dynamodbTableCmk, lambdaEnvCmk, s3BucketEncrypted, sameRegion, secretCmk };
export { exemptFromEncryption, exemptionOf } from "./subject";
export type { EncryptionSubject } from "./subject";

/** Every sensitive resource of seed §2.2 uses the data key. */
export const ENCRYPTION_RULES: readonly Rule<EncryptionSubject>[] = [s3BucketEncrypted, dynamodbTableCmk, secretCmk, lambdaEnvCmk, sameRegion];

/** The key the rules hold resources to: a `DataKey`, a reference to one, or its ARNs. */
export interface EnforcedKey {
  readonly keyArn: string;
  /** When known, a resource naming the alias ARN instead of the key ARN is reported as such. */
  readonly aliasArn?: string;
  /**
   * The key's region where known at synth (`DataKey` and the references have it): every encrypted
   * resource must be in it (`same-region`).
   * @default - unknown: the rule checks only what it can and says what it could not
   */
  keyRegion?(): string | undefined;
}

/**
 * Checks every resource in `scope`'s stack and throws one error listing every resource that is
 * not encrypted with `key`. Returns the other findings: the exemptions.
 */
export function enforceEncryption(scope: Construct, key: EnforcedKey): Finding[] {
  const subject: EncryptionSubject = {
    scope,
    keyArn: resolveString(scope, key.keyArn)!,
    aliasArn: resolveString(scope, key.aliasArn),
    keyRegion: typeof key.keyRegion === "function" ? key.keyRegion() : undefined,
    resources: stackResources(scope),
  };
  return [...enforce(ENCRYPTION_RULES, subject), ...exemptionFindings(subject)];
}

/**
 * The same check as an aspect, for stacks other than `DataKeyStack` (which runs it before any
 * stack is written): `Aspects.of(stack).add(new EncryptionEnforcement(dataKey))`.
 */
export class EncryptionEnforcement implements IAspect {
  constructor(private readonly key: EnforcedKey) {}

  visit(node: IConstruct): void {
    if (!isStack(node)) return;
    // Errors fail synth; what the rules could not check is said as a warning of the stack.
    for (const finding of enforceEncryption(node, this.key)) if (finding.severity === "warning") Annotations.of(node).addWarning(finding.message);
  }
}
