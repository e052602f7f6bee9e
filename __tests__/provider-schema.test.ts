/**
 * The AWS provider 6 schema against what this package writes and reads, from the bindings' own
 * declarations in each framework environment (20.x = AWS provider 5.100, 21.x = 6.25, CDK
 * Terrain's 25.x = 6.66): every argument the bindings set and the rules judge is there in each,
 * and what changed in the arguments of every class modules/platform.ts imports is exactly the
 * table recorded in docs/cdk-terrain.md ("The AWS provider 6 schema").
 */
import * as fs from "fs";
import * as path from "path";
import { interfacesOf, schemaChanges } from "./support/provider-schema";
import { REPO } from "./support/synth";

/**
 * What the bindings set (DataKey, the binders, grants, references) and the rules read (the
 * encryption rules' snake_case keys, the provider facts): module, interface, camelCase arguments.
 * `region` only from the AWS provider 6 on.
 */
const TOUCHED: [string, string, string[], string[]][] = [
  ["provider", "AwsProviderConfig", ["alias", "allowedAccountIds", "assumeRole", "region"], []],
  ["provider", "AwsProviderAssumeRole", ["roleArn"], []],
  ["kms-key", "KmsKeyConfig", ["bypassPolicyLockoutSafetyCheck", "customerMasterKeySpec", "deletionWindowInDays", "description", "enableKeyRotation", "isEnabled", "keyUsage", "policy", "rotationPeriodInDays", "tags"], ["region"]],
  ["kms-alias", "KmsAliasConfig", ["name", "targetKeyId"], ["region"]],
  ["data-aws-kms-alias", "DataAwsKmsAliasConfig", ["name"], ["region"]],
  ["iam-role", "IamRoleConfig", ["assumeRolePolicy", "name"], []],
  ["iam-role-policy", "IamRolePolicyConfig", ["name", "policy", "role"], []],
  ["s3-bucket", "S3BucketConfig", ["bucket", "serverSideEncryptionConfiguration"], ["region"]],
  ["s3-bucket-server-side-encryption-configuration", "S3BucketServerSideEncryptionConfigurationAConfig", ["bucket", "rule"], ["region"]],
  ["s3-bucket-server-side-encryption-configuration", "S3BucketServerSideEncryptionConfigurationRuleA", ["applyServerSideEncryptionByDefault", "bucketKeyEnabled"], []],
  ["s3-bucket-server-side-encryption-configuration", "S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA", ["kmsMasterKeyId", "sseAlgorithm"], []],
  ["dynamodb-table", "DynamodbTableConfig", ["name", "replica", "serverSideEncryption"], ["globalTableWitness", "region"]],
  ["dynamodb-table", "DynamodbTableServerSideEncryption", ["enabled", "kmsKeyArn"], []],
  ["dynamodb-table", "DynamodbTableReplica", ["regionName"], []],
  ["secretsmanager-secret", "SecretsmanagerSecretConfig", ["kmsKeyId", "name", "replica"], ["region"]],
  ["secretsmanager-secret", "SecretsmanagerSecretReplica", ["region"], []],
  ["lambda-function", "LambdaFunctionConfig", ["functionName", "kmsKeyArn"], ["region"]],
];

describe.each([
  ["aws20", false],
  ["aws21", true],
  ["cdktn", true],
])("%s: every argument the package sets or judges exists", (env, provider6) => {
  test.each(TOUCHED)("%s %s", (module, iface, always, from6) => {
    const props = interfacesOf(env, module)[iface] ?? [];
    const wanted = [...always, ...(provider6 ? from6 : [])];
    expect(wanted.filter((p) => !props.includes(p))).toEqual([]);
    // Provider 5's classes take no region: a region there is an override the rules read all the same.
    if (!provider6) expect(from6.filter((p) => p === "region" && props.includes(p))).toEqual([]);
  });
});

test("what changed in the arguments of the platform's classes is the table of docs/cdk-terrain.md", () => {
  const page = fs.readFileSync(path.join(REPO, "docs", "cdk-terrain.md"), "utf8");
  const table = /<!-- schema-changes:start -->\n([\s\S]*?)<!-- schema-changes:end -->/.exec(page)?.[1] ?? "";
  const cells = (list: string) => (list.trim() === "—" ? [] : list.split(",").map((c) => c.trim().replace(/^`|`$/g, "")));
  const recorded = table
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) => {
      const [module, iface, added21, added25, removed] = line.split("|").slice(1, 6);
      return { module: module.trim().replace(/`/g, ""), iface: iface.trim().replace(/`/g, ""), added21: cells(added21), added25: cells(added25), removed: cells(removed) };
    });
  expect(recorded).toEqual(schemaChanges());
});
