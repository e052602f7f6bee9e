import { addressOf } from "../../bindings/binding";
import { ConfigError } from "../../common/errors";
import { Annotations, Construct, isResourceOfType, isTerraformResource, resolveString, stackOf, TerraformResource } from "../../platform";
import { Finding } from "../finding";

/** What the encryption rules look at: one stack's resources and the key they must use. */
export interface EncryptionSubject {
  /** The stack, for resolving references. */
  readonly scope: Construct;
  /** The data key's ARN as Terraform reads it: `${aws_kms_key.<name>.arn}`. */
  readonly keyArn: string;
  /** The data key's alias ARN as Terraform reads it; it must not stand where the key ARN is required. */
  readonly aliasArn?: string;
  /** The data key's region, where known at synth. */
  readonly keyRegion?: string;
  readonly resources: readonly TerraformResource[];
}

const KEY_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;

const exemptions = new WeakMap<TerraformResource, string>();

/**
 * Exempts one resource from the data-key encryption rules, with the reason written down. The
 * reason is written into the synthesized JSON beside the resource (`"//"`), reported as a
 * warning annotation, and listed when the app synthesizes.
 */
export function exemptFromEncryption(resource: TerraformResource, reason: string): void {
  if (typeof reason !== "string" || reason.trim().length < 10) {
    throw new ConfigError(
      `exemptFromEncryption(${addressOf(resource)}): ${JSON.stringify(reason)} is not allowed. ` +
        "An exemption states its reason in words, at least 10 characters.",
    );
  }
  exemptions.set(resource, reason.trim());
  resource.addOverride("//.mavik_encryption_exemption", reason.trim());
  Annotations.of(resource).addWarning(`exempt from data-key encryption: ${reason.trim()}`);
}

/** The reason a resource is exempt, or undefined. */
export function exemptionOf(resource: TerraformResource): string | undefined {
  return exemptions.get(resource);
}

/**
 * Every Terraform resource in the stack that holds `scope`, of whichever copy of the framework
 * (a second cdktf or provider package in node_modules), as Terraform will see them.
 */
export function stackResources(scope: Construct): TerraformResource[] {
  const stack = stackOf(scope);
  return stack.node.findAll().filter((c): c is TerraformResource => isTerraformResource(c) && stackOf(c) === stack);
}

/**
 * The resources of one Terraform type (`aws_s3_bucket`) that are not exempt: by the type
 * Terraform reads, never by `instanceof` of one copy of the provider's classes.
 */
export function ofType<T extends TerraformResource = TerraformResource>(subject: EncryptionSubject, type: string): T[] {
  return subject.resources.filter((r): r is T => isResourceOfType<T>(r, type) && !exemptions.has(r));
}

/**
 * Why a key reference is not the data key's ARN, or undefined when it is. `managed` names the
 * AWS managed key the service falls back to.
 */
export function keyProblem(raw: unknown, subject: EncryptionSubject, managed: string): string | undefined {
  const value = typeof raw === "string" ? resolveString(subject.scope, raw) : raw === undefined || raw === null ? undefined : JSON.stringify(raw);
  if (value === subject.keyArn) return undefined;
  if (value === undefined || value === "") return `it uses the AWS managed key ${managed}, not the data key`;
  if (subject.aliasArn !== undefined && value === subject.aliasArn) return "it names the alias ARN where the key ARN is required (a plan diff on every run)";
  if (value.startsWith("${")) return `it references another key, ${value}`;
  if (/(^|:)alias\/aws\//.test(value)) return `it names the AWS managed key ${JSON.stringify(value)}`;
  if (/(^|:)alias\//.test(value)) return `it names the alias ${JSON.stringify(value)} where the key ARN is required`;
  // A bare id is resolved in the caller's account, which for a cross-account writer is not the key's
  // (S3 API reference, ServerSideEncryptionByDefault.KMSMasterKeyID): only the ARN names one key.
  if (KEY_ID.test(value)) return `it names a key by its id, ${JSON.stringify(value)}, where the key ARN is required (an id is resolved in the caller's account)`;
  return `it names another key, ${JSON.stringify(value)}`;
}

/**
 * Why replicas in other regions are not on the key, or undefined without any: a KMS key serves
 * one region, and the data key is single-region (seed §2.1), so a replica's data is under a key
 * of its own region.
 */
export function replicaProblem(regions: readonly string[]): string | undefined {
  if (regions.length === 0) return undefined;
  return `its replicas (${regions.join(", ")}) are encrypted with keys of their own regions, never the data key (a KMS key serves one region)`;
}

/** A block as Terraform JSON holds it: one object, or a list of them (its first). */
export function first(block: unknown): Record<string, any> | undefined {
  const value = Array.isArray(block) ? block[0] : block;
  return typeof value === "object" && value !== null ? (value as Record<string, any>) : undefined;
}

/** A repeated block as a list (none when absent). */
export function list(block: unknown): Record<string, any>[] {
  return (Array.isArray(block) ? block : block === undefined || block === null ? [] : [block]).filter((b): b is Record<string, any> => typeof b === "object" && b !== null);
}

/** One finding for a resource that is not encrypted with the data key. */
export function unencrypted(rule: string, resource: TerraformResource, problem: string, fix: string): Finding {
  const address = addressOf(resource);
  return {
    rule,
    severity: "error",
    path: address,
    message:
      `${address}: not encrypted with the data key: ${problem}. ` +
      `Fix: ${fix}, or exemptFromEncryption(<resource>, "<reason>").`,
  };
}

/** Info findings listing every exemption in the subject. */
export function exemptionFindings(subject: EncryptionSubject): Finding[] {
  return subject.resources.flatMap((r) => {
    const reason = exemptions.get(r);
    if (reason === undefined) return [];
    const address = addressOf(r);
    return [{ rule: "exemption", severity: "info" as const, path: address, message: `${address}: exempt from data-key encryption: ${reason}` }];
  });
}
