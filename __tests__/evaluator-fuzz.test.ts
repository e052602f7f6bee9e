/**
 * The evaluator against iam-simulate on random key policies: a seeded run of a few thousand
 * generated policies (__tests__/support/random-policies.ts), each asked six random requests. Every
 * disagreement must be one of the documented exceptions (docs/policy-evaluation.md), shown to be
 * iam-simulate's reading by emulating it; any other fails with the seed and index that make it again.
 *
 * A larger run by hand: `MAVIK_FUZZ_N=200000 CI=true npx jest __tests__/evaluator-fuzz.test.ts`
 * (`MAVIK_FUZZ_SEED` for another seed, `MAVIK_FUZZ_ONLY=<index>` for one policy of a run).
 */
import { policyGrammar } from "../modules/index";
import { compare, describeDisagreement, Disagreement, EXCEPTIONS, Oracle } from "./support/oracle";
import { CALLERS, FUZZ_ACTIONS, FUZZ_KEY, policySeed, Random, randomContext, randomPolicy } from "./support/random-policies";

const SEED = Number(process.env.MAVIK_FUZZ_SEED ?? 23);
const N = Number(process.env.MAVIK_FUZZ_N ?? 2500);
const ONLY = process.env.MAVIK_FUZZ_ONLY === undefined ? undefined : Number(process.env.MAVIK_FUZZ_ONLY);
const REQUESTS = 6;
const again = (index: number) => `MAVIK_FUZZ_SEED=${SEED} MAVIK_FUZZ_N=${N} MAVIK_FUZZ_ONLY=${index} CI=true npx jest __tests__/evaluator-fuzz.test.ts`;

describe(`random key policies (seed ${SEED}, ${ONLY === undefined ? N : `policy #${ONLY} of ${N}`}) against iam-simulate`, () => {
  const disagreements: (Disagreement & { index: number })[] = [];
  const grammar: string[] = [];
  let asked = 0;
  let refused = 0;
  let allowed = 0;

  beforeAll(() => {
    for (let index = ONLY ?? 0; index < (ONLY === undefined ? N : ONLY + 1); index++) {
      const random = new Random(policySeed(SEED, index));
      const { policy, refusedAt } = randomPolicy(random);
      const findings = policyGrammar.check({ policy, accountId: FUZZ_KEY.account });
      if (refusedAt !== undefined) {
        refused++;
        if (!findings.some((f) => f.path === refusedAt)) grammar.push(`#${index}: the grammar does not refuse ${refusedAt}: ${JSON.stringify(policy)} (${again(index)})`);
        continue;
      }
      if (findings.length > 0) {
        grammar.push(`#${index}: ${findings.map((f) => f.message).join(" | ")} (${again(index)})`);
        continue;
      }
      const oracle = new Oracle(policy, FUZZ_KEY.keyArn!, FUZZ_KEY.account);
      for (let r = 0; r < REQUESTS; r++) {
        const principal = random.pick(CALLERS);
        const action = random.pick(FUZZ_ACTIONS);
        const context = randomContext(random, policy, principal);
        asked++;
        const { ours, disagreement } = compare(`#${index} (seed ${SEED})`, policy, oracle, FUZZ_KEY, principal, action, context);
        if (disagreement !== undefined) disagreements.push({ ...disagreement, index });
        if (ours.effect !== "deny") allowed++;
      }
    }
  });

  test("every generated policy is one the policy grammar accepts, and every refused shape is refused where it is", () => {
    expect(grammar.slice(0, 5)).toEqual([]);
    if (ONLY === undefined && N >= 1000) expect(refused).toBeGreaterThan(N / 100);
  });

  test("the run asks what it says, and both answers occur (no run that only denies)", () => {
    if (ONLY !== undefined) return expect(asked).toBeLessThanOrEqual(REQUESTS);
    expect(asked).toBeGreaterThan(N * REQUESTS * 0.9);
    expect(allowed).toBeGreaterThan(asked / 20);
  });

  test("every disagreement is a documented exception, shown to be iam-simulate's reading", () => {
    const unexplained = disagreements.filter((d) => d.exceptions.length === 0);
    const first = unexplained.slice(0, 5).map((d) => `${describeDisagreement(d)}\n  again: ${again(d.index)}\n  policy: ${JSON.stringify(policyOf(d.index))}`);
    expect({ unexplained: unexplained.length, first }).toEqual({ unexplained: 0, first: [] });
    for (const id of disagreements.flatMap((d) => d.exceptions)) expect(Object.keys(EXCEPTIONS)).toContain(id);
  });

  test("the run meets every documented exception: the generator reaches each case the table names", () => {
    const met = Object.fromEntries(Object.keys(EXCEPTIONS).map((id) => [id, disagreements.filter((d) => d.exceptions.includes(id)).length]));
    if (process.env.MAVIK_FUZZ_REPORT) process.stdout.write(`${JSON.stringify({ seed: SEED, policies: N, asked, allowed, refused, disagreements: disagreements.length, met })}\n`);
    if (ONLY === undefined && N >= 2500) expect(Object.entries(met).filter(([, n]) => n === 0).map(([id]) => id)).toEqual([]);
  });
});

/** The policy of run index `index`, made again from its seed. */
function policyOf(index: number) {
  return randomPolicy(new Random(policySeed(SEED, index))).policy;
}

