/**
 * The trust policies of the workflows' roles: GitHub Actions' OIDC tokens of one repository, by
 * the event or branch each role serves.
 *
 * GitHub documents the token's `sub` per trigger (docs.github.com, "OpenID Connect reference",
 * example subject claims): `repo:<owner>/<repo>:pull_request` for a pull request,
 * `repo:<owner>/<repo>:ref:refs/heads/<branch>` for a push, schedule or dispatch on a branch, and
 * `repo:<owner>/<repo>:environment:<name>` for a job that names an environment (then no ref is
 * in `sub`). AWS checks `aud` and `sub` of an OIDC token as `<provider>:aud` / `<provider>:sub`,
 * and, for GitHub, the token's `ref` as `token.actions.githubusercontent.com:ref` (the Service
 * Authorization Reference's AWS STS condition keys): so the deploy role pins both the GitHub
 * environment and the default branch. `StringEquals` throughout: nothing is matched by pattern.
 */
import { AccountBootstrap, GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST, githubEnvironment, RoleKind } from "./settings";
import { EnvironmentConfig } from "../environments/environment";

/** An IAM identity or trust policy, as the bootstrap writes it. */
export interface IamPolicy {
  readonly Version: "2012-10-17";
  readonly Statement: readonly IamStatement[];
}

export interface IamStatement {
  readonly Sid: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: { readonly Federated: string };
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** The `sub` values a role of `kind` accepts. */
export function trustedSubjects(repository: string, defaultBranch: string, kind: RoleKind, environment: Pick<EnvironmentConfig, "name">): string[] {
  const repo = `repo:${repository}`;
  switch (kind) {
    case "plan":
      // Pull requests of the repository's own branches (a fork's pull request gets no OIDC token).
      return [`${repo}:pull_request`];
    case "audit":
      // The schedule runs on the default branch; a dispatch from another branch is refused.
      return [`${repo}:ref:refs/heads/${defaultBranch}`];
    case "deploy":
      return [`${repo}:environment:${githubEnvironment(environment)}`];
  }
}

/** The trust policy of an environment's role of `kind`. */
export function trustPolicy(account: Pick<AccountBootstrap, "repository" | "defaultBranch" | "oidcProviderArn">, kind: RoleKind, environment: Pick<EnvironmentConfig, "name">): IamPolicy {
  const subjects = trustedSubjects(account.repository, account.defaultBranch, kind, environment);
  const equals: Record<string, string | string[]> = {
    [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE,
    [`${GITHUB_OIDC_HOST}:sub`]: subjects.length === 1 ? subjects[0] : subjects,
  };
  // A job in a GitHub environment has no ref in its sub: the branch is pinned by the ref claim.
  if (kind === "deploy") equals[`${GITHUB_OIDC_HOST}:ref`] = `refs/heads/${account.defaultBranch}`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: { plan: "GitHubPullRequests", audit: "GitHubDefaultBranch", deploy: "GitHubDeployEnvironmentOnDefaultBranch" }[kind],
        Effect: "Allow",
        Principal: { Federated: account.oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: { StringEquals: equals },
      },
    ],
  };
}
