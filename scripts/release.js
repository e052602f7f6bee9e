#!/usr/bin/env node
/**
 * What the release workflow (.github/workflows/release.yml) asks of the repository:
 *
 *   node scripts/release.js check <tag>       the tag is v<version> of the app and of every flavour
 *   node scripts/release.js notes <tag>       the CHANGELOG.md section of that version (the release notes)
 *   node scripts/release.js dir <flavour>     the directory `npm publish` takes for a built flavour
 *
 * Each flavour ships the same version (scripts/flavours.js); the section of a version is
 * everything under its `## [<version>]` heading up to the next `## [` heading (Keep a Changelog).
 */
"use strict";
const fs = require("fs");
const path = require("path");
const { packageDirOf } = require("./build-package");

const ROOT = path.resolve(__dirname, "..");

/** The version a tag names: `v1.2.3` (or `v1.2.3-rc.1`) -> `1.2.3`; anything else is an error. */
function versionOf(tag) {
  const m = /^v(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/.exec(String(tag));
  if (!m) throw new Error(`${JSON.stringify(tag)} is not a version tag: v<major>.<minor>.<patch>, e.g. v0.2.0`);
  return m[1];
}

/** Every manifest that must carry the tag's version, and the version each has. */
function versions() {
  const read = (file) => JSON.parse(fs.readFileSync(path.join(ROOT, file), "utf8")).version;
  // The CDK Terrain flavour takes modules/package.json's version (scripts/build-package.js).
  return { "package.json": read("package.json"), "modules/package.json": read("modules/package.json") };
}

function check(tag) {
  const version = versionOf(tag);
  const wrong = Object.entries(versions()).filter(([, v]) => v !== version);
  if (wrong.length > 0) throw new Error(`tag ${tag} is version ${version}, but ${wrong.map(([f, v]) => `${f} says ${v}`).join(" and ")}: bump the versions (and the CHANGELOG) before tagging`);
  notes(tag, fs.readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8"));
  return version;
}

/** The CHANGELOG section of the tag's version, without its heading; an error when missing or empty. */
function notes(tag, changelog) {
  const version = versionOf(tag);
  const lines = changelog.split("\n");
  const escaped = version.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const start = lines.findIndex((l) => new RegExp(`^## \\[${escaped}\\]`).test(l));
  if (start === -1) throw new Error(`CHANGELOG.md has no section "## [${version}]": move the Unreleased entries under it before tagging`);
  const end = lines.findIndex((l, i) => i > start && /^## \[/.test(l));
  const body = lines.slice(start + 1, end === -1 ? undefined : end).join("\n").replace(/^\n+|\s+$/g, "");
  if (!/\S/.test(body)) throw new Error(`CHANGELOG.md's section "## [${version}]" is empty`);
  return `${body}\n`;
}

/** Where the built flavour is: modules/ (cdktf), dist/flavours/<flavour>/package (the others). */
function dir(flavour) {
  return path.relative(ROOT, packageDirOf(flavour)).split(path.sep).join("/");
}

module.exports = { check, dir, notes, versionOf };

if (require.main === module) {
  const [command, arg] = process.argv.slice(2);
  try {
    if (command === "check") process.stdout.write(`${check(arg)}\n`);
    else if (command === "notes") process.stdout.write(notes(arg, fs.readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8")));
    else if (command === "dir") process.stdout.write(`${dir(arg)}\n`);
    else throw new Error("usage: node scripts/release.js check <tag> | notes <tag> | dir <flavour>");
  } catch (e) {
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(1);
  }
}
