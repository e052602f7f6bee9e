import { ConfigError } from "../common/errors";

/** How much a finding matters. Errors fail synth; warnings and infos are reported. */
export type Severity = "error" | "warning" | "info";

/** What a rule reports about one place. A rule never throws; the caller decides. */
export interface Finding {
  /** The rule's id, its file name: `unique-sids`. */
  readonly rule: string;
  readonly severity: Severity;
  /** Where: `policy.Statement[2].Action`. */
  readonly path: string;
  /** The full message, naming the place, the value and what is allowed. */
  readonly message: string;
}

/** A check, one per file, cdk-nag style. */
export interface Rule<T> {
  readonly id: string;
  readonly severity: Severity;
  /** One line: what the rule guards against. */
  readonly description: string;
  /**
   * Its warnings are about what was written (a name AWS may not know), not about the policy's
   * design: apps print them when they synthesize; the review lists every warning.
   * @default false
   */
  readonly input?: boolean;
  check(subject: T): Finding[];
}

/** Runs rules and throws one {@link ConfigError} listing every error finding. */
export function enforce<T>(rules: readonly Rule<T>[], subject: T): Finding[] {
  return failOnErrors(rules.flatMap((rule) => rule.check(subject)));
}

/** Throws one {@link ConfigError} listing every error finding; returns the others. */
export function failOnErrors(findings: Finding[]): Finding[] {
  const errors = findings.filter((f) => f.severity === "error");
  if (errors.length > 0) throw new ConfigError(errors.map((f) => f.message).join("\n"));
  return findings;
}
