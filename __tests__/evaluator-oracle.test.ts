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
import {
  accessMatrix,
  actionMatches,
  Decision,
  directCallContext,
  evaluate,
  KeyFacts,
  PolicyDocument,
  PolicyStatement,
  requestPrincipal,
} from "../modules/index";
import { asList, conditionValues } from "../modules/key-policy/document";
import { parseDate, parseOperator } from "../modules/access/conditions";
import { ACCOUNT, CORPUS, KEY_ARN, REGION } from "./fixtures/policy-corpus";
import { ACTIONS, askPublicly, Oracle, OracleAnswer, OracleContext, present, principalsOf } from "./support/oracle";
import { REPO } from "./support/synth";
import { satisfying, witnesses } from "./support/witnesses";

const KEY: KeyFacts = { account: ACCOUNT, partition: "aws", region: REGION, keyArn: KEY_ARN };
const NOW = new Date("2026-11-28T12:00:00Z");

interface Disagreement {
  readonly policy: string;
  readonly principal: string;
  readonly action: string;
  readonly context: OracleContext;
  readonly ours: Decision;
  readonly theirs: OracleAnswer;
}

/** The statements of `policy` whose Action (or NotAction) covers `action`. */
function covering(policy: PolicyDocument, action: string): PolicyStatement[] {
  return policy.Statement.filter((s) => actionMatches(s, action));
}

/** Condition values of a statement, by operator kind. */
function statementConditionValues(statement: PolicyStatement): { kind?: string; key: string; value: string }[] {
  return Object.entries(statement.Condition ?? {}).flatMap(([op, keys]) =>
    Object.entries(keys).flatMap(([key, values]) => conditionValues(values).map((value) => ({ kind: parseOperator(op)?.base.kind, key, value }))),
  );
}

/**
 * The documented exceptions, each as narrow as the case it names: where we and iam-simulate
 * differ, and AWS's documentation says we are right (docs/policy-evaluation.md).
 */
const EXCEPTIONS: Record<string, (d: Disagreement, policy: PolicyDocument) => boolean> = {
  // KMS refuses operations whose API reference says "Cross-account use: No" from other accounts.
  "kms-cross-account": (d) => d.ours.reason === "cross-account" && d.theirs.effect !== "deny",
  // A NotPrincipal exempts a principal only when each of its identities (account, user or role,
  // session) is listed; iam-simulate exempts it when any one is (the account, or the role of a session).
  "notprincipal-every-identity": (d, policy) => {
    const who = requestPrincipal(d.principal);
    if (who.kind === "service") return false;
    const identities = who.kind === "session" ? [who.account, who.principalArn, who.arn] : who.kind === "root" ? [who.account] : [who.account, who.arn];
    return covering(policy, d.action).some((s) => {
      if (s.NotPrincipal === undefined || s.NotPrincipal === "*") return false;
      const listed = asList(s.NotPrincipal.AWS).map((e) => e.replace(/^arn:aws:iam::(\d{12}):root$/, "$1").replace(/:role\/.*\/([^/]+)$/, ":role/$1"));
      const hits = identities.filter((i) => listed.includes(i));
      return hits.length > 0 && hits.length < identities.length;
    });
  },
  // A variable holds a colon (`${aws:PrincipalAccount}`); an ARN operator splits the ARN into its six
  // components after resolving it, iam-simulate before.
  "arn-variable-colon": (d, policy) =>
    covering(policy, d.action).some((s) => statementConditionValues(s).some((c) => c.kind === "arn" && /\$\{[^}]*:[^}]*\}/.test(c.value))),
  // Epoch seconds and ISO 8601 dates are instants alike; iam-simulate compares seconds with milliseconds.
  "date-epoch-seconds": (d, policy) =>
    covering(policy, d.action).some((s) =>
      statementConditionValues(s).some((c) => c.kind === "date" && (c.key.toLowerCase() === "aws:epochtime") !== /^\d+$/.test(c.value) && parseDate(c.value) !== undefined),
    ),
};

const documented = fs.readFileSync(path.join(REPO, "docs", "policy-evaluation.md"), "utf8");

describe("the evaluator agrees with iam-simulate on every cell of the corpus, or the difference is documented", () => {
  const disagreements: (Disagreement & { exception?: string })[] = [];
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
            const ours = evaluate(policy, KEY, { principal: who, action, context });
            const theirs = oracle.ask(principal, action, present(context));
            cells++;
            const explicitAgrees = (ours.reason === "explicit") === (theirs.keyPolicyResult === "ExplicitlyDenied") || ours.reason === "cross-account";
            if (ours.effect === theirs.effect && (ours.effect !== "deny" || explicitAgrees)) continue;
            const d: Disagreement = { policy: name, principal, action, context: present(context), ours, theirs };
            const exception = Object.keys(EXCEPTIONS).find((id) => EXCEPTIONS[id](d, policy));
            disagreements.push({ ...d, exception });
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
    const unexplained = disagreements
      .filter((d) => d.exception === undefined)
      .map((d) => `${d.policy} | ${d.principal} | ${d.action} | ${JSON.stringify(d.context)}: ours ${d.ours.effect}${d.ours.reason ? ` (${d.ours.reason})` : ""}, iam-simulate ${d.theirs.effect} (${d.theirs.keyPolicyResult})`);
    expect(unexplained.slice(0, 20)).toEqual([]);
  });

  test("each exception used is in the table of docs/policy-evaluation.md, and each one there is used", () => {
    const used = [...new Set(disagreements.map((d) => d.exception).filter((e): e is string => e !== undefined))].sort();
    const listed = [...documented.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]).sort();
    expect(used).toEqual(listed);
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
