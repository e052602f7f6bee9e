#!/usr/bin/env node
/**
 * `npm run verify -- --env <name>`: seed §5 as one command, against a
 * deployed environment, read-only.
 *
 *   --env <name>          the environment (required)
 *   --since <7d|12h|date> the CloudTrail window (default 7d)
 *   --endpoint-url <url>  an emulator instead of AWS
 *   --json                the results as JSON on stdout
 *
 * Exit codes: 0 all pass; 1 something is wrong (wrong key, drift, rotation off, a destructive
 * event); 2 something could not be checked (no credentials, AccessDenied, a missing resource,
 * throttling past retries) or bad input.
 */
import * as path from "path";
import { ConfigError } from "../modules/index";
import { loadEnvironments, selectEnvironments } from "../app";
import { CommandIo, parseCommandLine } from "./options";
import { ClientOptions, Clients, createClients } from "./verify/commands";
import { verifyEnvironment } from "./verify/checks";
import { CheckResult, exitCode } from "./verify/outcome";
import { parseSince } from "./verify/since";

export interface VerifyIo extends CommandIo {
  /** Clients for the environment; tests pass mocked ones. */
  readonly clients?: (options: ClientOptions) => Clients;
  readonly now?: Date;
}

const USAGE = "usage: npm run verify -- --env <name> [--since 7d] [--endpoint-url <url>] [--json]";

export async function runVerify(argv: string[], io: VerifyIo, configFile = path.resolve(process.env.MAVIK_CONFIG ?? "environments.json")): Promise<number> {
  const values = parseCommandLine(
    argv,
    {
      env: { type: "string" },
      since: { type: "string", default: "7d" },
      "endpoint-url": { type: "string" },
      json: { type: "boolean", default: false },
    },
    USAGE,
    io,
  );
  if (values === undefined) return 2;
  let environment;
  let since: Date;
  try {
    if (!values.env) throw new ConfigError(`--env: missing. ${USAGE}`);
    [environment] = selectEnvironments(loadEnvironments(configFile), values.env, "--env");
    since = parseSince(values.since!, io.now);
  } catch (e) {
    io.stderr(`error: ${(e as Error).message}\n`);
    return 2;
  }

  const clients = (io.clients ?? createClients)({ region: environment.region, endpoint: values["endpoint-url"] });
  io.stderr(`verifying ${environment.name} (${environment.accountId}, ${environment.region})\n`);
  const results = await verifyEnvironment(environment, clients, { since, until: io.now, progress: (m) => io.stderr(`  … ${m}\n`) });
  if (values.json) io.stdout(JSON.stringify({ environment: environment.name, results, exitCode: exitCode(results) }, null, 2) + "\n");
  else io.stdout(table(results));
  return exitCode(results);
}

/** One line per check: status, check, target, reason. */
export function table(results: readonly CheckResult[]): string {
  const label = { pass: "PASS", fail: "FAIL", "could-not-check": "COULD NOT CHECK" };
  const rows = results.map((r) => [label[r.status], r.check, r.target, r.reason]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i].length), ["STATUS", "CHECK", "TARGET"][i].length));
  const line = (row: string[]) => row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]) : cell)).join("  ") + "\n";
  return line(["STATUS", "CHECK", "TARGET", "REASON"]) + rows.map(line).join("");
}

/** The command-line entry (`npm run verify`, through scripts/run.js). */
export function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  return runVerify(argv, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });
}

if (require.main === module) main().then((code) => (process.exitCode = code));
