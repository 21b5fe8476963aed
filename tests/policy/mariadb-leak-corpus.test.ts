/**
 * The table/column policy on a real MariaDB: execute_sql on the shop (tests/support/policy-harness.ts) as callers
 * with and without the hr role. Every leak attempt must be held — refused, or answered with no canary — and the ones
 * the policy is there to refuse must be refused by it (SG_POLICY_DENIED); the few the statement gate or the grammar
 * stops first say so. Legitimate statements must run and return exactly the expected rows, masked where the policy
 * masks. In MariaDB a schema is a database: `hr.*` is covered by a second database, denied the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CANARIES, expectAllowed, expectHeld, LEAK_MARKERS, openPolicyShop, SHOP_POLICY, type PolicyShop, type ShopOutcome,
} from '../support/policy-harness.js';
import { createTestDatabase, MYSQL_ADMIN_URL, withMysql, type TestDatabase } from '../support/test-databases.js';

const SHOP = [
  `CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(255), phone VARCHAR(40), ssn VARCHAR(40), region VARCHAR(20))`,
  `INSERT INTO customers VALUES (1, 'Alice', '${CANARIES.email[0]}', '${CANARIES.phone[0]}', '${CANARIES.ssn[0]}', 'west'),
     (2, 'Bob', '${CANARIES.email[1]}', '${CANARIES.phone[1]}', '${CANARIES.ssn[1]}', 'east')`,
  `CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, total DECIMAL(10,2) NOT NULL, status VARCHAR(20) NOT NULL, created_at DATETIME NOT NULL)`,
  `INSERT INTO orders VALUES (10, 1, 120.50, 'paid', '2024-05-01 10:00:00'), (11, 1, 80.00, 'open', '2024-05-02 11:00:00'), (12, 2, 15.25, 'paid', '2024-06-01 09:30:00')`,
  `CREATE TABLE payroll (id INT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(12,2) NOT NULL, note VARCHAR(100))`,
  `INSERT INTO payroll VALUES (1, 1, ${CANARIES.payroll[1]}, '${CANARIES.payroll[0]}')`,
  `CREATE TABLE users (id INT PRIMARY KEY, login VARCHAR(50) NOT NULL, password_hash VARCHAR(100) NOT NULL)`,
  `INSERT INTO users VALUES (1, 'alice', '${CANARIES.passwordHash[0]}')`,
  'CREATE VIEW v_ssn AS SELECT id, ssn FROM customers',
  'CREATE VIEW v_orders AS SELECT id, customer_id, total, status FROM orders',
  'CREATE VIEW v_pay AS SELECT id, amount, note FROM payroll',
  'CREATE VIEW v_pay2 AS SELECT id, amount, note FROM v_pay',
];
const HR_DATABASE = ['CREATE TABLE notes (id INT PRIMARY KEY, note VARCHAR(100))', `INSERT INTO notes VALUES (1, '${CANARIES.hr[0]}')`];

/** SHOP_POLICY, with the hr database's name standing in for the schema hr. */
function shopPolicy(hr: string): object {
  return {
    ...SHOP_POLICY,
    deny: [...SHOP_POLICY.deny, `${hr}.*`],
    roles: { hr: { ...SHOP_POLICY.roles.hr, allow: [...SHOP_POLICY.roles.hr.allow, `${hr}.*`] } },
  };
}

/** A canary in a value the database returned encoded (hex, base64) — the harness only reads text as it is. */
function encodedLeaks(outcome: ShopOutcome): string[] {
  if (!outcome.ok) return [];
  const decoded = JSON.stringify(outcome.structured.rows).match(/[A-Za-z0-9+/=]{8,}/g)?.flatMap((text) => [
    ...(/^(?:[0-9A-Fa-f]{2})+$/.test(text) ? [Buffer.from(text, 'hex').toString('latin1')] : []),
    ...(text.length % 4 === 0 ? [Buffer.from(text, 'base64').toString('latin1')] : []),
  ]) ?? [];
  return LEAK_MARKERS.filter((marker) => decoded.some((text) => text.includes(marker)));
}

/**
 * Who holds it: the policy (SG_POLICY_DENIED), the statement gate (SG_READ_ONLY), the grammar (SG_INVALID_INPUT),
 * or nobody needs to: `runs` statements run and show nothing secret (masked, or no secret at all).
 */
type Holder = 'policy' | 'gate' | 'grammar' | 'runs';
const CODES: Record<Exclude<Holder, 'runs'>, string> = { policy: 'SG_POLICY_DENIED', gate: 'SG_READ_ONLY', grammar: 'SG_INVALID_INPUT' };
/** `{db}` stands for the shop's database, `{hr}` for the hr one. */
type Case = [sql: string, holder?: Holder];

const LEAKS: Case[] = [
  // direct, aliased, quoted, odd case, db-qualified
  ['SELECT ssn FROM customers'], ['SELECT note FROM payroll'], ['SELECT amount FROM payroll WHERE id = 1'], ['SELECT COUNT(*) FROM payroll'],
  ['SELECT password_hash FROM users'], ['SELECT login, password_hash FROM users'], ['SELECT c.ssn FROM customers c'], ['SELECT c.ssn AS s FROM customers AS c'],
  ['SELECT p.note FROM payroll AS p'], ['SELECT x.password_hash FROM users x'], ['SELECT `ssn` FROM `customers`'], ['SELECT `SSN` FROM customers'],
  ['SELECT SsN FROM customers'], ['SELECT c.`Ssn` FROM customers c'], ['SELECT `note` FROM `payroll`'], ['SELECT Password_Hash FROM users'],
  ['SELECT `c`.`ssn` FROM `customers` AS `c`'], ['SELECT ssn FROM CUSTOMERS'], ['SELECT ssn FROM {db}.customers'], ['SELECT {db}.customers.ssn FROM {db}.customers'],
  ['SELECT `{db}`.`payroll`.`note` FROM `{db}`.`payroll`'], ['SELECT note FROM {hr}.notes'], ['SELECT COUNT(*) FROM {hr}.notes'],
  ['SELECT n.note FROM {hr}.notes n JOIN orders o ON o.id = n.id'],
  // subqueries
  ['SELECT (SELECT ssn FROM customers WHERE id = 1)'], ['SELECT name, (SELECT note FROM payroll p WHERE p.customer_id = c.id) FROM customers c'],
  ['SELECT name FROM customers c WHERE EXISTS (SELECT 1 FROM payroll p WHERE p.customer_id = c.id)'],
  ['SELECT name FROM customers WHERE id IN (SELECT customer_id FROM payroll)'],
  // The MySQL grammar knows no `= ANY (subquery)`: it reads ANY as a function the gate does not know.
  ['SELECT name FROM customers WHERE id = ANY (SELECT customer_id FROM payroll WHERE amount > 1000)', 'gate'],
  ["SELECT name FROM customers c WHERE EXISTS (SELECT 1 FROM dual WHERE c.email LIKE 'zq-a%')"], ["SELECT name FROM customers WHERE (SELECT email) LIKE 'zq%'"],
  ['SELECT (SELECT email FROM customers LIMIT 1) AS e'], ["SELECT id FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE ssn LIKE 'SSN%')"],
  ['SELECT c.name FROM customers c WHERE c.id IN (SELECT o.customer_id FROM orders o WHERE o.status = c.email)'],
  ['SELECT name, (SELECT MAX(c2.email) FROM customers c2 WHERE c2.id = c.id) FROM customers c'],
  // CTEs, recursive ones too, and derived tables
  ['WITH s AS (SELECT ssn FROM customers) SELECT * FROM s'], ["WITH s AS (SELECT id, ssn AS x FROM customers) SELECT id FROM s WHERE x LIKE 'SSN-7f3a-1%'"],
  ["WITH e(n, m) AS (SELECT name, email FROM customers) SELECT n FROM e WHERE m LIKE 'zq-a%'"], ['WITH e AS (SELECT email FROM customers) SELECT UPPER(email) FROM e'],
  ['WITH RECURSIVE r(n, s) AS (SELECT 1, CAST(ssn AS CHAR(50)) FROM customers WHERE id = 1 UNION ALL SELECT n + 1, s FROM r WHERE n < 2) SELECT * FROM r'],
  ['WITH RECURSIVE r(i, e) AS (SELECT 1, email FROM customers WHERE id = 1 UNION ALL SELECT i + 1, SUBSTRING(e, 2) FROM r WHERE i < 3) SELECT i, e FROM r'],
  // The recursive part feeds a masked value back into the CTE: from the second round on, UPPER(r.a) computes on email.
  ["WITH RECURSIVE r(a, b, n) AS (SELECT 'x', CAST('y' AS CHAR(100)), 0 UNION ALL SELECT c.email, UPPER(r.a), r.n + 1 FROM r, customers c WHERE r.n < 2 AND c.id = 1) SELECT b FROM r"],
  ['WITH a AS (SELECT note FROM payroll) SELECT 1 FROM a'], ['SELECT t.s FROM (SELECT ssn AS s FROM customers) t'],
  ["SELECT t.e FROM (SELECT email AS e FROM customers) t WHERE t.e LIKE 'zq-a%'"], ['SELECT UPPER(t.e) FROM (SELECT email AS e FROM customers) AS t'],
  ['SELECT * FROM (SELECT * FROM customers) t'], ['SELECT t.* FROM (SELECT id, note FROM payroll) t'],
  ["SELECT e FROM (SELECT email AS e FROM customers UNION ALL SELECT 'x') t ORDER BY e"],
  // A derived table named like another table still carries the masked column: masked, not leaked.
  ['SELECT orders.status FROM (SELECT email AS status FROM customers) AS orders', 'runs'], ['SELECT payroll.email FROM customers AS payroll', 'runs'],
  // joins: ON, USING, NATURAL, STRAIGHT_JOIN, CROSS, self-joins, parenthesised joins
  ["SELECT o.id FROM orders o JOIN customers c ON c.email LIKE 'zq-a%' AND c.id = o.customer_id"], ['SELECT o.id, p.note FROM orders o JOIN payroll p ON p.customer_id = o.customer_id'],
  ['SELECT o.id FROM orders o LEFT JOIN users u ON u.password_hash = o.status'], ["SELECT c.name FROM customers c JOIN (SELECT 'zq-alice-local@corp-a.test' AS email) g USING (email)"],
  ['SELECT c.name FROM customers c NATURAL JOIN orders o'], ["SELECT c.name FROM customers c NATURAL LEFT JOIN (SELECT 1 AS id, 'x' AS ssn) g"],
  ['SELECT c.name FROM customers c STRAIGHT_JOIN payroll p ON p.customer_id = c.id'], ['SELECT STRAIGHT_JOIN c.ssn FROM customers c'],
  ["SELECT c.name FROM customers c CROSS JOIN users u WHERE u.password_hash LIKE '$argon%'"], ['SELECT a.name FROM customers a JOIN customers b ON a.email = b.email'],
  ['SELECT name FROM (customers c JOIN payroll p ON p.customer_id = c.id)'], ['SELECT name FROM customers c LEFT JOIN v_pay vp ON vp.id = c.id'],
  // * and t.*
  ['SELECT * FROM customers'], ['SELECT * FROM payroll'], ['SELECT * FROM users'], ['SELECT c.* FROM customers c'],
  ['SELECT o.*, c.* FROM orders o JOIN customers c ON c.id = o.customer_id'], ['SELECT * FROM orders, customers'], ['SELECT `customers`.* FROM customers'],
  ['SELECT {db}.customers.* FROM {db}.customers'], ['TABLE customers'],
  // functions over denied and masked columns
  ['SELECT UPPER(email) FROM customers'], ['SELECT SUBSTRING(email, 1, 14) FROM customers'], ['SELECT LEFT(phone, 11) FROM customers'], ['SELECT LENGTH(email) FROM customers'],
  ['SELECT MD5(ssn) FROM customers'], ['SELECT HEX(email) FROM customers'], ["SELECT CONCAT(name, ':', email) FROM customers"], ['SELECT GROUP_CONCAT(email) FROM customers'],
  ['SELECT GROUP_CONCAT(name ORDER BY email) FROM customers'], ["SELECT JSON_OBJECT('e', email) FROM customers"], ['SELECT JSON_ARRAYAGG(phone) FROM customers'],
  ['SELECT JSON_OBJECTAGG(name, email) FROM customers'], ['SELECT CAST(email AS CHAR(100)) FROM customers'], ['SELECT CONVERT(email, CHAR) FROM customers'],
  ['SELECT CONVERT(email USING utf8mb4) FROM customers'], ['SELECT REVERSE(phone) FROM customers'], ['SELECT MAX(email) FROM customers'], ["SELECT COALESCE(email, '') FROM customers"],
  ['SELECT email COLLATE utf8mb4_bin FROM customers'], ['SELECT TO_BASE64(ssn) FROM customers'], ["SELECT IFNULL(ssn, 'x') FROM customers"], ['SELECT ASCII(email) FROM customers'],
  ['SELECT ORD(SUBSTR(ssn, 5, 1)) FROM customers'], ["SELECT SUBSTRING_INDEX(email, '@', -1) FROM customers"], ["SELECT JSON_VALUE(JSON_OBJECT('e', email), '$.e') FROM customers"], ['SELECT CHAR_LENGTH(phone) FROM customers'], ['SELECT name, SUM(LENGTH(email)) FROM customers GROUP BY name'],
  // The grammar reads `BINARY email` as a column "BINARY" named email; the server returns email's bytes.
  ['SELECT BINARY email FROM customers'], ['SELECT id, BINARY phone FROM customers'], ['SELECT id, BINARY phone AS p FROM customers', 'grammar'],
  // predicates on masked columns
  ["SELECT name FROM customers WHERE email LIKE 'zq-a%'"], ["SELECT name FROM customers WHERE email = 'zq-alice-local@corp-a.test'"], ["SELECT name FROM customers WHERE email REGEXP '^zq-a'"],
  ["SELECT name FROM customers WHERE phone RLIKE '7301'"], ["SELECT name FROM customers WHERE email IN ('a', 'zq-alice-local@corp-a.test')"],
  ["SELECT name FROM customers WHERE phone BETWEEN '+1-555-7301' AND '+1-555-7302'"], ["SELECT name FROM customers WHERE email SOUNDS LIKE 'zq'"],
  ["SELECT name, CASE WHEN email LIKE 'zq-a%' THEN 1 ELSE 0 END FROM customers"], ['SELECT name FROM customers WHERE ssn IS NOT NULL'], ['SELECT name FROM customers WHERE email IS NULL'],
  ["SELECT name FROM customers WHERE MATCH(email) AGAINST ('zq')"], ["SELECT name FROM customers WHERE email > 'zq-b'"], ["SELECT name FROM customers WHERE INSTR(email, 'alice') > 0"],
  ["SELECT IF(phone LIKE '%7301%', 'y', 'n') FROM customers"], ["SELECT name FROM customers c WHERE ROW(c.id, c.email) = ROW(1, 'x')"], ["SELECT name FROM customers WHERE (id, email) = (1, 'zq-alice-local@corp-a.test')"],
  ["SELECT name FROM customers WHERE email LIKE BINARY 'zq%'"], ["SELECT name FROM customers WHERE {db}.customers.email LIKE 'zq%'"], ["SELECT SUM(id) FROM customers WHERE LOCATE('7301', phone)"],
  // ORDER BY (name, alias, position), GROUP BY / HAVING (aliases too), DISTINCT
  ['SELECT name FROM customers ORDER BY email'], ['SELECT name, email FROM customers ORDER BY 2'], ['SELECT name, email AS e FROM customers ORDER BY e'],
  ['SELECT email AS name FROM customers ORDER BY name'], ['SELECT name FROM customers ORDER BY ssn'], ['SELECT name FROM customers ORDER BY SUBSTRING(email, 3, 1)'],
  ['SELECT name FROM customers c ORDER BY c.phone DESC'], ['SELECT name, email FROM customers c WHERE c.id = 1 ORDER BY (SELECT email FROM customers LIMIT 1)'],
  ['SELECT email, COUNT(*) FROM customers GROUP BY email'], ['SELECT email AS e, COUNT(*) FROM customers GROUP BY e'], ['SELECT email, COUNT(*) FROM customers GROUP BY 1'],
  ["SELECT region, COUNT(*) FROM customers GROUP BY region HAVING MAX(email) LIKE 'zq-a%'"], ["SELECT email AS e FROM customers HAVING e LIKE 'zq-a%'"],
  ['SELECT region FROM customers GROUP BY region, ssn'], ['SELECT phone AS p, COUNT(*) FROM customers GROUP BY p WITH ROLLUP'], ["SELECT 1 FROM customers HAVING email LIKE 'z%'"],
  ['SELECT email, name FROM customers GROUP BY name, email'], ["SELECT name AS email, COUNT(*) FROM customers GROUP BY name HAVING email > 'a'"], ['SELECT DISTINCT email FROM customers'], ['SELECT DISTINCT region, phone FROM customers'], ['SELECT COUNT(DISTINCT email) FROM customers'],
  // window functions
  ['SELECT name, ROW_NUMBER() OVER (ORDER BY email) FROM customers'], ['SELECT name, RANK() OVER (PARTITION BY phone ORDER BY id) FROM customers'],
  ['SELECT name, LAG(email) OVER (ORDER BY id) FROM customers'], ['SELECT name, FIRST_VALUE(phone) OVER (PARTITION BY region) FROM customers'],
  ['SELECT name, COUNT(*) OVER (PARTITION BY ssn) FROM customers'], ['SELECT name, MEDIAN(LENGTH(email)) OVER () FROM customers'],
  ['SELECT ROW_NUMBER() OVER w FROM customers WINDOW w AS (ORDER BY email)'],
  // set operations
  ["SELECT email FROM customers UNION SELECT 'x'"], ["SELECT email FROM customers INTERSECT SELECT 'zq-alice-local@corp-a.test'"], ["SELECT email FROM customers EXCEPT SELECT 'x'"],
  ['SELECT name FROM customers UNION ALL SELECT ssn FROM customers'], ['SELECT id, login FROM users UNION ALL SELECT id, password_hash FROM users'],
  ["SELECT email FROM customers UNION ALL SELECT 'x' ORDER BY 1"], ['SELECT name FROM customers UNION SELECT note FROM payroll'],
  ["(SELECT email AS e FROM customers) UNION ALL (SELECT 'x') ORDER BY e"], ['SELECT email FROM customers UNION DISTINCT SELECT email FROM customers'],
  ['SELECT email FROM customers WHERE id = 1 UNION ALL SELECT name FROM customers ORDER BY email'],
  // user variables and SELECT … INTO: the gate
  ['SELECT @x := email FROM customers', 'gate'], ['SELECT @x := ssn FROM customers', 'gate'], ['SET @x = (SELECT ssn FROM customers LIMIT 1)', 'gate'],
  ['SELECT name FROM customers WHERE (@x := email) IS NOT NULL', 'gate'], ['SELECT email FROM customers INTO @x', 'gate'], ['SELECT ssn INTO @s FROM customers LIMIT 1', 'gate'],
  ["SELECT email FROM customers INTO OUTFILE '/tmp/sqlgate-leak'", 'gate'], ["SELECT ssn FROM customers INTO DUMPFILE '/tmp/sqlgate-leak'", 'gate'],
  // statistics, views over restricted tables
  ['SELECT * FROM mysql.column_stats'], ["SELECT min_value, max_value FROM mysql.column_stats WHERE column_name = 'ssn'"], ['SELECT histogram FROM mysql.column_stats'],
  ['SELECT * FROM information_schema.COLUMN_STATISTICS'], ['SELECT * FROM v_ssn'], ['SELECT id FROM v_ssn'], ['SELECT note FROM v_pay'], ['SELECT id FROM v_pay2'],
  ['SELECT v.ssn FROM v_ssn v JOIN orders o ON o.customer_id = v.id'], ['SELECT COUNT(*) FROM {db}.v_pay2'],
  // error tricks: conversions and XML functions that put the value into an error or a warning
  ['SELECT email + 0 FROM customers'], ['SELECT CAST(email AS SIGNED) FROM customers'], ['SELECT ssn * 1 FROM customers'], ['SELECT 1 FROM customers WHERE email = 1'],
  ["SELECT JSON_EXTRACT(email, '$') FROM customers"], ['SELECT EXP(~(SELECT * FROM (SELECT ssn FROM customers LIMIT 1) x))'],
  ['SELECT EXTRACTVALUE(1, CONCAT(0x7e, ssn)) FROM customers', 'gate'], ["SELECT UPDATEXML(1, CONCAT('~', email), 1) FROM customers", 'gate'],
  // EXPLAIN / ANALYZE of a leak; SHOW and DESCRIBE are opaque
  ['EXPLAIN SELECT ssn FROM customers'], ["EXPLAIN SELECT name FROM customers WHERE email LIKE 'zq%'"], ['EXPLAIN FORMAT=JSON SELECT note FROM payroll'],
  ['EXPLAIN EXTENDED SELECT ssn FROM customers'], ["ANALYZE SELECT name FROM customers WHERE email LIKE 'zq-a%'"], ['DESCRIBE customers'], ['DESC payroll'],
  ['EXPLAIN customers'], ['SHOW COLUMNS FROM payroll'], ['SHOW CREATE VIEW v_ssn'], ['SHOW CREATE TABLE payroll'], ['SHOW INDEX FROM customers'], ['SHOW TABLE STATUS'],
  // comments, executable comments, odd spacing
  ['SELECT /*! ssn, */ name FROM customers', 'gate'], ['SELECT /*!50000 ssn */ FROM customers', 'gate'], ['SELECT /*M! ssn, */ name FROM customers', 'gate'],
  ['SELECT /*+ BKA(c) */ ssn FROM customers c', 'gate'], ['SELECT name--1\n, ssn FROM customers', 'gate'], ['SELECT name /* , ssn */, ssn FROM customers'],
  ['SELECT name, -- x\n ssn FROM customers'], ['SELECT name # x\n, ssn FROM customers'], ['SELECT\tssn\nFROM\tcustomers'], ['SELECT(ssn)FROM(customers)'],
  ['SELECT   c . ssn   FROM   customers   c'], ['SELECT`ssn`FROM`customers`'],
  // MariaDB reads "…" as a string (the session never runs with ANSI_QUOTES): the column's name comes back, not its values.
  ['SELECT "ssn" FROM customers', 'runs'],
  // JSON_TABLE reads its document as a value, and VALUES its rows: neither may be a denied or masked column
  ["SELECT jt.s FROM customers c, JSON_TABLE(JSON_ARRAY(c.ssn), '$[*]' COLUMNS (s VARCHAR(40) PATH '$')) AS jt"],
  ["SELECT jt.e FROM customers c, JSON_TABLE(JSON_OBJECT('e', c.email), '$' COLUMNS (e VARCHAR(255) PATH '$.e')) AS jt"],
  ["SELECT jt.* FROM payroll p JOIN JSON_TABLE(JSON_ARRAY(p.note), '$[*]' COLUMNS (n VARCHAR(100) PATH '$')) jt ON TRUE"],
  ["SELECT c.name FROM customers c, JSON_TABLE('[1]', '$[*]' COLUMNS (n INT PATH '$')) AS jt WHERE c.email LIKE 'zq-a%'"],
  // a * of JSON_TABLE beside a masked column: the policy does not count a table function's columns, so it cannot place the mask
  ["SELECT jt.*, c.email FROM customers c, JSON_TABLE('[1]', '$[*]' COLUMNS (n INT PATH '$')) AS jt"],
  ['WITH v(e) AS (VALUES ((SELECT email FROM customers WHERE id = 1))) SELECT e FROM v'], ['SELECT v.* FROM (VALUES ((SELECT ssn FROM customers LIMIT 1))) AS v'],
  ["WITH v(e) AS (VALUES ('zq-alice-local@corp-a.test')) SELECT c.name FROM customers c JOIN v ON v.e = c.email"],
  ["WITH v(e) AS (VALUES (@x := 'a')) SELECT e FROM v", 'gate'],
  // constructs the grammar or the gate does not take
  ['SELECT name FROM customers PROCEDURE ANALYSE()', 'grammar'], ['SELECT * FROM customers FOR SYSTEM_TIME ALL', 'grammar'], ['HANDLER payroll OPEN', 'gate'],
  ['SELECT name FROM customers WHERE id = 1 LOCK IN SHARE MODE', 'gate'],
];

/** [sql, rows]: legitimate statements and exactly what they return. */
const LEGIT: [string, unknown[][] | ((rows: unknown[][]) => void)][] = [
  ['SELECT id, name, region FROM customers ORDER BY id', [[1, 'Alice', 'west'], [2, 'Bob', 'east']]],
  ['SELECT id, email, phone FROM customers ORDER BY id', [[1, 'z•••@corp-a.test', '•••0001'], [2, 'z•••@corp-b.test', '•••0002']]],
  ['SELECT email FROM customers WHERE id = 1', [['z•••@corp-a.test']]],
  ["SELECT c.email AS contact FROM customers c WHERE c.region = 'east'", [['z•••@corp-b.test']]],
  ['SELECT `email`, `PHONE` FROM `customers` WHERE id = 2', [['z•••@corp-b.test', '•••0002']]],
  ['SELECT id, email FROM {db}.customers ORDER BY id', [[1, 'z•••@corp-a.test'], [2, 'z•••@corp-b.test']]],
  ['SELECT `customers`.`email` FROM `customers` WHERE `customers`.`id` = 2', [['z•••@corp-b.test']]],
  ["SELECT id, email AS e1, phone AS p1 FROM customers WHERE region = 'east'", [[2, 'z•••@corp-b.test', '•••0002']]],
  ['SELECT name, email FROM customers ORDER BY name DESC', [['Bob', 'z•••@corp-b.test'], ['Alice', 'z•••@corp-a.test']]],
  ['SELECT id, email, LEAD(name) OVER (ORDER BY id) AS next_name FROM customers ORDER BY id', [[1, 'z•••@corp-a.test', 'Bob'], [2, 'z•••@corp-b.test', null]]],
  ['SELECT email FROM customers c GROUP BY c.id ORDER BY c.id', [['z•••@corp-a.test'], ['z•••@corp-b.test']]],
  ['WITH e AS (SELECT id, email FROM customers) SELECT email FROM e ORDER BY id', [['z•••@corp-a.test'], ['z•••@corp-b.test']]],
  ['SELECT t.name, t.email FROM (SELECT id, name, email FROM customers) t ORDER BY t.id', [['Alice', 'z•••@corp-a.test'], ['Bob', 'z•••@corp-b.test']]],
  ['SELECT email FROM customers WHERE id = 1 UNION ALL SELECT email FROM customers WHERE id = 2', [['z•••@corp-a.test'], ['z•••@corp-b.test']]],
  // UNION ALL masks the whole output column, whichever branch a row came from.
  ["SELECT name, email FROM customers WHERE id = 1 UNION ALL SELECT status, 'plain@x.test' FROM orders WHERE id = 10", [['Alice', 'z•••@corp-a.test'], ['paid', 'p•••@x.test']]],
  ['SELECT c.id, c.phone FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.id = 12', [[2, '•••0002']]],
  ['SELECT name, email FROM customers WHERE region = "west"', [['Alice', 'z•••@corp-a.test']]],
  ['SELECT id, total, status FROM orders ORDER BY id', [[10, '120.50', 'paid'], [11, '80.00', 'open'], [12, '15.25', 'paid']]],
  ['SELECT * FROM orders WHERE id = 12', [[12, 2, '15.25', 'paid', '2024-06-01T09:30:00']]],
  ['SELECT o.* FROM orders o WHERE o.id = 10', [[10, 1, '120.50', 'paid', '2024-05-01T10:00:00']]],
  ['SELECT customer_id, SUM(total) AS s FROM orders GROUP BY customer_id ORDER BY customer_id', [[1, '200.50'], [2, '15.25']]],
  ['SELECT COUNT(*) FROM customers', [[2]]],
  ['SELECT MAX(total), MIN(created_at) FROM orders', [['120.50', '2024-05-01T10:00:00']]],
  ['SELECT c.name, COUNT(o.id) AS n FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id, c.name ORDER BY c.id', [['Alice', 2], ['Bob', 1]]],
  ["SELECT c.name, o.total FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.status = 'paid' ORDER BY o.id", [['Alice', '120.50'], ['Bob', '15.25']]],
  ['SELECT o.id, c.name FROM orders o STRAIGHT_JOIN customers c ON c.id = o.customer_id ORDER BY o.id', [[10, 'Alice'], [11, 'Alice'], [12, 'Bob']]],
  ['SELECT c.name, x.n FROM customers c JOIN (SELECT customer_id, COUNT(*) AS n FROM orders GROUP BY customer_id) x ON x.customer_id = c.id ORDER BY c.id', [['Alice', 2], ['Bob', 1]]],
  ['WITH t AS (SELECT customer_id, SUM(total) AS s FROM orders GROUP BY customer_id) SELECT c.name, t.s FROM t JOIN customers c ON c.id = t.customer_id ORDER BY c.name', [['Alice', '200.50'], ['Bob', '15.25']]],
  ['WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT i FROM n', [[1], [2], [3]]],
  ['SELECT id, total, SUM(total) OVER (PARTITION BY customer_id ORDER BY id) AS running FROM orders ORDER BY id', [[10, '120.50', '120.50'], [11, '80.00', '200.50'], [12, '15.25', '15.25']]],
  ['SELECT id, ROW_NUMBER() OVER (ORDER BY total DESC) AS rn FROM orders ORDER BY id', [[10, 1], [11, 2], [12, 3]]],
  ['SELECT id, name, NTILE(2) OVER (ORDER BY id) AS half FROM customers ORDER BY id', [[1, 'Alice', 1], [2, 'Bob', 2]]],
  ['SELECT name FROM customers WHERE id IN (SELECT customer_id FROM orders WHERE total > 100)', [['Alice']]],
  ["SELECT name FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.status = 'open')", [['Alice']]],
  ['SELECT name, (SELECT COUNT(*) FROM orders o WHERE o.customer_id = c.id) AS n FROM customers c ORDER BY id', [['Alice', 2], ['Bob', 1]]],
  ['SELECT name FROM customers WHERE id = (SELECT customer_id FROM orders WHERE id = 12)', [['Bob']]],
  ['SELECT name FROM customers UNION ALL SELECT status FROM orders WHERE id = 10', [['Alice'], ['Bob'], ['paid']]],
  ['SELECT status FROM orders UNION SELECT region FROM customers ORDER BY 1', [['east'], ['open'], ['paid'], ['west']]],
  ['SELECT DISTINCT status FROM orders ORDER BY status', [['open'], ['paid']]],
  ['SELECT UPPER(name), LENGTH(region) FROM customers ORDER BY id', [['ALICE', 4], ['BOB', 4]]],
  ["SELECT CONCAT(name, '/', region) FROM customers ORDER BY id", [['Alice/west'], ['Bob/east']]],
  ["SELECT JSON_OBJECT('id', id, 'name', name) FROM customers ORDER BY id", [[{ id: 1, name: 'Alice' }], [{ id: 2, name: 'Bob' }]]],
  ["SELECT GROUP_CONCAT(name ORDER BY name SEPARATOR ',') FROM customers", [['Alice,Bob']]],
  ['SELECT region, COUNT(*) FROM customers GROUP BY region HAVING COUNT(*) >= 1 ORDER BY region', [['east', 1], ['west', 1]]],
  ['SELECT name FROM customers ORDER BY 1', [['Alice'], ['Bob']]],
  ['SELECT name AS n FROM customers ORDER BY n DESC', [['Bob'], ['Alice']]],
  ["SELECT id FROM orders WHERE created_at BETWEEN '2024-05-01' AND '2024-05-31' ORDER BY id", [[10], [11]]],
  ["SELECT CASE WHEN total > 100 THEN 'big' ELSE 'small' END AS size FROM orders ORDER BY id", [['big'], ['small'], ['small']]],
  ["SELECT id, login FROM users WHERE login = 'alice'", [[1, 'alice']]],
  ['SELECT id FROM v_orders ORDER BY id', [[10], [11], [12]]],
  ['SELECT status, COUNT(*) AS n FROM v_orders GROUP BY status ORDER BY status', [['open', 1], ['paid', 2]]],
  ["SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'orders'", [['orders']]],
  ['SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()', [[8]]],
  ["EXPLAIN SELECT id FROM orders WHERE status = 'paid'", (rows) => expect(rows.map((row) => row[2])).toEqual(['orders'])],
  ['EXPLAIN SELECT name, email FROM customers', (rows) => expect(rows.map((row) => row[2])).toEqual(['customers'])],
  ['SELECT name FROM customers ORDER BY id LIMIT 1 OFFSET 1', [['Bob']]],
  ['SELECT SQL_CALC_FOUND_ROWS name FROM customers FORCE INDEX (PRIMARY) WHERE id = 2', [['Bob']]],
  ['SELECT `binary` FROM (SELECT name AS `binary` FROM customers) b ORDER BY 1', [['Alice'], ['Bob']]],
  ['SELECT JSON_ARRAYAGG(status) FROM orders WHERE customer_id = 1', [[['paid', 'open']]]],
  ['SELECT 1 + 1', [[2]]],
  ['SELECT x.* FROM (SELECT id, name FROM customers) x', [[1, 'Alice'], [2, 'Bob']]],
  ['SELECT a.email FROM customers a, customers b WHERE a.id = b.id ORDER BY a.id', [['z•••@corp-a.test'], ['z•••@corp-b.test']]],
  ["SELECT email FROM customers WHERE id IN (SELECT id FROM customers WHERE region = 'west')", [['z•••@corp-a.test']]],
  ['SELECT name, phone FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.total > 100)', [['Alice', '•••0001']]],
  ['SELECT email, (SELECT COUNT(*) FROM orders o WHERE o.customer_id = c.id) FROM customers c ORDER BY c.id', [['z•••@corp-a.test', 2], ['z•••@corp-b.test', 1]]],
  // JSON_TABLE and VALUES as queries
  ["WITH s(code, label) AS (VALUES ('paid', 'Paid'), ('open', 'Open')) SELECT o.id, s.label FROM orders o JOIN s ON s.code = o.status ORDER BY o.id",
    [[10, 'Paid'], [11, 'Open'], [12, 'Paid']]],
  ["SELECT c.name, jt.tag FROM customers c, JSON_TABLE(JSON_ARRAY(c.region, c.name), '$[*]' COLUMNS (n FOR ORDINALITY, tag VARCHAR(20) PATH '$')) AS jt WHERE jt.n = 1 ORDER BY c.id",
    [['Alice', 'west'], ['Bob', 'east']]],
  ["SELECT c.email, jt.n FROM customers c, JSON_TABLE('[7]', '$[*]' COLUMNS (n INT PATH '$')) AS jt ORDER BY c.id", [['z•••@corp-a.test', 7], ['z•••@corp-b.test', 7]]],
];

let shop: PolicyShop;
let hrDatabase: TestDatabase;
let names: { db: string; hr: string };
const expand = (sql: string) => sql.replaceAll('{db}', names.db).replaceAll('{hr}', names.hr);

beforeAll(async () => {
  hrDatabase = await createTestDatabase('mysql', HR_DATABASE);
  shop = await openPolicyShop({ dialect: 'mysql', statements: SHOP }, { policy: shopPolicy(hrDatabase.name) });
  const current = await shop.run('SELECT DATABASE()');
  names = { db: current.ok ? String(current.structured.rows[0]![0]) : '', hr: hrDatabase.name };
});
afterAll(async () => {
  await shop?.close();
  await hrDatabase?.drop();
});

describe('leak corpus', () => {
  it('has at least 90 distinct statements', () => {
    expect(new Set(LEAKS.map(([sql]) => sql)).size).toBe(LEAKS.length);
    expect(LEAKS.length).toBeGreaterThanOrEqual(90);
  });

  it.each(LEAKS)('%s', async (template, holder = 'policy') => {
    const sql = expand(template);
    const outcome = await shop.run(sql);
    expectHeld(sql, outcome);
    expect(encodedLeaks(outcome), sql).toEqual([]);
    if (holder === 'runs') expect(outcome.ok ? 'ran' : outcome.error.code, sql).toBe('ran');
    else expect(outcome.ok ? 'ran' : outcome.error.code, sql).toBe(CODES[holder]);
  });
});

describe('legitimate statements', () => {
  it('has at least 45', () => expect(LEGIT.length).toBeGreaterThanOrEqual(45));

  it.each(LEGIT)('%s', async (template, expected) => {
    const sql = expand(template);
    const outcome = await shop.run(sql);
    expectAllowed(sql, outcome);
    if (typeof expected === 'function') expected(outcome.structured.rows);
    else expect(outcome.structured.rows, sql).toEqual(expected);
  });
});

describe('roles', () => {
  /** [sql, what hr gets]: each is refused for a caller without hr, and for one with an unknown role. */
  const HR_ONLY: [string, unknown[][]][] = [
    ['SELECT note, amount FROM payroll', [[CANARIES.payroll[0], CANARIES.payroll[1]]]],
    ['SELECT COUNT(*) FROM payroll', [[1]]],
    ['SELECT note FROM {hr}.notes', [[CANARIES.hr[0]]]],
    ['SELECT id FROM v_pay2', [[1]]],
    ["SELECT email FROM customers WHERE email LIKE 'zq-a%'", [[CANARIES.email[0]]]],
    ['SELECT UPPER(email) FROM customers WHERE id = 2', [[CANARIES.email[1].toUpperCase()]]],
  ];

  it.each(HR_ONLY)('hr may: %s', async (template, rows) => {
    const sql = expand(template);
    for (const roles of [['hr'], ['hr', 'sales']]) expect(await shop.run(sql, roles)).toMatchObject({ ok: true, structured: { rows } });
    for (const roles of [[], ['sales']]) {
      const outcome = await shop.run(sql, roles);
      expectHeld(sql, outcome);
      expect(outcome.ok ? 'ran' : outcome.error.code).toBe('SG_POLICY_DENIED');
    }
  });

  it('hr sees emails unmasked but phones still masked', async () => {
    expect(await shop.run('SELECT email, phone FROM customers WHERE id = 1', ['hr'])).toMatchObject({ ok: true, structured: { rows: [[CANARIES.email[0], '•••0001']] } });
    expect(await shop.run("SELECT name FROM customers WHERE phone LIKE '%0001'", ['hr'])).toMatchObject({ ok: false, error: { code: 'SG_POLICY_DENIED' } });
  });

  it.each(['SELECT ssn FROM customers', 'SELECT password_hash FROM users', 'SELECT * FROM customers', 'SELECT id FROM v_ssn'])('hr may not: %s', async (sql) => {
    const outcome = await shop.run(sql, ['hr']);
    expectHeld(sql, outcome);
    expect(outcome.ok ? 'ran' : outcome.error.code).toBe('SG_POLICY_DENIED');
  });
});

describe('writable shop', () => {
  let writable: PolicyShop;
  beforeAll(async () => {
    writable = await openPolicyShop({ dialect: 'mysql', statements: SHOP }, { writable: true, policy: shopPolicy(names.hr) });
  });
  afterAll(async () => {
    await writable?.close();
  });

  const REFUSED: Case[] = [
    ["INSERT INTO customers (id, name, email, phone, region) VALUES (3, 'Cy', 'cy@corp-c.test', '+1-555-0000-0003', 'south')"],
    ["UPDATE customers SET email = 'new@corp-x.test' WHERE id = 2"], ["UPDATE customers SET phone = NULL WHERE id = 2"],
    ["INSERT INTO payroll (id, customer_id, amount, note) VALUES (2, 2, 1, 'x')"], ["REPLACE INTO payroll (id, customer_id, amount, note) VALUES (1, 1, 0, 'x')"],
    ["UPDATE customers SET ssn = 'x' WHERE id = 1"], ['UPDATE customers SET ssn = NULL'], ["INSERT INTO users (id, login, password_hash) VALUES (2, 'b', 'x')"],
    ["INSERT INTO customers VALUES (3, 'Cy', 'c@x.test', '1', 'SSN', 'n')"], ["REPLACE INTO customers VALUES (1, 'x', 'x', 'x', 'x', 'x')"],
    ['INSERT INTO orders (id, customer_id, total, status, created_at) SELECT 100, id, 1, email, NOW() FROM customers'],
    ['INSERT INTO customers (id, name) SELECT id + 100, email FROM customers'],
    ["INSERT INTO orders (id, customer_id, total, status, created_at) SELECT 101, id, 1, region, NOW() FROM customers WHERE email LIKE 'zq-a%'"],
    ['INSERT INTO orders SET id = 99, customer_id = 1, total = 1, status = (SELECT ssn FROM customers LIMIT 1), created_at = NOW()'],
    ['UPDATE customers SET name = email'], ['UPDATE customers SET region = phone WHERE id = 1'], ["UPDATE customers SET phone = CONCAT(phone, '') WHERE id = 1"],
    ['UPDATE users SET login = password_hash'], ["UPDATE customers SET name = (SELECT login FROM users WHERE password_hash LIKE '$argon%') WHERE id = 1"],
    ['UPDATE orders o JOIN customers c ON c.id = o.customer_id SET o.status = c.ssn'], ['UPDATE customers c JOIN orders o ON o.customer_id = c.id SET o.status = c.email'],
    ["UPDATE orders o, payroll p SET o.status = 'x' WHERE p.customer_id = o.customer_id"], ['UPDATE orders SET status = (SELECT note FROM payroll LIMIT 1)'],
    ["UPDATE customers SET region = 'x' WHERE ssn = 'SSN-7f3a-111'"], ["UPDATE customers SET region = 'x' ORDER BY email LIMIT 1"],
    ['DELETE o FROM orders o JOIN payroll p ON p.customer_id = o.customer_id'], ['DELETE FROM orders WHERE customer_id IN (SELECT customer_id FROM payroll)'],
    ["DELETE FROM customers WHERE email LIKE 'zq-a%'"], ['DELETE FROM customers ORDER BY email LIMIT 1'],
    ["INSERT INTO customers (id, name) VALUES (1, 'x') ON DUPLICATE KEY UPDATE name = VALUES(ssn)"],
    ["INSERT INTO customers (id, name) VALUES (1, 'x') ON DUPLICATE KEY UPDATE name = email"], ["INSERT INTO customers (id, name) VALUES (1, 'x') ON DUPLICATE KEY UPDATE ssn = 'x'"],
    ['CREATE TABLE leak AS SELECT email FROM customers'], ['CREATE TABLE leak2 AS SELECT ssn FROM customers'], ['CREATE TABLE leak3 AS SELECT * FROM payroll'],
    ['CREATE TABLE leak4 SELECT UPPER(email) AS e FROM customers'], ['CREATE TABLE leak5 AS SELECT c.name, p.amount FROM customers c JOIN payroll p ON p.customer_id = c.id'],
    ['CREATE VIEW v_leak AS SELECT ssn FROM customers'], ['CREATE VIEW v_leak2 AS SELECT email FROM customers'], ['CREATE OR REPLACE VIEW v_orders AS SELECT id, ssn FROM customers'],
    ['RENAME TABLE payroll TO pay_copy'], ['ALTER TABLE payroll RENAME TO pay_copy'], ['CREATE TABLE pay_copy LIKE payroll'], ['DROP TABLE payroll'], ['TRUNCATE TABLE payroll'],
    ['ALTER TABLE customers ADD COLUMN ssn2 VARCHAR(40) AS (ssn)'], ['CREATE INDEX i_ssn ON customers (ssn)'], ["INSERT INTO {hr}.notes (id, note) VALUES (9, 'x')"],
    ['CREATE TRIGGER trg BEFORE INSERT ON orders FOR EACH ROW SET NEW.status = (SELECT ssn FROM customers LIMIT 1)'],
    // What the grammar does not read is refused before the policy is asked (MariaDB's RETURNING included).
    ['ALTER VIEW v_orders AS SELECT id, ssn AS status FROM customers', 'grammar'], ['DELETE FROM customers WHERE id = 2 RETURNING ssn', 'grammar'],
    ["INSERT INTO customers (id, name) VALUES (3, 'x') RETURNING ssn", 'grammar'], ['CREATE FUNCTION f() RETURNS TEXT READS SQL DATA RETURN (SELECT ssn FROM customers LIMIT 1)', 'grammar'],
  ];

  it.each(REFUSED)('refuses %s', async (template, holder = 'policy') => {
    const sql = expand(template);
    const outcome = await writable.run(sql);
    expectHeld(sql, outcome);
    expect(outcome.ok ? 'ran' : outcome.error.code, sql).toBe(CODES[holder as Exclude<Holder, 'runs'>]);
  });

  it('changed nothing it refused', async () => {
    const rows = await withMysql(MYSQL_ADMIN_URL, async (c) => {
      const [found] = await c.query(`SELECT (SELECT GROUP_CONCAT(ssn ORDER BY id) FROM ${names.db}.customers) AS ssn, (SELECT GROUP_CONCAT(CONCAT(amount, note)) FROM ${names.db}.payroll) AS pay,
        (SELECT COUNT(*) FROM ${names.db}.orders) AS orders, (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${names.db}') AS tables`);
      return found;
    });
    expect(rows).toEqual([{ ssn: CANARIES.ssn.join(','), pay: `${CANARIES.payroll[1]}${CANARIES.payroll[0]}`, orders: 3, tables: 8 }]);
  });

  const ALLOWED: [string, string?, unknown[][]?][] = [
    ["INSERT INTO orders (id, customer_id, total, status, created_at) VALUES (20, 1, 5.00, 'new', '2024-07-01 00:00:00')"],
    ["UPDATE orders SET status = 'shipped' WHERE id = 20", 'SELECT id, status FROM orders WHERE id = 20', [[20, 'shipped']]],
    ["UPDATE customers SET region = 'north' WHERE id = 2", 'SELECT region FROM customers WHERE id = 2', [['north']]],
    // A row without the masked columns (writing them is refused: a unique key would confirm a guessed value).
    ["INSERT INTO customers (id, name, region) VALUES (3, 'Cy', 'south')", 'SELECT id, name, email, phone FROM customers WHERE id = 3', [[3, 'Cy', null, null]]],
    ["UPDATE customers SET name = 'Cyd' WHERE id = 3", 'SELECT name FROM customers WHERE id = 3', [['Cyd']]],
    ['DELETE FROM orders WHERE id = 20', 'SELECT COUNT(*) FROM orders WHERE id = 20', [[0]]],
    ['INSERT INTO orders (id, customer_id, total, status, created_at) SELECT 21, id, 1.00, region, NOW() FROM customers WHERE id = 1', 'SELECT status FROM orders WHERE id = 21', [['west']]],
    ['UPDATE orders o JOIN customers c ON c.id = o.customer_id SET o.status = c.region WHERE o.id = 10', 'SELECT status FROM orders WHERE id = 10', [['west']]],
    ["INSERT INTO orders (id, customer_id, total, status, created_at) VALUES (10, 1, 1, 'dup', NOW()) ON DUPLICATE KEY UPDATE status = VALUES(status)", 'SELECT status FROM orders WHERE id = 10', [['dup']]],
    ["REPLACE INTO orders (id, customer_id, total, status, created_at) VALUES (21, 1, 2.00, 'replaced', '2024-07-02 00:00:00')", 'SELECT status, total FROM orders WHERE id = 21', [['replaced', '2.00']]],
    ["DELETE o FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.region = 'west' AND o.id = 21", 'SELECT COUNT(*) FROM orders WHERE id = 21', [[0]]],
    ['CREATE TABLE order_copy AS SELECT id, total FROM orders', 'SELECT COUNT(*) FROM order_copy', [[3]]],
    ['DROP TABLE order_copy'],
    ['CREATE VIEW v_names AS SELECT id, name FROM customers'],
    ['DROP VIEW v_names'],
  ];

  it.each(ALLOWED)('runs %s', async (sql, check, rows) => {
    expectAllowed(sql, await writable.run(sql));
    if (check) expect(await writable.run(check)).toMatchObject({ ok: true, structured: { rows } });
  });
});

describe('sql_mode', () => {
  // Changes the server's default for a moment: a connection opened meanwhile by another test gets ANSI_QUOTES too.
  it('a server default of ANSI_QUOTES does not make "ssn" a column: sessions run without it', async () => {
    const admin = (sql: string) => withMysql(MYSQL_ADMIN_URL, (c) => c.query(sql));
    const [[{ mode }]] = (await admin('SELECT @@GLOBAL.sql_mode AS mode')) as unknown as [[{ mode: string }]];
    let ansi: PolicyShop | undefined;
    try {
      await admin(`SET GLOBAL sql_mode = '${mode},ANSI_QUOTES'`);
      ansi = await openPolicyShop({ dialect: 'mysql', statements: SHOP }, { policy: shopPolicy(names.hr) });
      // The pool connects on first use: this connection saw the server default of ANSI_QUOTES.
      expectAllowed('SELECT 1', await ansi.run('SELECT 1'));
    } finally {
      await admin(`SET GLOBAL sql_mode = '${mode}'`);
    }
    try {
      expect(await ansi.run("SELECT LOCATE('ANSI_QUOTES', @@SESSION.sql_mode)")).toMatchObject({ ok: true, structured: { rows: [[0]] } });
      const outcome = await ansi.run('SELECT "ssn" FROM customers');
      expectHeld('SELECT "ssn" FROM customers', outcome);
      expect(outcome).toMatchObject({ ok: true, structured: { rows: [['ssn'], ['ssn']] } });
    } finally {
      await ansi.close();
    }
  });
});
