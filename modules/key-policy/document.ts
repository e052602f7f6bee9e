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
 * role sessions, AWS STS federated users) and AWS services; `Federated` and `CanonicalUser` exist in the IAM grammar but KMS
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
 * is no policy (no JSON object, no Statement, a statement that is no object), saying so.
 */
export function readPolicy(text: string): PolicyDocument {
  const value = JSON.parse(text) as unknown;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("the policy is not a JSON object");
  const document = value as Record<string, unknown>;
  const statements = document.Statement;
  if (statements === undefined || statements === null) throw new Error("the policy has no Statement");
  const list: unknown[] = Array.isArray(statements) ? statements : [statements];
  list.forEach((s, i) => {
    if (typeof s !== "object" || s === null || Array.isArray(s)) throw new Error(`the policy's Statement[${i}] is not a JSON object`);
  });
  return { ...document, Statement: list } as PolicyDocument;
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

/** A role ARN: everything up to its name (partition, account, type, path), and the name. */
const ROLE = /^(arn:aws[a-z-]*:iam::\d{12}:role\/(?:[^/]+\/)*)([^/]+)$/;

/**
 * A principal as IAM tells principals apart, to compare policies: a role's name without case, a
 * user's name and everything else as written. A role's name is what IAM keeps unique without case
 * ("Names of users, groups, roles, and instance profiles must be unique within the account. They
 * aren't distinguished by case": IAM User Guide, "IAM and AWS STS quotas", IAM name
 * requirements), and AWS saves a role named in a policy as its unique id (IAM User Guide, "AWS
 * JSON policy elements: Principal", IAM role principals), so `role/approle` and `role/AppRole` are
 * one role, as the evaluator matches them (modules/access/principals.ts). A user's name is
 * compared as written: the same Principal reference says "the user name part of the Amazon
 * Resource Name (ARN) is case sensitive" (IAM user principals), and the evaluator and iam-simulate
 * read it so. The partition, service and account are fixed tokens of the ARN format (`aws`,
 * `iam`, twelve digits: IAM User Guide, "IAM identifiers", IAM ARNs; the policy grammar accepts
 * them in that case only). A path is compared as written: the quota's rule names no paths, and a
 * path that differs (in case too) is shown as a change, never hidden, though no request tells it
 * apart (a session's ARN carries no path). A session ARN is kept as written, as the evaluator
 * keeps it, and so is an AWS STS federated user's (`arn:aws:sts::<account>:federated-user/<name>`):
 * its name is the Name given to GetFederationToken, no IAM entity's, so neither the name rule above
 * nor the unique-id saving covers it, and `federated-user/Carol` and `federated-user/carol` are two
 * principals to the evaluator and to iam-simulate alike.
 */
function principalId(kind: string, id: string): string {
  if (kind !== "AWS") return id;
  const m = ROLE.exec(id);
  return m ? `${m[1]}${m[2].toLowerCase()}` : id;
}

/** One condition clause as written: an operator, a key and its values (numbers and Booleans as text). */
export interface ConditionClause {
  readonly operator: string;
  readonly key: string;
  readonly values: readonly string[];
}

/** The clauses of a statement's Condition, as written (one per operator and key). */
export function conditionClauses(statement: PolicyStatement): ConditionClause[] {
  return Object.entries(statement.Condition ?? {}).flatMap(([operator, keys]) =>
    Object.entries(keys ?? {}).map(([key, values]) => ({ operator, key, values: conditionValues(values) })),
  );
}

/**
 * A clause as IAM reads it, for comparing: its operator as written, its key lower-cased (condition
 * keys are case-insensitive) and its values a set (lower-cased under an `…IgnoreCase` operator,
 * which compares them without case: IAM JSON policy elements reference, "String condition operators").
 */
export function clauseKey(c: ConditionClause): string {
  const fold = /IgnoreCase(IfExists)?$/i.test(c.operator) ? (v: string) => v.toLowerCase() : (v: string) => v;
  return JSON.stringify([c.operator, c.key.toLowerCase(), [...new Set(c.values.map(fold))].sort()]);
}

/** The statement elements the grammar names; any other field is compared as written. */
const ELEMENTS = ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"] as const;
const NAMED = new Set<string>(ELEMENTS);

/** What differs in one element between two versions of a statement. */
export type ElementDifference =
  | { readonly element: "Condition"; readonly added: readonly ConditionClause[]; readonly removed: readonly ConditionClause[] }
  | {
      /** `Sid`, `Effect`, `Principal` … or a field the grammar does not name. */
      readonly element: string;
      /**
       * The values only the later (`added`) or the earlier (`removed`) statement has, as written
       * there: `"AWS: arn:…"` for a principal (an account id as its root ARN), an action, a
       * resource; the whole value (as JSON) for Sid, Effect and fields the grammar does not name.
       */
      readonly added: readonly string[];
      readonly removed: readonly string[];
    };

/**
 * A value with the key it is compared by. Every element is read as IAM reads it: a set of values
 * (order and repetition carry no meaning; one value is a list of one).
 */
interface Item<T> {
  readonly id: string;
  readonly value: T;
}

/** JSON with object keys sorted, so key order never decides a comparison. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** Each distinct value once (by id), in the order written. */
function itemSet<T>(values: T[], id: (v: T) => string): Item<T>[] {
  const seen = new Map<string, Item<T>>();
  for (const value of values) if (!seen.has(id(value))) seen.set(id(value), { id: id(value), value });
  return [...seen.values()];
}

/**
 * A statement as IAM reads it, element by element, each a set of items keyed by meaning:
 * - Action/NotAction names lower-cased (IAM compares action names case-insensitively);
 * - Principal/NotPrincipal as kind and id: `"*"` is `{ "AWS": "*" }`, a bare account id is
 *   that account's root ARN (IAM policy grammar: the same principal), and a role's name is read
 *   without case, a user's as written ({@link principalId});
 * - Condition as a set of clauses (every clause must hold: order and repetition carry no meaning),
 *   each read by {@link clauseKey}; `true` is `"true"`. An empty Condition is no condition.
 * - A missing element is `undefined`, apart from an empty list (`"Action": []` matches nothing).
 */
function elements(s: PolicyStatement, partition: string): Record<string, Item<unknown>[] | undefined> {
  const strings = (v: OneOrMany<string> | undefined, fold = (x: string) => x) => (v === undefined ? undefined : itemSet(asList(v).map(String), fold));
  const principal = (p: PolicyPrincipal | undefined) =>
    p === undefined ? undefined : itemSet(principalEntries(p, partition), ([kind, id]) => `${kind}: ${principalId(kind, id)}`).map((i) => ({ id: i.id, value: `${i.value[0]}: ${i.value[1]}` }));
  const clauses = itemSet(conditionClauses(s), clauseKey);
  const out: Record<string, Item<unknown>[] | undefined> = {
    Sid: [{ id: s.Sid ?? "", value: s.Sid ?? "" }],
    Effect: [{ id: String(s.Effect), value: s.Effect }],
    Principal: principal(s.Principal),
    NotPrincipal: principal(s.NotPrincipal),
    Action: strings(s.Action, (a) => a.toLowerCase()),
    NotAction: strings(s.NotAction, (a) => a.toLowerCase()),
    Resource: strings(s.Resource),
    NotResource: strings(s.NotResource),
    Condition: clauses.length === 0 ? undefined : clauses,
  };
  for (const [field, value] of Object.entries(s)) if (!NAMED.has(field) && value !== undefined) out[field] = [{ id: stableJson(value), value }];
  return out;
}

/** The partition both policies' ARNs name (a bare account id is read as that partition's root). */
function sharedPartition(...documents: readonly PolicyDocument[]): string {
  return partitionOfPolicy({ Version: "2012-10-17", Statement: documents.flatMap((d) => d.Statement) });
}

/**
 * What differs between two versions of a statement, element by element, read as IAM reads them
 * (see {@link normalizePolicy}); empty when IAM reads them alike. `partition` reads bare account
 * ids (default: the one the statements' ARNs name).
 */
export function statementDifferences(before: PolicyStatement, after: PolicyStatement, partition = sharedPartition({ Version: "2012-10-17", Statement: [before, after] })): ElementDifference[] {
  const [b, a] = [elements(before, partition), elements(after, partition)];
  const out: ElementDifference[] = [];
  const order = [...ELEMENTS, ...Object.keys(b).filter((k) => !NAMED.has(k)), ...Object.keys(a).filter((k) => !NAMED.has(k) && !(k in b))];
  for (const element of order) {
    const [x, y] = [b[element], a[element]];
    if (x === undefined && y === undefined) continue;
    const xs = new Set((x ?? []).map((i) => i.id));
    const ys = new Set((y ?? []).map((i) => i.id));
    const added = (y ?? []).filter((i) => !xs.has(i.id)).map((i) => i.value);
    const removed = (x ?? []).filter((i) => !ys.has(i.id)).map((i) => i.value);
    // An element present on one side only differs even when both are empty lists of values.
    if (added.length === 0 && removed.length === 0 && (x === undefined) === (y === undefined)) continue;
    if (element === "Condition") out.push({ element, added: added as ConditionClause[], removed: removed as ConditionClause[] });
    else {
      const shown = (v: unknown) => (element === "Effect" || element === "Sid" || !NAMED.has(element) ? stableJson(v).replace(/^"(.*)"$/, "$1") : String(v));
      out.push({ element, added: added.map(shown), removed: removed.map(shown) });
    }
  }
  return out;
}

/** A statement's identity as IAM reads it: two statements with the same one say the same thing. */
function statementId(s: PolicyStatement, partition: string): string {
  const e = elements(s, partition);
  return stableJson(Object.fromEntries(Object.entries(e).map(([k, items]) => [k, items === undefined ? null : items.map((i) => i.id).sort()])));
}

/** A statement and its position in its policy. */
export interface PlacedStatement {
  readonly statement: PolicyStatement;
  readonly index: number;
}

/** Two policies' statements paired: alike, changed (same Sid), or only in one of them. */
export interface StatementMatching {
  /** Statements IAM reads alike in both (a repeated one is matched once: it decides nothing more). */
  readonly same: readonly { readonly before: PlacedStatement; readonly after: PlacedStatement }[];
  /** A statement of each, named by the same Sid, that differ. */
  readonly changed: readonly { readonly before: PlacedStatement; readonly after: PlacedStatement; readonly differences: readonly ElementDifference[] }[];
  /** Only in `before`, in its order. */
  readonly removed: readonly PlacedStatement[];
  /** Only in `after`, in its order. */
  readonly added: readonly PlacedStatement[];
}

/**
 * Pairs the statements of two policies by meaning: first those IAM reads alike (whatever their
 * order, key order, list order or repetition), then those left that share a Sid (changed); the
 * rest are removed or added. Unnamed statements are matched by meaning only.
 */
export function matchStatements(before: PolicyDocument, after: PolicyDocument): StatementMatching {
  const partition = sharedPartition(before, after);
  const place = (d: PolicyDocument) => d.Statement.map((statement, index) => ({ statement, index, id: statementId(statement, partition) }));
  const [b, a] = [place(before), place(after)];
  const afterById = new Map<string, PlacedStatement>();
  for (const s of a) if (!afterById.has(s.id)) afterById.set(s.id, s);
  const beforeIds = new Set(b.map((s) => s.id));
  const same: StatementMatching["same"][number][] = [];
  const restBefore: typeof b = [];
  const seen = new Set<string>();
  for (const s of b) {
    if (seen.has(s.id)) continue; // repeated: IAM reads it once
    seen.add(s.id);
    const match = afterById.get(s.id);
    if (match) same.push({ before: s, after: match });
    else restBefore.push(s);
  }
  const restAfter = a.filter((s, i) => !beforeIds.has(s.id) && a.findIndex((o) => o.id === s.id) === i);
  const changed: StatementMatching["changed"][number][] = [];
  const removed: PlacedStatement[] = [];
  const taken = new Set<number>();
  for (const s of restBefore) {
    const sid = s.statement.Sid;
    const other = sid === undefined || sid === "" ? undefined : restAfter.find((o) => !taken.has(o.index) && o.statement.Sid === sid);
    if (other === undefined) {
      removed.push({ statement: s.statement, index: s.index });
      continue;
    }
    taken.add(other.index);
    changed.push({ before: { statement: s.statement, index: s.index }, after: { statement: other.statement, index: other.index }, differences: statementDifferences(s.statement, other.statement, partition) });
  }
  const added = restAfter.filter((s) => !taken.has(s.index)).map((s) => ({ statement: s.statement, index: s.index }));
  return { same, changed, removed, added };
}

/**
 * A canonical form for comparing policies by meaning, as IAM reads them (see `elements` above for
 * each element): lists are sets, one value is a list of one, key order and whitespace never count,
 * action names, condition keys and role names are case-insensitive (a user's name is not), `"*"` is `{ "AWS": "*" }`, an account id
 * is its root ARN, `true` is `"true"`; statements are a set too (IAM evaluates every one; their
 * order and repetition decide nothing). Version, Id, Sid, `NotPrincipal`, `NotResource` and any
 * field this type does not name are kept, so nothing that could change a decision is dropped.
 */
export function normalizePolicy(document: PolicyDocument): unknown {
  const partition = partitionOfPolicy(document);
  const ids = [...new Set(document.Statement.map((s) => statementId(s, partition)))].sort();
  return { Version: document.Version ?? null, Id: document.Id ?? null, Statement: ids.map((id) => JSON.parse(id)) };
}

/** A document-level difference: Version (it decides how `${…}` variables read) or Id. */
export interface DocumentDifference {
  readonly element: "Version" | "Id";
  readonly before?: string;
  readonly after?: string;
}

/** What differs in Version and Id between two policies. */
export function documentDifferences(before: PolicyDocument, after: PolicyDocument): DocumentDifference[] {
  return (["Version", "Id"] as const).filter((e) => before[e] !== after[e]).map((element) => ({ element, before: before[element], after: after[element] }));
}

/**
 * True when two policies say the same thing: the same Version and Id, and statements IAM reads
 * alike ({@link matchStatements}). Verify's drift, the review's statement diff and preflight's
 * live-policy diff all compare through {@link matchStatements}, so the three agree.
 */
export function policiesEquivalent(a: PolicyDocument, b: PolicyDocument): boolean {
  const m = matchStatements(a, b);
  return documentDifferences(a, b).length === 0 && m.changed.length === 0 && m.removed.length === 0 && m.added.length === 0;
}
