/**
 * A saved plan, as `terraform show -json <plan>` prints it: read, checked, and asked about the
 * data key. Every problem with the input is a {@link PlanInputError} naming the file and the JSON
 * path, never a stack trace.
 */
import * as fs from "fs";
import { z } from "zod";
import { DATA_KEY_ID, EnvironmentConfig, stackIdentity, StackIdentity } from "../../app";
import { readPolicy } from "../../modules/index";
import { describeJsonIssue, jsonType } from "../options";

export class PlanInputError extends Error {}

const change = z.object({
  actions: z.array(z.enum(["no-op", "create", "read", "update", "delete", "forget"])).min(1),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  after_unknown: z.unknown().optional(),
  importing: z.unknown().optional(),
});
const resourceChange = z.object({ address: z.string(), type: z.string(), deposed: z.string().optional(), change });
const expression = z.object({ constant_value: z.unknown().optional() }).passthrough();
const planSchema = z.object({
  format_version: z.string(),
  resource_changes: z.array(resourceChange).optional(),
  planned_values: z.object({ outputs: z.record(z.string(), z.object({ value: z.unknown().optional() }).passthrough()).optional() }).passthrough(),
  configuration: z
    .object({
      // A provider's nested block (endpoints, assume_role, default_tags) is a list of expression objects.
      provider_config: z.record(z.string(), z.object({ expressions: z.record(z.string(), z.union([expression, z.array(z.unknown())])).optional() }).passthrough()).optional(),
      root_module: z.object({ outputs: z.record(z.string(), z.object({ expression: expression.optional() }).passthrough()).optional() }).passthrough().optional(),
    })
    .passthrough()
    .optional(),
});

export type Plan = z.infer<typeof planSchema>;
export type ResourceChange = z.infer<typeof resourceChange>;

export const KEY_ADDRESS = `aws_kms_key.${DATA_KEY_ID}`;
export const ALIAS_ADDRESS = `aws_kms_alias.${DATA_KEY_ID}`;

/** Reads `terraform show -json` of a saved plan from `file`, for `environment`; throws {@link PlanInputError}. */
export function readPlan(file: string, environment: EnvironmentConfig): Plan {
  const where = `--plan ${environment.name}=${file}`;
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new PlanInputError(`${where}: the file cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new PlanInputError(`${where}: it is not JSON (${(e as Error).message}). Expected the output of terraform show -json <plan>.`);
  }
  return checkPlan(data, where, environment);
}

/** Checks parsed JSON as a plan of `environment`; `where` names the input in messages. */
export function checkPlan(data: unknown, where: string, environment: EnvironmentConfig): Plan {
  const record = typeof data === "object" && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;
  if (record !== undefined && "values" in record && !("planned_values" in record) && !("resource_changes" in record)) {
    throw new PlanInputError(
      `${where}: it is terraform show -json of a state, not of a saved plan (it has "values" and no "planned_values"). Run terraform plan -out=plan.bin, then terraform show -json plan.bin.`,
    );
  }
  // reportInput: the issue holds what is there, so a wrong type is told from a missing field.
  const parsed = planSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) throw new PlanInputError(`${where}: ${describeJsonIssue(parsed.error.issues[0])}. Expected the output of terraform show -json <plan>.`);
  checkIdentity(parsed.data, where, environment);
  checkKeyPolicies(parsed.data, where);
  return parsed.data;
}

/**
 * The data key's policy, before and after, is JSON of a policy: the review reads it statement by
 * statement, and a policy it cannot read must not pass for a key without one ("would be destroyed").
 */
function checkKeyPolicies(plan: Plan, where: string): void {
  (plan.resource_changes ?? []).forEach((rc, i) => {
    if (rc.address !== KEY_ADDRESS || rc.deposed !== undefined) return;
    for (const side of ["before", "after"] as const) {
      const value = rc.change[side];
      const policy = value !== null && typeof value === "object" ? (value as Record<string, unknown>).policy : undefined;
      const path = `resource_changes[${i}].change.${side}.policy`;
      if (policy === undefined || policy === null || policy === "") continue;
      if (typeof policy !== "string") throw new PlanInputError(`${where}: ${path}: expected a string, got ${jsonType(policy)}. Expected the output of terraform show -json <plan>.`);
      try {
        readPolicy(policy);
      } catch (e) {
        throw new PlanInputError(`${where}: ${path}: it is not a key policy (${(e as Error).message}).`);
      }
    }
  });
}

/**
 * The plan must be the environment's: its provider pinned to the environment's account and
 * region, and its `stack_identity` output naming the environment and its state object.
 */
function checkIdentity(plan: Plan, where: string, environment: EnvironmentConfig): void {
  const expected = stackIdentity(environment);
  const aws = plan.configuration?.provider_config?.aws?.expressions as Record<string, { constant_value?: unknown }> | undefined;
  const accounts = aws?.allowed_account_ids?.constant_value;
  if (Array.isArray(accounts) && !accounts.includes(environment.accountId)) {
    throw new PlanInputError(`${where}: the plan is for account ${accounts.join(", ")} (the provider's allowed_account_ids), not ${environment.name}'s ${environment.accountId}.`);
  }
  const region = aws?.region?.constant_value;
  if (typeof region === "string" && region !== environment.region) {
    throw new PlanInputError(`${where}: the plan is for region ${region} (the provider's region), not ${environment.name}'s ${environment.region}.`);
  }
  // A destroy plan has no planned outputs; the configuration still holds the constant.
  const identity = (plan.planned_values.outputs?.stack_identity?.value ?? plan.configuration?.root_module?.outputs?.stack_identity?.expression?.constant_value) as
    | Partial<StackIdentity>
    | undefined;
  if (identity === undefined) {
    throw new PlanInputError(
      `${where}: the plan has no stack_identity output, so its environment and state cannot be checked. Plan the stack this project synthesizes (cdktf.out/stacks/${environment.name}).`,
    );
  }
  const fields: [keyof StackIdentity, string][] = [
    ["environment", "environment"],
    ["account_id", "account"],
    ["region", "region"],
    ["state_bucket", "state bucket"],
    ["state_key", "state object"],
    ["state_region", "state region"],
  ];
  for (const [field, what] of fields) {
    if (identity[field] !== expected[field]) {
      throw new PlanInputError(`${where}: the plan's ${what} is ${JSON.stringify(identity[field])} (output stack_identity), not ${environment.name}'s ${JSON.stringify(expected[field])}.`);
    }
  }
  // Where the live key is in the plan, its ARN must be in the environment's account and region.
  for (const rc of plan.resource_changes ?? []) {
    if (rc.address !== KEY_ADDRESS) continue;
    for (const side of [rc.change.before, rc.change.after]) {
      const arn = (side as { arn?: unknown } | null | undefined)?.arn;
      const parts = typeof arn === "string" ? /^arn:[^:]+:kms:([^:]+):(\d{12}):key\//.exec(arn) : null;
      if (parts && (parts[1] !== environment.region || parts[2] !== environment.accountId)) {
        throw new PlanInputError(`${where}: the plan's key ${arn} is not in ${environment.name}'s account ${environment.accountId}, ${environment.region}.`);
      }
    }
  }
}

/**
 * The output an offline plan carries (`npm run plan -- --offline`, cli/plan.ts): the import blocks
 * it left out. A plan made with credentials never has it.
 */
export const OFFLINE_OUTPUT = "mavik_offline_plan";

/** What an offline plan left out (its import blocks), or undefined for a plan made with credentials. */
export function offlinePlanOf(plan: Plan): { adopts: { address: string; id: string }[] } | undefined {
  const value = plan.planned_values?.outputs?.[OFFLINE_OUTPUT]?.value as { adopts?: { address: string; id: string }[] } | undefined;
  return value === undefined ? undefined : { adopts: value.adopts ?? [] };
}

const ADOPTED: Readonly<Record<string, string>> = {
  aws_kms_key: "key",
  aws_kms_alias: "alias",
  aws_iam_openid_connect_provider: "OIDC provider",
  aws_dynamodb_table: "table",
  aws_secretsmanager_secret: "secret",
  aws_lambda_function: "function",
  aws_s3_bucket: "bucket",
};

/** How an offline plan names an import block it left out: `adopts key cb42… (not checked offline)`. */
export function adoptionText(address: string, id: string): string {
  const type = address.split(".")[0];
  return `adopts ${ADOPTED[type] ?? type} ${id} (not checked offline)`;
}

/** The change of the current object at `address` (a deposed one, left by create_before_destroy, is not it). */
export function changeOf(plan: Plan, address: string): ResourceChange | undefined {
  return (plan.resource_changes ?? []).find((rc) => rc.address === address && rc.deposed === undefined);
}

/** True when the attribute's planned value is unknown until apply. */
export function unknownAfter(rc: ResourceChange, attribute: string): boolean {
  const unknown = rc.change.after_unknown as Record<string, unknown> | undefined;
  return unknown?.[attribute] === true;
}
