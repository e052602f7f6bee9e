/**
 * The access matrix, cell by cell, against an independent evaluator: @cloud-copilot/iam-simulate
 * (AGPL-3.0, a devDependency of this test only; the engine under test is our own).
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { accessMatrix, buildKeyPolicy, evaluate, matrixMarkdown, PolicyDocument } from "../modules";
import { requestContext } from "../modules/review/evaluate";
import { SEED_POLICY } from "./support/synth";

const ACCOUNT = "167067248318";
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/cb424700-0dd0-4dcb-a77d-13af16579270`;
const SEED_PROPS = {
  accountId: ACCOUNT,
  administrators: ["user/mavik-developer", "user/mavik-deployer"],
  users: ["role/ecsTaskExecutionRole", "role/MavikLambdaRole"],
  services: ["dynamodb.amazonaws.com", "s3.amazonaws.com", "lambda.amazonaws.com", "secretsmanager.amazonaws.com"],
};

/** The evaluator's answer in the matrix's three states. */
async function oracle(policy: PolicyDocument, principal: string, action: string, context: Record<string, string>): Promise<string> {
  const simulate = async (withIam: boolean) => {
    const result = await runSimulation(
      {
        request: { principal, action, resource: { resource: KEY_ARN, accountId: ACCOUNT }, contextVariables: context },
        identityPolicies: withIam ? [{ name: "allow-kms", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] } }] : [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: policy,
      },
      {},
    );
    if (result.resultType === "error") throw new Error(`iam-simulate: ${JSON.stringify(result)}`);
    return result.overallResult;
  };
  if ((await simulate(false)) === "Allowed") return "allow";
  if ((await simulate(true)) === "Allowed") return "iam";
  return "deny";
}

describe.each<[string, PolicyDocument]>([
  ["the seed's policy", SEED_POLICY as PolicyDocument],
  ["the hardened variant", buildKeyPolicy({ ...SEED_PROPS, serviceAccess: "via-service", region: "us-east-1" })],
])("%s: every cell agrees with iam-simulate", (_name, policy) => {
  const matrix = accessMatrix(policy, ACCOUNT);
  const cases = matrix.rows.flatMap((row, r) =>
    matrix.columns.flatMap((group, c) =>
      group.actions.map((action) => ({ row: row.label, principal: row.principal, action, context: group.context, decision: matrix.cells[r][c].byAction[action] })),
    ),
  );

  test(`${cases.length} decisions`, async () => {
    const disagreements: string[] = [];
    for (const { row, principal, action, context, decision } of cases) {
      const expected = await oracle(policy, principal.id, action, requestContext({ principal, action, context }));
      if (expected !== decision.effect) disagreements.push(`${row} ${action}: ours ${decision.effect}, iam-simulate ${expected}`);
    }
    expect(disagreements).toEqual([]);
    const actionCount = matrix.columns.reduce((n, g) => n + g.actions.length, 0);
    expect(cases).toHaveLength(matrix.rows.length * actionCount);
  });
});

describe("the hardened variant through a service (kms:ViaService)", () => {
  const policy = buildKeyPolicy({ ...SEED_PROPS, serviceAccess: "via-service", region: "us-east-1" });
  test.each<[string, string, string]>([
    ["arn:aws:iam::167067248318:role/any-other-principal", "s3.us-east-1.amazonaws.com", "allow"],
    ["arn:aws:iam::167067248318:role/any-other-principal", "sqs.us-east-1.amazonaws.com", "iam"],
    ["arn:aws:iam::111111111111:role/any-principal", "s3.us-east-1.amazonaws.com", "deny"],
  ])("%s through %s: %s, as iam-simulate says", async (id, via, effect) => {
    const request = { principal: { kind: "AWS" as const, id }, action: "kms:Decrypt", context: { "kms:ViaService": via } };
    expect(evaluate(policy, ACCOUNT, request).effect).toBe(effect);
    expect(await oracle(policy, id, "kms:Decrypt", requestContext(request))).toBe(effect);
  });
});

describe("the seed's matrix says who can decrypt Mavik's data", () => {
  const matrix = accessMatrix(SEED_POLICY as PolicyDocument, ACCOUNT);
  const cell = (label: string, column: string) => matrix.cells[matrix.rows.findIndex((r) => r.label === label)][matrix.columns.findIndex((c) => c.id === column)];

  test.each<[string, string, string, string[]]>([
    ["arn:aws:iam::167067248318:role/MavikLambdaRole", "use", "allow", ["Allow use of the key"]],
    ["arn:aws:iam::167067248318:role/MavikLambdaRole", "grants", "allow", ["Allow attachment of persistent resources"]],
    ["arn:aws:iam::167067248318:role/MavikLambdaRole", "administer", "iam", ["Enable IAM User Permissions"]],
    ["arn:aws:iam::167067248318:user/mavik-deployer", "administer", "allow", ["Allow access for Key Administrators"]],
    ["arn:aws:iam::167067248318:user/mavik-deployer", "use", "iam", ["Enable IAM User Permissions"]],
    ["s3.amazonaws.com", "use", "allow", ["Allow AWS Managed Services To Use Key"]],
    ["s3.amazonaws.com", "administer", "deny", []],
    ["any other principal of this account", "use", "iam", ["Enable IAM User Permissions"]],
    ["a principal of another account", "use", "deny", []],
    ["arn:aws:iam::167067248318:root", "administer", "iam", ["Enable IAM User Permissions"]],
  ])("%s / %s: %s", (label, column, effect, sids) => {
    expect(cell(label, column)).toMatchObject({ effect, sids });
  });

  test("rows: the named principals, then any other principal of the account, then another account", () => {
    expect(matrix.rows.map((r) => r.label)).toEqual([
      "arn:aws:iam::167067248318:root",
      "arn:aws:iam::167067248318:user/mavik-developer",
      "arn:aws:iam::167067248318:user/mavik-deployer",
      "arn:aws:iam::167067248318:role/ecsTaskExecutionRole",
      "arn:aws:iam::167067248318:role/MavikLambdaRole",
      "dynamodb.amazonaws.com",
      "s3.amazonaws.com",
      "lambda.amazonaws.com",
      "secretsmanager.amazonaws.com",
      "any other principal of this account",
      "a principal of another account",
    ]);
  });

  test("renders as a markdown table", () => {
    const lines = matrixMarkdown(matrix).split("\n");
    expect(lines[0]).toBe("| principal | administer | encrypt / decrypt | grants for AWS resources | describe |");
    expect(lines).toContain(
      "| `arn:aws:iam::167067248318:role/MavikLambdaRole` | if its IAM policy allows (“Enable IAM User Permissions”) | **allowed** by “Allow use of the key” | **allowed** by “Allow attachment of persistent resources” | **allowed** by “Allow use of the key” |",
    );
  });
});
