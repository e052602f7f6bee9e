/**
 * The scheduled audit's role: read-only by AWS's own access levels, covering every Terraform type
 * an environment or the package can put in a stack, and the same policy in docs/permissions.md.
 */
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import * as fs from "fs";
import * as path from "path";
import { environmentStack, EnvironmentConfig, loadEnvironments } from "../app";
import { auditRolePolicy, REFRESH_READS, stackTypes } from "../cli/verify/audit-role";
import { runVerify } from "../cli/verify";
import { DataKey } from "../modules/index";
import { actionAccessLevel } from "./support/iam-data";

const REPO = path.resolve(__dirname, "..");
const CONFIGS = ["environments.json", ...fs.readdirSync(path.join(__dirname, "fixtures")).filter((f) => /^environments\..*\.json$/.test(f)).map((f) => path.join("__tests__", "fixtures", f))];
const ENVIRONMENTS = CONFIGS.flatMap((file) => loadEnvironments(path.join(REPO, file)).map((env) => [`${file}: ${env.name}`, env] as [string, EnvironmentConfig]));
const PROD = loadEnvironments(path.join(REPO, "environments.json"))[0];

const actionsOf = (policy: ReturnType<typeof auditRolePolicy>) => policy.Statement.flatMap((s) => s.Action);

test("every action the audit role may need (a state key's Decrypt aside, below) is a Read or List action in AWS's service authorization data", () => {
  const all = [...new Set([...Object.values(REFRESH_READS).flat(), ...ENVIRONMENTS.flatMap(([, env]) => actionsOf(auditRolePolicy(env)))])].sort();
  expect(all.length).toBeGreaterThan(40);
  expect(all.map((a) => [a, actionAccessLevel(a)]).filter(([, level]) => level !== "Read" && level !== "List")).toEqual([]);
});

test.each(ENVIRONMENTS)("%s: every resource and data source type of the stack has its reads", (_name, env) => {
  const stack = environmentStack(env).toTerraform();
  const types = stackTypes(stack);
  expect(types).toContain("aws_kms_key");
  expect(types.filter((t) => REFRESH_READS[t] === undefined)).toEqual([]);
  const actions = actionsOf(auditRolePolicy(env, stack));
  expect(types.flatMap((t) => REFRESH_READS[t]).filter((a) => !actions.includes(a))).toEqual([]);
});

test("the fixtures reach every type the table knows, except those only code adds", () => {
  const reached = new Set(ENVIRONMENTS.flatMap(([, env]) => stackTypes(environmentStack(env).toTerraform())));
  expect(Object.keys(REFRESH_READS).filter((t) => !reached.has(t))).toEqual(["aws_iam_role_policy", "data.aws_kms_alias"]);
});

test("what the package adds in code (a grant, a key found by alias, a remote state) is read too, the other state object included", () => {
  const stack = environmentStack(PROD);
  const role = new IamRole(stack, "reader", { name: "mavik-reader", assumeRolePolicy: "{}" });
  stack.dataKey.grantDecrypt(role);
  DataKey.fromAlias(stack, "by_alias", "alias/mavik-other-key");
  DataKey.fromRemoteState(stack, "platform", { bucket: "mavik-platform-state", key: "platform/terraform.tfstate", region: "us-east-1" });
  const json = stack.toTerraform();
  expect(stackTypes(json)).toEqual(["aws_iam_role", "aws_iam_role_policy", "aws_kms_alias", "aws_kms_key", "data.aws_kms_alias", "data.terraform_remote_state"]);
  // The role is the test's own resource, not this project's: the audit reads what the package writes.
  delete json.resource.aws_iam_role;
  const policy = auditRolePolicy(PROD, json);
  expect(actionsOf(policy)).toEqual(expect.arrayContaining(["iam:GetRolePolicy", "kms:ListAliases", "kms:DescribeKey"]));
  expect(policy.Statement.find((s) => s.Sid === "TerraformStateRead")!.Resource).toEqual([
    "arn:aws:s3:::mavik-platform-state/platform/terraform.tfstate",
    "arn:aws:s3:::mavik-terraform-state-167067248318/mavik-data-key/prod/terraform.tfstate",
  ]);
});

test("an unknown type is refused, naming it and where its reads go", () => {
  const stack = { resource: { aws_kms_key: {}, aws_kinesis_stream: {} } };
  expect(() => auditRolePolicy(PROD, stack)).toThrow(
    "aws_kinesis_stream: the audit role's reads of this type are not known. Add them to REFRESH_READS (cli/verify/audit-role.ts) from the provider's Read function.",
  );
});

test.each([
  ["a key id", "0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6", { Resource: "arn:aws:kms:us-east-1:167067248318:key/0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6" }],
  ["a key ARN", "arn:aws:kms:us-east-1:999988887777:key/0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6", { Resource: "arn:aws:kms:us-east-1:999988887777:key/0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6" }],
  ["an alias", "alias/mavik-state", { Resource: "*", Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": "alias/mavik-state" } } }],
])("a state object under a customer key (%s): kms:Decrypt on that key, the one action that is not a read", (_name, kmsKeyId, expected) => {
  const env = { ...PROD, state: { ...PROD.state, kmsKeyId } };
  const statement = auditRolePolicy(env, { resource: { aws_kms_key: {} } }).Statement.find((s) => s.Sid === "TerraformStateKey");
  expect(statement).toEqual({ Sid: "TerraformStateKey", Effect: "Allow", Action: ["kms:Decrypt"], ...expected });
});

test("the shipped prod: the command prints it, calls nothing, and docs/permissions.md shows it as printed", async () => {
  let stdout = "";
  let stderr = "";
  const code = await runVerify(
    ["--env", "prod", "--audit-role-policy"],
    {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      clients: () => {
        throw new Error("no AWS client may be made");
      },
    },
    path.join(REPO, "environments.json"),
  );
  expect([code, stderr]).toEqual([0, ""]);
  const policy = JSON.parse(stdout);
  expect(policy).toEqual(auditRolePolicy(PROD));
  expect(policy.Statement.find((s: { Sid: string }) => s.Sid === "TerraformRefresh").Action).toEqual([
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListResourceTags",
  ]);
  const page = fs.readFileSync(path.join(REPO, "docs", "permissions.md"), "utf8");
  const block = page.match(/<!-- audit-role-policy:prod -->\n```json\n([\s\S]*?)```/);
  expect(block?.[1]).toBe(stdout);
});
