/**
 * Thrown at synth time for bad input, before anything reaches Terraform.
 *
 * Every message names the prop, the value received and what is allowed:
 * `alias: "mavik-key" is not allowed. An alias must start with "alias/".`
 */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Throws a {@link ConfigError} for `prop` with the received `value` and the rule it broke. */
export function invalid(prop: string, value: unknown, allowed: string): never {
  throw new ConfigError(notAllowed(prop, value, allowed));
}

/** Throws a {@link ConfigError} for a required `prop` that was not given. */
export function missing(prop: string, allowed: string): never {
  throw new ConfigError(`${prop}: missing. ${allowed}`);
}

/** The one message shape for bad input: `<prop>: <value> is not allowed. <what is allowed>` */
export function notAllowed(prop: string, value: unknown, allowed: string): string {
  return `${prop}: ${show(value)} is not allowed. ${allowed}`;
}

/** Renders a received value for an error message: strings quoted, long ones shortened. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 60)}…(${text.length} characters)` : text;
}
