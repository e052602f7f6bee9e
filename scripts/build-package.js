#!/usr/bin/env node
/**
 * Builds the construct package @mavik/data-key in modules/: JavaScript and declarations into
 * modules/dist (modules/tsconfig.json), and the LICENSE and CHANGELOG.md it ships copied beside
 * its package.json. `npm run build`, and the package's prepack (`npm run package`, `npm pack
 * ./modules`, `npm publish ./modules`) run it.
 */
"use strict";
const { execFileSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const PACKAGE = path.join(ROOT, "modules");

fs.rmSync(path.join(PACKAGE, "dist"), { recursive: true, force: true });
try {
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc", { paths: [ROOT] }), "-p", path.join(PACKAGE, "tsconfig.json")], { cwd: ROOT, stdio: "inherit" });
} catch {
  // tsc printed its errors.
  process.exit(1);
}
for (const file of ["LICENSE", "CHANGELOG.md"]) fs.copyFileSync(path.join(ROOT, file), path.join(PACKAGE, file));
fs.mkdirSync(path.join(ROOT, "dist"), { recursive: true });
