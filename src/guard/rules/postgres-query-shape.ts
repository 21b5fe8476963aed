/**
 * PostgreSQL queries as policy shapes (statement-shape.ts `QueryShape`): SELECT, UNION/INTERSECT/EXCEPT and
 * VALUES, with their CTEs, select lists and every clause that evaluates an expression. A clause this builder was
 * not written for (a field a future parser adds) makes the statement opaque rather than unseen.
 */
import type { CteShape, ExprShape, QueryShape, SelectItemShape, SelectShape, SetOperationShape, ValuesShape } from '../statement-shape.js';
import { addPostgresFromItem, type FromParts } from './postgres-from-shape.js';
import {
  assertKnownFields, columnRefParts, fieldSet, listOf, type NodeBody, nodeType, OpaqueConstruct, postgresExprShape, stringList, unwrapNode,
} from './postgres-expr-shape.js';

/** Every field of a raw SelectStmt (PostgreSQL 18). */
const SELECT_FIELDS = fieldSet(`
  distinctClause intoClause targetList fromClause whereClause groupClause groupDistinct havingClause windowClause
  valuesLists sortClause limitOffset limitCount limitOption lockingClause withClause op all larg rarg
`);
/** A VALUES list with nothing around it; ORDER BY, LIMIT or WITH on VALUES have no place in a ValuesShape. */
const VALUES_FIELDS = fieldSet('valuesLists op limitOption');
const CTE_FIELDS = fieldSet('ctename aliascolnames ctematerialized ctequery search_clause cycle_clause');
const RESTARGET_FIELDS = fieldSet('name val');

const SET_OPERATORS: Readonly<Record<string, string>> = { SETOP_UNION: 'union', SETOP_INTERSECT: 'intersect', SETOP_EXCEPT: 'except' };

const expr = (node: unknown): ExprShape => postgresExprShape(node, postgresQueryShape);

/** The shape of a query node (`{ SelectStmt: … }`); any other statement in its place is not a query. */
export function postgresQueryShape(stmt: unknown): QueryShape {
  const node = unwrapNode(stmt);
  if (node?.[0] !== 'SelectStmt') throw new OpaqueConstruct(node?.[0] ?? 'query');
  return queryOf(node[1]);
}

function queryOf(body: NodeBody): QueryShape {
  assertKnownFields('SelectStmt', body, SELECT_FIELDS);
  // The statement builder takes a top-level INTO off; anywhere else (a set operation's first branch) it is not read.
  if (body['intoClause'] !== undefined) throw new OpaqueConstruct('SELECT … INTO inside a query');
  if (body['op'] !== undefined && body['op'] !== 'SETOP_NONE') return setOperationShape(body);
  if (body['valuesLists'] !== undefined) return valuesShape(body);
  return selectShape(body);
}

/** A select list or RETURNING list: `*` and `t.*` as stars, everything else as an expression with its alias. */
export function postgresSelectItems(targetList: unknown): SelectItemShape[] {
  return listOf(targetList).map((target) => {
    const node = unwrapNode(target);
    if (node?.[0] !== 'ResTarget') throw new OpaqueConstruct(node?.[0] ?? 'select list');
    const body = node[1];
    assertKnownFields('ResTarget', body, RESTARGET_FIELDS);
    const val = unwrapNode(body['val']);
    if (val?.[0] === 'ColumnRef') {
      const ref = columnRefParts(val[1]);
      if (ref.isStar) return { kind: 'star', qualifier: ref.names.length > 0 ? ref.names : null };
    }
    // `(t).*`, `(f(x)).*` expand to as many output columns as the row has: one expression item would shift every
    // later position, and with them the columns the policy masks.
    if (val?.[0] === 'A_Indirection' && nodeType(listOf(val[1]['indirection']).at(-1)) === 'A_Star') {
      throw new OpaqueConstruct('(…).* in a select list');
    }
    const alias = typeof body['name'] === 'string' ? body['name'] : null;
    return { kind: 'expr', expr: expr(body['val']), alias };
  });
}

/** WITH … of a query or DML statement; only SELECT/VALUES queries are understood as CTE bodies. */
export function postgresCtes(withClause: unknown): CteShape[] {
  if (withClause === undefined) return [];
  const { ctes, recursive } = withClause as { ctes?: unknown; recursive?: unknown };
  return listOf(ctes).map((entry) => {
    const node = unwrapNode(entry);
    if (node?.[0] !== 'CommonTableExpr') throw new OpaqueConstruct(node?.[0] ?? 'WITH');
    const body = node[1];
    assertKnownFields('CommonTableExpr', body, CTE_FIELDS);
    // SEARCH … SET and CYCLE … SET add columns computed from the CTE's columns (an ordering, a path): a CteShape
    // has no place for what they read.
    if (body['search_clause'] !== undefined) throw new OpaqueConstruct('CTESearchClause');
    if (body['cycle_clause'] !== undefined) throw new OpaqueConstruct('CTECycleClause');
    if (typeof body['ctename'] !== 'string') throw new OpaqueConstruct('CommonTableExpr');
    // A data-modifying CTE (WITH d AS (DELETE …)) is no query: postgresQueryShape makes the statement opaque.
    const query = postgresQueryShape(body['ctequery']);
    const columns = body['aliascolnames'] === undefined ? {} : { columns: stringList(body['aliascolnames'], 'CommonTableExpr') };
    return { name: body['ctename'], ...columns, query, recursive: recursive === true };
  });
}

/** ORDER BY / GROUP BY / DISTINCT ON keys: an integer constant is a select-list position, the rest expressions. */
class Keys {
  readonly conditions: ExprShape[] = [];
  readonly positions: number[] = [];

  key(node: unknown): void {
    const constant = unwrapNode(node);
    if (constant?.[0] === 'A_Const' && constant[1]['ival'] !== undefined) {
      // The parser leaves out a zero, so `ival: {}` is 0 (which PostgreSQL rejects as a position).
      this.positions.push(Number((constant[1]['ival'] as { ival?: unknown }).ival ?? 0));
    } else {
      this.conditions.push(expr(node));
    }
  }

  /** GROUP BY keys, looking into ROLLUP, CUBE and GROUPING SETS, whose integer constants are positions too. */
  groupKey(node: unknown): void {
    const set = unwrapNode(node);
    if (set?.[0] === 'GroupingSet') for (const item of listOf(set[1]['content'])) this.groupKey(item);
    else this.key(node);
  }

  sortKeys(sortClause: unknown): void {
    for (const entry of listOf(sortClause)) {
      const sortBy = unwrapNode(entry);
      if (sortBy?.[0] !== 'SortBy') throw new OpaqueConstruct(sortBy?.[0] ?? 'ORDER BY');
      this.key(sortBy[1]['node']);
    }
  }

  /** OFFSET and LIMIT / FETCH FIRST: expressions whose result decides which rows come back. */
  limits(body: NodeBody): void {
    for (const field of ['limitOffset', 'limitCount']) if (body[field] !== undefined) this.conditions.push(expr(body[field]));
  }

  /** Positions once each, in the order first used. */
  uniquePositions(): number[] {
    return [...new Set(this.positions)];
  }
}

function selectShape(body: NodeBody): SelectShape {
  const ctes = postgresCtes(body['withClause']);
  const parts: FromParts = { from: [], conditions: [], usingColumns: [] };
  for (const item of listOf(body['fromClause'])) addPostgresFromItem(item, parts, postgresQueryShape);
  const items = postgresSelectItems(body['targetList']);
  const keys = new Keys();
  keys.conditions.push(...parts.conditions);
  if (body['whereClause'] !== undefined) keys.conditions.push(expr(body['whereClause']));
  for (const item of listOf(body['groupClause'])) keys.groupKey(item);
  if (body['havingClause'] !== undefined) keys.conditions.push(expr(body['havingClause']));
  // WINDOW w AS (PARTITION BY … ORDER BY …); inline OVER (…) specs are part of their call's expression.
  for (const window of listOf(body['windowClause'])) keys.conditions.push(expr(window));
  const distinct = listOf(body['distinctClause']);
  // Plain DISTINCT is a list holding one empty node; DISTINCT ON lists its expressions.
  const isPlainDistinct = distinct.length === 1 && Object.keys(distinct[0] ?? {}).length === 0;
  if (!isPlainDistinct) for (const node of distinct) keys.key(node);
  keys.sortKeys(body['sortClause']);
  keys.limits(body);
  // FOR UPDATE/SHARE [OF t] (lockingClause) locks rows; it reads no values, so the policy has nothing to see there.
  return {
    kind: 'select', ctes, from: parts.from, items, conditions: keys.conditions, usingColumns: parts.usingColumns,
    positions: keys.uniquePositions(), distinct: distinct.length > 0,
  };
}

/** UNION and EXCEPT bind alike; INTERSECT binds tighter. */
const precedence = (op: unknown): number => (op === 'SETOP_INTERSECT' ? 2 : 1);

/** Clauses that make a branch a parenthesised query of its own (it keeps them, so it is not flattened). */
const OWN_CLAUSES = ['withClause', 'sortClause', 'limitOffset', 'limitCount', 'lockingClause', 'intoClause'];

/**
 * Whether a left branch continues the chain of `op`: the parser nests `a UNION b EXCEPT c` as ((a UNION b) EXCEPT
 * c). Only operators of the same precedence are flattened, so the operators read left to right mean what SQL
 * means; a right branch is a set operation only when parenthesised, and stays nested.
 */
function continuesChain(larg: unknown, op: unknown): larg is NodeBody {
  if (larg === null || typeof larg !== 'object') return false;
  const body = larg as NodeBody;
  if (body['op'] === undefined || body['op'] === 'SETOP_NONE' || precedence(body['op']) !== precedence(op)) return false;
  return OWN_CLAUSES.every((clause) => body[clause] === undefined);
}

function operatorOf(body: NodeBody): string {
  const name = SET_OPERATORS[String(body['op'])];
  if (name === undefined) throw new OpaqueConstruct(String(body['op']));
  return body['all'] === true ? `${name} all` : name;
}

function branchOf(value: unknown): QueryShape {
  if (value === null || typeof value !== 'object') throw new OpaqueConstruct('SelectStmt');
  return queryOf(value as NodeBody);
}

function setOperationShape(body: NodeBody): SetOperationShape {
  const ctes = postgresCtes(body['withClause']);
  const links: NodeBody[] = [body];
  for (let link = body; continuesChain(link['larg'], link['op']); link = link['larg']) {
    assertKnownFields('SelectStmt', link['larg'], SELECT_FIELDS);
    links.push(link['larg']);
  }
  const branches = [branchOf(links.at(-1)!['larg'])];
  const operators: string[] = [];
  for (let i = links.length - 1; i >= 0; i--) {
    operators.push(operatorOf(links[i]!));
    branches.push(branchOf(links[i]!['rarg']));
  }
  const keys = new Keys();
  keys.sortKeys(body['sortClause']);
  keys.limits(body);
  return { kind: 'set', ctes, operators, branches, conditions: keys.conditions, positions: keys.uniquePositions() };
}

function valuesShape(body: NodeBody): ValuesShape {
  assertKnownFields('SelectStmt', body, VALUES_FIELDS, 'VALUES with ORDER BY, LIMIT or WITH');
  const rows = listOf(body['valuesLists']).map((row) => {
    const list = unwrapNode(row);
    if (list?.[0] !== 'List') throw new OpaqueConstruct('VALUES');
    return listOf(list[1]['items']).map(expr);
  });
  return { kind: 'values', rows };
}
