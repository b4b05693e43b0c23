/**
 * "Did you mean ...?" for a mistyped name: the known name with the fewest
 * edits (Levenshtein distance, with a swap of two neighbours as one edit),
 * ties to the first in the list.
 */

/** Edits (insert, delete, substitute, swap neighbours) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest of `known` to `name` (case-insensitive), or undefined when `known` is empty. */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const distance = editDistance(name.toLowerCase(), k.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [k, distance];
  }
  return best;
}

/** The closest of `known` when it is a plausible typo of `name` (at most a third of its letters, and 3, differ). */
export function likelyMeant(name: string, known: readonly string[]): string | undefined {
  const best = closest(name, known);
  if (best === undefined) return undefined;
  return editDistance(name.toLowerCase(), best.toLowerCase()) <= Math.min(3, Math.max(1, Math.floor(name.length / 3))) ? best : undefined;
}
