/**
 * The statement shapes the MySQL/MariaDB, SQLite and SQL Server gates build from node-sql-parser's tree
 * (rules/sql-parser-shape.ts): exact shapes per construct and dialect, through `rules.shape()` so that the gate's
 * lexer and rewrites are in the path, and opaque wherever the tree cannot be read for sure.
 */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { createMssqlRules } from '../../src/guard/rules/mssql-rules.js';
import { createMysqlRules } from '../../src/guard/rules/mysql-rules.js';
import { createSqliteRules } from '../../src/guard/rules/sqlite-rules.js';
import type { StatementRules } from '../../src/guard/statement-gate.js';
import {
  NO_EXPR, type ColumnRefShape, type CteShape, type ExprShape, type QueryShape, type SelectItemShape, type SelectShape,
  type SetOperationShape, type SourceShape, type TableSourceShape,
} from '../../src/guard/statement-shape.js';
import { invalidInput } from './refusal.js';

const mysql = await createMysqlRules({ flavor: 'mysql' });
const mariadb = await createMysqlRules({ flavor: 'mariadb' });
const sqlite = await createSqliteRules();
const mssql = await createMssqlRules();
const ALL: [string, StatementRules][] = [['mysql', mysql], ['mariadb', mariadb], ['sqlite', sqlite], ['mssql', mssql]];
const NOT_MSSQL = ALL.filter(([name]) => name !== 'mssql');
const MYSQLS = ALL.filter(([name]) => name === 'mysql' || name === 'mariadb');

// ---- expected shapes, written short ----
const ref = (dotted: string): ColumnRefShape => {
  const parts = dotted.split('.');
  return { qualifier: parts.slice(0, -1), name: parts.at(-1)! };
};
/** An expression over `columns` (dotted names), with the rest filled in. */
const ex = (columns: string[], more: Partial<ExprShape> = {}): ExprShape => ({ ...NO_EXPR, columns: columns.map(ref), ...more });
const bare = (dotted: string): ExprShape => ({ ...ex([dotted]), bare: ref(dotted) });
const literal = ex([]);
const fn = (name: string, columns: string[] = [], more: Partial<ExprShape> = {}): ExprShape => ex(columns, { functions: [[name]], ...more });
const table = (dotted: string, alias: string | null = null): TableSourceShape => ({ kind: 'table', parts: dotted.split('.'), alias });
const item = (expr: ExprShape, alias: string | null = null): SelectItemShape => ({ kind: 'expr', expr, alias });
const star = (qualifier: string | null = null): SelectItemShape => ({ kind: 'star', qualifier: qualifier === null ? null : qualifier.split('.') });
const select = (shape: Partial<SelectShape>): SelectShape => ({
  kind: 'select', ctes: [], from: [], items: [], conditions: [], usingColumns: [], positions: [], distinct: false, ...shape,
});
const set = (shape: Partial<SetOperationShape>): SetOperationShape => ({ kind: 'set', ctes: [], operators: [], branches: [], conditions: [], positions: [], ...shape });
const cte = (name: string, query: QueryShape, recursive: boolean, columns?: string[]): CteShape => ({ name, ...(columns ? { columns } : {}), query, recursive });
const derived = (query: QueryShape, alias: string | null, columns?: string[]): SourceShape => ({ kind: 'query', query, alias, ...(columns ? { columns } : {}) });
const opaqueQuery = (what: string): SelectShape => select({ from: [{ kind: 'opaque', what }] });
/** `SELECT <items> FROM <one table>`: the branches and subqueries of most tests. */
const selectFrom = (from: string, ...items: SelectItemShape[]): SelectShape => select({ from: [table(from)], items });

describe('SELECT in every dialect', () => {
  it.each(ALL)('%s: columns, aliases, * and t.*', (_name, rules) => {
    expect(rules.shape('SELECT a AS x, t.b y, *, t.* FROM t WHERE t.c = 1')).toStrictEqual(select({
      from: [table('t')],
      items: [item(bare('a'), 'x'), item(bare('t.b'), 'y'), star(), star('t')],
      conditions: [ex(['t.c'])],
    }));
  });

  it.each(ALL)('%s: joins flattened, ON as conditions', (_name, rules) => {
    expect(rules.shape('SELECT o.id FROM orders AS o JOIN customers c ON c.id = o.customer_id LEFT JOIN notes n ON n.order_id = o.id')).toStrictEqual(select({
      from: [table('orders', 'o'), table('customers', 'c'), table('notes', 'n')],
      items: [item(bare('o.id'))],
      conditions: [ex(['c.id', 'o.customer_id']), ex(['n.order_id', 'o.id'])],
    }));
  });

  it.each(NOT_MSSQL)('%s: JOIN … USING and NATURAL JOIN', (_name, rules) => {
    expect(rules.shape('SELECT * FROM a JOIN b USING (id, k)')).toStrictEqual(select({ from: [table('a'), table('b')], items: [star()], usingColumns: ['id', 'k'] }));
    // The tree does not show NATURAL (MySQL's rewrite drops it; SQLite's grammar reads it as an alias of a).
    expect(rules.shape('SELECT a.x FROM a NATURAL JOIN b')).toStrictEqual(select({ from: [table('a'), table('b')], items: [item(bare('a.x'))], usingColumns: ['*natural*'] }));
  });

  it.each(ALL)('%s: derived tables and scalar, EXISTS and IN subqueries', (_name, rules) => {
    expect(rules.shape('SELECT s.a, (SELECT max(b) FROM u) AS m FROM (SELECT a FROM t) AS s WHERE EXISTS (SELECT 1 FROM v WHERE v.a = s.a) AND s.a IN (SELECT c FROM w)')).toStrictEqual(select({
      from: [derived(selectFrom('t', item(bare('a'))), 's')],
      items: [item(bare('s.a')), item(ex([], { subqueries: [selectFrom('u', item(fn('MAX', ['b'])))] }), 'm')],
      conditions: [ex(['s.a'], {
        subqueries: [select({ from: [table('v')], items: [item(literal)], conditions: [ex(['v.a', 's.a'])] }), selectFrom('w', item(bare('c')))],
        functions: [['EXISTS']],
      })],
    }));
  });

  it.each(ALL)('%s: ORDER BY 1, GROUP BY 2, DISTINCT, count(*), CAST not bare', (_name, rules) => {
    expect(rules.shape('SELECT DISTINCT g, count(*), CAST(email AS CHAR(10)) FROM t GROUP BY 1, 3 HAVING count(*) > 1 ORDER BY 2 DESC, g')).toStrictEqual(select({
      from: [table('t')],
      items: [item(bare('g')), item(fn('COUNT')), item(ex(['email']))],
      conditions: [fn('COUNT'), ex(['g'])],
      positions: [1, 3, 2],
      distinct: true,
    }));
  });

  it.each(ALL)('%s: window functions (OVER specs are in the expression)', (_name, rules) => {
    expect(rules.shape('SELECT row_number() OVER (PARTITION BY g ORDER BY ts) AS rn FROM t')).toStrictEqual(selectFrom('t', item(fn('row_number', ['g', 'ts']), 'rn')));
  });

  it.each(ALL)('%s: CTEs, and RECURSIVE as each engine reads it', (name, rules) => {
    // SQL Server has no RECURSIVE keyword and SQLite ignores it: a CTE may always name itself there.
    const recursive = name === 'mssql' || name === 'sqlite';
    expect(rules.shape('WITH x AS (SELECT a FROM t), y (b) AS (SELECT a FROM x) SELECT b FROM y')).toStrictEqual(select({
      ctes: [cte('x', selectFrom('t', item(bare('a'))), recursive), cte('y', selectFrom('x', item(bare('a'))), recursive, ['b'])],
      from: [table('y')],
      items: [item(bare('b'))],
    }));
  });

  it.each(NOT_MSSQL)('%s: WITH RECURSIVE', (_name, rules) => {
    const anchor = select({ items: [item(literal)] });
    const step = select({ from: [table('r')], items: [item(ex(['n']))], conditions: [ex(['n'])] });
    expect(rules.shape('WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT n FROM r')).toStrictEqual(select({
      ctes: [cte('r', set({ operators: ['union all'], branches: [anchor, step] }), true, ['n'])],
      from: [table('r')],
      items: [item(bare('n'))],
    }));
  });

  it.each(ALL)('%s: UNION, UNION ALL, INTERSECT, EXCEPT with the ORDER BY and LIMIT of the set', (name, rules) => {
    const limit = name === 'mssql' ? 'ORDER BY 1 OFFSET 0 ROWS FETCH NEXT 5 ROWS ONLY' : 'ORDER BY 1 LIMIT 5';
    expect(rules.shape(`SELECT a FROM t UNION SELECT b FROM u UNION ALL SELECT c FROM v ${limit}`)).toStrictEqual(set({
      operators: ['union', 'union all'],
      branches: [selectFrom('t', item(bare('a'))), selectFrom('u', item(bare('b'))), selectFrom('v', item(bare('c')))],
      positions: [1],
    }));
    // SQLite's and SQL Server's rewrites parse EXCEPT and INTERSECT as UNION; the tokens tell them apart again.
    for (const operator of ['intersect', 'except']) {
      expect(rules.shape(`SELECT a FROM t ${operator.toUpperCase()} SELECT b FROM u`)).toStrictEqual(set({
        operators: [operator],
        branches: [selectFrom('t', item(bare('a'))), selectFrom('u', item(bare('b')))],
      }));
    }
  });

  it.each(MYSQLS)('%s: db.t, db.t.c and db.t.*; t.* inside an expression is a whole row', (_name, rules) => {
    expect(rules.shape('SELECT db.t.c, db.t.* FROM db.t')).toStrictEqual(select({ from: [table('db.t')], items: [item(bare('db.t.c')), star('db.t')] }));
    expect(rules.shape('SELECT count(t.*) FROM t')).toStrictEqual(selectFrom('t', item(fn('COUNT', [], { wholeRows: [['t']] }))));
  });
});

describe('dialect specifics', () => {
  it('MySQL: a named WINDOW clause is a condition; WITH … SELECT of a set keeps its CTE at the set', () => {
    expect(mysql.shape('SELECT sum(a) OVER w FROM t WINDOW w AS (PARTITION BY g ORDER BY ts)')).toStrictEqual(select({
      from: [table('t')], items: [item(fn('SUM', ['a']))], conditions: [ex(['g', 'ts'])],
    }));
    expect(mysql.shape('WITH x AS (SELECT 1 AS a) SELECT a FROM x UNION SELECT b FROM u')).toStrictEqual(set({
      ctes: [cte('x', select({ items: [item(literal, 'a')] }), false)],
      operators: ['union'],
      branches: [selectFrom('x', item(bare('a'))), selectFrom('u', item(bare('b')))],
    }));
    // In parentheses, the CTE is the branch's own: u's x is another relation.
    expect(mysql.shape('(WITH x AS (SELECT 1 AS a) SELECT a FROM x) UNION SELECT b FROM x')).toStrictEqual(set({
      operators: ['union'],
      branches: [select({ ctes: [cte('x', select({ items: [item(literal, 'a')] }), false)], from: [table('x')], items: [item(bare('a'))] }), selectFrom('x', item(bare('b')))],
    }));
  });

  it('MySQL: parenthesized joins are flattened; a UNION the grammar puts in FROM is opaque', () => {
    expect(mysql.shape('SELECT * FROM (a JOIN b ON a.id = b.id) JOIN c ON c.id = a.id')).toStrictEqual(select({
      from: [table('a'), table('b'), table('c')], items: [star()], conditions: [ex(['a.id', 'b.id']), ex(['c.id', 'a.id'])],
    }));
    expect(mysql.shape('SELECT a FROM t UNION (SELECT b FROM u UNION SELECT c FROM v)')).toStrictEqual(select({
      from: [table('t'), { kind: 'opaque', what: 'UNION in FROM' }], items: [item(bare('a'))],
    }));
  });

  it.each(MYSQLS)('%s: BINARY x, which the grammar reads as a column "BINARY" named x, is opaque; a quoted `binary` column is not', (_name, rules) => {
    expect(rules.shape('SELECT BINARY email FROM t')).toStrictEqual(selectFrom('t', item(ex([], { subqueries: [opaqueQuery('a column reference the gate cannot read')] }), 'email')));
    expect(rules.shape('SELECT `binary` FROM t')).toStrictEqual(selectFrom('t', item(bare('binary'))));
  });

  it('SQL Server: $IDENTITY and $ROWGUID, which the grammar gives as variables, are opaque (they are some column of the table)', () => {
    expect(mssql.shape('SELECT $IDENTITY FROM t WHERE $ROWGUID IS NOT NULL')).toStrictEqual(select({
      from: [table('t')],
      items: [item(ex([], { subqueries: [opaqueQuery('$IDENTITY')] }))],
      conditions: [ex([], { subqueries: [opaqueQuery('$ROWGUID')] })],
    }));
    // In SQLite, $id is a bound parameter.
    expect(sqlite.shape('SELECT a FROM t WHERE b = $id')).toStrictEqual(select({ from: [table('t')], items: [item(bare('a'))], conditions: [ex(['b'])] }));
  });

  it('SQL Server: TOP, dbo.t, db.dbo.t, CROSS and OUTER APPLY', () => {
    expect(mssql.shape('SELECT TOP 5 x.a, dbo.t.b, db.dbo.t.c FROM db.dbo.t AS x CROSS APPLY OPENJSON(x.doc) j OUTER APPLY (SELECT TOP 1 u.b FROM dbo.u AS u WHERE u.a = x.a) o')).toStrictEqual(select({
      from: [
        table('db.dbo.t', 'x'),
        { kind: 'function', name: ['OPENJSON'], args: [bare('x.doc')], alias: 'j' },
        derived(select({ from: [table('dbo.u', 'u')], items: [item(bare('u.b'))], conditions: [ex(['u.a', 'x.a'])] }), 'o'),
      ],
      items: [item(bare('x.a')), item(bare('dbo.t.b')), item(bare('db.dbo.t.c'))],
    }));
  });

  it('SQL Server: VALUES and derived tables with a column list; "name", [name], @parameters and total = expr', () => {
    expect(mssql.shape('SELECT v.x FROM (VALUES (1, 2), (3, 4)) AS v(x, y)')).toStrictEqual(select({
      from: [derived({ kind: 'values', rows: [[literal, literal], [literal, literal]] }, 'v', ['x', 'y'])], items: [item(bare('v.x'))],
    }));
    expect(mssql.shape('SELECT "a", [b c], total = SUM(d) FROM t WHERE e = @p1')).toStrictEqual(select({
      from: [table('t')], items: [item(bare('a')), item(bare('b c')), item(fn('SUM', ['d']), 'total')], conditions: [ex(['e'])],
    }));
    // A bracketed alias could hold "(": the grammar's "s(b)" cannot be split back for sure.
    expect(mssql.shape('SELECT * FROM (SELECT a FROM t) AS [s(b)]')).toStrictEqual(select({
      from: [{ kind: 'opaque', what: 'a derived table alias with a column list the gate cannot read' }], items: [star()],
    }));
  });

  it('SQL Server: OFFSET/FETCH, FOR JSON (no item is bare); PIVOT, FOR SYSTEM_TIME and STRING_AGG … WITHIN GROUP are opaque', () => {
    expect(mssql.shape('SELECT a FROM t ORDER BY b OFFSET 10 ROWS FETCH NEXT 5 ROWS ONLY')).toStrictEqual(select({ from: [table('t')], items: [item(bare('a'))], conditions: [ex(['b'])] }));
    expect(mssql.shape('SELECT a, t.* FROM t FOR JSON PATH')).toStrictEqual(select({ from: [table('t')], items: [item(ex(['a'])), star('t')] }));
    expect(mssql.shape('SELECT * FROM t PIVOT (SUM(a) FOR b IN ([x], [y])) AS p')).toStrictEqual(select({ from: [{ kind: 'opaque', what: 'PIVOT' }], items: [star()] }));
    expect(mssql.shape("SELECT * FROM t FOR SYSTEM_TIME AS OF '2024-01-01'")).toStrictEqual(select({ from: [{ kind: 'opaque', what: 'FOR SYSTEM_TIME' }], items: [star()] }));
    expect(mssql.shape("SELECT STRING_AGG(a, ',') WITHIN GROUP (ORDER BY b) FROM t")).toStrictEqual({ kind: 'opaque', what: 'WITHIN GROUP (ORDER BY …)' });
  });

  it('SQLite: json_each in FROM, "name" and [name] are columns, FILTER (WHERE …) stays a condition', () => {
    expect(sqlite.shape('SELECT t.id, j.value FROM t, json_each(t.doc) AS j')).toStrictEqual(select({
      from: [table('t'), { kind: 'function', name: ['json_each'], args: [bare('t.doc')], alias: 'j' }],
      items: [item(bare('t.id')), item(bare('j.value'))],
    }));
    expect(sqlite.shape('SELECT "a", [b] FROM t')).toStrictEqual(selectFrom('t', item(bare('a')), item(bare('b'))));
    // The grammar reads `t CROSS JOIN u` and `t NATURAL LEFT JOIN u` as t aliased CROSS / NATURAL.
    expect(sqlite.shape('SELECT t.a FROM t CROSS JOIN u')).toStrictEqual(select({ from: [table('t'), table('u')], items: [item(bare('t.a'))] }));
    expect(sqlite.shape('SELECT t.a FROM t NATURAL LEFT JOIN u')).toStrictEqual(select({ from: [table('t'), table('u')], items: [item(bare('t.a'))], usingColumns: ['*natural*'] }));
    expect(sqlite.shape('SELECT count(*) FILTER (WHERE a > 1) FROM t')).toStrictEqual(selectFrom('t', item(fn('COUNT', [], {
      subqueries: [select({ items: [item(literal)], conditions: [ex(['a'])] })],
    }))));
  });

  it('SQLite: a CTE that names a later one (SQLite reads it, the policy resolves in order) is opaque', () => {
    expect(sqlite.shape('WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS n) SELECT * FROM a')).toStrictEqual(select({
      ctes: [cte('a', opaqueQuery('a CTE that names a later CTE of its WITH clause'), true), cte('b', select({ items: [item(literal, 'n')] }), true)],
      from: [table('a')],
      items: [star()],
    }));
  });

  it.each([['mariadb', mariadb], ['sqlite', sqlite]] as const)('%s: a named WINDOW clause, dropped by the rewrite, makes the statement opaque', (_name, rules) => {
    expect(rules.shape('SELECT sum(a) OVER w FROM t WINDOW w AS (PARTITION BY g)')).toStrictEqual({ kind: 'opaque', what: 'a named WINDOW clause' });
  });
});

describe('JSON_TABLE and VALUES as a query', () => {
  const values = (...rows: ExprShape[][]): QueryShape => ({ kind: 'values', rows });
  const jsonTable = (args: ExprShape[], alias: string, columns: string[]): SourceShape => ({ kind: 'function', name: ['JSON_TABLE'], args, alias, columns });

  it.each(MYSQLS)('%s: JSON_TABLE is a function in FROM fed by its document, with the columns it declares (NESTED ones in place)', (_name, rules) => {
    expect(rules.shape("SELECT t.id, jt.a FROM t, JSON_TABLE(t.doc, '$[*]' COLUMNS (n FOR ORDINALITY, a INT PATH '$.a' DEFAULT '0' ON EMPTY, NESTED PATH '$.b[*]' COLUMNS (`b c` VARCHAR(10) PATH '$'))) AS jt WHERE jt.a > 1")).toStrictEqual(select({
      from: [table('t'), jsonTable([bare('t.doc'), literal], 'jt', ['n', 'a', 'b c'])],
      items: [item(bare('t.id')), item(bare('jt.a'))],
      conditions: [ex(['jt.a'])],
    }));
    // A `*` over it has the declared columns; a JOIN's ON is a condition; the document may be any expression.
    expect(rules.shape("SELECT jt.*, t.email FROM t JOIN JSON_TABLE(JSON_ARRAY(t.ssn, (SELECT MAX(u.x) FROM u)), '$[*]' COLUMNS (s VARCHAR(40) PATH '$')) jt ON jt.s <> t.id")).toStrictEqual(select({
      from: [table('t'), jsonTable([ex(['t.ssn'], { subqueries: [selectFrom('u', item(fn('MAX', ['u.x'])))], functions: [['JSON_ARRAY']] }), literal], 'jt', ['s'])],
      items: [star('jt'), item(bare('t.email'))],
      conditions: [ex(['jt.s', 't.id'])],
    }));
    // JSON_TABLE's paths never reach the parser, so an alias spelled like one of them stays a name.
    expect(rules.shape("SELECT xxx.a FROM JSON_TABLE('[1]', '$' COLUMNS (a INT PATH '$.a')) AS xxx")).toStrictEqual(select({
      from: [jsonTable([literal, literal], 'xxx', ['a'])], items: [item(bare('xxx.a'))],
    }));
  });

  it.each(MYSQLS)('%s: VALUES in a CTE and in FROM; its rows are expressions', (_name, rules) => {
    expect(rules.shape("WITH t(code, n) AS (VALUES ('a', 1), ('b', (SELECT MAX(x) FROM u))) SELECT t.code, o.id FROM t JOIN o ON o.status = t.code")).toStrictEqual(select({
      ctes: [cte('t', values([literal, literal], [literal, ex([], { subqueries: [selectFrom('u', item(fn('MAX', ['x'])))] })]), false, ['code', 'n'])],
      from: [table('t'), table('o')],
      items: [item(bare('t.code')), item(bare('o.id'))],
      conditions: [ex(['o.status', 't.code'])],
    }));
    expect(rules.shape("SELECT v.* FROM (VALUES (1, 'x'), (2, 'y')) AS v")).toStrictEqual(select({
      from: [derived(values([literal, literal], [literal, literal]), 'v')], items: [star('v')],
    }));
  });

  it('SQLite: VALUES in a CTE, in FROM, in IN (…) and alone, as VALUES', () => {
    expect(sqlite.shape("WITH t(x, label) AS (VALUES (1, 'one'), (2, 'two')) SELECT t.x, o.id FROM t JOIN o ON o.n = t.x")).toStrictEqual(select({
      ctes: [cte('t', values([literal, literal], [literal, literal]), true, ['x', 'label'])],
      from: [table('t'), table('o')],
      items: [item(bare('t.x')), item(bare('o.id'))],
      conditions: [ex(['o.n', 't.x'])],
    }));
    expect(sqlite.shape('SELECT * FROM (VALUES (1), ((SELECT max(b) FROM u)))')).toStrictEqual(select({
      from: [derived(values([literal], [ex([], { subqueries: [selectFrom('u', item(fn('MAX', ['b'])))] })]), null)], items: [star()],
    }));
    expect(sqlite.shape('SELECT a FROM t WHERE a IN (VALUES (1), (2))')).toStrictEqual(select({
      from: [table('t')], items: [item(bare('a'))], conditions: [ex(['a'], { subqueries: [values([literal], [literal])] })],
    }));
    expect(sqlite.shape("VALUES (1, 'a'), (abs(-2), 'b')")).toStrictEqual(values([literal, literal], [fn('abs'), literal]));
    expect(sqlite.shape('EXPLAIN QUERY PLAN VALUES (1)')).toStrictEqual({ kind: 'explain', statement: values([literal]) });
  });
});

describe('strings where names go', () => {
  // The parser sees every string emptied to x…x, so a string alias or name is not the name the server uses.
  it.each([
    [mysql, "SELECT email 'e' FROM users"],
    [sqlite, "SELECT * FROM 'users'"],
    [sqlite, "UPDATE t SET 'secret' = 1 WHERE xxxxxx = 1"],
    [sqlite, "INSERT INTO t ('a') VALUES (1)"],
    [mssql, "SELECT a AS 'y' FROM t"],
  ] as const)('%#: opaque', (rules, sql) => {
    expect(rules.shape(sql)).toStrictEqual({ kind: 'opaque', what: 'a string literal written where a name goes' });
  });

  it('string values, and names spelled like an emptied string, are fine', () => {
    expect(mysql.shape("SELECT x.a AS x FROM t x WHERE x.b = 'y' AND x.c IN ('Y', 'N')")).toStrictEqual(select({
      from: [table('t', 'x')], items: [item(bare('x.a'), 'x')], conditions: [ex(['x.b', 'x.c'])],
    }));
    expect(mssql.shape("SELECT STUFF((SELECT ',' + name FROM t FOR XML PATH('')), 1, 1, '') AS names")).toStrictEqual(select({
      items: [item(fn('STUFF', [], { subqueries: [selectFrom('t', item(ex(['name'])))] }), 'names')],
    }));
  });
});

describe('writes', () => {
  it.each(ALL)('%s: INSERT … VALUES and INSERT … SELECT', (_name, rules) => {
    expect(rules.shape('INSERT INTO t (a, b) VALUES (1, x), (2, 3)')).toStrictEqual({
      kind: 'insert', ctes: [], target: table('t'), columns: ['a', 'b'], source: { kind: 'values', rows: [[literal, bare('x')], [literal, literal]] },
      onConflictSets: [], onConflictExprs: [], returning: [],
    });
    expect(rules.shape('INSERT INTO t SELECT a FROM u WHERE b = 1')).toStrictEqual({
      kind: 'insert', ctes: [], target: table('t'), columns: null, source: select({ from: [table('u')], items: [item(bare('a'))], conditions: [ex(['b'])] }),
      onConflictSets: [], onConflictExprs: [], returning: [],
    });
  });

  it('MySQL: ON DUPLICATE KEY UPDATE, INSERT … SET, REPLACE', () => {
    expect(mysql.shape('INSERT INTO db.t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = VALUES(a) + b')).toStrictEqual({
      kind: 'insert', ctes: [], target: table('db.t'), columns: ['a'], source: { kind: 'values', rows: [[literal]] },
      onConflictSets: ['a'], onConflictExprs: [fn('VALUES', ['a', 'b'])], returning: [],
    });
    expect(mysql.shape('INSERT INTO t SET a = 1, b = c')).toMatchObject({ kind: 'insert', columns: ['a', 'b'], source: { kind: 'values', rows: [[literal, bare('c')]] } });
    expect(mysql.shape('REPLACE INTO t (a) VALUES (1)')).toMatchObject({ kind: 'insert', target: table('t'), columns: ['a'] });
  });

  it('SQLite: RETURNING', () => {
    expect(sqlite.shape('INSERT INTO t (a) VALUES (1) RETURNING a, *')).toMatchObject({ kind: 'insert', returning: [item(bare('a')), star()] });
    expect(sqlite.shape('DELETE FROM t WHERE a = 1 RETURNING *')).toStrictEqual({
      kind: 'delete', ctes: [], target: table('t'), from: [], conditions: [ex(['a'])], returning: [star()],
    });
  });

  it.each(ALL)('%s: UPDATE … WHERE and DELETE', (_name, rules) => {
    expect(rules.shape('UPDATE t SET a = a + 1, b = (SELECT max(c) FROM u) WHERE d = 2')).toStrictEqual({
      kind: 'update', ctes: [], target: table('t'), from: [],
      sets: [{ column: ref('a'), value: ex(['a']) }, { column: ref('b'), value: ex([], { subqueries: [selectFrom('u', item(fn('MAX', ['c'])))] }) }],
      conditions: [ex(['d'])], returning: [],
    });
    expect(rules.shape('DELETE FROM t WHERE a = 1')).toStrictEqual({ kind: 'delete', ctes: [], target: table('t'), from: [], conditions: [ex(['a'])], returning: [] });
  });

  it('MySQL: multi-table UPDATE and DELETE; USING columns become conditions, NATURAL makes them opaque', () => {
    expect(mysql.shape('UPDATE t1 JOIN t2 ON t1.id = t2.id SET t1.a = t2.b, c = 1 WHERE t2.c = 1')).toStrictEqual({
      kind: 'update', ctes: [], target: table('t1'), from: [table('t2')],
      sets: [{ column: ref('t1.a'), value: bare('t2.b') }, { column: ref('c'), value: literal }],
      conditions: [ex(['t1.id', 't2.id']), ex(['t2.c'])], returning: [],
    });
    expect(mysql.shape('DELETE t1, t2 FROM t1 JOIN t2 ON t1.id = t2.id WHERE t1.a = 1 ORDER BY t1.b LIMIT 5')).toStrictEqual({
      kind: 'delete', ctes: [], target: table('t1'), from: [table('t2')], conditions: [ex(['t1.id', 't2.id']), ex(['t1.a']), ex(['t1.b'])], returning: [],
    });
    expect(mysql.shape('DELETE x FROM db.t1 AS x LEFT JOIN t2 USING (id)')).toStrictEqual({
      kind: 'delete', ctes: [], target: table('db.t1', 'x'), from: [table('t2')], conditions: [ex(['id'])], returning: [],
    });
    expect(mysql.shape('DELETE t1 FROM t1 NATURAL JOIN t2')).toStrictEqual({ kind: 'opaque', what: 'DELETE with a NATURAL JOIN' });
    expect(mysql.shape('WITH x AS (SELECT id FROM u) UPDATE t SET a = 1 WHERE id IN (SELECT id FROM x)')).toStrictEqual({
      kind: 'update', ctes: [cte('x', selectFrom('u', item(bare('id'))), false)], target: table('t'), from: [],
      sets: [{ column: ref('a'), value: literal }], conditions: [ex(['id'], { subqueries: [selectFrom('x', item(bare('id')))] })], returning: [],
    });
  });

  it('SQL Server: UPDATE … FROM and DELETE … FROM resolve the target by alias', () => {
    expect(mssql.shape('UPDATE x SET a = u.b FROM dbo.t AS x JOIN u ON u.id = x.id WHERE x.c = 1')).toStrictEqual({
      kind: 'update', ctes: [], target: table('dbo.t', 'x'), from: [table('u')],
      sets: [{ column: ref('a'), value: bare('u.b') }], conditions: [ex(['u.id', 'x.id']), ex(['x.c'])], returning: [],
    });
    expect(mssql.shape('DELETE x FROM t AS x JOIN u ON u.id = x.id')).toStrictEqual({
      kind: 'delete', ctes: [], target: table('t', 'x'), from: [table('u')], conditions: [ex(['u.id', 'x.id'])], returning: [],
    });
    // A target that no FROM item names is a table of its own.
    expect(mssql.shape('UPDATE t SET a = 1 FROM u WHERE u.id = t.id')).toMatchObject({ target: table('t'), from: [table('u')] });
  });
});

describe('EXPLAIN, schema changes, and what the tree does not show', () => {
  it.each([['mysql', mysql], ['mariadb', mariadb], ['sqlite', sqlite]] as const)('%s: EXPLAIN SELECT', (_name, rules) => {
    expect(rules.shape('EXPLAIN SELECT a FROM t')).toStrictEqual({ kind: 'explain', statement: selectFrom('t', item(bare('a'))) });
  });

  it.each([['mysql', mysql], ['sqlite', sqlite]] as const)('%s: CREATE VIEW and CREATE TABLE … AS SELECT', (_name, rules) => {
    expect(rules.shape('CREATE VIEW v AS SELECT a FROM t')).toStrictEqual({ kind: 'create-from-query', target: table('v'), query: selectFrom('t', item(bare('a'))) });
    expect(rules.shape('CREATE TABLE n AS SELECT a FROM t')).toStrictEqual({ kind: 'create-from-query', target: table('n'), query: selectFrom('t', item(bare('a'))) });
  });

  it('SQL Server: ALTER VIEW … AS SELECT replaces the view\'s query, like CREATE VIEW (which its grammar cannot read)', () => {
    expect(mssql.shape('ALTER VIEW dbo.v AS SELECT a FROM dbo.t')).toStrictEqual({ kind: 'create-from-query', target: table('dbo.v'), query: selectFrom('dbo.t', item(bare('a'))) });
    expect(mssql.shape('DROP VIEW dbo.v')).toStrictEqual({ kind: 'ddl', tables: [table('dbo.v')] });
  });

  it.each(ALL)('%s: DROP TABLE and ALTER TABLE name their tables', (name, rules) => {
    expect(rules.shape('DROP TABLE a, s.b')).toStrictEqual({ kind: 'ddl', tables: [table('a'), table('s.b')] });
    const add = name === 'mssql' ? 'ALTER TABLE t ADD c int' : 'ALTER TABLE t ADD COLUMN c int';
    expect(rules.shape(add)).toStrictEqual({ kind: 'ddl', tables: [table('t')] });
  });

  it('MySQL: every table a schema change names; other objects are opaque', () => {
    expect(mysql.shape('CREATE TABLE n (a int REFERENCES p (id), b int, FOREIGN KEY (b) REFERENCES db.q (id))')).toStrictEqual({ kind: 'ddl', tables: [table('n'), table('p'), table('db.q')] });
    expect(mysql.shape('RENAME TABLE a TO b')).toStrictEqual({ kind: 'ddl', tables: [table('a'), table('b')] });
    expect(mysql.shape('ALTER TABLE t RENAME TO u')).toStrictEqual({ kind: 'ddl', tables: [table('t'), table('u')] });
    expect(mysql.shape('TRUNCATE TABLE t')).toStrictEqual({ kind: 'ddl', tables: [table('t')] });
    expect(mysql.shape('CREATE INDEX i ON t (a)')).toStrictEqual({ kind: 'ddl', tables: [table('t')] });
    expect(mysql.shape('CREATE TABLE n (a int REFERENCES p (id)) AS SELECT a FROM t')).toStrictEqual({ kind: 'opaque', what: 'CREATE TABLE … AS SELECT that names another table' });
    expect(mysql.shape('DROP DATABASE d')).toStrictEqual({ kind: 'opaque', what: 'DROP DATABASE' });
  });

  it.each([
    [mysql, 'SHOW COLUMNS FROM t', 'SHOW COLUMNS'],
    [mysql, 'SHOW FULL TABLES', 'SHOW FULL TABLES'],
    [mysql, 'DESCRIBE t', 'DESCRIBE'],
    [mysql, 'EXPLAIN t', 'DESCRIBE'],
    [mariadb, 'SHOW CREATE TABLE t', 'SHOW CREATE TABLE'],
    [sqlite, 'PRAGMA table_info(t)', 'PRAGMA table_info'],
    [sqlite, "PRAGMA main.index_list('t')", 'PRAGMA index_list'],
  ] as const)('%#: a statement read from tokens alone is opaque (%s)', (rules, sql, what) => {
    expect(rules.shape(sql)).toStrictEqual({ kind: 'opaque', what });
  });

  it('shape() parses exactly as classify() does, and fails the same way', () => {
    expect(mysql.shape('TABLE t')).toStrictEqual(selectFrom('t', star()));
    expect(invalidInput(() => sqlite.shape('SELEC 1'))).toBeInstanceOf(InvalidInputError);
    expect(() => mssql.shape('SELECT 1; SELECT 2')).toThrow(/several statements/);
  });
});
