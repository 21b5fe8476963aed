/**
 * Narrow rewrites of MySQL syntax that node-sql-parser 5 does not parse, so that ordinary analytics are not refused.
 * Each one only drops keywords, swaps a keyword for an equivalent, or turns a clause's expression into an argument
 * (WITHIN GROUP): no expression disappears from the tree that the gate walks. JSON_TABLE has a file of its own
 * (mysql-json-table.ts). The rewritten text is only parsed, never run. Gaps without a rewrite are listed in
 * docs/guard/mysql.md.
 */
import { rewriteJsonTables } from './mysql-json-table.js';
import { blankWindowFrame, closingParen, openingParen, rewriteAggregateDistinct, rewriteNamedWindows, type Edits, type Token } from './sql-parser-text.js';

/** Aggregates whose DISTINCT form the grammar lacks (COUNT and GROUP_CONCAT have it). */
const DISTINCT_AGGREGATES = new Set(['AVG', 'BIT_AND', 'BIT_OR', 'BIT_XOR', 'JSON_ARRAYAGG', 'MAX', 'MIN', 'STD', 'STDDEV', 'STDDEV_POP', 'STDDEV_SAMP', 'SUM', 'VAR_POP', 'VAR_SAMP', 'VARIANCE']);
/** STD and VARIANCE are MySQL's names for STDDEV_POP and VAR_POP, which the grammar knows. */
const SYNONYMS: Record<string, string> = { STD: 'STDDEV_POP', VARIANCE: 'VAR_POP' };
/** SELECT modifiers that only steer the optimizer or result buffering. */
const SELECT_MODIFIERS = new Set(['HIGH_PRIORITY', 'STRAIGHT_JOIN', 'SQL_SMALL_RESULT', 'SQL_BIG_RESULT', 'SQL_BUFFER_RESULT']);
/** The grammar parses ROWS frames but not RANGE ones. */
const RANGE = new Set(['RANGE']);
const SELECT_OPTIONS = new Set(['ALL', 'DISTINCT', 'DISTINCTROW', 'SQL_CACHE', 'SQL_NO_CACHE', 'SQL_CALC_FOUND_ROWS', ...SELECT_MODIFIERS]);
/** MariaDB's ordered-set aggregates: `PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY x) OVER (…)`. */
const ORDERED_SET_AGGREGATES = new Set(['PERCENTILE_CONT', 'PERCENTILE_DISC']);

export function rewriteForMysqlParser(tokens: readonly Token[], edits: Edits, isMariadb: boolean): void {
  // First: it blanks JSON_TABLE's COLUMNS clause, which the rewrites below then leave alone.
  rewriteJsonTables(tokens, edits);
  rewriteAggregateDistinct(tokens, edits, DISTINCT_AGGREGATES);
  // The MariaDB grammar lacks the WINDOW clause that MariaDB itself has.
  if (isMariadb) rewriteNamedWindows(tokens, edits, '()');
  tokens.forEach((token, i) => {
    // a <=> b (NULL-safe equality) → a = b: the same two operands.
    if (token.text === '<' && tokens[i + 1]?.text === '=' && tokens[i + 2]?.text === '>' && tokens[i + 2]!.start === token.end + 1) {
      edits.set(i, '').set(i + 2, '');
    }
    if (token.kind !== 'word' || edits.has(i)) return;
    const next = tokens[i + 1];
    if (SYNONYMS[token.value] && next?.text === '(') edits.set(i, SYNONYMS[token.value]!);
    else if (token.value === 'SELECT') rewriteSelectOptions(tokens, i + 1, edits);
    // t1 STRAIGHT_JOIN t2: an inner join with a fixed join order.
    else if (token.value === 'STRAIGHT_JOIN') edits.set(i, 'JOIN');
    // NATURAL JOIN: the join condition is implicit, so dropping the keyword hides nothing.
    else if (token.value === 'NATURAL' && next && ['JOIN', 'INNER', 'LEFT', 'RIGHT'].includes(next.value)) edits.set(i, '');
    else if (['USE', 'FORCE', 'IGNORE'].includes(token.value)) blankIndexHint(tokens, i, edits);
    else if (token.value === 'OVER' && next?.text === '(') blankWindowFrame(tokens, i + 1, edits, RANGE);
    else if (token.value === 'WITHIN') rewriteWithinGroup(tokens, i, edits);
    // a SOUNDS LIKE b compares like LIKE does, as far as the gate is concerned: two operands.
    else if (token.value === 'SOUNDS' && next?.value === 'LIKE') edits.set(i, '');
    // SUBSTRING(s FROM 2 FOR 3) is SUBSTRING(s, 2, 3).
    else if ((token.value === 'SUBSTRING' || token.value === 'SUBSTR') && next?.text === '(') commaForFromFor(tokens, i + 1, edits);
    // _utf8mb4'x': a character set introducer, which the grammar misreads before COLLATE.
    else if (token.value.startsWith('_') && next?.kind === 'string' && next.start === token.end) edits.set(i, '');
  });
}

/**
 * `PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY x [ASC|DESC])` → `PERCENTILE_CONT(0.5 , x)`: the call's `)` becomes
 * a comma, the keywords go, and the sort key becomes the call's last argument, closed by the clause's own `)`. So
 * whatever the clause holds (a subquery, a call) is still in the tree the gate walks, as an argument.
 */
function rewriteWithinGroup(tokens: readonly Token[], at: number, edits: Edits): void {
  const callClose = at - 1;
  const open = at + 2;
  if (tokens[callClose]?.text !== ')' || !isKeyword(tokens[at + 1], 'GROUP') || tokens[open]?.text !== '(') return;
  if (!isKeyword(tokens[open + 1], 'ORDER') || !isKeyword(tokens[open + 2], 'BY')) return;
  const name = tokens[openingParen(tokens, callClose) - 1];
  const close = closingParen(tokens, open);
  if (name?.kind !== 'word' || !ORDERED_SET_AGGREGATES.has(name.value) || close <= open + 3) return;
  edits.set(callClose, ',');
  for (let i = at; i <= open + 2; i++) edits.set(i, '');
  const last = tokens[close - 1]!;
  if (close - 1 > open + 3 && last.depth === tokens[open]!.depth + 1 && (isKeyword(last, 'ASC') || isKeyword(last, 'DESC'))) edits.set(close - 1, '');
}

function isKeyword(token: Token | undefined, word: string): boolean {
  return token?.kind === 'word' && token.value === word;
}

function commaForFromFor(tokens: readonly Token[], open: number, edits: Edits): void {
  const close = closingParen(tokens, open);
  for (let i = open + 1; i < close; i++) {
    if (tokens[i]!.depth === tokens[open]!.depth + 1 && (tokens[i]!.value === 'FROM' || tokens[i]!.value === 'FOR')) edits.set(i, ',');
  }
}

function rewriteSelectOptions(tokens: readonly Token[], from: number, edits: Edits): void {
  for (let i = from; tokens[i]?.kind === 'word' && SELECT_OPTIONS.has(tokens[i]!.value); i++) {
    if (SELECT_MODIFIERS.has(tokens[i]!.value)) edits.set(i, '');
    else if (tokens[i]!.value === 'DISTINCTROW') edits.set(i, 'DISTINCT');
  }
}

/** `t USE|FORCE|IGNORE INDEX|KEY [FOR JOIN|ORDER BY|GROUP BY] (name, …)`: index names only. */
function blankIndexHint(tokens: readonly Token[], at: number, edits: Edits): void {
  const previous = tokens[at - 1];
  if (!previous || (previous.kind !== 'word' && previous.kind !== 'quoted' && previous.text !== ')')) return;
  if (tokens[at + 1]?.value !== 'INDEX' && tokens[at + 1]?.value !== 'KEY') return;
  let open = at + 2;
  if (tokens[open]?.value === 'FOR') open += tokens[open + 1]?.value === 'JOIN' ? 2 : 3;
  if (tokens[open]?.text !== '(') return;
  const close = closingParen(tokens, open);
  if (close < 0) return;
  for (let i = open + 1; i < close; i++) {
    const token = tokens[i]!;
    if (token.kind !== 'word' && token.kind !== 'quoted' && token.text !== ',') return;
  }
  for (let i = at; i <= close; i++) edits.set(i, '');
}
