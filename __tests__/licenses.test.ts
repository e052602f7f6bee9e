/** Nothing GPL or AGPL ships in `dependencies`; test-only oracles may be devDependencies. */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { REPO } from "./support/synth";

interface Tree {
  dependencies?: Record<string, Tree & { path?: string }>;
}

test("every production dependency, direct and transitive, has a license that is not GPL or AGPL", () => {
  const tree = JSON.parse(execFileSync("npm", ["ls", "--omit=dev", "--omit=peer", "--all", "--json", "--long"], { cwd: REPO, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })) as Tree;
  const licenses = new Map<string, string>();
  const walk = (node: Tree) => {
    for (const [name, child] of Object.entries(node.dependencies ?? {})) {
      if (child.path && !licenses.has(name)) {
        const pkg = JSON.parse(fs.readFileSync(path.join(child.path, "package.json"), "utf8"));
        licenses.set(name, typeof pkg.license === "string" ? pkg.license : JSON.stringify(pkg.license ?? pkg.licenses ?? "UNKNOWN"));
      }
      walk(child);
    }
  };
  walk(tree);
  expect(licenses.size).toBeGreaterThan(20);
  expect(licenses.get("@cloud-copilot/iam-simulate")).toBeUndefined();
  const copyleft = [...licenses].filter(([, license]) => /\bA?GPL\b/i.test(license) && !/LGPL/i.test(license));
  expect(copyleft).toEqual([]);
  const unknown = [...licenses].filter(([, license]) => license === "UNKNOWN" || license === '"UNKNOWN"');
  expect(unknown).toEqual([]);
});
