/**
 * What is known of a request's condition keys: a key's value (or values, for multivalued keys),
 * the fact that it is absent, or nothing. Condition keys compare case-insensitively, as in IAM.
 */
import { RequestPrincipal } from "./principals";

export type ContextValue = string | readonly string[];

export type KeyState = { readonly state: "present"; readonly value: ContextValue } | { readonly state: "absent" } | { readonly state: "unknown" };

export class RequestContext {
  /** lower-cased key -> the key as written and its value */
  private readonly known = new Map<string, { readonly key: string; readonly value: ContextValue | null }>();

  /**
   * @param values present keys (a value) and keys known to be absent (`null`)
   * @param complete every key not listed is absent (a concrete request); otherwise unknown
   */
  constructor(
    values: Readonly<Record<string, ContextValue | null>> = {},
    readonly complete = false,
  ) {
    for (const [key, value] of Object.entries(values)) {
      this.known.delete(key.toLowerCase());
      this.known.set(key.toLowerCase(), { key, value });
    }
  }

  get(key: string): KeyState {
    const entry = this.known.get(key.toLowerCase());
    if (entry === undefined) return this.complete ? { state: "absent" } : { state: "unknown" };
    return entry.value === null ? { state: "absent" } : { state: "present", value: entry.value };
  }

  /** A context with some keys set, replaced or marked absent (`null`). */
  with(values: Readonly<Record<string, ContextValue | null>>): RequestContext {
    return new RequestContext({ ...this.entries(), ...values }, this.complete);
  }

  /** A context in which these keys are unknown again. */
  without(keys: readonly string[]): RequestContext {
    const drop = new Set(keys.map((k) => k.toLowerCase()));
    return new RequestContext(Object.fromEntries(Object.entries(this.entries()).filter(([k]) => !drop.has(k.toLowerCase()))), this.complete);
  }

  /** The same facts, with every key not listed taken as absent. */
  completed(): RequestContext {
    return new RequestContext(this.entries(), true);
  }

  /** The listed keys, as written, and their values; `null` for keys known to be absent. */
  entries(): Record<string, ContextValue | null> {
    return Object.fromEntries([...this.known.values()].map((e) => [e.key, e.value]));
  }
}

/** What the matrix and the rules know of the key. */
export interface KeyFacts {
  readonly account: string;
  readonly partition: string;
  /** @default - unknown */
  readonly region?: string;
  /** The key's ARN when its id is known (an adopted key); otherwise statements naming one key are conditional. */
  readonly keyArn?: string;
}

/**
 * The context AWS sets on a call by `principal`, over TLS: its ARN, account and type. What such a
 * call's context does not fix stays unknown, so conditions on it show as conditions rather than
 * answers: whether it comes directly or through an AWS service (`kms:ViaService`,
 * `aws:CalledVia`), the caller's IP, VPC, MFA, tags and organization, the encryption context. So
 * does the time, unless `now` is given: a policy is judged for as long as it stays, so a statement
 * that opens the key after a date shows as "allowed when aws:CurrentTime after …", not as denied.
 */
export function directCallContext(principal: RequestPrincipal, key: KeyFacts, now?: Date): RequestContext {
  const time: Record<string, string> =
    now === undefined ? {} : { "aws:CurrentTime": now.toISOString().replace(/\.\d{3}Z$/, "Z"), "aws:EpochTime": String(Math.floor(now.getTime() / 1000)) };
  const common = {
    ...time,
    "aws:SecureTransport": "true",
    "kms:GrantIsForAWSResource": null,
    ...(key.region ? { "aws:RequestedRegion": key.region } : {}),
  };
  if (principal.kind === "service") {
    return new RequestContext({
      ...common,
      "aws:PrincipalIsAWSService": "true",
      "aws:PrincipalServiceName": principal.name,
      "aws:PrincipalArn": null,
      "aws:PrincipalAccount": null,
      "kms:CallerAccount": null,
    });
  }
  // aws:PrincipalType, and aws:username (an IAM user's only) and aws:userid where the request fixes
  // them: IAM guide, "Policy variables", principal key values ("AWS STS federated user principal":
  // aws:username not present, aws:userid `account:caller-specified-name`, type FederatedUser).
  const type = { root: "Account", user: "User", role: "AssumedRole", session: "AssumedRole", federated: "FederatedUser" }[principal.kind];
  return new RequestContext({
    ...common,
    "aws:PrincipalIsAWSService": "false",
    "aws:PrincipalServiceName": null,
    "aws:PrincipalArn": principal.principalArn,
    "aws:PrincipalAccount": principal.account,
    "kms:CallerAccount": principal.account,
    "aws:PrincipalType": type,
    ...(principal.kind === "user" ? { "aws:username": principal.name } : { "aws:username": null }),
    ...(principal.kind === "federated" ? { "aws:userid": `${principal.account}:${principal.name}` } : {}),
    // A direct call by an IAM principal comes from no AWS resource.
    "aws:SourceArn": null,
    "aws:SourceAccount": null,
    "aws:SourceOrgID": null,
    "aws:SourceOrgPaths": null,
  });
}
