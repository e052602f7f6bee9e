/**
 * The bootstrap of each account (`npm run bootstrap`, docs/deploy.md): the state bucket, lock
 * tables, GitHub's OIDC provider and the workflows' roles, one stack per account. Kept apart from
 * `app/index.ts` so the environments' app never loads it.
 */
export { BootstrapStack } from "./bootstrap-stack";
export type { BootstrapStackProps } from "./bootstrap-stack";
export {
  accountBootstraps,
  defaultRoleName,
  GITHUB_OIDC_AUDIENCE,
  GITHUB_OIDC_HOST,
  githubEnvironment,
  labelOf,
  loadBootstrapFile,
  ROLE_KINDS,
  roleArn,
  validateBootstrapConfig,
} from "./settings";
export type { AccountBootstrap, BootstrapFile, BootstrapRole, RoleKind } from "./settings";
export { trustedSubjects, trustPolicy } from "./trust";
export type { IamPolicy, IamStatement } from "./trust";
