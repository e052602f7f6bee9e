/**
 * verify's results as markdown, for an issue or a pull-request comment: what is wrong first, what
 * could not be checked next, the passes folded away, and the key's usage as a small table per day
 * and caller.
 */
import { CheckResult, exitCode } from "./outcome";

export interface UsageDetails {
  readonly window?: string;
  readonly events?: number;
  readonly byDay?: Record<string, Record<string, number>>;
}

const MARK = { fail: "⛔", "could-not-check": "❔", pass: "✅" } as const;

/** `verify` (or `--preflight`) results of one environment as markdown. */
export function verifyMarkdown(environment: string, results: readonly CheckResult[], mode: "verify" | "preflight" = "verify"): string {
  const count = (status: CheckResult["status"]) => results.filter((r) => r.status === status).length;
  const lines = [
    `## Data key ${mode === "preflight" ? "preflight" : "verify"}: \`${environment}\``,
    "",
    `**${count("fail")} wrong, ${count("could-not-check")} not checked, ${count("pass")} passed** (exit ${exitCode(results)}).`,
    "",
  ];
  const table = (rows: readonly CheckResult[]) => [
    "| | check | target | result |",
    "|---|---|---|---|",
    ...rows.map((r) => `| ${MARK[r.status]} | ${r.check} | \`${cell(r.target)}\` | ${cell(r.reason)} |`),
  ];
  const problems = results.filter((r) => r.status !== "pass").sort((a, b) => (a.status === b.status ? 0 : a.status === "fail" ? -1 : 1));
  if (problems.length) lines.push(...table(problems), "");
  const passes = results.filter((r) => r.status === "pass");
  if (passes.length) lines.push(`<details><summary>${passes.length} passed</summary>`, "", ...table(passes), "", "</details>", "");

  const usage = results.find((r) => r.check === "usage" && r.status === "pass")?.details as UsageDetails | undefined;
  if (usage?.byDay) {
    lines.push(`### Key usage${usage.window ? `, ${usage.window}` : ""}`, "");
    const days = Object.keys(usage.byDay).sort().reverse();
    if (days.length === 0) lines.push("No events.");
    else {
      lines.push("| day | caller | events |", "|---|---|---|");
      for (const day of days) {
        const callers = Object.entries(usage.byDay[day]).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
        for (const [caller, n] of callers) lines.push(`| ${day} | \`${cell(shortCaller(caller))}\` | ${n} |`);
      }
    }
    lines.push("");
  }
  return lines.join("\n");
}

/** A role or user ARN as `role/Name`, `user/name`; services and the rest as they are. */
function shortCaller(caller: string): string {
  return caller.replace(/^arn:aws[a-z-]*:iam::\d{12}:/, "");
}

/**
 * A table cell from text AWS or a resource name wrote: pipes escaped, one line, no HTML (a
 * "</details>" in an error message would fold the report), and no @mention (a session name may
 * hold "@"; GitHub would notify whoever it names).
 */
export function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ").replace(/</g, "&lt;").replace(/@(?=[A-Za-z0-9])/g, "@\u200b");
}
