import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO } from "./synth";

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command and collects its output, without blocking the event loop. */
export function runProcess(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs one of the workflows' scripts (scripts/ci/<name>) in `cwd`. */
export function runScript(name: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return runProcess("bash", [path.join(REPO, "scripts", "ci", name), ...args], { cwd, env });
}

/**
 * GitHub's own workflow parser (@actions/workflow-parser, the one the Actions language server
 * uses). It is ESM-only and Jest here runs CommonJS, so it is bundled once to a CommonJS file.
 */
let workflowParser: typeof import("@actions/workflow-parser") | undefined;
export function loadWorkflowParser(): typeof import("@actions/workflow-parser") {
  if (workflowParser) return workflowParser;
  const esbuild = require("esbuild") as typeof import("esbuild");
  const outfile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mavik-workflow-parser-")), "parser.cjs");
  esbuild.buildSync({ stdin: { contents: 'export * from "@actions/workflow-parser";', resolveDir: REPO }, bundle: true, platform: "node", format: "cjs", outfile, logLevel: "error" });
  workflowParser = require(outfile) as typeof import("@actions/workflow-parser");
  return workflowParser;
}

/** A workflow file parsed and converted to its template (which checks expressions and needs too). */
export async function parseWorkflowFile(name: string, content: string) {
  const parser = loadWorkflowParser();
  const result = parser.parseWorkflow({ name, content }, new parser.NoOperationTraceWriter());
  const template: any = result.value ? await parser.convertWorkflowTemplate(result.context, result.value) : undefined;
  return { errors: result.context.errors.getErrors().map((e) => e.message), template, document: plainDocument(result.value) };
}

/**
 * The workflow as parsed, before the template drops what it does not keep (a step's `with`, a
 * job's `permissions`): mappings as objects, sequences as arrays, expressions as `${{ … }}`.
 */
function plainDocument(token: unknown): any {
  const json = (t: any): any => {
    if (t === null || typeof t !== "object") return t;
    if (Array.isArray(t.map)) return Object.fromEntries(t.map.map((e: any) => [json(e.Key ?? e.key), json(e.Value ?? e.value)]));
    if (Array.isArray(t.seq)) return t.seq.map(json);
    if (typeof t.expr === "string") return `\${{ ${t.expr} }}`;
    return t;
  };
  return token === undefined ? undefined : json(JSON.parse(JSON.stringify(token)));
}
