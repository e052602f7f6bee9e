import { parseArgs, ParseArgsConfig } from "util";
import { z } from "zod";
import { ConfigError, notAllowed } from "../modules/index";

/** Output of a command: tests capture it, the binaries write to the process streams. */
export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

type Options = NonNullable<ParseArgsConfig["options"]>;
type Values<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>>["values"];

/**
 * The command line parsed strictly (unknown options are errors), `--help` included. Returns the
 * values, or the exit code when the command is already done: 0 after printing the usage for
 * `--help`, 2 after printing an error and the usage.
 */
export function parseCommandLine<O extends Options>(argv: string[], options: O, usage: string, io: CommandIo): Values<O> | number {
  let values: Values<O> & { help?: boolean };
  try {
    values = parseArgs({ args: argv, options: { ...options, help: { type: "boolean" } }, strict: true, allowPositionals: false }).values as typeof values;
  } catch (e) {
    io.stderr(`error: ${(e as Error).message}\n${usage}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout(`${usage}\n`);
    return 0;
  }
  return values;
}

/** A JSON value's type as a message names it: `an object`, `an array`, `null`, `a string ("update")`. */
export function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  const text = JSON.stringify(value);
  const shown = text.length > 40 ? `${text.slice(0, 37)}…` : text;
  return `${typeof value === "string" ? "a string" : typeof value === "number" ? "a number" : `a ${typeof value}`} (${shown})`;
}

/** A JSON path as `resource_changes[0].change.actions`; the document itself is `(top level)`. */
export function jsonPath(parts: readonly PropertyKey[]): string {
  return parts.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("") || "(top level)";
}

const ARTICLE: Record<string, string> = { array: "an array", object: "an object", record: "an object", string: "a string", number: "a number", boolean: "a boolean", null: "null" };

/**
 * One problem zod found in JSON a command reads (parsed with `reportInput: true`), as
 * `<path>: expected an array, got an object`, `<path>: missing`, `<path>: expected one of "a"|"b",
 * got "c"`: the path, what was expected, and what is there.
 */
export function describeJsonIssue(issue: z.core.$ZodIssue): string {
  const where = jsonPath(issue.path);
  const input = (issue as { input?: unknown }).input;
  if (issue.code === "invalid_type") {
    if (input === undefined) return `${where}: missing`;
    return `${where}: expected ${ARTICLE[issue.expected] ?? issue.expected}, got ${jsonType(input)}`;
  }
  if (issue.code === "invalid_value") return `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join("|")}, got ${jsonType(input)}`;
  if (issue.code === "too_small" && issue.origin === "array") return `${where}: expected at least ${issue.minimum} item${Number(issue.minimum) === 1 ? "" : "s"}, got none`;
  return `${where}: ${issue.message.replace(/^Invalid (input|option): /, "")}`;
}

/**
 * The one environment name of a command that acts on one environment a run (verify, deploy): a
 * list such as `npm run review -- --env a,b` takes is refused with a {@link ConfigError} naming
 * the option, never read as its first name. `why` says why one, and what to do instead.
 */
export function oneEnvironmentName(option: string, value: string, why: string): string {
  if (value.includes(",")) throw new ConfigError(notAllowed(option, value, why));
  return value;
}
