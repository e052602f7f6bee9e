/**
 * Each Jest project runs the unit tier against the framework environment it says it does
 * (package.json, jest.projects; scripts/flavours.js): the packages a test file gets for "cdktf",
 * "@cdktf/provider-aws" and "constructs" are that environment's, one copy each, and what they
 * synthesize pins that environment's AWS provider.
 */
import { App, TerraformProvider, TerraformStack, Testing } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { Construct } from "constructs";
import { DataKey, EncryptionEnforcement } from "@mavik/data-key";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { definitionOf, ENVIRONMENTS } = require("../scripts/flavours");

declare const MAVIK_FLAVOUR_ENV: string;
const env = ENVIRONMENTS[MAVIK_FLAVOUR_ENV];
const root = require("../package.json");

/** What the environment's definition pins: the repository's own dependencies for aws20. */
function pinned(name: string): string {
  if (!env.installed || env.shared.includes(name)) return root.dependencies[name];
  const { manifest } = definitionOf(env.id);
  return manifest.dependencies[name];
}

const FRAMEWORK = env.flavour === "cdktn" ? { core: "cdktn", provider: "@cdktn/provider-aws" } : { core: "cdktf", provider: "@cdktf/provider-aws" };

test(`${MAVIK_FLAVOUR_ENV}: "cdktf", "@cdktf/provider-aws" and "constructs" are the environment's packages`, () => {
  const core = require("cdktf/package.json");
  const provider = require("@cdktf/provider-aws/package.json");
  const constructs = require("constructs/package.json");
  expect([core.name, core.version]).toEqual([FRAMEWORK.core, pinned(FRAMEWORK.core)]);
  expect([provider.name, provider.version]).toEqual([FRAMEWORK.provider, pinned(FRAMEWORK.provider)]);
  expect(constructs.version).toBe(pinned("constructs"));
  // One copy of the framework: the provider's classes extend the test's "cdktf" classes.
  expect(new AwsProvider(new TerraformStack(Testing.app(), "copy"), "aws", {})).toBeInstanceOf(TerraformProvider);
});

test(`${MAVIK_FLAVOUR_ENV}: a stack pins AWS provider ${env.aws ?? "?"}, and enforcement refuses an unencrypted bucket`, () => {
  const app = Testing.app();
  const stack = new TerraformStack(app, "flavour");
  new AwsProvider(stack, "aws", { region: "us-east-1" });
  const key = new DataKey(stack, "mavik_data_key", { accountId: "167067248318", administrators: ["user/mavik-deployer"] });
  expect(key).toBeInstanceOf(Construct);
  new S3Bucket(stack, "plain", { bucket: "mavik-flavour-plain" });
  const synthesized = JSON.parse(Testing.synth(stack));
  expect(synthesized.terraform.required_providers.aws.version).toBe(env.aws);
  expect(() => new EncryptionEnforcement(key).visit(stack)).toThrow("aws_s3_bucket.plain: not encrypted with the data key");
  expect(app).toBeInstanceOf(App);
});
