/**
 * `npm run bench`: synth speed and scale, measured in one run on this machine.
 *
 * 1. The app's synth (node on compiled JavaScript, what `npm run synth` and `cdktf synth` run)
 *    against `npx ts-node main.ts`, as medians and their ratio. Target: at least 8x faster.
 * 2. 100 generated environments, one stack each, with time and peak memory. cdktf's CLI is known
 *    to hang past about 25 stacks (terraform-cdk#3198); the app itself must not.
 *
 * 3. One stack with 1,000 bound resources (250 per service) and with 10,000, encryption
 *    enforcement included. Targets: 1,000 in under 3 s; 10,000 at most 12x the 1,000 time.
 *
 * Options: --runs N (default 5), --envs N (default 100).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const RUNS = option("runs", 5);
const ENVS = option("envs", 100);
const SPEEDUP_TARGET = 8;

interface Run {
  readonly seconds: number;
  readonly maxRssMb: number;
  /** Stacks the run wrote: the benchmark counts work done, not only time spent. */
  readonly stacks: number;
}

function run(command: string, commandArgs: string[], env: NodeJS.ProcessEnv = {}): Run {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-bench-"));
  const started = process.hrtime.bigint();
  const result = spawnSync(command, commandArgs, {
    cwd: ROOT,
    env: { ...process.env, CDKTF_OUTDIR: outdir, NODE_OPTIONS: `--require ${path.join(ROOT, "bench", "report-rss.js")}`, ...env },
    encoding: "utf8",
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stacksDir = path.join(outdir, "stacks");
  const stacks = fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir).length : 0;
  fs.rmSync(outdir, { recursive: true, force: true });
  if (result.status !== 0) throw new Error(`${command} ${commandArgs.join(" ")} failed:\n${result.stderr}`);
  // The last report is the process that ran the app (npx reports for itself first).
  const reports = [...result.stderr.matchAll(/MAVIK_BENCH_MAXRSS_KB=(\d+)/g)].map((m) => Number(m[1]));
  return { seconds, maxRssMb: Math.max(0, ...reports) / 1024, stacks };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function generatedEnvironments(count: number): string {
  const seed = JSON.parse(fs.readFileSync(path.join(ROOT, "environments.json"), "utf8")).environments[0];
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
  const seed = JSON.parse(fs.readFileSync(path.join(ROOT, "environments.json"), "utf8")).environments[0];
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

function main(): void {
  const compiled = path.join(ROOT, "dist", "main.js");
  console.log(`mavik data-key benchmark: node ${process.version}, ${os.cpus().length} cores, ${RUNS} runs each\n`);

  const ours = Array.from({ length: RUNS }, () => run(process.execPath, [compiled]));
  const tsNode = Array.from({ length: RUNS }, () => run("npx", ["ts-node", "main.ts"]));
  const oursMedian = median(ours.map((r) => r.seconds));
  const tsNodeMedian = median(tsNode.map((r) => r.seconds));
  const ratio = tsNodeMedian / oursMedian;
  console.log("1. synth of the shipped environments (median wall time)");
  console.log(`   node dist/main.js      ${oursMedian.toFixed(3)} s   peak ${median(ours.map((r) => r.maxRssMb)).toFixed(0)} MB`);
  console.log(`   npx ts-node main.ts    ${tsNodeMedian.toFixed(3)} s   peak ${median(tsNode.map((r) => r.maxRssMb)).toFixed(0)} MB`);
  console.log(`   ratio                  ${ratio.toFixed(1)}x faster (target >= ${SPEEDUP_TARGET}x: ${ratio >= SPEEDUP_TARGET ? "met" : "MISSED"})\n`);

  const config = generatedEnvironments(ENVS);
  const many = run(process.execPath, [compiled], { MAVIK_CONFIG: config });
  const one = median(ours.map((r) => r.seconds));
  if (many.stacks !== ENVS) throw new Error(`expected ${ENVS} stacks, the app wrote ${many.stacks}`);
  console.log(`2. ${ENVS} generated environments, one stack each (${many.stacks} stacks written)`);
  console.log(`   node dist/main.js      ${many.seconds.toFixed(3)} s   peak ${many.maxRssMb.toFixed(0)} MB`);
  console.log(`   per stack              ${((many.seconds / ENVS) * 1000).toFixed(1)} ms   (${(many.seconds / one).toFixed(1)}x the one-stack time)`);
  fs.rmSync(path.dirname(config), { recursive: true, force: true });

  console.log("\n3. one stack with bound resources (all four services), enforcement included");
  const sizes = [250, 2500].map((perService) => {
    const file = boundResources(perService);
    const result = run(process.execPath, [compiled], { MAVIK_CONFIG: file });
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
    console.log(`   ${String(perService * 4).padStart(6)} resources     ${result.seconds.toFixed(3)} s   peak ${result.maxRssMb.toFixed(0)} MB`);
    return result;
  });
  const scale = sizes[1].seconds / sizes[0].seconds;
  console.log(`   1,000 under 3 s: ${sizes[0].seconds < 3 ? "met" : "MISSED"}; 10,000 / 1,000 = ${scale.toFixed(1)}x (target <= 12x: ${scale <= 12 ? "met" : "MISSED"})`);
}

main();
