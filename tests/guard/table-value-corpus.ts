/**
 * Table-valued reads the parsers lack, which the gate now takes through a rewrite and a restore step: MariaDB's
 * JSON_TABLE (rules/mysql-json-table.ts) and VALUES as a query (MariaDB's grammar has it; SQLite's through
 * rules/sqlite-values.ts). Reads over the shared fixture plus EXTRA tables, with exactly the rows they return, and
 * the nearest attacks, which must stay refused with the reason. Used by mysql-rules.test.ts and sqlite-rules.test.ts
 * (the gate alone) and table-value-reads.test.ts (the gate and the real server, through execute_sql).
 */

/** A statement and exactly the rows execute_sql returns for it. */
export type RowsRead = readonly [sql: string, rows: unknown[][]];

/** Beside the shared fixture: JSON documents to read with JSON_TABLE. */
export const MARIADB_EXTRA: readonly string[] = [
  'CREATE TABLE events (id INT NOT NULL PRIMARY KEY, doc JSON NOT NULL)',
  `INSERT INTO events VALUES
     (1, '{"items": [{"sku": "a", "qty": 1, "tags": ["x", "y"]}, {"sku": "b", "qty": 2, "tags": []}]}'),
     (2, '{"items": [{"sku": "a", "qty": 5}]}')`,
];

export const MARIADB_TABLE_VALUE_READS: readonly RowsRead[] = [
  // JSON_TABLE over a literal, over a column of a table (implicitly lateral), joined, with every kind of column
  [`SELECT jt.* FROM JSON_TABLE('[{"a":1},{"a":2}]', '$[*]' COLUMNS (a INT PATH '$.a')) AS jt`, [[1], [2]]],
  ["SELECT e.id, jt.sku, jt.qty FROM events e, JSON_TABLE(e.doc, '$.items[*]' COLUMNS (sku VARCHAR(10) PATH '$.sku', qty INT PATH '$.qty')) AS jt ORDER BY e.id, jt.sku",
    [[1, 'a', 1], [1, 'b', 2], [2, 'a', 5]]],
  ["SELECT e.id, jt.n, jt.sku, jt.tag FROM events e, JSON_TABLE(e.doc, '$.items[*]' COLUMNS (n FOR ORDINALITY, sku VARCHAR(10) PATH '$.sku', NESTED PATH '$.tags[*]' COLUMNS (tag VARCHAR(10) PATH '$'))) AS jt ORDER BY e.id, jt.n, jt.tag",
    [[1, 1, 'a', 'x'], [1, 1, 'a', 'y'], [1, 2, 'b', null], [2, 1, 'a', null]]],
  [`SELECT jt.* FROM JSON_TABLE('[{"a":1},{"b":2}]', '$[*]' COLUMNS (a INT PATH '$.a' DEFAULT '0' ON EMPTY NULL ON ERROR, has_b INT EXISTS PATH '$.b', \`note text\` VARCHAR(20) CHARACTER SET utf8mb4 PATH '$.c' DEFAULT 'none' ON EMPTY)) jt`,
    [[1, 0, 'none'], [0, 1, 'none']]],
  ["SELECT jt.sku, SUM(jt.qty) AS q FROM events e JOIN JSON_TABLE(e.doc, '$.items[*]' COLUMNS (sku VARCHAR(10) PATH '$.sku', qty INT PATH '$.qty')) AS jt ON TRUE GROUP BY jt.sku ORDER BY jt.sku",
    [['a', '6'], ['b', '2']]],
  ["SELECT o.id, jt.n FROM (orders o JOIN customers c ON c.id = o.customer_id) JOIN JSON_TABLE('[10]', '$[*]' COLUMNS (n INT PATH '$')) jt ON TRUE WHERE c.state = 'NY'",
    [[3, 10]]],
  ["WITH skus AS (SELECT DISTINCT jt.sku FROM events e CROSS JOIN JSON_TABLE(e.doc, '$.items[*]' COLUMNS (sku VARCHAR(10) PATH '$.sku')) jt) SELECT COUNT(*) FROM skus",
    [[2]]],
  ["SELECT c.name FROM customers c WHERE c.id IN (SELECT jt.id FROM JSON_TABLE('[1, 3]', '$[*]' COLUMNS (id INT PATH '$')) AS jt) ORDER BY c.id",
    [['Alice Adams'], ['Carla Chen']]],
  // VALUES as a query: in a CTE (one column, several, joined to a table), in FROM, with expressions
  ["WITH t(code) AS (VALUES ('a'), ('b')) SELECT code FROM t", [['a'], ['b']]],
  ["WITH t(code, n) AS (VALUES ('a', 1), ('b', 2)) SELECT code, n FROM t ORDER BY n DESC", [['b', 2], ['a', 1]]],
  ["WITH s(code, label) AS (VALUES ('completed', 'Done'), ('pending', 'Waiting')) SELECT o.id, s.label FROM orders o JOIN s ON s.code = o.status ORDER BY o.id",
    [[1, 'Done'], [2, 'Done'], [4, 'Done'], [5, 'Waiting']]],
  ["SELECT v.* FROM (VALUES (1, 'x'), (2, 'y')) AS v", [[1, 'x'], [2, 'y']]],
  ['WITH t(n, m) AS (VALUES (2, 1 + 1), (3, (SELECT MAX(id) FROM customers))) SELECT n, m FROM t', [[2, 2], [3, 4]]],
];

/** [statement, part of the refusal]: a side effect, a lock, a write or a variable hidden in JSON_TABLE or VALUES. */
export const MARIADB_TABLE_VALUE_ATTACKS: ReadonlyArray<readonly [string, string]> = [
  ["SELECT jt.* FROM JSON_TABLE(LOAD_FILE('/etc/passwd'), '$[*]' COLUMNS (a INT PATH '$')) AS jt", 'LOAD_FILE'],
  ["SELECT jt.* FROM JSON_TABLE(BENCHMARK(1e9, MD5('x')), '$' COLUMNS (a INT PATH '$')) jt", 'BENCHMARK() is refused'],
  ["SELECT jt.* FROM JSON_TABLE((SELECT doc FROM events LIMIT 1 FOR UPDATE), '$.items[*]' COLUMNS (sku VARCHAR(10) PATH '$.sku')) AS jt", 'locking read'],
  ["SELECT jt.* FROM JSON_TABLE((UPDATE orders SET total = 0 RETURNING total), '$' COLUMNS (a INT PATH '$')) jt", 'data-modifying'],
  // the COLUMNS clause takes literals only: a call, a subquery or an assignment in it is not rewritten
  ["SELECT jt.* FROM JSON_TABLE('[1]', '$[*]' COLUMNS (a INT PATH '$' DEFAULT SLEEP(5) ON EMPTY)) AS jt", 'SLEEP() is refused'],
  ["SELECT jt.* FROM JSON_TABLE('[1]', '$[*]' COLUMNS (a INT PATH '$' DEFAULT (SELECT GET_LOCK('x', 10)) ON EMPTY)) AS jt", 'named locks'],
  ["SELECT jt.* FROM JSON_TABLE('[1]', '$[*]' COLUMNS (a INT PATH '$' DEFAULT @x := 1 ON EMPTY)) AS jt", 'assigning a variable'],
  ["SELECT jt.* FROM JSON_TABLE('[1]', '$[*]' COLUMNS (a SLEEP(5) PATH '$')) AS jt", 'SLEEP() is refused'],
  ["SELECT jt.* FROM JSON_TABLE('[1]', '$[*]' COLUMNS (a INT PATH '$' /*! , b INT PATH SLEEP(5) */)) AS jt", 'versioned'],
  ["SELECT jt.* FROM JSON_TABLE('[1]', '$[*]' COLUMNS (a INT PATH '$')) AS jt INTO OUTFILE '/tmp/sqlgate-attack-jt.csv'", 'OUTFILE'],
  ["SELECT jt.* FROM JSON_TABLE('[1]', '$[*]' COLUMNS (a INT PATH '$')) AS jt; DELETE FROM orders", 'several statements'],
  ["SELECT jt.* FROM JSON_TABLE(my_udf(1), '$' COLUMNS (a INT PATH '$')) jt", 'allowed_functions'],
  // the rewrite's marker cannot be written by hand
  ["SELECT jt.* FROM orders o, (SELECT `json_table0\"`(o.id, '$')) AS jt", 'quoted identifier'],
  // VALUES rows are expressions like any other
  ["WITH t(code) AS (VALUES (@x := 'a'), ('b')) SELECT code FROM t", 'assigning a variable'],
  ["SELECT v.* FROM (VALUES (1), (@x := 2)) AS v", 'assigning a variable'],
  ['WITH t(c) AS (VALUES (SLEEP(5))) SELECT c FROM t', 'SLEEP() is refused'],
  ["SELECT * FROM (VALUES (LOAD_FILE('/etc/passwd'))) AS v", 'LOAD_FILE'],
  ["WITH t(c) AS (VALUES ((SELECT GET_LOCK('x', 10)))) SELECT c FROM t", 'named locks'],
  ['WITH t(c) AS (VALUES ((SELECT id FROM customers LIMIT 1 FOR UPDATE))) SELECT c FROM t', 'locking read'],
  ['WITH t(c) AS (VALUES ((SELECT name INTO @v FROM customers LIMIT 1))) SELECT c FROM t', 'INTO'],
  ['WITH t(c) AS (VALUES ((DELETE FROM orders RETURNING id))) SELECT c FROM t', 'data-modifying'],
  ["WITH t(c) AS (VALUES (1)) SELECT c FROM t INTO OUTFILE '/tmp/sqlgate-attack-values.csv'", 'OUTFILE'],
];

export const SQLITE_TABLE_VALUE_READS: readonly RowsRead[] = [
  ['WITH t(x) AS (VALUES (1), (2)) SELECT x FROM t', [[1], [2]]],
  ["WITH t(x, label) AS (VALUES (1, 'one'), (2, 'two')) SELECT x, label FROM t ORDER BY x DESC", [[2, 'two'], [1, 'one']]],
  ["WITH s(code, label) AS (VALUES ('completed', 'Done'), ('pending', 'Waiting')) SELECT o.id, s.label FROM orders o JOIN s ON s.code = o.status ORDER BY o.id",
    [[1, 'Done'], [2, 'Done'], [4, 'Done'], [5, 'Waiting']]],
  ["SELECT * FROM (VALUES (1, 'a'), (2, 'b'))", [[1, 'a'], [2, 'b']]],
  ["VALUES (1, 'a'), (2, 'b')", [[1, 'a'], [2, 'b']]],
  ['SELECT name FROM customers WHERE id IN (VALUES (1), (3)) ORDER BY id', [['Alice Adams'], ['Carla Chen']]],
  ["WITH t(n, m) AS (VALUES (1 + 1, (SELECT max(id) FROM customers)), (abs(-3), length('abcd'))) SELECT n, m FROM t", [[2, 4], [3, 4]]],
];

/** [statement, part of the refusal]. */
export const SQLITE_TABLE_VALUE_ATTACKS: ReadonlyArray<readonly [string, string]> = [
  ["WITH t(x) AS (VALUES (load_extension('/tmp/sqlgate-evil'))) SELECT x FROM t", 'load_extension'],
  ["WITH t(x) AS (VALUES (readfile('/etc/passwd'))) SELECT x FROM t", 'readfile'],
  ["SELECT * FROM (VALUES (writefile('/tmp/sqlgate-attack-values', 'x')))", 'writefile'],
  ["VALUES (1), (fts3_tokenizer('simple'))", 'fts3_tokenizer'],
  ['WITH t(x) AS (VALUES ((DELETE FROM orders RETURNING id))) SELECT x FROM t', 'data-modifying'],
  ['WITH t(x) AS (VALUES (1)), d AS (DELETE FROM orders RETURNING id) SELECT x FROM t', 'data-modifying'],
  ['VALUES (1); DELETE FROM orders', 'several statements'],
  // the rewrite's marker cannot be written by hand
  ['SELECT `values"`, 1', 'quoted identifier'],
];
