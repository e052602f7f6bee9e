// A Jest reporter: after the run, each test file's wall time (its tier), longest first, and the
// run's total, so the place where the time goes is visible in every CI log. A file runs once per
// Jest project it belongs to (aws20: everything; aws21 and cdktn: the unit tier against the other
// framework environments), and its project stands before its name. The flavour tier (the aws21
// and cdktn projects and the flavour tests of aws20) is summed on its own line, with what its
// framework environments cost this run (scripts/flavours.js: cached, or installed and how long).
const fs = require("fs");
const path = require("path");

/** The aws20 files that test the other flavours (the packed packages, their synth, the CLI). */
const FLAVOUR_FILES = /(^|\/)(flavours|flavour-env)\.test\.ts$/;

class TierTimes {
  onRunStart() {
    this.started = Date.now();
    this.files = [];
  }

  onTestResult(test, result) {
    const { start, end } = result.perfStats;
    const project = test.context.config.displayName?.name ?? "";
    const file = path.relative(process.cwd(), test.path);
    this.files.push({ project, file, seconds: (end - start) / 1000, tests: result.numPassingTests + result.numFailingTests });
  }

  onRunComplete() {
    const rows = [...this.files].sort((a, b) => b.seconds - a.seconds);
    const label = (r) => `${r.project ? `${r.project} ` : ""}${r.file}`;
    const width = Math.max(...rows.map((r) => label(r).length), 10);
    const lines = rows.map((r) => `  ${label(r).padEnd(width)}  ${r.seconds.toFixed(1).padStart(6)} s  ${String(r.tests).padStart(4)} tests`);
    const total = ((Date.now() - this.started) / 1000).toFixed(1);
    process.stderr.write(`\nTime per test file (tier), 2 workers in parallel:\n${lines.join("\n")}\n${flavourLine(rows)}  Jest wall time: ${total} s\n\n`);
  }
}

/** The flavour tier's worker time and its environments, or nothing when no flavour test ran. */
function flavourLine(rows) {
  const flavour = rows.filter((r) => (r.project !== "" && r.project !== "aws20") || FLAVOUR_FILES.test(r.file));
  if (flavour.length === 0) return "";
  const byProject = {};
  for (const r of flavour) byProject[r.project || "-"] = (byProject[r.project || "-"] ?? 0) + r.seconds;
  const parts = Object.entries(byProject).map(([p, s]) => `${p} ${s.toFixed(1)} s`);
  const sum = flavour.reduce((a, r) => a + r.seconds, 0);
  return `  Flavour tier: ${sum.toFixed(1)} s of worker time (${parts.join(", ")}); framework environments: ${environments()}\n`;
}

/** What scripts/flavours.js recorded this run: each environment once, the install if there was one. */
function environments() {
  const log = process.env.MAVIK_FLAVOUR_LOG;
  let records = [];
  try {
    records = fs.readFileSync(log, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    return "none used";
  }
  const seen = new Map();
  for (const r of records) if (r.action !== "shared" && (!seen.has(r.id) || r.action === "installed")) seen.set(r.id, r);
  if (seen.size === 0) return "none installed";
  return [...seen.values()]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((r) => (r.action === "installed" ? `${r.id} installed in ${r.seconds.toFixed(1)} s` : `${r.id} cached${r.installedSeconds ? ` (its install took ${r.installedSeconds.toFixed(1)} s)` : ""}`))
    .join(", ");
}

module.exports = TierTimes;
