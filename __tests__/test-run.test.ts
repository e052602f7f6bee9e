/**
 * The suite's own housekeeping: a run keeps its temporary files under its own root and looks at
 * nothing else, so two runs on one machine (CI runners, a developer's two checkouts) never fail
 * each other.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { finishRun } from "./support/global-teardown";

// Workers run with TMPDIR set to this run's root, made in the system temp directory.
const runRoot = os.tmpdir();
const systemTmp = path.dirname(runRoot);

describe("a test run's temporary root", () => {
  const foreign: string[] = [];
  beforeAll(() => {
    // What another run on the same machine has in the shared temp directory while this one runs.
    const otherRun = fs.mkdtempSync(path.join(systemTmp, "mavik-test-run-"));
    fs.writeFileSync(path.join(otherRun, "state.json"), "{}");
    foreign.push(otherRun, fs.mkdtempSync(path.join(systemTmp, "mavik-synth-")), fs.mkdtempSync(path.join(systemTmp, "cdktf.outdir.")));
  });
  afterAll(() => {
    for (const dir of foreign) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("this run's files live under its own root", () => {
    expect(path.basename(runRoot)).toMatch(/^mavik-test-run-/);
    expect(fs.existsSync(runRoot)).toBe(true);
  });

  test("finishing a run removes its root and leaves another run's files alone", () => {
    const saved = process.env.TMPDIR;
    const own = fs.mkdtempSync(path.join(systemTmp, "mavik-test-run-"));
    fs.mkdirSync(path.join(own, "mavik-synth-abc"));
    try {
      expect(() => finishRun({ runDir: own, tmpdir: saved })).not.toThrow();
    } finally {
      process.env.TMPDIR = saved;
    }
    expect(fs.existsSync(own)).toBe(false);
    for (const dir of foreign) expect(fs.existsSync(dir)).toBe(true);
  });

  test("a root removed under a run is reported", () => {
    const saved = process.env.TMPDIR;
    const gone = path.join(systemTmp, "mavik-test-run-gone-" + process.pid);
    try {
      expect(() => finishRun({ runDir: gone, tmpdir: saved })).toThrow(`the run's temporary root ${gone} was removed while the tests ran`);
    } finally {
      process.env.TMPDIR = saved;
    }
  });
});
