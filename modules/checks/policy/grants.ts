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
