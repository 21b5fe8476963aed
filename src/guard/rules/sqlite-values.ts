/**
 * SQLite's VALUES as a query — `WITH t(x) AS (VALUES (1), (2))`, `FROM (VALUES (1, 'a'))`, `IN (VALUES …)`, or
 * `VALUES (1), (2)` alone — which node-sql-parser's SQLite grammar parses only after INSERT.
 *
 * SQLite runs a VALUES list as a compound of one-row SELECTs joined by UNION ALL, so the rewrite hands the parser
 * just that: `SELECT `values"`, 1 UNION ALL SELECT `values"`, 2`. Each row's expressions become a select list, whole
 * and in order, so the walk checks every one of them. Only a list that is the whole query is rewritten: right after
 * `(` and up to its `)`, or the whole statement; VALUES followed by ORDER BY, LIMIT or a set operator stays
 * unparseable. restoreValues then turns each marked compound back into the VALUES node the grammar would have made,
 * which the gate walks and the shape reads as VALUES (rewriteMarker() names cannot come from the statement).
 */
import { isNode, replaceNodes, someNode, type AstNode } from './sql-parser-node.js';
import { closingParen, rewriteMarker, Unparseable, type Edits, type Token } from './sql-parser-text.js';

const MARKER = rewriteMarker('values');
/** Fields a marked SELECT has besides its select list and the compound; any of them set means it is no row. */
const CLAUSES = ['with', 'distinct', 'from', 'where', 'groupby', 'having', 'orderby', 'limit', 'window', 'into', 'for_update'];

/** Hands the parser each VALUES list that is a whole query as a compound of marked one-row SELECTs. */
export function rewriteValuesLists(tokens: readonly Token[], edits: Edits): void {
  tokens.forEach((token, at) => {
    if (token.kind !== 'word' || token.value !== 'VALUES' || tokens[at + 1]?.text !== '(') return;
    const isWholeStatement = tokens.slice(0, at).every((_, i) => edits.get(i) === '');
    const end = tokens[at - 1]?.text === '(' ? closingParen(tokens, at - 1) : isWholeStatement ? tokens.length : -1;
    const rows = end < 0 ? null : rowsBetween(tokens, at + 1, end);
    if (!rows) return;
    edits.set(at, `SELECT ${MARKER.text},`);
    rows.forEach(([open, close], i) => {
      edits.set(open, i === 0 ? '' : `UNION ALL SELECT ${MARKER.text},`).set(close, '');
      if (i > 0) edits.set(open - 1, '');
    });
  });
}

/** Turns each marked compound back into `{ type: 'values', values: [expr_list …] }`; one it cannot read is unparseable. */
export function restoreValues(statement: AstNode, tokens: readonly Token[]): AstNode {
  if (!tokens.some((token) => token.kind === 'word' && token.value === 'VALUES')) return statement;
  const restored = replaceNodes(statement, (node) => (isMarkedRow(node) ? valuesOf(node) : undefined));
  if (someNode(restored, isMarkedRow)) throw new Unparseable('a VALUES list could not be read');
  return restored;
}

/** `( … ), ( … ), …` from `open` up to `end` exactly: the [open, close] of each non-empty row, or null. */
function rowsBetween(tokens: readonly Token[], open: number, end: number): [number, number][] | null {
  const rows: [number, number][] = [];
  let row = open;
  for (;;) {
    const close = tokens[row]?.text === '(' ? closingParen(tokens, row) : -1;
    if (close < 0 || close === row + 1) return null;
    rows.push([row, close]);
    if (close + 1 === end) return rows;
    if (tokens[close + 1]?.text !== ',') return null;
    row = close + 2;
  }
}

/** A SELECT the rewrite made of one row: the marker first in its select list. */
function isMarkedRow(node: AstNode): boolean {
  if (node.type !== 'select' || !Array.isArray(node.columns)) return false;
  const first: unknown = node.columns[0];
  return isNode(first) && isNode(first.expr) && first.expr.type === 'column_ref' && first.expr.table == null && first.expr.column === MARKER.name;
}

/** The VALUES node of a marked compound, or undefined when some branch is not one of the rewrite's rows. */
function valuesOf(first: AstNode): AstNode | undefined {
  const rows: AstNode[] = [];
  for (let node: unknown = first; node != null; node = (node as AstNode)._next) {
    if (!isNode(node) || !isMarkedRow(node) || CLAUSES.some((clause) => hasClause(node as AstNode, clause))) return undefined;
    if (node._next != null && String(node.set_op).toLowerCase().replace(/\s+/g, ' ') !== 'union all') return undefined;
    const items = (node.columns as unknown[]).slice(1);
    if (items.length === 0 || !items.every((item) => isNode(item) && item.as == null && isNode(item.expr))) return undefined;
    rows.push({ type: 'expr_list', value: items.map((item) => (item as AstNode).expr) });
  }
  return { type: 'values', values: rows };
}

function hasClause(node: AstNode, field: string): boolean {
  const value = node[field];
  return value != null && !(Array.isArray(value) && value.length === 0);
}
