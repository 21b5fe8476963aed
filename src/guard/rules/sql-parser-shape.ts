/**
 * The StatementShape of a statement node-sql-parser parsed for the MySQL/MariaDB, SQLite or SQL Server gate: what
 * it reads and writes, for the table/column policy. This file maps statements; queries are in
 * sql-parser-query-shape.ts, expressions in sql-parser-expr-shape.ts, schema changes in sql-parser-ddl-shape.ts,
 * and what the tree does not say is read from the tokens (sql-parser-shape-hints.ts).
 */
import type { ColumnRefShape, ExprShape, OpaqueShape, SelectItemShape, SourceShape, StatementShape, TableSourceShape } from '../statement-shape.js';
import { shapeDdl } from './sql-parser-ddl-shape.js';
import { nameOf } from './sql-parser-expr-shape.js';
import { isNode, type AstNode } from './sql-parser-node.js';
import { isPresent, pushExpr, QueryShapeBuilder, unknownFieldOf, type FromShape } from './sql-parser-query-shape.js';
import type { ShapeHints } from './sql-parser-shape-hints.js';
import { mayUseStringAsName } from './sql-parser-string-names.js';

/** Statement fields read below, or known to change nothing the policy checks (IGNORE, OR REPLACE, PARTITION …). */
const INSERT_FIELDS = new Set(['type', 'with', 'table', 'columns', 'values', 'set', 'on_duplicate_update', 'returning', 'prefix', 'or', 'partition', 'loc']);
const UPDATE_FIELDS = new Set(['type', 'with', 'table', 'set', 'from', 'where', 'orderby', 'limit', 'returning', 'or', 'loc']);
const DELETE_FIELDS = new Set(['type', 'with', 'table', 'from', 'where', 'orderby', 'limit', 'returning', 'loc']);

export function buildParserShape(statement: AstNode, hints: ShapeHints): StatementShape {
  if (hints.hiddenClause) return opaque(hints.hiddenClause);
  if (mayUseStringAsName(statement, hints.emptiedStrings, hints.doubleQuotedAreNames)) return opaque('a string literal written where a name goes');
  return shapeStatement(statement, new QueryShapeBuilder(hints));
}

function shapeStatement(node: AstNode, queries: QueryShapeBuilder): StatementShape {
  switch (node.type) {
    case 'select':
    case 'values':
      return queries.query(node);
    case 'explain':
      return isNode(node.expr) ? { kind: 'explain', statement: shapeStatement(node.expr, queries) } : opaque('EXPLAIN');
    case 'insert':
    case 'replace':
      return shapeInsert(node, queries);
    case 'update':
      return shapeUpdate(node, queries);
    case 'delete':
      return shapeDelete(node, queries);
    case 'create':
    case 'alter':
    case 'drop':
    case 'truncate':
    case 'rename':
      return shapeDdl(node, queries);
    default:
      // MERGE, GRANT …: nothing here maps them.
      return opaque(typeof node.type === 'string' ? node.type.toUpperCase() : 'an unrecognised statement');
  }
}

function shapeInsert(node: AstNode, queries: QueryShapeBuilder): StatementShape {
  const statement = String(node.type).toUpperCase();
  const unknown = unknownFieldOf(node, INSERT_FIELDS, `${statement} …`);
  if (unknown) return opaque(unknown);
  const tables = Array.isArray(node.table) ? node.table : [];
  const target = tables.length === 1 && isNode(tables[0]) ? queries.table(tables[0]) : null;
  if (!target) return opaque(`${statement} into something other than one table`);
  const onConflict = isNode(node.on_duplicate_update) ? setsOf(node.on_duplicate_update.set, queries) : [];
  if (!onConflict) return opaque('ON DUPLICATE KEY UPDATE');
  const base = {
    kind: 'insert' as const,
    ctes: queries.ctes(node.with),
    target,
    onConflictSets: onConflict.map((set) => set.column.name),
    onConflictExprs: onConflict.map((set) => set.value),
    returning: returningOf(node.returning, queries),
  };
  if (isPresent(node.set)) {
    // MySQL's INSERT … SET a = 1, b = 2 is one row of VALUES.
    const sets = setsOf(node.set, queries);
    if (!sets) return opaque(`${statement} … SET`);
    return { ...base, columns: sets.map((set) => set.column.name), source: { kind: 'values', rows: [sets.map((set) => set.value)] } };
  }
  const columns = node.columns == null ? null : Array.isArray(node.columns) ? node.columns.map((c) => nameOf(isNode(c) ? c.column : c)) : [null];
  if (columns?.some((column) => column === null)) return opaque(`${statement} with a column list the gate cannot read`);
  const values = node.values;
  const source = values == null ? null : isNode(values) && values.type === 'values' ? queries.values(values.values) : queries.query(values);
  return { ...base, columns: columns as string[] | null, source };
}

/** MySQL: UPDATE t1 JOIN t2 ON … SET …; SQL Server: UPDATE x SET … FROM t AS x JOIN …; both: UPDATE t SET …. */
function shapeUpdate(node: AstNode, queries: QueryShapeBuilder): StatementShape {
  const unknown = unknownFieldOf(node, UPDATE_FIELDS, 'UPDATE …');
  if (unknown) return opaque(unknown);
  const tables = queries.from(node.table);
  const from = queries.from(node.from);
  const first = tables.sources[0];
  if (first?.kind !== 'table' || (node.from != null && tables.sources.length !== 1)) return opaque('UPDATE of something other than a table');
  const written = node.from == null ? { target: first, rest: tables.sources.slice(1) } : resolveTarget(first, from.sources);
  const sets = setsOf(node.set, queries);
  const conditions = joinConditions([tables, from]);
  if (!written || !sets || !conditions) return opaque(!written ? 'UPDATE of a table named twice in FROM' : !sets ? 'UPDATE … SET' : 'UPDATE with a NATURAL JOIN');
  pushExpr(conditions, queries.expr(node.where));
  pushExpr(conditions, queries.expr(node.orderby));
  pushExpr(conditions, queries.expr(node.limit));
  return { kind: 'update', ctes: queries.ctes(node.with), target: written.target, from: written.rest, sets, conditions, returning: returningOf(node.returning, queries) };
}

/**
 * DELETE FROM t …; MySQL DELETE t1, t2 FROM t1 JOIN t2 …; SQL Server DELETE x FROM t AS x JOIN …. `table` names the
 * targets, `from` the sources: the first target is the shape's target, any other stays in `from` (it is read there
 * too, so a denied table is still seen).
 */
function shapeDelete(node: AstNode, queries: QueryShapeBuilder): StatementShape {
  const unknown = unknownFieldOf(node, DELETE_FIELDS, 'DELETE …');
  if (unknown) return opaque(unknown);
  const from = queries.from(node.from);
  const targets = queries.from(node.table);
  if (targets.sources.length === 0 || targets.sources.some((target) => target.kind !== 'table')) return opaque('DELETE from something other than a table');
  const [first, ...others] = targets.sources as TableSourceShape[];
  const written = resolveTarget(first!, from.sources);
  if (!written) return opaque('DELETE of a table named twice in FROM');
  let sources = written.rest;
  for (const other of others) {
    const resolved = resolveTarget(other, sources);
    if (!resolved) return opaque('DELETE of a table named twice in FROM');
    // A further target that is no FROM item is read all the same: it joins the sources.
    if (resolved.target === other) sources = [...sources, other];
  }
  const conditions = joinConditions([from]);
  if (!conditions) return opaque('DELETE with a NATURAL JOIN');
  pushExpr(conditions, queries.expr(node.where));
  pushExpr(conditions, queries.expr(node.orderby));
  pushExpr(conditions, queries.expr(node.limit));
  return { kind: 'delete', ctes: queries.ctes(node.with), target: written.target, from: sources, conditions, returning: returningOf(node.returning, queries) };
}

/**
 * The FROM item a write target names: the one whose alias is the target's one-part name, or an unaliased table of
 * exactly the same name parts. Without one, the target is a table of its own next to the sources; with several,
 * null (the engine would refuse, and the shape cannot say which).
 */
function resolveTarget(target: TableSourceShape, sources: readonly SourceShape[]): { target: TableSourceShape; rest: SourceShape[] } | null {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const matches = sources.filter((source) => source.kind === 'table' && (source.alias !== null
    ? target.parts.length === 1 && same(source.alias, target.parts[0]!)
    : source.parts.length === target.parts.length && source.parts.every((part, i) => same(part, target.parts[i]!))));
  if (matches.length > 1) return null;
  const match = matches[0] as TableSourceShape | undefined;
  return match ? { target: match, rest: sources.filter((source) => source !== match) } : { target, rest: [...sources] };
}

/** JOIN … ON conditions and USING columns of a write's sources, as conditions; null for a NATURAL JOIN. */
function joinConditions(lists: readonly FromShape[]): ExprShape[] | null {
  const conditions: ExprShape[] = [];
  for (const list of lists) {
    if (list.usingColumns.includes('*natural*')) return null;
    conditions.push(...list.conditions);
    // The columns USING compares are named unqualified: they resolve to every source that has them.
    if (list.usingColumns.length > 0) {
      conditions.push({ columns: list.usingColumns.map((name) => ({ qualifier: [], name })), wholeRows: [], subqueries: [], functions: [] });
    }
  }
  return conditions;
}

/** SET lists: `[{ column, value, table? }]`; null when a column cannot be read. */
function setsOf(list: unknown, queries: QueryShapeBuilder): { column: ColumnRefShape; value: ExprShape }[] | null {
  if (!Array.isArray(list)) return null;
  const sets = list.map((set) => {
    if (!isNode(set)) return null;
    const name = nameOf(isNode(set.column) ? set.column.column : set.column);
    const table = nameOf(set.table);
    return name === null ? null : { column: { qualifier: table === null ? [] : [table], name }, value: queries.expr(set.value) };
  });
  return sets.some((set) => set === null) ? null : (sets as { column: ColumnRefShape; value: ExprShape }[]);
}

/** RETURNING (SQLite) as select items; SQL Server's OUTPUT does not parse in its grammar. */
function returningOf(returning: unknown, queries: QueryShapeBuilder): SelectItemShape[] {
  return isNode(returning) ? queries.items(returning.columns) : [];
}

function opaque(what: string): OpaqueShape {
  return { kind: 'opaque', what };
}
