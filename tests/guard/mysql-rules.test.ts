/**
 * The MySQL/MariaDB statement gate: legitimate analytics accepted, attacks refused with the reason, writes and DDL
 * classified for writable environments, unparseable text reported as invalid input.
 */
import { describe, expect, it } from 'vitest';
import { InvalidInputError, ReadOnlyError } from '../../src/errors.js';
import { createMysqlRules } from '../../src/guard/rules/mysql-rules.js';
import { ORDERED_SET_ATTACKS, ORDERED_SET_READS } from './mariadb-window-corpus.js';
import { invalidInput, refusal } from './refusal.js';
import { MARIADB_TABLE_VALUE_ATTACKS, MARIADB_TABLE_VALUE_READS } from './table-value-corpus.js';

const mysql = await createMysqlRules();
const mariadb = await createMysqlRules({ flavor: 'mariadb' });
const NONE = { allowedFunctions: [] };
const READ = { kind: 'read', isDestructive: false };

const READS = [
  'SELECT 1',
  'SELECT a FROM t;',
  'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT * FROM r',
  'WITH a AS (SELECT 1 AS x), b AS (SELECT x FROM a) SELECT * FROM b',
  'SELECT id, ROW_NUMBER() OVER (PARTITION BY g ORDER BY ts DESC) AS rn, SUM(x) OVER w FROM t WINDOW w AS (PARTITION BY g)',
  'SELECT a, SUM(b) OVER (ORDER BY a ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM t',
  'SELECT NTILE(4) OVER w, LAG(a) OVER w, LEAD(a, 2, 0) OVER w, PERCENT_RANK() OVER w FROM t WINDOW w AS (ORDER BY a)',
  "SELECT doc->>'$.name', JSON_EXTRACT(doc, '$.a'), doc->'$.b', JSON_UNQUOTE(JSON_EXTRACT(d, '$.c')) FROM t",
  "SELECT JSON_OBJECT('a', 1), JSON_ARRAYAGG(a), JSON_OBJECTAGG(a, b), JSON_CONTAINS(d, '1') FROM t",
  'SELECT * FROM t, LATERAL (SELECT * FROM u WHERE u.id = t.id) x',
  'SELECT a FROM t UNION SELECT b FROM u INTERSECT SELECT c FROM v EXCEPT SELECT d FROM w',
  '(SELECT a FROM t) UNION ALL (SELECT b FROM u) ORDER BY 1',
  'SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE EXISTS (SELECT 1 FROM v WHERE v.a = u.a))',
  "SELECT DATE_FORMAT(ts, '%Y-%m') AS month, COUNT(*), GROUP_CONCAT(DISTINCT a ORDER BY a SEPARATOR ',') FROM t GROUP BY 1 WITH ROLLUP",
  "SELECT IF(a > 1, 'x', 'y'), IFNULL(a, 0), NULLIF(a, 0), CASE a WHEN 1 THEN 'one' END, CAST(a AS DECIMAL(10,2)), CONVERT(a, SIGNED) FROM t",
  'SELECT a FROM t WHERE ts > NOW() - INTERVAL 7 DAY AND DATE_SUB(CURDATE(), INTERVAL 1 MONTH) < ts',
  'SELECT YEAR(ts), TIMESTAMPDIFF(DAY, a, b), EXTRACT(YEAR FROM ts), UNIX_TIMESTAMP(ts) FROM t',
  "SELECT CONCAT_WS(',', a, b), SUBSTRING_INDEX(a, '.', 1), LPAD(a, 5, '0'), REGEXP_REPLACE(a, 'x', 'y') FROM t",
  'SELECT SUM(DISTINCT a), AVG(DISTINCT a), COUNT(DISTINCT a, b), STD(a), VARIANCE(a) FROM t',
  "SELECT 'DROP TABLE x' AS s -- delete everything",
  'SELECT updated_at, deleted, `update`, `select` FROM `my table`',
  "SELECT a FROM t WHERE a LIKE 'x%' ESCAPE '!' AND b NOT IN (1, 2) AND d RLIKE '^a'",
  'SELECT * FROM t USE INDEX (i) WHERE a = 1',
  'SELECT * FROM t AS x FORCE INDEX FOR JOIN (i, j) JOIN u IGNORE KEY (k) ON x.a = u.a',
  'SELECT STRAIGHT_JOIN SQL_NO_CACHE * FROM t STRAIGHT_JOIN u ON t.a = u.a',
  'SELECT a FROM t1 NATURAL LEFT JOIN t2',
  'SELECT a, SUM(a) OVER (PARTITION BY c ORDER BY b RANGE BETWEEN INTERVAL 1 DAY PRECEDING AND CURRENT ROW) FROM t',
  'SELECT a, SUM(a) OVER (ORDER BY b ROWS UNBOUNDED PRECEDING) FROM t',
  "SELECT a FROM t WHERE a <=> NULL OR b SOUNDS LIKE 'x'",
  'SELECT SUBSTRING(a FROM 2 FOR 3), SUBSTR(a FROM 1) FROM t',
  "SELECT * FROM t WHERE a = _utf8mb4'x' COLLATE utf8mb4_bin",
  'SELECT MATCH(a) AGAINST (\'x\' IN BOOLEAN MODE) FROM t',
  'SELECT @@version, @@global.max_connections, @x',
  'SELECT * FROM t WHERE a = ? AND b = ?',
  "SELECT 0x41, X'41', b'01', N'x'",
  // The session keeps NO_BACKSLASH_ESCAPES off, so this is one string literal, as the lexer and the server read it.
  "SELECT 'it\\'s; SELECT SLEEP(5) -- ' AS s",
  'SELECT 1 -- a comment with a space',
  'SELECT 1 # a hash comment',
  'select /* comment */ a from t where b = 1',
  'EXPLAIN SELECT * FROM t',
  'EXPLAIN FORMAT=JSON SELECT * FROM t',
  'EXPLAIN ANALYZE SELECT * FROM t WHERE a = 1',
  'DESCRIBE SELECT * FROM t',
  'TABLE t',
  'SHOW DATABASES',
  'SHOW FULL TABLES FROM db LIKE \'a%\'',
  'SHOW FULL COLUMNS FROM t FROM db',
  'SHOW INDEX FROM t',
  'SHOW CREATE TABLE db.t',
  "SHOW VARIABLES LIKE 'max%'",
  'SHOW GLOBAL STATUS',
  'SHOW TABLE STATUS',
  "SHOW GRANTS FOR 'app'@'%'",
  'SHOW GRANTS FOR CURRENT_USER()',
  'DESCRIBE t',
  'DESC db.t col',
  'EXPLAIN t',
];

const REFUSED: Array<[string, string]> = [
  // several statements
  ['SELECT a FROM t; SELECT b FROM u', 'several statements'],
  ['SELECT 1; DROP TABLE t', 'several statements'],
  ['SHOW TABLES; DROP TABLE t', 'several statements'],
  ["SELECT 'a'; DELETE FROM t -- '", 'several statements'],
  // versioned and hint comments: MySQL runs their content
  ['SELECT /*! SLEEP(5) */ 1', 'versioned'],
  ['SELECT 1 /*!50000 , LOAD_FILE("/etc/passwd") */', 'versioned'],
  ['SELECT 1 /*M!100000 , SLEEP(5) */', 'versioned'],
  ['SELECT /*+ SET_VAR(sort_buffer_size = 16M) */ * FROM t', 'optimizer-hint'],
  ['/*!40101 DROP TABLE t */ SELECT 1', 'versioned'],
  // -- without a space is arithmetic to MySQL
  ['SELECT 1 --1', '"--"'],
  ['SELECT 1 --LOAD_FILE(\'/etc/passwd\')', '"--"'],
  // a comment ends at the line break, so what follows runs
  ["SELECT 1 -- harmless\rUNION SELECT LOAD_FILE('/etc/passwd')", 'LOAD_FILE'],
  // data-modifying and locking forms of SELECT
  ['SELECT a INTO @x FROM t', 'INTO'],
  ['SELECT a FROM t INTO @x', 'INTO'],
  ["SELECT a FROM t INTO OUTFILE '/tmp/x'", 'OUTFILE'],
  ["SELECT a INTO DUMPFILE '/tmp/x' FROM t", 'DUMPFILE'],
  ["SELECT * FROM t UNION SELECT a INTO OUTFILE '/tmp/x' FROM u", 'OUTFILE'],
  ['SELECT a FROM t WHERE b IN (SELECT c INTO @z FROM u)', 'INTO'],
  ['SELECT * FROM t FOR UPDATE', 'locking read'],
  ['SELECT * FROM t WHERE a = 1 FOR UPDATE SKIP LOCKED', 'locking read'],
  ['SELECT * FROM (SELECT * FROM t FOR UPDATE) x', 'locking read'],
  ['SELECT * FROM t LOCK IN SHARE MODE', 'locking read'],
  ['SELECT * FROM t FOR SHARE', 'locking read'],
  ['SELECT * FROM t WHERE EXISTS (SELECT * FROM u FOR SHARE)', 'locking read'],
  // data-modifying CTEs and subqueries
  ['WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', 'data-modifying'],
  ['SELECT * FROM (UPDATE t SET a = 1 RETURNING a) x', 'data-modifying'],
  // variables and session state
  ['SELECT @x := 1', 'assigning a variable'],
  ['SELECT (SELECT @x := a FROM t LIMIT 1)', 'assigning a variable'],
  // where the grammar takes no assignment, the gate still names it
  ['SELECT a FROM t WHERE a = (@y := 2)', 'assigning a variable'],
  ["SELECT a FROM t WHERE a = (@`y` := 2)", 'assigning a variable'],
  ['SET @x = 1', 'SET'],
  ['SET SESSION sql_mode = \'\'', 'SET'],
  ['SET GLOBAL read_only = 0', 'SET'],
  // statements that are never reads
  ['DO SLEEP(1)', 'DO'],
  ['HANDLER t OPEN', 'HANDLER'],
  ['LOCK TABLES t READ', 'LOCK TABLES'],
  ['UNLOCK TABLES', 'UNLOCK'],
  ["LOAD DATA INFILE '/etc/passwd' INTO TABLE t", 'LOAD DATA'],
  ["LOAD DATA LOCAL INFILE 'x' INTO TABLE t", 'LOAD DATA'],
  ['CALL p()', 'CALL'],
  ['START TRANSACTION', 'transaction'],
  ['BEGIN', 'transaction'],
  ['COMMIT', 'transaction'],
  ['ROLLBACK', 'transaction'],
  ['XA START \'x\'', 'transaction'],
  ["PREPARE s FROM 'DROP TABLE t'", 'prepared statements'],
  ['EXECUTE s', 'prepared statements'],
  ['FLUSH TABLES', 'administration'],
  ['KILL 42', 'administration'],
  ['SHUTDOWN', 'administration'],
  ["INSTALL PLUGIN x SONAME 'x.so'", 'administration'],
  ['OPTIMIZE TABLE t', 'maintenance'],
  ['ANALYZE TABLE t', 'ANALYZE TABLE'],
  ['USE otherdb', 'USE'],
  // dangerous functions, however written
  ['SELECT SLEEP(5)', 'SLEEP'],
  ['SELECT * FROM t WHERE SLEEP(5) = 0', 'SLEEP'],
  ['SELECT sLeEp(5)', 'SLEEP'],
  ['SELECT `sleep`(5)', 'SLEEP'],
  ['SELECT SLEEP/**/(5)', 'SLEEP'],
  ['SELECT a FROM t ORDER BY (SELECT SLEEP(5))', 'SLEEP'],
  ["SELECT BENCHMARK(100000000, MD5('a'))", 'BENCHMARK'],
  ["SELECT LOAD_FILE('/etc/passwd')", 'LOAD_FILE'],
  ["SELECT GET_LOCK('a', 10)", 'named locks'],
  ["SELECT RELEASE_LOCK('a')", 'named locks'],
  ["SELECT IS_FREE_LOCK('a')", 'named locks'],
  ["SELECT sys_exec('id')", 'operating-system'],
  ['SELECT mydb.myfunc(1)', 'not known to be free of side effects'],
  ['SELECT my_udf(a) FROM t', 'allowed_functions'],
  // SHOW and EXPLAIN only around reads
  ['SHOW TABLES WHERE SLEEP(5) = 0', 'SHOW … WHERE'],
  ["SHOW TABLES LIKE 'a' INTO @x", 'INTO'],
  ['SHOW TABLES (SLEEP(5))', 'not accepted in a SHOW'],
  ['EXPLAIN ANALYZE UPDATE t SET a = 1', 'EXPLAIN is accepted only for a read'],
  ['EXPLAIN DELETE FROM t', 'EXPLAIN is accepted only for a read'],
  ['EXPLAIN SELECT SLEEP(5)', 'SLEEP'],
  ['DESCRIBE t a b c', 'DESCRIBE takes a table name'],
  // obfuscation
  ['SELECT\u00a0SLEEP(5)', 'U+00A0'],
  ['SELECT SLE\u200bEP(5)', 'U+200B'],
  ['SELECT 1\u2028; DROP TABLE t', 'U+2028'],
  ['SELECT "a\\" , LOAD_FILE(\'/etc/passwd\') , "b" FROM t', 'ANSI_QUOTES'],
  ['SELECT `a``b` FROM t', 'quoted identifier'],
];

const CLASSIFIED: Array<[string, 'write' | 'ddl', boolean]> = [
  ['INSERT INTO t VALUES (1)', 'write', false],
  ['INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = VALUES(a)', 'write', false],
  ['INSERT INTO t SELECT * FROM u', 'write', false],
  ['REPLACE INTO t VALUES (1)', 'write', false],
  ['UPDATE t SET a = 1 WHERE id = 2', 'write', false],
  ['UPDATE t SET a = 1', 'write', true],
  ['DELETE FROM t WHERE a = 1', 'write', false],
  ['DELETE FROM t', 'write', true],
  ['DELETE t FROM t JOIN u ON t.a = u.a WHERE u.b = 1', 'write', false],
  ['WITH x AS (SELECT 1) DELETE FROM t WHERE id IN (SELECT * FROM x)', 'write', false],
  ['CREATE TABLE t (a INT DEFAULT 0, b TIMESTAMP DEFAULT CURRENT_TIMESTAMP)', 'ddl', false],
  ['CREATE VIEW v AS SELECT 1', 'ddl', false],
  ['CREATE INDEX i ON t (a)', 'ddl', false],
  ['ALTER TABLE t ADD c INT', 'ddl', false],
  ['ALTER TABLE t DROP COLUMN a', 'ddl', true],
  ['RENAME TABLE a TO b', 'ddl', false],
  ['GRANT SELECT ON t TO u', 'ddl', false],
  ['DROP TABLE IF EXISTS t', 'ddl', true],
  ['TRUNCATE TABLE t', 'ddl', true],
];

const REFUSED_IN_EVERY_MODE: Array<[string, string]> = [
  ['UPDATE t SET a = SLEEP(1) WHERE id = 1', 'SLEEP'],
  ["INSERT INTO t SELECT LOAD_FILE('/etc/passwd')", 'LOAD_FILE'],
  ['INSERT INTO t VALUES (1); DROP TABLE t', 'several statements'],
  ['DELETE FROM t /*!50000 WHERE 1 = 0 */', 'versioned'],
];

const UNPARSEABLE = [
  'SELEC 1',
  'SELECT (1',
  "SELECT 'unterminated",
  'SELECT 1 /* unterminated',
  '',
  '   ;',
  // JSON_TABLE is a table (MySQL and MariaDB answer a syntax error elsewhere), and its COLUMNS clause takes literals.
  'SELECT JSON_TABLE(\'[1]\', \'$[*]\' COLUMNS (x INT PATH \'$\')) AS jt',
  'SELECT * FROM t WHERE EXISTS (SELECT 1 FROM DUAL WHERE JSON_TABLE(\'[1]\', \'$\' COLUMNS (x INT PATH \'$\')))',
  'SELECT * FROM JSON_TABLE(\'[1]\', \'$[*]\' COLUMNS (x INT PATH CONCAT(\'$\', \'.a\'))) jt',
  'SELECT * FROM JSON_TABLE(\'[1]\', CONCAT(\'$\', \'[*]\') COLUMNS (x INT PATH \'$\')) jt',
  'SELECT * FROM JSON_TABLE(\'[1]\', \'$[*]\' COLUMNS (x INT PATH \'$\' DEFAULT t.a ON EMPTY)) jt',
  // MariaDB's VALUES alone and VALUES ROW(…) of MySQL 8 as a statement: parser gaps (docs/guard/mysql.md).
  "VALUES ('a'), ('b')",
  // `:=` assigning a column (writable environments) is no session state: the grammar's error, not a refusal.
  'UPDATE t SET a := 1',
];

describe('MySQL statement gate', () => {
  it.each(READS)('accepts the read %s', (sql) => {
    expect(mysql.classify(sql, NONE)).toEqual(READ);
  });

  it.each(REFUSED)('refuses %s', (sql, reason) => {
    const err = refusal(() => mysql.classify(sql, NONE));
    expect(err.message).toContain(reason);
    expect(err.hint).toBeTruthy();
  });

  it.each(CLASSIFIED)('classifies %s as %s', (sql, kind, isDestructive) => {
    expect(mysql.classify(sql, NONE)).toEqual({ kind, isDestructive });
  });

  it.each(REFUSED_IN_EVERY_MODE)('refuses %s whatever the mode', (sql, reason) => {
    expect(refusal(() => mysql.classify(sql, NONE)).message).toContain(reason);
  });

  it.each(UNPARSEABLE)('reports %j as invalid input', (sql) => {
    expect(() => mysql.classify(sql, NONE)).toThrow(InvalidInputError);
  });

  it('names the position and the parser message when it cannot parse', () => {
    expect(() => mysql.classify("SELECT a, 'x'\nFROM t WHERE ) = 1", NONE)).toThrow(/line 2, column 14 \(MySQL syntax\): expected .* but "\)" found/);
  });

  it('allows a user function only when the environment lists it, schema included', () => {
    expect(() => mysql.classify('SELECT my_udf(a) FROM t', NONE)).toThrow(ReadOnlyError);
    expect(mysql.classify('SELECT my_udf(a) FROM t', { allowedFunctions: ['my_udf'] })).toEqual(READ);
    expect(mysql.classify('SELECT MY_UDF(a) FROM t', { allowedFunctions: ['my_udf'] })).toEqual(READ);
    expect(() => mysql.classify('SELECT analytics.my_udf(a) FROM t', { allowedFunctions: ['my_udf'] })).toThrow(ReadOnlyError);
    expect(mysql.classify('SELECT analytics.my_udf(a) FROM t', { allowedFunctions: ['analytics.my_udf'] })).toEqual(READ);
    // A built-in name in another schema is a stored function, not the built-in.
    expect(() => mysql.classify('SELECT otherdb.concat(a) FROM t', NONE)).toThrow(ReadOnlyError);
  });

  it('keeps rewrites from hiding a call', () => {
    expect(() => mysql.classify('SELECT SUM(a) OVER (ORDER BY b RANGE BETWEEN my_udf(1) PRECEDING AND CURRENT ROW) FROM t', NONE)).toThrow(InvalidInputError);
    expect(() => mysql.classify('SELECT SUBSTRING(a FROM my_udf(2)) FROM t', NONE)).toThrow('my_udf');
    expect(() => mysql.classify('SELECT a FROM t WHERE a <=> my_udf(1)', NONE)).toThrow('my_udf');
    expect(() => mysql.classify('SELECT * FROM t USE INDEX (my_udf(1))', NONE)).toThrow(InvalidInputError);
    // WITHIN GROUP is rewritten only after PERCENTILE_CONT/DISC(…), and what it holds stays in the tree.
    expect(() => mariadb.classify('SELECT my_udf(0.5) WITHIN GROUP (ORDER BY a) OVER () FROM t', NONE)).toThrow(InvalidInputError);
    expect(() => mariadb.classify('SELECT SUM(a) WITHIN GROUP (ORDER BY a) OVER () FROM t', NONE)).toThrow(InvalidInputError);
    expect(() => mariadb.classify('SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY my_udf(a)) OVER () FROM t', NONE)).toThrow('my_udf');
    // The grammar takes no assignment there; the gate names it all the same.
    expect(() => mariadb.classify('SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY @x := a) OVER () FROM t', NONE)).toThrow('assigning a variable');
    expect(() => mariadb.classify('SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY a NULLS FIRST, SLEEP(1)) OVER () FROM t', NONE)).toThrow('SLEEP');
    // JSON_TABLE's COLUMNS clause is dropped only when it holds names, types and literals; its document stays.
    for (const columns of [
      "a INT PATH '$' DEFAULT my_udf(1) ON EMPTY", "a VARCHAR(my_udf(1)) PATH '$'", "a my_udf(1) PATH '$'", "a INT PATH '$', my_udf(1)",
      "a INT PATH my_udf('$')", "a INT PATH '$' DEFAULT (SELECT my_udf(1)) ON EMPTY", "NESTED PATH '$' COLUMNS (b INT PATH '$' DEFAULT my_udf(1) ON EMPTY)",
      "a INT PATH '$' ERROR ON my_udf(1)", "a INT PATH '$' DEFAULT - my_udf(1) ON EMPTY",
    ]) {
      expect(() => mariadb.classify(`SELECT jt.* FROM JSON_TABLE('[1]', '$' COLUMNS (${columns})) AS jt`, NONE), columns).toThrow(InvalidInputError);
    }
    expect(() => mariadb.classify("SELECT jt.* FROM JSON_TABLE(my_udf(1), '$' COLUMNS (a INT PATH '$')) AS jt", NONE)).toThrow('my_udf');
    expect(() => mariadb.classify("SELECT jt.* FROM t, JSON_TABLE((SELECT my_udf(d) FROM u), '$' COLUMNS (a INT PATH '$')) AS jt", NONE)).toThrow('my_udf');
    expect(() => mariadb.classify("SELECT jt.* FROM JSON_TABLE('[1]', '$' COLUMNS (a INT PATH '$')) AS jt WHERE my_udf(jt.a)", NONE)).toThrow('my_udf');
  });

  it('does not let allowed_functions re-allow a refused function', () => {
    expect(() => mysql.classify('SELECT SLEEP(1)', { allowedFunctions: ['sleep'] })).toThrow('SLEEP');
  });

  it('says what MySQL writes instead of another dialect\'s function or syntax, naming the flavor', () => {
    const trunc = mysql.classify.bind(mysql, "SELECT date_trunc('month', d) FROM t", NONE);
    expect(trunc).toThrow(InvalidInputError);
    expect(trunc).toThrow("MySQL has no function date_trunc(): use DATE_FORMAT(col, '%Y-%m-01') for the month");
    expect(() => mariadb.classify('SELECT getdate()', NONE)).toThrow('MariaDB has no function getdate(): use NOW() or CURRENT_TIMESTAMP');
    expect(() => mysql.classify("SELECT * FROM t WHERE a ILIKE 'x%'", NONE)).toThrow(/\(MySQL syntax\): MySQL has no ILIKE: use LIKE/);
    expect(() => mariadb.classify('SELECT [a] FROM t', NONE)).toThrow('MariaDB has no [bracket] quoting: quote names with backticks');
    // An unknown name keeps both readings: a typo, or a stored function the operator may allow.
    expect(() => mysql.classify('SELECT my_udf(a) FROM t', NONE)).toThrow(/^MySQL has no built-in function my_udf\(\) that the gate knows\. If it is defined in this database/);
  });
});

describe('MariaDB statement gate', () => {
  it.each([
    'SELECT a, SUM(a) OVER w FROM t WINDOW w AS (PARTITION BY c ORDER BY b)',
    "SELECT JSON_VALUE(d, '$.a'), JSON_QUERY(d, '$.b') FROM t",
    'ANALYZE SELECT * FROM t',
    'SHOW TABLES',
  ])('accepts the read %s', (sql) => {
    expect(mariadb.classify(sql, NONE)).toEqual(READ);
  });

  it.each([
    ['SELECT 1 /*M! , SLEEP(5) */', 'versioned'],
    ['SELECT NEXTVAL(seq)', 'sequence'],
    ['SELECT SETVAL(seq, 1)', 'sequence'],
    ['ANALYZE TABLE t', 'ANALYZE TABLE'],
  ])('refuses %s', (sql, reason) => {
    expect(refusal(() => mariadb.classify(sql, NONE)).message).toContain(reason);
  });

  // MySQL 8 has none of these functions. With OVER it rejects them as a syntax error before anything runs (OVER
  // follows only its built-in aggregates), so both flavors pass them: a mysql:// URL may point at MariaDB.
  it.each(ORDERED_SET_READS)('accepts MEDIAN / PERCENTILE_CONT / PERCENTILE_DISC as window functions: %s', (sql) => {
    expect(mariadb.classify(sql, NONE)).toEqual(READ);
    expect(mysql.classify(sql, NONE)).toEqual(READ);
  });

  it.each(ORDERED_SET_ATTACKS)('refuses what hides in an ordered-set aggregate: %s', (sql, reason) => {
    expect(refusal(() => mariadb.classify(sql, NONE)).message).toContain(reason);
    expect(refusal(() => mysql.classify(sql, NONE)).message).toContain(reason);
  });

  // MySQL 8 has JSON_TABLE too, and VALUES in a CTE (as VALUES ROW(…)): both flavors take them.
  it.each(MARIADB_TABLE_VALUE_READS)('accepts JSON_TABLE in FROM and VALUES as a query: %s', (sql) => {
    expect(mariadb.classify(sql, NONE)).toEqual(READ);
    expect(mysql.classify(sql, NONE)).toEqual(READ);
  });

  it.each(MARIADB_TABLE_VALUE_ATTACKS)('refuses what hides in JSON_TABLE or VALUES: %s', (sql, reason) => {
    expect(refusal(() => mariadb.classify(sql, NONE)).message).toContain(reason);
    expect(refusal(() => mysql.classify(sql, NONE)).message).toContain(reason);
  });

  it('accepts MySQL 8\'s VALUES ROW(…) in a CTE, and JSON_TABLE as a table function only', () => {
    expect(mysql.classify("WITH t(code) AS (VALUES ROW('a'), ROW('b')) SELECT code FROM t", NONE)).toEqual(READ);
    expect(mysql.classify("SELECT jt.a FROM t, JSON_TABLE(t.doc, '$[*]' COLUMNS (a INT PATH '$.a')) AS jt", { allowedFunctions: ['json_table'] })).toEqual(READ);
    expect(invalidInput(() => mariadb.classify("SELECT JSON_TABLE('[1]', '$' COLUMNS (a INT PATH '$'))", NONE)).message).toContain('JSON_TABLE(…) is a table');
  });

  it('takes MEDIAN without OVER only as a schema-qualified stored function the environment allows', () => {
    expect(() => mysql.classify('SELECT median(a) FROM t', { allowedFunctions: ['median'] })).toThrow('only as a window function');
    expect(mysql.classify('SELECT analytics.median(a) FROM t', { allowedFunctions: ['analytics.median'] })).toEqual(READ);
  });
});

describe('MariaDB grammar gaps', () => {
  it('reads unqualified columns that the MariaDB grammar takes for keywords (status, session, global)', async () => {
    const mariadb = await createMysqlRules({ flavor: 'mariadb' });
    for (const sql of [
      "SELECT status, COUNT(*) FROM orders WHERE status = 'completed' GROUP BY status ORDER BY status",
      "SELECT c.id FROM customers c WHERE c.id NOT IN (SELECT customer_id FROM orders WHERE status = 'disputed')",
      'SELECT session, global FROM t',
    ]) {
      expect(mariadb.classify(sql, { allowedFunctions: [] }), sql).toEqual({ kind: 'read', isDestructive: false });
    }
    expect(() => mariadb.classify("SELECT status FROM orders INTO OUTFILE '/tmp/x'", { allowedFunctions: [] })).toThrow();
    expect(() => mariadb.classify('SELECT LOAD_FILE(status) FROM orders', { allowedFunctions: [] })).toThrow();
  });
});
