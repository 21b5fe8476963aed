/**
 * The ExprShape of a node-sql-parser expression: every column it names, the functions it calls and its subqueries.
 *
 * The walk is generic (every child of every node), so a column cannot hide in a field this file does not name; but
 * it descends only through node types it knows. Any other typed node becomes an opaque subquery, which the policy
 * refuses: a construct nobody has looked at might read a table or a row in a way a column list does not show.
 */
import type { ColumnRefShape, ExprShape, QueryShape } from '../statement-shape.js';
import { functionName, isNode, type AstNode } from './sql-parser-node.js';

/** What an expression summary needs from the rest of the builder (passed in: the two files do not import each other). */
export interface ExprContext {
  /** SQLite and SQL Server: a double_quote_string node is a name (see ShapeHints). */
  readonly doubleQuotedAreNames: boolean;
  /** SQL Server: an unqualified column_ref named `@p` is a variable (see ShapeHints). */
  readonly atNamesAreVariables: boolean;
  /** Unquoted words the grammar reads as a column that the server reads otherwise (see ShapeHints.misreadColumnNames). */
  readonly misreadColumnNames: ReadonlySet<string>;
  /** SQLite: `$name` is a parameter; elsewhere a name the server resolves (see ShapeHints.dollarNamesAreParameters). */
  readonly dollarNamesAreParameters: boolean;
  /** The shape of a query found inside an expression (a select node). */
  query(node: AstNode): QueryShape;
}

/** Literals and leaves: nothing in them names a column (a double_quote_string that is a name was read before). */
const LEAF_TYPES = new Set([
  'number', 'bool', 'boolean', 'null', 'single_quote_string', 'natural_string', 'hex_string', 'full_hex_string',
  'bit_string', 'var_string', 'string', 'regex_string', 'date', 'datetime', 'time', 'timestamp', 'origin', 'default',
  'param', 'star', 'var', 'datatype', 'collate', 'double_quote_string',
]);
/** Node types whose children are walked like any other part of the expression. */
const INNER_TYPES = new Set([
  'expr', 'expr_list', 'binary_expr', 'unary_expr', 'case', 'when', 'else', 'cast', 'interval', 'window', 'extract',
  'fulltext_search', 'ASC', 'DESC', 'asc', 'desc', 'rows', 'ESCAPE', 'within',
]);
/** Fields that hold the parser's bookkeeping, never part of the expression. */
const SKIPPED_KEYS = new Set(['loc', 'tableList', 'columnList']);
/** A column_ref's name fields, read by referenceOf(). */
const NAME_KEYS = new Set(['server', 'db', 'schema', 'table', 'column']);

/** A query the builder cannot see into, as a subquery or a source: `SELECT … FROM <opaque>`. */
export function opaqueQuery(what: string): QueryShape {
  return { kind: 'select', ctes: [], from: [{ kind: 'opaque', what }], items: [], conditions: [], usingColumns: [], positions: [], distinct: false };
}

/** True when the summary touches nothing: a literal, a parameter, `count(*)`'s star …. */
export function isEmptyExpr(expr: ExprShape): boolean {
  return expr.columns.length === 0 && expr.wholeRows.length === 0 && expr.subqueries.length === 0 && expr.functions.length === 0;
}

export function summarizeExpr(root: unknown, context: ExprContext): ExprShape {
  const columns: ColumnRefShape[] = [];
  const wholeRows: (readonly string[])[] = [];
  const subqueries: QueryShape[] = [];
  const functions: (readonly string[])[] = [];
  // Iterative, parents first and children in field order: a long AND/OR chain is a deep tree.
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push(value[i]);
      continue;
    }
    if (!isNode(value)) continue;
    const children = Object.entries(value).filter(([key, child]) => typeof child === 'object' && child !== null && !SKIPPED_KEYS.has(key));
    const type = typeof value.type === 'string' ? value.type : undefined;
    if (isNode(value.ast) || type === 'select') {
      // A subquery: `{ ast }` in expressions, a bare select node in some positions.
      subqueries.push(context.query(isNode(value.ast) ? value.ast : value));
      continue;
    }
    // SQL Server's $IDENTITY and $ROWGUID, which the grammar gives as variables, are the table's identity or
    // ROWGUIDCOL column, whichever that is (and MySQL's `$x` a column).
    if (type === 'var' && value.prefix === '$' && !context.dollarNamesAreParameters) {
      subqueries.push(opaqueQuery(`$${String(value.name)}`));
      continue;
    }
    const reference = referenceOf(value, context);
    if (reference === 'variable') continue;
    if (reference === 'opaque') {
      subqueries.push(opaqueQuery('a column reference the gate cannot read'));
      continue;
    }
    if (reference) {
      if (reference.name === '*') wholeRows.push(reference.qualifier);
      else columns.push(reference);
      pushChildren(stack, children.filter(([key]) => !NAME_KEYS.has(key)));
      continue;
    }
    if (type === 'function') {
      functions.push(functionName(value));
      pushChildren(stack, children.filter(([key]) => key !== 'name'));
    } else if (type === 'aggr_func') {
      functions.push([String(value.name)]);
      pushChildren(stack, children);
    } else if (type === undefined || INNER_TYPES.has(type)) {
      pushChildren(stack, children);
    } else if (!LEAF_TYPES.has(type)) {
      subqueries.push(opaqueQuery(type));
    }
  }
  const bare = columnOnly(root, context);
  return { ...(bare ? { bare } : {}), columns, wholeRows, subqueries, functions };
}

function pushChildren(stack: unknown[], children: readonly [string, unknown][]): void {
  for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]![1]);
}

/** The column `node` is when it is exactly one column and nothing else (no COLLATE or USING either), else undefined. */
function columnOnly(node: unknown, context: ExprContext): ColumnRefShape | undefined {
  if (!isNode(node) || node.collate || node.suffix) return undefined;
  const reference = referenceOf(node, context);
  return reference !== null && typeof reference === 'object' && reference.name !== '*' ? reference : undefined;
}

/**
 * A column reference (name '*' for `t.*`), 'variable' for SQL Server's `@p`, 'opaque' for a column_ref whose name
 * is not a string, or null when `node` is no column reference at all.
 */
function referenceOf(node: AstNode, context: ExprContext): ColumnRefShape | 'variable' | 'opaque' | null {
  // SQLite and SQL Server: "name"; MySQL: `name` where the grammar keeps the quotes.
  const isQuotedName = (node.type === 'double_quote_string' && context.doubleQuotedAreNames) || node.type === 'backticks_quote_string';
  if (isQuotedName) return typeof node.value === 'string' ? { qualifier: [], name: node.value } : 'opaque';
  if (node.type !== 'column_ref') return null;
  const name = typeof node.column === 'string' ? node.column : isNode(node.column) ? nameOf(node.column.expr, context.doubleQuotedAreNames) : null;
  if (name === null || name === '') return 'opaque';
  const qualifier = qualifierOf(node);
  if (context.atNamesAreVariables && qualifier.length === 0 && name.startsWith('@')) return 'variable';
  if (qualifier.length === 0 && context.misreadColumnNames.has(name.toUpperCase())) return 'opaque';
  return { qualifier, name };
}

/**
 * Name parts before the column, outermost first. SQL Server's grammar fills `schema` for s.t.c and `db` as well for
 * d.s.t.c; the others use `db` for d.t.c.
 */
export function qualifierOf(node: AstNode): string[] {
  return [node.server, node.db, node.schema, node.table].map((part) => nameOf(part)).filter((part): part is string => part !== null);
}

/**
 * A name field: a string, or a `{ type, value }` node of a name (a string literal node is no name: the parser saw
 * it emptied, see sql-parser-string-names.ts). Null when absent or not a name.
 */
export function nameOf(value: unknown, doubleQuotedAreNames = false): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  if (!isNode(value) || typeof value.value !== 'string') return null;
  const type = value.type;
  const isName = type === undefined || type === 'default' || type === 'backticks_quote_string' || type === 'brackets_quote_string'
    || (type === 'double_quote_string' && doubleQuotedAreNames);
  return isName ? value.value : null;
}
