/**
 * The statements of the PostgreSQL leak corpus (postgres-leak-corpus.test.ts): each tries to read a denied or
 * masked value of the shop (postgres-shop.ts), or to store, change or return one through a write. Most must be
 * refused by the table/column policy; the few that something else holds say what.
 *
 * Statements marked `leaked before:` were answered with a canary (or with an ordering that reveals one) until the
 * fix they name; they stay here so that each fix has a test that fails without it.
 */

/** Leak attempts the table/column policy must refuse. */
export const REFUSED_BY_POLICY: readonly string[] = [
  // ---- denied tables and columns, named every way ----
  'SELECT ssn FROM customers',
  'SELECT c.ssn AS x FROM customers AS c',
  'SELECT "ssn" FROM "customers"',
  'SELECT SSN FROM Customers',
  'SELECT public.customers.ssn FROM public.customers',
  'SELECT ssn FROM ONLY customers',
  'SELECT name, ssn FROM vip_customers',
  'SELECT amount FROM payroll',
  'SELECT * FROM "payroll"',
  'SELECT note FROM public.payroll_2024',
  'SELECT amount FROM ONLY payroll',
  'SELECT name FROM hr.employees',
  'SELECT "name" FROM "hr"."employees"',
  'SELECT count(*) FROM hr.employees',
  'SELECT password_hash FROM users',
  'SELECT u.login, u.password_hash FROM public.users u',
  'SELECT U&"\\0073sn" FROM customers',
  'SELECT/**/ssn/**/FROM/**/customers',
  'SELECT ssn -- a comment\nFROM customers /* nested /* comment */ still */',
  'SELECT\n\t ssn\n  FROM\n\n customers   ',
  // leaked before: a table alias with column names renamed customers.email and .ssn (postgres-expr-shape.ts tableOf)
  'SELECT e FROM customers c(i, n, e)',
  'SELECT a.s FROM customers AS a(i, n, e, p, s) WHERE a.i = 1',
  'SELECT c.e FROM customers AS c(i, n, e) TABLESAMPLE SYSTEM (100)',

  // ---- *, t.*, whole rows ----
  'SELECT * FROM customers',
  'SELECT c.* FROM customers c',
  'TABLE customers',
  'TABLE payroll',
  'SELECT * FROM users',
  'SELECT * FROM vip_customers',
  'SELECT row_to_json(c) FROM customers c',
  'SELECT to_jsonb(c) FROM customers c',
  'SELECT c FROM customers c',
  'SELECT customers FROM customers',
  'SELECT (c).ssn FROM customers c',
  'SELECT row(c.*) FROM customers c',
  'SELECT json_agg(c) FROM customers c',
  'SELECT jsonb_agg(u) FROM users u',
  'SELECT name(c) FROM customers c',
  'SELECT c::text FROM customers c',
  'SELECT count(*) FROM customers c WHERE c IS NOT NULL',
  'SELECT id FROM customers ORDER BY customers',
  "SELECT jsonb_path_query(to_jsonb(c), '$.ssn') FROM customers c",
  'SELECT * FROM customers c, jsonb_each_text(to_jsonb(c)) kv',
  'SELECT * FROM orders NATURAL JOIN customers',
  'SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id',
  "SELECT (json_populate_record(c, '{}')).ssn FROM customers c",
  'SELECT * FROM jsonb_to_record((SELECT to_jsonb(c) FROM customers c LIMIT 1)) AS x(ssn text)',
  'SELECT * FROM json_each_text((SELECT row_to_json(u) FROM users u))',
  'SELECT s FROM (SELECT email FROM customers) s',

  // ---- subqueries ----
  'SELECT (SELECT ssn FROM customers LIMIT 1)',
  "SELECT id FROM customers WHERE EXISTS (SELECT 1 FROM customers d WHERE d.ssn LIKE 'SSN%')",
  'SELECT id FROM customers WHERE ssn IN (SELECT ssn FROM customers)',
  "SELECT id FROM customers WHERE 'x' = ANY (SELECT ssn FROM customers)",
  'SELECT ARRAY(SELECT ssn FROM customers)',
  'SELECT (SELECT email FROM customers LIMIT 1)',
  'SELECT email FROM customers c WHERE EXISTS (SELECT c.email)',
  'SELECT 1 FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.status = c.email)',
  "SELECT email FROM customers WHERE id = (SELECT id FROM customers WHERE email LIKE 'zq-b%')",
  'SELECT o.id FROM orders o WHERE o.customer_id IN (SELECT customer_id FROM payroll)',
  'SELECT EXISTS (SELECT 1 FROM payroll WHERE amount > 700000)',

  // ---- CTEs, recursive ones, name shadowing ----
  'WITH x AS (SELECT ssn FROM customers) SELECT * FROM x',
  'WITH c AS (SELECT email FROM customers) SELECT upper(email) FROM c',
  'WITH RECURSIVE r(n, s) AS (SELECT 1, ssn FROM customers UNION ALL SELECT n + 1, s FROM r WHERE n < 2) SELECT s FROM r',
  'WITH RECURSIVE r(e, n) AS (SELECT email, 1 FROM customers UNION ALL SELECT substr(e, 2), n + 1 FROM r WHERE n < 30) SELECT e FROM r',
  // leaked before: the recursive branch computed on what the previous round selected plainly (recursive-ctes.ts)
  "WITH RECURSIVE r(a, b, n) AS (SELECT 'x'::text, 'y'::text, 0 UNION ALL SELECT c.email, upper(r.a), r.n + 1 FROM r, customers c WHERE r.n < 2 AND c.id = 1) SELECT b FROM r",
  // leaked before: the same, one column further each round: c holds the email from the third round on
  "WITH RECURSIVE r(a, b, c, n) AS (SELECT ''::text, ''::text, ''::text, 0 UNION ALL SELECT cu.email, r.a, r.b, r.n + 1 FROM r, customers cu WHERE r.n < 3 AND cu.id = 1) SELECT upper(c) FROM r",
  // leaked before: in WITH RECURSIVE, a names the later x, not the outer one (recursive-ctes.ts)
  "WITH x AS (SELECT 'clean' AS e) SELECT u FROM (WITH RECURSIVE a AS (SELECT upper(e) AS u FROM x), x AS (SELECT email AS e FROM customers) SELECT u FROM a) s",
  'WITH payroll AS (SELECT 1 AS amount) SELECT (SELECT amount FROM public.payroll LIMIT 1)',
  'SELECT (WITH customers AS (SELECT 1 AS id) SELECT count(*) FROM customers), (SELECT ssn FROM customers LIMIT 1)',
  'WITH customers AS (SELECT ssn FROM customers) SELECT ssn FROM customers',

  // ---- derived tables, LATERAL, joins ----
  'SELECT x FROM (SELECT ssn FROM customers) AS d(x)',
  'SELECT l.s FROM customers c, LATERAL (SELECT c.ssn AS s) l',
  'SELECT o.id, c.ssn FROM orders o JOIN customers c ON c.id = o.customer_id',
  "SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id AND c.email LIKE 'zq-a%'",
  'SELECT c.id FROM customers c JOIN customers d USING (email)',
  "SELECT c.name FROM customers c JOIN (VALUES ('zq-a')) v(e) ON v.e = c.email",
  "SELECT s.name FROM (SELECT email, name FROM customers) s(name, email) WHERE s.name LIKE 'zq%'",
  'SELECT d.e FROM (SELECT email AS e, name FROM customers) d ORDER BY d.e',
  'SELECT v.x FROM customers c, LATERAL (VALUES (c.email)) v(x)',
  // leaked before: masks placed by position after a * sqlgate cannot count or order (policy-refusal.ts
  // refuseUnplacedMasks; check-statement.ts: SELECT * over JOIN … USING)
  'SELECT s.b FROM (SELECT f.*, c.email FROM customers c, generate_series(1, 1) f) s(a, b)',
  'WITH s(a, b) AS (SELECT f.*, c.email FROM customers c, generate_series(1, 1) f) SELECT b FROM s',
  "SELECT u.b FROM (SELECT f.*, 'x' FROM generate_series(1, 1) f UNION ALL SELECT 1, email FROM customers) u(a, b)",
  "SELECT u.status FROM (SELECT * FROM orders JOIN (SELECT 'shipped' AS status) x USING (status) UNION ALL SELECT email, 1, 1, 1, now() FROM customers) u",
  // An ordering oracle: no canary in the answer, but 'row' or 'probe' tells whether an email sorts before 'zq-b'.
  "SELECT t.k FROM (SELECT f.*, x.e, x.k FROM (SELECT email AS e, 'row' AS k FROM customers UNION ALL SELECT 'zq-b', 'probe') x, generate_series(1, 1) f ORDER BY 2 LIMIT 1) t",

  // ---- functions over denied and masked columns ----
  'SELECT upper(ssn) FROM customers',
  'SELECT substr(email, 1, 5) FROM customers',
  'SELECT length(email) FROM customers',
  'SELECT md5(email) FROM customers',
  "SELECT encode(convert_to(phone, 'UTF8'), 'base64') FROM customers",
  'SELECT email::text FROM customers',
  "SELECT string_agg(email, ',') FROM customers",
  'SELECT array_agg(phone) FROM customers',
  'SELECT count(DISTINCT email) FROM customers',
  'SELECT min(email), max(phone) FROM customers',
  "SELECT COALESCE(email, '') FROM customers",
  'SELECT email COLLATE "C" FROM customers',
  "SELECT format('%s', email) FROM customers",
  "SELECT email || '' FROM customers",
  'SELECT json_object_agg(name, email) FROM customers',
  "SELECT jsonb_build_object('e', email) ->> 'e' FROM customers",
  'SELECT xmlelement(name x, email) FROM customers',
  'SELECT to_tsvector(email) FROM customers',
  'SELECT pg_column_size(ssn) FROM customers',
  'SELECT num_nonnulls(ssn) FROM customers',
  'SELECT ROW(name, email) FROM customers',

  // ---- predicates on masked columns, error-message tricks ----
  "SELECT name FROM customers WHERE email LIKE 'zq-a%'",
  "SELECT name FROM customers WHERE email = 'zq-a'",
  "SELECT name FROM customers WHERE email BETWEEN 'a' AND 'zr'",
  "SELECT name FROM customers WHERE email IN ('a@b.test')",
  "SELECT name FROM customers WHERE email ~ '^zq-a'",
  "SELECT CASE WHEN email LIKE 'zq-a%' THEN 1 ELSE 0 END FROM customers",
  'SELECT id FROM customers WHERE ssn IS NULL',
  "SELECT name FROM customers WHERE (id, email) > (1, 'a')",
  "SELECT count(*) FILTER (WHERE email LIKE 'zq-a%') FROM customers",
  "SELECT name FROM customers LIMIT (SELECT count(*) FROM customers WHERE phone LIKE '+1%')",
  "SELECT 1 / (CASE WHEN email LIKE 'zq-a%' THEN 0 ELSE 1 END) FROM customers",
  'SELECT email::int FROM customers',
  'SELECT ssn::int FROM customers',
  'SELECT CAST(phone AS numeric) FROM customers',

  // ---- ORDER BY, GROUP BY, HAVING, DISTINCT, windows ----
  'SELECT name FROM customers ORDER BY email',
  'SELECT email AS e FROM customers ORDER BY e',
  'SELECT email FROM customers ORDER BY 1',
  'SELECT email, count(*) FROM customers GROUP BY email',
  'SELECT email FROM customers GROUP BY 1',
  'SELECT email FROM customers GROUP BY ROLLUP (email)',
  "SELECT region FROM customers GROUP BY region HAVING max(email) > 'zq-a'",
  "SELECT string_agg(name, ',' ORDER BY email) FROM customers",
  'SELECT DISTINCT email FROM customers',
  'SELECT DISTINCT ON (email) name FROM customers',
  'SELECT name, row_number() OVER (ORDER BY email) FROM customers',
  'SELECT name, rank() OVER (PARTITION BY phone) FROM customers',
  'SELECT name, count(*) OVER w FROM customers WINDOW w AS (PARTITION BY email)',
  'SELECT lag(email) OVER (ORDER BY id) FROM customers',
  'SELECT first_value(phone) OVER () FROM customers',

  // ---- set operations ----
  "SELECT email FROM customers UNION SELECT 'x'",
  "SELECT email FROM customers INTERSECT SELECT 'zq-a'",
  "SELECT email FROM customers EXCEPT SELECT 'x'",
  'SELECT x FROM (SELECT email FROM customers INTERSECT ALL SELECT email FROM customers) AS t(x)',
  'SELECT n FROM (SELECT name AS n FROM customers UNION ALL SELECT email AS n FROM customers) u ORDER BY n',
  'SELECT email FROM customers UNION ALL SELECT name FROM customers ORDER BY 1',
  "SELECT DISTINCT e FROM (SELECT email AS e FROM customers UNION ALL SELECT 'x') s",

  // ---- VALUES and generate_series ----
  'SELECT g FROM customers c, generate_series(1, length(c.email)) g',
  'SELECT substr(c.email, g, 1) FROM customers c, generate_series(1, 30) g',
  'SELECT chr(g) FROM generate_series(32, 126) g WHERE EXISTS (SELECT 1 FROM customers WHERE position(chr(g) IN ssn) > 0)',
  'SELECT * FROM (VALUES (1)) v(x) WHERE x IN (SELECT length(email) FROM customers)',
  'VALUES ((SELECT ssn FROM customers LIMIT 1))',
  'SELECT * FROM unnest(ARRAY[(SELECT email FROM customers LIMIT 1)])',
  'SELECT * FROM unnest((SELECT array_agg(phone) FROM customers))',

  // ---- statistics catalogs (samples of column values) ----
  "SELECT * FROM pg_stats WHERE tablename = 'customers'",
  'SELECT most_common_vals::text FROM pg_catalog.pg_stats',
  'SELECT * FROM pg_statistic',
  'SELECT * FROM pg_stats_ext',
  'SELECT * FROM pg_stats_ext_exprs',
  'SELECT * FROM pg_catalog.pg_statistic_ext_data',

  // ---- views, materialized views ----
  'SELECT * FROM v_customer_ssn',
  'SELECT id FROM v_customer_ssn',
  'SELECT * FROM v_payroll_report',
  'SELECT count(*) FROM v_payroll_base',
  'SELECT email FROM mv_customer_emails',
  // leaked before: a view reaching payroll through a function (policy-catalog.ts: view definitions pass the gate)
  'SELECT * FROM v_payroll_total',
  // leaked before: a view over pg_stats (check-statement.ts: views reaching statistics relations)
  'SELECT * FROM v_column_stats',

  // ---- EXPLAIN ----
  'EXPLAIN SELECT ssn FROM customers',
  "EXPLAIN ANALYZE SELECT email FROM customers WHERE email LIKE 'zq%'",
  'EXPLAIN (ANALYZE, VERBOSE) SELECT * FROM payroll',
  "EXPLAIN (ANALYZE, FORMAT JSON) SELECT 1 FROM customers WHERE ssn = 'x'",

  // ---- JSON path, XMLTABLE, JSON_TABLE ----
  "SELECT * FROM xmltable('/r' PASSING (SELECT xmlelement(name r, ssn) FROM customers LIMIT 1) COLUMNS v text PATH '.')",
  "SELECT * FROM customers c, xmltable('/r' PASSING xmlelement(name r, c.email) COLUMNS v text PATH '.')",
  "SELECT jsonb_path_query(jsonb_build_object('e', email), '$.e') FROM customers",
  "SELECT jsonb_path_exists('{}', '$ ? ($e starts with \"zq-a\")', jsonb_build_object('e', email)) FROM customers",
  "SELECT * FROM customers c, json_table(to_jsonb(c), '$' COLUMNS (s text PATH '$.ssn')) jt",
];

/** Leak attempts held before the policy looks, or answered without anything secret: each says by what. */
export const HELD_OTHERWISE: readonly { readonly sql: string; readonly by: 'SG_READ_ONLY' | 'SG_QUERY_FAILED' | 'answered' }[] = [
  // The read-only gate refuses what it does not know to be a plain read.
  { sql: 'SELECT ssn(c) FROM customers c', by: 'SG_READ_ONLY' },
  { sql: 'SELECT email(c) FROM customers c', by: 'SG_READ_ONLY' },
  { sql: 'SELECT payroll_total()', by: 'SG_READ_ONLY' },
  { sql: "SELECT query_to_xml('SELECT ssn FROM customers', true, false, '')", by: 'SG_READ_ONLY' },
  { sql: "SELECT table_to_xml('payroll', true, false, '')", by: 'SG_READ_ONLY' },
  { sql: 'SELECT * FROM pg_mcv_list_items((SELECT oid FROM pg_statistic_ext LIMIT 1))', by: 'SG_READ_ONLY' },
  { sql: 'COPY (SELECT ssn FROM customers) TO STDOUT', by: 'SG_READ_ONLY' },
  { sql: 'PREPARE p AS SELECT ssn FROM customers', by: 'SG_READ_ONLY' },
  { sql: 'DECLARE cur CURSOR FOR SELECT ssn FROM customers', by: 'SG_READ_ONLY' },
  { sql: "CREATE TABLE ssn_copy AS SELECT ssn FROM customers", by: 'SG_READ_ONLY' },
  // x has no ssn: the policy has nothing to refuse, and the database says so.
  { sql: 'SELECT x.ssn FROM customers c, (SELECT 1 AS id) x', by: 'SG_QUERY_FAILED' },
  // pg_catalog functions that take a table name tell sizes, trees and definitions, never values.
  { sql: "SELECT * FROM pg_catalog.pg_partition_tree('payroll')", by: 'answered' },
  { sql: "SELECT pg_relation_size('payroll'), pg_total_relation_size('hr.employees')", by: 'answered' },
  { sql: "SELECT pg_get_viewdef('v_customer_ssn')", by: 'answered' },
  { sql: "SELECT * FROM information_schema.columns WHERE table_name IN ('customers', 'payroll')", by: 'answered' },
];

/** Writes that would store, change or return what the caller may not read. */
export const WRITES_REFUSED_BY_POLICY: readonly string[] = [
  "INSERT INTO customers (id, name, email, region) VALUES (3, 'Carol', 'carol@corp-c.test', 'west')",
  "UPDATE customers SET email = 'x@corp-x.test' WHERE id = 2",
  "UPDATE customers SET phone = NULL",
  "INSERT INTO payroll VALUES (2, 1, 1.00, 'x')",
  "INSERT INTO payroll_2024 VALUES (3, 1, 1.00, 'x')",
  "UPDATE customers SET ssn = 'x' WHERE id = 1",
  "INSERT INTO customers (id, name, ssn) VALUES (5, 'Eve', 'x')",
  "INSERT INTO customers VALUES (3, 'Carol', 'c@corp-c.test', '1', 'x', 'west')",
  'INSERT INTO orders (id, customer_id, total, status, created_at) SELECT 10 + id, id, 1, email, now() FROM customers',
  'UPDATE customers SET name = email WHERE id = 1',
  "UPDATE customers SET name = 'x' WHERE ssn = 'x'",
  "DELETE FROM customers WHERE email LIKE 'zq-a%'",
  'UPDATE customers SET name = name WHERE id = 1 RETURNING ssn',
  'UPDATE customers SET region = region WHERE id = 1 RETURNING *',
  'DELETE FROM customers WHERE id = 99 RETURNING ssn',
  "INSERT INTO customers (id, name) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET name = excluded.ssn",
  "INSERT INTO customers (id, name) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET name = customers.email",
  "INSERT INTO customers (id, name) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET name = 'y' WHERE customers.ssn LIKE 'S%'",
  'UPDATE orders SET status = (SELECT email FROM customers WHERE id = 1) WHERE id = 1',
  'UPDATE customers SET (name, region) = (SELECT email, phone FROM customers WHERE id = 2) WHERE id = 1',
  "UPDATE orders o SET status = 'x' FROM customers c WHERE c.id = o.customer_id AND c.email LIKE 'zq-a%'",
  "DELETE FROM orders o USING customers c WHERE c.id = o.customer_id AND c.ssn LIKE 'SSN%'",
  'WITH d AS (UPDATE customers SET name = name RETURNING ssn) SELECT * FROM d',
  'MERGE INTO orders o USING customers c ON o.id = c.id WHEN MATCHED THEN UPDATE SET status = c.email',
  "UPDATE v_customer_ssn SET ssn = 'x'",
  'CREATE TABLE email_copy AS SELECT email FROM customers',
  'SELECT email INTO email_copy FROM customers',
  'CREATE VIEW v_ssn_copy AS SELECT id, ssn FROM customers',
  'CREATE VIEW v_email_copy AS SELECT email FROM customers',
  'CREATE MATERIALIZED VIEW mv_phones AS SELECT phone FROM customers',
  'CREATE VIEW v_stats_copy AS SELECT most_common_vals::text FROM pg_stats',
  'CREATE OR REPLACE VIEW v_orders_clean AS SELECT id, id AS customer_id, 0::numeric(10,2) AS total, email AS status FROM customers',
  'CREATE TABLE customers_shape (LIKE customers)',
  'CREATE TABLE customers_child () INHERITS (customers)',
  'CREATE TABLE payroll_2025 PARTITION OF payroll FOR VALUES FROM (1000) TO (2000)',
  'ALTER TABLE payroll DETACH PARTITION payroll_2024',
  'ALTER TABLE customers RENAME COLUMN ssn TO not_secret',
  'ALTER TABLE customers ALTER COLUMN email TYPE int USING email::int',
  'CREATE INDEX ON customers (email)',
  "COMMENT ON COLUMN customers.ssn IS 'x'",
  'GRANT SELECT ON payroll TO PUBLIC',
  'TRUNCATE payroll',
  'CREATE TABLE email_probe (e text REFERENCES customers (email))',
];

/** Writes something else holds, explicitly. */
export const WRITES_HELD_OTHERWISE: readonly { readonly sql: string; readonly by: 'SG_READ_ONLY' | 'SG_QUERY_FAILED' }[] = [
  { sql: 'CREATE TABLE payroll_sum AS SELECT payroll_total() AS total', by: 'SG_READ_ONLY' },
  { sql: "CREATE FUNCTION leak() RETURNS text LANGUAGE sql AS 'SELECT ssn FROM customers'", by: 'SG_READ_ONLY' },
  { sql: 'DO $$ BEGIN PERFORM 1; END $$', by: 'SG_READ_ONLY' },
  { sql: 'CREATE RULE r AS ON INSERT TO orders DO ALSO SELECT ssn FROM customers', by: 'SG_READ_ONLY' },
  { sql: 'CREATE TRIGGER t BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()', by: 'SG_READ_ONLY' },
  // The database refuses; its DETAIL ("Failing row contains (… SSN-…)") is only logged, never shown.
  { sql: 'UPDATE customers SET name = NULL WHERE id = 1', by: 'SG_QUERY_FAILED' },
];
