/**
 * The PostgreSQL statement shape (statement-shape.ts) for the table/column policy, built from the same libpg-query
 * parse the gate checked. This file reads statements (DML, EXPLAIN, CREATE … AS, DDL); queries, FROM items,
 * expressions and DDL names are read by postgres-query-shape.ts, -from-shape.ts, -expr-shape.ts and -ddl-shape.ts.
 *
 * The builder never guesses: a statement kind it does not know (SHOW, MERGE, CALL …), or a construct inside a
 * statement that the shape cannot express exactly, makes the whole statement opaque; an unknown FROM item becomes an
 * opaque source. Either way the policy refuses it in an environment that has one. `what` names the parser's node
 * type for what the builder does not know, and the SQL for what it knows but the shape has no place for.
 */
import type { DeleteShape, ExprShape, InsertShape, SelectItemShape, StatementShape, UpdateShape } from '../statement-shape.js';
import { postgresDdlShape } from './postgres-ddl-shape.js';
import {
  assertKnownFields, fieldSet, listOf, type NodeBody, OpaqueConstruct, postgresExprShape, tableOf, touchesAnything, unwrapNode,
} from './postgres-expr-shape.js';
import { addPostgresFromItem, type FromParts } from './postgres-from-shape.js';
import { postgresCtes, postgresQueryShape, postgresSelectItems } from './postgres-query-shape.js';
import { postgresStatementRule } from './postgres-statements.js';

const INSERT_FIELDS = fieldSet('relation cols selectStmt onConflictClause returningClause withClause override');
const UPDATE_FIELDS = fieldSet('relation targetList whereClause fromClause returningClause withClause');
const DELETE_FIELDS = fieldSet('relation usingClause whereClause returningClause withClause');
const ON_CONFLICT_FIELDS = fieldSet('action infer targetList whereClause');
const SET_TARGET_FIELDS = fieldSet('name indirection val');

const expr = (node: unknown): ExprShape => postgresExprShape(node, postgresQueryShape);

/** The shape of one parsed statement: the `.stmt` of an entry of libpg-query's `parseSync(sql).stmts`. */
export function postgresShape(stmt: unknown): StatementShape {
  const node = unwrapNode(stmt);
  if (node === undefined) return { kind: 'opaque', what: 'statement' };
  try {
    return statementShape(node[0], node[1]);
  } catch (err) {
    if (err instanceof OpaqueConstruct) return { kind: 'opaque', what: err.what };
    throw err;
  }
}

function statementShape(type: string, body: NodeBody): StatementShape {
  switch (type) {
    case 'SelectStmt': {
      const { intoClause, ...query } = body;
      if (intoClause === undefined) return postgresQueryShape({ SelectStmt: body });
      // SELECT … INTO t is CREATE TABLE t AS SELECT … by another name.
      return { kind: 'create-from-query', target: tableOf((intoClause as NodeBody)['rel']), query: postgresQueryShape({ SelectStmt: query }) };
    }
    case 'InsertStmt':
      return insertShape(body);
    case 'UpdateStmt':
      return updateShape(body);
    case 'DeleteStmt':
      return deleteShape(body);
    case 'ExplainStmt':
      return { kind: 'explain', statement: postgresShape(body['query']) };
    case 'CreateTableAsStmt':
      // CREATE TABLE … AS and CREATE MATERIALIZED VIEW … AS; `AS EXECUTE p` has no query to read.
      return {
        kind: 'create-from-query', target: tableOf((body['into'] as NodeBody | undefined)?.['rel']), query: postgresQueryShape(body['query']),
      };
    case 'ViewStmt':
      return { kind: 'create-from-query', target: tableOf(body['view']), query: postgresQueryShape(body['query']) };
    default:
      // The rest of what the gate lets through as DDL names tables; anything else (SHOW, MERGE …) is not read here.
      if (postgresStatementRule(type)?.handling === 'ddl') return postgresDdlShape(type, body);
      return { kind: 'opaque', what: type };
  }
}

/** RETURNING …; PostgreSQL 18's `RETURNING WITH (OLD AS o, NEW AS n)` renames rows the policy could not resolve. */
function returningItems(returningClause: unknown): SelectItemShape[] {
  if (returningClause === undefined) return [];
  const clause = returningClause as NodeBody;
  if (listOf(clause['options']).length > 0) throw new OpaqueConstruct('ReturningOption');
  return postgresSelectItems(clause['exprs']);
}

/**
 * One SET target (`col`, `col.field`, `col[i]`) and its value. A MultiAssignRef (`SET (a, b) = (SELECT …)`) gives
 * each column the whole source. Subscripts are returned apart: they decide where the value goes, so they are
 * conditions.
 */
function setTarget(target: unknown): { name: string; value: ExprShape; subscripts: ExprShape | undefined } {
  const node = unwrapNode(target);
  if (node?.[0] !== 'ResTarget' || typeof node[1]['name'] !== 'string') throw new OpaqueConstruct(node?.[0] ?? 'SET');
  const body = node[1];
  assertKnownFields('ResTarget', body, SET_TARGET_FIELDS);
  const val = unwrapNode(body['val']);
  const value = expr(val?.[0] === 'MultiAssignRef' ? val[1]['source'] : body['val']);
  const subscripts = body['indirection'] === undefined ? undefined : expr(body['indirection']);
  return { name: body['name'] as string, value, subscripts: subscripts && touchesAnything(subscripts) ? subscripts : undefined };
}

function insertShape(body: NodeBody): InsertShape {
  assertKnownFields('InsertStmt', body, INSERT_FIELDS);
  const ctes = postgresCtes(body['withClause']);
  const columns = body['cols'] === undefined ? null : listOf(body['cols']).map((col) => {
    const { name, subscripts } = setTarget(col);
    // INSERT INTO t (arr[(SELECT …)]): an InsertShape has no place for what a subscript reads.
    if (subscripts !== undefined) throw new OpaqueConstruct('INSERT into a subscript that is computed');
    return name;
  });
  const onConflictSets: string[] = [];
  const onConflictExprs: ExprShape[] = [];
  if (body['onConflictClause'] !== undefined) {
    const clause = body['onConflictClause'] as NodeBody;
    assertKnownFields('OnConflictClause', clause, ON_CONFLICT_FIELDS);
    for (const target of listOf(clause['targetList'])) {
      const { name, value, subscripts } = setTarget(target);
      onConflictSets.push(name);
      onConflictExprs.push(value, ...(subscripts ? [subscripts] : []));
    }
    if (clause['whereClause'] !== undefined) onConflictExprs.push(expr(clause['whereClause']));
    // The conflict target's columns only pick the arbiter index; its WHERE is evaluated like any predicate.
    const inferWhere = (clause['infer'] as NodeBody | undefined)?.['whereClause'];
    if (inferWhere !== undefined) onConflictExprs.push(expr(inferWhere));
  }
  return {
    kind: 'insert', ctes, target: tableOf(body['relation']), columns,
    source: body['selectStmt'] === undefined ? null : postgresQueryShape(body['selectStmt']),
    onConflictSets, onConflictExprs, returning: returningItems(body['returningClause']),
  };
}

/**
 * UPDATE … FROM and DELETE … USING sources. Their shapes have no usingColumns, so a JOIN … USING or NATURAL JOIN
 * there cannot be described and makes the statement opaque.
 */
function extraSources(items: unknown, clause: string): FromParts {
  const parts: FromParts = { from: [], conditions: [], usingColumns: [] };
  for (const item of listOf(items)) addPostgresFromItem(item, parts, postgresQueryShape);
  if (parts.usingColumns.length > 0) throw new OpaqueConstruct(`JOIN … USING or NATURAL JOIN in ${clause}`);
  return parts;
}

function updateShape(body: NodeBody): UpdateShape {
  assertKnownFields('UpdateStmt', body, UPDATE_FIELDS);
  const ctes = postgresCtes(body['withClause']);
  const parts = extraSources(body['fromClause'], 'UPDATE … FROM');
  const conditions = [...parts.conditions];
  const sets = listOf(body['targetList']).map((target) => {
    const { name, value, subscripts } = setTarget(target);
    if (subscripts !== undefined) conditions.push(subscripts);
    return { column: { qualifier: [], name }, value };
  });
  if (body['whereClause'] !== undefined) conditions.push(expr(body['whereClause']));
  const returning = returningItems(body['returningClause']);
  return { kind: 'update', ctes, target: tableOf(body['relation']), from: parts.from, sets, conditions, returning };
}

function deleteShape(body: NodeBody): DeleteShape {
  assertKnownFields('DeleteStmt', body, DELETE_FIELDS);
  const ctes = postgresCtes(body['withClause']);
  const parts = extraSources(body['usingClause'], 'DELETE … USING');
  const conditions = [...parts.conditions];
  if (body['whereClause'] !== undefined) conditions.push(expr(body['whereClause']));
  const returning = returningItems(body['returningClause']);
  return { kind: 'delete', ctes, target: tableOf(body['relation']), from: parts.from, conditions, returning };
}
