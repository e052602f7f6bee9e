/**
 * Several environments from data: one stack per environment, each with its own S3 state and its
 * own account pin. The same app the repository ships, with a different environments file.
 * Run it: `npx ts-node examples/several-environments/main.ts` (README.md beside it).
 */
import * as path from "path";
import { App, TerraformStack } from "cdktf";
import { buildApp } from "../../app";

/** The app; its Terraform JSON goes to `outdir`, by default `cdktf.out/` beside this file. */
export function build(outdir = process.env.CDKTF_OUTDIR ?? path.join(__dirname, "cdktf.out")): App {
  return buildApp({ configFile: path.join(__dirname, "environments.json"), outdir }).app;
}

if (require.main === module) {
  const app = build();
  app.synth();
  const stacks = app.node.children.filter(TerraformStack.isStack).map((s) => s.node.id);
  console.log(`synthesized ${stacks.join(", ")} into ${path.relative(process.cwd(), app.outdir) || "."}`);
}
