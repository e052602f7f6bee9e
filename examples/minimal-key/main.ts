/**
 * The smallest use: one stack, one data key with the seed's roles. No remote state (local state),
 * no environments file. Run it: `npx ts-node examples/minimal-key/main.ts` (README.md beside it).
 */
import * as path from "path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, TerraformOutput, TerraformStack } from "cdktf";
import { DataKey } from "@mavik/data-key";

/** The app; its Terraform JSON goes to `outdir`, by default `cdktf.out/` beside this file. */
export function build(outdir = process.env.CDKTF_OUTDIR ?? path.join(__dirname, "cdktf.out")): App {
  const app = new App({ outdir });
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

if (require.main === module) {
  const app = build();
  app.synth();
  console.log(`synthesized minimal-key into ${path.relative(process.cwd(), app.outdir) || "."}`);
}
