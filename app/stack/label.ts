import { composeKeyPolicy, ConfigError, partitionOf } from "../../modules/index";
import { EnvironmentConfig } from "../environments/environment";

/**
 * Runs `build` for one environment; a {@link ConfigError} comes out with the environment's label
 * before each line, and `policy.Statement[n]` of an added statement named as the
 * `additionalStatements[k]` the environment wrote.
 */
export function inEnvironment<T>(label: string, environment: EnvironmentConfig | undefined, build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const named = namingAddedStatements(e.message, environment);
    throw new ConfigError(named.split("\n").map((line) => `${label}: ${line}`).join("\n"));
  }
}

/** A message with each `policy.Statement[n]` that is one of the environment's additional statements named as such. */
export function namingAddedStatements(message: string, environment: EnvironmentConfig | undefined): string {
  const base = environment === undefined ? undefined : roleStatementCount(environment);
  return message.replace(/policy\.Statement\[(\d+)\]/g, (whole, n: string) =>
    base !== undefined && Number(n) >= base ? `additionalStatements[${Number(n) - base}] (${whole})` : whole,
  );
}

/** How many statements the environment's roles write before its additional ones. */
function roleStatementCount(environment: EnvironmentConfig): number | undefined {
  try {
    return composeKeyPolicy({ ...environment, partition: partitionOf(environment.region), additionalStatements: [] }).document.Statement.length;
  } catch {
    return undefined;
  }
}
