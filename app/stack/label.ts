import { ConfigError } from "../../modules/index";
import { EnvironmentConfig } from "../environments/environment";

/**
 * Runs `build` for one environment; a {@link ConfigError} comes out with the environment's label
 * before each line. The constructs already name the fields the environment wrote (`services[1]`,
 * `additionalStatements[0] (policy.Statement[5])`), as a program using them directly sees them.
 */
export function inEnvironment<T>(label: string, _environment: EnvironmentConfig | undefined, build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new ConfigError(e.message.split("\n").map((line) => `${label}: ${line}`).join("\n"));
  }
}
