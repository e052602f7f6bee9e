/**
 * Several environments from data: one stack per environment, each with its own S3 state and its
 * own account pin. The same app the repository ships, with a different environments file.
 */
import * as path from "path";
import { App } from "cdktf";
import { buildApp } from "../../app";

export function build(outdir?: string): App {
  return buildApp({ configFile: path.join(__dirname, "environments.json"), outdir }).app;
}

if (require.main === module) build().synth();
