// A Jest reporter: after the run, each test file's wall time (its tier), longest first, and the
// run's total, so the place where the time goes is visible in every CI log.
const path = require("path");

class TierTimes {
  onRunStart() {
    this.started = Date.now();
    this.files = [];
  }

  onTestResult(test, result) {
    const { start, end } = result.perfStats;
    this.files.push({ file: path.relative(process.cwd(), test.path), seconds: (end - start) / 1000, tests: result.numPassingTests + result.numFailingTests });
  }

  onRunComplete() {
    const rows = [...this.files].sort((a, b) => b.seconds - a.seconds);
    const width = Math.max(...rows.map((r) => r.file.length), 10);
    const lines = rows.map((r) => `  ${r.file.padEnd(width)}  ${r.seconds.toFixed(1).padStart(6)} s  ${String(r.tests).padStart(4)} tests`);
    const total = ((Date.now() - this.started) / 1000).toFixed(1);
    process.stderr.write(`\nTime per test file (tier), 2 workers in parallel:\n${lines.join("\n")}\n  Jest wall time: ${total} s\n\n`);
  }
}

module.exports = TierTimes;
