/**
 * After the last test: removes the run's temp directory, then fails the run if any test left
 * something of this project (`mavik-*`, `cdktf.outdir.*`) in the system temp directory.
 */
import * as fs from "fs";
import type { RunState } from "./global-setup";

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as { __MAVIK_TEST_RUN__?: RunState }).__MAVIK_TEST_RUN__;
  if (state === undefined) return;
  fs.rmSync(state.runDir, { recursive: true, force: true });
  if (state.tmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = state.tmpdir;
  const before = new Set(state.before);
  const left = fs.readdirSync(state.systemTmp).filter((name) => !before.has(name) && /^(mavik-|cdktf\.outdir\.)/.test(name));
  if (left.length > 0) {
    throw new Error(`the tests left ${left.length} temporary entr${left.length === 1 ? "y" : "ies"} in ${state.systemTmp}: ${left.join(", ")}`);
  }
}
