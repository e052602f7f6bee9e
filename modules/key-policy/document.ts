/**
 * The IAM policy grammar as AWS writes it (`Version`, `Statement`, `Sid`, ...), so a document
 * compares directly with the seed's JSON and with what `GetKeyPolicy` returns.
 */
export type OneOrMany<T> = T | T[];

/** Condition operator -> condition key -> value(s), e.g. `{ Bool: { "kms:GrantIsForAWSResource": "true" } }`. */
export type PolicyCondition = Record<string, Record<string, OneOrMany<ConditionValue>>>;

/** A condition value: IAM reads a number or a Boolean as its text (`true` is `"true"`). */
export type ConditionValue = string | number | boolean;

/**
 * `"*"`, or principals by kind. A key policy names AWS principals (accounts, users, roles,
 * sessions) and AWS services; `Federated` and `CanonicalUser` exist in the IAM grammar but KMS
 * key policies refuse them (the grammar rule says so at synth).
 */
export type PolicyPrincipal = "*" | { AWS?: OneOrMany<string>; Service?: OneOrMany<string>; Federated?: OneOrMany<string>; CanonicalUser?: OneOrMany<string> };

/**
 * One statement, in the IAM grammar: exactly one of Principal/NotPrincipal, of Action/NotAction
 * and of Resource/NotResource.
 */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: PolicyPrincipal;
  readonly NotPrincipal?: PolicyPrincipal;
  readonly Action?: OneOrMany<string>;
  readonly NotAction?: OneOrMany<string>;
  readonly Resource?: OneOrMany<string>;
  readonly NotResource?: OneOrMany<string>;
  readonly Condition?: PolicyCondition;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Id?: string;
  readonly Statement: PolicyStatement[];
}

/**
 * A policy written elsewhere (GetKeyPolicy, a plan's state, the live key) as this model holds it.
 * IAM's grammar lets `Statement` be one statement object rather than a list, and `Version` be
 * 2008-10-17; both are read as written, the single statement as a list of one. Throws on text that
 * is no policy (no JSON object, no Statement), saying so.
 */
export function readPolicy(text: string): PolicyDocument {
  const value = JSON.parse(text) as unknown;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("the policy is not a JSON object");
  const document = value as Record<string, unknown>;
  const statements = document.Statement;
  if (statements === undefined || statements === null || typeof statements !== "object") throw new Error("the policy has no Statement");
  return { ...document, Statement: Array.isArray(statements) ? statements : [statements] } as PolicyDocument;
}

/** A condition's value(s) as IAM reads them: always a list, numbers and Booleans as their text. */
export function conditionValues(value: OneOrMany<ConditionValue> | undefined): string[] {
  return asList(value).map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
}

/** Always an array. */
export function asList<T>(value: OneOrMany<T> | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** One value as a string, several as an array: the form AWS returns and the seed uses. */
export function compact(values: string[]): OneOrMany<string> {
  return values.length === 1 ? values[0] : values;
}

/** The AWS (IAM) principals of a statement; `"*"` for a wildcard principal. */
export function awsPrincipals(statement: PolicyStatement): string[] {
  if (statement.Principal === undefined) return [];
  if (statement.Principal === "*") return ["*"];
  return asList(statement.Principal.AWS);
}

/** The service principals of a statement. */
export function servicePrincipals(statement: PolicyStatement): string[] {
  if (statement.Principal === undefined || statement.Principal === "*") return [];
  return asList(statement.Principal.Service);
}

/** The policy as Terraform and AWS receive it: compact JSON, keys in the order built. */
export function renderPolicy(document: PolicyDocument): string {
  return JSON.stringify(document);
}

/** The partition a policy's ARNs name (for reading a bare account id as that account's root). */
export function partitionOfPolicy(document: PolicyDocument): string {
  return /\barn:(aws[a-z-]*):/.exec(JSON.stringify(document.Statement))?.[1] ?? "aws";
}

/**
 * A Principal or NotPrincipal as [kind, id] pairs, as IAM reads it: `"*"` is `["AWS", "*"]`, and a
 * bare account id is that account's root ARN (IAM's policy grammar: the same principal).
 */
export function principalEntries(p: PolicyPrincipal, partition: string): [string, string][] {
  if (p === "*") return [["AWS", "*"]];
  return Object.entries(p)
    .filter(([, v]) => v !== undefined)
    .flatMap(([kind, v]) => asList(v as OneOrMany<string>).map((id): [string, string] => [kind, kind === "AWS" && /^\d{12}$/.test(id) ? `arn:${partition}:iam::${id}:root` : id]));
}

/**
 * A canonical form for comparing policies by meaning, as IAM reads them:
 * - single values become lists; lists are sorted and their duplicates dropped (order and
 *   repetition carry no meaning);
 * - action names and condition key names are lower-cased (IAM compares both case-insensitively);
 * - `"Principal": "*"` is `{ "AWS": "*" }`, and an AWS principal given as a bare account id is
 *   that account's root ARN (IAM's policy grammar: the two forms are the same principal);
 * - condition values are strings (`true` and `"true"`, `5` and `"5"` are read alike).
 * - statements are sorted (IAM evaluates every one; their order decides nothing).
 * Sid, Id, `NotPrincipal`, `NotResource` and any field this type does not name are kept, so
 * nothing that could change a decision is dropped.
 */
export function normalizePolicy(document: PolicyDocument): unknown {
  const partition = partitionOfPolicy(document);
  const strings = (values: OneOrMany<ConditionValue> | undefined) => [...new Set(conditionValues(values))].sort();
  const actions = (values: OneOrMany<string> | undefined) => strings(asList(values).map((a) => a.toLowerCase()));
  const principal = (p: PolicyPrincipal | undefined) => {
    if (p === undefined) return null;
    const byKind: Record<string, string[]> = {};
    for (const [kind, id] of principalEntries(p, partition)) (byKind[kind] ??= []).push(id);
    return Object.fromEntries(Object.entries(byKind).sort(([a], [b]) => a.localeCompare(b)).map(([kind, ids]) => [kind, strings(ids)]));
  };
  const NAMED = new Set(["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]);
  return {
    Version: document.Version,
    Id: document.Id,
    Statement: document.Statement.map((s) => ({
      Sid: s.Sid ?? "",
      Effect: s.Effect,
      Principal: principal(s.Principal),
      NotPrincipal: principal(s.NotPrincipal),
      Action: s.Action === undefined ? null : actions(s.Action),
      NotAction: s.NotAction === undefined ? null : actions(s.NotAction),
      Resource: s.Resource === undefined ? null : strings(s.Resource),
      NotResource: s.NotResource === undefined ? null : strings(s.NotResource),
      Condition:
        s.Condition === undefined
          ? null
          : Object.fromEntries(
              Object.entries(s.Condition)
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([op, keys]) => [
                  op,
                  Object.fromEntries(
                    Object.entries(keys)
                      // Two keys alike but for case stay apart: both conditions hold, neither is dropped.
                      .map(([k, v], _, all) => [all.filter(([o]) => o.toLowerCase() === k.toLowerCase()).length > 1 ? k : k.toLowerCase(), strings(v)] as const)
                      .sort(([a], [b]) => a.localeCompare(b)),
                  ),
                ]),
            ),
      ...Object.fromEntries(Object.entries(s).filter(([k]) => !NAMED.has(k))),
    }))
      // Statement order carries no meaning either: IAM evaluates every statement.
      .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0)),
  };
}

/** True when two policies say the same thing (see {@link normalizePolicy}). */
export function policiesEquivalent(a: PolicyDocument, b: PolicyDocument): boolean {
  return JSON.stringify(normalizePolicy(a)) === JSON.stringify(normalizePolicy(b));
}
