/**
 * Once per test run, before any worker starts; workers inherit the environment set here.
 *
 * - Every temp file of the run goes under its own root (TMPDIR, inherited by workers and the
 *   processes they start), which global-teardown.ts removes. Other runs on the machine have
 *   roots of their own beside it; none looks at another's.
 * - One Terraform CLI config serves every Terraform test of the run (see terraform-cli.ts).
 * - The framework environments of the flavour tier record what they cost (MAVIK_FLAVOUR_LOG).
 * - The AWS SDK's Node-version notice is off, as verify turns it off (docs/troubleshooting.md, "The AWS SDK's notice about Node 22").
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { prepareTerraform } from "./terraform-cli";

export interface RunState {
  /** This run's temporary root. */
  readonly runDir: string;
  /** TMPDIR as it was before the run. */
  readonly tmpdir: string | undefined;
}

export default async function globalSetup(): Promise<void> {
  const systemTmp = os.tmpdir();
  const runDir = fs.mkdtempSync(path.join(systemTmp, "mavik-test-run-"));
  const state: RunState = { runDir, tmpdir: process.env.TMPDIR };
  (globalThis as { __MAVIK_TEST_RUN__?: RunState }).__MAVIK_TEST_RUN__ = state;
  process.env.TMPDIR = runDir;
  const cliConfig = prepareTerraform(path.join(runDir, "terraform"));
  if (cliConfig !== undefined) process.env.MAVIK_TEST_TF_CLI_CONFIG = cliConfig;
  else if (process.env.CI) throw new Error("terraform is not on PATH, and CI is set: the Terraform-backed tests may not be skipped.");
  else {
    // Jest shows nothing of a test file whose tests are all skipped, so the warning is said here.
    process.stderr.write(
      "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n" +
        "!! SKIPPED: everything that runs Terraform (Terraform tier, remote state,\n" +
        "!! review of real plans, package consumption). terraform is not on PATH;\n" +
        "!! install Terraform >= 1.10 to run them. With CI set this is a failure.\n" +
        "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n",
    );
  }
  // Where scripts/flavours.js records each framework environment it used or installed (tier-times.js).
  process.env.MAVIK_FLAVOUR_LOG = path.join(runDir, "flavour-environments.jsonl");
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  process.env.CHECKPOINT_DISABLE = "1";
}

