/**
 * Ranks candidate strings by closeness to a query (case-insensitive edit distance, swaps included, with substring
 * matches first), for "did you mean …" suggestions.
 */
export function closestMatches(query: string, candidates: readonly string[], count = 5): string[] {
  const q = query.toLowerCase();
  return candidates
    .map((candidate) => {
      const c = candidate.toLowerCase();
      const contains = c.includes(q) || q.includes(c);
      return { candidate, score: editDistance(q, c) - (contains ? 100 : 0) };
    })
    .filter(({ candidate, score }) => score < 0 || score <= Math.max(2, Math.ceil(candidate.length * 0.5)))
    .sort((a, b) => a.score - b.score || a.candidate.localeCompare(b.candidate))
    .slice(0, count)
    .map(({ candidate }) => candidate);
}

/**
 * Edit distance counting an insertion, a deletion, a substitution or a swap of two neighbouring characters as one
 * (optimal string alignment): "mni" is one step from "min", as a typist would see it, not two.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) current[j] = Math.min(current[j]!, beforePrevious[j - 2]! + 1);
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length]!;
}
