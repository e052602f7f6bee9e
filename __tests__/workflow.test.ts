/**
 * The pull-request workflow, read by GitHub's own parser (@actions/workflow-parser, the one the
 * Actions language server uses): it is valid, plans each environment in a matrix job, and
 * reviews and comments whatever the plan did. The scripts it runs are tested in review.test.ts
 * (against real Terraform plans) and comment.test.ts (against recorded GitHub exchanges).
 */
import * as fs from "fs";
import * as path from "path";
import { parseWorkflowFile } from "./support/processes";
import { REPO } from "./support/synth";

const WORKFLOW = path.join(REPO, ".github", "workflows", "pr-review.yml");

const parse = (content: string) => parseWorkflowFile("pr-review.yml", content);

interface Step {
  id: string;
  name?: string;
  if: string;
  run?: string;
  uses?: string;
}

function stepsOf(template: any, job: string): Step[] {
  const found = template.jobs.find((j: any) => j.id.value === job);
  return found.steps.map((s: any) => ({ id: s.id, name: s.name?.value, if: s.if?.expr ?? String(s.if), run: s.run?.value, uses: s.uses?.value }));
}

describe("the pull-request workflow, as GitHub's parser reads it", () => {
  let parsed: Awaited<ReturnType<typeof parse>>;
  beforeAll(async () => {
    parsed = await parse(fs.readFileSync(WORKFLOW, "utf8"));
  });

  test("has no errors", () => {
    expect(parsed.errors).toEqual([]);
  });

  test.each([
    ["a misspelt key", "runs-on: ubuntu-latest\n    outputs:", "runs-on: ubuntu-latest\n    output:", "Unexpected value 'output'"],
    ["a need of a job that is not there", "needs: environments", "needs: environment", "Job 'review' depends on unknown job 'environment'."],
    ["an unclosed expression", "if: always()\n        env:\n          BASE", "if: always(\n        env:\n          BASE", "Unexpected end of expression: '('"],
  ])("the parser does catch a broken workflow: %s", async (_name, from, to, message) => {
    const text = fs.readFileSync(WORKFLOW, "utf8");
    expect(text).toContain(from);
    const { errors } = await parse(text.replace(from, to));
    expect(errors.map((e) => e.replace(/^pr-review\.yml \(Line: \d+, Col: \d+\): /, ""))).toEqual([message]);
  });

  test("plans every environment in parallel: a matrix over the listed environments, none cancelling the others", () => {
    const review = parsed.template!.jobs.find((j: any) => j.id.value === "review") as any;
    expect(review.needs.map((n: any) => n.value)).toEqual(["environments"]);
    const strategy = Object.fromEntries(review.strategy.map.map((e: any) => [e.key.value, e.value]));
    expect(strategy["fail-fast"].value).toBe(false);
    // Each entry an environment with its account, region and roles (deploy-workflow.test.ts).
    expect(strategy.matrix.expr).toBe("fromJSON(needs.environments.outputs.matrix)");
    expect(stepsOf(parsed.template, "environments").find((s) => s.id === "list")?.run).toBe(
      'echo "matrix=$(npm run --silent plan -- --matrix --base "$BASE")" >> "$GITHUB_OUTPUT"',
    );
  });

  test("reviews and comments whatever happened before: the review, the comment and the artifact always run", () => {
    const steps = stepsOf(parsed.template, "review");
    const byName = (name: string) => steps.find((s) => s.name === name)!;
    expect(byName("terraform plan")).toMatchObject({ run: 'scripts/ci/plan.sh "$ENVIRONMENT" plans' });
    expect(byName("Review")).toMatchObject({ if: "always()", run: 'scripts/ci/review.sh "$ENVIRONMENT" plans "$BASE"' });
    expect(byName("Post or update the environment's comment")).toMatchObject({ if: "always()", run: 'npm run --silent comment -- --env "$ENVIRONMENT"' });
    expect(byName("Keep the report")).toMatchObject({ if: "always()", uses: "actions/upload-artifact@v4" });
    // The plan comes after synth and the credentials, the review after the plan, the comment last but the artifact.
    const order = ["Synthesize", "Assume the plan role (OIDC)", "terraform plan", "Review", "Post or update the environment's comment", "Keep the report"];
    expect(steps.filter((s) => s.name && order.includes(s.name)).map((s) => s.name)).toEqual(order);
  });

  test("the scripts it runs exist and are executable, and the commands it runs are package scripts", () => {
    for (const script of ["plan.sh", "review.sh"]) {
      const stat = fs.statSync(path.join(REPO, "scripts", "ci", script));
      expect(stat.mode & 0o111).not.toBe(0);
    }
    const scripts = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).scripts;
    const text = fs.readFileSync(WORKFLOW, "utf8");
    for (const [, name] of text.matchAll(/npm run (?:--silent )?([a-z]+)/g)) expect(Object.keys(scripts)).toContain(name);
  });

  test("the base branch is fetched, so --base origin/<base> can be read", () => {
    const text = fs.readFileSync(WORKFLOW, "utf8");
    expect(text.match(/fetch-depth: 0/g)).toHaveLength(2);
    expect(text.match(/BASE: origin\/\$\{\{ github\.base_ref \}\}/g)).toHaveLength(2);
  });
});
