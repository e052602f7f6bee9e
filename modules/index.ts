/**
 * @mavik/data-key: the public API. Consumers import from here only; the folders behind it
 * follow the seed's sections (§2 data-key, §3 key-policy, state, checks).
 */
export { ConfigError } from "./common/errors";
export { ALERT_EVENTS, alertEventPattern, EVENTS_SID, eventsStatement, KeyAudit } from "./audit/key-audit";
export type { KeyAuditProps } from "./audit/key-audit";
export { validateSubscriptions } from "./audit/subscriptions";
export type { AlertSubscription } from "./audit/subscriptions";
export { partitionOf } from "./common/validate";
export { DEFAULT_ALIAS, validateAlias, validateKeyId } from "./data-key/alias";
export { DataKey } from "./data-key/data-key";
export type { BindOptions, DataKeyProps } from "./data-key/data-key";
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
  secretCmk,
} from "./checks/encryption";
export type { EncryptionSubject, EnforcedKey } from "./checks/encryption";
export type { BucketConfig, FunctionCode, FunctionConfig, ResourcesConfig, SecretConfig, TableConfig } from "./stack/resources";
export { bindConfiguredResources } from "./stack/resources";
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
export type { PrincipalRef } from "./key-policy/principal";
export { normalizePolicy, policiesEquivalent, renderPolicy } from "./key-policy/document";
export type { PolicyCondition, PolicyDocument, PolicyPrincipal, PolicyStatement } from "./key-policy/document";
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
  lockout,
  policyGrammar,
  policySize,
  rotation,
  servicePrincipalSource,
  uniqueSids,
  wildcardPrincipal,
} from "./checks/policy";
export type { PolicySubject } from "./checks/policy";
export { configureRemoteState, stateKey } from "./state/remote-state";
export type { RemoteStateConfig, StateLocking } from "./state/remote-state";
export { loadEnvironments, parseEnvironments, selectEnvironments, validateEnvironments } from "./environments/load";
export type { EnvironmentConfig, EnvironmentsFile } from "./environments/environment";
export { DATA_KEY_ID, DataKeyStack, stackIdentity } from "./stack/data-key-stack";
export type { StackIdentity } from "./stack/data-key-stack";
export { buildApp } from "./stack/build-app";
export type { BuildOptions } from "./stack/build-app";
export { App } from "./platform";
