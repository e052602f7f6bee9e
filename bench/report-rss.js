// Preloaded into a benchmarked process (node --require): reports its peak resident memory.
process.on("exit", () => {
  process.stderr.write(`\nMAVIK_BENCH_MAXRSS_KB=${process.resourceUsage().maxRSS}\n`);
});
