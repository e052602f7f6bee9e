/**
 * The construct package's flavours, and the framework environments its tests and builds use.
 *
 * One source, `modules/`, builds two packages (CONTRIBUTING.md, "The package"; docs/cdk-terrain.md):
 *
 * - `cdktf`: `@mavik/data-key` (modules/package.json), for CDK for Terraform 0.21 apps on
 *   `@cdktf/provider-aws` 20.x (AWS provider 5) or 21.x (AWS provider 6);
 * - `cdktn`: `@mavik/data-key-cdktn` (modules/package.cdktn.json), for CDK Terrain apps
 *   (`cdktn`, `@cdktn/provider-aws` 25.x = AWS provider 6).
 *
 * They differ in `modules/platform.ts` only, the one file that imports the framework: the build
 * writes the flavour's copy of it by renaming the framework's packages (`RENAMES`), and nothing
 * else. CDK Terrain keeps cdktf's API (a superset) and its cross-copy markers
 * (`Symbol.for("cdktf/...")`), so no other line differs.
 *
 * The framework environments (`ENVIRONMENTS`) are what the tests run the package against:
 * `aws20` is the repository's own node_modules (the app's pinned dependencies); the others are
 * installed from a committed package.json and package-lock.json each (`__tests__/flavours/<id>/`)
 * into `node_modules/.cache/mavik-flavours/<id>`, once, and reused while the lockfile is
 * unchanged. They are not the app's dependencies: each provider package is ~360-480 MB, and
 * `npm ci` of the app stays as it was.
 *
 *   node scripts/flavours.js install [ids...]   install (or reuse) the environments
 *   node scripts/flavours.js lock [ids...]      rewrite the committed lockfiles from package.json
 *   node scripts/flavours.js path <id>          print an environment's node_modules
 */
"use strict";
const { execFileSync } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const DEFINITIONS = path.join(ROOT, "__tests__", "flavours");
const CACHE = path.join(ROOT, "node_modules", ".cache", "mavik-flavours");
const STAMP = ".mavik-flavour-env.json";

/** The framework's packages, by the name the cdktf flavour imports them under, per flavour. */
const RENAMES = {
  cdktf: {},
  cdktn: { cdktf: "cdktn", "@cdktf/provider-aws": "@cdktn/provider-aws" },
};

/** The published packages, one per framework: same sources, same version, same API. */
const FLAVOURS = {
  cdktf: { id: "cdktf", name: "@mavik/data-key", manifest: "modules/package.json", framework: "CDK for Terraform (cdktf)" },
  cdktn: { id: "cdktn", name: "@mavik/data-key-cdktn", manifest: "modules/package.cdktn.json", framework: "CDK Terrain (cdktn)" },
};

/**
 * A framework environment: the packages an app of that framework has.
 * - `flavour`: the package flavour that belongs in it;
 * - `installed`: from its committed lockfile into the cache (aws20 is the repository's own
 *   node_modules: the app's pinned dependencies, nothing installed);
 * - `shared`: packages taken from the repository's node_modules;
 * - `aws`: the AWS provider version its bindings were generated from (what a stack pins);
 * - `foreign`: the environment whose other framework can share an app with this one (the same
 *   constructs minor: cdktn needs 10.6 or 10.7, so the aws20 app, on 10.4, has none).
 *
 * Shared where it is safe, installed where it is not: aws21's cdktf is the same 0.21.0 as the
 * repository's but must resolve constructs 10.7 (its own node_modules), so it is installed there
 * (18 MB) rather than linked. The consumer apps of the tests link every package from here and
 * unpack nothing again.
 */
const ENVIRONMENTS = {
  aws20: { id: "aws20", flavour: "cdktf", installed: false, aws: "5.100.0", shared: ["cdktf", "constructs", "@cdktf/provider-aws"] },
  aws21: { id: "aws21", flavour: "cdktf", installed: true, aws: "6.25.0", shared: [], foreign: "cdktn" },
  cdktn: { id: "cdktn", flavour: "cdktn", installed: true, aws: "6.66.0", shared: [], foreign: "aws21" },
  "cdktn-cli": { id: "cdktn-cli", flavour: "cdktn", installed: true, shared: [] },
};

/** The node_modules directory that holds an environment's packages. */
function modulesOf(id) {
  const env = ENVIRONMENTS[id];
  if (env === undefined) throw new Error(`unknown framework environment ${JSON.stringify(id)}; known: ${Object.keys(ENVIRONMENTS).join(", ")}`);
  return env.installed ? path.join(CACHE, id, "node_modules") : path.join(ROOT, "node_modules");
}

/** Where `name` (a package) is in environment `id`: installed there, or shared from the repository. */
function packageDir(id, name) {
  const env = ENVIRONMENTS[id];
  return path.join(env.shared.includes(name) ? path.join(ROOT, "node_modules") : modulesOf(id), name);
}

/** The committed definition of an environment: its package.json (dependencies pinned) and lockfile. */
function definitionOf(id) {
  const dir = path.join(DEFINITIONS, id);
  return { dir, manifest: JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) };
}

/** The key of an installed environment: its lockfile and manifest bytes, and the install options. */
function keyOf(id) {
  const { dir } = definitionOf(id);
  const hash = crypto.createHash("sha256");
  for (const file of ["package.json", "package-lock.json"]) hash.update(fs.readFileSync(path.join(dir, file)));
  hash.update(JSON.stringify(installArgs(id)));
  return hash.digest("hex").slice(0, 16);
}

function installArgs(id) {
  // Exactly the lockfile (ci), from the npm cache where it has the tarballs, without install
  // scripts (none of these packages needs one; npm 11 would not run them unapproved anyway).
  return ["ci", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"];
}

/** The installed environment's stamp when it matches the committed lockfile, else undefined. */
function current(id) {
  try {
    const stamp = JSON.parse(fs.readFileSync(path.join(CACHE, id, STAMP), "utf8"));
    return stamp.key === keyOf(id) ? stamp : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Installs environment `id` unless it is installed from the same lockfile already. The install
 * runs in a directory of its own and is renamed into place when complete, so a run that stops
 * half-way, or two runs at once, never leave a half environment where the tests look.
 * Returns what was done and how long it took.
 */
function ensure(id) {
  const env = ENVIRONMENTS[id];
  if (env === undefined) throw new Error(`unknown framework environment ${JSON.stringify(id)}; known: ${Object.keys(ENVIRONMENTS).join(", ")}`);
  if (!env.installed) return record({ id, action: "shared", seconds: 0 });
  const ready = current(id);
  if (ready) return record({ id, action: "cached", seconds: 0, installedSeconds: ready.seconds });
  const release = lockEnvironment(id);
  try {
    // Another process may have installed it while this one waited for the lock.
    const installed = current(id);
    if (installed) return record({ id, action: "cached", seconds: 0, installedSeconds: installed.seconds });
    return record(install(id));
  } finally {
    release();
  }
}

/**
 * One install of an environment at a time across processes (two Jest workers, a build): a
 * directory made atomically, holding the owner's pid; a lock whose owner is gone is taken over.
 */
function lockEnvironment(id) {
  fs.mkdirSync(CACHE, { recursive: true });
  const dir = path.join(CACHE, `.${id}.lock`);
  const deadline = Date.now() + 15 * 60 * 1000;
  for (;;) {
    try {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, "pid"), String(process.pid));
      return () => fs.rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
    }
    const owner = Number(fs.readFileSync(path.join(dir, "pid"), { encoding: "utf8", flag: "a+" }) || NaN);
    if (Number.isInteger(owner) && !alive(owner)) fs.rmSync(dir, { recursive: true, force: true });
    else if (Date.now() > deadline) throw new Error(`the ${id} framework environment is locked by process ${owner} for 15 minutes (${dir})`);
    else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

/** Written where the test run asks (MAVIK_FLAVOUR_LOG), for the tier-times reporter. */
function record(result) {
  const log = process.env.MAVIK_FLAVOUR_LOG;
  if (log) fs.appendFileSync(log, `${JSON.stringify(result)}\n`);
  return result;
}

function install(id) {
  const started = Date.now();
  const { dir } = definitionOf(id);
  fs.mkdirSync(CACHE, { recursive: true });
  const temp = path.join(CACHE, `.${id}.${process.pid}.${Date.now()}`);
  fs.mkdirSync(temp);
  try {
    for (const file of ["package.json", "package-lock.json"]) fs.copyFileSync(path.join(dir, file), path.join(temp, file));
    execFileSync("npm", installArgs(id), { cwd: temp, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, npm_config_update_notifier: "false" } });
    const seconds = (Date.now() - started) / 1000;
    fs.writeFileSync(path.join(temp, STAMP), JSON.stringify({ key: keyOf(id), seconds }, null, 2));
    const target = path.join(CACHE, id);
    // Out with an old environment (another lockfile), then in with the new one.
    const old = path.join(CACHE, `.${id}.old.${process.pid}`);
    if (fs.existsSync(target)) fs.renameSync(target, old);
    fs.renameSync(temp, target);
    fs.rmSync(old, { recursive: true, force: true });
    return { id, action: "installed", seconds };
  } catch (e) {
    const stderr = e.stderr ? String(e.stderr) : "";
    throw new Error(`installing the ${id} framework environment (npm ${installArgs(id).join(" ")} in ${path.relative(ROOT, dir)}) failed:\n${stderr || e.message}`);
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

/** Every installed environment, or the ones named. */
function ensureAll(ids = Object.keys(ENVIRONMENTS)) {
  return ids.map(ensure);
}

/**
 * A source file as the given flavour imports: every module specifier naming one of the
 * framework's packages (`"cdktf"`, `"cdktf/lib/..."`, `"@cdktf/provider-aws/lib/..."`) renamed,
 * and the package's own name (`"@mavik/data-key"`) made the flavour's. Only string literals that
 * are whole specifiers change: `Symbol.for("cdktf/App")` and comments stay as they are.
 */
function rewriteSpecifiers(source, flavour) {
  const renames = RENAMES[flavour];
  if (renames === undefined) throw new Error(`unknown flavour ${JSON.stringify(flavour)}`);
  const name = FLAVOURS[flavour].name;
  return source.replace(/(\bfrom\s+|\brequire\(\s*|\bimport\(\s*|^import\s+)(["'])([^"'\n]+)\2/gm, (whole, lead, quote, spec) => {
    const renamed = renameSpecifier(spec, renames, name);
    return renamed === spec ? whole : `${lead}${quote}${renamed}${quote}`;
  });
}

function renameSpecifier(spec, renames, name) {
  if (spec === "@mavik/data-key") return name;
  for (const [from, to] of Object.entries(renames)) {
    if (spec === from) return to;
    if (spec.startsWith(`${from}/`)) return `${to}${spec.slice(from.length)}`;
  }
  return spec;
}

/** Rewrites the committed lockfiles from their package.json (`npm install --package-lock-only`). */
function lock(ids) {
  for (const id of ids) {
    const { dir } = definitionOf(id);
    execFileSync("npm", ["install", "--package-lock-only", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], { cwd: dir, stdio: "inherit" });
  }
}

module.exports = { CACHE, DEFINITIONS, ENVIRONMENTS, FLAVOURS, RENAMES, definitionOf, ensure, ensureAll, keyOf, modulesOf, packageDir, rewriteSpecifiers };

if (require.main === module) {
  const [command, ...ids] = process.argv.slice(2);
  const installed = Object.keys(ENVIRONMENTS).filter((id) => ENVIRONMENTS[id].installed);
  if (command === "install") {
    for (const r of ensureAll(ids.length ? ids : installed)) process.stdout.write(`${r.id}: ${r.action}${r.seconds ? ` in ${r.seconds.toFixed(1)} s` : ""}\n`);
  } else if (command === "lock") lock(ids.length ? ids : installed);
  else if (command === "path" && ids.length === 1) process.stdout.write(`${modulesOf(ids[0])}\n`);
  else {
    process.stderr.write("usage: node scripts/flavours.js install [ids...] | lock [ids...] | path <id>\n");
    process.exit(2);
  }
}
