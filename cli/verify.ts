#!/usr/bin/env node
/**
 * `npm run verify -- --env <name>`: seed §5 as one command, against one deployed environment (a
 * list of names is refused: a run has one environment's credentials), read-only. `--preflight`: the checks to run before a deploy instead. `--discover`: every
 * bucket, table, secret and function of the account and region against the key (verify/discover.ts).
 *
 * Exit codes: 0 all pass; 1 something is wrong (wrong key, drift, rotation off, a destructive
 * event; for --preflight, what would make the deploy fail or do harm); 2 something could not be
 * checked (no credentials, AccessDenied, a missing resource, throttling past retries, the
 * deadline) or bad input.
 */
import * as path from "path";
import { ConfigError } from "../modules/index";
import { EnvironmentConfig, loadEnvironments, selectEnvironments } from "../app";
import { CommandIo, oneEnvironmentName, parseCommandLine } from "./options";
import { ClientOptions, Clients, createClients, deadline, destroyClients } from "./verify/commands";
import { verifyEnvironment } from "./verify/checks";
import { discoverEnvironment, discoverMarkdown, discoverText } from "./verify/discover";
import { auditRolePolicy } from "./verify/audit-role";
import { verifyMarkdown } from "./verify/markdown";
import { CheckResult, exitCode } from "./verify/outcome";
import { preflightEnvironment } from "./verify/preflight";
import { parseSince } from "./verify/since";

export interface VerifyIo extends CommandIo {
  /** Clients for the environment; tests pass mocked ones. */
  readonly clients?: (options: ClientOptions) => Clients;
  readonly now?: Date;
}

export const USAGE = `usage: npm run verify -- --env <name> [options]

  --env <name>            the one environment to check (required; a list such as a,b is refused)
  --since <7d|12h|date>   the CloudTrail window (default 7d, at most 90 days)
  --key-id <id>           the key the alias must target (default: existingKeyId, else the state's key_id output)
  --timeout <seconds>     the whole run's deadline (default 120); a call still under way then is "could not check"
  --endpoint-url <url>    an http(s) endpoint instead of AWS's (an emulator)
  --preflight             the checks before a deploy instead (caller, principals, alias, an existing key's live policy,
                          state bucket, lock table, lockout)
  --discover              every bucket, table, secret and function of the account and region, and the key each uses;
                          prints a resources block for environments.json that adopts what is not on the key
  --objects <n>           with --discover: the first n objects (1 to 1000) of each adopted bucket, and each adopted
                          secret's current version, checked for the key (binding does not re-encrypt)
  --json                  the results as JSON on stdout
  --markdown              the results as markdown on stdout (an issue, a pull-request comment)
  --audit-role-policy     print the read-only IAM policy the scheduled audit's role needs for the environment, call nothing
  --help                  this text

Exit codes: 0 all pass; 1 something is wrong; 2 something could not be checked, or bad input.`;

const KEY_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;

export async function runVerify(argv: string[], io: VerifyIo, configFile = path.resolve(process.env.MAVIK_CONFIG ?? "environments.json")): Promise<number> {
  const values = parseCommandLine(
    argv,
    {
      env: { type: "string" },
      since: { type: "string", default: "7d" },
      "key-id": { type: "string" },
      timeout: { type: "string", default: "120" },
      "endpoint-url": { type: "string" },
      preflight: { type: "boolean", default: false },
      discover: { type: "boolean", default: false },
      objects: { type: "string" },
      json: { type: "boolean", default: false },
      markdown: { type: "boolean", default: false },
      "audit-role-policy": { type: "boolean", default: false },
    },
    USAGE,
    io,
  );
  if (typeof values === "number") return values;
  let environment;
  let since: Date;
  let seconds: number;
  let objects: number | undefined;
  const endpoint = values["endpoint-url"];
  try {
    if (!values.env) throw new ConfigError("--env: missing. Which environment? npm run verify -- --env <name> (--help for all options)");
    // One set of credentials a run (each environment's role, in its account and region): one environment.
    const selected = oneEnvironmentName(
      "--env",
      values.env,
      "verify checks one environment a run, with that environment's credentials: name one, and run verify once for each (the audit workflow runs a job per environment).",
    );
    [environment] = selectEnvironments(loadEnvironments(configFile), selected, "--env");
    since = parseSince(values.since!, io.now);
    seconds = Number(values.timeout);
    if (!/^\d+(\.\d+)?$/.test(values.timeout!) || seconds <= 0 || seconds > 3600) {
      throw new ConfigError(`--timeout: ${JSON.stringify(values.timeout)} is not allowed. Seconds, more than 0 and at most 3600.`);
    }
    if (values["key-id"] !== undefined && !KEY_ID.test(values["key-id"])) {
      throw new ConfigError(`--key-id: ${JSON.stringify(values["key-id"])} is not allowed. A key id such as cb424700-0dd0-4dcb-a77d-13af16579270 (not an ARN or alias).`);
    }
    if (values.json && values.markdown) throw new ConfigError("--markdown: not allowed with --json. Choose one output.");
    if (values.discover && values.preflight) throw new ConfigError("--discover: not allowed with --preflight. Choose one.");
    if (values.objects !== undefined) {
      if (!values.discover) throw new ConfigError("--objects: not allowed without --discover. It samples the objects of the buckets discover finds adopted.");
      objects = Number(values.objects);
      if (!/^\d+$/.test(values.objects) || objects < 1 || objects > 1000) {
        throw new ConfigError(`--objects: ${JSON.stringify(values.objects)} is not allowed. A whole number of objects per bucket, 1 to 1000 (one ListObjectsV2 page).`);
      }
    }
    if (endpoint !== undefined && !isHttpUrl(endpoint)) {
      throw new ConfigError(`--endpoint-url: ${JSON.stringify(endpoint)} is not allowed. An http(s) URL such as http://127.0.0.1:4566.`);
    }
  } catch (e) {
    io.stderr(`error: ${(e as Error).message}\n`);
    return 2;
  }

  if (values["audit-role-policy"]) {
    io.stdout(JSON.stringify(auditRolePolicy(environment), null, 2) + "\n");
    return 0;
  }
  if (values.discover) return runDiscover(environment, io, { endpoint, seconds, keyId: values["key-id"], objects, output: values.json ? "json" : values.markdown ? "markdown" : "text" });
  const clients = (io.clients ?? createClients)({ region: environment.region, stateRegion: environment.state.region, endpoint });
  const limit = deadline(seconds);
  const mode = values.preflight ? "preflight" : "verifying";
  io.stderr(`${mode} ${environment.name} (${environment.accountId}, ${environment.region})\n`);
  const progress = (m: string) => io.stderr(`  … ${m}\n`);
  let results: CheckResult[];
  try {
    results = values.preflight
      ? await preflightEnvironment(environment, clients, { progress, signal: limit.signal })
      : await verifyEnvironment(environment, clients, { since, until: io.now, progress, signal: limit.signal, keyId: values["key-id"] });
  } finally {
    limit.clear();
    destroyClients(clients);
  }
  if (values.json) io.stdout(JSON.stringify({ environment: environment.name, mode: values.preflight ? "preflight" : "verify", results, exitCode: exitCode(results) }, null, 2) + "\n");
  else if (values.markdown) io.stdout(verifyMarkdown(environment.name, results, values.preflight ? "preflight" : "verify"));
  else io.stdout(table(results));
  return exitCode(results);
}

/** `--discover`: with verify's clients, retries and deadline. */
async function runDiscover(
  environment: EnvironmentConfig,
  io: VerifyIo,
  o: { endpoint?: string; seconds: number; keyId?: string; objects?: number; output: "json" | "markdown" | "text" },
): Promise<number> {
  const clients = (io.clients ?? createClients)({ region: environment.region, stateRegion: environment.state.region, endpoint: o.endpoint });
  const limit = deadline(o.seconds);
  io.stderr(`discovering ${environment.name} (${environment.accountId}, ${environment.region})\n`);
  let report;
  try {
    report = await discoverEnvironment(environment, clients, { progress: (m) => io.stderr(`  … ${m}\n`), signal: limit.signal, keyId: o.keyId, objects: o.objects });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.stderr(`error: ${e.message}\n`);
    return 2;
  } finally {
    limit.clear();
    destroyClients(clients);
  }
  if (o.output === "json") io.stdout(JSON.stringify({ mode: "discover", ...report }, null, 2) + "\n");
  else if (o.output === "markdown") io.stdout(discoverMarkdown(report));
  else io.stdout(discoverText(report));
  return report.exitCode;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
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
