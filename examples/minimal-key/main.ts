/**
 * The smallest use: one stack, one data key with the seed's roles. No remote state (local state),
 * no environments file.
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, TerraformOutput, TerraformStack } from "cdktf";
import { DataKey } from "@mavik/data-key";

export function build(outdir?: string): App {
  const app = new App(outdir ? { outdir } : {});
  const stack = new TerraformStack(app, "minimal-key");
  new AwsProvider(stack, "aws", { region: "us-east-1", allowedAccountIds: ["167067248318"] });
  const key = new DataKey(stack, "mavik_data_key", {
    accountId: "167067248318",
    administrators: ["user/mavik-deployer", "user/mavik-developer"],
    users: ["role/MavikLambdaRole"],
    services: ["s3.amazonaws.com"],
  });
  new TerraformOutput(stack, "key_arn", { value: key.keyArn });
  return app;
}

if (require.main === module) build().synth();
