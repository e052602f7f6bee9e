"use strict";
/**
 * The command line of a generator (scripts/generate-*.js): write `out` from `render()`, or with
 * `--check` exit 1 when the file differs from what the installed data renders (a test runs it).
 */
const fs = require("fs");
const path = require("path");

function writeOrCheck(out, render, argv = process.argv) {
  const text = render();
  const name = path.relative(process.cwd(), out);
  if (argv.includes("--check")) {
    const current = fs.existsSync(out) ? fs.readFileSync(out, "utf8") : "";
    if (current !== text) {
      process.stderr.write(`${name} differs from the installed data: run npm run generate\n`);
      process.exit(1);
    }
  } else {
    fs.writeFileSync(out, text);
    console.log(`wrote ${name}`);
  }
}

module.exports = { writeOrCheck };
