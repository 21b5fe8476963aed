/**
 * FROM items of a PostgreSQL statement as policy sources (statement-shape.ts `SourceShape`). Joins are flattened
 * left to right into one list, their ON conditions and USING columns set aside for the enclosing statement. An item
 * this file does not know, or knows only partly (a field it was not written for), becomes an opaque source: the
 * policy refuses it rather than let it read unseen.
 */
import type { ExprShape, FunctionSourceShape, SourceShape } from '../statement-shape.js';
import {
  aliasName, assertKnownFields, fieldSet, listOf, type NodeBody, nodeType, OpaqueConstruct, postgresExprShape, stringList,
  type SubqueryShaper, tableOf, touchesAnything, unwrapNode,
} from './postgres-expr-shape.js';

/** What the FROM items of one statement add to it. */
export interface FromParts {
  readonly from: SourceShape[];
  /** JOIN … ON conditions, TABLESAMPLE arguments. */
  readonly conditions: ExprShape[];
  /** JOIN … USING columns; `NATURAL_JOIN` for a natural join. */
  readonly usingColumns: string[];
}

/**
 * A NATURAL JOIN compares every column the two sides share, which the builder cannot list without the catalog;
 * so the policy can refuse it when a side has restricted columns.
 */
export const NATURAL_JOIN = '*natural*';

const RANGE_VAR = fieldSet('catalogname schemaname relname inh relpersistence alias');
const RANGE_SUBSELECT = fieldSet('lateral subquery alias');
const RANGE_FUNCTION = fieldSet('lateral ordinality is_rowsfrom functions alias coldeflist');
const JOIN_EXPR = fieldSet('jointype isNatural larg rarg usingClause join_using_alias quals alias rtindex');
const RANGE_TABLE_SAMPLE = fieldSet('relation method args repeatable');
/** A call in FROM: aggregates, windows and FILTER are not allowed there, so a call with them is not understood. */
const FROM_CALL = fieldSet('funcname args funcformat func_variadic');

const opaque = (what: string): SourceShape => ({ kind: 'opaque', what });

/** Column names listed after an alias: `AS s(a, b)`; absent when none are. */
function aliasColumns(alias: unknown): { columns?: string[] } {
  const colnames = (alias as { colnames?: unknown } | undefined)?.colnames;
  return colnames === undefined ? {} : { columns: stringList(colnames, 'Alias') };
}

/** `AS f(a int, b text)`: the names of a column definition list. */
function definedColumns(coldeflist: unknown): string[] {
  return listOf(coldeflist).map((def) => {
    const colname = (unwrapNode(def)?.[1] as { colname?: unknown } | undefined)?.colname;
    if (typeof colname !== 'string') throw new OpaqueConstruct('ColumnDef');
    return colname;
  });
}

/** Adds one FROM item (a wrapped node) to `parts`; `shapeQuery` builds derived tables and subqueries. */
export function addPostgresFromItem(item: unknown, parts: FromParts, shapeQuery: SubqueryShaper): void {
  const node = unwrapNode(item);
  if (node === undefined) {
    parts.from.push(opaque('FROM item'));
    return;
  }
  const [type, body] = node;
  const expr = (value: unknown): ExprShape => postgresExprShape(value, shapeQuery);
  try {
    switch (type) {
      case 'RangeVar':
        assertKnownFields(type, body, RANGE_VAR);
        parts.from.push(tableOf(body));
        return;
      case 'RangeSubselect':
        assertKnownFields(type, body, RANGE_SUBSELECT);
        parts.from.push({ kind: 'query', query: shapeQuery(body['subquery']), alias: aliasName(body['alias']), ...aliasColumns(body['alias']) });
        return;
      case 'RangeFunction':
        assertKnownFields(type, body, RANGE_FUNCTION);
        parts.from.push(functionSource(body, expr));
        return;
      case 'JoinExpr':
        addJoin(body, parts, shapeQuery);
        return;
      case 'RangeTableSample': {
        assertKnownFields(type, body, RANGE_TABLE_SAMPLE);
        if (nodeType(body['relation']) !== 'RangeVar') throw new OpaqueConstruct(type);
        parts.from.push(tableOf(body['relation']));
        for (const value of [...listOf(body['args']), body['repeatable']]) if (value !== undefined) parts.conditions.push(expr(value));
        return;
      }
      case 'RangeTableFunc':
        parts.from.push(tableFunction(['xmltable'], body, xmlTableColumns(body), expr));
        return;
      case 'JsonTable':
        parts.from.push(tableFunction(['json_table'], body, jsonTableColumns(listOf(body['columns'])), expr));
        return;
      default:
        parts.from.push(opaque(type));
    }
  } catch (err) {
    if (!(err instanceof OpaqueConstruct)) throw err;
    parts.from.push(opaque(err.what));
  }
}

/**
 * A join's two sides go into `from` in order; ON into conditions, USING into usingColumns. A join with an alias
 * (`(a JOIN b) AS j`, `USING (id) AS j`) hides or renames its sides' names, which a flat source list cannot say.
 */
function addJoin(body: NodeBody, parts: FromParts, shapeQuery: SubqueryShaper): void {
  assertKnownFields('JoinExpr', body, JOIN_EXPR);
  if (body['alias'] !== undefined || body['join_using_alias'] !== undefined) throw new OpaqueConstruct('JOIN … AS alias');
  addPostgresFromItem(body['larg'], parts, shapeQuery);
  addPostgresFromItem(body['rarg'], parts, shapeQuery);
  if (body['quals'] !== undefined) parts.conditions.push(postgresExprShape(body['quals'], shapeQuery));
  parts.usingColumns.push(...stringList(body['usingClause'], 'JoinExpr'));
  if (body['isNatural'] === true) parts.usingColumns.push(NATURAL_JOIN);
}

/**
 * `f(…) AS a(x, y)`, `f(…) AS a(x int)`. ROWS FROM (f(…), g(…)) with several calls becomes one source named
 * `rows from` whose arguments are the whole calls (each with its function name), since its columns are those of
 * all the calls side by side under one alias.
 */
function functionSource(body: NodeBody, expr: (value: unknown) => ExprShape): FunctionSourceShape {
  const calls = listOf(body['functions']).map((entry) => {
    const list = unwrapNode(entry);
    const items = list?.[0] === 'List' ? listOf(list[1]['items']) : [];
    const call = unwrapNode(items[0]);
    // COALESCE(…), CAST(…), CURRENT_DATE … in FROM are no calls by name: nothing to call them.
    if (call?.[0] !== 'FuncCall') throw new OpaqueConstruct(call?.[0] ?? 'RangeFunction');
    assertKnownFields('FuncCall', call[1], FROM_CALL);
    // The second item is ROWS FROM's own `AS (a int, …)` for this call, or an empty object (a NULL) when absent.
    const coldef = unwrapNode(items[1]);
    return { node: items[0], body: call[1], columns: coldef?.[0] === 'List' ? definedColumns(coldef[1]['items']) : undefined };
  });
  const first = calls[0];
  if (first === undefined) throw new OpaqueConstruct('RangeFunction');
  const alias = aliasName(body['alias']);
  const named = aliasColumns(body['alias']);
  if (calls.length === 1) {
    const defined = body['coldeflist'] !== undefined ? definedColumns(body['coldeflist']) : first.columns;
    return {
      kind: 'function',
      name: stringList(first.body['funcname'], 'FuncCall'),
      args: listOf(first.body['args']).map(expr),
      alias,
      ...(named.columns !== undefined ? named : defined !== undefined ? { columns: defined } : {}),
    };
  }
  const everyDefined = calls.every((c) => c.columns !== undefined);
  return {
    kind: 'function',
    name: ['rows from'],
    args: calls.map((c) => expr(c.node)),
    alias,
    ...(named.columns !== undefined ? named : everyDefined ? { columns: calls.flatMap((c) => c.columns!) } : {}),
  };
}

/**
 * XMLTABLE and JSON_TABLE: one source whose arguments are every expression that feeds its rows and columns (the
 * document, PASSING values, DEFAULTs, paths), and whose columns are the ones it declares, renamed by the alias.
 */
function tableFunction(name: string[], body: NodeBody, declared: string[], expr: (value: unknown) => ExprShape): FunctionSourceShape {
  const args: ExprShape[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (key === 'alias' || key === 'lateral' || key === 'location') continue;
    for (const part of Array.isArray(value) ? value : [value]) {
      if (part === null || typeof part !== 'object') continue;
      const shape = expr(part);
      // Paths, formats and ON ERROR behaviours without expressions add nothing for the policy.
      if (touchesAnything(shape)) args.push(shape);
    }
  }
  const renamed = aliasColumns(body['alias']).columns ?? [];
  const columns = declared.map((column, i) => renamed[i] ?? column);
  return { kind: 'function', name, args, alias: aliasName(body['alias']), columns };
}

function xmlTableColumns(body: NodeBody): string[] {
  return listOf(body['columns']).map((column) => {
    const colname = (unwrapNode(column)?.[1] as { colname?: unknown } | undefined)?.colname;
    if (typeof colname !== 'string') throw new OpaqueConstruct('RangeTableFuncCol');
    return colname;
  });
}

/** JSON_TABLE columns in order, NESTED PATH columns in place (they are columns of the same rows). */
function jsonTableColumns(columns: readonly unknown[]): string[] {
  return columns.flatMap((column) => {
    const body = unwrapNode(column)?.[1] ?? {};
    if (body['coltype'] === 'JTC_NESTED') return jsonTableColumns(listOf(body['columns']));
    if (typeof body['name'] !== 'string') throw new OpaqueConstruct('JsonTableColumn');
    return [body['name']];
  });
}
