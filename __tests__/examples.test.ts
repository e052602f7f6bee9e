/** Every example synthesizes, and Terraform validates what it writes. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { build as adoptExisting } from "../examples/adopt-existing/main";
import { build as minimalKey } from "../examples/minimal-key/main";
import { build as severalEnvironments } from "../examples/several-environments/main";
import { offlineCopy, terraformAvailable, TerraformSandbox } from "./support/terraform";

type Build = (outdir?: string) => { synth(): void };

const synthesized = new Map<Build, Record<string, Record<string, any>>>();

/** An example's stacks, synthesized once per test file. */
function synth(build: Build): Record<string, Record<string, any>> {
  if (!synthesized.has(build)) {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-example-"));
    build(outdir).synth();
    const stacks = fs.readdirSync(path.join(outdir, "stacks"));
    synthesized.set(build, Object.fromEntries(stacks.map((s) => [s, JSON.parse(fs.readFileSync(path.join(outdir, "stacks", s, "cdk.tf.json"), "utf8"))])));
    fs.rmSync(outdir, { recursive: true, force: true });
  }
  return synthesized.get(build)!;
}

const EXAMPLES: [string, Build, string[]][] = [
  ["minimal-key", minimalKey, ["minimal-key"]],
  ["several-environments", severalEnvironments, ["dev", "staging", "prod"]],
  ["adopt-existing", adoptExisting, ["prod"]],
];

describe.each(EXAMPLES)("examples/%s", (_name, build, stackNames) => {
  const stacks = synth(build);
  test("synthesizes its stacks, each with the pinned key", () => {
    expect(Object.keys(stacks).sort()).toEqual([...stackNames].sort());
    for (const stack of Object.values(stacks)) {
      expect(stack.resource.aws_kms_key.mavik_data_key.lifecycle).toEqual({ prevent_destroy: true });
    }
  });
});

test("several-environments: one state object per environment, and the hardened variant in dev", () => {
  const stacks = synth(severalEnvironments);
  expect(Object.values(stacks).map((s) => s.terraform.backend.s3.key).sort()).toEqual([
    "mavik-data-key/dev/terraform.tfstate",
    "mavik-data-key/prod/terraform.tfstate",
    "mavik-data-key/staging/terraform.tfstate",
  ]);
  expect(stacks.dev.resource.aws_kms_key.mavik_data_key.policy).toContain("kms:ViaService");
});

test("adopt-existing: imports for the key, alias, table, secret and function; the bucket needs none", () => {
  const { prod } = synth(adoptExisting);
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

const describeTerraform = terraformAvailable("examples: terraform validate") ? describe : describe.skip;

describeTerraform("examples: terraform validate", () => {
  const sandbox = new TerraformSandbox("examples");
  // Every stack of every example as one module of one root: one validate covers them all.
  const cases = EXAMPLES.flatMap(([name, build]) => Object.entries(synth(build)).map(([stack, json]) => ({ id: `${name}-${stack}`, config: offlineCopy(json) })));
  let validation: { valid: boolean; error_count: number; diagnostics: { range?: { filename: string } }[] };
  beforeAll(async () => {
    const ws = sandbox.combined("examples", cases);
    await ws.init();
    validation = JSON.parse((await ws.run(["validate", "-json", "-no-color"])).stdout);
  });
  afterAll(() => sandbox.dispose());

  test.each(EXAMPLES)("%s", (name) => {
    const ids = cases.map((c) => c.id).filter((id) => id.startsWith(`${name}-`));
    expect(ids.length).toBeGreaterThan(0);
    expect(validation).toMatchObject({ valid: true, error_count: 0 });
    expect(validation.diagnostics.filter((d) => ids.some((id) => d.range?.filename.startsWith(`${id}/`)))).toEqual([]);
  });
});
