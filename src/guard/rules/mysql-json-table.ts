/**
 * JSON_TABLE in FROM, which MySQL 8 and MariaDB 10.6+ run and node-sql-parser 5 cannot parse (its MySQL and MariaDB
 * grammars take no function in FROM):
 *
 *   JSON_TABLE(t.doc, '$[*]' COLUMNS (id FOR ORDINALITY, a INT PATH '$.a' DEFAULT '0' ON EMPTY,
 *                                     NESTED PATH '$.b[*]' COLUMNS (b VARCHAR(10) PATH '$')) AS jt
 *
 * Both servers take only literals after the document: the row path, and in COLUMNS names, types, `PATH '…'`,
 * `DEFAULT 'x' ON EMPTY`, `NULL|ERROR ON ERROR` (MariaDB 10.11 answers a syntax error for `DEFAULT (1+1)`,
 * `DEFAULT @x`, `PATH CONCAT(…)`). The rewrite checks exactly that, token by token, and then hands the parser
 * `(SELECT `json_table17"`(t.doc, '$[*]'))`: the COLUMNS clause dropped, the document kept as an argument, so the
 * walk checks it like any other argument. A clause that holds anything else (a call, a variable, an operator) is
 * not rewritten, and the statement stays unparseable.
 *
 * The derived table is only a form the grammar can parse. restoreJsonTables puts back what the gate's list of table
 * functions and the shape expect: a function in FROM, named as written, with the columns the clause declares (read
 * again from the tokens at the index the marker carries; rewriteMarker() names cannot come from the statement).
 */
import { functionName, isNode, replaceNodes, someNode, type AstNode } from './sql-parser-node.js';
import { closingParen, openingParen, rewriteMarker, Unparseable, type Edits, type Token } from './sql-parser-text.js';

/** A rewritten JSON_TABLE: where its COLUMNS keyword is, the `)` that ends the call, and the columns it declares. */
interface JsonTableCall {
  readonly columnsAt: number;
  readonly close: number;
  readonly columns: readonly string[];
}

const MARKER = /^json_table(\d+)"$/;
/** Data types written with a parenthesised length, precision or list of values: `VARCHAR(10)`, `DECIMAL(10,2)`, `ENUM('a')`. */
const SIZED_TYPES = new Set([
  'BIGINT', 'BINARY', 'BIT', 'BLOB', 'CHAR', 'CHARACTER', 'DATETIME', 'DEC', 'DECIMAL', 'DOUBLE', 'ENUM', 'FIXED', 'FLOAT',
  'INT', 'INTEGER', 'MEDIUMINT', 'NCHAR', 'NUMERIC', 'NVARCHAR', 'REAL', 'SET', 'SMALLINT', 'TEXT', 'TIME', 'TIMESTAMP',
  'TINYINT', 'VARBINARY', 'VARCHAR', 'VARYING', 'YEAR',
]);
/** `NULL ON EMPTY`, `ERROR ON ERROR`; DEFAULT takes a literal. */
const RESPONSES = new Set(['NULL', 'ERROR']);

/** Hands the parser each JSON_TABLE whose path and COLUMNS clause hold only literals as a marked derived table. */
export function rewriteJsonTables(tokens: readonly Token[], edits: Edits): void {
  tokens.forEach((token, at) => {
    const call = token.kind === 'word' && token.value === 'JSON_TABLE' ? readJsonTable(tokens, at) : null;
    if (!call) return;
    edits.set(at, `(SELECT ${rewriteMarker(`json_table${at}`).text}`);
    for (let i = call.columnsAt; i < call.close; i++) edits.set(i, '');
    edits.set(call.close, '))');
  });
}

/**
 * Puts each rewritten JSON_TABLE back as a function in FROM, with `function_columns` (read by the shape builder).
 * One left anywhere else (a select list, a WHERE) is no table function the servers know: unparseable.
 */
export function restoreJsonTables(statement: AstNode, tokens: readonly Token[]): AstNode {
  if (!tokens.some((token) => token.kind === 'word' && token.value === 'JSON_TABLE')) return statement;
  const restored = replaceNodes(statement, (node) => withRestoredFrom(node, tokens));
  if (someNode(restored, (node) => markerIndex(node) !== null)) throw new Unparseable('JSON_TABLE(…) is a table: it goes in FROM, with an alias');
  return restored;
}

/** `JSON_TABLE ( doc , 'path' COLUMNS ( … ) )` at `at`, when the clause holds only literals; else null. */
function readJsonTable(tokens: readonly Token[], at: number): JsonTableCall | null {
  const open = at + 1;
  if (tokens[open]?.text !== '(') return null;
  const close = closingParen(tokens, open);
  if (close < 0 || tokens[close - 1]?.text !== ')') return null;
  const listOpen = openingParen(tokens, close - 1);
  const columnsAt = listOpen - 1;
  const isPathAfterDocument = tokens[columnsAt - 1]?.kind === 'string' && tokens[columnsAt - 2]?.text === ',' && columnsAt - 2 > open + 1;
  if (!isKeyword(tokens[columnsAt], 'COLUMNS') || tokens[columnsAt]!.depth !== tokens[open]!.depth + 1 || !isPathAfterDocument) return null;
  const list = readColumnList(tokens, listOpen);
  return list && list.close === close - 1 ? { columnsAt, close, columns: list.columns } : null;
}

/** `( column, … )`: the names it declares, NESTED PATH columns in place (they are columns of the same rows). */
function readColumnList(tokens: readonly Token[], open: number): { columns: string[]; close: number } | null {
  const columns: string[] = [];
  let i = open + 1;
  for (;;) {
    if (isKeyword(tokens[i], 'NESTED') && (isKeyword(tokens[i + 1], 'PATH') || tokens[i + 1]?.kind === 'string')) {
      i += isKeyword(tokens[i + 1], 'PATH') ? 2 : 1;
      if (tokens[i]?.kind !== 'string' || !isKeyword(tokens[i + 1], 'COLUMNS') || tokens[i + 2]?.text !== '(') return null;
      const nested = readColumnList(tokens, i + 2);
      if (!nested) return null;
      columns.push(...nested.columns);
      i = nested.close + 1;
    } else {
      const name = tokens[i];
      if (name?.kind !== 'word' && name?.kind !== 'quoted') return null;
      columns.push(name.kind === 'word' ? name.text : name.value);
      i = isKeyword(tokens[i + 1], 'FOR') && isKeyword(tokens[i + 2], 'ORDINALITY') ? i + 3 : readPathColumn(tokens, i + 1);
      if (i < 0) return null;
    }
    if (tokens[i]?.text === ',') i++;
    else return tokens[i]?.text === ')' && tokens[i]!.depth === tokens[open]!.depth ? { columns, close: i } : null;
  }
}

/**
 * `type [EXISTS] PATH 'path' [{NULL | ERROR | DEFAULT literal} ON {EMPTY | ERROR}]…` from `at`; the index after it,
 * or -1. A type is words (INT UNSIGNED, CHARACTER SET utf8mb4 COLLATE x), with a parenthesis only after a data
 * type's name and holding only numbers and strings: nothing in it can be a call.
 */
function readPathColumn(tokens: readonly Token[], at: number): number {
  let i = at;
  if (tokens[i]?.kind !== 'word') return -1;
  while (isTypePart(tokens[i])) {
    if (tokens[i + 1]?.text === '(') {
      const close = closingParen(tokens, i + 1);
      if (tokens[i]!.kind !== 'word' || !SIZED_TYPES.has(tokens[i]!.value) || close < 0) return -1;
      for (let j = i + 2; j < close; j++) if (tokens[j]!.kind !== 'number' && tokens[j]!.kind !== 'string' && tokens[j]!.text !== ',') return -1;
      i = close;
    }
    i++;
  }
  if (isKeyword(tokens[i], 'EXISTS')) i++;
  if (!isKeyword(tokens[i], 'PATH') || tokens[i + 1]?.kind !== 'string') return -1;
  i += 2;
  for (;;) {
    const word = tokens[i];
    if (word?.kind === 'word' && RESPONSES.has(word.value)) i++;
    else if (isKeyword(word, 'DEFAULT')) {
      i += tokens[i + 1]?.text === '-' || tokens[i + 1]?.text === '+' ? 2 : 1;
      if (tokens[i]?.kind !== 'string' && tokens[i]?.kind !== 'number') return -1;
      i++;
    } else return i;
    if (!isKeyword(tokens[i], 'ON') || !(isKeyword(tokens[i + 1], 'EMPTY') || isKeyword(tokens[i + 1], 'ERROR'))) return -1;
    i += 2;
  }
}

/** A word, name or string of a column's type (`INT`, `UNSIGNED`, `CHARACTER SET utf8mb4`, `COLLATE 'x'`) before its PATH. */
function isTypePart(token: Token | undefined): boolean {
  if (token?.kind === 'quoted' || token?.kind === 'string') return true;
  return token?.kind === 'word' && token.value !== 'PATH' && token.value !== 'EXISTS';
}

function isKeyword(token: Token | undefined, word: string): boolean {
  return token?.kind === 'word' && token.value === word;
}

/**
 * `node` with its FROM items restored, or undefined when none is a rewritten JSON_TABLE. FROM is an array, or
 * MySQL's `FROM (t1 JOIN t2) JOIN t3` as `{ expr: [...], joins: [...] }`.
 */
function withRestoredFrom(node: AstNode, tokens: readonly Token[]): AstNode | undefined {
  const from = node.from;
  const restore = (items: unknown[]) => {
    const restored = items.map((item) => restoredItem(item, tokens));
    return restored.some((item, i) => item !== items[i]) ? restored : undefined;
  };
  if (Array.isArray(from)) {
    const items = restore(from);
    return items && { ...node, from: items };
  }
  if (!isNode(from) || !Array.isArray(from.expr) || !Array.isArray(from.joins)) return undefined;
  const [expr, joins] = [restore(from.expr), restore(from.joins)];
  return expr || joins ? { ...node, from: { ...from, expr: expr ?? from.expr, joins: joins ?? from.joins } } : undefined;
}

/** `{ expr: { ast: SELECT `json_table17"`(doc, path) }, as }` → `{ expr: JSON_TABLE(doc, path), as, function_columns }`. */
function restoredItem(item: unknown, tokens: readonly Token[]): unknown {
  if (!isNode(item) || !isNode(item.expr)) return item;
  const select = isNode(item.expr.ast) ? item.expr.ast : item.expr;
  const columns = select.columns;
  if (select.type !== 'select' || select.from != null || select._next != null || !Array.isArray(columns) || columns.length !== 1) return item;
  const only: unknown = columns[0];
  const call = isNode(only) && only.as == null && isNode(only.expr) ? only.expr : undefined;
  const at = call ? markerIndex(call) : null;
  const declared = at === null ? null : readJsonTable(tokens, at);
  if (!call || at === null || !declared) return item;
  const expr = { type: 'function', name: { name: [{ type: 'default', value: tokens[at]!.text }] }, args: call.args, over: null };
  return { ...item, expr, function_columns: [...declared.columns] };
}

/** The token index a marker function carries, or null for any other node. */
function markerIndex(node: AstNode): number | null {
  if (node.type !== 'function') return null;
  const parts = functionName(node);
  const match = parts.length === 1 ? MARKER.exec(parts[0]!) : null;
  return match ? Number(match[1]) : null;
}
