/** `--since`: a duration back from now (`7d`, `12h`, `90m`) or an ISO date (`2026-11-01`). */
export function parseSince(value: string, now = new Date()): Date {
  const duration = /^(\d+)([dhm])$/.exec(value);
  if (duration) {
    const amount = Number(duration[1]);
    if (amount === 0) throw new Error(`--since: ${JSON.stringify(value)} is not allowed. A window must be longer than zero.`);
    const ms = { d: 86_400_000, h: 3_600_000, m: 60_000 }[duration[2] as "d" | "h" | "m"];
    const since = new Date(now.getTime() - amount * ms);
    return checkRange(value, since, now);
  }
  if (/^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/.test(value) && !Number.isNaN(Date.parse(value))) {
    return checkRange(value, new Date(value), now);
  }
  throw new Error(`--since: ${JSON.stringify(value)} is not allowed. Use a duration such as 7d, 12h or 90m, or a date such as 2026-11-01.`);
}

/** CloudTrail's LookupEvents covers the last 90 days. */
function checkRange(value: string, since: Date, now: Date): Date {
  if (since.getTime() > now.getTime()) throw new Error(`--since: ${JSON.stringify(value)} is not allowed. It is in the future.`);
  if (now.getTime() - since.getTime() > 90 * 86_400_000) {
    throw new Error(`--since: ${JSON.stringify(value)} is not allowed. CloudTrail's event history covers the last 90 days.`);
  }
  return since;
}
