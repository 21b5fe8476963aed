/**
 * Narrow rewrites of T-SQL that node-sql-parser 5 does not parse, so that ordinary analytics are not refused.
 * Each one swaps a keyword for an equivalent, or drops clauses made only of names, numbers and keywords (no
 * parenthesis, so no call can hide there): every expression still reaches the walk. The rewritten text is only
 * parsed, never run. Gaps without a rewrite are listed in docs/guard/mssql.md.
 */
import { closingParen, hasNoParentheses, isInertCount, replaceByOne, rewriteAggregateDistinct, rewriteSetOperations, type Edits, type Token } from './sql-parser-text.js';

const DISTINCT_AGGREGATES = new Set(['AVG', 'CHECKSUM_AGG', 'COUNT_BIG', 'MAX', 'MIN', 'STDEV', 'STDEVP', 'SUM', 'VAR', 'VARP']);
/** TRY_CAST parses like CAST, COUNT_BIG like COUNT; both are allowed built-ins either way. */
const SYNONYMS: Record<string, string> = { TRY_CAST: 'CAST', COUNT_BIG: 'COUNT' };
/** Hints the legacy form `FROM t (NOLOCK)` may carry; the parser takes `t (…)` for a function call. */
const TABLE_HINTS = new Set([
  'FORCESCAN', 'FORCESEEK', 'HOLDLOCK', 'NOEXPAND', 'NOLOCK', 'NOWAIT', 'PAGLOCK', 'READCOMMITTED', 'READCOMMITTEDLOCK',
  'READPAST', 'READUNCOMMITTED', 'REPEATABLEREAD', 'ROWLOCK', 'SERIALIZABLE', 'SNAPSHOT', 'TABLOCK', 'TABLOCKX', 'UPDLOCK',
  'XLOCK',
]);

export function rewriteForMssqlParser(tokens: readonly Token[], edits: Edits): void {
  rewriteSetOperations(tokens, edits);
  rewriteAggregateDistinct(tokens, edits, DISTINCT_AGGREGATES);
  tokens.forEach((token, i) => {
    if (token.kind !== 'word') return;
    const next = tokens[i + 1];
    if (SYNONYMS[token.value] && next?.text === '(') edits.set(i, SYNONYMS[token.value]!);
    else if (token.value === 'STRING_AGG' && next?.text === '(') blankWithinGroup(tokens, closingParen(tokens, i + 1) + 1, edits);
    else if (token.value === 'TOP') rewriteTop(tokens, i, edits);
    else if (token.value === 'FETCH' && (next?.value === 'FIRST' || next?.value === 'NEXT')) rewriteFetch(tokens, i, edits);
    else if (token.value === 'OFFSET') rewriteOffset(tokens, i, edits);
    // `expr AT TIME ZONE 'zone'` → `expr + 'zone'`: both operands stay in the tree.
    else if (token.value === 'AT' && next?.value === 'TIME' && tokens[i + 2]?.value === 'ZONE') {
      edits.set(i, '+').set(i + 1, '').set(i + 2, '');
    } else if (token.value === 'ESCAPE' && next?.kind === 'string') edits.set(i, '').set(i + 1, '');
    // N'x' COLLATE Latin1_General_BIN: the grammar takes COLLATE after names only; a collation is only a name.
    else if (token.value === 'COLLATE' && tokens[i - 1]?.kind === 'string' && next?.kind === 'word') edits.set(i, '').set(i + 1, '');
    else if (token.value === 'OPTION' && next?.text === '(' && token.depth === 0) blankQueryHints(tokens, i, edits);
    else if (token.value === 'GROUPING' && next?.value === 'SETS' && tokens[i + 2]?.text === '(') rewriteGroupingSets(tokens, i, edits);
    else if (token.value === 'TABLESAMPLE') blankTableSample(tokens, i, edits);
  });
  tokens.forEach((token, i) => {
    if (token.text === '(' && i > 0) addWithToLegacyHints(tokens, i, edits);
  });
}

/** STRING_AGG(…) WITHIN GROUP (ORDER BY a, b DESC): the grammar lacks it; an ORDER BY of plain names hides nothing. */
function blankWithinGroup(tokens: readonly Token[], at: number, edits: Edits): void {
  if (tokens[at]?.value !== 'WITHIN' || tokens[at + 1]?.value !== 'GROUP' || tokens[at + 2]?.text !== '(') return;
  const close = closingParen(tokens, at + 2);
  if (close < 0 || !hasNoParentheses(tokens, at + 3, close)) return;
  for (let i = at; i <= close; i++) edits.set(i, '');
}

/**
 * TOP (@p1) reads as a call named TOP to the grammar, which takes only a number there; an inert count becomes 1.
 * TOP n [PERCENT] WITH TIES: WITH TIES only changes how many rows come back.
 */
function rewriteTop(tokens: readonly Token[], at: number, edits: Edits): void {
  let i = at + 1;
  if (tokens[i]?.text === '(') {
    const close = closingParen(tokens, i);
    if (close < 0) return;
    if (!(close === i + 2 && tokens[i + 1]!.kind === 'number') && isInertCount(tokens, i + 1, close)) replaceByOne(edits, i + 1, close);
    i = close + 1;
  } else {
    i++;
  }
  if (tokens[i]?.value === 'PERCENT') i++;
  if (tokens[i]?.value === 'WITH' && tokens[i + 1]?.value === 'TIES') edits.set(i, '').set(i + 1, '');
}

/** Index of the first ROW/ROWS after `from` at `depth`, or -1. */
function rowsAt(tokens: readonly Token[], from: number, depth: number): number {
  for (let i = from; i < tokens.length && tokens[i]!.depth >= depth; i++) {
    if (tokens[i]!.depth === depth && (tokens[i]!.value === 'ROW' || tokens[i]!.value === 'ROWS')) return i;
  }
  return -1;
}

/**
 * OFFSET @p1 ROWS: the grammar takes a number only; an inert count becomes 1. Without FETCH, the grammar wants one
 * anyway: FETCH NEXT 1 ROWS ONLY is added, which changes nothing the gate checks.
 */
function rewriteOffset(tokens: readonly Token[], at: number, edits: Edits): void {
  const rows = rowsAt(tokens, at + 1, tokens[at]!.depth);
  if (rows < 0) return;
  if (!(rows === at + 2 && tokens[at + 1]!.kind === 'number') && isInertCount(tokens, at + 1, rows)) replaceByOne(edits, at + 1, rows);
  if (tokens[rows + 1]?.value !== 'FETCH') edits.set(rows, `${tokens[rows]!.text} FETCH NEXT 1 ROWS ONLY`);
}

/** FETCH FIRST|NEXT @p2 ROWS ONLY: FIRST means NEXT; an inert count becomes 1. */
function rewriteFetch(tokens: readonly Token[], at: number, edits: Edits): void {
  edits.set(at + 1, 'NEXT');
  const rows = rowsAt(tokens, at + 2, tokens[at]!.depth);
  if (rows > 0 && !(rows === at + 3 && tokens[at + 2]!.kind === 'number') && isInertCount(tokens, at + 2, rows)) replaceByOne(edits, at + 2, rows);
}

/**
 * GROUPING SETS ((a, b), (a), ()) → CUBE ((a, b), (a), (NULL)): the grammar knows CUBE(…) but not GROUPING SETS or
 * the empty grand-total set. Every grouping expression stays.
 */
function rewriteGroupingSets(tokens: readonly Token[], at: number, edits: Edits): void {
  const close = closingParen(tokens, at + 2);
  if (close < 0) return;
  edits.set(at, 'CUBE').set(at + 1, '');
  for (let i = at + 3; i < close; i++) if (tokens[i]!.text === '(' && tokens[i + 1]?.text === ')') edits.set(i, '(NULL');
}

/** t TABLESAMPLE [SYSTEM] (10 PERCENT) [REPEATABLE (42)]: numbers and keywords only. */
function blankTableSample(tokens: readonly Token[], at: number, edits: Edits): void {
  let open = at + 1;
  if (tokens[open]?.value === 'SYSTEM') open++;
  let close = tokens[open]?.text === '(' ? closingParen(tokens, open) : -1;
  if (close < 0 || !hasNoParentheses(tokens, open + 1, close)) return;
  if (tokens[close + 1]?.value === 'REPEATABLE' && tokens[close + 2]?.text === '(') {
    const end = closingParen(tokens, close + 2);
    if (end < 0 || !hasNoParentheses(tokens, close + 3, end)) return;
    close = end;
  }
  for (let i = at; i <= close; i++) edits.set(i, '');
}

/** OPTION (RECOMPILE, MAXDOP 1, …): query hints steer the optimizer; dropped when they hold no call. */
function blankQueryHints(tokens: readonly Token[], at: number, edits: Edits): void {
  const close = closingParen(tokens, at + 1);
  if (close < 0) return;
  for (let i = at + 2; i < close; i++) {
    // OPTION (TABLE HINT (t, UPDLOCK)) carries table hints: not dropped, so the locking-hint checks see it.
    if (tokens[i]!.value === 'TABLE') return;
    // USE HINT ('…') and OPTIMIZE FOR (@p = 1) take parentheses of their own, with literals only.
    if (tokens[i]!.text === '(' && !['HINT', 'FOR'].includes(tokens[i - 1]!.value)) return;
    if (tokens[i]!.kind === 'word' && tokens[i + 1]?.text === '(' && !['HINT', 'FOR'].includes(tokens[i]!.value)) return;
  }
  for (let i = at; i <= close; i++) edits.set(i, '');
}

/**
 * FROM t (NOLOCK) → FROM t WITH (NOLOCK), so that the locking-hint check sees it. Not after APPLY, where `f(x)` with
 * a column x of an earlier table is a real table-valued function call.
 */
function addWithToLegacyHints(tokens: readonly Token[], open: number, edits: Edits): void {
  const name = tokens[open - 1]!;
  if ((name.kind !== 'word' && name.kind !== 'quoted') || !TABLE_HINTS.has(tokens[open + 1]?.value ?? '')) return;
  const close = closingParen(tokens, open);
  if (close < 0 || close === open + 1) return;
  for (let i = open + 1; i < close; i++) {
    const token = tokens[i]!;
    if (token.text !== ',' && !(token.kind === 'word' && TABLE_HINTS.has(token.value))) return;
  }
  let start = open - 1;
  while (tokens[start - 1]?.text === '.' && tokens[start - 2]) start -= 2;
  const before = tokens[start - 1];
  if (!before || !['FROM', 'JOIN', ','].includes(before.value)) return;
  edits.set(open, 'WITH (');
}
