import { parseArgs, ParseArgsConfig } from "util";

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
