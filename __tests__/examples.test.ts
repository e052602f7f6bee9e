/**
 * Every example runs as its README says: the README's one command, as written, from the
 * repository's root (into a temp directory through CDKTF_OUTDIR rather than beside the example),
 * prints what the README shows and writes its stacks, each with the pinned key. Terraform
 * validates and plans what they write in the Terraform tier (terraform.test.ts).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runProcess, RunResult } from "./support/processes";
import { REPO } from "./support/synth";

const EXAMPLES: [string, string[]][] = [
  ["minimal-key", ["minimal-key"]],
  ["several-environments", ["dev", "prod", "staging"]],
  ["adopt-existing", ["prod"]],
];

/** The README's command (its one `sh` block) and the output it shows (its `text` block). */
export function exampleReadme(name: string): { command: string; output: string } {
  const readme = fs.readFileSync(path.join(REPO, "examples", name, "README.md"), "utf8");
  const sh = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].trim());
  const text = [...readme.matchAll(/```text\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect([sh.length, text.length]).toEqual([1, 1]);
  return { command: sh[0], output: text[0] };
}

const ran: Record<string, { result: RunResult; outdir: string }> = {};
const stacksOf = (name: string): Record<string, any> => {
  const dir = path.join(ran[name].outdir, "stacks");
  return Object.fromEntries(fs.readdirSync(dir).map((s) => [s, JSON.parse(fs.readFileSync(path.join(dir, s, "cdk.tf.json"), "utf8"))]));
};

beforeAll(async () => {
  await Promise.all(
    EXAMPLES.map(async ([name]) => {
      const { command } = exampleReadme(name);
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `mavik-example-${name}-`));
      ran[name] = { outdir, result: await runProcess("sh", ["-c", command], { cwd: REPO, env: { ...process.env, CDKTF_OUTDIR: outdir } }) };
    }),
  );
}, 120_000);

describe.each(EXAMPLES)("examples/%s, as its README says", (name, stackNames) => {
  test("the command exits 0 and prints what the README shows", () => {
    const { result } = ran[name];
    expect([result.code, result.stderr]).toEqual([0, ""]);
    // The README shows the default output folder, beside the example; the test's is a temp directory.
    expect(result.stdout).toBe(exampleReadme(name).output.replace(`examples/${name}/cdktf.out`, path.relative(REPO, ran[name].outdir)));
  });

  test("synthesizes its stacks, each with the pinned key", () => {
    const stacks = stacksOf(name);
    expect(Object.keys(stacks).sort()).toEqual(stackNames);
    for (const stack of Object.values(stacks)) {
      expect(stack.resource.aws_kms_key.mavik_data_key.lifecycle).toEqual({ prevent_destroy: true });
    }
  });
});

test("several-environments: one state object per environment, and the hardened variant in dev", () => {
  const stacks = stacksOf("several-environments");
  expect(Object.values(stacks).map((s) => s.terraform.backend.s3.key).sort()).toEqual([
    "mavik-data-key/dev/terraform.tfstate",
    "mavik-data-key/prod/terraform.tfstate",
    "mavik-data-key/staging/terraform.tfstate",
  ]);
  expect(stacks.dev.resource.aws_kms_key.mavik_data_key.policy).toContain("kms:ViaService");
});

test("adopt-existing: imports for the key, alias, table, secret and function, as its README lists; the bucket needs none", () => {
  const { prod } = stacksOf("adopt-existing");
  const imports = prod.import.map((i: { to: string }) => i.to);
  expect(imports).toEqual([
    "aws_kms_key.mavik_data_key",
    "aws_kms_alias.mavik_data_key",
    "aws_dynamodb_table.mavik-ssot-records",
    "aws_secretsmanager_secret.mavik_ssot_db",
    "aws_lambda_function.mavik-ssot-sync",
  ]);
  const readme = fs.readFileSync(path.join(REPO, "examples", "adopt-existing", "README.md"), "utf8").replace(/\s+/g, " ");
  for (const address of imports) expect(readme).toContain(`\`${address}\``);
  expect(Object.keys(prod.resource.aws_s3_bucket_server_side_encryption_configuration)).toEqual(["mavik-ssot-exports"]);
  expect(prod.resource.aws_s3_bucket).toBeUndefined();
});

test("the minimal key's README names what its stack holds", () => {
  const stack = stacksOf("minimal-key")["minimal-key"];
  expect([Object.keys(stack.resource).sort(), Object.keys(stack.output)]).toEqual([["aws_kms_alias", "aws_kms_key"], ["key_arn"]]);
  expect(stack.resource.aws_kms_alias.mavik_data_key.name).toBe("alias/mavik-data-kms-key");
});
