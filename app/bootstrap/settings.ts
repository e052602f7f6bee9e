/**
 * What each account's bootstrap holds, worked out from the environments file: one stack per
 * account (`bootstrap-<account>-<region>`, the region of the account's state bucket) with the
 * state bucket, the DynamoDB lock tables environments ask for, GitHub's OIDC provider, and per
 * environment the roles its workflows assume. Nothing here depends on the order of the file: every
 * name comes from an environment's name, an account or a bucket.
 */
import * as fs from "fs";
import { ConfigError, invalid, missing, notAllowed, partitionOf, validateAccountId } from "../../modules/index";
import { BootstrapConfig, EnvironmentConfig, EnvironmentRoles } from "../environments/environment";
import { loadEnvironments } from "../environments/load";

/** GitHub Actions' OIDC issuer (docs.github.com, "Configuring OpenID Connect in Amazon Web Services"). */
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
/** The audience configure-aws-credentials asks GitHub for, and the provider's client id. */
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";

export type RoleKind = "plan" | "deploy" | "audit";
export const ROLE_KINDS: readonly RoleKind[] = ["plan", "deploy", "audit"];

/** The environments file's environments and its `bootstrap` settings, checked. */
export interface BootstrapFile {
  readonly environments: EnvironmentConfig[];
  readonly bootstrap?: BootstrapConfig;
}

/** Loads an environments file as `loadEnvironments` does (every check), and its `bootstrap` object. */
export function loadBootstrapFile(file: string): BootstrapFile {
  const environments = loadEnvironments(file);
  // The schema checked the whole file, `bootstrap` included; it is read again for that part only.
  const data = JSON.parse(fs.readFileSync(file, "utf8").replace(/^\uFEFF/, "")) as { bootstrap?: BootstrapConfig };
  return { environments, bootstrap: data.bootstrap };
}

/** The name of the bootstrap's role of `kind` for an environment: `mavik-data-key-<environment>-<kind>` (at most 54 characters). */
export function defaultRoleName(environment: Pick<EnvironmentConfig, "name">, kind: RoleKind): string {
  return `mavik-data-key-${environment.name}-${kind}`;
}

/** The GitHub environment whose protection rules guard an environment's deploy: `data-key-<environment>`. */
export function githubEnvironment(environment: Pick<EnvironmentConfig, "name">): string {
  return `data-key-${environment.name}`;
}

/**
 * The ARN of the role of `kind` the workflows assume for `environment`: the one `roles` names,
 * else the bootstrap's. A role of another account is refused: the environment's provider would
 * refuse its credentials (allowed_account_ids).
 */
export function roleArn(environment: Pick<EnvironmentConfig, "name" | "accountId" | "region" | "roles">, kind: RoleKind): string {
  const partition = partitionOf(environment.region);
  const named = (environment.roles as EnvironmentRoles | undefined)?.[kind];
  if (named === undefined) return `arn:${partition}:iam::${environment.accountId}:role/${defaultRoleName(environment, kind)}`;
  if (named.startsWith("role/")) return `arn:${partition}:iam::${environment.accountId}:${named}`;
  const account = /^arn:[^:]+:iam::(\d{12}):role\//.exec(named)?.[1];
  if (account !== environment.accountId) {
    invalid(
      `roles.${kind}`,
      named,
      `The workflows assume it for account ${environment.accountId}, whose provider refuses credentials of another account (allowed_account_ids); name a role of ${environment.accountId}.`,
    );
  }
  return named;
}

/** One role the bootstrap creates. */
export interface BootstrapRole {
  readonly environment: EnvironmentConfig;
  readonly kind: RoleKind;
  readonly name: string;
  readonly arn: string;
}

/** One account's bootstrap. */
export interface AccountBootstrap {
  /** `bootstrap-<account>-<region>`. */
  readonly stackName: string;
  readonly accountId: string;
  /** The region of the state bucket (and of the lock tables), the stack's provider region. */
  readonly region: string;
  readonly partition: string;
  readonly environments: readonly EnvironmentConfig[];
  readonly bucket: string;
  /** DynamoDB lock tables, for environments whose `state.locking` asks for one; sorted. */
  readonly lockTables: readonly string[];
  /** Adopt the account's existing GitHub OIDC provider (import) or create it. */
  readonly oidcProvider: "create" | "existing";
  readonly oidcProviderArn: string;
  /** The roles the bootstrap creates; a role an environment names in `roles` is not among them. */
  readonly roles: readonly BootstrapRole[];
  readonly repository: string;
  readonly defaultBranch: string;
  /** @default - kept forever */
  readonly noncurrentVersionExpirationDays?: number;
  /** The bootstrap's own state object, once migrated: in `bucket`, never an environment's key. */
  readonly stateKey: string;
}

/** How messages name an environment of the file. */
export function labelOf(environments: readonly EnvironmentConfig[], environment: EnvironmentConfig): string {
  return `environments[${environments.indexOf(environment)}] (${environment.name})`;
}

/** Checks the `bootstrap` settings; every message names the field. */
export function validateBootstrapConfig(settings: BootstrapConfig | undefined, environments: readonly EnvironmentConfig[]): asserts settings is BootstrapConfig {
  if (settings === undefined) {
    missing(
      "bootstrap",
      'The bootstrap\'s roles trust one GitHub repository: add "bootstrap": { "repository": "<owner>/<name>" } to the environments file (docs/deploy.md).',
    );
  }
  // GitHub: an owner is letters, digits and single hyphens; a repository name letters, digits and ._-
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/.test(settings.repository) || /\/\.\.?$/.test(settings.repository)) {
    invalid("bootstrap.repository", settings.repository, 'Expected "<owner>/<name>", the GitHub repository whose workflows assume the roles.');
  }
  const branch = settings.defaultBranch;
  if (branch !== undefined && (!/^[A-Za-z0-9._/-]+$/.test(branch) || branch.includes("..") || branch.startsWith("/") || branch.endsWith("/") || branch.endsWith(".lock"))) {
    invalid("bootstrap.defaultBranch", branch, 'Expected a branch name such as "main" (letters, digits and ._/-; no "..", no leading or trailing "/").');
  }
  const accounts = [...new Set(environments.map((e) => e.accountId))];
  (settings.existingOidcProviders ?? []).forEach((account, i) => {
    const prop = `bootstrap.existingOidcProviders[${i}]`;
    validateAccountId(prop, account);
    if (!accounts.includes(account)) invalid(prop, account, `No environment is in that account; the file's accounts: ${accounts.join(", ")}.`);
  });
  const days = settings.noncurrentVersionExpirationDays;
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 3650)) {
    invalid("bootstrap.noncurrentVersionExpirationDays", days, "Allowed: a whole number of days from 1 to 3650.");
  }
}

/**
 * Every account's bootstrap, in order of account id. Throws a {@link ConfigError} naming the
 * environment and field for what one stack per account cannot hold: a state bucket shared across
 * accounts, two state buckets (or regions) in one account, a role of another account.
 */
export function accountBootstraps(environments: readonly EnvironmentConfig[], settings: BootstrapConfig | undefined, select?: string): AccountBootstrap[] {
  validateBootstrapConfig(settings, environments);
  const byAccount = new Map<string, EnvironmentConfig[]>();
  const bucketOwner = new Map<string, EnvironmentConfig>();
  for (const env of environments) {
    const owner = bucketOwner.get(env.state.bucket);
    if (owner !== undefined && owner.accountId !== env.accountId) {
      throw new ConfigError(
        `${labelOf(environments, env)}: ${notAllowed(
          "state.bucket",
          env.state.bucket,
          `${labelOf(environments, owner)} of account ${owner.accountId} keeps its state there; a bucket belongs to one account, and each account's bootstrap makes its own. Give ${env.name} a bucket of ${env.accountId}.`,
        )}`,
      );
    }
    if (owner !== undefined && owner.state.region !== env.state.region) {
      throw new ConfigError(
        `${labelOf(environments, env)}: ${notAllowed("state.region", env.state.region, `${labelOf(environments, owner)} names the bucket "${env.state.bucket}" in ${owner.state.region}; a bucket has one region.`)}`,
      );
    }
    bucketOwner.set(env.state.bucket, owner ?? env);
    byAccount.set(env.accountId, [...(byAccount.get(env.accountId) ?? []), env]);
  }
  const accounts = [...byAccount.keys()].sort();
  if (select !== undefined && select !== "" && !accounts.includes(select)) {
    throw new ConfigError(notAllowed("--account", select, `No environment is in that account; the file's accounts: ${accounts.join(", ")}.`));
  }
  return accounts
    .filter((account) => select === undefined || select === "" || account === select)
    .map((accountId) => {
      const envs = byAccount.get(accountId)!;
      const first = envs[0];
      for (const env of envs) {
        if (env.state.bucket !== first.state.bucket) {
          throw new ConfigError(
            `${labelOf(environments, env)}: ${notAllowed(
              "state.bucket",
              env.state.bucket,
              `${labelOf(environments, first)} of the same account keeps its state in "${first.state.bucket}"; the bootstrap makes one state bucket per account (its own state goes there too). Use "${first.state.bucket}" with its own key.`,
            )}`,
          );
        }
      }
      const region = first.state.region;
      const partition = partitionOf(region);
      const roles: BootstrapRole[] = [];
      for (const env of envs) {
        for (const kind of ROLE_KINDS) {
          const arn = (() => {
            try {
              return roleArn(env, kind);
            } catch (e) {
              if (e instanceof ConfigError) throw new ConfigError(`${labelOf(environments, env)}: ${e.message}`);
              throw e;
            }
          })();
          if ((env.roles as EnvironmentRoles | undefined)?.[kind] === undefined) roles.push({ environment: env, kind, name: defaultRoleName(env, kind), arn });
        }
      }
      const tables = [...new Set(envs.flatMap((e) => (e.state.locking.type === "dynamodb" ? [e.state.locking.table] : [])))].sort();
      const stackName = `bootstrap-${accountId}-${region}`;
      return {
        stackName,
        accountId,
        region,
        partition,
        environments: envs,
        bucket: first.state.bucket,
        lockTables: tables,
        oidcProvider: (settings.existingOidcProviders ?? []).includes(accountId) ? "existing" : "create",
        oidcProviderArn: `arn:${partition}:iam::${accountId}:oidc-provider/${GITHUB_OIDC_HOST}`,
        roles,
        repository: settings.repository,
        defaultBranch: settings.defaultBranch ?? "main",
        noncurrentVersionExpirationDays: settings.noncurrentVersionExpirationDays,
        // Environment names start with a letter, so no environment's `<prefix>/<name>/…` is this.
        stateKey: `mavik-data-key-bootstrap/${accountId}-${region}/terraform.tfstate`,
      } satisfies AccountBootstrap;
    });
}
