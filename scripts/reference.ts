/**
 * `npm run docs` (after modules/API.md): the generated reference blocks of the pages.
 *
 * - `config-*`: the environments file, field by field, from the zod schema's own descriptions
 *   (`app/environments/schema.ts`, through zod's JSON Schema); nothing is written twice.
 * - `stack-resources`, `stack-diagram`, `stack-outputs`: what a stack holds, read from the
 *   Terraform JSON the stack synthesizes for the shipped environment, and for it with each field
 *   of the `resources` and `audit` examples below turned on one at a time; the diagram's arrows
 *   are the references between resources in that JSON.
 * - `example-resources`, `example-audit`: those examples, as the configuration page shows them.
 *
 * `__tests__/generated-docs.test.ts` renders every block again and compares it with the pages.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { buildApp, environmentStack, EnvironmentConfig } from "../app";
import { ConfigError, ENCRYPTION_RULES, POLICY_RULES } from "../modules/index";
import { USAGE as REVIEW_USAGE } from "../cli/review";
import { USAGE as VERIFY_USAGE } from "../cli/verify";
import { environmentsFileSchema } from "../app/environments/schema";
import { ROOT, writeBlocks } from "./generated-blocks";

// ---------------------------------------------------------------------------------------------
// The environments file, from the schema.

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  description?: string;
  additionalProperties?: JsonSchema | boolean;
}

/** Objects whose fields are another grammar's, described where they are used rather than expanded. */
const NOT_EXPANDED = new Set(["environments[].additionalStatements[]"]);

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(" or ");
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return [...new Set(alternatives.map(typeOf))].join(" or ");
  if (s.type === "array") return `list of ${typeOf(s.items ?? {})}`;
  if (s.type === "object") return s.properties ? "object" : `map of string to ${typeOf(typeof s.additionalProperties === "object" ? s.additionalProperties : {})}`;
  return s.type ?? "any";
}

/** The object a field holds, when its fields get a table of their own (directly, or as a list's items). */
function expandable(s: JsonSchema): JsonSchema | undefined {
  if (s.type === "object" && s.properties) return s;
  if (s.type === "array" && s.items?.type === "object" && s.items.properties) return s.items;
  return undefined;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchor = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");

/** The configuration reference: one table per object of the file, in the file's order. */
export function configReference(): string {
  const root = z.toJSONSchema(environmentsFileSchema) as JsonSchema;
  const sections: string[] = [];
  const visit = (title: string, where: string, s: JsonSchema, description = s.description) => {
    const rows: string[] = [];
    const nested: [string, string, JsonSchema, string | undefined][] = [];
    for (const [name, field] of Object.entries(s.properties ?? {})) {
      const fieldPath = where === "" ? name : `${where}.${name}`;
      const inner = expandable(field);
      const innerPath = field.type === "array" ? `${fieldPath}[]` : fieldPath;
      let type = typeOf(field);
      if (inner && !NOT_EXPANDED.has(innerPath)) {
        const heading = `\`${innerPath}\``;
        nested.push([heading, innerPath, inner, inner.description ?? field.description]);
        type = `${type}: [below](#${anchor(heading)})`;
      }
      if (field.description === undefined) throw new Error(`${fieldPath}: no description in app/environments/schema.ts (.describe(...))`);
      rows.push(`| \`${name}\` | ${s.required?.includes(name) ? "yes" : "no"} | ${cell(type)} | ${cell(field.description)} |`);
    }
    sections.push([`### ${title}`, "", description ?? "", "", "| field | required | type | meaning, allowed values, default |", "|---|---|---|---|", ...rows, ""].join("\n"));
    for (const [heading, p, inner, d] of nested) visit(heading, p, inner, d);
  };
  visit("The file", "", root);
  return sections.join("\n");
}

// ---------------------------------------------------------------------------------------------
// What a stack holds, from what it synthesizes.

const SHIPPED: EnvironmentConfig = JSON.parse(fs.readFileSync(path.join(ROOT, "environments.json"), "utf8")).environments[0];

/** The configuration page's examples: what the `resources` and `audit` rows and the diagram are made from. */
export const RESOURCES_EXAMPLE = {
  buckets: [{ name: "mavik-ssot-files" }, { name: "mavik-ssot-exports", existing: true }],
  tables: [
    { name: "mavik-ssot-records", hashKey: "pk", rangeKey: "sk" },
    { name: "mavik-ssot-audit", existing: true, hashKey: "id", hashKeyType: "N" as const },
  ],
  secrets: [{ name: "mavik/ssot/api-token" }, { name: "mavik/ssot/db", arn: "arn:aws:secretsmanager:us-east-1:167067248318:secret:mavik/ssot/db-AbCdEf" }],
  functions: [
    {
      name: "mavik-ssot-sync",
      existing: true,
      role: "role/MavikLambdaRole",
      code: { imageUri: "167067248318.dkr.ecr.us-east-1.amazonaws.com/mavik-ssot-sync:1" },
    },
  ],
};

export const AUDIT_EXAMPLE = {
  alerts: {
    subscriptions: [
      { protocol: "email" as const, endpoint: "security@mavik.example" },
      { protocol: "https" as const, endpoint: "https://hooks.mavik.example/kms-alerts" },
    ],
  },
  configRule: true,
  dashboard: true,
  cloudTrailLogGroup: "aws-cloudtrail-logs-167067248318-mgmt",
  decryptAlarm: { threshold: 5000, periodMinutes: 15 },
  coverage: {},
};

/** What each part of the configuration adds, in words; a part without words fails the generator. */
const PARTS: { field: string; what: string; env: (base: EnvironmentConfig) => EnvironmentConfig; over?: string }[] = [
  { field: "always", what: "the key (`prevent_destroy`; adopted by `import` blocks with `existingKeyId`, as the shipped `prod` does) and its alias", env: (e) => e },
  { field: "resources.buckets", what: "each new bucket, and every bucket's default encryption with the key", env: (e) => ({ ...e, resources: { buckets: RESOURCES_EXAMPLE.buckets } }) },
  { field: "resources.tables", what: "each table, encrypted with the key", env: (e) => ({ ...e, resources: { tables: RESOURCES_EXAMPLE.tables } }) },
  { field: "resources.secrets", what: "each secret, under the key", env: (e) => ({ ...e, resources: { secrets: RESOURCES_EXAMPLE.secrets } }) },
  { field: "resources.functions", what: "each function, its environment variables under the key", env: (e) => ({ ...e, resources: { functions: RESOURCES_EXAMPLE.functions } }) },
  { field: "audit.alerts", what: "a rule on the key's destructive calls, notifying an encrypted SNS topic and its subscriptions", env: (e) => ({ ...e, audit: { alerts: AUDIT_EXAMPLE.alerts } }) },
  { field: "audit.configRule", what: "the AWS Config rotation rule", env: (e) => ({ ...e, audit: { configRule: true } }) },
  { field: "audit.dashboard", what: "the CloudWatch dashboard", env: (e) => ({ ...e, audit: { dashboard: true } }) },
  { field: "audit.cloudTrailLogGroup", what: "metric filters counting this key's requests", env: (e) => ({ ...e, audit: { cloudTrailLogGroup: AUDIT_EXAMPLE.cloudTrailLogGroup } }) },
  {
    field: "audit.decryptAlarm",
    what: "the alarm on unusual Decrypt volume",
    env: (e) => ({ ...e, audit: { alerts: AUDIT_EXAMPLE.alerts, decryptAlarm: AUDIT_EXAMPLE.decryptAlarm } }),
    over: "audit.alerts",
  },
  { field: "audit.coverage", what: "AWS Config rules holding every bucket, table, secret and function of the account to the key", env: (e) => ({ ...e, audit: { coverage: {} } }) },
];

type Stack = Record<string, any>;
const synthesized = new Map<string, Stack>();
function stackOf(field: string): Stack {
  if (!synthesized.has(field)) {
    const part = PARTS.find((p) => p.field === field)!;
    synthesized.set(field, environmentStack(part.env(SHIPPED)).toTerraform());
  }
  return synthesized.get(field)!;
}

const addresses = (stack: Stack) => Object.entries(stack.resource ?? {}).flatMap(([type, byName]) => Object.keys(byName as object).map((name) => `${type}.${name}`));
const outputs = (stack: Stack) => Object.keys(stack.output ?? {});

/** The addresses and outputs a part adds to the stack it builds on. */
function added(part: (typeof PARTS)[number]) {
  const under = part.field === "always" ? { resource: {}, output: {} } : stackOf(part.over ?? "always");
  const own = stackOf(part.field);
  const without = new Set([...addresses(under), ...(part.over ? addresses(stackOf("always")) : [])]);
  return { addresses: addresses(own).filter((a) => !without.has(a)), outputs: outputs(own).filter((o) => !outputs(under).includes(o)) };
}

const typeCounts = (list: string[]) => {
  const counts = new Map<string, number>();
  for (const a of list) counts.set(a.split(".")[0], (counts.get(a.split(".")[0]) ?? 0) + 1);
  return [...counts];
};

/** The table of what a stack creates, part by part. */
export function stackResources(): string {
  const rows = PARTS.map((part) => {
    const { addresses: list } = added(part);
    if (list.length === 0) throw new Error(`${part.field} adds no resource: the stack changed, update PARTS in scripts/reference.ts`);
    const types = typeCounts(list)
      .map(([type, n]) => `\`${type}\`${part.field.startsWith("resources.") ? "" : n > 1 ? ` ×${n}` : ""}`)
      .join(", ");
    return `| ${part.field === "always" ? "always" : `\`${part.field}\``} | ${part.what} | ${types} |`;
  });
  const prod = stackOf("always");
  const backend = prod.terraform.backend.s3;
  return [
    "| from `environments.json` | what | Terraform resources |",
    "|---|---|---|",
    ...rows,
    "",
    `Every stack also has the AWS provider pinned to the environment's account (\`allowed_account_ids\`), an S3 backend (for the shipped \`prod\`: \`s3://${backend.bucket}/${backend.key}\`, ${backend.use_lockfile ? "`use_lockfile`" : "a DynamoDB lock"}), and the outputs ${outputs(prod).map((o) => `\`${o}\``).join(", ")}, with one more per audit part ([docs/configuration.md](docs/configuration.md#outputs)).`,
  ].join("\n");
}

/** The outputs of the stack, with their descriptions as Terraform sees them. */
export function stackOutputs(): string {
  const rows = PARTS.flatMap((part) => {
    const own = stackOf(part.field);
    return added(part).outputs.map((name) => `| \`${name}\` | ${cell(own.output[name].description ?? "")} | ${part.field === "always" ? "always" : `\`${part.field}\``} |`);
  });
  return ["| output | description | with |", "|---|---|---|", ...rows].join("\n");
}

/** The references between resources of a stack: from each resource to those it names. */
function references(stack: Stack): [string, string][] {
  const edges: [string, string][] = [];
  for (const [type, byName] of Object.entries(stack.resource ?? {})) {
    for (const [name, body] of Object.entries(byName as object)) {
      const text = JSON.stringify(body);
      for (const m of text.matchAll(/\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\./g)) {
        const target = `${m[1]}.${m[2]}`;
        if (target !== `${type}.${name}` && !edges.some(([f, t]) => f === `${type}.${name}` && t === target)) edges.push([`${type}.${name}`, target]);
      }
    }
  }
  return edges;
}

/** A Mermaid flowchart of every part's resources (by type), with an arrow where one references another. */
export function stackDiagram(): string {
  const groups = PARTS.map((part) => ({ part, types: typeCounts(added(part).addresses).map(([type]) => type) }));
  const typeGroup = new Map<string, string>();
  for (const g of groups) for (const t of g.types) if (!typeGroup.has(t)) typeGroup.set(t, g.part.field);
  const all: Stack = { resource: {} };
  for (const part of PARTS) for (const [type, byName] of Object.entries(stackOf(part.field).resource ?? {})) all.resource[type] = { ...all.resource[type], ...(byName as object) };
  const id = (type: string) => type.replace(/^aws_/, "");
  const edges = new Set<string>();
  for (const [from, to] of references(all)) {
    const [f, t] = [from.split(".")[0], to.split(".")[0]];
    if (f !== t) edges.add(`  ${id(f)} --> ${id(t)}`);
  }
  const subgraph = (name: string, fields: string[]) => {
    const types = [...typeGroup].filter(([, field]) => fields.includes(field)).map(([type]) => type);
    return [`  subgraph ${name.replace(/[^a-z]/g, "_")}["${name}"]`, ...types.map((t) => `    ${id(t)}["${t}"]`), "  end"];
  };
  return [
    "```mermaid",
    "flowchart LR",
    ...subgraph("always", ["always"]),
    ...subgraph("resources", PARTS.filter((p) => p.field.startsWith("resources.")).map((p) => p.field)),
    ...subgraph("audit", PARTS.filter((p) => p.field.startsWith("audit.")).map((p) => p.field)),
    ...[...edges].sort(),
    "```",
  ].join("\n");
}

/** A field of an environment as the page shows it: one line per list item, as people write the file. */
function json(value: Record<string, unknown>, key: string): string {
  const inline = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(inline).join(", ")}]`;
    if (v === null || typeof v !== "object") return JSON.stringify(v);
    const entries = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${inline(x)}`);
    return entries.length ? `{ ${entries.join(", ")} }` : "{}";
  };
  const lines = Object.entries(value).map(([k, v], i, all) => {
    const last = i === all.length - 1 ? "" : ",";
    if (Array.isArray(v)) return [`  "${k}": [`, ...v.map((item, j) => `    ${inline(item)}${j === v.length - 1 ? "" : ","}`), `  ]${last}`].join("\n");
    if (v !== null && typeof v === "object" && Object.values(v).some(Array.isArray)) {
      return [`  "${k}": {`, ...json(v as Record<string, unknown>, "").split("\n").slice(2, -2).map((l) => `  ${l}`), `  }${last}`].join("\n");
    }
    return `  "${k}": ${inline(v)}${last}`;
  });
  return ["```json", `"${key}": {`, ...lines, "}", "```"].join("\n");
}

// ---------------------------------------------------------------------------------------------
// The key policy and the rules, from the code that writes and checks them.

/** The shipped environment's key policy, statement by statement, as the stack synthesizes it. */
export function keyPolicyStatements(): string {
  const policy = JSON.parse(stackOf("always").resource.aws_kms_key.mavik_data_key.policy);
  const list = (v: unknown) => (Array.isArray(v) ? v : [v]).map((x) => `\`${x}\``).join(", ");
  const principal = (p: any) => (p === "*" ? "`*`" : Object.entries(p).map(([kind, v]) => `${kind}: ${list(v)}`).join("; "));
  const rows = policy.Statement.map(
    (st: any, i: number) =>
      `| S${i + 1} | ${st.Sid} | ${st.Effect} | ${cell(principal(st.Principal))} | ${cell(list(st.Action))} | ${st.Condition ? cell(`\`${JSON.stringify(st.Condition)}\``) : ""} |`,
  );
  if (!policy.Statement.every((st: any) => st.Resource === "*")) throw new Error("a statement's Resource is not \"*\": give the table a Resource column");
  return [`\`Id\`: \`${policy.Id}\`, \`Version\`: \`${policy.Version}\`; every statement's \`Resource\` is \`"*"\` (in a key policy, the key itself).`, "", "| | Sid | Effect | Principal | Action | Condition |", "|---|---|---|---|---|---|", ...rows].join("\n");
}

const ruleTable = (rules: readonly { id: string; severity: string; description: string; input?: boolean }[]) =>
  ["| rule | severity | what it holds |", "|---|---|---|", ...rules.map((r) => `| \`${r.id}\` | ${r.severity}${r.input ? " (printed at synth)" : ""} | ${cell(r.description)} |`)].join("\n");

/** What bad input looks like: the shipped environment with one mistake each, as `npm run synth` prints it. */
export const MISTAKES: [string, (e: EnvironmentConfig) => EnvironmentConfig][] = [
  ["deletionWindowInDays", (e) => ({ ...e, deletionWindowInDays: 45 })],
  ["region", (e) => ({ ...e, region: "us-east-7" })],
  ["additionalStatements", (e) => ({ ...e, additionalStatements: [{ Sid: "Audit", Effect: "Allow", Principal: { AWS: "arn:aws:iam::167067248318:role/Auditor" }, Action: "kms:Decrpyt", Resource: "*" }] })],
];

export function sampleErrors(): string {
  const dir = fs.mkdtempSync(path.join(require("os").tmpdir(), "mavik-reference-"));
  try {
    const lines = MISTAKES.map(([, edit]) => {
      const file = path.join(dir, "environments.json");
      fs.writeFileSync(file, JSON.stringify({ environments: [edit(SHIPPED)] }));
      try {
        buildApp({ configFile: file, outdir: path.join(dir, "out") }).app.synth();
      } catch (e) {
        if (e instanceof ConfigError) return `error: ${e.message}`;
        throw e;
      }
      throw new Error("a mistake of MISTAKES synthesized");
    });
    return ["```text", ...lines, "```"].join("\n");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Every block `npm run docs` writes. */
export function referenceBlocks(): Record<string, string> {
  return {
    "config-reference": configReference(),
    "stack-resources": stackResources(),
    "stack-outputs": stackOutputs(),
    "stack-diagram": stackDiagram(),
    "key-policy-statements": keyPolicyStatements(),
    "policy-rules": ruleTable(POLICY_RULES),
    "encryption-rules": ruleTable(ENCRYPTION_RULES),
    "sample-errors": sampleErrors(),
    "review-usage": ["```text", REVIEW_USAGE, "```"].join("\n"),
    "verify-usage": ["```text", VERIFY_USAGE, "```"].join("\n"),
    "example-resources": json(RESOURCES_EXAMPLE, "resources"),
    "example-audit": json(AUDIT_EXAMPLE, "audit"),
  };
}

export function main(): number {
  const changed = writeBlocks("docs", referenceBlocks());
  console.log(changed.length ? `wrote ${changed.join(", ")}` : "the generated reference blocks are current");
  return 0;
}

if (require.main === module) process.exitCode = main();
