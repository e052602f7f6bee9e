/**
 * The generated blocks of the pages (scripts/generated-blocks.ts) are what their generators make
 * of today's code: the configuration reference from the zod schema, the stack's resources, outputs
 * and diagram from what it synthesizes, the rules and usage texts from the code, verify's samples
 * from a run against the wire-level fake AWS, the benchmark page and the README's quote of it from
 * the results the benchmark recorded. (The review samples are checked in deploy-docs.test.ts,
 * which makes the quickstart's offline plan anyway.)
 */
import * as fs from "fs";
import * as path from "path";
import { benchmarkPage, benchQuote, readResults } from "../bench/report";
import { Block, ensureNewline, readBlocks } from "../scripts/generated-blocks";
import { referenceBlocks } from "../scripts/reference";
import { runWireSample, WIRE_SAMPLES } from "../scripts/samples";
import { REPO } from "./support/synth";

const BLOCKS = readBlocks();
const byCommand = (command: string) => BLOCKS.filter((b) => b.command === command);
/** Each page's block against its rendering, with the command that writes it in the message. */
const expectCurrent = (b: Block, rendered: string | undefined) =>
  expect({ page: b.page, block: b.name, text: b.body }).toEqual({ page: b.page, block: b.name, text: rendered === undefined ? "(no such block)" : ensureNewline(rendered) });

describe("npm run docs: the reference blocks", () => {
  const rendered = referenceBlocks();

  test("every block the generator makes is on a page, and every docs block of the pages is one it makes", () => {
    expect([...new Set(byCommand("docs").map((b) => b.name))].sort()).toEqual(Object.keys(rendered).sort());
    expect(BLOCKS.filter((b) => !["docs", "samples", "bench"].includes(b.command))).toEqual([]);
  });

  test.each(byCommand("docs").map((b) => [`${b.page}: ${b.name}`, b] as [string, Block]))("%s is current (run npm run docs)", (_name, b) => {
    expectCurrent(b, rendered[b.name]);
  });

  test("the configuration reference names every field of the schema, with a description", () => {
    const reference = rendered["config-reference"];
    for (const field of ["name", "accountId", "existingKeyId", "state", "locking", "resources", "buckets", "decryptAlarm", "exemptions", "roles", "repository"]) {
      expect(reference).toContain(`| \`${field}\` |`);
    }
    expect(reference).not.toMatch(/\| {2}\|$/m);
  });
});

describe("npm run samples: verify's tables, on the wire", () => {
  test.each(WIRE_SAMPLES.map((s) => [s.name, s] as [string, (typeof WIRE_SAMPLES)[number]]))("%s is what verify prints today", async (name, sample) => {
    const { text, code } = await runWireSample(sample);
    const shown = byCommand("samples").filter((b) => b.name === name);
    expect(shown.length).toBeGreaterThan(0);
    for (const b of shown) expectCurrent(b, `\`\`\`text\n${text.trimEnd()}\n\`\`\`\n\nExit code ${code}.`);
  });

  test("the samples show what they are for: a failing row, a clean preflight, something to adopt, no credentials", async () => {
    const text = Object.fromEntries(byCommand("samples").map((b) => [b.name, b.body]));
    expect(text["sample-verify"]).toMatch(/^FAIL {4}secret {14}mavik\/ssot\/db .*names the alias ARN/m);
    expect(text["sample-preflight"]).not.toMatch(/^(FAIL|COULD NOT CHECK)/m);
    expect(text["sample-discover"]).toContain("resource(s) to adopt");
    expect(text["sample-no-credentials"]).toContain("COULD NOT CHECK  key");
    expect(text["sample-no-credentials"]).toContain("Exit code 2.");
  });
});

describe("npm run bench: docs/benchmark.md and the README's quote of it", () => {
  const page = () => fs.readFileSync(path.join(REPO, "docs", "benchmark.md"), "utf8");
  const results = () => readResults(page());

  test("the page is what the recorded results render (no number edited by hand)", () => {
    expect(page()).toBe(benchmarkPage(results()));
  });

  test("the README quotes those results, and names the machine", () => {
    const quote = byCommand("bench");
    expect(quote.map((b) => `${b.page}: ${b.name}`)).toEqual(["README.md: bench-quote"]);
    expectCurrent(quote[0], benchQuote(results()));
    expect(quote[0].body).toContain(`${results().machine.cores}-core ${results().machine.cpu}`);
  });

  test("every command the README tells a newcomer to type was measured", () => {
    const c = results().commands;
    for (const t of [c.npmCiCold, c.npmCiWarm, c.npmTest, c.synthFirst, c.synthWarm, c.cdktfSynth]) expect(t.seconds).toBeGreaterThan(0);
  });
});
