/**
 * The pages as a newcomer reads them: the README is the entrance (short, in the order the issue
 * asks for, CDKTF's archival on its first screen), every page is linked from it, every link
 * resolves, each fact is stated once (the IAM lists), and what the troubleshooting page says about
 * the tree is true of it.
 */
import * as fs from "fs";
import * as path from "path";
import { auditRolePolicy } from "../cli/verify/audit-role";
import { loadEnvironments } from "../app";
import { pages } from "../scripts/generated-blocks";
import { REPO, SHIPPED_CONFIG } from "./support/synth";

const read = (page: string) => fs.readFileSync(path.join(REPO, page), "utf8");
const README = read("README.md");
const PAGES = pages();
/** A page without its fenced code blocks, where links and headings are not links and headings. */
const prose = (text: string) => text.replace(/```[\s\S]*?```/g, "");
/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
const anchors = (text: string) => new Set([...prose(text).matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1])));

describe("README.md, the entrance", () => {
  const lines = README.split("\n");
  const headings = [...README.matchAll(/^## (.+)$/gm)].map((m) => m[1]);

  test("is about 250 lines at most", () => {
    expect(lines.length).toBeLessThanOrEqual(250);
  });

  test("in order: what it is, the CDKTF banner, what a stack creates, the quickstart, your company's fields, the pages", () => {
    expect(headings).toEqual(["What a stack creates", "Quickstart", "Use it for your company: change these fields", "Documentation"]);
    const banner = lines.findIndex((l) => l.startsWith("> [!WARNING]"));
    expect(banner).toBeGreaterThan(0);
    expect(banner).toBeLessThan(README.indexOf("## What a stack creates") && lines.findIndex((l) => l === "## What a stack creates"));
  });

  test("its first screen says what it creates, that CDKTF is archived and where to go, and how to see a plan without AWS", () => {
    const firstScreen = lines.slice(0, 30).join("\n");
    expect(firstScreen).toContain("archived by HashiCorp on 2025-12-10");
    expect(firstScreen).toContain("[docs/cdk-terrain.md](docs/cdk-terrain.md)");
    expect(firstScreen).toMatch(/without AWS|No AWS account/);
    expect(firstScreen).toContain("aws_kms_key");
  });

  test("the seed's account, key id and section numbers do not fill its top: the design document is a page of its own", () => {
    const top = README.slice(0, README.indexOf("## What a stack creates"));
    for (const seed of [/§\d/, /cb424700/, /167067248318/, /SSOT/]) expect(top).not.toMatch(seed);
    expect(README).not.toMatch(/§\d/);
    expect(README).toContain("[docs/design.md](docs/design.md)");
  });

  test("links every page of docs/", () => {
    const linked = new Set([...prose(README).matchAll(/\]\((docs\/[^)#]+\.md)/g)].map((m) => m[1]));
    const all = fs.readdirSync(path.join(REPO, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`);
    expect(all.filter((p) => !linked.has(p))).toEqual([]);
  });
});

describe("every link of every page", () => {
  const links = PAGES.flatMap((page) =>
    [...prose(read(page)).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((l) => !/^(https?|mailto):/.test(l)).map((link) => [page, link] as [string, string]),
  );

  test("there are links to check", () => {
    expect(links.length).toBeGreaterThan(50);
  });

  test.each(links)("%s → %s resolves", (page, link) => {
    const [target, anchor] = link.split("#");
    const file = target === "" ? path.join(REPO, page) : path.resolve(path.dirname(path.join(REPO, page)), target);
    expect([link, fs.existsSync(file)]).toEqual([link, true]);
    if (anchor !== undefined) expect([link, anchors(fs.readFileSync(file, "utf8")).has(anchor)]).toEqual([link, true]);
  });

  test('a "(README, "…")" reference in the code or the pages names a heading the README has', () => {
    const headings = new Set([...README.matchAll(/^#+ (.+)$/gm)].map((m) => m[1]));
    const sources = ["app", "cli", "scripts", "main.ts", "docs"].flatMap((p) => {
      const full = path.join(REPO, p);
      return fs.statSync(full).isDirectory() ? (fs.readdirSync(full, { recursive: true }) as string[]).map((f) => path.join(full, f)).filter((f) => fs.statSync(f).isFile()) : [full];
    });
    const named = sources.flatMap((f) => [...fs.readFileSync(f, "utf8").matchAll(/README, "([^"]+)"/g)].map((m) => [path.relative(REPO, f), m[1]]));
    expect(named.filter(([, h]) => !headings.has(h))).toEqual([]);
  });
});

test("each IAM permission list is stated once: the audit role's actions are listed together only in docs/permissions.md", () => {
  const actions = auditRolePolicy(loadEnvironments(SHIPPED_CONFIG)[0]).Statement.flatMap((s) => s.Action);
  expect(actions.length).toBeGreaterThan(20);
  const counts = PAGES.map((page) => [page, actions.filter((a) => read(page).includes(a)).length] as [string, number]);
  expect(counts.filter(([page, n]) => page !== "docs/permissions.md" && n > actions.length / 3)).toEqual([]);
  expect(counts.find(([page]) => page === "docs/permissions.md")![1]).toBe(actions.length);
});

describe("docs/troubleshooting.md is true of this tree", () => {
  const page = read("docs/troubleshooting.md");

  test("covers what a newcomer meets", () => {
    const headings = [...page.matchAll(/^## (.+)$/gm)].map((m) => m[1]).join("\n");
    for (const topic of ["install-scripts", "checkpoint-api.hashicorp.com", "No AWS credentials", "cdktf.out/stacks/", "prevent_destroy", "teardown"]) {
      expect(headings).toContain(topic);
    }
  });

  test("the packages npm says it did not run install scripts of are the lock file's, and each loads without them", () => {
    const lock = JSON.parse(read("package-lock.json"));
    const withScripts = Object.entries(lock.packages as Record<string, { hasInstallScript?: boolean }>)
      .filter(([, p]) => p.hasInstallScript)
      .map(([name]) => name.replace(/^node_modules\//, ""))
      .sort();
    const table = page.slice(page.indexOf("| package | used by | its binary |"));
    const listed = [...table.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]).sort();
    expect(listed).toEqual(withScripts);
    expect(page).toContain(`npm warn install-scripts ${withScripts.length} packages have install scripts`);
    for (const name of withScripts) expect(() => require(name)).not.toThrow();
    // The native parts themselves: esbuild's binary answers, the others' addons load.
    expect((require("esbuild") as typeof import("esbuild")).transformSync("let a: number = 1", { loader: "ts" }).code).toBe("let a = 1;\n");
  });

  test("the messages it quotes are the ones the code prints", () => {
    const flat = page.replace(/\s+/g, " ");
    expect(read("__tests__/support/global-teardown.ts")).toContain("the run's temporary root ${state.runDir} was removed while the tests ran");
    expect(flat).toContain("`the run's temporary root <dir> was removed while the tests ran`");
    expect(read("main.ts")).toContain("`note: removed ${dir}: a stack of an earlier synth, not of this one`");
    expect(flat).toContain("`note: removed cdktf.out/stacks/staging: a stack of an earlier synth, not of this one`");
    const refusal = /```text\n(\*\*⛔ This change would DESTROY.*)\n```/.exec(page)![1];
    expect(read("__tests__/review.test.ts")).toContain(`"${refusal}"`);
  });
});
