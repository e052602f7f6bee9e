/**
 * What `npm run bench` writes: docs/benchmark.md (the results, with the machine they were measured
 * on, and the results as JSON on its last line) and the README's quote of them (its
 * `bench-quote` block). `__tests__/generated-docs.test.ts` renders both again from that JSON line,
 * so neither page can say other numbers than the run measured.
 */

/** One timed command: a median of `runs` whole runs, or null when it was not measured. */
export interface Timed {
  readonly seconds: number | null;
  readonly runs: number;
  readonly maxRssMb?: number;
}

export interface BenchResults {
  /** When the run started (ISO 8601, minutes). */
  readonly date: string;
  readonly machine: {
    readonly cores: number;
    readonly cpu: string;
    /** The 1, 5 and 15 minute load averages when the run started. */
    readonly loadAverage: [number, number, number];
    /** The highest 1-minute load average seen after each command of the run (runs before it recorded none). */
    readonly loadAverageMax?: number;
    readonly memoryGb: number;
    readonly platform: string;
    readonly node: string;
    readonly npm: string;
  };
  /** Packages `npm ci` installed, and tests `npm test` ran. */
  readonly packages: number | null;
  readonly tests: number | null;
  /** Tests that failed in that run (0: `npm test` passed). */
  readonly testsFailed: number;
  readonly commands: {
    readonly npmCiCold: Timed;
    readonly npmCiWarm: Timed;
    readonly npmTest: Timed;
    readonly synthFirst: Timed;
    readonly synthWarm: Timed;
    readonly synthEdited: Timed;
    readonly appWarm: Timed;
    readonly cdktfSynth: Timed;
    readonly tsNode: Timed;
    readonly review: Timed;
    readonly verifyBadInput: Timed;
  };
  readonly scale: {
    readonly environments: { readonly count: number } & Timed;
    readonly resources: ({ readonly count: number } & Timed)[];
  };
}

/** A duration as people read it: 0.68 s, 7.5 s, 54 s, 2 min 16 s. */
export function duration(seconds: number | null): string {
  if (seconds === null) return "not measured";
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  if (seconds < 60) return `${seconds < 20 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

const times = (base: Timed, other: Timed) => (base.seconds && other.seconds ? `${(base.seconds / other.seconds).toFixed(1)}×` : "—");
const sum = (...t: Timed[]) => (t.every((x) => x.seconds !== null) ? t.reduce((a, x) => a + x.seconds!, 0) : null);

export function machineLine(r: BenchResults): string {
  const m = r.machine;
  const during = m.loadAverageMax === undefined ? "" : `, at most ${m.loadAverageMax.toFixed(2)} (1 min) after any of its commands`;
  return `${m.cores} cores (${m.cpu}), ${m.memoryGb} GB, ${m.platform}, Node ${m.node}, npm ${m.npm}; load average ${m.loadAverage.map((l) => l.toFixed(2)).join(" / ")} (1 / 5 / 15 min) when the run started${during}`;
}

/** docs/benchmark.md. */
export function benchmarkPage(r: BenchResults): string {
  const c = r.commands;
  const row = (command: string, t: Timed, note = "") => `| ${command} | ${duration(t.seconds)} | ${t.runs > 1 ? `median of ${t.runs}` : t.runs === 1 ? "one run" : ""} | ${note} |`;
  const scale = r.scale;
  return [
    "# Benchmark",
    "",
    `Written by \`npm run bench\` (\`bench/bench.ts\`) on ${r.date}; do not edit: run it again. Whole commands, timed`,
    "from start to exit, as a newcomer types them in a fresh clone of the repository. The machine:",
    "",
    machineLine(r) + ".",
    "",
    "Times depend on the machine and on what else runs on it: compare runs on one machine, at the",
    "load shown.",
    "",
    "## The commands the README tells you to type",
    "",
    "| command | time | runs | notes |",
    "|---|---|---|---|",
    row("`npm ci`, empty npm cache (`--cache <empty dir>`)", c.npmCiCold, r.packages === null ? "" : `${r.packages} packages, from the registry`),
    row("`npm ci`, warm cache", c.npmCiWarm, "the same packages, from the cache"),
    row("`npm test` (`CI=true`)", c.npmTest, `${r.tests ?? "?"} tests passed${r.testsFailed ? `, **${r.testsFailed} failed**` : ""}`),
    `| \`npm ci && npm test\`, warm cache | ${duration(sum(c.npmCiWarm, c.npmTest))} | | the sum of the two above |`,
    row("`npm run synth`, first run", c.synthFirst, "builds the bundle (scripts/run.js)"),
    row("`npm run synth`", c.synthWarm, `${times(c.tsNode, c.synthWarm)} faster than ts-node`),
    row("`npm run synth` after an edit", c.synthEdited, "the bundle rebuilt first"),
    row("`node scripts/run.js main` (the app command of `cdktf.json`)", c.appWarm, `${times(c.tsNode, c.appWarm)} faster than ts-node`),
    row("`npx cdktf synth` (`CHECKPOINT_DISABLE=1`)", c.cdktfSynth, "the CDKTF CLI around the app command"),
    row("`npx ts-node main.ts`", c.tsNode, "for comparison: type-checked on every run"),
    row("`npm run review`", c.review, "from the synthesized configuration"),
    row("`npm run verify -- --env nope`", c.verifyBadInput, "bad input: exits 2 at once"),
    "",
    "## Scale, through the app command",
    "",
    "| stacks and resources | time | peak memory |",
    "|---|---|---|",
    `| ${scale.environments.count} environments, one stack each | ${duration(scale.environments.seconds)} | ${scale.environments.maxRssMb ?? "—"} MB |`,
    ...scale.resources.map((s) => `| one stack with ${s.count.toLocaleString("en-US")} bound resources | ${duration(s.seconds)} | ${s.maxRssMb ?? "—"} MB |`),
    "",
    "The app runs itself, not through the CDKTF CLI, which is known to hang past about 25 stacks",
    "(terraform-cdk#3198).",
    "",
    `<!-- bench-results: ${JSON.stringify(r)} -->`,
    "",
  ].join("\n");
}

/** The README's quote of the results (its `bench-quote` block). */
export function benchQuote(r: BenchResults): string {
  const c = r.commands;
  return [
    `On a ${r.machine.cores}-core ${r.machine.cpu} at load ${r.machine.loadAverage[0].toFixed(1)}${r.machine.loadAverageMax === undefined ? "" : ` to ${r.machine.loadAverageMax.toFixed(1)}`} ([docs/benchmark.md](docs/benchmark.md)): \`npm ci\``,
    `${duration(c.npmCiCold.seconds)} with an empty npm cache, ${duration(c.npmCiWarm.seconds)} with a warm one; \`npm test\` ${duration(c.npmTest.seconds)}${r.testsFailed ? ` (${r.testsFailed} failed in that run)` : ""};`,
    `\`npm run synth\` ${duration(c.synthWarm.seconds)} (${duration(c.synthFirst.seconds)} the first time, when it builds its bundle); \`npx cdktf synth\` ${duration(c.cdktfSynth.seconds)}.`,
  ].join("\n");
}

/** The results recorded in docs/benchmark.md's last line. */
export function readResults(page: string): BenchResults {
  const m = /<!-- bench-results: (\{.*\}) -->/.exec(page);
  if (!m) throw new Error("docs/benchmark.md has no bench-results line: run npm run bench");
  return JSON.parse(m[1]);
}
