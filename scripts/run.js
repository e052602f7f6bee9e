#!/usr/bin/env node
/**
 * Runs one of the app's entry points as fast as a whole process can:
 *
 *   node scripts/run.js <main|review|comment|audit-issue|verify|bench|plan|bootstrap|deploy|reference|samples> [args...]
 *
 * The entry is bundled with esbuild (transpile only, cdktf and the provider classes included)
 * into dist/bundle/<name>.js, and the bundle runs in this process. The bundle is rebuilt only
 * when one of its inputs changed since it was built: every source and node_modules file esbuild
 * read (listed in dist/bundle/<name>.inputs.json), this script and tsconfig.json. A missing or
 * newer input means a rebuild, so an edit never runs stale code; an unchanged tree costs a few
 * hundred stat calls.
 *
 * Type-checking is not done here: `npm test` and `npm run typecheck` do it.
 * `npm run synth`, `npm run review`, `npm run verify`, `npm run bench` and the app command in
 * cdktf.json all come through this file.
 */
"use strict";
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const OUTDIR = path.join(ROOT, "dist", "bundle");
const ENTRIES = {
  main: "main.ts",
  review: "cli/review.ts",
  comment: "cli/comment.ts",
  "audit-issue": "cli/audit-issue.ts",
  verify: "cli/verify.ts",
  bench: "bench/bench.ts",
  plan: "cli/plan.ts",
  bootstrap: "cli/bootstrap.ts",
  deploy: "cli/deploy.ts",
  reference: "scripts/reference.ts",
  samples: "scripts/samples.ts",
};
/** Inputs esbuild does not list but the bundle depends on. */
const ALWAYS = [__filename, path.join(ROOT, "tsconfig.json")];

/** True when the bundle exists and no input is missing or newer than the build. */
function fresh(stampFile) {
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(stampFile, "utf8"));
  } catch {
    return false;
  }
  for (const input of [...stamp.inputs.map((i) => path.join(ROOT, i)), ...ALWAYS]) {
    const stat = fs.statSync(input, { throwIfNoEntry: false });
    if (stat === undefined || stat.mtimeMs > stamp.builtAt) return false;
  }
  return fs.existsSync(stamp.outfile);
}

/** Bundles `entry` into `outfile` and records its inputs; returns how long it took (ms). */
function bundle(entry, outfile, stampFile) {
  const started = Date.now();
  // Required only when a build is needed: a warm run never loads esbuild.
  const esbuild = require("esbuild");
  const result = esbuild.buildSync({
    entryPoints: [path.join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    metafile: true,
    write: false,
    logLevel: "error",
    // Keep class and function names: cdktf and error messages print them.
    keepNames: true,
  });
  const inputs = Object.keys(result.metafile.inputs).map((i) => path.relative(ROOT, path.resolve(process.cwd(), i)));
  fs.rmSync(cacheFileOf(outfile), { force: true });
  writeAtomically(outfile, result.outputFiles[0].contents);
  writeAtomically(stampFile, JSON.stringify({ builtAt: started, outfile, inputs }));
  return Date.now() - started;
}

/** Another process may be running the same entry: it sees the old file or the new, never half of one. */
function writeAtomically(file, data) {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, data);
  fs.renameSync(temp, file);
}

const cacheFileOf = (outfile) => `${outfile}.v8cache`;

/**
 * Loads the bundle as a CommonJS module through V8's code cache: compiling 3 MB of JavaScript is
 * about a quarter of a warm synth (measured), and the cache skips most of it. Node 22 does this
 * itself (module.enableCompileCache); Node 20 does not. V8 rejects a cache that does not match
 * the source, and a rebuild deletes it. Returns the exports and a function that writes the cache
 * once the code has run (so it holds the functions compiled on the way).
 */
function load(outfile) {
  const Module = require("module");
  const vm = require("vm");
  const cacheFile = cacheFileOf(outfile);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // Node's loader ignores a leading "#!" line (cli/verify.ts has one for the bin); so must this.
  const source = fs.readFileSync(outfile, "utf8").replace(/^#!/, "//");
  const script = new vm.Script(Module.wrap(source), { filename: outfile, cachedData });
  const mod = new Module(outfile, module);
  mod.filename = outfile;
  mod.paths = Module._nodeModulePaths(path.dirname(outfile));
  script.runInThisContext()(mod.exports, Module.createRequire(outfile), mod, outfile, path.dirname(outfile));
  mod.loaded = true;
  const keepCache = () => {
    if (cachedData === undefined || script.cachedDataRejected) writeAtomically(cacheFile, script.createCachedData());
  };
  return { exports: mod.exports, keepCache };
}

/** Builds when needed and returns the bundle's path. Exported for the tests and the benchmark. */
function prepare(name) {
  const entry = ENTRIES[name];
  if (entry === undefined) {
    throw new Error(`unknown entry ${JSON.stringify(name)}; expected one of ${Object.keys(ENTRIES).join(", ")}`);
  }
  const outfile = path.join(OUTDIR, `${name}.js`);
  const stampFile = path.join(OUTDIR, `${name}.inputs.json`);
  if (!fresh(stampFile)) {
    fs.mkdirSync(OUTDIR, { recursive: true });
    // Several processes starting at once (the workflows' scripts in the tests, a matrix on one
    // machine) build once: the first takes the lock, the others wait for its bundle. A lock older
    // than a build can take (a process killed while building) is taken over.
    const lockFile = path.join(OUTDIR, `${name}.lock`);
    let locked = false;
    for (const started = Date.now(); !locked && !fresh(stampFile); ) {
      try {
        fs.closeSync(fs.openSync(lockFile, "wx"));
        locked = true;
      } catch (e) {
        if (e.code !== "EEXIST") throw e;
        const age = Date.now() - (fs.statSync(lockFile, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
        if (age > 60_000 || Date.now() - started > 120_000) fs.rmSync(lockFile, { force: true });
        else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      }
    }
    if (locked) {
      try {
        if (!fresh(stampFile)) {
          const ms = bundle(entry, outfile, stampFile);
          if (process.env.MAVIK_RUN_VERBOSE) process.stderr.write(`bundled ${entry} in ${ms} ms\n`);
        }
      } finally {
        fs.rmSync(lockFile, { force: true });
      }
    }
  }
  return outfile;
}

module.exports = { prepare, ENTRIES };

if (require.main === module) {
  const [name, ...args] = process.argv.slice(2);
  let outfile;
  try {
    outfile = prepare(name);
  } catch (e) {
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(2);
  }
  const bundle = load(outfile);
  Promise.resolve(bundle.exports.main(args)).then(
    (code) => {
      process.exitCode = code;
      bundle.keepCache();
    },
    (e) => {
      process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
      process.exitCode = 1;
    },
  );
}
