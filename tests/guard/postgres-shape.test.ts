/**
 * The PostgreSQL statement shape: what the table/column policy sees of a statement, built from libpg-query's parse.
 * Each test asserts the exact shape of one construct, so that a change in the builder (or in the parser's tree)
 * that would hide a column, a source or a comparison from the policy fails here. Whatever the builder cannot
 * describe exactly must come out opaque.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { postgresShape } from '../../src/guard/rules/postgres-shape.js';
import { createPostgresRules } from '../../src/guard/rules/postgres-rules.js';
import type { StatementRules } from '../../src/guard/statement-gate.js';
import { NO_EXPR, type ColumnRefShape, type ExprShape, type QueryShape, type SelectShape, type StatementShape } from '../../src/guard/statement-shape.js';

let rules: StatementRules;
beforeAll(async () => {
  rules = await createPostgresRules();
});
const shape = (sql: string): StatementShape => rules.shape(sql);

// ---- builders for expected shapes ----

const col = (...parts: string[]): ColumnRefShape => ({ qualifier: parts.slice(0, -1), name: parts.at(-1)! });
/** An expression that is exactly one column. */
const bare = (...parts: string[]): ExprShape => ({ ...NO_EXPR, bare: col(...parts), columns: [col(...parts)] });
/** An expression touching what `parts` says, and nothing else. */
const ex = (parts: Partial<ExprShape>): ExprShape => ({ ...NO_EXPR, ...parts });
const cols = (...refs: string[]): ExprShape => ex({ columns: refs.map((ref) => col(...ref.split('.'))) });
const table = (name: string, alias: string | null = null) => ({ kind: 'table' as const, parts: name.split('.'), alias });
const item = (expr: ExprShape, alias: string | null = null) => ({ kind: 'expr' as const, expr, alias });
const star = (qualifier: string[] | null = null) => ({ kind: 'star' as const, qualifier });
const select = (parts: Partial<SelectShape>): SelectShape => ({
  kind: 'select', ctes: [], from: [], items: [], conditions: [], usingColumns: [], positions: [], distinct: false, ...parts,
});
/** `SELECT 1` (a constant touches nothing). */
const selectOne = select({ items: [item(NO_EXPR)] });

describe('postgres statement shape: SELECT', () => {
  it('reads the select list with aliases, and FROM tables with schema and alias', () => {
    expect(shape('SELECT a, t1.b AS x, s.t.c FROM s.t AS t1, db.s.u')).toEqual(select({
      from: [table('s.t', 't1'), table('db.s.u')],
      items: [item(bare('a')), item(bare('t1', 'b'), 'x'), item(bare('s', 't', 'c'))],
    }));
  });

  it('keeps names as PostgreSQL folds them: quoted as written, unquoted lower-case', () => {
    expect(shape('SELECT "Email", Name FROM "Users" AS U')).toEqual(select({
      from: [table('Users', 'u')], items: [item(bare('Email')), item(bare('name'))],
    }));
  });

  it('reads *, t.* and s.t.* as star items; TABLE t as SELECT * FROM t', () => {
    expect(shape('SELECT *, t.*, s.t.* FROM s.t')).toEqual(select({
      from: [table('s.t')], items: [star(), star(['t']), star(['s', 't'])],
    }));
    expect(shape('TABLE t')).toEqual(select({ from: [table('t')], items: [star()] }));
  });

  it('flattens joins into FROM, with ON in conditions and USING in usingColumns', () => {
    expect(shape('SELECT 1 FROM a JOIN b ON a.x = b.y LEFT JOIN c USING (z, w) CROSS JOIN (d JOIN e ON d.k = e.k)')).toEqual(select({
      from: [table('a'), table('b'), table('c'), table('d'), table('e')],
      items: [item(NO_EXPR)],
      conditions: [cols('a.x', 'b.y'), cols('d.k', 'e.k')],
      usingColumns: ['z', 'w'],
    }));
  });

  it('records a NATURAL JOIN as *natural*: it compares every shared column, which only the catalog knows', () => {
    expect(shape('SELECT 1 FROM a NATURAL JOIN b')).toMatchObject({ from: [table('a'), table('b')], usingColumns: ['*natural*'] });
  });

  it('makes a join with an alias an opaque source: the alias hides or renames its sides', () => {
    expect(shape('SELECT j.x FROM (a JOIN b ON true) AS j')).toMatchObject({ from: [{ kind: 'opaque', what: 'JOIN … AS alias' }] });
    expect(shape('SELECT j.id FROM a JOIN b USING (id) AS j')).toMatchObject({ from: [{ kind: 'opaque', what: 'JOIN … AS alias' }] });
  });

  it('makes a table alias that renames columns an opaque source: `c(i, n, e)` would hide customers.email as e', () => {
    const renamed = { kind: 'opaque', what: 'a table alias that renames columns' };
    expect(shape('SELECT e FROM customers c(i, n, e)')).toMatchObject({ from: [renamed] });
    expect(shape('SELECT c.e FROM customers AS c(i, n, e) TABLESAMPLE SYSTEM (50)')).toMatchObject({ from: [renamed] });
    expect(shape('SELECT 1 FROM t, (SELECT a FROM u) AS s(x)')).toMatchObject({ from: [table('t'), { kind: 'query', columns: ['x'] }] });
  });

  it('reads derived tables with their column aliases, LATERAL or not', () => {
    expect(shape('SELECT * FROM t, (SELECT a FROM u) AS s(x), LATERAL (SELECT t.b) l')).toEqual(select({
      from: [
        table('t'),
        { kind: 'query', query: select({ from: [table('u')], items: [item(bare('a'))] }), alias: 's', columns: ['x'] },
        { kind: 'query', query: select({ items: [item(bare('t', 'b'))] }), alias: 'l' },
      ],
      items: [star()],
    }));
  });

  it('reads WHERE, GROUP BY, HAVING, ORDER BY, OFFSET and LIMIT into conditions, integer keys into positions', () => {
    expect(shape('SELECT a, count(*) FROM t WHERE b > 0 GROUP BY 1, c HAVING max(d) > 1 ORDER BY 2 DESC, e OFFSET 5 LIMIT 10')).toEqual(select({
      from: [table('t')],
      items: [item(bare('a')), item(ex({ functions: [['count']] }))],
      conditions: [cols('b'), bare('c'), ex({ columns: [col('d')], functions: [['max']] }), bare('e'), NO_EXPR, NO_EXPR],
      positions: [1, 2],
    }));
  });

  it('looks into ROLLUP, CUBE and GROUPING SETS for positions and expressions', () => {
    expect(shape('SELECT a, b, c FROM t GROUP BY ROLLUP ((a, b), 1), CUBE (2), GROUPING SETS ((), (c)), 3')).toMatchObject({
      conditions: [cols('a', 'b'), bare('c')],
      positions: [1, 2, 3],
    });
  });

  it('marks DISTINCT; DISTINCT ON also puts its keys in conditions and positions', () => {
    expect(shape('SELECT DISTINCT a FROM t')).toMatchObject({ distinct: true, conditions: [], positions: [] });
    expect(shape('SELECT DISTINCT ON (a, 2) a, b FROM t ORDER BY a')).toMatchObject({
      distinct: true, conditions: [bare('a'), bare('a')], positions: [2],
    });
    expect(shape('SELECT a FROM t')).toMatchObject({ distinct: false });
  });

  it('keeps inline OVER specs in their call, and puts WINDOW clauses in conditions', () => {
    expect(shape('SELECT rank() OVER w, sum(x) FILTER (WHERE y > 0) OVER (PARTITION BY p ORDER BY o) FROM t WINDOW w AS (PARTITION BY q ORDER BY r)')).toEqual(select({
      from: [table('t')],
      items: [item(ex({ functions: [['rank']] })), item(ex({ columns: [col('x'), col('y'), col('p'), col('o')], functions: [['sum']] }))],
      conditions: [cols('q', 'r')],
    }));
  });

  it('reads scalar, EXISTS, IN and ANY subqueries in the select list and WHERE', () => {
    const sub = (from: string, expr: ExprShape) => select({ from: [table(from)], items: [item(expr)] });
    expect(shape('SELECT (SELECT max(a) FROM u), b IN (SELECT c FROM v) FROM t WHERE EXISTS (SELECT 1 FROM w) AND d = ANY (SELECT e FROM z)')).toEqual(select({
      from: [table('t')],
      items: [
        item(ex({ subqueries: [sub('u', ex({ columns: [col('a')], functions: [['max']] }))] })),
        item(ex({ columns: [col('b')], subqueries: [sub('v', bare('c'))] })),
      ],
      conditions: [ex({ columns: [col('d')], subqueries: [sub('w', NO_EXPR), sub('z', bare('e'))] })],
    }));
  });

  it('sees a subquery that is no SubLink: JSON_ARRAY(SELECT …)', () => {
    expect(shape('SELECT json_array(SELECT a FROM t)')).toEqual(select({
      items: [item(ex({ subqueries: [select({ from: [table('t')], items: [item(bare('a'))] })] }))],
    }));
  });
});

describe('postgres statement shape: expressions', () => {
  it('reads whole rows: to_jsonb(c.*), (c).email, (c).*; a bare c stays a column reference for the checker', () => {
    expect(shape('SELECT row_to_json(c), to_jsonb(c.*), (c).email, row((c).*), c.*, count(*) FROM customers c')).toEqual(select({
      from: [table('customers', 'c')],
      items: [
        item(ex({ columns: [col('c')], functions: [['row_to_json']] })),
        item(ex({ wholeRows: [['c']], functions: [['to_jsonb']] })),
        // (c).f: a field of the row c, or of a composite column c; both readings reach the checker.
        item(ex({ columns: [col('c')], wholeRows: [['c']] })),
        item(ex({ columns: [col('c')], wholeRows: [['c']] })),
        star(['c']),
        // count(*) counts rows: no star, no whole row.
        item(ex({ functions: [['count']] })),
      ],
    }));
  });

  it('reads a subscript as a column, not a row: arr[1], t.arr[2:3], c[1].x', () => {
    expect(shape('SELECT arr[1], t.arr[2:3], c[1].x FROM t')).toMatchObject({
      items: [item(cols('arr')), item(cols('t.arr')), item(cols('c'))],
    });
  });

  it('sets bare only for a column with nothing around it: not through a cast', () => {
    expect(shape('SELECT email::text, (email), CAST(email AS text) e FROM t')).toMatchObject({
      items: [item(cols('email')), item(bare('email')), item(cols('email'), 'e')],
    });
  });

  it('lists every function called, outermost first, with qualified names as written', () => {
    expect(shape('SELECT pg_catalog.lower(upper(a)) FROM t WHERE coalesce(b, c) IS NOT NULL')).toEqual(select({
      from: [table('t')],
      items: [item(ex({ columns: [col('a')], functions: [['pg_catalog', 'lower'], ['upper']] }))],
      conditions: [cols('b', 'c')],
    }));
  });

  it('refuses to describe (t).* as one select-list item: it expands to as many columns as t has', () => {
    expect(shape('SELECT (t).*, x FROM t')).toEqual({ kind: 'opaque', what: '(…).* in a select list' });
  });
});

describe('postgres statement shape: functions and table functions in FROM', () => {
  it('reads generate_series, unnest and json_each with their aliases and column lists', () => {
    expect(shape('SELECT * FROM generate_series(1, t.n) AS g(i), unnest(a.x, a.y) WITH ORDINALITY AS u(p, q, o), json_each(doc) AS j, f(t.c) AS ff(a int, b text)')).toMatchObject({
      from: [
        { kind: 'function', name: ['generate_series'], args: [NO_EXPR, bare('t', 'n')], alias: 'g', columns: ['i'] },
        { kind: 'function', name: ['unnest'], args: [bare('a', 'x'), bare('a', 'y')], alias: 'u', columns: ['p', 'q', 'o'] },
        { kind: 'function', name: ['json_each'], args: [bare('doc')], alias: 'j' },
        { kind: 'function', name: ['f'], args: [bare('t', 'c')], alias: 'ff', columns: ['a', 'b'] },
      ],
    });
    expect((shape('SELECT * FROM json_each(doc) AS j') as SelectShape).from[0]).not.toHaveProperty('columns');
  });

  it('reads ROWS FROM with several calls as one source whose arguments are the whole calls', () => {
    expect(shape('SELECT * FROM ROWS FROM (generate_series(1, 2), json_to_recordset(y) AS (a int, b text)) AS r')).toMatchObject({
      from: [{
        kind: 'function', name: ['rows from'], alias: 'r',
        args: [ex({ functions: [['generate_series']] }), ex({ columns: [col('y')], functions: [['json_to_recordset']] })],
      }],
    });
  });

  it('reads XMLTABLE and JSON_TABLE as sources fed by their expressions, with their declared columns', () => {
    expect(shape("SELECT * FROM t, xmltable('/r' PASSING t.x COLUMNS a int PATH 'a' DEFAULT t.d, o FOR ORDINALITY) AS xt(q)")).toMatchObject({
      from: [table('t'), { kind: 'function', name: ['xmltable'], args: [bare('t', 'x'), cols('t.d')], alias: 'xt', columns: ['q', 'o'] }],
    });
    expect(shape("SELECT * FROM t, json_table(t.j, '$[*]' PASSING t.p AS p COLUMNS (x int PATH '$.x' DEFAULT t.k ON EMPTY, NESTED PATH '$.n[*]' COLUMNS (y text))) AS jt")).toMatchObject({
      from: [table('t'), { kind: 'function', name: ['json_table'], args: [cols('t.j'), cols('t.p'), cols('t.k')], alias: 'jt', columns: ['x', 'y'] }],
    });
  });

  it('reads TABLESAMPLE as its table, with its arguments in conditions', () => {
    expect(shape('SELECT * FROM t AS s TABLESAMPLE bernoulli (t.a) REPEATABLE (t.b)')).toEqual(select({
      from: [table('t', 's')], items: [star()], conditions: [bare('t', 'a'), bare('t', 'b')],
    }));
  });

  it('makes a FROM item that is no call by name opaque', () => {
    expect(shape('SELECT * FROM coalesce(1, 2)')).toMatchObject({ from: [{ kind: 'opaque', what: 'CoalesceExpr' }] });
  });
});

describe('postgres statement shape: CTEs, set operations and VALUES', () => {
  it('reads CTEs, recursive with a column list', () => {
    expect(shape('WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r), s AS (SELECT 2) SELECT n FROM r')).toEqual(select({
      ctes: [
        {
          name: 'r', columns: ['n'], recursive: true,
          query: { kind: 'set', ctes: [], operators: ['union all'], branches: [selectOne, select({ from: [table('r')], items: [item(cols('n'))] })], conditions: [], positions: [] },
        },
        { name: 's', query: select({ items: [item(NO_EXPR)] }), recursive: true },
      ],
      from: [table('r')],
      items: [item(bare('n'))],
    }));
    expect((shape('WITH s AS (SELECT 1) SELECT * FROM s') as SelectShape).ctes).toEqual([{ name: 's', query: selectOne, recursive: false }]);
  });

  it('flattens a chain of UNION, UNION ALL and EXCEPT in order, with the ORDER BY and LIMIT of the whole', () => {
    expect(shape('SELECT 1 UNION SELECT 1 UNION ALL SELECT 1 EXCEPT SELECT 1 ORDER BY 1 LIMIT 5')).toEqual({
      kind: 'set', ctes: [], operators: ['union', 'union all', 'except'], branches: [selectOne, selectOne, selectOne, selectOne],
      conditions: [NO_EXPR], positions: [1],
    });
  });

  it('keeps INTERSECT (which binds tighter) and parenthesised branches nested, so the operators read left to right', () => {
    const intersect: QueryShape = { kind: 'set', ctes: [], operators: ['intersect'], branches: [selectOne, selectOne], conditions: [], positions: [] };
    expect(shape('SELECT 1 UNION SELECT 1 INTERSECT SELECT 1')).toEqual({
      kind: 'set', ctes: [], operators: ['union'], branches: [selectOne, intersect], conditions: [], positions: [],
    });
    expect(shape('(SELECT 1 INTERSECT SELECT 1) EXCEPT ALL SELECT 1')).toEqual({
      kind: 'set', ctes: [], operators: ['except all'], branches: [intersect, selectOne], conditions: [], positions: [],
    });
    expect(shape('SELECT 1 INTERSECT SELECT 1 INTERSECT ALL SELECT 1')).toMatchObject({ operators: ['intersect', 'intersect all'] });
  });

  it('puts a WITH before a set operation on the set operation', () => {
    expect(shape('WITH x AS (SELECT 1) SELECT * FROM x UNION SELECT 1')).toMatchObject({
      kind: 'set', ctes: [{ name: 'x', query: selectOne, recursive: false }], branches: [select({ from: [table('x')], items: [star()] }), selectOne],
    });
  });

  it('reads VALUES as a query and as a derived table', () => {
    expect(shape('VALUES (1, a), (2, b)')).toEqual({ kind: 'values', rows: [[NO_EXPR, bare('a')], [NO_EXPR, bare('b')]] });
    expect(shape("SELECT * FROM (VALUES (1, 'x')) AS v(n, s)")).toMatchObject({
      from: [{ kind: 'query', query: { kind: 'values', rows: [[NO_EXPR, NO_EXPR]] }, alias: 'v', columns: ['n', 's'] }],
    });
  });

  it('makes VALUES with ORDER BY, LIMIT or WITH opaque: a ValuesShape has no place for them', () => {
    expect(shape('VALUES (1), (2) ORDER BY 1')).toEqual({ kind: 'opaque', what: 'VALUES with ORDER BY, LIMIT or WITH' });
  });

  it('makes data-modifying CTEs and SEARCH/CYCLE clauses opaque', () => {
    expect(shape('WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d')).toEqual({ kind: 'opaque', what: 'DeleteStmt' });
    expect(shape('WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SEARCH DEPTH FIRST BY n SET ord SELECT * FROM r'))
      .toEqual({ kind: 'opaque', what: 'CTESearchClause' });
    expect(shape('WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) CYCLE n SET c USING p SELECT * FROM r'))
      .toEqual({ kind: 'opaque', what: 'CTECycleClause' });
  });
});

describe('postgres statement shape: DML', () => {
  it('reads INSERT … VALUES with a column list, ON CONFLICT DO UPDATE and RETURNING', () => {
    expect(shape(
      'WITH s AS (SELECT 1) INSERT INTO sc.t AS tt (a, b) VALUES (1, DEFAULT) ON CONFLICT (a) WHERE a > 0 '
      + 'DO UPDATE SET b = excluded.b, (c, d) = (1, tt.e) WHERE tt.x = 1 RETURNING *, a AS aa',
    )).toEqual({
      kind: 'insert',
      ctes: [{ name: 's', query: selectOne, recursive: false }],
      target: table('sc.t', 'tt'),
      columns: ['a', 'b'],
      source: { kind: 'values', rows: [[NO_EXPR, NO_EXPR]] },
      onConflictSets: ['b', 'c', 'd'],
      onConflictExprs: [bare('excluded', 'b'), cols('tt.e'), cols('tt.e'), cols('tt.x'), cols('a')],
      returning: [star(), item(bare('a'), 'aa')],
    });
  });

  it('reads INSERT … SELECT without a column list, and DEFAULT VALUES', () => {
    expect(shape('INSERT INTO t SELECT * FROM u')).toMatchObject({
      kind: 'insert', columns: null, source: select({ from: [table('u')], items: [star()] }), onConflictSets: [], returning: [],
    });
    expect(shape('INSERT INTO t DEFAULT VALUES')).toEqual({
      kind: 'insert', ctes: [], target: table('t'), columns: null, source: null, onConflictSets: [], onConflictExprs: [], returning: [],
    });
  });

  it('reads UPDATE … FROM … WHERE … RETURNING, giving each column of SET (a, b) = (SELECT …) the whole source', () => {
    const sub = ex({ subqueries: [select({ from: [table('w')], items: [item(bare('p')), item(bare('q'))] })] });
    expect(shape('UPDATE t AS x SET a = x.a + 1, (d, e) = (SELECT p, q FROM w), arr[x.i] = 0 FROM u JOIN v ON u.i = v.i WHERE x.id = u.id RETURNING x.*, a')).toEqual({
      kind: 'update',
      ctes: [],
      target: table('t', 'x'),
      from: [table('u'), table('v')],
      sets: [
        { column: col('a'), value: cols('x.a') },
        { column: col('d'), value: sub },
        { column: col('e'), value: sub },
        { column: col('arr'), value: NO_EXPR },
      ],
      // JOIN … ON, then the subscript that decides which element is written, then WHERE.
      conditions: [cols('u.i', 'v.i'), cols('x.i'), cols('x.id', 'u.id')],
      returning: [star(['x']), item(bare('a'))],
    });
  });

  it('reads DELETE … USING … WHERE … RETURNING', () => {
    expect(shape('DELETE FROM ONLY t AS d USING u, v WHERE d.a = u.a RETURNING d.a')).toEqual({
      kind: 'delete', ctes: [], target: table('t', 'd'), from: [table('u'), table('v')],
      conditions: [cols('d.a', 'u.a')], returning: [item(bare('d', 'a'))],
    });
  });

  it('makes what DML shapes cannot carry opaque: USING joins in UPDATE/DELETE sources, renamed OLD/NEW, computed INSERT subscripts', () => {
    expect(shape('UPDATE t SET a = 1 FROM u JOIN v USING (id)')).toEqual({ kind: 'opaque', what: 'JOIN … USING or NATURAL JOIN in UPDATE … FROM' });
    expect(shape('DELETE FROM t USING u NATURAL JOIN v')).toEqual({ kind: 'opaque', what: 'JOIN … USING or NATURAL JOIN in DELETE … USING' });
    expect(shape('UPDATE t SET a = 1 RETURNING WITH (OLD AS o) o.a')).toEqual({ kind: 'opaque', what: 'ReturningOption' });
    expect(shape('INSERT INTO t (arr[(SELECT max(i) FROM s)]) VALUES (1)')).toEqual({ kind: 'opaque', what: 'INSERT into a subscript that is computed' });
  });
});

describe('postgres statement shape: EXPLAIN, CREATE … AS and DDL', () => {
  const readsA = select({ from: [table('t')], items: [item(bare('a'))] });

  it('reads EXPLAIN (ANALYZE) as the statement it explains', () => {
    expect(shape('EXPLAIN (ANALYZE, FORMAT JSON) SELECT a FROM t')).toEqual({ kind: 'explain', statement: readsA });
    expect(shape('EXPLAIN MERGE INTO t USING u ON t.id = u.id WHEN MATCHED THEN DELETE')).toEqual({
      kind: 'explain', statement: { kind: 'opaque', what: 'MergeStmt' },
    });
  });

  it('reads CREATE VIEW, CREATE TABLE AS, CREATE MATERIALIZED VIEW AS and SELECT INTO as a new object filled from a query', () => {
    expect(shape('CREATE OR REPLACE VIEW v (x) AS SELECT a FROM t')).toEqual({ kind: 'create-from-query', target: table('v'), query: readsA });
    expect(shape('CREATE TABLE s.n AS SELECT a FROM t')).toEqual({ kind: 'create-from-query', target: table('s.n'), query: readsA });
    expect(shape('CREATE MATERIALIZED VIEW m AS SELECT a FROM t WITH NO DATA')).toEqual({ kind: 'create-from-query', target: table('m'), query: readsA });
    expect(shape('SELECT a INTO TEMP n FROM t')).toEqual({ kind: 'create-from-query', target: table('n'), query: readsA });
    expect(shape('CREATE TABLE n AS EXECUTE p')).toEqual({ kind: 'opaque', what: 'ExecuteStmt' });
    expect(shape('SELECT 1 INTO n UNION SELECT 2')).toEqual({ kind: 'opaque', what: 'SELECT … INTO inside a query' });
  });

  it('lists the tables DDL names, wherever it names them', () => {
    const ddl = (...names: string[]) => ({ kind: 'ddl', tables: names.map((name) => table(name)) });
    expect(shape('ALTER TABLE s.t ADD COLUMN c int REFERENCES u (id)')).toEqual(ddl('s.t', 'u'));
    expect(shape('DROP TABLE a, s.b CASCADE')).toEqual(ddl('a', 's.b'));
    expect(shape('TRUNCATE a, ONLY b')).toEqual(ddl('a', 'b'));
    expect(shape('CREATE TABLE n (a int REFERENCES r (id)) INHERITS (p)')).toEqual(ddl('n', 'r', 'p'));
    expect(shape('CREATE INDEX ON t (lower(c))')).toEqual(ddl('t'));
    expect(shape('ALTER TABLE t RENAME COLUMN a TO b')).toEqual(ddl('t'));
    expect(shape('GRANT SELECT ON t, s.u TO bob')).toEqual(ddl('t', 's.u'));
    expect(shape("COMMENT ON COLUMN s.t.c IS 'x'")).toEqual(ddl('s.t'));
    expect(shape('DROP TRIGGER trg ON s.t')).toEqual(ddl('s.t'));
    expect(shape('DROP FUNCTION f(int)')).toEqual(ddl());
  });

  it('makes DDL that reaches tables without naming them, or holds a query, opaque', () => {
    expect(shape('DROP SCHEMA s CASCADE')).toEqual({ kind: 'opaque', what: 'DROP SCHEMA … CASCADE' });
    expect(shape('ALTER SCHEMA s RENAME TO s2')).toEqual({ kind: 'opaque', what: 'ALTER SCHEMA … RENAME' });
    expect(shape('GRANT SELECT ON ALL TABLES IN SCHEMA s TO bob')).toEqual({ kind: 'opaque', what: 'GRANT … ON ALL TABLES IN SCHEMA' });
    expect(shape('CREATE SCHEMA s CREATE VIEW v AS SELECT a FROM t')).toEqual({ kind: 'opaque', what: 'CREATE SCHEMA with a query inside' });
  });

  it('makes statements it does not read opaque, named by node type: SHOW, MERGE', () => {
    expect(shape('SHOW search_path')).toEqual({ kind: 'opaque', what: 'VariableShowStmt' });
    expect(shape('MERGE INTO t USING u ON t.id = u.id WHEN MATCHED THEN DELETE')).toEqual({ kind: 'opaque', what: 'MergeStmt' });
  });
});

describe('postgres statement shape: what the builder was not written for', () => {
  it('makes a node with a field it does not know opaque (a future parser may add one)', () => {
    expect(postgresShape({ SelectStmt: { targetList: [], futureClause: { ColumnRef: { fields: [] } } } })).toEqual({ kind: 'opaque', what: 'SelectStmt' });
    expect(postgresShape({ UpdateStmt: { relation: { relname: 't' }, futureClause: {} } })).toEqual({ kind: 'opaque', what: 'UpdateStmt' });
  });

  it('makes an unknown FROM item an opaque source, and a statement inside an expression an opaque statement', () => {
    expect(postgresShape({ SelectStmt: { fromClause: [{ FutureRange: {} }] } })).toMatchObject({ from: [{ kind: 'opaque', what: 'FutureRange' }] });
    const future = { SelectStmt: { targetList: [{ ResTarget: { val: { FutureExpr: { query: { FutureStmt: {} } } } } }] } };
    expect(postgresShape(future)).toEqual({ kind: 'opaque', what: 'FutureStmt' });
  });

  it('throws InvalidInputError for text that does not parse, as classify does', () => {
    expect(() => shape('SELEC 1')).toThrow(InvalidInputError);
  });
});
