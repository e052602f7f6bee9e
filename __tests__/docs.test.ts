/** The committed API reference (docs/API.md) is what TypeDoc makes of the JSDoc today. */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO } from "./support/synth";

test("docs/API.md is current: regenerate it with `npm run docs`", () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-docs-"));
  execFileSync(process.execPath, [path.join(REPO, "node_modules", "typedoc", "bin", "typedoc"), "--out", out, "--logLevel", "Warn"], { cwd: REPO, encoding: "utf8" });
  const fresh = fs.readFileSync(path.join(out, "API.md"), "utf8");
  const committed = fs.readFileSync(path.join(REPO, "docs", "API.md"), "utf8");
  expect(committed === fresh ? "current" : "stale: run `npm run docs` and commit docs/API.md").toBe("current");
  for (const name of ["DataKey", "DataKeyProps", "DataKeyStack", "EnvironmentConfig", "exemptFromEncryption", "accessMatrix"]) {
    expect(committed).toContain(`### ${name}`);
  }
});
