/**
 * The generated parts of the documentation: a block of a markdown page between
 *
 *   <!-- generated:<name> (npm run <command>) -->
 *   ...
 *   <!-- /generated:<name> -->
 *
 * is written by a generator (`npm run docs`: scripts/reference.ts; `npm run samples`:
 * scripts/samples.ts) and never by hand; `__tests__/generated-docs.test.ts` renders each again
 * and fails when a page and the code drift apart.
 */
import * as fs from "fs";
import * as path from "path";

/** The repository: the first directory above this file (scripts/, or dist/bundle/ when bundled) holding cdktf.json. */
export const ROOT = (() => {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "cdktf.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no cdktf.json above ${__dirname}`);
  }
})();

/** The pages that may hold generated blocks: README.md, CONTRIBUTING.md, docs/*.md, examples/*\/README.md. */
export function pages(root = ROOT): string[] {
  const inDir = (dir: string, match: (name: string) => boolean) =>
    fs.existsSync(path.join(root, dir)) ? fs.readdirSync(path.join(root, dir)).filter(match).sort().map((f) => path.join(dir, f)) : [];
  const examples = inDir("examples", (f) => fs.existsSync(path.join(root, "examples", f, "README.md"))).map((d) => path.join(d, "README.md"));
  return ["README.md", "CONTRIBUTING.md", ...inDir("docs", (f) => f.endsWith(".md")), ...examples].filter((p) => fs.existsSync(path.join(root, p)));
}

export interface Block {
  readonly page: string;
  readonly name: string;
  readonly command: string;
  readonly body: string;
}

const BLOCK = /<!-- generated:([a-z0-9-]+) \(npm run ([a-z]+)\) -->\n([\s\S]*?)<!-- \/generated:\1 -->/g;

/** Every generated block of the pages. */
export function readBlocks(root = ROOT): Block[] {
  return pages(root).flatMap((page) =>
    [...fs.readFileSync(path.join(root, page), "utf8").matchAll(BLOCK)].map((m) => ({ page, name: m[1], command: m[2], body: m[3] })),
  );
}

/**
 * Writes each rendered block into every page that has its markers; returns the pages changed.
 * A block rendered for no page, or a page's block of this command that was not rendered, is an
 * error: a name was mistyped on one side.
 */
export function writeBlocks(command: string, rendered: Record<string, string>, root = ROOT): string[] {
  const found = readBlocks(root).filter((b) => b.command === command);
  const unknown = found.filter((b) => !(b.name in rendered)).map((b) => `${b.page}: ${b.name}`);
  if (unknown.length > 0) throw new Error(`blocks of npm run ${command} that it does not render: ${unknown.join(", ")}`);
  const unused = Object.keys(rendered).filter((name) => !found.some((b) => b.name === name));
  if (unused.length > 0) throw new Error(`npm run ${command} renders blocks no page has: ${unused.join(", ")}`);
  const changed: string[] = [];
  for (const page of [...new Set(found.map((b) => b.page))]) {
    const file = path.join(root, page);
    const text = fs.readFileSync(file, "utf8");
    const next = text.replace(BLOCK, (whole, name: string, cmd: string) =>
      cmd === command ? `<!-- generated:${name} (npm run ${cmd}) -->\n${ensureNewline(rendered[name])}<!-- /generated:${name} -->` : whole,
    );
    if (next !== text) {
      fs.writeFileSync(file, next);
      changed.push(page);
    }
  }
  return changed;
}

export const ensureNewline = (text: string) => (text.endsWith("\n") ? text : `${text}\n`);
