import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import * as fs from "fs";
import * as path from "path";
import { MULTI_CONFIG, SHIPPED_CONFIG, synthApp } from "./support/synth";

describe("the app: one stack per environment", () => {
  const multi = synthApp(MULTI_CONFIG);

  test("each environment is a stack named after it", () => {
    expect(Object.keys(multi.json)).toEqual(["prod", "staging"]);
  });

  test("each stack has its own S3 backend; the state key holds the environment name", () => {
    expect(multi.json.prod.terraform.backend.s3).toEqual({
      bucket: "mavik-terraform-state",
      key: "mavik-data-key/prod/terraform.tfstate",
      region: "us-east-1",
      encrypt: true,
      use_lockfile: true,
    });
    expect(multi.json.staging.terraform.backend.s3).toEqual({
      bucket: "mavik-terraform-state",
      key: "mavik-data-key/staging/terraform.tfstate",
      region: "us-east-1",
      encrypt: true,
      dynamodb_table: "mavik-terraform-locks",
    });
  });

  test("the provider is pinned to the environment's account and region", () => {
    expect(multi.json.staging.provider.aws).toEqual([{ region: "us-west-2", allowed_account_ids: ["210987654321"] }]);
  });

  test("the stack outputs the key id, key ARN, alias name and alias ARN, and the identity the review checks plans against", () => {
    expect(Object.keys(multi.json.prod.output).sort()).toEqual(["alias_arn", "alias_name", "key_arn", "key_id", "stack_identity"]);
    expect(multi.json.prod.output.key_arn.value).toBe("${aws_kms_key.mavik_data_key.arn}");
    expect(multi.json.staging.output.stack_identity.value).toEqual({
      environment: "staging",
      account_id: multi.json.staging.provider.aws[0].allowed_account_ids[0],
      region: multi.json.staging.provider.aws[0].region,
      state_bucket: multi.json.staging.terraform.backend.s3.bucket,
      state_key: multi.json.staging.terraform.backend.s3.key,
      state_region: multi.json.staging.terraform.backend.s3.region,
    });
  });

  test("the seed's environment adopts the existing key; a new environment creates one", () => {
    expect(multi.json.prod.import).toEqual([
      { id: "cb424700-0dd0-4dcb-a77d-13af16579270", to: "aws_kms_key.mavik_data_key" },
      { id: "alias/mavik-data-kms-key", to: "aws_kms_alias.mavik_data_key" },
    ]);
    expect(multi.json.staging.import).toBeUndefined();
  });

  test("the addresses of the key and alias are pinned in every environment", () => {
    for (const stack of Object.values(multi.json)) {
      expect(Object.keys(stack.resource.aws_kms_key)).toEqual(["mavik_data_key"]);
      expect(Object.keys(stack.resource.aws_kms_alias)).toEqual(["mavik_data_key"]);
      expect(stack.resource.aws_kms_key.mavik_data_key.lifecycle).toEqual({ prevent_destroy: true });
    }
  });

  test("a cross-account administrator is named explicitly", () => {
    const policy = JSON.parse(multi.json.staging.resource.aws_kms_key.mavik_data_key.policy);
    expect(policy.Statement[1].Principal.AWS).toEqual([
      "arn:aws:iam::210987654321:user/mavik-deployer",
      "arn:aws:iam::167067248318:user/mavik-developer",
    ]);
  });

  test("the CDKTF matchers read the app's stacks", () => {
    expect(multi.text.prod).toHaveProviderWithProperties(AwsProvider, { region: "us-east-1", allowed_account_ids: ["167067248318"] });
    expect(multi.text.staging).toHaveResourceWithProperties(KmsKey, { deletion_window_in_days: 7, tags: { environment: "staging" } });
  });
});

describe("deterministic output", () => {
  test("two synths of the same config are byte-identical, for every stack and the manifest", () => {
    const first = synthApp(MULTI_CONFIG);
    const second = synthApp(MULTI_CONFIG);
    expect(Object.keys(first.text)).toEqual(Object.keys(second.text));
    for (const name of Object.keys(first.text)) expect(second.text[name]).toBe(first.text[name]);
    expect(fs.readFileSync(path.join(second.outdir, "manifest.json"), "utf8").replace(second.outdir, "")).toBe(
      fs.readFileSync(path.join(first.outdir, "manifest.json"), "utf8").replace(first.outdir, ""),
    );
  });

  test("the shipped config synthesizes only the seed's environment", () => {
    expect(Object.keys(synthApp(SHIPPED_CONFIG).json)).toEqual(["prod"]);
  });
});
