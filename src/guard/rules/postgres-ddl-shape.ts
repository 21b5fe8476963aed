/**
 * Schema changes and maintenance as policy shapes (statement-shape.ts `DdlShape`): the tables a statement names,
 * so the policy can refuse changes to denied or restricted tables. Tables are found wherever the statement names
 * them: every RangeVar in its tree (ALTER TABLE t, REFERENCES r, INHERITS (p), TRUNCATE a, b, GRANT … ON t), plus
 * the name lists that DROP, COMMENT, ALTER … OWNER/SET SCHEMA/RENAME use for relations and what hangs off them.
 *
 * Some changes reach tables without naming them; those are opaque, so the policy refuses them.
 */
import type { DdlShape, OpaqueShape, TableSourceShape } from '../statement-shape.js';
import { listOf, type NodeBody, OpaqueConstruct, tableOf, unwrapNode } from './postgres-expr-shape.js';
import { postgresStatementRule } from './postgres-statements.js';

/** Object types named by a qualified name of the relation itself: `[schema?, name]`. */
const RELATION_TYPES = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE', 'OBJECT_SEQUENCE', 'OBJECT_INDEX']);
/** Object types named by their relation's name plus their own: `[schema?, table, column | trigger | …]`. */
const ON_RELATION_TYPES = new Set(['OBJECT_COLUMN', 'OBJECT_TRIGGER', 'OBJECT_POLICY', 'OBJECT_RULE', 'OBJECT_TABCONSTRAINT']);

/** Where each statement keeps its object type and the name list(s) of what it acts on. */
const NAMED_OBJECTS: Readonly<Record<string, { readonly type: string; readonly names: string; readonly isList: boolean }>> = {
  DropStmt: { type: 'removeType', names: 'objects', isList: true },
  CommentStmt: { type: 'objtype', names: 'object', isList: false },
  AlterObjectSchemaStmt: { type: 'objectType', names: 'object', isList: false },
  AlterOwnerStmt: { type: 'objectType', names: 'object', isList: false },
  RenameStmt: { type: 'renameType', names: 'object', isList: false },
};

/**
 * Changes that reach every table of a schema, or tables that depend on the object, without naming them; returns
 * what they are, for the refusal:
 * - ALTER SCHEMA s RENAME moves every table of s out from under the names the policy lists;
 * - DROP SCHEMA/TYPE/FUNCTION/… CASCADE drops the tables or columns that depend on it;
 * - GRANT … ON ALL TABLES IN SCHEMA s opens denied tables to other roles.
 */
function unnamedTablesReached(type: string, body: NodeBody, name: string): string | undefined {
  if (type === 'RenameStmt' && body['renameType'] === 'OBJECT_SCHEMA') return 'ALTER SCHEMA … RENAME';
  if (type === 'DropStmt' && body['behavior'] === 'DROP_CASCADE' && !RELATION_TYPES.has(String(body['removeType']))) return `${name} … CASCADE`;
  if (type === 'GrantStmt' && body['targtype'] === 'ACL_TARGET_ALL_IN_SCHEMA') return `${name} … ON ALL TABLES IN SCHEMA`;
  return undefined;
}

/** `List` of Strings → the relation it names for `objectType`, if it names one. */
function relationOfName(objectType: string, name: unknown): TableSourceShape | undefined {
  const list = unwrapNode(name);
  if (list?.[0] !== 'List') return undefined;
  const parts = listOf(list[1]['items']).map((item) => (item as { String?: { sval?: unknown } }).String?.sval);
  if (!parts.every((p): p is string => typeof p === 'string')) return undefined;
  const relation = RELATION_TYPES.has(objectType) ? parts : ON_RELATION_TYPES.has(objectType) ? parts.slice(0, -1) : [];
  return relation.length > 0 ? { kind: 'table', parts: relation, alias: null } : undefined;
}

/** True for a bare RangeVar struct (a field typed RangeVar holds one without its wrapper). */
const isBareRangeVar = (value: object): boolean => typeof (value as { relname?: unknown }).relname === 'string';

/** Every RangeVar under `root`, in the order written; a query inside DDL makes the statement opaque. */
function rangeVarsUnder(name: string, root: unknown): TableSourceShape[] {
  const tables: TableSourceShape[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object') continue;
    const children = Array.isArray(value) ? value : Object.values(value);
    const node = unwrapNode(value);
    // CREATE SCHEMA … CREATE VIEW … AS SELECT, CREATE POLICY … USING (EXISTS (SELECT …)): a query the DdlShape
    // cannot carry, reading tables it would not name as read.
    if (node?.[0] === 'SelectStmt') throw new OpaqueConstruct(`${name} with a query inside`);
    if (node?.[0] === 'RangeVar' || (node === undefined && !Array.isArray(value) && isBareRangeVar(value))) {
      tables.push(tableOf(value));
      continue;
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return tables;
}

/** The DdlShape of a statement the gate handles as DDL (`type` is its node type, `body` its fields). */
export function postgresDdlShape(type: string, body: NodeBody): DdlShape | OpaqueShape {
  const rule = postgresStatementRule(type);
  const name = rule?.handling === 'ddl' ? rule.name(body) : type;
  const reached = unnamedTablesReached(type, body, name);
  if (reached !== undefined) return { kind: 'opaque', what: reached };
  const tables = rangeVarsUnder(name, body);
  const named = NAMED_OBJECTS[type];
  if (named !== undefined) {
    const objectType = String(body[named.type]);
    const names = named.isList ? listOf(body[named.names]) : [body[named.names]];
    for (const name of names) {
      const table = relationOfName(objectType, name);
      if (table !== undefined) tables.push(table);
    }
  }
  return { kind: 'ddl', tables };
}
