/**
 * The repository's app: environments as data (`environments.json`, its schema and loader) and
 * one `DataKeyStack` per environment. Not published: `main.ts`, the CLIs and the examples of
 * this repository use it; other apps use the constructs of `modules/` (`@mavik/data-key`).
 */
export { environmentWarnings, loadEnvironments, parseEnvironments, selectEnvironments, validateEnvironments } from "./environments/load";
export type { EnvironmentConfig, EnvironmentsFile } from "./environments/environment";
export { DATA_KEY_ID, DataKeyStack, stackIdentity } from "./stack/data-key-stack";
export type { StackIdentity } from "./stack/data-key-stack";
export { buildApp, environmentStack } from "./stack/build-app";
export { removeStaleStacks } from "./stack/outdir";
export type { StaleStacks } from "./stack/outdir";
export { inEnvironment } from "./stack/label";
export type { BuildOptions, BuiltApp } from "./stack/build-app";
export { bindConfiguredResources } from "./stack/resources";
export type { BucketConfig, FunctionCode, FunctionConfig, ResourcesConfig, SecretConfig, TableConfig } from "./stack/resources";
