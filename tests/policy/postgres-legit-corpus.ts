/**
 * Legitimate statements over the PostgreSQL shop (postgres-shop.ts) and the rows each must return under
 * SHOP_POLICY for a caller without roles: allowed columns as they are, masked ones masked ('z•••@corp-a.test',
 * '•••0001'). A policy that refuses any of them has become stricter than it needs to be.
 */
import { expect } from 'vitest';

export interface LegitStatement {
  readonly sql: string;
  /** The exact rows, or a check of them when they are not fixed (plans, catalogs). */
  readonly rows: readonly (readonly unknown[])[] | ((rows: unknown[][]) => void);
}

const ORDERS = [
  [1, 1, '10.50', 'shipped', '2024-01-05T10:00:00Z'],
  [2, 1, '20.00', 'pending', '2024-02-01T09:30:00Z'],
  [3, 2, '99.99', 'shipped', '2024-02-11T12:00:00Z'],
  [4, 2, '5.25', 'cancelled', '2024-03-02T08:15:00Z'],
];

const planMentions = (text: string) => (rows: unknown[][]): void => {
  expect(rows.flat().join('\n')).toContain(text);
};

export const POSTGRES_LEGIT: readonly LegitStatement[] = [
  // ---- allowed columns, joins, aggregates ----
  { sql: 'SELECT id, name FROM customers ORDER BY id', rows: [[1, 'Alice'], [2, 'Bob']] },
  { sql: 'SELECT count(*) FROM customers', rows: [[2]] },
  { sql: "SELECT id, name FROM customers WHERE region = 'south'", rows: [[2, 'Bob']] },
  { sql: 'SELECT region, count(*) FROM customers GROUP BY region ORDER BY region', rows: [['north', 1], ['south', 1]] },
  {
    sql: 'SELECT c.name, count(o.id), sum(o.total) FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.name ORDER BY c.name',
    rows: [['Alice', 2, '30.50'], ['Bob', 2, '105.24']],
  },
  { sql: "SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.status = 'shipped' ORDER BY o.id", rows: [[1, 'Alice'], [3, 'Bob']] },
  { sql: 'SELECT o.* FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.name = \'Bob\' ORDER BY o.id', rows: ORDERS.slice(2) },
  { sql: 'SELECT max(total), min(created_at) FROM orders', rows: [['99.99', '2024-01-05T10:00:00Z']] },
  { sql: "SELECT count(*) FILTER (WHERE status = 'shipped'), count(*) FROM orders", rows: [[2, 4]] },
  { sql: "SELECT string_agg(name, ',' ORDER BY name) FROM customers", rows: [['Alice,Bob']] },
  { sql: 'SELECT array_agg(id ORDER BY id) FROM orders', rows: [[[1, 2, 3, 4]]] },
  { sql: 'SELECT customer_id FROM orders GROUP BY customer_id HAVING sum(total) > 50', rows: [[2]] },
  {
    sql: 'SELECT status, customer_id, count(*) FROM orders GROUP BY GROUPING SETS ((status), (customer_id)) ORDER BY 1, 2',
    rows: [['cancelled', null, 1], ['pending', null, 1], ['shipped', null, 2], [null, 1, 2], [null, 2, 2]],
  },
  { sql: 'SELECT DISTINCT status FROM orders ORDER BY status', rows: [['cancelled'], ['pending'], ['shipped']] },
  { sql: 'SELECT DISTINCT ON (customer_id) customer_id, id FROM orders ORDER BY customer_id, total DESC', rows: [[1, 2], [2, 3]] },
  { sql: 'SELECT id FROM orders ORDER BY total DESC LIMIT 2', rows: [[3], [2]] },
  { sql: 'TABLE orders', rows: ORDERS },
  { sql: 'SELECT * FROM orders WHERE id = 1', rows: ORDERS.slice(0, 1) },
  { sql: 'SELECT login FROM users', rows: [['alice']] },
  { sql: 'SELECT "id", "name" FROM "customers" WHERE "id" = 1', rows: [[1, 'Alice']] },
  { sql: 'SELECT c.name FROM public.customers AS c WHERE c.id = 2', rows: [['Bob']] },
  { sql: 'SELECT id, name FROM ONLY customers', rows: [[1, 'Alice']] },
  { sql: 'SELECT id, name, tier FROM vip_customers', rows: [[2, 'Bob', 'gold']] },
  { sql: 'SELECT id, tableoid::regclass::text FROM customers ORDER BY id', rows: [[1, 'customers'], [2, 'vip_customers']] },

  // ---- windows, subqueries, CTEs, LATERAL ----
  { sql: 'SELECT id, rank() OVER (PARTITION BY customer_id ORDER BY total DESC) FROM orders ORDER BY id', rows: [[1, 2], [2, 1], [3, 1], [4, 2]] },
  { sql: 'SELECT id, sum(total) OVER (ORDER BY id) FROM orders ORDER BY id', rows: [[1, '10.50'], [2, '30.50'], [3, '130.49'], [4, '135.74']] },
  { sql: 'SELECT name, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) FROM customers c ORDER BY name', rows: [['Alice', 2], ['Bob', 2]] },
  { sql: "SELECT name FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.status = 'cancelled')", rows: [['Bob']] },
  { sql: "SELECT id FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE region = 'north') ORDER BY id", rows: [[1], [2]] },
  {
    sql: 'WITH totals AS (SELECT customer_id, sum(total) AS t FROM orders GROUP BY customer_id) SELECT c.name, t.t FROM totals t JOIN customers c ON c.id = t.customer_id ORDER BY c.name',
    rows: [['Alice', '30.50'], ['Bob', '105.24']],
  },
  { sql: 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT sum(n) FROM r', rows: [[15]] },
  {
    sql: 'SELECT c.name, l.total FROM customers c CROSS JOIN LATERAL (SELECT o.total FROM orders o WHERE o.customer_id = c.id ORDER BY o.total DESC LIMIT 1) l ORDER BY c.name',
    rows: [['Alice', '20.00'], ['Bob', '99.99']],
  },
  { sql: 'SELECT x.* FROM (SELECT id, name FROM customers) x ORDER BY x.id', rows: [[1, 'Alice'], [2, 'Bob']] },
  // A CTE named like a denied table, or like the table it reads, is the CTE.
  { sql: 'WITH payroll AS (SELECT 1 AS amount) SELECT amount FROM payroll', rows: [[1]] },
  { sql: "WITH ssn AS (SELECT 'x' AS ssn) SELECT ssn FROM ssn", rows: [['x']] },
  { sql: "WITH orders AS (SELECT id FROM orders WHERE status = 'shipped') SELECT count(*) FROM orders", rows: [[2]] },

  // ---- set operations, VALUES, generate_series, USING / NATURAL ----
  { sql: 'SELECT status FROM orders UNION SELECT region FROM customers ORDER BY 1', rows: [['cancelled'], ['north'], ['pending'], ['shipped'], ['south']] },
  { sql: 'SELECT customer_id FROM orders INTERSECT SELECT id FROM customers ORDER BY 1', rows: [[1], [2]] },
  { sql: "SELECT customer_id FROM orders EXCEPT SELECT id FROM customers WHERE region = 'north'", rows: [[2]] },
  {
    sql: "SELECT v.label, count(o.id) FROM (VALUES ('shipped', 'S'), ('pending', 'P')) v(status, label) LEFT JOIN orders o USING (status) GROUP BY v.label ORDER BY v.label",
    rows: [['P', 1], ['S', 2]],
  },
  { sql: 'SELECT g FROM generate_series(1, 3) g', rows: [[1], [2], [3]] },
  {
    sql: "SELECT g.d::date, count(o.id) FROM generate_series('2024-01-01'::date, '2024-03-01', '1 month') g(d) LEFT JOIN orders o ON date_trunc('month', o.created_at AT TIME ZONE 'UTC') = g.d GROUP BY g.d ORDER BY g.d",
    rows: [['2024-01-01', 1], ['2024-02-01', 2], ['2024-03-01', 1]],
  },
  // SELECT * over USING / NATURAL puts the joined columns first, once: sqlgate no longer counts them twice.
  { sql: 'SELECT * FROM orders NATURAL JOIN v_orders_clean ORDER BY 1', rows: ORDERS },
  { sql: "SELECT * FROM orders JOIN (SELECT 'shipped' AS status) x USING (status) ORDER BY id", rows: ORDERS.filter((o) => o[3] === 'shipped').map(([id, c, t, s, at]) => [s, id, c, t, at]) },

  // ---- masked columns selected plainly (and passed on plainly) come back masked ----
  { sql: 'SELECT id, name, email, phone FROM customers ORDER BY id', rows: [[1, 'Alice', 'z•••@corp-a.test', '•••0001'], [2, 'Bob', 'z•••@corp-b.test', '•••0002']] },
  { sql: "SELECT email, phone FROM customers WHERE region = 'south'", rows: [['z•••@corp-b.test', '•••0002']] },
  { sql: 'SELECT upper(name), email FROM customers ORDER BY id', rows: [['ALICE', 'z•••@corp-a.test'], ['BOB', 'z•••@corp-b.test']] },
  { sql: "SELECT c.email, o.id FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.status = 'pending'", rows: [['z•••@corp-a.test', 2]] },
  { sql: 'WITH c AS (SELECT id, email FROM customers) SELECT id, email FROM c ORDER BY id', rows: [[1, 'z•••@corp-a.test'], [2, 'z•••@corp-b.test']] },
  { sql: 'SELECT s.e FROM (SELECT id, email AS e FROM customers) s ORDER BY s.id', rows: [['z•••@corp-a.test'], ['z•••@corp-b.test']] },
  { sql: 'SELECT x.a, x.b FROM (SELECT id, phone FROM customers) AS x(a, b) ORDER BY x.a', rows: [[1, '•••0001'], [2, '•••0002']] },
  { sql: 'SELECT email FROM customers WHERE id = 1 UNION ALL SELECT email FROM customers WHERE id = 2', rows: [['z•••@corp-a.test'], ['z•••@corp-b.test']] },
  { sql: 'SELECT phone FROM customers WHERE id = 2 UNION ALL SELECT NULL', rows: [['•••0002'], [null]] },
  {
    sql: 'WITH RECURSIVE r(e, n) AS (SELECT email, 1 FROM customers WHERE id = 1 UNION ALL SELECT e, n + 1 FROM r WHERE n < 3) SELECT e, n FROM r ORDER BY n',
    rows: [['z•••@corp-a.test', 1], ['z•••@corp-a.test', 2], ['z•••@corp-a.test', 3]],
  },
  // c gets the email only in the fourth round, and is masked from the first: a column masked in any round is.
  {
    sql: "WITH RECURSIVE r(a, b, c, n) AS (SELECT ''::text, ''::text, ''::text, 0 UNION ALL SELECT cu.email, r.a, r.b, r.n + 1 FROM r, customers cu WHERE r.n < 3 AND cu.id = 1) SELECT c FROM r ORDER BY n",
    rows: [['•••'], ['•••'], ['•••'], ['z•••@corp-a.test']],
  },
  { sql: 'SELECT c.email, o.* FROM customers c, orders o WHERE o.id = 1 AND c.id = 1', rows: [['z•••@corp-a.test', ...ORDERS[0]!]] },
  // Grouped by the primary key, email is one value per group: it is selected, not grouped on.
  { sql: 'SELECT email, count(*) FROM customers GROUP BY id ORDER BY id', rows: [['z•••@corp-a.test', 1], ['z•••@corp-b.test', 1]] },

  // ---- views, composite and jsonb columns ----
  { sql: 'SELECT * FROM v_orders_clean ORDER BY id', rows: ORDERS.map((o) => o.slice(0, 4)) },
  { sql: 'SELECT status, count(*) FROM v_orders_clean GROUP BY status ORDER BY status', rows: [['cancelled', 1], ['pending', 1], ['shipped', 2]] },
  { sql: 'SELECT (home).city FROM customer_addresses ORDER BY customer_id', rows: [['Springfield'], ['Shelbyville']] },
  { sql: "SELECT (a.home).city, (a.home).street FROM customer_addresses a WHERE (a.home).city LIKE 'S%' ORDER BY 1", rows: [['Shelbyville', '2 Side Rd'], ['Springfield', '1 Main St']] },
  { sql: "SELECT payload->>'kind' FROM events ORDER BY id", rows: [['login'], ['purchase']] },
  { sql: "SELECT jsonb_path_query_first(payload, '$.device.os') #>> '{}' FROM events ORDER BY id", rows: [['linux'], ['ios']] },
  { sql: "SELECT e.id, t FROM events e, jsonb_array_elements_text(e.payload->'tags') t ORDER BY e.id, t", rows: [[1, 'a'], [1, 'b'], [2, 'c']] },

  // ---- catalogs and EXPLAIN ----
  { sql: "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'ord%'", rows: [['orders']] },
  { sql: "SELECT relname FROM pg_class WHERE relname = 'orders'", rows: [['orders']] },
  { sql: "EXPLAIN SELECT id FROM orders WHERE status = 'shipped'", rows: planMentions('Seq Scan on orders') },
  { sql: 'EXPLAIN (ANALYZE, COSTS OFF) SELECT email FROM customers', rows: planMentions('Seq Scan on customers') },
];

/** Allowed writes, run in this order on a writable shop. */
export const POSTGRES_WRITES_ALLOWED: readonly LegitStatement[] = [
  { sql: "UPDATE customers SET name = 'x' WHERE id = 1 RETURNING email", rows: [['z•••@corp-a.test']] },
  { sql: "UPDATE customers SET name = 'Alice' WHERE id = 1 RETURNING id, name, phone", rows: [[1, 'Alice', '•••0001']] },
  // Masked columns are not written (a unique key would confirm a guessed value).
  { sql: "INSERT INTO customers (id, name, region) VALUES (3, 'Carol', 'west') RETURNING email", rows: [[null]] },
  { sql: "INSERT INTO orders VALUES (10, 3, 1.00, 'new', '2024-04-01T00:00:00Z') RETURNING id, status", rows: [[10, 'new']] },
  { sql: "UPDATE orders o SET status = 'gift' FROM customers c WHERE c.id = o.customer_id AND c.name = 'Carol' RETURNING o.id, c.email", rows: [[10, null]] },
  { sql: "INSERT INTO customers (id, name) VALUES (3, 'x') ON CONFLICT (id) DO UPDATE SET name = excluded.name || '!' RETURNING name", rows: [['x!']] },
  { sql: 'CREATE TABLE order_copy AS SELECT id, status FROM orders', rows: [] },
  // Right after CREATE TABLE … AS looked the name up as its target (policy-catalog.ts drops the facts it kept).
  { sql: 'SELECT count(*) FROM order_copy', rows: [[5]] },
  { sql: 'CREATE VIEW v_names AS SELECT id, name FROM orders JOIN (SELECT 1 AS id, \'n\' AS name) x USING (id)', rows: [] },
  { sql: 'SELECT * FROM v_names', rows: [[1, 'n']] },
  { sql: 'DELETE FROM orders WHERE id = 10 RETURNING *', rows: [[10, 3, '1.00', 'gift', '2024-04-01T00:00:00Z']] },
  { sql: 'DELETE FROM customers WHERE id = 3 RETURNING id, email', rows: [[3, null]] },
];
