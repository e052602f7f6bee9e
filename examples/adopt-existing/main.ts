/**
 * Adopting what already exists: the seed's console-made key (`existingKeyId`) and existing
 * buckets, tables, secrets and functions. The first deploy imports them (key, alias, table,
 * secret, function) and binds each to the key; the bucket gets only its encryption configuration.
 */
import * as path from "path";
import { App } from "cdktf";
import { buildApp } from "../../app";

export function build(outdir?: string): App {
  return buildApp({ configFile: path.join(__dirname, "environments.json"), outdir }).app;
}

if (require.main === module) build().synth();
