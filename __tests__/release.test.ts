/**
 * The release: .github/workflows/release.yml read by GitHub's own parser (on a version tag it
 * tests everything, publishes each flavour to npm with provenance, and makes the GitHub release
 * with the CHANGELOG's section), and scripts/release.js, which the workflow asks for the version
 * check, the notes and where each built flavour is. What each tarball holds is checked per flavour
 * by package.test.ts and flavours.test.ts (npm pack --dry-run --json).
 */
import * as fs from "fs";
import * as path from "path";
import { parseWorkflowFile } from "./support/processes";
import { REPO } from "./support/synth";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const release = require("../scripts/release");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { FLAVOURS } = require("../scripts/flavours");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { packageDirOf } = require("../scripts/build-package");

const WORKFLOW = path.join(REPO, ".github", "workflows", "release.yml");
const parse = (content: string) => parseWorkflowFile("release.yml", content);

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  env: Record<string, string>;
}

function job(template: any, id: string): any {
  return template.jobs.find((j: any) => j.id.value === id);
}

function stepsOf(template: any, id: string): Step[] {
  return job(template, id).steps.map((s: any) => ({
    name: s.name?.value,
    run: s.run?.value,
    uses: s.uses?.value,
    env: Object.fromEntries((s.env?.map ?? []).map((e: any) => [e.key.value, e.value.value ?? e.value.expr])),
  }));
}

/** The `permissions:` block of the workflow (job "") or of one job, as written. */
function permissionsOf(text: string, jobId: string): Record<string, string> {
  const indent = jobId === "" ? "" : "    ";
  const block = jobId === "" ? text.split("\njobs:\n")[0] : (new RegExp(`\\n  ${jobId}:\\n([\\s\\S]*?)(?=\\n  [\\w-]+:\\n|$)`).exec(text)?.[1] ?? "");
  const found = new RegExp(`(?:^|\\n)${indent}permissions:\\n((?:${indent}  [\\w-]+: \\w+[^\\n]*\\n)+)`).exec(`${block}\n`);
  return Object.fromEntries((found?.[1] ?? "").trim().split("\n").filter(Boolean).map((l) => l.trim().replace(/\s+#.*$/, "").split(": ")));
}

const mapOf = (token: any): Record<string, any> => Object.fromEntries((token?.map ?? []).map((e: any) => [e.key.value, e.value]));

describe("the release workflow, as GitHub's parser reads it", () => {
  let parsed: Awaited<ReturnType<typeof parse>>;
  beforeAll(async () => {
    parsed = await parse(fs.readFileSync(WORKFLOW, "utf8"));
  });

  test("has no errors", () => {
    expect(parsed.errors).toEqual([]);
  });

  test("the parser does catch a broken one: a publish job needing a job that is not there", async () => {
    const text = fs.readFileSync(WORKFLOW, "utf8");
    expect(text).toContain("needs: test\n");
    const { errors } = await parse(text.replace("needs: test\n", "needs: tests\n"));
    expect(errors.map((e) => e.replace(/^release\.yml \(Line: \d+, Col: \d+\): /, ""))).toEqual([
      "Job 'publish' depends on unknown job 'tests'.",
      "Job 'release' depends on job 'publish' which creates a cycle in the dependency graph.",
    ]);
  });

  test("runs on a version tag only, with read-only contents by default", () => {
    const on = parsed.template!.events;
    expect(Object.keys(on)).toEqual(["push"]);
    expect(on.push.tags).toEqual(["v*.*.*"]);
    // The parser's template leaves permissions out: read from the file, the workflow's and each job's.
    expect(permissionsOf(fs.readFileSync(WORKFLOW, "utf8"), "")).toEqual({ contents: "read" });
  });

  test("test: checks the tag against the versions and CHANGELOG.md, then runs the whole suite under CI", () => {
    const steps = stepsOf(parsed.template, "test");
    const runs = steps.map((s) => s.run).filter(Boolean);
    expect(runs).toEqual(["npm ci", 'node scripts/release.js check "$GITHUB_REF_NAME"', "npm test"]);
    expect(steps.find((s) => s.run === "npm test")!.env).toEqual({ CI: "true" });
    expect(steps.find((s) => s.uses?.startsWith("hashicorp/setup-terraform"))).toBeDefined();
  });

  test("publish: after the tests, one job per flavour, each built and published with provenance through OIDC", () => {
    const publish = job(parsed.template, "publish");
    expect(publish.needs.map((n: any) => n.value)).toEqual(["test"]);
    expect(permissionsOf(fs.readFileSync(WORKFLOW, "utf8"), "publish")).toEqual({ contents: "read", "id-token": "write" });
    const matrix = mapOf(mapOf(publish.strategy).matrix);
    expect(matrix.flavour.seq.map((f: any) => f.value)).toEqual(Object.keys(FLAVOURS));
    const steps = stepsOf(parsed.template, "publish");
    expect(steps.map((s) => s.run).filter(Boolean)).toEqual([
      "npm install --global npm@11.19.1",
      "npm ci",
      'node scripts/build-package.js --flavour "$FLAVOUR"',
      'npm publish "$(node scripts/release.js dir "$FLAVOUR")" --provenance --access public --ignore-scripts',
    ]);
    expect(steps.find((s) => s.run?.startsWith("npm publish"))!.env).toEqual({ FLAVOUR: "matrix.flavour", NODE_AUTH_TOKEN: "secrets.NPM_TOKEN" });
  });

  test("release: after publishing, the GitHub release of the tag with the CHANGELOG section as its notes", () => {
    expect(job(parsed.template, "release").needs.map((n: any) => n.value)).toEqual(["publish"]);
    expect(permissionsOf(fs.readFileSync(WORKFLOW, "utf8"), "release")).toEqual({ contents: "write" });
    expect(permissionsOf(fs.readFileSync(WORKFLOW, "utf8"), "test")).toEqual({});
    expect(stepsOf(parsed.template, "release").map((s) => s.run).filter(Boolean)).toEqual([
      'node scripts/release.js notes "$GITHUB_REF_NAME" > "$RUNNER_TEMP/notes.md"',
      'gh release create "$GITHUB_REF_NAME" --title "$GITHUB_REF_NAME" --notes-file "$RUNNER_TEMP/notes.md" --verify-tag',
    ]);
  });
});

describe("scripts/release.js", () => {
  const CHANGELOG = "# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2026-12-04\n\n### Added\n- CDK Terrain.\n\n## [0.1.0]\n\n- First.\n";

  test.each([
    ["v0.2.0", "### Added\n- CDK Terrain.\n"],
    ["v0.1.0", "- First.\n"],
  ])("notes %s: the section of the version, without its heading", (tag, notes) => {
    expect(release.notes(tag, CHANGELOG)).toBe(notes);
  });

  test.each([
    ["0.2.0", '"0.2.0" is not a version tag: v<major>.<minor>.<patch>, e.g. v0.2.0'],
    ["v0.3.0", 'CHANGELOG.md has no section "## [0.3.0]": move the Unreleased entries under it before tagging'],
  ])("notes %s: refused", (tag, message) => {
    expect(() => release.notes(tag, CHANGELOG)).toThrow(message);
  });

  test("an empty section is refused", () => {
    expect(() => release.notes("v0.2.0", "## [0.2.0]\n\n## [0.1.0]\n- x\n")).toThrow('CHANGELOG.md\'s section "## [0.2.0]" is empty');
  });

  test("check: a tag of another version than the manifests' is refused, naming them", () => {
    const version = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).version;
    expect(() => release.check("v99.0.0")).toThrow(`tag v99.0.0 is version 99.0.0, but package.json says ${version} and modules/package.json says ${version}: bump the versions (and the CHANGELOG) before tagging`);
  });

  test.each(Object.keys(FLAVOURS))("dir %s: where scripts/build-package.js puts the flavour", (flavour) => {
    expect(path.join(REPO, release.dir(flavour))).toBe(packageDirOf(flavour));
  });
});
