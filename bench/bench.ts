/**
 * `npm run bench`: the commands as users type them, timed as whole processes, in one run, written
 * to docs/benchmark.md with the machine they ran on (and quoted in the README's bench-quote block).
 *
 * 1. The README's commands in a fresh clone of the repository (`git clone` of this one): `npm ci`
 *    with an empty npm cache (`--cache <empty dir>`) and again with that cache warm, `npm test`
 *    (`CI=true`), `npm run synth` the first time (the bundle is built) and warm, after an edit, the
 *    app command of cdktf.json, `npx cdktf synth` (`CHECKPOINT_DISABLE=1`), and `npx ts-node main.ts`
 *    for comparison (target: `npm run synth` and the app command at least 8x faster, warm);
 *    `npm run review` and `npm run verify -- --env nope` for the record.
 * 2. 100 generated environments, one stack each, with time and peak memory. cdktf's CLI is known
 *    to hang past about 25 stacks (terraform-cdk#3198); the app itself must not.
 * 3. One stack with 1,000 bound resources (250 per service) and with 10,000, encryption
 *    enforcement included. Targets: 1,000 in under 3 s; 10,000 at most 12x the 1,000 time.
 *
 * Options: --runs N (default 5), --envs N (default 100), --quick (no clone, no npm ci, no npm
 * test: the rest in this checkout, printed only, nothing written).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { writeBlocks } from "../scripts/generated-blocks";
import { BenchResults, benchmarkPage, benchQuote, duration, Timed } from "./report";

const ROOT = path.resolve(__dirname, "..", "..");
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const RUNS = option("runs", 5);
const ENVS = option("envs", 100);
const QUICK = args.includes("--quick");
const SPEEDUP_TARGET = 8;
const APP_COMMAND: string = JSON.parse(fs.readFileSync(path.join(ROOT, "cdktf.json"), "utf8")).app;
/** The highest 1-minute load average seen after a command: the machine may be busy with more than this run. */
let loadAverageMax = 0;
/** Where the commands run: a fresh clone, or (--quick) this checkout. */
let WORKDIR = ROOT;
/** The file an "edit" touches: every stack depends on it, so the bundle must be rebuilt. */
const edited = () => path.join(WORKDIR, "modules", "data-key", "data-key.ts");

interface Run {
  readonly seconds: number;
  readonly maxRssMb: number;
  /** Stacks the run wrote: the benchmark counts work done, not only time spent. */
  readonly stacks: number;
}

/** Runs a shell command line as a user would type it, in the work directory, timing the whole process. */
function run(commandLine: string, env: NodeJS.ProcessEnv = {}, expectedStatus: number | null = 0, whole = false): Run & { stdout: string; status: number | null } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-bench-"));
  const started = process.hrtime.bigint();
  // As typed in a terminal: not with the log level `npm run --silent bench` hands its children.
  const { npm_config_loglevel: _loglevel, ...inherited } = process.env;
  const result = spawnSync("sh", ["-c", commandLine], {
    cwd: WORKDIR,
    env: {
      ...inherited,
      CHECKPOINT_DISABLE: "1",
      // The install and the test suite run as a newcomer runs them; the others report their memory
      // and write into a temp directory of their own.
      ...(whole ? {} : { CDKTF_OUTDIR: outdir, NODE_OPTIONS: `--require ${path.join(ROOT, "bench", "report-rss.js")}` }),
      ...env,
    },
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  loadAverageMax = Math.max(loadAverageMax, os.loadavg()[0]);
  const stacksDir = path.join(outdir, "stacks");
  const stacks = fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir).length : 0;
  fs.rmSync(outdir, { recursive: true, force: true });
  if (expectedStatus !== null && result.status !== expectedStatus) throw new Error(`${commandLine} exited ${result.status}:\n${result.stderr.slice(-4000)}${result.stdout.slice(-4000)}`);
  // Every node process reports (npm, npx and the app): the largest is the app's.
  const reports = [...result.stderr.matchAll(/MAVIK_BENCH_MAXRSS_KB=(\d+)/g)].map((m) => Number(m[1]));
  return { seconds, maxRssMb: Math.max(0, ...reports) / 1024, stacks, stdout: `${result.stdout}${result.stderr}`, status: result.status };
}

/** Marks a source file as edited (a new modification time), as saving it in an editor does. */
function touch(file: string): void {
  const now = new Date();
  fs.utimesSync(file, now, now);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function repeat(times: number, once: () => Run): Run[] {
  return Array.from({ length: times }, once);
}

function generatedEnvironments(count: number): string {
  const seed = JSON.parse(fs.readFileSync(path.join(WORKDIR, "environments.json"), "utf8")).environments[0];
  const environments = Array.from({ length: count }, (_, i) => ({
    ...seed,
    name: `env-${String(i).padStart(3, "0")}`,
    accountId: String(100000000000 + i),
    existingKeyId: undefined,
  }));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mavik-bench-envs-")), "environments.json");
  fs.writeFileSync(file, JSON.stringify({ environments }));
  return file;
}

/** One environment with `perService` new buckets, tables, secrets and functions. */
function boundResources(perService: number): string {
  const seed = JSON.parse(fs.readFileSync(path.join(WORKDIR, "environments.json"), "utf8")).environments[0];
  const n = (i: number) => String(i).padStart(5, "0");
  const resources = {
    buckets: Array.from({ length: perService }, (_, i) => ({ name: `mavik-bench-bucket-${n(i)}` })),
    tables: Array.from({ length: perService }, (_, i) => ({ name: `mavik-bench-table-${n(i)}`, hashKey: "id" })),
    secrets: Array.from({ length: perService }, (_, i) => ({ name: `mavik/bench/secret-${n(i)}` })),
    functions: Array.from({ length: perService }, (_, i) => ({
      name: `mavik-bench-fn-${n(i)}`,
      role: "role/MavikLambdaRole",
      code: { imageUri: `167067248318.dkr.ecr.us-east-1.amazonaws.com/bench:${i}` },
    })),
  };
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mavik-bench-res-")), "environments.json");
  fs.writeFileSync(file, JSON.stringify({ environments: [{ ...seed, resources }] }));
  return file;
}

const row = (label: string, r: { seconds: number | null; maxRssMb?: number }, extra = "") =>
  `   ${label.padEnd(34)} ${(r.seconds ?? NaN).toFixed(3).padStart(7)} s   peak ${(r.maxRssMb ?? 0).toFixed(0).padStart(4)} MB${extra}`;

function summary(runs: Run[]): { seconds: number; maxRssMb: number; runs: number } {
  return { seconds: median(runs.map((r) => r.seconds)), maxRssMb: Math.round(median(runs.map((r) => r.maxRssMb))), runs: runs.length };
}

const once = (r: Run) => ({ seconds: r.seconds, maxRssMb: Math.round(r.maxRssMb), runs: 1 });
const notMeasured: Timed = { seconds: null, runs: 0 };
const version = (command: string) => spawnSync("sh", ["-c", command], { encoding: "utf8" }).stdout.trim();

export function main(): number {
  const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
  const loadAverage = os.loadavg().map((l) => Math.round(l * 100) / 100) as [number, number, number];
  const date = new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
  console.log(`mavik data-key benchmark: node ${process.version}, ${os.cpus().length} cores (${cpu}), load ${loadAverage.join(" / ")}, ${RUNS} runs each, medians\n`);

  let npmCiCold = notMeasured;
  let npmCiWarm = notMeasured;
  let npmTest = notMeasured;
  let packages: number | null = null;
  let tests: number | null = null;
  let testsFailed = 0;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-bench-clone-"));
  try {
    if (!QUICK) {
      // A newcomer's checkout: a fresh clone (the committed tree), an npm cache of its own.
      WORKDIR = path.join(scratch, "repo");
      const cache = path.join(scratch, "npm-cache");
      const clone = spawnSync("git", ["clone", "--quiet", ROOT, WORKDIR], { encoding: "utf8" });
      if (clone.status !== 0) throw new Error(`git clone ${ROOT} failed: ${clone.stderr}`);
      console.log(`0. the README's commands in a fresh clone (${WORKDIR})`);
      const cold = run(`npm ci --cache ${cache}`, {}, 0, true);
      // What npm ci installed, as its "added N packages" counts them: the lock's packages now in
      // node_modules, bundled ones aside.
      const lock = JSON.parse(fs.readFileSync(path.join(WORKDIR, "package-lock.json"), "utf8")).packages as Record<string, { inBundle?: boolean; link?: boolean }>;
      packages = Object.entries(lock).filter(([p, e]) => p !== "" && !e.inBundle && !e.link && fs.existsSync(path.join(WORKDIR, p))).length;
      npmCiCold = once(cold);
      console.log(row("npm ci (empty cache)", npmCiCold, `   ${packages ?? "?"} packages`));
      fs.rmSync(path.join(WORKDIR, "node_modules"), { recursive: true, force: true });
      npmCiWarm = once(run(`npm ci --cache ${cache}`, {}, 0, true));
      console.log(row("npm ci (warm cache)", npmCiWarm));
      // Timed whatever its outcome; a failure is recorded with the results, never hidden.
      const test = run("npm test", { CI: "true" }, null, true);
      const counts = /Tests:\s+(.*) total/.exec(test.stdout)?.[1] ?? "";
      tests = Number(/(\d+) passed/.exec(counts)?.[1] ?? NaN) || null;
      testsFailed = Number(/(\d+) failed/.exec(counts)?.[1] ?? 0);
      if (test.status !== 0) {
        testsFailed ||= 1;
        console.log(`   npm test exited ${test.status}:\n${test.stdout.split("\n").filter((l) => /✕|●|failed/.test(l)).slice(0, 20).join("\n")}`);
      }
      npmTest = once(test);
      console.log(row("CI=true npm test", npmTest, `   ${tests ?? "?"} tests passed, ${testsFailed} failed`));
      fs.rmSync(path.join(WORKDIR, "dist"), { recursive: true, force: true });
    }

    // The first synth of a checkout builds the bundle; then "warm" means what it says.
    const synthFirst = once(run("npm run --silent synth"));
    const tsNode = summary(repeat(RUNS, () => run("npx ts-node main.ts")));
    const synthWarm = summary(repeat(RUNS, () => run("npm run --silent synth")));
    const synthEdited = summary(repeat(RUNS, () => (touch(edited()), run("npm run --silent synth"))));
    const appWarm = summary(repeat(RUNS, () => run(APP_COMMAND)));
    const ratio = (r: { seconds: number }) => tsNode.seconds / r.seconds;
    const verdict = (r: { seconds: number }) => `   ${ratio(r).toFixed(1)}x (target >= ${SPEEDUP_TARGET}x: ${ratio(r) >= SPEEDUP_TARGET ? "met" : "MISSED"})`;
    console.log("\n1. synth of the shipped environments, whole commands, against ts-node in this run");
    console.log(row("npm run synth (first: builds)", synthFirst));
    console.log(row("npx ts-node main.ts", tsNode, "   1.0x (baseline)"));
    console.log(row("npm run synth (warm)", synthWarm, verdict(synthWarm)));
    console.log(row(`${APP_COMMAND} (cdktf.json, warm)`, appWarm, verdict(appWarm)));
    console.log(row("npm run synth (after an edit)", synthEdited, `   ${ratio(synthEdited).toFixed(1)}x (bundle rebuilt first)`));

    const cdktfSynth = summary(repeat(Math.min(RUNS, 3), () => run("npx cdktf synth")));
    const reviewOut = path.join(os.tmpdir(), "mavik-bench-review");
    const review = summary(repeat(RUNS, () => run(`npm run --silent review -- --out ${reviewOut}`)));
    fs.rmSync(reviewOut, { recursive: true, force: true });
    const verifyBadInput = summary(repeat(RUNS, () => run("npm run --silent verify -- --env nope", {}, 2)));
    console.log("\n   for the record, other everyday commands (warm):");
    console.log(row("npx cdktf synth (CLI + app command)", cdktfSynth));
    console.log(row("npm run review", review));
    console.log(row("npm run verify -- --env nope", verifyBadInput, "   (exits 2 at once: bad input)"));

    const config = generatedEnvironments(ENVS);
    const many = run(APP_COMMAND, { MAVIK_CONFIG: config });
    if (many.stacks !== ENVS) throw new Error(`expected ${ENVS} stacks, the app wrote ${many.stacks}`);
    console.log(`\n2. ${ENVS} generated environments, one stack each (${many.stacks} stacks written), app command`);
    console.log(row(APP_COMMAND, many, `   ${((many.seconds / ENVS) * 1000).toFixed(1)} ms per stack, ${(many.seconds / appWarm.seconds).toFixed(1)}x one stack`));
    fs.rmSync(path.dirname(config), { recursive: true, force: true });

    console.log("\n3. one stack with bound resources (all four services), enforcement included, app command");
    const sizes = [250, 2500].map((perService) => {
      const file = boundResources(perService);
      const result = run(APP_COMMAND, { MAVIK_CONFIG: file });
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
      console.log(row(`${(perService * 4).toLocaleString("en-US")} resources`, result));
      return { count: perService * 4, ...once(result) };
    });
    const scale = sizes[1].seconds / sizes[0].seconds;
    console.log(`   1,000 under 3 s: ${sizes[0].seconds < 3 ? "met" : "MISSED"}; 10,000 / 1,000 = ${scale.toFixed(1)}x (target <= 12x: ${scale <= 12 ? "met" : "MISSED"})`);

    if (QUICK) {
      console.log("\n--quick: nothing written (docs/benchmark.md holds a full run)");
      return 0;
    }
    const results: BenchResults = {
      date,
      machine: {
        cores: os.cpus().length,
        cpu,
        loadAverage,
        loadAverageMax: Math.round(loadAverageMax * 100) / 100,
        memoryGb: Math.round(os.totalmem() / 2 ** 30),
        platform: `${os.type()} ${os.arch()}`,
        node: process.version,
        npm: version("npm --version"),
      },
      packages,
      tests,
      testsFailed,
      commands: { npmCiCold, npmCiWarm, npmTest, synthFirst, synthWarm, synthEdited, appWarm, cdktfSynth, tsNode, review, verifyBadInput },
      scale: { environments: { count: ENVS, ...once(many) }, resources: sizes },
    };
    fs.writeFileSync(path.join(ROOT, "docs", "benchmark.md"), benchmarkPage(results));
    writeBlocks("bench", { "bench-quote": benchQuote(results) });
    console.log(`\nwrote docs/benchmark.md and the README's quote: npm ci ${duration(npmCiCold.seconds)} cold, npm test ${duration(npmTest.seconds)}`);
    return 0;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

if (require.main === module) process.exitCode = main();
