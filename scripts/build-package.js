#!/usr/bin/env node
/**
 * Builds the construct package's flavours from the one source in modules/ (scripts/flavours.js):
 *
 *   node scripts/build-package.js [--flavour cdktf|cdktn|all]     (default: cdktf)
 *
 * - cdktf, `@mavik/data-key`: JavaScript and declarations into modules/dist
 *   (modules/tsconfig.json), and the LICENSE and CHANGELOG.md it ships copied beside its
 *   package.json, so `npm pack ./modules` and `npm publish ./modules` take it from there.
 * - cdktn, `@mavik/data-key-cdktn`: the same sources with the platform file swapped (the
 *   framework's packages renamed in modules/platform.ts, the one file that imports them), compiled
 *   against CDK Terrain's own types (the cdktn framework environment, installed on first use) into
 *   dist/flavours/cdktn/package: its package.json (modules/package.cdktn.json), README (the
 *   examples' imports renamed), API.md, CHANGELOG.md and LICENSE. `npm pack` or `npm publish` that
 *   directory.
 *
 * Any other file of modules/ that imports the framework fails the build: it would not be swapped.
 * Builds are incremental (TypeScript's build info under node_modules/.cache/mavik-build), and
 * each dist holds exactly the outputs of the current sources.
 * `npm run build` builds both; the package's prepack (`npm run package`, `npm pack ./modules`,
 * `npm publish ./modules`) builds the cdktf flavour.
 */
"use strict";
const { execFileSync } = require("child_process");
const fs = require("fs");
const path = require("path");
const { ensure, FLAVOURS, modulesOf, rewriteSpecifiers } = require("./flavours");

const ROOT = path.resolve(__dirname, "..");
const PACKAGE = path.join(ROOT, "modules");
const STAGE = path.join(ROOT, "dist", "flavours");
const PLATFORM = "platform.ts";
const SHIPPED = ["LICENSE", "CHANGELOG.md"];
/** TypeScript's incremental build info of each flavour (scripts/build-package.js only). */
const BUILD_INFO = path.join(ROOT, "node_modules", ".cache", "mavik-build");

/** The TypeScript sources of modules/, relative to it. */
function sources(dir = PACKAGE, prefix = "") {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return e.name === "dist" || e.name === "node_modules" ? [] : sources(path.join(dir, e.name), `${prefix}${e.name}/`);
    return e.name.endsWith(".ts") ? [`${prefix}${e.name}`] : [];
  });
}

function tsc(project, args = []) {
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc", { paths: [ROOT] }), "-p", project, ...args], { cwd: ROOT, stdio: "inherit" });
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir, prefix = "") {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

/**
 * Compiles `project` into `outDir` incrementally (TypeScript's build info in `buildInfo`): an
 * unchanged tree costs a second, not a full type-check. The output is then exactly the
 * JavaScript and declarations of the current sources: those of deleted sources are removed, and
 * outputs missing behind TypeScript's back (a deleted dist) mean a build from scratch.
 */
function compile(project, outDir, sourceFiles, buildInfo) {
  const expected = new Set(sourceFiles.flatMap((f) => [f.replace(/\.ts$/, ".js"), f.replace(/\.ts$/, ".d.ts")]));
  fs.mkdirSync(path.dirname(buildInfo), { recursive: true });
  const run = () => tsc(project, ["--incremental", "--tsBuildInfoFile", buildInfo]);
  run();
  for (const file of filesUnder(outDir)) if (!expected.has(file)) fs.rmSync(path.join(outDir, file));
  if ([...expected].some((f) => !fs.existsSync(path.join(outDir, f)))) {
    fs.rmSync(buildInfo, { force: true });
    run();
  }
}

/** Writes `text` unless the file holds it already (an unchanged file keeps its time for tsc). */
function writeIfChanged(file, text) {
  if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === text) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/**
 * The sources as `flavour` compiles them: platform.ts with the framework renamed, every other
 * file as it is. A file other than platform.ts that the renaming would change is an error.
 */
function flavourSources(flavour) {
  const files = {};
  const strays = [];
  for (const file of sources()) {
    const text = fs.readFileSync(path.join(PACKAGE, file), "utf8");
    const renamed = rewriteSpecifiers(text, flavour);
    if (file !== PLATFORM && renamed !== text) strays.push(file);
    files[file] = file === PLATFORM ? renamed : text;
  }
  if (strays.length > 0) {
    throw new Error(`modules/${strays.join(", modules/")} import${strays.length === 1 ? "s" : ""} the framework: only modules/${PLATFORM} may (it is the file each flavour swaps). Import through "./platform" instead.`);
  }
  return files;
}

/** The README a flavour ships: its examples' imports and its install line name the flavour's packages. */
function flavourReadme(text, flavour) {
  const name = FLAVOURS[flavour].name;
  return text.replace(/```(\w*)\n([\s\S]*?)```/g, (_block, lang, code) => {
    const body = lang === "ts" ? rewriteSpecifiers(code, flavour) : code.replace(/\bnpm install @mavik\/data-key\b(?!-)/g, `npm install ${name}`);
    return `\`\`\`${lang}\n${body}\`\`\``;
  });
}

/** A flavour's manifest: its own name and peers, everything else as the cdktf flavour's. */
function flavourManifest(flavour) {
  const base = JSON.parse(fs.readFileSync(path.join(PACKAGE, "package.json"), "utf8"));
  const own = JSON.parse(fs.readFileSync(path.join(ROOT, FLAVOURS[flavour].manifest), "utf8"));
  const { scripts: _prepack, ...rest } = base;
  const { "//": _comment, ...fields } = own;
  return { ...rest, ...fields };
}

function buildCdktf() {
  compile(path.join(PACKAGE, "tsconfig.json"), path.join(PACKAGE, "dist"), sources(), path.join(BUILD_INFO, "cdktf.tsbuildinfo"));
  for (const file of SHIPPED) fs.copyFileSync(path.join(ROOT, file), path.join(PACKAGE, file));
  return PACKAGE;
}

function buildSwapped(flavour) {
  ensure(flavour);
  const stage = path.join(STAGE, flavour);
  const src = path.join(stage, "src");
  const staged = flavourSources(flavour);
  for (const [file, text] of Object.entries(staged)) writeIfChanged(path.join(src, file), text);
  for (const file of filesUnder(src)) if (!(file in staged)) fs.rmSync(path.join(src, file));
  // The framework's types are the flavour's own: its environment's node_modules, nearest to the sources.
  fs.rmSync(path.join(stage, "node_modules"), { force: true });
  fs.symlinkSync(modulesOf(flavour), path.join(stage, "node_modules"), "dir");
  const out = packageDirOf(flavour);
  const modulesConfig = JSON.parse(fs.readFileSync(path.join(PACKAGE, "tsconfig.json"), "utf8"));
  writeIfChanged(
    path.join(stage, "tsconfig.json"),
    JSON.stringify({ extends: path.join(ROOT, "tsconfig.json"), compilerOptions: { ...modulesConfig.compilerOptions, rootDir: "src", outDir: "package/dist" }, include: ["src/**/*.ts"], exclude: [] }, null, 2),
  );
  compile(path.join(stage, "tsconfig.json"), path.join(out, "dist"), Object.keys(staged), path.join(BUILD_INFO, `${flavour}.tsbuildinfo`));
  fs.writeFileSync(path.join(out, "package.json"), `${JSON.stringify(flavourManifest(flavour), null, 2)}\n`);
  fs.writeFileSync(path.join(out, "README.md"), flavourReadme(fs.readFileSync(path.join(PACKAGE, "README.md"), "utf8"), flavour));
  fs.copyFileSync(path.join(PACKAGE, "API.md"), path.join(out, "API.md"));
  for (const file of SHIPPED) fs.copyFileSync(path.join(ROOT, file), path.join(out, file));
  return out;
}

/** The directory a built flavour is packed and published from. */
function packageDirOf(flavour) {
  if (FLAVOURS[flavour] === undefined) throw new Error(`unknown flavour ${JSON.stringify(flavour)}; expected one of ${Object.keys(FLAVOURS).join(", ")}`);
  return flavour === "cdktf" ? PACKAGE : path.join(STAGE, flavour, "package");
}

/** Builds one flavour and returns the directory to pack. */
function build(flavour) {
  if (flavour === "cdktf") return buildCdktf();
  if (FLAVOURS[flavour] === undefined) throw new Error(`unknown flavour ${JSON.stringify(flavour)}; expected one of ${Object.keys(FLAVOURS).join(", ")}, all`);
  return buildSwapped(flavour);
}

module.exports = { build, flavourManifest, flavourReadme, flavourSources, packageDirOf };

if (require.main === module) {
  const at = process.argv.indexOf("--flavour");
  const wanted = at === -1 ? "cdktf" : process.argv[at + 1];
  try {
    for (const flavour of wanted === "all" ? Object.keys(FLAVOURS) : [wanted]) {
      const dir = build(flavour);
      if (at !== -1) process.stdout.write(`${FLAVOURS[flavour].name}: ${path.relative(ROOT, dir)}\n`);
    }
  } catch (e) {
    // tsc printed its own errors.
    if (e.status === undefined) process.stderr.write(`error: ${e.message}\n`);
    process.exit(1);
  }
  fs.mkdirSync(path.join(ROOT, "dist"), { recursive: true });
}
