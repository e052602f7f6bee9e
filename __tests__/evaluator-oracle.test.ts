/**
 * The evaluator against an independent one, cell by cell: every policy of the corpus, every
 * principal it names (roles as their sessions) with the account's root, any other principal of
 * the account, a principal of another account and the services, eight actions, and for each the
 * normal direct call and witness contexts that decide every conditional statement.
 *
 * Where we disagree with @cloud-copilot/iam-simulate on purpose, the disagreement must be one of
 * the documented exceptions (docs/policy-evaluation.md, with the AWS documentation that settles
 * it); any other disagreement fails the test.
 */
import * as fs from "fs";
import * as path from "path";
import { accessMatrix, directCallContext, evaluate, KeyFacts, requestPrincipal } from "../modules/index";
import { ACCOUNT, CORPUS, KEY_ARN, REGION } from "./fixtures/policy-corpus";
import { ACTIONS, askPublicly, compare, describeDisagreement, Disagreement, EXCEPTIONS, Oracle, present, principalsOf } from "./support/oracle";
import { REPO } from "./support/synth";
import { satisfying, witnesses } from "./support/witnesses";

const KEY: KeyFacts = { account: ACCOUNT, partition: "aws", region: REGION, keyArn: KEY_ARN };
const NOW = new Date("2026-11-28T12:00:00Z");

const documented = fs.readFileSync(path.join(REPO, "docs", "policy-evaluation.md"), "utf8");

describe("the evaluator agrees with iam-simulate on every cell of the corpus, or the difference is documented", () => {
  const disagreements: Disagreement[] = [];
  let cells = 0;
  const claims: string[] = [];

  beforeAll(() => {
    for (const { name, policy } of CORPUS) {
      const oracle = new Oracle(policy, KEY_ARN, ACCOUNT);
      for (const principal of principalsOf(policy)) {
        const who = requestPrincipal(principal);
        const base = directCallContext(who, KEY, NOW);
        for (const context of witnesses(policy, base)) {
          for (const action of ACTIONS) {
            cells++;
            const { disagreement } = compare(name, policy, oracle, KEY, principal, action, context);
            if (disagreement !== undefined) disagreements.push(disagreement);
          }
        }
      }
      // The matrix's claims ("allowed when", "denied when") hold on a context that meets them.
      const matrix = accessMatrix(policy, KEY, NOW);
      matrix.rows.forEach((row, r) =>
        matrix.columns.forEach((column, c) => {
          const cell = matrix.cells[r][c];
          const who = requestPrincipal(row.principal);
          const base = directCallContext(who, KEY, NOW);
          for (const grant of cell.allowedWhen) {
            for (const action of column.actions) {
              const decision = evaluate(policy, KEY, { principal: who, action, context: satisfying(grant.when, base) });
              if (decision.effect === "deny" && decision.reason !== "explicit") claims.push(`${name} | ${row.label} | ${action}: "allowed when" ${JSON.stringify(grant.when)} is not`);
            }
          }
          for (const denial of cell.deniedWhen) {
            for (const action of column.actions) {
              const decision = evaluate(policy, KEY, { principal: who, action, context: satisfying(denial.when, base) });
              if (decision.effect !== "deny") claims.push(`${name} | ${row.label} | ${action}: "denied when" ${JSON.stringify(denial.when)} is not`);
            }
          }
        }),
      );
    }
  });

  test("the corpus is wide: at least 60 policies and thousands of cells, as docs/policy-evaluation.md says", () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(60);
    expect(cells).toBeGreaterThan(5000);
    const said = /a corpus of (\d+) key policies[\s\S]*?: ([\d,]+) cells/.exec(documented.replace(/\n/g, " "));
    expect([Number(said?.[1]), Number(said?.[2].replace(/,/g, ""))]).toEqual([CORPUS.length, cells]);
  });

  test("every disagreement is a documented exception", () => {
    const unexplained = disagreements.filter((d) => d.exceptions.length === 0).map(describeDisagreement);
    expect(unexplained.slice(0, 20)).toEqual([]);
  });

  test("each exception the corpus meets is in the table of docs/policy-evaluation.md, and the corpus meets each one there", () => {
    const used = [...new Set(disagreements.flatMap((d) => d.exceptions))].sort();
    const listed = [...documented.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]).sort();
    expect(used).toEqual(listed);
    expect(Object.keys(EXCEPTIONS).sort()).toEqual(listed);
  });

  test("the matrix's conditional cells are what a context meeting the conditions gets", () => {
    expect(claims).toEqual([]);
  });
});

test("the fast path to iam-simulate answers as its public, validating entry point does", async () => {
  const sample = CORPUS.filter((_, i) => i % 9 === 0);
  let asked = 0;
  for (const { policy } of sample) {
    const oracle = new Oracle(policy, KEY_ARN, ACCOUNT);
    for (const principal of principalsOf(policy).slice(0, 4)) {
      const context = present(directCallContext(requestPrincipal(principal), KEY, NOW).completed());
      for (const action of ["kms:Decrypt", "kms:PutKeyPolicy"]) {
        expect([principal, action, oracle.ask(principal, action, context).effect]).toEqual([principal, action, await askPublicly(policy, KEY_ARN, ACCOUNT, principal, action, context)]);
        asked++;
      }
    }
  }
  expect(asked).toBeGreaterThan(40);
});
