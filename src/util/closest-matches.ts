/**
 * Ranks candidate strings by closeness to a query (case-insensitive Levenshtein distance, with substring
 * matches first), for "did you mean …" suggestions.
 */
export function closestMatches(query: string, candidates: readonly string[], count = 5): string[] {
  const q = query.toLowerCase();
  return candidates
    .map((candidate) => {
      const c = candidate.toLowerCase();
      const contains = c.includes(q) || q.includes(c);
      return { candidate, score: levenshtein(q, c) - (contains ? 100 : 0) };
    })
    .filter(({ candidate, score }) => score < 0 || score <= Math.max(2, Math.ceil(candidate.length * 0.5)))
    .sort((a, b) => a.score - b.score || a.candidate.localeCompare(b.candidate))
    .slice(0, count)
    .map(({ candidate }) => candidate);
}

export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
