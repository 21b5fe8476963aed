/**
 * A dialect-neutral picture of what one statement reads and writes: the input of the table/column policy
 * (policy/check-statement.ts). Each dialect's gate builds it from the same parse the read-only gate checked
 * (rules/postgres-shape.ts for libpg-query, rules/sql-parser-shape.ts for node-sql-parser), so the
 * policy sees exactly the statement that runs.
 *
 * A builder never guesses: a construct it does not understand becomes `OpaqueShape` (a whole statement, a FROM
 * item or, inside an expression, an opaque subquery), and the policy refuses it when the environment has one. Expressions are summarised
 * rather than kept whole: the policy needs only which columns, whole rows, subqueries and functions an expression
 * touches, and whether it is nothing but one column.
 *
 * Names keep the spelling the database resolves (PostgreSQL folds unquoted names to lower case; the others keep
 * them as written). The policy compares names case-insensitively, which can only make it stricter.
 */

/** A statement the policy can check, or one it cannot see into. */
export type StatementShape = QueryShape | InsertShape | UpdateShape | DeleteShape | ExplainShape | CreateFromQueryShape | DdlShape | OpaqueShape;

/** A query: anything that yields rows. */
export type QueryShape = SelectShape | SetOperationShape | ValuesShape;

export interface SelectShape {
  readonly kind: 'select';
  /** WITH … of this SELECT (a CTE is visible to the whole SELECT, including its subqueries). */
  readonly ctes: readonly CteShape[];
  /** FROM items, joins flattened left to right (their ON conditions are in `conditions`, USING in `usingColumns`). */
  readonly from: readonly SourceShape[];
  /** The select list, in order. */
  readonly items: readonly SelectItemShape[];
  /**
   * Every other expression of the SELECT: WHERE, JOIN … ON, GROUP BY, HAVING, ORDER BY, WINDOW/OVER specs,
   * DISTINCT ON, LIMIT/OFFSET/TOP, QUALIFY. None of them may touch a masked column (they would leak it bit by bit).
   */
  readonly conditions: readonly ExprShape[];
  /** Columns named in JOIN … USING (…): compared, so they count as conditions on every source that has them. */
  readonly usingColumns: readonly string[];
  /** 1-based select-list positions used by ORDER BY n / GROUP BY n. */
  readonly positions: readonly number[];
  /** SELECT DISTINCT (compares whole output rows). */
  readonly distinct: boolean;
}

/** UNION / INTERSECT / EXCEPT of two or more queries. */
export interface SetOperationShape {
  readonly kind: 'set';
  readonly ctes: readonly CteShape[];
  /** The operators between branches, lower-case: 'union', 'union all', 'intersect', 'except', 'minus' …. */
  readonly operators: readonly string[];
  readonly branches: readonly QueryShape[];
  /** ORDER BY / LIMIT of the whole set operation. */
  readonly conditions: readonly ExprShape[];
  readonly positions: readonly number[];
}

/** VALUES (…), (…) as a query. */
export interface ValuesShape {
  readonly kind: 'values';
  readonly rows: readonly (readonly ExprShape[])[];
}

export interface CteShape {
  readonly name: string;
  /** The column names given after the CTE name; absent: the query's own output names. */
  readonly columns?: readonly string[];
  readonly query: QueryShape;
  /** WITH RECURSIVE: the query may name the CTE itself. */
  readonly recursive: boolean;
}

/** A FROM item. */
export type SourceShape = TableSourceShape | QuerySourceShape | FunctionSourceShape | OpaqueShape;

/** A table, view or CTE named in FROM (which one it is, the policy finds out: CTEs first, then the catalog). */
export interface TableSourceShape {
  readonly kind: 'table';
  /** Name parts as written, outermost first: [name], [schema, name], SQL Server [database, schema, name] …. */
  readonly parts: readonly string[];
  readonly alias: string | null;
}

/** A subquery in FROM (a derived table), LATERAL or not. */
export interface QuerySourceShape {
  readonly kind: 'query';
  readonly query: QueryShape;
  readonly alias: string | null;
  /** Column names given after the alias: `AS s(a, b)`. */
  readonly columns?: readonly string[];
}

/** A set-returning function in FROM: generate_series(…), unnest(…), json_each(…), OPENJSON(…) …. */
export interface FunctionSourceShape {
  readonly kind: 'function';
  /** Name parts, outermost first. */
  readonly name: readonly string[];
  readonly args: readonly ExprShape[];
  readonly alias: string | null;
  readonly columns?: readonly string[];
}

/** One entry of a select list (or of RETURNING / OUTPUT). */
export type SelectItemShape =
  /** `*` (qualifier null) or `t.*` / `s.t.*`. */
  | { readonly kind: 'star'; readonly qualifier: readonly string[] | null }
  | { readonly kind: 'expr'; readonly expr: ExprShape; readonly alias: string | null };

/** A column reference: `name`, `t.name`, `s.t.name`. */
export interface ColumnRefShape {
  /** Everything before the column name, outermost first; empty when unqualified. */
  readonly qualifier: readonly string[];
  readonly name: string;
}

/** What an expression touches. */
export interface ExprShape {
  /** Set when the whole expression is exactly this one column, with nothing around it (not even a cast). */
  readonly bare?: ColumnRefShape;
  /** Every column reference in the expression, outside its subqueries (including `bare`). */
  readonly columns: readonly ColumnRefShape[];
  /**
   * Whole rows used as values: `row_to_json(t)`, `to_jsonb(t)`, `t.*` inside an expression, `(t).col`, a bare `t`
   * the builder knows is a row. Qualifier parts of the row's source, as written.
   */
  readonly wholeRows: readonly (readonly string[])[];
  /** Scalar, EXISTS, IN and ANY/ALL subqueries: they see the enclosing scopes. */
  readonly subqueries: readonly QueryShape[];
  /** Every function called (name parts as written, outermost first), aggregates and window functions too. */
  readonly functions: readonly (readonly string[])[];
}

/** INSERT [INTO] t [(cols)] VALUES … | SELECT … [ON CONFLICT …] [RETURNING …]; REPLACE too. */
export interface InsertShape {
  readonly kind: 'insert';
  readonly ctes: readonly CteShape[];
  readonly target: TableSourceShape;
  /** The columns written; null: no column list (every column, in table order). */
  readonly columns: readonly string[] | null;
  /** The rows inserted: VALUES or a query; null for DEFAULT VALUES. */
  readonly source: QueryShape | null;
  /** ON CONFLICT / ON DUPLICATE KEY UPDATE: the columns it sets and every expression it evaluates. */
  readonly onConflictSets: readonly string[];
  readonly onConflictExprs: readonly ExprShape[];
  readonly returning: readonly SelectItemShape[];
}

/** UPDATE t SET … [FROM …] [WHERE …] [RETURNING …]. */
export interface UpdateShape {
  readonly kind: 'update';
  readonly ctes: readonly CteShape[];
  readonly target: TableSourceShape;
  /** Further sources (UPDATE … FROM, MySQL multi-table UPDATE joins). */
  readonly from: readonly SourceShape[];
  readonly sets: readonly { readonly column: ColumnRefShape; readonly value: ExprShape }[];
  /** WHERE, JOIN … ON, ORDER BY, LIMIT. */
  readonly conditions: readonly ExprShape[];
  readonly returning: readonly SelectItemShape[];
}

/** DELETE FROM t [USING …] [WHERE …] [RETURNING …]. */
export interface DeleteShape {
  readonly kind: 'delete';
  readonly ctes: readonly CteShape[];
  readonly target: TableSourceShape;
  readonly from: readonly SourceShape[];
  readonly conditions: readonly ExprShape[];
  readonly returning: readonly SelectItemShape[];
}

/** EXPLAIN [ANALYZE] of a statement: checked like the statement itself. */
export interface ExplainShape {
  readonly kind: 'explain';
  readonly statement: StatementShape;
}

/** CREATE VIEW / CREATE TABLE … AS / CREATE MATERIALIZED VIEW … AS: a new object filled from a query. */
export interface CreateFromQueryShape {
  readonly kind: 'create-from-query';
  readonly target: TableSourceShape;
  readonly query: QueryShape;
}

/** Any other schema change: the tables it names (ALTER TABLE t, DROP TABLE a, b, CREATE INDEX ON t, TRUNCATE t). */
export interface DdlShape {
  readonly kind: 'ddl';
  readonly tables: readonly TableSourceShape[];
}

/** Something the builder cannot see into: SHOW, PRAGMA, DESCRIBE, a construct it does not know. */
export interface OpaqueShape {
  readonly kind: 'opaque';
  /** What it is, for the refusal message: "SHOW COLUMNS", "PRAGMA table_info", "MERGE". */
  readonly what: string;
}

/** An empty expression summary; builders spread it and fill in what they found. */
export const NO_EXPR: ExprShape = Object.freeze({ columns: [], wholeRows: [], subqueries: [], functions: [] });
