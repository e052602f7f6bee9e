/** Every example synthesizes, and Terraform validates what it writes. */
import { build as adoptExisting } from "../examples/adopt-existing/main";
import { build as minimalKey } from "../examples/minimal-key/main";
import { build as severalEnvironments } from "../examples/several-environments/main";
import { Build, synthExample } from "./support/synth";

const EXAMPLES: [string, Build, string[]][] = [
  ["minimal-key", minimalKey, ["minimal-key"]],
  ["several-environments", severalEnvironments, ["dev", "staging", "prod"]],
  ["adopt-existing", adoptExisting, ["prod"]],
];

describe.each(EXAMPLES)("examples/%s", (_name, build, stackNames) => {
  const stacks = synthExample(build);
  test("synthesizes its stacks, each with the pinned key", () => {
    expect(Object.keys(stacks).sort()).toEqual([...stackNames].sort());
    for (const stack of Object.values(stacks)) {
      expect(stack.resource.aws_kms_key.mavik_data_key.lifecycle).toEqual({ prevent_destroy: true });
    }
  });
});

test("several-environments: one state object per environment, and the hardened variant in dev", () => {
  const stacks = synthExample(severalEnvironments);
  expect(Object.values(stacks).map((s) => s.terraform.backend.s3.key).sort()).toEqual([
    "mavik-data-key/dev/terraform.tfstate",
    "mavik-data-key/prod/terraform.tfstate",
    "mavik-data-key/staging/terraform.tfstate",
  ]);
  expect(stacks.dev.resource.aws_kms_key.mavik_data_key.policy).toContain("kms:ViaService");
});

test("adopt-existing: imports for the key, alias, table, secret and function; the bucket needs none", () => {
  const { prod } = synthExample(adoptExisting);
  expect(prod.import.map((i: { to: string }) => i.to)).toEqual([
    "aws_kms_key.mavik_data_key",
    "aws_kms_alias.mavik_data_key",
    "aws_dynamodb_table.mavik-ssot-records",
    "aws_secretsmanager_secret.mavik_ssot_db",
    "aws_lambda_function.mavik-ssot-sync",
  ]);
  expect(Object.keys(prod.resource.aws_s3_bucket_server_side_encryption_configuration)).toEqual(["mavik-ssot-exports"]);
  expect(prod.resource.aws_s3_bucket).toBeUndefined();
});

// Terraform validates and plans every example's stacks in the Terraform tier (terraform.test.ts),
// as modules of the same combined root as the environments.
