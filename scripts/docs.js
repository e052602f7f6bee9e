#!/usr/bin/env node
/**
 * `npm run docs`: modules/API.md (shipped in the package) from the JSDoc of modules/ (TypeDoc), then one last line that
 * records what it was made from: a hash of every input (the module sources, the TypeDoc and
 * TypeScript configs, the versions of TypeDoc, its markdown plugin, TypeScript and the packages
 * whose types the reference shows) and a hash of the page itself.
 *
 * The docs test recomputes both hashes in milliseconds instead of running TypeDoc (about 14 s
 * of CPU): new inputs mean the page is stale ("run npm run docs"), and a page that does not
 * match its own hash was edited by hand.
 */
"use strict";
const { execFileSync } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const PAGE = path.join(ROOT, "modules", "API.md");
const CONFIGS = ["typedoc.json", "tsconfig.json", path.join("modules", "tsconfig.json")];
const PACKAGES = ["typedoc", "typedoc-plugin-markdown", "typescript", "cdktf", "constructs", "@cdktf/provider-aws"];
const STAMP = /<!-- npm run docs: inputs sha256:([0-9a-f]{64}), page sha256:([0-9a-f]{64}) -->\n$/;

function sources(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "dist" || e.name === "node_modules" ? [] : sources(full);
    return e.name.endsWith(".ts") ? [full] : [];
  });
}

/** The hash of everything TypeDoc reads to make the page. */
function inputsHash() {
  const hash = crypto.createHash("sha256");
  const files = [...sources(path.join(ROOT, "modules")), ...CONFIGS.map((c) => path.join(ROOT, c))].sort();
  for (const file of files) hash.update(`${path.relative(ROOT, file)}\0${fs.readFileSync(file)}\0`);
  for (const name of PACKAGES) {
    const version = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")).version;
    hash.update(`${name}@${version}\0`);
  }
  return hash.digest("hex");
}

const sha256 = (text) => crypto.createHash("sha256").update(text).digest("hex");

/** The page without its stamp, and the two recorded hashes (undefined when there is no stamp). */
function readPage(text = fs.readFileSync(PAGE, "utf8")) {
  const match = STAMP.exec(text);
  return { body: match ? text.slice(0, match.index) : text, inputs: match?.[1], page: match?.[2] };
}

module.exports = { inputsHash, readPage, sha256, PAGE };

if (require.main === module) {
  execFileSync(process.execPath, [path.join(ROOT, "node_modules", "typedoc", "bin", "typedoc")], { cwd: ROOT, stdio: "inherit" });
  const body = readPage().body.replace(/\n*$/, "\n\n");
  fs.writeFileSync(PAGE, `${body}<!-- npm run docs: inputs sha256:${inputsHash()}, page sha256:${sha256(body)} -->\n`);
  console.log(`wrote ${path.relative(process.cwd(), PAGE)}`);
}
