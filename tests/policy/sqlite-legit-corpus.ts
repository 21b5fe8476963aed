/**
 * Legitimate statements over the SQLite shop (sqlite-shop.ts) and the rows each must return under SHOP_POLICY:
 * allowed columns as they are, masked ones masked ('z•••@corp-a.test', '•••0001'); what the hr role may read; and
 * the legitimate statements the policy refuses all the same, each with its reason.
 */
import { CANARIES } from '../support/policy-harness.js';

/** A statement and exactly the rows it returns. */
export type RowsStatement = readonly [sql: string, rows: unknown[][]];

const [ALICE_EMAIL, BOB_EMAIL] = CANARIES.email;
const [PAY_NOTE, PAY_AMOUNT] = CANARIES.payroll;

/** Legitimate statements and exactly the rows they return. */
export const SQLITE_LEGIT: readonly RowsStatement[] = [
  ['SELECT id, name, region FROM customers ORDER BY id', [[1, 'Alice', 'north'], [2, 'Bob', 'south'], [3, 'Cara', 'north']]],
  ['SELECT id, email FROM customers WHERE id = 1', [[1, 'z•••@corp-a.test']]],
  ['SELECT phone FROM customers WHERE id = 1', [['•••0001']]],
  ['SELECT c.name, c.email, c.phone FROM customers c WHERE c.id = 2', [['Bob', 'z•••@corp-b.test', '•••0002']]],
  ['SELECT "email" FROM "customers" WHERE "id" = 1', [['z•••@corp-a.test']]],
  ['SELECT [email] FROM [customers] WHERE [id] = 1', [['z•••@corp-a.test']]],
  ['SELECT `email` FROM `customers` WHERE `id` = 1', [['z•••@corp-a.test']]],
  ['SELECT customers.email FROM main.customers WHERE id = 1', [['z•••@corp-a.test']]],
  ['SELECT EMAIL AS Contact FROM Customers WHERE ID = 1', [['z•••@corp-a.test']]],
  ['SELECT id, name, email, phone, region FROM customers WHERE region = \'north\' ORDER BY id', [
    [1, 'Alice', 'z•••@corp-a.test', '•••0001', 'north'], [3, 'Cara', 'c•••@corp-c.test', '•••0003', 'north'],
  ]],
  ['SELECT * FROM orders ORDER BY id', [[1, 1, 120.5, 'paid', '2024-01-05'], [2, 1, 30, 'open', '2024-02-01'], [3, 2, 75, 'paid', '2024-02-10'], [4, 3, 10, 'paid', '2024-03-01']]],
  ['SELECT o.* FROM orders o WHERE o.status = \'open\'', [[2, 1, 30, 'open', '2024-02-01']]],
  ['SELECT c.name, o.total FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.status = \'paid\' ORDER BY o.id', [['Alice', 120.5], ['Bob', 75], ['Cara', 10]]],
  ['SELECT c.name, count(o.id) AS n FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id ORDER BY c.id', [['Alice', 2], ['Bob', 1], ['Cara', 1]]],
  ['SELECT c.email, o.total FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.id = 3', [['z•••@corp-b.test', 75]]],
  ['SELECT id, name FROM orders JOIN customers USING (id) ORDER BY id', [[1, 'Alice'], [2, 'Bob'], [3, 'Cara']]],
  ['SELECT orders.id FROM orders CROSS JOIN customers WHERE customers.id = orders.customer_id AND customers.region = \'south\'', [[3]]],
  ['SELECT region, count(*) FROM customers GROUP BY region HAVING count(*) > 1', [['north', 2]]],
  ['SELECT status, sum(total) AS s FROM orders GROUP BY status ORDER BY status', [['open', 30], ['paid', 205.5]]],
  ['SELECT max(total), min(total), avg(total) FROM orders', [[120.5, 10, 58.875]]],
  ['SELECT count(*) FROM customers', [[3]]],
  ['SELECT count(DISTINCT customer_id) FROM orders', [[3]]],
  ['SELECT DISTINCT region FROM customers ORDER BY region', [['north'], ['south']]],
  ['SELECT strftime(\'%Y\', created_at) AS y, count(*) FROM orders GROUP BY 1', [['2024', 4]]],
  ['WITH paid AS (SELECT customer_id, total FROM orders WHERE status = \'paid\') SELECT customer_id, sum(total) FROM paid GROUP BY customer_id ORDER BY 1', [[1, 120.5], [2, 75], [3, 10]]],
  ['WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) SELECT sum(i) FROM n', [[15]]],
  ['WITH RECURSIVE chain(id, depth) AS (SELECT id, 0 FROM customers WHERE id = 1 UNION ALL SELECT c.id, depth + 1 FROM customers c JOIN chain ON c.id = chain.id + 1) SELECT id, depth FROM chain', [[1, 0], [2, 1], [3, 2]]],
  ['WITH RECURSIVE r(n, name) AS (SELECT 1, name FROM customers WHERE id = 1 UNION ALL SELECT n + 1, upper(name) FROM r WHERE n < 2) SELECT n, name FROM r', [[1, 'Alice'], [2, 'ALICE']]],
  ['SELECT id, total, sum(total) OVER (ORDER BY id) AS running FROM orders', [[1, 120.5, 120.5], [2, 30, 150.5], [3, 75, 225.5], [4, 10, 235.5]]],
  ['SELECT id, row_number() OVER (PARTITION BY customer_id ORDER BY created_at) FROM orders ORDER BY id', [[1, 1], [2, 2], [3, 1], [4, 1]]],
  ['SELECT name, rank() OVER (PARTITION BY region ORDER BY name) FROM customers ORDER BY id', [['Alice', 1], ['Bob', 1], ['Cara', 2]]],
  ['SELECT name, email, lag(name) OVER (ORDER BY id) FROM customers', [['Alice', 'z•••@corp-a.test', null], ['Bob', 'z•••@corp-b.test', 'Alice'], ['Cara', 'c•••@corp-c.test', 'Bob']]],
  ['SELECT name FROM customers WHERE id IN (SELECT customer_id FROM orders WHERE total > 50) ORDER BY name', [['Alice'], ['Bob']]],
  ['SELECT name, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) AS n FROM customers c ORDER BY id', [['Alice', 2], ['Bob', 1], ['Cara', 1]]],
  ['SELECT name FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.status = \'open\')', [['Alice']]],
  ['SELECT total FROM orders WHERE id = (SELECT max(id) FROM orders)', [[10]]],
  ['SELECT e FROM (SELECT email AS e FROM customers WHERE id = 1)', [['z•••@corp-a.test']]],
  ['SELECT t.name, t.phone FROM (SELECT id, name, phone FROM customers) AS t WHERE t.id = 2', [['Bob', '•••0002']]],
  ['WITH contacts AS (SELECT id, email, phone FROM customers) SELECT email, phone FROM contacts WHERE id = 1', [['z•••@corp-a.test', '•••0001']]],
  ['WITH contacts(k, mail) AS (SELECT id, email FROM customers) SELECT mail FROM contacts WHERE k = 2', [['z•••@corp-b.test']]],
  ['SELECT email FROM customers WHERE id = 1 UNION ALL SELECT email FROM customers WHERE id = 2', [['z•••@corp-a.test'], ['z•••@corp-b.test']]],
  ['SELECT region FROM customers UNION SELECT status FROM orders ORDER BY 1', [['north'], ['open'], ['paid'], ['south']]],
  ['SELECT customer_id FROM orders INTERSECT SELECT id FROM customers WHERE region = \'north\'', [[1], [3]]],
  ['SELECT id FROM customers EXCEPT SELECT customer_id FROM orders WHERE status = \'open\'', [[2], [3]]],
  ['SELECT name FROM sqlite_schema WHERE type = \'table\' AND name NOT LIKE \'sqlite_%\' ORDER BY name', [['customers'], ['events'], ['hr'], ['orders'], ['payroll'], ['users']]],
  ['SELECT type, name FROM sqlite_master WHERE name = \'customer_orders\'', [['view', 'customer_orders']]],
  ['SELECT e.id, j.value FROM events e, json_each(e.payload, \'$.tags\') j ORDER BY e.id, j.key', [[1, 'new'], [1, 'web'], [2, 'repeat']]],
  ['SELECT json_extract(payload, \'$.kind\') FROM events ORDER BY id', [['signup'], ['order']]],
  ['SELECT key, value FROM json_each(\'{"a":1}\')', [['a', 1]]],
  ['SELECT customer_id, n, spent FROM customer_orders ORDER BY customer_id', [[1, 2, 150.5], [2, 1, 75], [3, 1, 10]]],
  ['SELECT * FROM customer_orders WHERE customer_id = 2', [[2, 1, 75]]],
  ['SELECT upper(name), length(region), substr(name, 1, 2) FROM customers WHERE id = 3', [['CARA', 5, 'Ca']]],
  ['SELECT iif(total > 50, \'big\', \'small\') FROM orders ORDER BY id', [['big'], ['small'], ['big'], ['small']]],
  ['SELECT group_concat(name, \',\') FROM (SELECT name FROM customers ORDER BY id)', [['Alice,Bob,Cara']]],
  ['SELECT rowid, name FROM customers WHERE id = 1', [[1, 'Alice']]],
  ['SELECT name, email FROM customers ORDER BY name LIMIT 1', [['Alice', 'z•••@corp-a.test']]],
  // VALUES as a query (guard/rules/sqlite-values.ts)
  ["WITH s(code, label) AS (VALUES ('paid', 'Paid'), ('open', 'Open')) SELECT o.id, s.label FROM orders o JOIN s ON s.code = o.status ORDER BY o.id",
    [[1, 'Paid'], [2, 'Open'], [3, 'Paid'], [4, 'Paid']]],
  ['SELECT name, email FROM customers WHERE id IN (VALUES (1), (3)) ORDER BY id', [['Alice', 'z•••@corp-a.test'], ['Cara', 'c•••@corp-c.test']]],
  ['SELECT c.name, c.phone FROM customers c JOIN (VALUES (2)) v ON v.column1 = c.id', [['Bob', '•••0002']]],
];

/**
 * Legitimate statements the policy refuses all the same, each for a reason it does not see past. They are kept
 * here so that loosening one is a visible decision.
 */
export const SQLITE_OVER_STRICT: readonly (readonly [sql: string, why: string])[] = [
  ['SELECT * FROM (SELECT id, email FROM customers)', 'a * over a source with masked columns is refused, even a derived table whose masks are known'],
  ['SELECT orders.id FROM orders NATURAL JOIN customers', 'NATURAL JOIN over a table with restricted columns, even when they share only id'],
  ['SELECT name, count(*) OVER w FROM customers WINDOW w AS (PARTITION BY region)', 'the gate\'s rewrite drops a named WINDOW clause, so its columns cannot be checked'],
  ['SELECT (SELECT email FROM customers WHERE id = 1)', 'a subquery may not pass a masked column on, even as it is'],
  ['SELECT count(email) FROM customers', 'counting a masked column computes on it'],
  ['SELECT name AS \'n\' FROM customers', 'a string where a name goes is not trusted (the parser sees every string emptied)'],
  ['SELECT id FROM order_ids', 'node-sql-parser\'s SQLite grammar cannot read CREATE VIEW … AS SELECT … UNION ALL …, so the view counts as reaching anything'],
  ['SELECT email AS value FROM customers WHERE id IN (SELECT value FROM json_each(\'[1, 2]\'))', 'json_each\'s columns are not known, so value may be the masked alias of the SELECT around it (SQLite lets clauses name aliases)'],
  ['SELECT j.*, c.email FROM customers c, json_each(\'[1]\') j', 'a * of unknown width before a masked column: sqlgate could not tell which output to mask'],
];

/** What the hr role may read that others may not (payroll, hr) or see masked (email). */
export const SQLITE_HR_READS: readonly RowsStatement[] = [
  ['SELECT amount, note FROM payroll', [[Number(PAY_AMOUNT), PAY_NOTE]]],
  ['SELECT note FROM hr', [[CANARIES.hr[0]]]],
  ['SELECT customer_id, paid FROM payroll_by_customer', [[1, Number(PAY_AMOUNT)]]],
  ['SELECT email FROM customers WHERE id = 1', [[ALICE_EMAIL]]],
  ['SELECT id FROM customers WHERE email LIKE \'zq-bob%\'', [[2]]],
  ['SELECT upper(email) FROM customers WHERE id = 2', [[BOB_EMAIL!.toUpperCase()]]],
  ['SELECT email, phone FROM customers WHERE id = 1', [[ALICE_EMAIL, '•••0001']]],
];
