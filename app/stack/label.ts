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
    const base = environment === undefined ? undefined : roleStatementCount(environment);
    const named = e.message.replace(/policy\.Statement\[(\d+)\]/g, (whole, n: string) =>
      base !== undefined && Number(n) >= base ? `additionalStatements[${Number(n) - base}] (${whole})` : whole,
    );
    throw new ConfigError(named.split("\n").map((line) => `${label}: ${line}`).join("\n"));
  }
}

/** How many statements the environment's roles write before its additional ones. */
function roleStatementCount(environment: EnvironmentConfig): number | undefined {
  try {
    return composeKeyPolicy({ ...environment, partition: partitionOf(environment.region), additionalStatements: [] }).document.Statement.length;
  } catch {
    return undefined;
  }
}
