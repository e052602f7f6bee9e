/**
 * @mavik/data-key: the public API. Consumers import from here only; the folders behind it
 * follow the seed's sections (§2 data-key, §3 key-policy, state, checks).
 */
export { ConfigError, invalid, missing, notAllowed } from "./common/errors";
export { ALARMS_SID, ALERT_EVENTS, alarmsStatement, alertEventPattern, EVENTS_SID, eventsStatement, KeyAudit } from "./audit/key-audit";
export { COVERAGE_RULES, coverageEventPattern, coverageRuleName, exemptionIds, lambdaCoveragePolicy } from "./audit/coverage";
export type { CoverageContext, CoverageExemption, CoverageProps, CoverageRule, CoveredType } from "./audit/coverage";
export { cloudTrailPattern, DASHBOARD_OPERATIONS, dashboardBody, perKeyNamespace } from "./audit/dashboard";
export type { DashboardParts } from "./audit/dashboard";
export type { KeyAuditProps } from "./audit/key-audit";
export { validateSubscriptions } from "./audit/subscriptions";
export type { AlertSubscription } from "./audit/subscriptions";
export { partitionOf, validateAccountId, validateBucketName, validateRegion, validateTableName, validateTags } from "./common/validate";
export { DEFAULT_ALIAS, validateAlias, validateKeyId } from "./data-key/alias";
export { DataKey } from "./data-key/data-key";
export type { DataKeyProps } from "./data-key/data-key";
export { DataKeyBase } from "./data-key/data-key-base";
export type { BindOptions, IDataKey } from "./data-key/data-key-base";
export type { KeyArnOptions, RemoteStateOutputs } from "./data-key/references";
export { DECRYPT_ACTIONS, ENCRYPT_ACTIONS, GENERATE_DATA_KEY_ACTIONS } from "./grants/grant";
export type { GrantOptions, RoleTarget } from "./grants/grant";
export { checkTerraformNames, claimTerraformName, terraformNameClashes } from "./common/names";
export { addressOf, dynamodbBinder, lambdaBinder, s3Binder, secretsmanagerBinder, terraformName } from "./bindings";
export type { Binder, BoundService, BucketTarget, EncryptionKey, KeyBinding } from "./bindings";
export {
  dynamodbTableCmk,
  ENCRYPTION_RULES,
  EncryptionEnforcement,
  enforceEncryption,
  exemptFromEncryption,
  exemptionOf,
  lambdaEnvCmk,
  s3BucketEncrypted,
  sameRegion,
  secretCmk,
} from "./checks/encryption";
export type { EncryptionSubject, EnforcedKey } from "./checks/encryption";
export {
  ADMIN_ACTIONS,
  GRANT_ACTIONS,
  SEED_POLICY_ID,
  Sids,
  USAGE_ACTIONS,
  buildKeyPolicy,
  composeKeyPolicy,
} from "./key-policy/key-policy";
export type { BuiltKeyPolicy, KeyPolicyProps } from "./key-policy/key-policy";
export { ACTION_GROUPS, accessMatrix, matrixCell, OTHER_PRINCIPAL, OUTSIDE_PRINCIPAL } from "./access/matrix";
export type { AccessMatrix, ActionGroup, MatrixCell, MatrixRow } from "./access/matrix";
export { actionMatches, crossAccountAllowed, evaluate, sidOf } from "./access/evaluate";
export type { AccessRequest, ConditionalStatement, Decision, Effect } from "./access/evaluate";
export { CONDITION_OPERATORS, describeClause, parseOperator } from "./access/conditions";
export type { Clause } from "./access/conditions";
export { directCallContext, RequestContext } from "./access/context";
export type { ContextValue, KeyFacts } from "./access/context";
export { requestPrincipal } from "./access/principals";
export type { RequestPrincipal } from "./access/principals";
export { resolvePrincipal } from "./key-policy/principal";
export type { PrincipalRef } from "./key-policy/principal";
export {
  asList,
  awsPrincipals,
  clauseKey,
  conditionClauses,
  conditionValues,
  documentDifferences,
  matchStatements,
  normalizePolicy,
  partitionOfPolicy,
  policiesEquivalent,
  principalEntries,
  readPolicy,
  renderPolicy,
  statementDifferences,
} from "./key-policy/document";
export type {
  ConditionClause,
  DocumentDifference,
  ElementDifference,
  PlacedStatement,
  PolicyCondition,
  PolicyDocument,
  PolicyPrincipal,
  PolicyStatement,
  StatementMatching,
} from "./key-policy/document";
export { kmsActions, matchingKmsActions, statementCovers } from "./key-policy/actions";
export { enforce, failOnErrors } from "./checks/finding";
export type { Finding, Rule, Severity } from "./checks/finding";
export {
  POLICY_RULES,
  adminSelfGrant,
  administratorsListed,
  checkPolicy,
  keyFacts,
  knownActions,
  knownConditionKeys,
  knownServices,
  lockout,
  policyGrammar,
  policySize,
  resourceThisKey,
  rotation,
  servicePrincipalSource,
  uniqueSids,
  wildcardPrincipal,
} from "./checks/policy";
export type { PolicySubject } from "./checks/policy";
export { configureRemoteState, stateKey } from "./state/remote-state";
export type { RemoteStateConfig, StateLocking } from "./state/remote-state";
export { importInto, movedFrom } from "./platform";
