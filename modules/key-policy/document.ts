/**
 * The IAM policy grammar as AWS writes it (`Version`, `Statement`, `Sid`, ...), so a document
 * compares directly with the seed's JSON and with what `GetKeyPolicy` returns.
 */
export type OneOrMany<T> = T | T[];

/** Condition operator -> condition key -> value(s), e.g. `{ Bool: { "kms:GrantIsForAWSResource": "true" } }`. */
export type PolicyCondition = Record<string, Record<string, OneOrMany<string>>>;

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

/**
 * A canonical form for comparing policies by meaning: single values become lists, lists are
 * sorted (their order carries no meaning in IAM), action names are lower-cased (IAM compares
 * them case-insensitively). Statement order and every other field are kept.
 */
export function normalizePolicy(document: PolicyDocument): unknown {
  const sorted = (values: OneOrMany<string> | undefined) => [...asList(values)].sort();
  const actions = (values: OneOrMany<string> | undefined) => asList(values).map((a) => a.toLowerCase()).sort();
  return {
    Version: document.Version,
    Id: document.Id,
    Statement: document.Statement.map((s) => ({
      Sid: s.Sid ?? "",
      Effect: s.Effect,
      Principal:
        s.Principal === undefined || s.Principal === "*"
          ? s.Principal ?? null
          : Object.fromEntries(
              Object.entries(s.Principal)
                .filter(([, v]) => v !== undefined)
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([k, v]) => [k, sorted(v)]),
            ),
      Action: s.Action === undefined ? null : actions(s.Action),
      NotAction: s.NotAction === undefined ? null : actions(s.NotAction),
      Resource: sorted(s.Resource),
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
                      .sort(([a], [b]) => a.toLowerCase().localeCompare(b.toLowerCase()))
                      .map(([k, v]) => [k.toLowerCase(), sorted(v)]),
                  ),
                ]),
            ),
    })),
  };
}

/** True when two policies say the same thing (see {@link normalizePolicy}). */
export function policiesEquivalent(a: PolicyDocument, b: PolicyDocument): boolean {
  return JSON.stringify(normalizePolicy(a)) === JSON.stringify(normalizePolicy(b));
}
