/**
 * MariaDB's MEDIAN and ordered-set aggregates, which it runs only as window functions
 * (`PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY x) OVER (PARTITION BY y)`): reads over the shared fixture that must
 * pass the gate and run, and attacks hidden inside them that must stay refused. Used by mysql-rules.test.ts (the
 * gate alone) and mariadb-window-aggregates.test.ts (the gate and the real server).
 *
 * MariaDB 10.11 rejects ORDER BY and frames inside their OVER (…), named windows, more than one sort key and NULLS
 * FIRST/LAST, so the reads order the statement instead, or put an ordered window function beside them.
 */
export const ORDERED_SET_READS: readonly string[] = [
  'SELECT customer_id, PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY total) OVER (PARTITION BY customer_id) AS median_total FROM orders',
  'SELECT DISTINCT PERCENTILE_DISC(0.9) WITHIN GROUP (ORDER BY total) OVER () AS p90 FROM orders',
  'SELECT status, MEDIAN(total) OVER (PARTITION BY status) AS median_total FROM orders',
  // quoted, qualified and aliased names, a sort direction, lower case
  'SELECT o.`status`, PERCENTILE_CONT(0.25) WITHIN GROUP (ORDER BY o.`total` DESC) OVER (PARTITION BY o.`status`) AS `p25 total` FROM orders AS o',
  'select percentile_disc(0.5) within group (order by ordered_at asc) over (partition by customer_id) p50_at from orders',
  'SELECT `o`.id, MEDIAN(`o`.`total`) OVER (PARTITION BY `o`.`customer_id`) `median` FROM `orders` `o`',
  // inside a CTE, and over one
  "WITH kept AS (SELECT customer_id, total FROM orders WHERE status <> 'cancelled') SELECT DISTINCT customer_id, MEDIAN(total) OVER (PARTITION BY customer_id) AS m FROM kept ORDER BY customer_id",
  'WITH p AS (SELECT status, PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY total) OVER (PARTITION BY status) AS m FROM orders) SELECT DISTINCT status, m FROM p ORDER BY m DESC',
  // ordered: by the result, and beside window functions that order within their window
  'SELECT id, total, PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY total) OVER (PARTITION BY status) AS m FROM orders ORDER BY m DESC, id',
  'SELECT id, ROW_NUMBER() OVER (PARTITION BY status ORDER BY total DESC) AS rn, MEDIAN(total) OVER (PARTITION BY status) AS m FROM orders ORDER BY id',
  // in subqueries: scalar (correlated), derived table, IN
  'SELECT c.name, (SELECT DISTINCT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY o.total) OVER () FROM orders o WHERE o.customer_id = c.id) AS median_order FROM customers c ORDER BY c.id',
  'SELECT status, MAX(m) AS m FROM (SELECT status, MEDIAN(total) OVER (PARTITION BY status) AS m FROM orders) x GROUP BY status ORDER BY status',
  'SELECT id FROM orders WHERE total IN (SELECT PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY total) OVER () FROM orders) ORDER BY id',
  // in expressions, in a set operation, under EXPLAIN
  'SELECT id, total - MEDIAN(total) OVER (PARTITION BY customer_id) AS above_median, PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY total * 2) OVER () / 2 AS half FROM orders',
  "SELECT 'p50' AS q, PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY total) OVER () AS v FROM orders UNION SELECT 'p90', PERCENTILE_DISC(0.9) WITHIN GROUP (ORDER BY total) OVER () FROM orders",
  'EXPLAIN SELECT MEDIAN(total) OVER (PARTITION BY status) FROM orders',
];

/** [statement, part of the refusal]: a side effect, a write or a call hidden in the function, WITHIN GROUP or OVER. */
export const ORDERED_SET_ATTACKS: ReadonlyArray<readonly [string, string]> = [
  ["SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY (SELECT LOAD_FILE('/etc/passwd'))) OVER () FROM orders", 'LOAD_FILE'],
  ["SELECT PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY LOAD_FILE('/etc/passwd') DESC) OVER () FROM orders", 'LOAD_FILE'],
  ['SELECT MEDIAN(sleep(5)) OVER () FROM orders', 'sleep() is refused'],
  ['SELECT MEDIAN(total) OVER (PARTITION BY benchmark(1e9, md5(1))) FROM orders', 'benchmark() is refused'],
  ['SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY total) OVER (PARTITION BY benchmark(1e9, md5(1))) FROM orders', 'benchmark() is refused'],
  ['SELECT PERCENTILE_CONT(SLEEP(5)) WITHIN GROUP (ORDER BY total) OVER () FROM orders', 'SLEEP() is refused'],
  ['SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY total DESC, SLEEP(5)) OVER () FROM orders', 'SLEEP() is refused'],
  ["SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY total) OVER (PARTITION BY (SELECT GET_LOCK('x', 10))) FROM orders", 'named locks'],
  ['SELECT MEDIAN(total) OVER (PARTITION BY (SELECT LOAD_FILE(status))) FROM orders', 'LOAD_FILE'],
  ['SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY (SELECT name INTO @v FROM customers LIMIT 1)) OVER () FROM orders', 'INTO'],
  ['SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY (SELECT id FROM customers LIMIT 1 FOR UPDATE)) OVER () FROM orders', 'locking read'],
  ['SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY (UPDATE orders SET total = 0 RETURNING total)) OVER () FROM orders', 'data-modifying'],
  ['SELECT MEDIAN(total) OVER (PARTITION BY (DELETE FROM orders RETURNING status)) FROM orders', 'data-modifying'],
  ["SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY total) OVER () FROM orders INTO OUTFILE '/tmp/sqlgate-attack-pct.csv'", 'OUTFILE'],
  ['SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY total /*! , SLEEP(5) */) OVER () FROM orders', 'versioned'],
  ['SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY total) OVER () FROM orders; DELETE FROM orders', 'several statements'],
  ['SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY my_udf(total)) OVER () FROM orders', 'allowed_functions'],
  // Without OVER: MariaDB has no such form, and on MySQL the bare name would call a stored function.
  ['SELECT MEDIAN(total) FROM orders', 'only as a window function'],
  ['SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY total) FROM orders', 'only as a window function'],
];
