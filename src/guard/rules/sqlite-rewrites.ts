/**
 * Narrow rewrites of SQLite syntax that node-sql-parser 5's SQLite grammar does not parse (it lacks window frames,
 * `OVER (ORDER BY …)` without PARTITION BY, EXCEPT/INTERSECT, [bracket] names …), so that ordinary analytics are
 * not refused. Each one swaps a keyword for an equivalent, adds a constant, or drops clauses made only of names,
 * numbers and keywords: every expression still reaches the walk. VALUES as a query has a file of its own
 * (sqlite-values.ts). The rewritten text is only parsed, never run. Gaps without a rewrite are listed in
 * docs/guard/sqlite.md.
 */
import { rewriteValuesLists } from './sqlite-values.js';
import { blankWindowFrame, closingParen, isInertCount, replaceByOne, rewriteAggregateDistinct, rewriteNamedWindows, rewriteSetOperations, type Edits, type Token } from './sql-parser-text.js';

const DISTINCT_AGGREGATES = new Set(['AVG', 'JSON_GROUP_ARRAY', 'JSON_GROUP_OBJECT', 'MAX', 'MIN', 'STRING_AGG', 'SUM', 'TOTAL']);
const FRAME_STARTS = new Set(['ROWS', 'RANGE', 'GROUPS']);

export function rewriteForSqliteParser(tokens: readonly Token[], edits: Edits): void {
  // First: it takes the tokens blanked so far (EXPLAIN [QUERY PLAN]) for the start of the statement.
  rewriteValuesLists(tokens, edits);
  rewriteSetOperations(tokens, edits);
  rewriteAggregateDistinct(tokens, edits, DISTINCT_AGGREGATES);
  rewriteNamedWindows(tokens, edits, '(PARTITION BY NULL)');
  tokens.forEach((token, i) => {
    const next = tokens[i + 1];
    // [name] → "name": the same identifier (quotedName() has refused any quote inside).
    if (token.kind === 'quoted' && token.text.startsWith('[')) edits.set(i, `"${token.value}"`);
    // ?1 → ?: numbered parameters are parameters all the same.
    else if (token.text === '?' && next?.kind === 'number' && next.start === token.end) edits.set(i + 1, '');
    else if (token.text === ',' && limitAt(tokens, i) >= 0) rewriteLimitCount(tokens, i, edits);
    if (token.kind !== 'word') return;
    if (token.value === 'OVER' && next?.text === '(') rewriteWindow(tokens, i + 1, edits);
    // LIMIT ? OFFSET ?: the grammar takes numbers only; an inert count becomes 1.
    else if (token.value === 'LIMIT' || token.value === 'OFFSET') rewriteLimitCount(tokens, i, edits);
    else if (token.value === 'NULLS' && (next?.value === 'FIRST' || next?.value === 'LAST')) edits.set(i, '').set(i + 1, '');
    // FULL and RIGHT joins parse as LEFT joins: the same tables and ON condition.
    else if ((token.value === 'RIGHT' || token.value === 'FULL') && (next?.value === 'JOIN' || next?.value === 'OUTER')) edits.set(i, 'LEFT');
    else if (token.value === 'ISNULL' && next?.text !== '(') edits.set(i, 'IS NULL');
    else if (token.value === 'NOTNULL') edits.set(i, 'IS NOT NULL');
    // GLOB and MATCH are pattern operators like LIKE.
    else if (token.value === 'NOT' && (next?.value === 'GLOB' || next?.value === 'MATCH')) edits.set(i + 1, 'LIKE');
    else if (token.value === 'MATCH' && !edits.has(i)) edits.set(i, 'LIKE');
    // a IS NOT DISTINCT FROM b is SQLite's a IS b; a IS DISTINCT FROM b is a IS NOT b.
    else if (token.value === 'DISTINCT' && next?.value === 'FROM' && tokens[i - 1]?.value === 'NOT' && tokens[i - 2]?.value === 'IS') {
      edits.set(i - 1, '').set(i, '').set(i + 1, '');
    } else if (token.value === 'DISTINCT' && next?.value === 'FROM' && tokens[i - 1]?.value === 'IS') edits.set(i, 'NOT').set(i + 1, '');
    // count(*) FILTER (WHERE c) → count(*) + (SELECT 1 WHERE c): the condition stays in the tree.
    else if (token.value === 'FILTER' && tokens[i - 1]?.text === ')' && next?.text === '(' && tokens[i + 2]?.value === 'WHERE') {
      edits.set(i, '+').set(i + 2, 'SELECT 1 WHERE');
    } else if (token.value === 'INDEXED' && next?.value === 'BY' && tokens[i + 2]) edits.set(i, '').set(i + 1, '').set(i + 2, '');
    else if (token.value === 'NOT' && next?.value === 'INDEXED') edits.set(i, '').set(i + 1, '');
    // WITH x AS [NOT] MATERIALIZED (…): a planner hint.
    else if (token.value === 'MATERIALIZED' && tokens[i - 1]?.value === 'AS') edits.set(i, '');
    else if (token.value === 'MATERIALIZED' && tokens[i - 1]?.value === 'NOT' && tokens[i - 2]?.value === 'AS') edits.set(i - 1, '').set(i, '');
  });
}

/** For a `,` in `LIMIT a, b`: the index of that LIMIT, or -1. */
function limitAt(tokens: readonly Token[], comma: number): number {
  const depth = tokens[comma]!.depth;
  for (let i = comma - 1; i >= 0 && tokens[i]!.depth >= depth; i--) {
    if (tokens[i]!.depth === depth && tokens[i]!.value === 'LIMIT') return i;
    if (tokens[i]!.depth === depth && tokens[i]!.text === ',') return -1;
  }
  return -1;
}

function rewriteLimitCount(tokens: readonly Token[], at: number, edits: Edits): void {
  const depth = tokens[at]!.depth;
  let end = at + 1;
  while (end < tokens.length && tokens[end]!.depth >= depth && !(tokens[end]!.depth === depth && [',', ')', 'OFFSET'].includes(tokens[end]!.value))) end++;
  if (!(end === at + 2 && tokens[at + 1]!.kind === 'number') && isInertCount(tokens, at + 1, end)) replaceByOne(edits, at + 1, end);
}

/**
 * OVER (…): the grammar wants PARTITION BY first and knows no frame. An absent PARTITION BY becomes PARTITION BY
 * NULL (one partition, the same thing), and a frame made of keywords and numbers is dropped.
 */
function rewriteWindow(tokens: readonly Token[], open: number, edits: Edits): void {
  if (closingParen(tokens, open) < 0) return;
  if (tokens[open + 1]?.value !== 'PARTITION') edits.set(open, '(PARTITION BY NULL ');
  blankWindowFrame(tokens, open, edits, FRAME_STARTS);
}
