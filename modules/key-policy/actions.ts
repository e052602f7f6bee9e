import { editDistance } from "../common/edit-distance";
import { asList, PolicyStatement } from "./document";
import { KMS_ACTION_TABLE } from "./kms-actions.generated";

/**
 * KMS actions from AWS's service authorization data (56 in the pinned data), generated at build
 * time into `kms-actions.generated.ts` (`npm run generate`), so nothing reads a data package at
 * run time.
 */
const ACTIONS: readonly string[] = Object.freeze(KMS_ACTION_TABLE.map((a) => `kms:${a.name}`).sort());

export function kmsActions(): readonly string[] {
  return ACTIONS;
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
    const d = editDistance(action.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= 3 ? best : undefined;
}
