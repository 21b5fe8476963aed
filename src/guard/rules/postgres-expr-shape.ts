/**
 * What one PostgreSQL expression touches (statement-shape.ts `ExprShape`), read from libpg-query's raw parse tree,
 * plus the small node readers the other shape builders share. The walk is generic: every nested node is visited,
 * whatever field it hangs from, so a column inside a CASE, a cast, a FILTER, a window spec or a JSON constructor is
 * seen like one at the top; only the nodes that mean something to the policy are read specially. It is iterative
 * (an explicit stack), like the gate's walk, so a deeply nested expression cannot overflow the JavaScript stack.
 */
import type { ColumnRefShape, ExprShape, QueryShape, TableSourceShape } from '../statement-shape.js';

export type NodeBody = Readonly<Record<string, unknown>>;

/** Builds the shape of a subquery (`{ SelectStmt: … }`); passed in, so this file does not import the query builder. */
export type SubqueryShaper = (stmt: unknown) => QueryShape;

/**
 * Thrown where the builder meets something it cannot describe exactly; postgresShape turns it into an OpaqueShape
 * of the whole statement, which the policy refuses (never a guess).
 */
export class OpaqueConstruct extends Error {
  constructor(readonly what: string) {
    super(`${what} cannot be described to the table/column policy`);
    this.name = 'OpaqueConstruct';
  }
}

/** Node type names start upper-case; struct field names never do. */
const isTypeName = (key: string): boolean => key.charCodeAt(0) >= 65 && key.charCodeAt(0) <= 90;

/** `{ SelectStmt: {…} }` → `['SelectStmt', {…}]`; undefined for a bare struct, an array or a scalar. */
export function unwrapNode(value: unknown): [string, NodeBody] | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1 || !isTypeName(keys[0]!)) return undefined;
  const body = (value as Record<string, unknown>)[keys[0]!];
  return [keys[0]!, (body !== null && typeof body === 'object' ? body : {}) as NodeBody];
}

/** The node's type name, or '' when it is not a node wrapper. */
export const nodeType = (value: unknown): string => unwrapNode(value)?.[0] ?? '';

export const listOf = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);

/** `[{ String: { sval: 'a' } }, …]` → `['a', …]`; anything but String nodes is not a name list. */
export function stringList(value: unknown, what: string): string[] {
  return listOf(value).map((item) => {
    const sval = (item as { String?: { sval?: unknown } } | null)?.String?.sval;
    if (typeof sval !== 'string') throw new OpaqueConstruct(what);
    return sval;
  });
}

/** Refuses to describe a node that carries a field this builder was not written for (a future parser's addition). */
export function assertKnownFields(type: string, body: NodeBody, known: ReadonlySet<string>, what = type): void {
  for (const key of Object.keys(body)) {
    if (key !== 'location' && !known.has(key)) throw new OpaqueConstruct(what);
  }
}

export const fieldSet = (text: string): ReadonlySet<string> => new Set(text.trim().split(/\s+/));

export const aliasName = (alias: unknown): string | null => {
  const name = (alias as { aliasname?: unknown } | undefined)?.aliasname;
  return typeof name === 'string' ? name : null;
};

/** A RangeVar (bare or wrapped) as a table source: `[catalog?, schema?, name]` plus its alias. */
export function tableOf(rangeVar: unknown): TableSourceShape {
  const node = unwrapNode(rangeVar);
  const body = (node?.[0] === 'RangeVar' ? node[1] : rangeVar) as NodeBody | undefined;
  const relname = body?.['relname'];
  if (typeof relname !== 'string') throw new OpaqueConstruct('RangeVar');
  // `FROM customers AS c(i, n, e)` renames the table's columns by position, so `e` would be customers.email under a
  // name the policy does not know: a table source has no place for the renaming, so it is not read.
  if ((body!['alias'] as { colnames?: unknown } | undefined)?.colnames !== undefined) throw new OpaqueConstruct('a table alias that renames columns');
  const parts = [body!['catalogname'], body!['schemaname']].filter((p): p is string => typeof p === 'string');
  return { kind: 'table', parts: [...parts, relname], alias: aliasName(body!['alias']) };
}

interface ColumnRefParts {
  /** The String fields, outermost first. */
  readonly names: string[];
  /** The reference ends in `*` (`t.*`, `*`). */
  readonly isStar: boolean;
}

/** A ColumnRef's fields: Strings, and optionally `*` last; anything else is not understood. */
export function columnRefParts(body: NodeBody): ColumnRefParts {
  const fields = listOf(body['fields']);
  const isStar = fields.length > 0 && nodeType(fields.at(-1)) === 'A_Star';
  const names = stringList(isStar ? fields.slice(0, -1) : fields, 'ColumnRef');
  if (names.length === 0 && !isStar) throw new OpaqueConstruct('ColumnRef');
  return { names, isStar };
}

const toColumn = (names: readonly string[]): ColumnRefShape => ({ qualifier: names.slice(0, -1), name: names.at(-1)! });

/** `(t).col`, `(t).*`: field selection from a ColumnRef, which makes that reference a row (or composite) value. */
function selectedRow(body: NodeBody): string[] | undefined {
  const arg = unwrapNode(body['arg']);
  const first = nodeType(listOf(body['indirection'])[0]);
  // A subscript first (`arr[1]`, `c[1].x`) indexes a column: that is a plain column reference, walked as usual.
  if (arg?.[0] !== 'ColumnRef' || (first !== 'String' && first !== 'A_Star')) return undefined;
  return columnRefParts(arg[1]).names;
}

/** Summarises an expression node (or a list of them) into the columns, rows, subqueries and calls it touches. */
export function postgresExprShape(root: unknown, subquery: SubqueryShaper): ExprShape {
  const columns: ColumnRefShape[] = [];
  const wholeRows: string[][] = [];
  const subqueries: QueryShape[] = [];
  const functions: string[][] = [];
  const stack: unknown[] = [root];
  // Children are pushed in reverse so that everything is found in the order it is written.
  const pushAll = (values: readonly unknown[]): void => {
    for (let i = values.length - 1; i >= 0; i--) stack.push(values[i]);
  };
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      pushAll(value);
      continue;
    }
    const node = unwrapNode(value);
    if (node === undefined) {
      pushAll(Object.values(value));
      continue;
    }
    const [type, body] = node;
    switch (type) {
      case 'ColumnRef': {
        const ref = columnRefParts(body);
        if (ref.isStar) wholeRows.push(ref.names);
        else columns.push(toColumn(ref.names));
        continue;
      }
      case 'A_Indirection': {
        const row = selectedRow(body);
        if (row === undefined) break;
        // `(x).f` takes a field of a whole row or of a composite column: the checker judges both readings.
        wholeRows.push(row);
        columns.push(toColumn(row));
        // Field names are Strings (nothing to collect); subscripts after them may hold expressions.
        stack.push(body['indirection']);
        continue;
      }
      case 'SubLink':
        stack.push(body['testexpr']);
        subqueries.push(subquery(body['subselect']));
        continue;
      case 'SelectStmt':
        // A query that is no SubLink: JSON_ARRAY(SELECT …).
        subqueries.push(subquery(value));
        continue;
      case 'FuncCall':
        functions.push(stringList(body['funcname'], 'FuncCall'));
        break;
      default:
        // A statement inside an expression is nothing the raw grammar makes today: do not guess what it reads.
        if (type.endsWith('Stmt')) throw new OpaqueConstruct(type);
    }
    pushAll(Object.values(body));
  }
  const bare = bareColumn(root);
  return { ...(bare === undefined ? {} : { bare }), columns, wholeRows, subqueries, functions };
}

/** Whether an expression summary touches anything at all (a constant touches nothing). */
export const touchesAnything = (shape: ExprShape): boolean =>
  shape.columns.length + shape.wholeRows.length + shape.subqueries.length + shape.functions.length > 0;

/** The column when the node is nothing but one ColumnRef (no cast, no `*`). */
function bareColumn(root: unknown): ColumnRefShape | undefined {
  const node = unwrapNode(root);
  if (node?.[0] !== 'ColumnRef') return undefined;
  const ref = columnRefParts(node[1]);
  return ref.isStar ? undefined : toColumn(ref.names);
}
