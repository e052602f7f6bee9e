// Starts the slowest test files first, so two workers finish together. Jest orders by the last
// run's timings when it has them; a fresh CI checkout has none, and file size is a poor guess
// for suites whose time is spent in Terraform, npm and TypeScript child processes.
const Sequencer = require("@jest/test-sequencer").default;
const path = require("path");

/** Heaviest first, by measured wall time; files not listed follow in Jest's own order. */
const HEAVY = ["deploy-docs", "audit-workflow", "remote-state", "package", "flavours", "terraform", "review", "typecheck", "commands", "examples", "deploy-workflow"];

class HeaviestFirst extends Sequencer {
  async sort(tests) {
    const rank = (test) => {
      const i = HEAVY.indexOf(path.basename(test.path).replace(/\.test\.ts$/, ""));
      return i === -1 ? HEAVY.length : i;
    };
    const ordered = await super.sort(tests);
    return [...ordered].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = HeaviestFirst;
