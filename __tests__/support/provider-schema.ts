/**
 * The AWS provider bindings' argument types, read from their declarations (`lib/<resource>/index.d.ts`)
 * in each framework environment: what the package's classes take, version by version.
 */
import * as fs from "fs";
import * as path from "path";
import { REPO } from "./synth";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const flavours = require("../../scripts/flavours");

/** The provider classes modules/platform.ts imports: [class, lib/<module>]. */
export function platformClasses(): [string, string][] {
  const platform = fs.readFileSync(path.join(REPO, "modules", "platform.ts"), "utf8");
  return [...platform.matchAll(/export \{ (\w+)(?: as \w+)? \} from "@cdktf\/provider-aws\/lib\/([\w-]+)"/g)].map((m) => [m[1], m[2]]);
}

/** Every interface of a module's declarations and its properties (the camelCase arguments). */
export function interfacesOf(env: string, module: string): Record<string, string[]> {
  const e = flavours.ENVIRONMENTS[env];
  const provider = e.flavour === "cdktn" ? "@cdktn/provider-aws" : "@cdktf/provider-aws";
  const text = fs.readFileSync(path.join(flavours.packageDir(env, provider), "lib", module, "index.d.ts"), "utf8");
  const out: Record<string, string[]> = {};
  for (const m of text.matchAll(/export interface (\w+)[^{]*\{([\s\S]*?)\n\}/g)) out[m[1]] = [...m[2].matchAll(/^\s*readonly (\w+)\??:/gm)].map((x) => x[1]).sort();
  return out;
}

export interface SchemaChange {
  readonly module: string;
  readonly iface: string;
  readonly added21: string[];
  readonly added25: string[];
  readonly removed: string[];
}

/** What changed in the arguments of the platform's classes: 20.x -> 21.x -> the CDK Terrain bindings. */
export function schemaChanges(): SchemaChange[] {
  const changes: SchemaChange[] = [];
  for (const [, module] of platformClasses()) {
    const [v20, v21, v25] = ["aws20", "aws21", "cdktn"].map((env) => interfacesOf(env, module));
    for (const iface of [...new Set([...Object.keys(v20), ...Object.keys(v21), ...Object.keys(v25)])].sort()) {
      const [a, b, c] = [v20[iface] ?? [], v21[iface] ?? [], v25[iface] ?? []];
      const change = {
        module,
        iface,
        added21: b.filter((p) => !a.includes(p)),
        added25: c.filter((p) => !b.includes(p)),
        removed: [...a.filter((p) => !b.includes(p)), ...b.filter((p) => !c.includes(p)).map((p) => `${p} (25.x)`)],
      };
      if (change.added21.length + change.added25.length + change.removed.length > 0) changes.push(change);
    }
  }
  return changes;
}
