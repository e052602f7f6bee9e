/**
 * The constructs' own edit distance (no runtime dependency) against fastest-levenshtein, a
 * well-kept implementation used here as the oracle: adversarial pairs and 5,000 random ones.
 */
import { distance } from "fastest-levenshtein";
import { editDistance } from "../modules/common/edit-distance";

test.each<[string, string]>([
  ["", ""],
  ["", "kms:Decrypt"],
  ["kms:Decrypt", ""],
  ["kms:Decrypt", "kms:Decrypt"],
  ["kms:Decrpyt", "kms:Decrypt"],
  ["StringEqualz", "StringEquals"],
  ["a".repeat(40), "b".repeat(33)],
  ["kms:encrypt", "KMS:ENCRYPT"],
  ["ÉTÉ", "ETE"],
  ["🔑key", "key🔑"],
  ["abc\u0000", "abc"],
])("%j vs %j", (a, b) => {
  expect(editDistance(a, b)).toBe(distance(a, b));
});

test("5,000 random pairs, short and long, from a small alphabet (many near misses)", () => {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const word = () => Array.from({ length: Math.floor(random() * (random() < 0.9 ? 12 : 70)) }, () => "abcKMS:é🔑"[Math.floor(random() * 10)]).join("");
  const mismatches: string[] = [];
  for (let i = 0; i < 5000; i++) {
    const [a, b] = [word(), word()];
    if (editDistance(a, b) !== distance(a, b)) mismatches.push(JSON.stringify([a, b]));
  }
  expect(mismatches).toEqual([]);
});
