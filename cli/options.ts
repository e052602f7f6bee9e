import { parseArgs, ParseArgsConfig } from "util";

/** Output of a command: tests capture it, the binaries write to the process streams. */
export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/**
 * The command line parsed strictly (unknown options are errors), or undefined after printing
 * the error and the usage: the caller then exits 2.
 */
export function parseCommandLine<O extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: O,
  usage: string,
  io: CommandIo,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>>["values"] | undefined {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    io.stderr(`error: ${(e as Error).message}\n${usage}\n`);
    return undefined;
  }
}
