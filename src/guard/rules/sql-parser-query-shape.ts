/**
 * Queries of node-sql-parser's tree as QueryShape: a SELECT (its CTEs, FROM items, select list and clauses), a set
 * operation, VALUES. Statements that contain queries (sql-parser-shape.ts) build them here.
 *
 * A select node or FROM item with a field this file does not know becomes opaque: the grammars grow clauses, and
 * a clause nobody mapped could name a column or a table the policy must see.
 */
import { NO_EXPR, type CteShape, type ExprShape, type QueryShape, type SelectItemShape, type SourceShape, type TableSourceShape } from '../statement-shape.js';
import { isEmptyExpr, nameOf, opaqueQuery, qualifierOf, summarizeExpr, type ExprContext } from './sql-parser-expr-shape.js';
import { fromItems, functionName, isNode, type AstNode } from './sql-parser-node.js';
import type { ShapeHints } from './sql-parser-shape-hints.js';

/**
 * Select fields read below, or known to change no column or table: INTO and locking reads are refused by the gate,
 * options (SQL_NO_CACHE …), FOR JSON/XML, COLLATE and the parser's bookkeeping only shape the result.
 */
const SELECT_FIELDS = new Set([
  'type', 'with', 'options', 'distinct', 'columns', 'into', 'from', 'where', 'groupby', 'having', 'orderby', 'limit',
  'window', 'top', '_next', 'set_op', '_orderby', '_limit', 'parentheses_symbol', '_parentheses', 'parentheses',
  'locking_read', 'for_update', 'for', 'collate', 'loc', 'tableList', 'columnList',
]);
/**
 * FROM item fields read below, or known to change no column (table hints, a DELETE target's marker).
 * `function_columns` is no grammar's: MySQL's restore step sets it to the columns JSON_TABLE declares.
 */
const FROM_FIELDS = new Set([
  'type', 'server', 'db', 'schema', 'table', 'as', 'join', 'on', 'using', 'expr', 'prefix', 'table_hint', 'temporal_table',
  'operator', 'addition', 'parentheses', 'loc', 'function_columns',
]);
/** Joins and APPLYs, as the grammars spell them; anything else in `join` (the MySQL grammar's "union") is no join. */
const JOIN = /^(?:(?:INNER|CROSS|(?:LEFT|RIGHT|FULL)(?: OUTER)?) )?JOIN$|^(?:CROSS|OUTER) APPLY$/i;
const APPLY = /APPLY$/i;

const UNREADABLE_ITEM: SelectItemShape = { kind: 'expr', expr: { ...NO_EXPR, subqueries: [opaqueQuery('a select list the gate cannot read')] }, alias: null };

/** FROM items: the sources, their ON conditions and USING columns ('*natural*' for a NATURAL JOIN). */
export interface FromShape {
  readonly sources: SourceShape[];
  readonly conditions: ExprShape[];
  readonly usingColumns: string[];
}

export class QueryShapeBuilder {
  private readonly context: ExprContext;

  constructor(private readonly hints: ShapeHints) {
    this.context = {
      doubleQuotedAreNames: hints.doubleQuotedAreNames,
      atNamesAreVariables: hints.atNamesAreVariables,
      misreadColumnNames: hints.misreadColumnNames,
      dollarNamesAreParameters: hints.dollarNamesAreParameters,
      query: (node) => this.query(node),
    };
  }

  expr(node: unknown): ExprShape {
    return summarizeExpr(node, this.context);
  }

  /** A select node (with its set-operation chain), a `{ ast }` wrapper or a VALUES node. */
  query(node: unknown): QueryShape {
    if (isNode(node) && isNode(node.ast)) return this.query(node.ast);
    if (!isNode(node)) return opaqueQuery('a query the gate cannot read');
    if (node.type === 'values') return this.values(node.values);
    if (node.type !== 'select') return opaqueQuery(String(node.type));
    return node._next == null ? this.select(node, { hasOwnWith: true, hasOwnTail: true, isBranch: false }) : this.setOperation(node);
  }

  /** VALUES rows: `[{ type: 'expr_list', value: [...] }, …]`. */
  values(rows: unknown): QueryShape {
    const shaped = Array.isArray(rows) ? rows.map((row) => (isNode(row) && row.type === 'expr_list' && Array.isArray(row.value) ? row.value.map((e) => this.expr(e)) : null)) : null;
    if (!shaped || shaped.some((row) => row === null)) return opaqueQuery('VALUES');
    return { kind: 'values', rows: shaped as ExprShape[][] };
  }

  /**
   * The CTEs of a WITH list. Which of them a CTE's query may name depends on the engine (ShapeHints.cteVisibility);
   * a SQLite CTE that names a later one gets an opaque query, as the policy resolves CTEs in order.
   */
  ctes(list: unknown): CteShape[] {
    if (list == null) return [];
    const unreadable = [{ name: '', query: opaqueQuery('a WITH clause the gate cannot read'), recursive: false }];
    if (!Array.isArray(list) || !list.every(isNode)) return unreadable;
    const names = list.map((cte) => nameOf(cte.name, this.hints.doubleQuotedAreNames));
    if (names.some((name) => name === null)) return unreadable;
    const recursive = this.hints.cteVisibility !== 'earlier' || list.some((cte) => cte.recursive === true);
    return list.map((cte, i) => {
      const columns = Array.isArray(cte.columns) ? cte.columns.map((c) => nameOf(isNode(c) && c.type === 'column_ref' ? c.column : c)) : undefined;
      const later = new Set(names.slice(i + 1).map((name) => name!.toLowerCase()));
      const namesLater = this.hints.cteVisibility === 'whole-clause' && namesTable(cte.stmt, later);
      const query = columns?.some((c) => c === null) ? opaqueQuery('a CTE column list the gate cannot read')
        : namesLater ? opaqueQuery('a CTE that names a later CTE of its WITH clause') : this.query(cte.stmt);
      return { name: names[i]!, ...(columns ? { columns: columns as string[] } : {}), query, recursive };
    });
  }

  /** FROM items, joins flattened; also the tables of an UPDATE/DELETE. */
  from(from: unknown): FromShape {
    const shape: FromShape = { sources: [], conditions: [], usingColumns: [] };
    const items = fromItems(from);
    for (const [i, item] of items.entries()) {
      if (!isNode(item)) {
        shape.sources.push({ kind: 'opaque', what: 'a FROM item the gate cannot read' });
        continue;
      }
      if (item.type === 'dual') continue;
      const unknown = unknownFieldOf(item, FROM_FIELDS, 'a FROM item with');
      const join = typeof item.join === 'string' && JOIN.test(item.join) ? item.join : null;
      if (unknown || (item.join != null && join === null)) {
        shape.sources.push({ kind: 'opaque', what: unknown ?? `${String(item.join).toUpperCase()} in FROM` });
        continue;
      }
      // SQLite and SQL Server take the NATURAL of `t NATURAL JOIN u` (SQLite also CROSS) for the alias of t.
      const next: unknown = items[i + 1];
      const isJoinWord = typeof item.as === 'string' && this.hints.joinWords.has(item.as.toUpperCase()) && isNode(next) && typeof next.join === 'string';
      shape.sources.push(this.source(item, isJoinWord ? null : item.as));
      if (join !== null) this.joinCondition(item, join, shape);
    }
    return shape;
  }

  /** A join's ON condition or USING columns; a join with neither, where the text has NATURAL, counts as NATURAL. */
  private joinCondition(item: AstNode, join: string, shape: FromShape): void {
    if (item.on != null) shape.conditions.push(this.expr(item.on));
    if (Array.isArray(item.using)) {
      const names = item.using.map((name) => nameOf(name, this.hints.doubleQuotedAreNames));
      if (names.some((name) => name === null)) shape.sources.push({ kind: 'opaque', what: 'JOIN … USING' });
      else shape.usingColumns.push(...(names as string[]));
    } else if (item.on == null && this.hints.hasNaturalJoin && !APPLY.test(join) && join.toUpperCase() !== 'CROSS JOIN') {
      // The tree cannot tell which join was NATURAL: every join without a condition counts as one.
      shape.usingColumns.push('*natural*');
    }
  }

  /** A FROM item as a table source, or null when it is something else. */
  table(item: AstNode, alias: unknown = item.as): TableSourceShape | null {
    if (typeof item.table !== 'string' || item.expr != null || isPresent(item.operator)) return null;
    return { kind: 'table', parts: qualifierOf(item), alias: nameOf(alias) };
  }

  /** A select list (or RETURNING): `[{ expr, as }]`, or the string '*' in some grammars. */
  items(columns: unknown): SelectItemShape[] {
    if (columns === '*') return [{ kind: 'star', qualifier: null }];
    if (!Array.isArray(columns)) return [UNREADABLE_ITEM];
    return columns.map((column): SelectItemShape => {
      if (!isNode(column)) return UNREADABLE_ITEM;
      const expr = column.expr;
      if (isNode(expr) && ((expr.type === 'column_ref' && expr.column === '*') || expr.type === 'star')) {
        const qualifier = qualifierOf(expr);
        return { kind: 'star', qualifier: qualifier.length > 0 ? qualifier : null };
      }
      // T-SQL: `SELECT total = SUM(x)` names the column; `@v = x` assigns, which the gate refuses.
      if (this.hints.selectEqualsIsAlias && isNode(expr) && expr.type === 'binary_expr' && expr.operator === '=' && isNode(expr.left)) {
        const left = expr.left;
        if (left.type === 'column_ref' && typeof left.column === 'string' && qualifierOf(left).length === 0 && !left.column.startsWith('@')) {
          return { kind: 'expr', expr: this.expr(expr.right), alias: left.column };
        }
      }
      return { kind: 'expr', expr: this.expr(expr), alias: nameOf(column.as) };
    });
  }

  private source(item: AstNode, as: unknown): SourceShape {
    if (isPresent(item.operator)) return { kind: 'opaque', what: isNode(item.operator) ? String(item.operator.type).toUpperCase() : 'a FROM operator' };
    // FOR SYSTEM_TIME also reads the history table, which the policy may name apart.
    if (isPresent(item.temporal_table)) return { kind: 'opaque', what: 'FOR SYSTEM_TIME' };
    const table = this.table(item, as);
    if (table) return table;
    const expr = item.expr;
    if (!isNode(expr)) return { kind: 'opaque', what: 'a FROM item the gate cannot read' };
    const named = this.derivedAlias(as);
    if (named === null) return { kind: 'opaque', what: 'a derived table alias with a column list the gate cannot read' };
    if (isNode(expr.ast) || expr.type === 'select' || expr.type === 'values') {
      return { kind: 'query', query: expr.type === 'values' ? this.values(expr.values) : this.query(expr), ...named };
    }
    if (expr.type === 'function') {
      const args = isNode(expr.args) && Array.isArray(expr.args.value) ? expr.args.value : [];
      const declared = item.function_columns;
      const columns = Array.isArray(declared) && declared.every((c) => typeof c === 'string') ? { columns: declared as string[] } : {};
      return { kind: 'function', name: functionName(expr), args: args.map((arg) => this.expr(arg)), ...named, ...columns };
    }
    return { kind: 'opaque', what: `${String(expr.type)} in FROM` };
  }

  /**
   * An alias and its column list. SQL Server's grammar writes `AS v(a, b)` as the string "v(a, b)"; it is split
   * back only when no quoted name in the statement could hold a parenthesis or a comma (else null).
   */
  private derivedAlias(as: unknown): { alias: string | null; columns?: string[] } | null {
    const name = nameOf(as);
    const open = name?.indexOf('(') ?? -1;
    if (name === null || open < 0) return { alias: name };
    if (this.hints.hasListPunctuationInNames || !name.endsWith(')')) return null;
    return { alias: name.slice(0, open), columns: name.slice(open + 1, -1).split(', ') };
  }

  /**
   * One SELECT. In a set operation, the first branch's WITH belongs to the whole set unless the branch is in
   * parentheses, and so do the last branch's ORDER BY and LIMIT.
   */
  private select(node: AstNode, options: { hasOwnWith: boolean; hasOwnTail: boolean; isBranch: boolean }): QueryShape {
    const unknown = unknownFieldOf(node, SELECT_FIELDS, 'SELECT …');
    if (unknown) return opaqueQuery(unknown);
    const from = this.from(node.from);
    const conditions = [...from.conditions];
    const positions: number[] = [];
    pushExpr(conditions, this.expr(node.where));
    this.groupBy(node.groupby, conditions, positions);
    pushExpr(conditions, this.expr(node.having));
    for (const named of isNode(node.window) && Array.isArray(node.window.expr) ? node.window.expr : []) pushExpr(conditions, this.expr(named));
    if (isNode(node.distinct)) pushExpr(conditions, this.expr(node.distinct));
    pushExpr(conditions, this.expr(node.top));
    if (options.hasOwnTail) this.tail(node.orderby, node.limit, conditions, positions);
    if (!options.isBranch) this.tail(node._orderby, node._limit, conditions, positions);
    return {
      kind: 'select',
      ctes: options.hasOwnWith ? this.ctes(node.with) : [],
      from: from.sources,
      // FOR JSON / FOR XML serialize the whole select list into one document: no item reaches the output as itself.
      items: isPresent(node.for) ? this.items(node.columns).map(withoutBare) : this.items(node.columns),
      conditions,
      usingColumns: from.usingColumns,
      positions,
      distinct: isDistinct(node.distinct),
    };
  }

  private setOperation(first: AstNode): QueryShape {
    const chain: AstNode[] = [];
    const operators: string[] = [];
    for (let node: unknown = first; node != null; node = (node as AstNode)._next) {
      if (!isNode(node) || node.type !== 'select') return opaqueQuery('a set operation the gate cannot read');
      chain.push(node);
      if (node._next == null) break;
      if (typeof node.set_op !== 'string') return opaqueQuery('a set operation the gate cannot read');
      const spelled = node.set_op.toLowerCase();
      operators.push(this.hints.setOperators.get(spelled) ?? spelled);
    }
    const last = chain.at(-1)!;
    const isWithOfSet = first.parentheses_symbol !== true;
    const isTailOfSet = last.parentheses_symbol !== true;
    const branches = chain.map((node, i) => this.select(node, {
      hasOwnWith: !(i === 0 && isWithOfSet),
      hasOwnTail: !(node === last && isTailOfSet),
      isBranch: true,
    }));
    const conditions: ExprShape[] = [];
    const positions: number[] = [];
    this.tail(first._orderby, first._limit, conditions, positions);
    if (isTailOfSet) this.tail(last.orderby, last.limit, conditions, positions);
    return { kind: 'set', ctes: isWithOfSet ? this.ctes(first.with) : [], operators, branches, conditions, positions };
  }

  /** GROUP BY: `{ columns, modifiers }` (or a plain list); a number is a select-list position. */
  private groupBy(groupBy: unknown, conditions: ExprShape[], positions: number[]): void {
    const items = Array.isArray(groupBy) ? groupBy : isNode(groupBy) && Array.isArray(groupBy.columns) ? groupBy.columns : [];
    for (const item of items) {
      const position = positionOf(item);
      if (position === null) pushExpr(conditions, this.expr(item));
      else positions.push(position);
    }
  }

  /** ORDER BY items (`{ expr, type }`, a number is a position) and LIMIT/OFFSET/FETCH. */
  private tail(orderBy: unknown, limit: unknown, conditions: ExprShape[], positions: number[]): void {
    for (const item of Array.isArray(orderBy) ? orderBy : []) {
      const position = positionOf(isNode(item) ? item.expr : item);
      if (position === null) pushExpr(conditions, this.expr(item));
      else positions.push(position);
    }
    pushExpr(conditions, this.expr(limit));
  }
}

/** "<prefix> <field>" for the first field of `node` that holds something and is not `known`. */
export function unknownFieldOf(node: AstNode, known: ReadonlySet<string>, prefix: string): string | undefined {
  const field = Object.keys(node).find((key) => !known.has(key) && isPresent(node[key]));
  return field === undefined ? undefined : `${prefix} ${field}`;
}

/** Adds `expr` unless it touches nothing (a literal LIMIT, an absent WHERE). */
export function pushExpr(list: ExprShape[], expr: ExprShape): void {
  if (!isEmptyExpr(expr)) list.push(expr);
}

/** True for a field that holds something: not null, '', false, [] or `{}` (the MySQL grammar's empty `into`). */
export function isPresent(value: unknown): boolean {
  if (value == null || value === '' || value === false) return false;
  if (Array.isArray(value)) return value.length > 0;
  return !isNode(value) || Object.values(value).some((field) => field != null);
}

function withoutBare(item: SelectItemShape): SelectItemShape {
  if (item.kind !== 'expr' || !item.expr.bare) return item;
  const { bare: _bare, ...expr } = item.expr;
  return { ...item, expr };
}

/**
 * The select-list position an ORDER BY or GROUP BY item names, or null. SQLite reads an integer there however it
 * is written: `ORDER BY - -2`, `ORDER BY 0x2` sort on column 2 (sqlite3ExprIsInteger), so they are positions too
 * (a negative one names no column, which the policy refuses when the output has a masked column).
 */
function positionOf(node: unknown): number | null {
  if (!isNode(node)) return null;
  if (node.type === 'number') return Number.isInteger(node.value) ? (node.value as number) : null;
  if (node.type === 'full_hex_string' && typeof node.value === 'string' && /^[0-9a-f]+$/i.test(node.value)) return Number.parseInt(node.value, 16);
  if (node.type !== 'unary_expr' || (node.operator !== '-' && node.operator !== '+')) return null;
  const inner = positionOf(node.expr);
  return inner === null ? null : node.operator === '-' ? -inner : inner;
}

function isDistinct(value: unknown): boolean {
  const keyword = isNode(value) ? value.type : value;
  return typeof keyword === 'string' && keyword.toUpperCase() === 'DISTINCT';
}

/** Whether a table name in `names` (lower-case) occurs anywhere in the tree under `root`: a reference, qualifier or target. */
function namesTable(root: unknown, names: ReadonlySet<string>): boolean {
  if (names.size === 0) return false;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) stack.push(...value);
    else if (isNode(value)) {
      if (typeof value.table === 'string' && names.has(value.table.toLowerCase())) return true;
      stack.push(...Object.values(value).filter((child) => typeof child === 'object' && child !== null));
    }
  }
  return false;
}
