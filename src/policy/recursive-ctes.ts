/**
 * The CTEs of a WITH RECURSIVE list, for the policy check (check-statement.ts). Two things make them unlike other
 * CTEs, and each let a masked value out unmasked when the check read them once, in order:
 * - every CTE of the list sees every other one, later ones included (PostgreSQL), and itself;
 * - a CTE's rows come in rounds, each computed from the rows of the round before, so a recursive branch can compute
 *   on a column that an earlier round only selected plainly: in `r(a, b) AS (SELECT '', '' UNION ALL SELECT
 *   c.email, upper(r.a) FROM r, customers c …)`, b holds upper(email) from the second round on.
 * So the outputs are computed again and again, starting from what each anchor (first branch) gives, until none of
 * them changes: the last round has checked every CTE against the outputs it really reads.
 */
import type { CteShape, QueryShape } from '../guard/statement-shape.js';
import { refuse, refuseUnplacedMasks } from './policy-refusal.js';
import type { QueryOutput } from './statement-scope.js';

/** Rounds over one WITH RECURSIVE list before it is refused: outputs only gain masks, so few rounds settle it. */
const MAX_ROUNDS = 16;

/** What a CTE not computed yet gives: no column the check knows of. */
const NOT_YET: QueryOutput = Object.freeze({ columns: [], knownWidth: false });

/** A CTE's output under the names its column list (`WITH x(a, b)`) gives. */
export function cteOutput(cte: CteShape, output: QueryOutput): QueryOutput {
  if (cte.columns) refuseUnplacedMasks(output, 'a column list');
  return { ...output, columns: output.columns.map((column, i) => ({ ...column, name: cte.columns?.[i] ?? column.name })) };
}

/**
 * Adds the outputs of a WITH RECURSIVE list to `visible` (which holds the enclosing CTEs). `check` checks a query
 * with the CTEs of `visible` in scope, refusing what the policy refuses, and returns its output.
 */
export function addRecursiveCtes(
  ctes: readonly CteShape[],
  visible: Map<string, QueryOutput>,
  check: (query: QueryShape, visible: ReadonlyMap<string, QueryOutput>) => QueryOutput,
): void {
  const key = (cte: CteShape): string => cte.name.toLowerCase();
  for (const cte of ctes) visible.set(key(cte), NOT_YET);
  for (const cte of ctes) {
    const anchor = cte.query.kind === 'set' ? cte.query.branches[0] : undefined;
    if (anchor) visible.set(key(cte), cteOutput(cte, check(anchor, visible)));
  }
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let isSettled = true;
    for (const cte of ctes) {
      const output = cteOutput(cte, check(cte.query, visible));
      if (JSON.stringify(output) !== JSON.stringify(visible.get(key(cte)))) {
        visible.set(key(cte), output);
        isSettled = false;
      }
    }
    if (isSettled) return;
  }
  refuse('The WITH RECURSIVE queries of this statement feed each other too intricately for this environment\'s table/column policy to follow, so it is refused.',
    'Simplify the recursive queries, or compute fewer columns in them.');
}
