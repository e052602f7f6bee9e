/**
 * After the last test: removes the run's own temporary root (TMPDIR of every worker, made by
 * global-setup.ts). Only that root is this run's: the system temp directory is shared with other
 * test runs on the machine (CI runners and developers run two suites at once), so nothing else
 * there is looked at. A run fails only when its own root went missing under it, which means
 * something else removed it while the tests were using it.
 */
import * as fs from "fs";
import type { RunState } from "./global-setup";

export function finishRun(state: RunState): void {
  if (state.tmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = state.tmpdir;
  if (!fs.existsSync(state.runDir)) throw new Error(`the run's temporary root ${state.runDir} was removed while the tests ran`);
  fs.rmSync(state.runDir, { recursive: true, force: true });
}

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as { __MAVIK_TEST_RUN__?: RunState }).__MAVIK_TEST_RUN__;
  if (state !== undefined) finishRun(state);
}
