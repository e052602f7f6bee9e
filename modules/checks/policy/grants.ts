import { actionMatches } from "../../key-policy/actions";
import { asList, PolicyStatement } from "../../key-policy/document";

/** True when an Allow or Deny statement grants `action` (through Action or NotAction). */
export function grantsAction(statement: PolicyStatement, action: string): boolean {
  if (statement.Action !== undefined) return asList(statement.Action).some((a) => actionMatches(a, action));
  return statement.NotAction !== undefined && !asList(statement.NotAction).some((a) => actionMatches(a, action));
}

/** Actions that change who may use the key, or whether it exists: what administrators do. */
export const ADMINISTRATIVE_ACTIONS: readonly string[] = [
  "kms:PutKeyPolicy",
  "kms:CreateGrant",
  "kms:ScheduleKeyDeletion",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:UpdateAlias",
  "kms:DeleteAlias",
  "kms:CancelKeyDeletion",
  "kms:EnableKey",
  "kms:TagResource",
];
