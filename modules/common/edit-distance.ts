/**
 * Levenshtein distance between two strings (by UTF-16 code unit), for "did you mean" hints.
 * Written here so the constructs need no runtime dependency; checked against
 * `fastest-levenshtein` (a devDependency) in `__tests__/edit-distance.test.ts`.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
