/**
 * Type-checking is part of `npm test`: the whole tree (app, modules, CLIs, bench, examples,
 * tests) through `tsc --noEmit`, as `npm run typecheck` does. It runs as a test so that its
 * ten-odd seconds on one core overlap the other test files instead of holding them up.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { OUT, render } from "../scripts/generate-kms-actions";
import { REPO } from "./support/synth";

test("tsc -p tsconfig.json --noEmit reports no error", async () => {
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(REPO, "tsconfig.json"), "--noEmit", "--pretty", "false"], { cwd: REPO });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
  expect(output).toBe("");
  expect(code).toBe(0);
});

test("the KMS action table is generated from the installed service authorization data (npm run generate)", () => {
  expect(fs.readFileSync(OUT, "utf8") === render() ? "current" : "stale: run npm run generate").toBe("current");
});

test("the regions and service prefixes are generated from the installed SDK endpoint data and iam-data (npm run generate)", () => {
  const names = require("../scripts/generate-aws-names");
  expect(fs.readFileSync(names.OUT, "utf8") === names.render() ? "current" : "stale: run npm run generate").toBe("current");
});
