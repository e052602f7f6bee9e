/**
 * Every command of every page runs in a test, or is listed here as needing AWS or GitHub with the
 * test that runs its offline stand-in: no silent gaps. The commands are the lines of the `sh` code
 * blocks of README.md, CONTRIBUTING.md, docs/*.md and examples/*\/README.md.
 *
 * This file runs nothing heavy itself: the commands run where they are already run.
 * - docs/deploy.md's `<!-- test: … -->` blocks run in deploy-docs.test.ts, in order; any page's
 *   command that is one of them is covered by that run.
 * - each example's README command runs in examples.test.ts, which reads the README.
 * - every other command is in COVERAGE below, with the test (file and title) that runs it, or the
 *   same call in-process, or checks what it writes; each named test is checked to exist.
 */
import * as fs from "fs";
import * as path from "path";
import { pages } from "../scripts/generated-blocks";
import { REPO } from "./support/synth";

interface Covered {
  /** "runs": the test runs the command or the same call in-process; "checks": too slow for the suite, its output is checked. */
  readonly how: "runs" | "checks" | "needs AWS" | "needs GitHub" | "the install" | "the test runner";
  readonly file: string;
  readonly test: string;
  /** For a command that needs AWS or GitHub, or is only checked: what runs in its place. */
  readonly instead?: string;
}

const COVERAGE: Record<string, Covered> = {
  "npm ci && npm run synth": {
    how: "the install",
    file: "__tests__/commands.test.ts",
    test: "write the same bytes as the app in-process",
    instead: "npm ci installs the tree the tests run from (a test cannot reinstall it); npm run synth runs here, and the clean-clone check and npm run bench run both halves",
  },
  "npm ci && npm test": { how: "the test runner", file: ".ci/run", test: "npm ci && npm test", instead: "CI on a clean clone runs exactly this line (checked below)" },
  "npm test": { how: "the test runner", file: "package.json", test: '"test": "jest"', instead: "the suite itself" },
  "CI=true npx jest __tests__/commands.test.ts": { how: "the test runner", file: "package.json", test: '"test": "jest"', instead: "the suite, one file of it" },
  "npm run typecheck": { how: "runs", file: "__tests__/typecheck.test.ts", test: "tsc -p tsconfig.json --noEmit reports no error" },
  "npm run docs": {
    how: "checks",
    file: "__tests__/generated-docs.test.ts",
    test: "is current (run npm run docs)",
    instead: "TypeDoc costs about 14 s of CPU: docs.test.ts checks API.md's input hash, generated-docs.test.ts renders every reference block again",
  },
  "npm run samples": {
    how: "checks",
    file: "__tests__/generated-docs.test.ts",
    test: "is what verify prints today",
    instead: "the wire samples rendered again here; the review sample checked against the offline plan deploy-docs.test.ts makes",
  },
  "npm run generate": { how: "checks", file: "__tests__/typecheck.test.ts", test: "the KMS action table is generated from the installed service authorization data", instead: "the generated tables rendered again from the installed data" },
  // package.test.ts and flavours.test.ts build and pack each flavour (buildAndPack) and run this suite on the tarball.
  "npm run build": { how: "runs", file: "__tests__/support/flavour-suite.ts", test: "ships exactly the compiled sources, their declarations, the manifest and the documents" },
  "npm run package": { how: "runs", file: "__tests__/support/flavour-suite.ts", test: "ships exactly the compiled sources, their declarations, the manifest and the documents" },
  "npm run bench": { how: "checks", file: "__tests__/generated-docs.test.ts", test: "the page is what the recorded results render", instead: "minutes of timing: docs/benchmark.md and the README's quote are checked against the results it recorded" },
  "npm run verify -- --env prod --discover": { how: "runs", file: "__tests__/generated-docs.test.ts", test: "is what verify prints today" },
  "npm run verify -- --env prod --discover --json": { how: "runs", file: "__tests__/discover-wire.test.ts", test: "each state, with the key it uses and why" },
  "npm run verify -- --env prod --discover --markdown": { how: "runs", file: "__tests__/discover-wire.test.ts", test: "--markdown: counts, one table, the block folded, the re-encryption note" },
  "npm run verify -- --env prod --discover --objects 100": { how: "runs", file: "__tests__/discover-wire.test.ts", test: "an adopted bucket's first n objects, and an adopted secret's current version" },
  "npm run verify -- --env prod --preflight": { how: "runs", file: "__tests__/generated-docs.test.ts", test: "is what verify prints today" },
  "npm run verify -- --env prod --since 24h --json": { how: "runs", file: "__tests__/verify.test.ts", test: "the command users type too (npm run verify, through scripts/run.js), and --since is honoured" },
  "npm run verify -- --env prod --markdown": { how: "runs", file: "__tests__/verify-wire.test.ts", test: "what is wrong first, then what was not checked, the passes folded, usage per day and caller" },
  "npm run bootstrap -- --policy prod:plan": { how: "runs", file: "__tests__/bootstrap.test.ts", test: "npm run bootstrap -- --policy <env>:<kind> prints the policy for a role of your own" },
  "npm run review": { how: "runs", file: "__tests__/review.test.ts", test: "the command users type exits 2 too (npm run review, through scripts/run.js)" },
  "export CHECKPOINT_DISABLE=1": { how: "runs", file: "__tests__/deploy-docs.test.ts", test: "the CDKTF CLI synthesizes through the app command, offline, with no [ERROR] line (CHECKPOINT_DISABLE=1)" },
  "MAVIK_TF_PROVIDER_MIRROR=/opt/tf-plugins npm run plan -- --env prod --offline": {
    how: "runs",
    file: "__tests__/deploy-docs.test.ts",
    test: "the offline plan made no call: with a dead proxy and no credentials, it planned, and the review labels it",
  },
  "npx cdktf diff prod": {
    how: "needs AWS",
    file: "__tests__/deploy-docs.test.ts",
    test: "%s #%d: %s exits 0",
    instead: "npm run plan -- --env prod in deploy.md's deploy chain: the same plan through the same S3 backend, on s3rver and the wire-level AWS",
  },
  "npx cdktf deploy prod": {
    how: "needs AWS",
    file: "__tests__/deploy-docs.test.ts",
    test: "the deploy applied the adoption through the S3 backend",
    instead: "npm run deploy -- --env prod in deploy.md's deploy chain: the apply, on s3rver and the wire-level AWS",
  },
  "terraform -chdir=cdktf.out/stacks/prod init": {
    how: "needs AWS",
    file: "__tests__/remote-state.test.ts",
    test: "terraform plan runs against prod's synthesized S3 backend, locked with use_lockfile",
    instead: "real terraform init and plan of the synthesized stack through its S3 backend, on s3rver",
  },
  "terraform -chdir=cdktf.out/stacks/prod plan": {
    how: "needs AWS",
    file: "__tests__/remote-state.test.ts",
    test: "terraform plan runs against prod's synthesized S3 backend, locked with use_lockfile",
    instead: "real terraform init and plan of the synthesized stack through its S3 backend, on s3rver",
  },
};

/** One line of a page's `sh` block, comments and blank lines left out. */
interface Command {
  readonly page: string;
  readonly command: string;
  /** The marker right before the block (`test: chain`, `needs-aws: chain`), if any. */
  readonly marker?: string;
}

function commands(): Command[] {
  return pages().flatMap((page) => {
    const text = fs.readFileSync(path.join(REPO, page), "utf8");
    return [...text.matchAll(/(?:<!-- ([a-z-]+: [a-z-]+) -->\n)?```sh\n([\s\S]*?)```/g)].flatMap((m) =>
      m[2]
        .split("\n")
        .map((l) => l.replace(/\s+#.*$/, "").trim())
        .filter((l) => l !== "" && !l.startsWith("#"))
        .map((command) => ({ page, command, marker: m[1] })),
    );
  });
}

const ALL = commands();
const deployChains = new Set(ALL.filter((c) => c.page === "docs/deploy.md" && c.marker?.startsWith("test: ")).map((c) => c.command));
const exampleCommands = new Set(ALL.filter((c) => c.page.startsWith("examples/")).map((c) => c.command));

function coverageOf(c: Command): string {
  if (deployChains.has(c.command)) return "runs in deploy-docs.test.ts (docs/deploy.md's chains)";
  if (exampleCommands.has(c.command)) return "runs in examples.test.ts (the example's README)";
  const covered = COVERAGE[c.command];
  return covered ? `${covered.how}: ${covered.file}` : "NOT COVERED: run it in a test, or list it in COVERAGE with its stand-in";
}

test("the pages have commands, and every page's sh block is found", () => {
  expect(ALL.length).toBeGreaterThan(40);
  for (const page of ["README.md", "CONTRIBUTING.md", "docs/deploy.md", "docs/verify.md", "examples/minimal-key/README.md"]) {
    expect(ALL.some((c) => c.page === page)).toBe(true);
  }
});

test("every command of every page is run by a test, or listed with what runs in its place", () => {
  const uncovered = ALL.filter((c) => coverageOf(c).startsWith("NOT COVERED")).map((c) => `${c.page}: ${c.command}`);
  expect(uncovered).toEqual([]);
});

test("docs/deploy.md's commands that need AWS are exactly its needs-aws block, each listed with its stand-in", () => {
  const needsAws = ALL.filter((c) => c.marker?.startsWith("needs-aws: ")).map((c) => c.command);
  expect(needsAws.length).toBeGreaterThan(0);
  for (const command of needsAws) expect([command, COVERAGE[command]?.how]).toEqual([command, "needs AWS"]);
  expect(Object.entries(COVERAGE).filter(([, c]) => c.how === "needs AWS").map(([command]) => command).sort()).toEqual([...needsAws].sort());
});

test("every entry of COVERAGE is a command of a page (none stale), and every test it names exists", () => {
  const onPages = new Set(ALL.map((c) => c.command));
  expect(Object.keys(COVERAGE).filter((command) => !onPages.has(command))).toEqual([]);
  for (const [command, covered] of Object.entries(COVERAGE)) {
    const source = fs.readFileSync(path.join(REPO, covered.file), "utf8");
    expect([command, covered.file, source.includes(covered.test)]).toEqual([command, covered.file, true]);
    if (covered.how !== "runs") expect([command, (covered.instead ?? "").length > 0]).toEqual([command, true]);
  }
});

test(".ci/run runs exactly the README's test command", () => {
  const ci = fs.readFileSync(path.join(REPO, ".ci", "run"), "utf8").trim().split("\n");
  const readme = ALL.filter((c) => c.page === "README.md" && c.command.endsWith("npm test")).map((c) => c.command);
  expect(readme).toEqual(["npm ci && npm test"]);
  expect(ci[ci.length - 1]).toBe(readme[0]);
});

test("the README's quickstart is docs/deploy.md's offline chain, so the same run covers both", () => {
  const quickstart = ALL.filter((c) => c.page === "README.md" && !c.command.startsWith("npm ci")).map((c) => c.command);
  const offline = ALL.filter((c) => c.page === "docs/deploy.md" && c.marker === "test: offline").map((c) => c.command);
  expect(quickstart).toEqual(offline);
});

test("the scripts the pages run through npm are the package's", () => {
  const scripts = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).scripts;
  const named = [...new Set(ALL.flatMap((c) => [...c.command.matchAll(/npm run ([a-z-]+)/g)].map((m) => m[1])))];
  expect(named.filter((n) => !(n in scripts))).toEqual([]);
});
