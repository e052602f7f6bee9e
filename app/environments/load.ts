import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { ConfigError, DEFAULT_ALIAS, notAllowed } from "../../modules/index";
import { EnvironmentConfig } from "./environment";
import { environmentsFileSchema } from "./schema";

/**
 * Reads and checks an environments file. Every problem is reported at once, each naming the
 * field, the value and what is allowed; the file's path leads the message.
 */
export function loadEnvironments(file: string): EnvironmentConfig[] {
  const shown = path.relative(process.cwd(), file) || file;
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === "ENOENT"
        ? `config: "${shown}" is not allowed. The file does not exist; create it with { "environments": [...] } (docs/configuration.md) or point MAVIK_CONFIG at one.`
        : `config: "${shown}" is not allowed. It cannot be read: ${(e as Error).message}`,
    );
  }
  return parseEnvironments(text, shown);
}

/** Checks the text of an environments file; `shown` names it in messages (a path, or `<ref>:<path>`). */
export function parseEnvironments(text: string, shown: string): EnvironmentConfig[] {
  let data: unknown;
  try {
    // A byte-order mark (some editors save UTF-8 with one) is not JSON, and not a problem.
    data = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    throw new ConfigError(`config: "${shown}" is not allowed. It is not valid JSON: ${(e as Error).message}`);
  }
  if (Array.isArray(data)) {
    throw new ConfigError(
      `config: "${shown}" is not allowed. It is a bare list; the file is an object holding the list: { "environments": [ ... ] }.`,
    );
  }
  const parsed = environmentsFileSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    throw new ConfigError([`${shown}:`, ...parsed.error.issues.map(describeIssue)].join("\n  "));
  }
  const environments = parsed.data.environments as EnvironmentConfig[];
  if (environments.length === 0) {
    throw new ConfigError(`${shown}:\n  environments: [] is not allowed. List at least one environment (docs/configuration.md); an app of no stacks deploys nothing.`);
  }
  validateEnvironments(environments);
  return environments;
}

/** Checks across environments: unique names, and one alias per account and region. */
export function validateEnvironments(environments: readonly EnvironmentConfig[]): void {
  const names = new Map<string, number>();
  const aliases = new Map<string, EnvironmentConfig>();
  environments.forEach((env, i) => {
    const first = names.get(env.name);
    if (first !== undefined) {
      throw new ConfigError(notAllowed(`environments[${i}].name`, env.name, `Names are unique; environments[${first}] has it already.`));
    }
    names.set(env.name, i);
    const alias = env.alias ?? DEFAULT_ALIAS;
    const where = `${env.accountId}/${env.region}/${alias}`;
    const other = aliases.get(where);
    if (other !== undefined) {
      throw new ConfigError(
        notAllowed(
          `environments[${i}].alias`,
          alias,
          `Environment "${other.name}" uses it already in account ${env.accountId}, ${env.region}; an alias names one key per account and region.`,
        ),
      );
    }
    aliases.set(where, env);
  });
}

/**
 * What is legal but suspicious across environments, as warnings that `npm run synth` prints and
 * the review lists: two environments in one account and region with different aliases make two
 * data keys where the seed has one per account and region (§6: the same alias everywhere).
 */
export function environmentWarnings(environments: readonly EnvironmentConfig[]): { readonly environment: string; readonly message: string }[] {
  const warnings: { environment: string; message: string }[] = [];
  const first = new Map<string, { env: EnvironmentConfig; index: number }>();
  environments.forEach((env, i) => {
    const where = `${env.accountId}/${env.region}`;
    const other = first.get(where);
    if (other === undefined) {
      first.set(where, { env, index: i });
      return;
    }
    const alias = env.alias ?? DEFAULT_ALIAS;
    const otherAlias = other.env.alias ?? DEFAULT_ALIAS;
    if (alias !== otherAlias) {
      warnings.push({
        environment: env.name,
        message:
          `environments[${i}] (${env.name}): a second data key in account ${env.accountId}, ${env.region} (${alias}, beside ${otherAlias} of ` +
          `environments[${other.index}] (${other.env.name})); the seed keeps one key under one alias per account and region (§6).`,
      });
    }
  });
  return warnings;
}

/**
 * The environments named in `selector` (comma-separated), or all of them when it is empty.
 * `prop` names where the selector came from, for the error message.
 */
export function selectEnvironments(
  environments: readonly EnvironmentConfig[],
  selector: string | undefined,
  prop = "MAVIK_ENV",
): EnvironmentConfig[] {
  if (selector === undefined || selector.trim() === "") return [...environments];
  return selector.split(",").map((raw) => {
    const name = raw.trim();
    const env = environments.find((e) => e.name === name);
    if (!env) {
      throw new ConfigError(notAllowed(prop, name, `Known environments: ${environments.map((e) => e.name).join(", ") || "(none)"}.`));
    }
    return env;
  });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = pathText(issue.path);
  if (issue.code === "unrecognized_keys") {
    const allowed = fieldsAt(environmentsFileSchema, issue.path);
    return issue.keys
      .map((key) => `${pathText([...issue.path, key])}: unknown field. Allowed fields: ${allowed.join(", ")}.`)
      .join("\n  ");
  }
  if (issue.code === "invalid_type") {
    const expected = `Expected ${issue.expected === "array" ? "a list" : issue.expected === "object" ? "an object" : `a ${issue.expected}`}.`;
    return issue.input === undefined ? `${where}: missing. ${expected}` : notAllowed(where, issue.input, expected);
  }
  return notAllowed(where, issue.input, issue.message.replace(/^Invalid input: expected (.*)$/, "Expected $1."));
}

function pathText(parts: readonly PropertyKey[]): string {
  return parts.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("") || "(top level)";
}

/** The field names the schema allows at `path`, for "unknown field" messages. */
function fieldsAt(schema: z.ZodType, parts: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = schema;
  for (const part of parts) {
    current = unwrap(current);
    if (current instanceof z.ZodArray) current = current.element as z.ZodType;
    else if (current instanceof z.ZodObject) current = current.shape[String(part)] as z.ZodType;
    else if (current instanceof z.ZodRecord) current = current.valueType as z.ZodType;
    else return [];
  }
  current = unwrap(current);
  if (current instanceof z.ZodObject) return Object.keys(current.shape);
  if (current instanceof z.ZodUnion) {
    return [...new Set(current.options.flatMap((o) => (o instanceof z.ZodObject ? Object.keys(o.shape) : [])))];
  }
  return [];
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  return schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
}
