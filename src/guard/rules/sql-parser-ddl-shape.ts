/**
 * Schema changes of node-sql-parser's tree: CREATE/ALTER VIEW and CREATE TABLE … AS SELECT as CreateFromQueryShape, and
 * CREATE/ALTER/DROP/TRUNCATE/RENAME of tables, views and indexes as DdlShape with every table they name. Any other
 * object (a database, trigger, procedure …) is opaque: its effect is not a matter of the tables it names.
 */
import type { StatementShape, TableSourceShape } from '../statement-shape.js';
import { nameOf, qualifierOf } from './sql-parser-expr-shape.js';
import { isNode, type AstNode } from './sql-parser-node.js';
import type { QueryShapeBuilder } from './sql-parser-query-shape.js';

/** Statement type → the `keyword` values (object kinds) mapped here; '' where the grammar gives none. */
const DDL_KINDS: Readonly<Record<string, ReadonlySet<string>>> = {
  create: new Set(['table', 'view', 'index']),
  alter: new Set(['', 'table', 'view']),
  drop: new Set(['table', 'view', 'index']),
  truncate: new Set(['', 'table']),
  rename: new Set(['', 'table']),
};

export function shapeDdl(node: AstNode, queries: QueryShapeBuilder): StatementShape {
  const type = String(node.type);
  const keyword = typeof node.keyword === 'string' ? node.keyword.toLowerCase() : '';
  const what = `${type} ${keyword}`.trim().toUpperCase();
  if (!DDL_KINDS[type]?.has(keyword)) return { kind: 'opaque', what };
  // ALTER VIEW … AS SELECT (SQL Server) replaces the view's query: checked like CREATE VIEW.
  const query = keyword === 'view' && type !== 'drop' ? node.select : type === 'create' ? node.query_expr : undefined;
  const named = namedTables(node, query);
  // A query anywhere else (a CHECK, a trigger body) reads tables the list below would not show.
  if (named === null) return { kind: 'opaque', what: `${what} with a query in it` };
  if (query == null) return { kind: 'ddl', tables: named };
  // CREATE TABLE n (a int REFERENCES p …) AS SELECT names p too, which CreateFromQueryShape cannot say.
  if (named.length !== 1) return { kind: 'opaque', what: `${what} … AS SELECT that names another table` };
  return { kind: 'create-from-query', target: named[0]!, query: queries.query(query) };
}

/**
 * Every table or view the statement names, in tree order: `{ db?, schema?, table }` nodes (DROP TABLE a, b;
 * RENAME pairs; REFERENCES p; ALTER … RENAME TO u), and CREATE VIEW's `{ db?, view }`. Column references are
 * skipped (their `table` is a qualifier), and so is `query`. Null when a query occurs anywhere else.
 */
function namedTables(root: AstNode, query: unknown): TableSourceShape[] | null {
  const tables: TableSourceShape[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === query) continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push(value[i]);
      continue;
    }
    if (!isNode(value) || value.type === 'column_ref') continue;
    if (isNode(value.ast) || value.type === 'select') return null;
    if (typeof value.table === 'string') tables.push({ kind: 'table', parts: qualifierOf(value), alias: null });
    const view = nameOf(value.view);
    if (view !== null) tables.push({ kind: 'table', parts: [...qualifierOf({ db: value.db, schema: value.schema }), view], alias: null });
    const children = Object.entries(value).filter(([key, child]) => key !== 'loc' && typeof child === 'object' && child !== null);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]![1]);
  }
  return tables;
}
