/**
 * The pull-request workflow, read by GitHub's own parser (@actions/workflow-parser, the one the
 * Actions language server uses): it is valid, plans each environment in a matrix job, and
 * reviews and comments whatever the plan did. The scripts it runs are tested in review.test.ts
 * (against real Terraform plans) and comment.test.ts (against recorded GitHub exchanges).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseWorkflowFile } from "./support/processes";
import { REPO } from "./support/synth";

const WORKFLOW = path.join(REPO, ".github", "workflows", "pr-review.yml");

const parse = (content: string) => parseWorkflowFile("pr-review.yml", content);

interface Step {
  id: string;
  name?: string;
  if: string;
  run?: string;
  uses?: string;
}

function stepsOf(template: any, job: string): Step[] {
  const found = template.jobs.find((j: any) => j.id.value === job);
  return found.steps.map((s: any) => ({ id: s.id, name: s.name?.value, if: s.if?.expr ?? String(s.if), run: s.run?.value, uses: s.uses?.value }));
}

describe("the pull-request workflow, as GitHub's parser reads it", () => {
  let parsed: Awaited<ReturnType<typeof parse>>;
  beforeAll(async () => {
    parsed = await parse(fs.readFileSync(WORKFLOW, "utf8"));
  });

  test("has no errors", () => {
    expect(parsed.errors).toEqual([]);
  });

  test.each([
    ["a misspelt key", "runs-on: ubuntu-latest\n    outputs:", "runs-on: ubuntu-latest\n    output:", "Unexpected value 'output'"],
    ["a need of a job that is not there", "needs: environments", "needs: environment", "Job 'review' depends on unknown job 'environment'."],
    ["an unclosed expression", "if: always()\n        env:\n          BASE", "if: always(\n        env:\n          BASE", "Unexpected end of expression: '('"],
  ])("the parser does catch a broken workflow: %s", async (_name, from, to, message) => {
    const text = fs.readFileSync(WORKFLOW, "utf8");
    expect(text).toContain(from);
    const { errors } = await parse(text.replace(from, to));
    expect(errors.map((e) => e.replace(/^pr-review\.yml \(Line: \d+, Col: \d+\): /, ""))).toEqual([message]);
  });

  test("plans every environment in parallel: a matrix over the listed environments, none cancelling the others", () => {
    const review = parsed.template!.jobs.find((j: any) => j.id.value === "review") as any;
    expect(review.needs.map((n: any) => n.value)).toEqual(["environments"]);
    const strategy = Object.fromEntries(review.strategy.map.map((e: any) => [e.key.value, e.value]));
    expect(strategy["fail-fast"].value).toBe(false);
    // Each entry an environment with its account, region and roles (deploy-workflow.test.ts).
    expect(strategy.matrix.expr).toBe("fromJSON(needs.environments.outputs.matrix)");
    expect(stepsOf(parsed.template, "environments").find((s) => s.id === "list")?.run).toBe(
      'echo "matrix=$(npm run --silent plan -- --matrix --base "$BASE")" >> "$GITHUB_OUTPUT"',
    );
  });

  test("reviews and comments whatever happened before: the review, the comment and the artifact always run", () => {
    const steps = stepsOf(parsed.template, "review");
    const byName = (name: string) => steps.find((s) => s.name === name)!;
    expect(byName("terraform plan")).toMatchObject({ run: 'scripts/ci/plan.sh "$ENVIRONMENT" plans' });
    expect(byName("Review")).toMatchObject({ if: "always()", run: 'scripts/ci/review.sh "$ENVIRONMENT" plans "$BASE"' });
    expect(byName("Post or update the environment's comment")).toMatchObject({ if: "always()", run: 'npm run --silent comment -- --env "$ENVIRONMENT"' });
    expect(byName("Keep the report")).toMatchObject({ if: "always()", uses: "actions/upload-artifact@v4" });
    // The plan comes after synth and the credentials, the review after the plan, the comment last but the artifact.
    const order = ["Synthesize", "Assume the plan role (OIDC)", "terraform plan", "Review", "Post or update the environment's comment", "Keep the report"];
    expect(steps.filter((s) => s.name && order.includes(s.name)).map((s) => s.name)).toEqual(order);
  });

  test("the scripts it runs exist and are executable, and the commands it runs are package scripts", () => {
    for (const script of ["plan.sh", "review.sh"]) {
      const stat = fs.statSync(path.join(REPO, "scripts", "ci", script));
      expect(stat.mode & 0o111).not.toBe(0);
    }
    const scripts = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).scripts;
    const text = fs.readFileSync(WORKFLOW, "utf8");
    for (const [, name] of text.matchAll(/npm run (?:--silent )?([a-z]+)/g)) expect(Object.keys(scripts)).toContain(name);
  });

  test("the base branch is fetched, so --base origin/<base> can be read", () => {
    const text = fs.readFileSync(WORKFLOW, "utf8");
    expect(text.match(/fetch-depth: 0/g)).toHaveLength(2);
    expect(text.match(/BASE: origin\/\$\{\{ github\.base_ref \}\}/g)).toHaveLength(2);
  });
});

/**
 * The pull-request workflow runs when a change touches a file the synthesis (or the review and
 * comment it runs) reads: its `paths` filter is compared with what the bundles read, as esbuild's
 * metafile lists them (scripts/run.js records it), and with what a synth run opens at run time
 * (traced), outside node_modules, whose contents package-lock.json decides.
 *
 * GitHub's filter patterns are matched with picomatch (`dot: true`: GitHub's `*` and `**` match
 * dot files too). The two agree on literal paths, `<dir>/**` and `*` within one path segment,
 * the only forms allowed below. They differ elsewhere (GitHub's "Filter pattern cheat sheet"):
 * GitHub's `?` is zero or one of the preceding character, picomatch's exactly one character;
 * GitHub's `+` is one or more of the preceding character, picomatch's an extglob; GitHub's `**`
 * inside a segment (`**.js`) crosses `/`, picomatch's is a `*`; GitHub's leading `!` negates the
 * patterns before it, in order, picomatch's one pattern; picomatch expands `{a,b}`.
 */
describe("the pull-request workflow runs for every file the synthesis reads", () => {
  const picomatch: (glob: string, options: { dot: boolean }) => (file: string) => boolean = require("picomatch");
  const text = fs.readFileSync(WORKFLOW, "utf8");
  let paths: string[];
  let read: Map<string, string>;

  beforeAll(async () => {
    const parsed = await parse(text);
    paths = parsed.template.events.pull_request.paths;
    read = filesTheWorkflowReads();
  }, 60_000);

  test("its paths are patterns GitHub and picomatch read alike: literal paths, <dir>/**, * within a segment", () => {
    const agreed = /^(?:[A-Za-z0-9._-]|\*(?!\*))+(?:\/(?:[A-Za-z0-9._-]|\*(?!\*))+)*(?:\/\*\*)?$/;
    expect(paths.filter((p) => !agreed.test(p))).toEqual([]);
    expect(paths.length).toBeGreaterThan(0);
  });

  test("every file read, outside node_modules, is matched by a pattern, and every pattern matches one", () => {
    const matchers = paths.map((p) => [p, picomatch(p, { dot: true })] as const);
    const unmatched = [...read].filter(([file]) => !matchers.some(([, m]) => m(file))).map(([file, why]) => `${file} (${why})`);
    expect(unmatched).toEqual([]);
    expect(matchers.filter(([, m]) => ![...read.keys()].some(m)).map(([p]) => p)).toEqual([]);
    // What the comparison stands on: the synth's own inputs and run-time reads are among them.
    expect([...read.keys()]).toEqual(expect.arrayContaining(["main.ts", "app/index.ts", "environments.json", "tsconfig.json", "package-lock.json"]));
  });

  test("the audit workflow has no paths filter: its schedule runs whatever changed", async () => {
    const audit = await parseWorkflowFile("audit.yml", fs.readFileSync(path.join(REPO, ".github", "workflows", "audit.yml"), "utf8"));
    expect(audit.errors).toEqual([]);
    expect(Object.keys(audit.template.events).sort()).toEqual(["schedule", "workflow_dispatch"]);
    expect(JSON.stringify(audit.template.events)).not.toMatch(/paths/);
  });

  /** Each file the workflow's commands read, with why: the bundles' inputs, a traced synth, the scripts it runs. */
  function filesTheWorkflowReads(): Map<string, string> {
    const files = new Map<string, string>();
    const add = (file: string, why: string) => {
      if (!file.startsWith("node_modules/") && !files.has(file)) files.set(file, why);
    };
    const scripts: Record<string, string> = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).scripts;
    // The shell scripts its steps run, and the ones they source.
    const shell = [...text.matchAll(/(scripts\/ci\/[a-z-]+\.sh)/g)].map((m) => m[1]);
    for (const script of [...shell]) {
      for (const [, sourced] of fs.readFileSync(path.join(REPO, script), "utf8").matchAll(/^source "\$\(dirname "\$0"\)\/([a-z-]+\.sh)"/gm)) shell.push(`scripts/ci/${sourced}`);
    }
    shell.forEach((s) => add(s, "a script the workflow runs"));
    // The bundles of scripts/run.js its commands run: npm scripts and the shell scripts.
    const entries = new Set<string>();
    for (const [, name] of text.matchAll(/npm run (?:--silent )?([a-z-]+)/g)) {
      const launched = /^node scripts\/run\.js ([a-z-]+)$/.exec(scripts[name] ?? "");
      if (launched) entries.add(launched[1]);
    }
    for (const script of shell) for (const [, name] of fs.readFileSync(path.join(REPO, script), "utf8").matchAll(/run\.js" ([a-z-]+)/g)) entries.add(name);
    expect([...entries].sort()).toEqual(["comment", "main", "plan", "review"]);
    const run = require(path.join(REPO, "scripts", "run.js")) as { prepare(name: string): string };
    for (const entry of entries) {
      const stamp = JSON.parse(fs.readFileSync(run.prepare(entry).replace(/\.js$/, ".inputs.json"), "utf8")) as { inputs: string[] };
      stamp.inputs.forEach((i) => add(i, `an input of the ${entry} bundle`));
    }
    // What `npm run synth` opens at run time, as the workflow runs it (environments.json by default).
    for (const file of tracedSynth()) add(file, "read by npm run synth");
    add("package.json", "npm ci, and the commands' scripts");
    add("package-lock.json", "npm ci: what node_modules holds");
    add("cdktf.json", "the app command `cdktf synth` runs");
    add(".github/workflows/pr-review.yml", "the workflow itself");
    return files;
  }
});

/**
 * The repository files `node scripts/run.js main` touches (opens, reads or stats) in a synth of
 * the default environments file, outside node_modules, dist/ and the output directory.
 */
function tracedSynth(): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-synth-trace-"));
  const log = path.join(dir, "read.json");
  const tracer = path.join(dir, "trace.js");
  fs.writeFileSync(
    tracer,
    `const fs = require("fs");
const seen = new Set();
for (const name of ["openSync", "readFileSync", "statSync", "lstatSync", "existsSync", "readdirSync", "accessSync"]) {
  const original = fs[name];
  fs[name] = function (file, ...rest) {
    if (typeof file === "string" || file instanceof URL) seen.add(String(file));
    return original.call(this, file, ...rest);
  };
}
process.on("exit", () => require("fs").writeFileSync(${JSON.stringify(log)}, JSON.stringify([...seen])));
`,
  );
  const outdir = path.join(dir, "out");
  const result = spawnSync(process.execPath, ["-r", tracer, path.join(REPO, "scripts", "run.js"), "main"], {
    cwd: REPO,
    encoding: "utf8",
    env: { PATH: process.env.PATH, CDKTF_OUTDIR: outdir },
  });
  expect([result.status, result.stderr]).toEqual([0, ""]);
  const touched = (JSON.parse(fs.readFileSync(log, "utf8")) as string[]).map((f) => path.relative(REPO, path.resolve(REPO, f)));
  return touched.filter((f) => !f.startsWith("..") && !/^(node_modules|dist)(\/|$)/.test(f) && f !== "" && fs.statSync(path.join(REPO, f), { throwIfNoEntry: false })?.isFile());
}
