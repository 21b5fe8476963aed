/**
 * Typical analytic queries, one set per dialect, for the statement gate's cost (gate-cost.mjs). Each set is written
 * the way someone would write it for that database (its date functions, placeholders, quoting and idioms) and
 * covers the same shapes: a point lookup with a placeholder, aggregates with GROUP BY/HAVING, joins of 4 and 5
 * tables, CTEs, a recursive CTE, window functions, top-N per group, subqueries, CASE pivots, date arithmetic and a
 * report of about 2,000 characters. Every one must be classified `read`; a refusal is a false rejection.
 *
 * They read one retail schema (the same in every dialect):
 *   customers(id, name, email, region, country, segment, account_manager_id, attributes, created_at)
 *   orders(id, customer_id, order_date, shipped_at, status, channel, total_amount)
 *   order_items(id, order_id, product_id, quantity, unit_price, discount)
 *   products(id, name, category_id, list_price, launched_at)
 *   categories(id, name, parent_id)
 *   employees(id, name, manager_id, region, hired_at)
 *   payments(id, order_id, paid_at, amount, method)
 *   refunds(id, order_id, refunded_at, amount)
 * The PostgreSQL, MariaDB and SQLite sets were run against that schema on PostgreSQL 15, MariaDB 10.11 and
 * SQLite 3.5x when they were written (the MySQL set too, except its `->>`, which MariaDB lacks); the SQL Server set
 * was not run against a server.
 */

/** @typedef {{ key: string, label: string, sql: string }} GateQuery */

const q = (key, label, sql) => ({ key, label, sql: sql.trim() });

/** @type {GateQuery[]} */
const POSTGRES = [
  q('point', 'point lookup ($1)', 'SELECT * FROM orders WHERE id = $1'),
  q('aggregate', 'GROUP BY + HAVING', `
SELECT c.region, date_trunc('month', o.order_date) AS month, count(*) AS orders, sum(o.total_amount) AS revenue,
       avg(o.total_amount)::numeric(12,2) AS avg_order
FROM orders o JOIN customers c ON c.id = o.customer_id
WHERE o.order_date >= now() - interval '12 months' AND o.status <> 'cancelled'
GROUP BY c.region, date_trunc('month', o.order_date)
HAVING sum(o.total_amount) > 1000
ORDER BY month, revenue DESC`),
  q('join4', 'join of 4 tables', `
SELECT cat.name AS category, p.name AS product, sum(oi.quantity) AS units,
       sum(oi.quantity * oi.unit_price * (1 - oi.discount)) AS net_revenue
FROM order_items oi
JOIN orders o ON o.id = oi.order_id
JOIN products p ON p.id = oi.product_id
JOIN categories cat ON cat.id = p.category_id
WHERE o.order_date >= DATE '2024-01-01' AND o.order_date < DATE '2025-01-01'
GROUP BY cat.name, p.name
ORDER BY net_revenue DESC
LIMIT 20`),
  q('join5', 'join of 5 tables (LEFT)', `
SELECT c.id, c.name, e.name AS account_manager, count(DISTINCT o.id) AS orders,
       coalesce(sum(pay.amount), 0) AS paid, coalesce(sum(r.amount), 0) AS refunded, max(o.order_date) AS last_order
FROM customers c
LEFT JOIN employees e ON e.id = c.account_manager_id
LEFT JOIN orders o ON o.customer_id = c.id
LEFT JOIN payments pay ON pay.order_id = o.id
LEFT JOIN refunds r ON r.order_id = o.id
WHERE c.country = 'DE' AND c.created_at < current_date - 30
GROUP BY c.id, c.name, e.name
ORDER BY paid DESC NULLS LAST`),
  q('cte', 'CTEs (cohorts)', `
WITH first_orders AS (
  SELECT customer_id, min(order_date)::date AS first_date FROM orders GROUP BY customer_id
), cohorts AS (
  SELECT f.customer_id, date_trunc('month', f.first_date) AS cohort_month, date_trunc('month', o.order_date) AS order_month
  FROM first_orders f JOIN orders o ON o.customer_id = f.customer_id
)
SELECT cohort_month,
       (extract(year FROM age(order_month, cohort_month)) * 12 + extract(month FROM age(order_month, cohort_month)))::int AS months_since,
       count(DISTINCT customer_id) AS active_customers
FROM cohorts
GROUP BY 1, 2
ORDER BY 1, 2`),
  q('recursive', 'recursive CTE (category tree)', `
WITH RECURSIVE tree AS (
  SELECT id, name, parent_id, 1 AS depth, name::text AS path FROM categories WHERE parent_id IS NULL
  UNION ALL
  SELECT c.id, c.name, c.parent_id, t.depth + 1, t.path || ' > ' || c.name
  FROM categories c JOIN tree t ON c.parent_id = t.id
  WHERE t.depth < 10
)
SELECT t.path, t.depth, count(p.id) AS products
FROM tree t LEFT JOIN products p ON p.category_id = t.id
GROUP BY t.path, t.depth
ORDER BY t.path`),
  q('window', 'window functions', `
SELECT customer_id, order_date, total_amount,
       row_number() OVER (PARTITION BY customer_id ORDER BY order_date) AS order_seq,
       sum(total_amount) OVER (PARTITION BY customer_id ORDER BY order_date ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_total,
       lag(order_date) OVER (PARTITION BY customer_id ORDER BY order_date) AS previous_order,
       avg(total_amount) OVER (PARTITION BY customer_id ORDER BY order_date ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS moving_avg_3,
       rank() OVER (ORDER BY total_amount DESC) AS amount_rank
FROM orders
WHERE status = 'completed'`),
  q('topn', 'top-N per group', `
SELECT region, product, revenue, rnk
FROM (
  SELECT c.region, p.name AS product, sum(oi.quantity * oi.unit_price) AS revenue,
         dense_rank() OVER (PARTITION BY c.region ORDER BY sum(oi.quantity * oi.unit_price) DESC) AS rnk
  FROM order_items oi
  JOIN orders o ON o.id = oi.order_id
  JOIN customers c ON c.id = o.customer_id
  JOIN products p ON p.id = oi.product_id
  GROUP BY c.region, p.name
) ranked
WHERE rnk <= 3
ORDER BY region, rnk`),
  q('subqueries', 'subqueries (EXISTS, IN, scalar)', `
SELECT c.id, c.name, c.segment,
       (SELECT max(o.order_date) FROM orders o WHERE o.customer_id = c.id) AS last_order,
       (SELECT count(*) FROM orders o WHERE o.customer_id = c.id AND o.status = 'returned') AS returns
FROM customers c
WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.order_date >= current_date - 90)
  AND c.id NOT IN (SELECT customer_id FROM orders WHERE status = 'disputed' AND customer_id IS NOT NULL)
  AND c.region IN (SELECT region FROM employees WHERE manager_id IS NULL)
ORDER BY last_order DESC
LIMIT 100`),
  q('case', 'CASE pivot + FILTER', `
SELECT p.category_id,
       sum(CASE WHEN o.channel = 'web' THEN oi.quantity ELSE 0 END) AS web_units,
       sum(CASE WHEN o.channel = 'store' THEN oi.quantity ELSE 0 END) AS store_units,
       sum(CASE WHEN o.channel NOT IN ('web', 'store') THEN oi.quantity ELSE 0 END) AS other_units,
       count(*) FILTER (WHERE oi.discount > 0) AS discounted_lines,
       string_agg(DISTINCT o.channel, ', ' ORDER BY o.channel) AS channels,
       CASE WHEN sum(oi.quantity) > 1000 THEN 'high' WHEN sum(oi.quantity) > 100 THEN 'medium' ELSE 'low' END AS volume_band
FROM order_items oi
JOIN orders o ON o.id = oi.order_id
JOIN products p ON p.id = oi.product_id
GROUP BY p.category_id
ORDER BY p.category_id`),
  q('dates', 'date functions', `
SELECT date_trunc('week', o.order_date)::date AS week, extract(isodow FROM o.order_date) AS weekday,
       to_char(o.order_date, 'YYYY-MM') AS ym, count(*) AS orders,
       avg(extract(epoch FROM (o.shipped_at - o.order_date)) / 3600)::numeric(10,1) AS avg_hours_to_ship,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM (o.shipped_at - o.order_date))) AS p90_seconds_to_ship
FROM orders o
WHERE o.order_date BETWEEN make_date(2024, 1, 1) AND current_date + interval '1 day'
  AND o.shipped_at IS NOT NULL
GROUP BY 1, 2, 3
ORDER BY 1, 2`),
  q('report', 'report (~2,000 chars)', `
WITH params AS (
  SELECT date_trunc('month', current_date) - interval '12 months' AS from_month, date_trunc('month', current_date) AS to_month
), monthly AS (
  SELECT c.region, c.segment, date_trunc('month', o.order_date) AS month,
         count(DISTINCT o.id) AS orders, count(DISTINCT o.customer_id) AS customers,
         sum(oi.quantity * oi.unit_price * (1 - oi.discount)) AS net_revenue,
         sum(oi.quantity * p.list_price) AS list_revenue
  FROM orders o
  JOIN customers c ON c.id = o.customer_id
  JOIN order_items oi ON oi.order_id = o.id
  JOIN products p ON p.id = oi.product_id
  CROSS JOIN params
  WHERE o.order_date >= params.from_month AND o.order_date < params.to_month AND o.status IN ('completed', 'shipped')
  GROUP BY c.region, c.segment, date_trunc('month', o.order_date)
), refund_totals AS (
  SELECT c.region, date_trunc('month', r.refunded_at) AS month, sum(r.amount) AS refunded
  FROM refunds r JOIN orders o ON o.id = r.order_id JOIN customers c ON c.id = o.customer_id
  GROUP BY 1, 2
)
SELECT m.region, m.segment, to_char(m.month, 'YYYY-MM') AS month, m.orders, m.customers,
       round(m.net_revenue, 2) AS net_revenue,
       round(100 * (1 - m.net_revenue / nullif(m.list_revenue, 0)), 1) AS discount_pct,
       round(coalesce(rt.refunded, 0), 2) AS refunded,
       round(m.net_revenue / nullif(m.orders, 0), 2) AS avg_order_value,
       round(100 * (m.net_revenue - lag(m.net_revenue) OVER w) / nullif(lag(m.net_revenue) OVER w, 0), 1) AS mom_growth_pct,
       sum(m.net_revenue) OVER (PARTITION BY m.region, m.segment, date_trunc('year', m.month) ORDER BY m.month) AS ytd_revenue,
       rank() OVER (PARTITION BY m.month ORDER BY m.net_revenue DESC) AS rank_in_month,
       CASE WHEN m.net_revenue >= 100000 THEN 'A' WHEN m.net_revenue >= 25000 THEN 'B' ELSE 'C' END AS tier
FROM monthly m
LEFT JOIN refund_totals rt ON rt.region = m.region AND rt.month = m.month
WINDOW w AS (PARTITION BY m.region, m.segment ORDER BY m.month)
ORDER BY m.region, m.segment, m.month`),
];

/**
 * MySQL 8 and MariaDB share most of their SQL; `mysqlFamily` builds both sets and swaps what differs: JSON access
 * (`->>` in MySQL; MariaDB has JSON_VALUE and no `->>`) and MariaDB's own MEDIAN() window function (MySQL gets
 * PERCENT_RANK() in its place).
 */
function mysqlFamily(flavor) {
  const isMariadb = flavor === 'mariadb';
  const tier = isMariadb ? "JSON_VALUE(c.attributes, '$.tier')" : "c.attributes->>'$.tier'";
  const spread = isMariadb
    ? 'MEDIAN(total_amount) OVER (PARTITION BY customer_id) AS median_amount'
    : 'PERCENT_RANK() OVER (PARTITION BY customer_id ORDER BY total_amount) AS pct_rank';
  return [
    q('point', 'point lookup (?)', 'SELECT * FROM orders WHERE id = ?'),
    q('aggregate', 'GROUP BY + HAVING', `
SELECT c.region, DATE_FORMAT(o.order_date, '%Y-%m') AS month, COUNT(*) AS orders, SUM(o.total_amount) AS revenue,
       ROUND(AVG(o.total_amount), 2) AS avg_order
FROM orders o JOIN customers c ON c.id = o.customer_id
WHERE o.order_date >= NOW() - INTERVAL 12 MONTH AND o.status <> 'cancelled'
GROUP BY c.region, DATE_FORMAT(o.order_date, '%Y-%m')
HAVING SUM(o.total_amount) > 1000
ORDER BY month, revenue DESC`),
    q('join4', 'join of 4 tables', `
SELECT cat.\`name\` AS category, p.\`name\` AS product, SUM(oi.quantity) AS units,
       SUM(oi.quantity * oi.unit_price * (1 - oi.discount)) AS net_revenue
FROM order_items oi
JOIN orders o ON o.id = oi.order_id
JOIN products p ON p.id = oi.product_id
JOIN categories cat ON cat.id = p.category_id
WHERE o.order_date >= '2024-01-01' AND o.order_date < '2025-01-01'
GROUP BY cat.\`name\`, p.\`name\`
ORDER BY net_revenue DESC
LIMIT 20`),
    q('join5', 'join of 5 tables (LEFT)', `
SELECT c.id, c.name, e.name AS account_manager, COUNT(DISTINCT o.id) AS orders,
       IFNULL(SUM(pay.amount), 0) AS paid, IFNULL(SUM(r.amount), 0) AS refunded, MAX(o.order_date) AS last_order
FROM customers c
LEFT JOIN employees e ON e.id = c.account_manager_id
LEFT JOIN orders o ON o.customer_id = c.id
LEFT JOIN payments pay ON pay.order_id = o.id
LEFT JOIN refunds r ON r.order_id = o.id
WHERE c.country = 'DE' AND c.created_at < CURDATE() - INTERVAL 30 DAY
GROUP BY c.id, c.name, e.name
ORDER BY paid DESC`),
    q('cte', 'CTEs (cohorts)', `
WITH first_orders AS (
  SELECT customer_id, DATE(MIN(order_date)) AS first_date FROM orders GROUP BY customer_id
), cohorts AS (
  SELECT f.customer_id, DATE_FORMAT(f.first_date, '%Y-%m-01') AS cohort_month, DATE_FORMAT(o.order_date, '%Y-%m-01') AS order_month
  FROM first_orders f JOIN orders o ON o.customer_id = f.customer_id
)
SELECT cohort_month, TIMESTAMPDIFF(MONTH, cohort_month, order_month) AS months_since,
       COUNT(DISTINCT customer_id) AS active_customers
FROM cohorts
GROUP BY cohort_month, months_since
ORDER BY cohort_month, months_since`),
    q('recursive', 'recursive CTE (category tree)', `
WITH RECURSIVE tree AS (
  SELECT id, name, parent_id, 1 AS depth, CAST(name AS CHAR(1000)) AS path FROM categories WHERE parent_id IS NULL
  UNION ALL
  SELECT c.id, c.name, c.parent_id, t.depth + 1, CONCAT(t.path, ' > ', c.name)
  FROM categories c JOIN tree t ON c.parent_id = t.id
  WHERE t.depth < 10
)
SELECT t.path, t.depth, COUNT(p.id) AS products
FROM tree t LEFT JOIN products p ON p.category_id = t.id
GROUP BY t.path, t.depth
ORDER BY t.path`),
    q('window', 'window functions', `
SELECT customer_id, order_date, total_amount,
       ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY order_date) AS order_seq,
       SUM(total_amount) OVER (PARTITION BY customer_id ORDER BY order_date ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_total,
       LAG(order_date) OVER (PARTITION BY customer_id ORDER BY order_date) AS previous_order,
       AVG(total_amount) OVER (PARTITION BY customer_id ORDER BY order_date ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS moving_avg_3,
       RANK() OVER (ORDER BY total_amount DESC) AS amount_rank,
       ${spread}
FROM orders
WHERE status = 'completed'`),
    q('topn', 'top-N per group', `
SELECT region, product, revenue, rnk
FROM (
  SELECT c.region, p.name AS product, SUM(oi.quantity * oi.unit_price) AS revenue,
         DENSE_RANK() OVER (PARTITION BY c.region ORDER BY SUM(oi.quantity * oi.unit_price) DESC) AS rnk
  FROM order_items oi
  JOIN orders o ON o.id = oi.order_id
  JOIN customers c ON c.id = o.customer_id
  JOIN products p ON p.id = oi.product_id
  GROUP BY c.region, p.name
) ranked
WHERE rnk <= 3
ORDER BY region, rnk`),
    q('subqueries', 'subqueries (EXISTS, IN, scalar)', `
SELECT c.id, c.name, c.segment,
       (SELECT MAX(o.order_date) FROM orders o WHERE o.customer_id = c.id) AS last_order,
       (SELECT COUNT(*) FROM orders o WHERE o.customer_id = c.id AND o.status = 'returned') AS returns
FROM customers c
WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.order_date >= CURDATE() - INTERVAL 90 DAY)
  AND c.id NOT IN (SELECT customer_id FROM orders WHERE status = 'disputed' AND customer_id IS NOT NULL)
  AND c.region IN (SELECT region FROM employees WHERE manager_id IS NULL)
ORDER BY last_order DESC
LIMIT 100`),
    q('case', 'CASE pivot + GROUP_CONCAT', `
SELECT p.category_id,
       SUM(CASE WHEN o.channel = 'web' THEN oi.quantity ELSE 0 END) AS web_units,
       SUM(CASE WHEN o.channel = 'store' THEN oi.quantity ELSE 0 END) AS store_units,
       SUM(CASE WHEN o.channel NOT IN ('web', 'store') THEN oi.quantity ELSE 0 END) AS other_units,
       SUM(oi.discount > 0) AS discounted_lines,
       GROUP_CONCAT(DISTINCT o.channel ORDER BY o.channel SEPARATOR ', ') AS channels,
       CASE WHEN SUM(oi.quantity) > 1000 THEN 'high' WHEN SUM(oi.quantity) > 100 THEN 'medium' ELSE 'low' END AS volume_band
FROM order_items oi
JOIN orders o ON o.id = oi.order_id
JOIN products p ON p.id = oi.product_id
GROUP BY p.category_id
ORDER BY p.category_id`),
    q('dates', 'date functions', `
SELECT YEARWEEK(o.order_date, 3) AS week, DAYOFWEEK(o.order_date) AS weekday, DATE_FORMAT(o.order_date, '%Y-%m') AS ym,
       LAST_DAY(o.order_date) AS month_end, COUNT(*) AS orders,
       ROUND(AVG(TIMESTAMPDIFF(MINUTE, o.order_date, o.shipped_at)) / 60, 1) AS avg_hours_to_ship,
       SUM(DATEDIFF(o.shipped_at, o.order_date) > 2) AS shipped_late
FROM orders o
WHERE o.order_date BETWEEN DATE_SUB(CURDATE(), INTERVAL 1 YEAR) AND CURDATE() + INTERVAL 1 DAY
  AND o.shipped_at IS NOT NULL
GROUP BY week, weekday, ym, month_end
ORDER BY week, weekday`),
    q('report', 'report (~2,000 chars)', `
WITH monthly AS (
  SELECT c.region, ${tier} AS tier, DATE_FORMAT(o.order_date, '%Y-%m-01') AS month,
         COUNT(DISTINCT o.id) AS orders, COUNT(DISTINCT o.customer_id) AS customers,
         SUM(oi.quantity * oi.unit_price * (1 - oi.discount)) AS net_revenue,
         SUM(oi.quantity * p.list_price) AS list_revenue
  FROM orders o
  JOIN customers c ON c.id = o.customer_id
  JOIN order_items oi ON oi.order_id = o.id
  JOIN products p ON p.id = oi.product_id
  WHERE o.order_date >= DATE_FORMAT(CURDATE() - INTERVAL 12 MONTH, '%Y-%m-01')
    AND o.order_date < DATE_FORMAT(CURDATE(), '%Y-%m-01')
    AND o.status IN ('completed', 'shipped')
  GROUP BY c.region, tier, month
), refund_totals AS (
  SELECT c.region, DATE_FORMAT(r.refunded_at, '%Y-%m-01') AS month, SUM(r.amount) AS refunded
  FROM refunds r JOIN orders o ON o.id = r.order_id JOIN customers c ON c.id = o.customer_id
  GROUP BY c.region, month
)
SELECT m.region, IFNULL(m.tier, 'none') AS tier, LEFT(m.month, 7) AS month, m.orders, m.customers,
       ROUND(m.net_revenue, 2) AS net_revenue,
       ROUND(100 * (1 - m.net_revenue / NULLIF(m.list_revenue, 0)), 1) AS discount_pct,
       ROUND(COALESCE(rt.refunded, 0), 2) AS refunded,
       ROUND(m.net_revenue / NULLIF(m.orders, 0), 2) AS avg_order_value,
       ROUND(100 * (m.net_revenue - LAG(m.net_revenue) OVER (PARTITION BY m.region, m.tier ORDER BY m.month))
             / NULLIF(LAG(m.net_revenue) OVER (PARTITION BY m.region, m.tier ORDER BY m.month), 0), 1) AS mom_growth_pct,
       SUM(m.net_revenue) OVER (PARTITION BY m.region, m.tier, YEAR(m.month) ORDER BY m.month) AS ytd_revenue,
       RANK() OVER (PARTITION BY m.month ORDER BY m.net_revenue DESC) AS rank_in_month,
       CASE WHEN m.net_revenue >= 100000 THEN 'A' WHEN m.net_revenue >= 25000 THEN 'B' ELSE 'C' END AS band
FROM monthly m
LEFT JOIN refund_totals rt ON rt.region = m.region AND rt.month = m.month
ORDER BY m.region, tier, m.month`),
  ];
}

/** @type {GateQuery[]} */
const MSSQL = [
  q('point', 'point lookup (@p1)', 'SELECT * FROM dbo.orders WHERE id = @p1'),
  q('aggregate', 'GROUP BY + HAVING', `
SELECT c.region, DATEFROMPARTS(YEAR(o.order_date), MONTH(o.order_date), 1) AS [month], COUNT(*) AS orders,
       SUM(o.total_amount) AS revenue, CAST(AVG(o.total_amount) AS decimal(12, 2)) AS avg_order
FROM dbo.orders AS o JOIN dbo.customers AS c ON c.id = o.customer_id
WHERE o.order_date >= DATEADD(month, -12, GETDATE()) AND o.status <> 'cancelled'
GROUP BY c.region, DATEFROMPARTS(YEAR(o.order_date), MONTH(o.order_date), 1)
HAVING SUM(o.total_amount) > 1000
ORDER BY [month], revenue DESC`),
  q('join4', 'join of 4 tables (TOP, NOLOCK)', `
SELECT TOP (20) cat.[name] AS category, p.[name] AS product, SUM(oi.quantity) AS units,
       SUM(oi.quantity * oi.unit_price * (1 - oi.discount)) AS net_revenue
FROM dbo.order_items AS oi WITH (NOLOCK)
JOIN dbo.orders AS o WITH (NOLOCK) ON o.id = oi.order_id
JOIN dbo.products AS p ON p.id = oi.product_id
JOIN dbo.categories AS cat ON cat.id = p.category_id
WHERE o.order_date >= '20240101' AND o.order_date < '20250101'
GROUP BY cat.[name], p.[name]
ORDER BY net_revenue DESC`),
  q('join5', 'join of 5 tables (LEFT)', `
SELECT c.id, c.name, e.name AS account_manager, COUNT(DISTINCT o.id) AS orders,
       ISNULL(SUM(pay.amount), 0) AS paid, ISNULL(SUM(r.amount), 0) AS refunded, MAX(o.order_date) AS last_order
FROM dbo.customers AS c
LEFT JOIN dbo.employees AS e ON e.id = c.account_manager_id
LEFT JOIN dbo.orders AS o ON o.customer_id = c.id
LEFT JOIN dbo.payments AS pay ON pay.order_id = o.id
LEFT JOIN dbo.refunds AS r ON r.order_id = o.id
WHERE c.country = N'DE' AND c.created_at < DATEADD(day, -30, CAST(GETDATE() AS date))
GROUP BY c.id, c.name, e.name
ORDER BY paid DESC`),
  q('cte', 'CTEs (cohorts)', `
WITH first_orders AS (
  SELECT customer_id, CAST(MIN(order_date) AS date) AS first_date FROM dbo.orders GROUP BY customer_id
), cohorts AS (
  SELECT f.customer_id, DATEFROMPARTS(YEAR(f.first_date), MONTH(f.first_date), 1) AS cohort_month,
         DATEFROMPARTS(YEAR(o.order_date), MONTH(o.order_date), 1) AS order_month
  FROM first_orders AS f JOIN dbo.orders AS o ON o.customer_id = f.customer_id
)
SELECT cohort_month, DATEDIFF(month, cohort_month, order_month) AS months_since,
       COUNT(DISTINCT customer_id) AS active_customers
FROM cohorts
GROUP BY cohort_month, DATEDIFF(month, cohort_month, order_month)
ORDER BY cohort_month, months_since`),
  q('recursive', 'recursive CTE (category tree)', `
WITH tree AS (
  SELECT id, name, parent_id, 1 AS depth, CAST(name AS nvarchar(1000)) AS path FROM dbo.categories WHERE parent_id IS NULL
  UNION ALL
  SELECT c.id, c.name, c.parent_id, t.depth + 1, CAST(t.path + N' > ' + c.name AS nvarchar(1000))
  FROM dbo.categories AS c JOIN tree AS t ON c.parent_id = t.id
  WHERE t.depth < 10
)
SELECT t.path, t.depth, COUNT(p.id) AS products
FROM tree AS t LEFT JOIN dbo.products AS p ON p.category_id = t.id
GROUP BY t.path, t.depth
ORDER BY t.path
OPTION (MAXRECURSION 100)`),
  q('window', 'window functions', `
SELECT customer_id, order_date, total_amount,
       ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY order_date) AS order_seq,
       SUM(total_amount) OVER (PARTITION BY customer_id ORDER BY order_date ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_total,
       LAG(order_date) OVER (PARTITION BY customer_id ORDER BY order_date) AS previous_order,
       AVG(total_amount) OVER (PARTITION BY customer_id ORDER BY order_date ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS moving_avg_3,
       RANK() OVER (ORDER BY total_amount DESC) AS amount_rank
FROM dbo.orders
WHERE status = 'completed'`),
  q('topn', 'top-N per group', `
SELECT region, product, revenue, rnk
FROM (
  SELECT c.region, p.name AS product, SUM(oi.quantity * oi.unit_price) AS revenue,
         DENSE_RANK() OVER (PARTITION BY c.region ORDER BY SUM(oi.quantity * oi.unit_price) DESC) AS rnk
  FROM dbo.order_items AS oi
  JOIN dbo.orders AS o ON o.id = oi.order_id
  JOIN dbo.customers AS c ON c.id = o.customer_id
  JOIN dbo.products AS p ON p.id = oi.product_id
  GROUP BY c.region, p.name
) AS ranked
WHERE rnk <= 3
ORDER BY region, rnk`),
  q('subqueries', 'subqueries (EXISTS, IN, scalar)', `
SELECT c.id, c.name, c.segment,
       (SELECT MAX(o.order_date) FROM dbo.orders AS o WHERE o.customer_id = c.id) AS last_order,
       (SELECT COUNT(*) FROM dbo.orders AS o WHERE o.customer_id = c.id AND o.status = 'returned') AS returns
FROM dbo.customers AS c
WHERE EXISTS (SELECT 1 FROM dbo.orders AS o WHERE o.customer_id = c.id AND o.order_date >= DATEADD(day, -90, CAST(GETDATE() AS date)))
  AND c.id NOT IN (SELECT customer_id FROM dbo.orders WHERE status = 'disputed' AND customer_id IS NOT NULL)
  AND c.region IN (SELECT region FROM dbo.employees WHERE manager_id IS NULL)
ORDER BY last_order DESC
OFFSET 0 ROWS FETCH NEXT 100 ROWS ONLY`),
  q('case', 'CASE pivot + IIF + STRING_AGG', `
SELECT p.category_id,
       SUM(CASE WHEN o.channel = 'web' THEN oi.quantity ELSE 0 END) AS web_units,
       SUM(CASE WHEN o.channel = 'store' THEN oi.quantity ELSE 0 END) AS store_units,
       SUM(CASE WHEN o.channel NOT IN ('web', 'store') THEN oi.quantity ELSE 0 END) AS other_units,
       SUM(IIF(oi.discount > 0, 1, 0)) AS discounted_lines,
       STRING_AGG(CAST(o.channel AS nvarchar(max)), N', ') WITHIN GROUP (ORDER BY o.channel) AS channels,
       CASE WHEN SUM(oi.quantity) > 1000 THEN 'high' WHEN SUM(oi.quantity) > 100 THEN 'medium' ELSE 'low' END AS volume_band
FROM dbo.order_items AS oi
JOIN dbo.orders AS o ON o.id = oi.order_id
JOIN dbo.products AS p ON p.id = oi.product_id
GROUP BY p.category_id
ORDER BY p.category_id`),
  q('dates', 'date functions', `
SELECT DATEPART(iso_week, o.order_date) AS iso_week, DATENAME(weekday, o.order_date) AS weekday,
       FORMAT(o.order_date, 'yyyy-MM') AS ym, EOMONTH(o.order_date) AS month_end, COUNT(*) AS orders,
       CAST(AVG(DATEDIFF(minute, o.order_date, o.shipped_at) / 60.0) AS decimal(10, 1)) AS avg_hours_to_ship,
       SUM(CASE WHEN DATEDIFF(day, o.order_date, o.shipped_at) > 2 THEN 1 ELSE 0 END) AS shipped_late
FROM dbo.orders AS o
WHERE o.order_date BETWEEN DATEADD(year, -1, CONVERT(date, GETDATE())) AND DATEADD(day, 1, CONVERT(date, GETDATE()))
  AND o.shipped_at IS NOT NULL
GROUP BY DATEPART(iso_week, o.order_date), DATENAME(weekday, o.order_date), FORMAT(o.order_date, 'yyyy-MM'), EOMONTH(o.order_date)
ORDER BY iso_week, weekday`),
  q('report', 'report (~2,000 chars)', `
WITH monthly AS (
  SELECT c.region, c.segment, DATEFROMPARTS(YEAR(o.order_date), MONTH(o.order_date), 1) AS [month],
         COUNT(DISTINCT o.id) AS orders, COUNT(DISTINCT o.customer_id) AS customers,
         SUM(oi.quantity * oi.unit_price * (1 - oi.discount)) AS net_revenue,
         SUM(oi.quantity * p.list_price) AS list_revenue
  FROM dbo.orders AS o
  JOIN dbo.customers AS c ON c.id = o.customer_id
  JOIN dbo.order_items AS oi ON oi.order_id = o.id
  JOIN dbo.products AS p ON p.id = oi.product_id
  WHERE o.order_date >= DATEADD(month, DATEDIFF(month, 0, GETDATE()) - 12, 0)
    AND o.order_date < DATEADD(month, DATEDIFF(month, 0, GETDATE()), 0)
    AND o.status IN ('completed', 'shipped')
  GROUP BY c.region, c.segment, DATEFROMPARTS(YEAR(o.order_date), MONTH(o.order_date), 1)
), refund_totals AS (
  SELECT c.region, DATEFROMPARTS(YEAR(r.refunded_at), MONTH(r.refunded_at), 1) AS [month], SUM(r.amount) AS refunded
  FROM dbo.refunds AS r JOIN dbo.orders AS o ON o.id = r.order_id JOIN dbo.customers AS c ON c.id = o.customer_id
  GROUP BY c.region, DATEFROMPARTS(YEAR(r.refunded_at), MONTH(r.refunded_at), 1)
)
SELECT m.region, m.segment, FORMAT(m.[month], 'yyyy-MM') AS [month], m.orders, m.customers,
       ROUND(m.net_revenue, 2) AS net_revenue,
       ROUND(100 * (1 - m.net_revenue / NULLIF(m.list_revenue, 0)), 1) AS discount_pct,
       ROUND(ISNULL(rt.refunded, 0), 2) AS refunded,
       ROUND(m.net_revenue / NULLIF(m.orders, 0), 2) AS avg_order_value,
       ROUND(100 * (m.net_revenue - LAG(m.net_revenue) OVER (PARTITION BY m.region, m.segment ORDER BY m.[month]))
             / NULLIF(LAG(m.net_revenue) OVER (PARTITION BY m.region, m.segment ORDER BY m.[month]), 0), 1) AS mom_growth_pct,
       SUM(m.net_revenue) OVER (PARTITION BY m.region, m.segment, YEAR(m.[month]) ORDER BY m.[month]) AS ytd_revenue,
       RANK() OVER (PARTITION BY m.[month] ORDER BY m.net_revenue DESC) AS rank_in_month,
       CASE WHEN m.net_revenue >= 100000 THEN 'A' WHEN m.net_revenue >= 25000 THEN 'B' ELSE 'C' END AS tier
FROM monthly AS m
LEFT JOIN refund_totals AS rt ON rt.region = m.region AND rt.[month] = m.[month]
ORDER BY m.region, m.segment, m.[month]`),
];

/** @type {GateQuery[]} */
const SQLITE = [
  q('point', 'point lookup (?)', 'SELECT * FROM orders WHERE id = ?'),
  q('aggregate', 'GROUP BY + HAVING', `
SELECT c.region, strftime('%Y-%m', o.order_date) AS month, count(*) AS orders, sum(o.total_amount) AS revenue,
       round(avg(o.total_amount), 2) AS avg_order
FROM orders o JOIN customers c ON c.id = o.customer_id
WHERE o.order_date >= date('now', '-12 months') AND o.status <> 'cancelled'
GROUP BY c.region, strftime('%Y-%m', o.order_date)
HAVING sum(o.total_amount) > 1000
ORDER BY month, revenue DESC`),
  q('join4', 'join of 4 tables', `
SELECT cat.name AS category, p.name AS product, sum(oi.quantity) AS units,
       sum(oi.quantity * oi.unit_price * (1 - oi.discount)) AS net_revenue
FROM order_items oi
JOIN orders o ON o.id = oi.order_id
JOIN products p ON p.id = oi.product_id
JOIN categories cat ON cat.id = p.category_id
WHERE o.order_date >= '2024-01-01' AND o.order_date < '2025-01-01'
GROUP BY cat.name, p.name
ORDER BY net_revenue DESC
LIMIT 20`),
  q('join5', 'join of 5 tables (LEFT)', `
SELECT c.id, c.name, e.name AS account_manager, count(DISTINCT o.id) AS orders,
       ifnull(sum(pay.amount), 0) AS paid, ifnull(sum(r.amount), 0) AS refunded, max(o.order_date) AS last_order
FROM customers c
LEFT JOIN employees e ON e.id = c.account_manager_id
LEFT JOIN orders o ON o.customer_id = c.id
LEFT JOIN payments pay ON pay.order_id = o.id
LEFT JOIN refunds r ON r.order_id = o.id
WHERE c.country = 'DE' AND c.created_at < date('now', '-30 days')
GROUP BY c.id, c.name, e.name
ORDER BY paid DESC`),
  q('cte', 'CTEs (cohorts)', `
WITH first_orders AS (
  SELECT customer_id, date(min(order_date)) AS first_date FROM orders GROUP BY customer_id
), cohorts AS (
  SELECT f.customer_id, date(f.first_date, 'start of month') AS cohort_month, date(o.order_date, 'start of month') AS order_month
  FROM first_orders f JOIN orders o ON o.customer_id = f.customer_id
)
SELECT cohort_month,
       (CAST(strftime('%Y', order_month) AS integer) - CAST(strftime('%Y', cohort_month) AS integer)) * 12
         + CAST(strftime('%m', order_month) AS integer) - CAST(strftime('%m', cohort_month) AS integer) AS months_since,
       count(DISTINCT customer_id) AS active_customers
FROM cohorts
GROUP BY 1, 2
ORDER BY 1, 2`),
  q('recursive', 'recursive CTE (category tree)', `
WITH RECURSIVE tree AS (
  SELECT id, name, parent_id, 1 AS depth, name AS path FROM categories WHERE parent_id IS NULL
  UNION ALL
  SELECT c.id, c.name, c.parent_id, t.depth + 1, t.path || ' > ' || c.name
  FROM categories c JOIN tree t ON c.parent_id = t.id
  WHERE t.depth < 10
)
SELECT t.path, t.depth, count(p.id) AS products
FROM tree t LEFT JOIN products p ON p.category_id = t.id
GROUP BY t.path, t.depth
ORDER BY t.path`),
  q('window', 'window functions', `
SELECT customer_id, order_date, total_amount,
       row_number() OVER (PARTITION BY customer_id ORDER BY order_date) AS order_seq,
       sum(total_amount) OVER (PARTITION BY customer_id ORDER BY order_date ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_total,
       lag(order_date) OVER (PARTITION BY customer_id ORDER BY order_date) AS previous_order,
       avg(total_amount) OVER (PARTITION BY customer_id ORDER BY order_date ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS moving_avg_3,
       rank() OVER (ORDER BY total_amount DESC) AS amount_rank
FROM orders
WHERE status = 'completed'`),
  q('topn', 'top-N per group', `
SELECT region, product, revenue, rnk
FROM (
  SELECT c.region, p.name AS product, sum(oi.quantity * oi.unit_price) AS revenue,
         dense_rank() OVER (PARTITION BY c.region ORDER BY sum(oi.quantity * oi.unit_price) DESC) AS rnk
  FROM order_items oi
  JOIN orders o ON o.id = oi.order_id
  JOIN customers c ON c.id = o.customer_id
  JOIN products p ON p.id = oi.product_id
  GROUP BY c.region, p.name
) ranked
WHERE rnk <= 3
ORDER BY region, rnk`),
  q('subqueries', 'subqueries (EXISTS, IN, scalar)', `
SELECT c.id, c.name, c.segment,
       (SELECT max(o.order_date) FROM orders o WHERE o.customer_id = c.id) AS last_order,
       (SELECT count(*) FROM orders o WHERE o.customer_id = c.id AND o.status = 'returned') AS returns
FROM customers c
WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.order_date >= date('now', '-90 days'))
  AND c.id NOT IN (SELECT customer_id FROM orders WHERE status = 'disputed' AND customer_id IS NOT NULL)
  AND c.region IN (SELECT region FROM employees WHERE manager_id IS NULL)
ORDER BY last_order DESC
LIMIT 100`),
  q('case', 'CASE pivot + FILTER', `
SELECT p.category_id,
       sum(CASE WHEN o.channel = 'web' THEN oi.quantity ELSE 0 END) AS web_units,
       sum(CASE WHEN o.channel = 'store' THEN oi.quantity ELSE 0 END) AS store_units,
       sum(CASE WHEN o.channel NOT IN ('web', 'store') THEN oi.quantity ELSE 0 END) AS other_units,
       count(*) FILTER (WHERE oi.discount > 0) AS discounted_lines,
       group_concat(DISTINCT o.channel) AS channels,
       CASE WHEN sum(oi.quantity) > 1000 THEN 'high' WHEN sum(oi.quantity) > 100 THEN 'medium' ELSE 'low' END AS volume_band
FROM order_items oi
JOIN orders o ON o.id = oi.order_id
JOIN products p ON p.id = oi.product_id
GROUP BY p.category_id
ORDER BY p.category_id`),
  q('dates', 'date functions', `
SELECT strftime('%Y-%W', o.order_date) AS week, strftime('%w', o.order_date) AS weekday,
       strftime('%Y-%m', o.order_date) AS ym, date(o.order_date, 'start of month', '+1 month', '-1 day') AS month_end,
       count(*) AS orders,
       round(avg((julianday(o.shipped_at) - julianday(o.order_date)) * 24), 1) AS avg_hours_to_ship,
       sum(julianday(o.shipped_at) - julianday(o.order_date) > 2) AS shipped_late
FROM orders o
WHERE o.order_date BETWEEN date('now', '-1 year') AND date('now', '+1 day')
  AND o.shipped_at IS NOT NULL
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2`),
  q('report', 'report (~2,000 chars)', `
WITH monthly AS (
  SELECT c.region, c.segment, strftime('%Y-%m', o.order_date) AS month,
         count(DISTINCT o.id) AS orders, count(DISTINCT o.customer_id) AS customers,
         sum(oi.quantity * oi.unit_price * (1 - oi.discount)) AS net_revenue,
         sum(oi.quantity * p.list_price) AS list_revenue
  FROM orders o
  JOIN customers c ON c.id = o.customer_id
  JOIN order_items oi ON oi.order_id = o.id
  JOIN products p ON p.id = oi.product_id
  WHERE o.order_date >= date('now', 'start of month', '-12 months')
    AND o.order_date < date('now', 'start of month')
    AND o.status IN ('completed', 'shipped')
  GROUP BY c.region, c.segment, strftime('%Y-%m', o.order_date)
), refund_totals AS (
  SELECT c.region, strftime('%Y-%m', r.refunded_at) AS month, sum(r.amount) AS refunded
  FROM refunds r JOIN orders o ON o.id = r.order_id JOIN customers c ON c.id = o.customer_id
  GROUP BY c.region, strftime('%Y-%m', r.refunded_at)
)
SELECT m.region, m.segment, m.month, m.orders, m.customers,
       round(m.net_revenue, 2) AS net_revenue,
       round(100 * (1 - m.net_revenue / nullif(m.list_revenue, 0)), 1) AS discount_pct,
       round(coalesce(rt.refunded, 0), 2) AS refunded,
       round(m.net_revenue / nullif(m.orders, 0), 2) AS avg_order_value,
       round(100 * (m.net_revenue - lag(m.net_revenue) OVER (PARTITION BY m.region, m.segment ORDER BY m.month))
             / nullif(lag(m.net_revenue) OVER (PARTITION BY m.region, m.segment ORDER BY m.month), 0), 1) AS mom_growth_pct,
       sum(m.net_revenue) OVER (PARTITION BY m.region, m.segment, substr(m.month, 1, 4) ORDER BY m.month) AS ytd_revenue,
       rank() OVER (PARTITION BY m.month ORDER BY m.net_revenue DESC) AS rank_in_month,
       CASE WHEN m.net_revenue >= 100000 THEN 'A' WHEN m.net_revenue >= 25000 THEN 'B' ELSE 'C' END AS tier
FROM monthly m
LEFT JOIN refund_totals rt ON rt.region = m.region AND rt.month = m.month
ORDER BY m.region, m.segment, m.month`),
];

/**
 * The dialects in report order. `create(dist)` loads the rules from dist/guard/rules/*.js (dist is the compiled
 * build's root as a file: URL); each resolves to `{ classify(sql, { allowedFunctions }) }`.
 */
export const GATE_DIALECTS = [
  { key: 'postgres', title: 'PostgreSQL', module: 'postgres-rules.js', create: (m) => m.createPostgresRules(), queries: POSTGRES },
  { key: 'mysql', title: 'MySQL', module: 'mysql-rules.js', create: (m) => m.createMysqlRules({ flavor: 'mysql' }), queries: mysqlFamily('mysql') },
  { key: 'mariadb', title: 'MariaDB', module: 'mysql-rules.js', create: (m) => m.createMysqlRules({ flavor: 'mariadb' }), queries: mysqlFamily('mariadb') },
  { key: 'mssql', title: 'SQL Server', module: 'mssql-rules.js', create: (m) => m.createMssqlRules(), queries: MSSQL },
  { key: 'sqlite', title: 'SQLite', module: 'sqlite-rules.js', create: (m) => m.createSqliteRules(), queries: SQLITE },
];
