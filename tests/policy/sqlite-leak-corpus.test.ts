/**
 * The SQLite leak corpus: a real SQLite file database under SHOP_POLICY (tests/support/policy-harness.ts), and
 * execute_sql run on it exactly as a caller would. Every leak attempt must come back without a canary, and the
 * policy must be the one that refuses it (the few held by the read-only gate or the database say so); every
 * legitimate statement (sqlite-legit-corpus.ts) must run and return exactly its rows, masked values masked. Writes
 * are in sqlite-write-corpus.test.ts.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARIES, expectAllowed, expectHeld, openPolicyShop, type PolicyShop } from '../support/policy-harness.js';
import { SQLITE_HR_READS, SQLITE_LEGIT, SQLITE_OVER_STRICT } from './sqlite-legit-corpus.js';
import { SQLITE_SHOP } from './sqlite-shop.js';

const [ALICE_SSN] = CANARIES.ssn;

/** Leak attempts the table/column policy must refuse (SG_POLICY_DENIED), by what they try. */
const REFUSED_BY_POLICY: Record<string, readonly string[]> = {
  'denied columns and tables, however the name is written': [
    'SELECT ssn FROM customers',
    'SELECT c.ssn FROM customers c',
    'SELECT c.ssn AS x FROM customers AS c',
    'SELECT "ssn" FROM customers',
    'SELECT [ssn] FROM [customers]',
    'SELECT `ssn` FROM `customers`',
    'SELECT SsN FROM CUSTOMERS',
    'SELECT customers.ssn FROM main.customers',
    'SELECT "customers"."ssn" FROM "main"."customers"',
    'SELECT amount FROM payroll',
    'SELECT note FROM main.payroll',
    'SELECT "note" FROM "PAYROLL"',
    'SELECT count(*) FROM payroll',
    'SELECT password_hash FROM users',
    'SELECT u.password_hash FROM users u',
    'SELECT note FROM hr',
    'SELECT count(ssn) FROM customers',
    'SELECT name FROM customers WHERE ssn = \'x\'',
  ],
  'rowid tricks': [
    'SELECT rowid, ssn FROM customers',
    'SELECT _rowid_, * FROM customers',
    'SELECT oid, note FROM payroll',
    'SELECT rowid FROM hr',
    'SELECT id FROM customers WHERE rowid IN (SELECT rowid FROM customers WHERE ssn LIKE \'S%\')',
  ],
  'subqueries': [
    'SELECT (SELECT ssn FROM customers WHERE id = 1)',
    'SELECT id FROM customers c WHERE EXISTS (SELECT 1 FROM payroll p WHERE p.customer_id = c.id AND p.amount > 700000)',
    'SELECT name FROM customers WHERE id IN (SELECT customer_id FROM payroll)',
    'SELECT (SELECT email FROM customers LIMIT 1)',
    'SELECT (SELECT c.email) FROM customers c',
    'SELECT id FROM customers WHERE email = (SELECT email FROM customers WHERE id = 1)',
    'SELECT id FROM customers c WHERE (SELECT c.email) LIKE \'zq-a%\'',
  ],
  'CTEs and derived tables': [
    'WITH s AS (SELECT ssn FROM customers) SELECT * FROM s',
    'WITH s(x) AS (SELECT ssn FROM customers) SELECT x FROM s',
    'WITH e AS (SELECT email AS e FROM customers) SELECT upper(e) FROM e',
    'WITH p AS (SELECT * FROM payroll) SELECT 1 FROM p',
    'WITH a AS (SELECT * FROM b), b AS (SELECT ssn FROM customers) SELECT * FROM a',
    'WITH RECURSIVE r(n, s) AS (SELECT 1, ssn FROM customers UNION ALL SELECT n + 1, s FROM r WHERE n < 2) SELECT s FROM r',
    'WITH RECURSIVE r(i, ch) AS (SELECT 1, substr(email, 1, 1) FROM customers UNION ALL SELECT i + 1, ch FROM r WHERE i < 3) SELECT * FROM r',
    'WITH RECURSIVE r(x, n) AS (SELECT email, 1 FROM customers UNION ALL SELECT substr(x, 2), n + 1 FROM r WHERE n < 20) SELECT x FROM r',
    'SELECT x FROM (SELECT ssn AS x FROM customers)',
    'SELECT t.e FROM (SELECT email AS e FROM customers) t WHERE t.e LIKE \'zq%\'',
    'SELECT * FROM (SELECT * FROM customers)',
    'SELECT lower(e) FROM (SELECT email e FROM customers)',
    'SELECT upper(x) FROM (SELECT name AS x FROM customers UNION ALL SELECT email FROM customers)',
    // SQLite names a second output of one name `name:1` (then `name:2` …).
    'SELECT lower("email:1") FROM (SELECT email, email FROM customers)',
    'SELECT t."name:1" || \'\' FROM (SELECT name, email AS name FROM customers) t',
    'WITH t AS (SELECT name AS phone, phone FROM customers) SELECT substr("PHONE:1", 1) FROM t',
    'SELECT "email:1" FROM (SELECT email, email FROM customers) WHERE "email:2" LIKE \'zq-a%\'',
    // The recursive part reads the CTE's rows of every step, not only the anchor's: a masked column it adds is
    // read again, unmasked, by the next step.
    'WITH RECURSIVE r(x, n, y) AS (SELECT name, 0, \'\' FROM customers WHERE id = 1 UNION ALL SELECT c.email, n + 1, x || \'\' FROM r, customers c WHERE n < 2 AND c.id = 1) SELECT y FROM r',
    'WITH RECURSIVE r(x, n, y) AS (SELECT name, 0, \'\' FROM customers WHERE id = 1 UNION ALL SELECT c.phone, 1, \'\' FROM r, customers c WHERE n = 0 AND c.id = 1 UNION ALL SELECT x, n + 1, x || \'\' FROM r WHERE n = 1) SELECT y FROM r',
    'WITH RECURSIVE r(x, n) AS (SELECT name, 0 FROM customers WHERE id = 1 UNION ALL SELECT c.email, 1 FROM r, customers c WHERE n = 0 AND c.id = 2 UNION ALL SELECT x, 2 FROM r WHERE n = 1 AND x LIKE \'zq-b%\') SELECT n FROM r',
  ],
  'joins': [
    'SELECT o.id, c.ssn FROM orders o JOIN customers c ON c.id = o.customer_id',
    'SELECT o.id FROM orders o JOIN customers c ON c.email LIKE \'zq-a%\' AND c.id = o.customer_id',
    'SELECT * FROM orders JOIN customers USING (id)',
    'SELECT a.id FROM customers a JOIN customers b USING (email)',
    'SELECT orders.id FROM orders NATURAL JOIN customers',
    'SELECT customers.name, payroll.amount FROM customers CROSS JOIN payroll',
    'SELECT c.name FROM customers c, users u WHERE u.password_hash LIKE \'$argon%\'',
    'SELECT c.name FROM customers c LEFT JOIN payroll p ON p.customer_id = c.id',
    'SELECT a.name FROM customers a JOIN customers b ON a.phone = b.phone',
  ],
  // SQLite lets WHERE, GROUP BY, HAVING and ORDER BY name the select list's aliases, inside their subqueries too.
  'select-list aliases of masked columns in clauses and their subqueries': [
    'SELECT c.email AS e FROM customers c JOIN customers c2 ON e = c2.name',
    'SELECT id, email AS e FROM customers WHERE id IN (SELECT id FROM customers c2 WHERE e LIKE \'zq-a%\')',
    'SELECT email AS e FROM customers c WHERE EXISTS (SELECT 1 FROM customers c3 WHERE c3.id = c.id AND e LIKE \'zq-b%\')',
    'SELECT email AS e FROM customers ORDER BY (SELECT e)',
    'SELECT email AS e FROM customers GROUP BY id HAVING (SELECT e) > \'zq-b\'',
    'SELECT email AS e FROM customers WHERE (SELECT count(*) FROM (SELECT e) t WHERE t.e LIKE \'zq-a%\') > 0',
    // A compound's ORDER BY may name the alias of any branch, not only the first.
    'SELECT \'zq-b\' AS a UNION ALL SELECT email AS b FROM customers ORDER BY b',
    'SELECT name AS a FROM customers UNION ALL SELECT phone AS b FROM customers ORDER BY b',
  ],
  '* and t.* over restricted sources': [
    'SELECT * FROM customers',
    'SELECT c.* FROM customers c',
    'SELECT customers.* FROM orders, customers',
    'SELECT o.*, c.* FROM orders o JOIN customers c ON c.id = o.customer_id',
    'SELECT * FROM users',
    'SELECT * FROM hr',
    'SELECT * FROM orders, customers WHERE 0',
  ],
  'functions over denied and masked columns': [
    'SELECT upper(email) FROM customers',
    'SELECT substr(email, 1, 14) FROM customers',
    'SELECT length(ssn) FROM customers',
    'SELECT hex(email) FROM customers',
    'SELECT instr(email, \'@\') FROM customers',
    'SELECT replace(phone, \'-\', \'\') FROM customers',
    'SELECT printf(\'%s\', email) FROM customers',
    'SELECT quote(phone) FROM customers',
    'SELECT group_concat(email) FROM customers',
    'SELECT json_object(\'e\', email) FROM customers',
    'SELECT json_group_array(phone) FROM customers',
    'SELECT CAST(email AS BLOB) FROM customers',
    'SELECT unicode(substr(email, 2)) FROM customers',
    'SELECT like(\'zq%\', email) FROM customers',
    'SELECT glob(\'zq*\', email) FROM customers',
    'SELECT iif(email LIKE \'zq%\', 1, 0) FROM customers',
    'SELECT coalesce(email, \'\') FROM customers',
    'SELECT email || \'\' FROM customers',
    'SELECT +email FROM customers',
    'SELECT email COLLATE NOCASE FROM customers',
    'SELECT max(email) FROM customers',
    'SELECT min(ssn) FROM customers',
    'SELECT json_extract(json_object(\'e\', email), \'$.e\') FROM customers',
    'SELECT typeof(ssn) FROM customers',
    'SELECT email ISNULL FROM customers',
    'SELECT email NOTNULL FROM customers',
    'SELECT email IS NOT NULL FROM customers',
    'SELECT ~phone FROM customers',
    'SELECT NOT email FROM customers',
    'SELECT email AND 1 FROM customers',
    'SELECT email = \'x\' FROM customers',
    'SELECT email LIKE \'zq!-a%\' ESCAPE \'!\' FROM customers',
    'SELECT email IN (\'x\') FROM customers',
    'SELECT email BETWEEN \'a\' AND \'zz\' FROM customers',
    'SELECT email IS \'x\' FROM customers',
    'SELECT email IS DISTINCT FROM \'x\' FROM customers',
    'SELECT CASE email WHEN \'x\' THEN 1 END FROM customers',
    'SELECT email -> \'$\' FROM customers',
    'SELECT phone ->> 0 FROM customers',
    'SELECT phone % 10000 FROM customers',
    'SELECT email > \'zq-b\' FROM customers',
    'SELECT (email) FROM customers ORDER BY (email)',
    'SELECT email FROM customers ORDER BY email DESC NULLS LAST',
  ],
  'predicates on masked columns': [
    'SELECT id FROM customers WHERE email LIKE \'zq-a%\'',
    'SELECT id FROM customers WHERE email GLOB \'zq-a*\'',
    'SELECT id FROM customers WHERE phone = \'x\'',
    'SELECT id FROM customers WHERE email IN (\'a\', \'b\')',
    'SELECT id FROM customers WHERE phone BETWEEN \'+1-555-7301\' AND \'+1-555-7302\'',
    'SELECT CASE WHEN email > \'zq-b\' THEN 1 ELSE 0 END FROM customers',
    'SELECT id, email FROM customers WHERE substr(email, 1, 1) = \'z\'',
    'SELECT id FROM customers WHERE email IS NULL',
    'SELECT id FROM customers WHERE (id, email) IN (SELECT 1, \'x\')',
    'SELECT count(*) FILTER (WHERE email LIKE \'zq-a%\') FROM customers',
  ],
  'ORDER BY, GROUP BY, HAVING, DISTINCT on masked columns': [
    'SELECT name, email FROM customers ORDER BY email',
    'SELECT name, email AS e FROM customers ORDER BY e',
    'SELECT name, email FROM customers ORDER BY 2',
    // SQLite reads an integer written any way as a position.
    'SELECT name, email FROM customers ORDER BY +2',
    'SELECT name, email FROM customers ORDER BY (2) DESC',
    'SELECT name, email FROM customers ORDER BY - -2',
    'SELECT name, phone FROM customers ORDER BY 0x2',
    'SELECT email, count(*) FROM customers GROUP BY 0x1',
    'SELECT id, name FROM customers UNION ALL SELECT id, email FROM customers ORDER BY -(-2)',
    'SELECT name FROM customers ORDER BY ssn',
    'SELECT email AS name FROM customers ORDER BY name',
    'SELECT id FROM customers ORDER BY email COLLATE NOCASE',
    'SELECT email, count(*) FROM customers GROUP BY email',
    'SELECT region, count(*) FROM customers GROUP BY region HAVING max(email) > \'a\'',
    'SELECT email FROM customers GROUP BY 1',
    'SELECT email AS e, count(*) FROM customers GROUP BY id HAVING e > \'zq-b\'',
    'SELECT email AS e FROM customers WHERE e LIKE \'zq-a%\'',
    'SELECT DISTINCT email FROM customers',
    'SELECT count(DISTINCT phone) FROM customers',
  ],
  'window functions': [
    'SELECT name, row_number() OVER (ORDER BY email) FROM customers',
    'SELECT name, lag(email) OVER (ORDER BY id) FROM customers',
    'SELECT name, email, rank() OVER w FROM customers WINDOW w AS (ORDER BY phone)',
    'SELECT first_value(ssn) OVER () FROM customers',
    'SELECT name, count(*) OVER (PARTITION BY email) FROM customers',
  ],
  'set operations': [
    'SELECT email FROM customers UNION SELECT \'x\'',
    'SELECT email FROM customers INTERSECT SELECT \'zq\'',
    'SELECT email FROM customers EXCEPT SELECT \'x\'',
    'SELECT name FROM customers UNION ALL SELECT ssn FROM customers',
    'SELECT login FROM users UNION ALL SELECT note FROM payroll',
    'SELECT id, name FROM customers UNION ALL SELECT id, email FROM customers ORDER BY 2',
    // SQLite's gate rewrites EXCEPT and INTERSECT to UNION for the parser: mixed with UNION ALL they still compare.
    'SELECT email FROM customers UNION ALL SELECT \'x\' EXCEPT SELECT \'y\'',
    'SELECT \'x\' EXCEPT SELECT email FROM customers',
    'SELECT name FROM customers INTERSECT SELECT phone FROM customers UNION ALL SELECT \'z\'',
  ],
  'json_each and json_tree over secrets': [
    'SELECT j.value FROM customers, json_each(json_array(email)) j',
    'SELECT key, value FROM json_tree(json_object(\'e\', (SELECT email FROM customers LIMIT 1)))',
    'SELECT value FROM customers c, json_each(\'["\' || c.ssn || \'"]\')',
    'SELECT * FROM json_each((SELECT json_group_array(email) FROM customers))',
  ],
  'statistics tables': [
    'SELECT * FROM sqlite_stat4',
    'SELECT sample FROM sqlite_stat4',
    'SELECT tbl, idx, hex(sample) FROM main.sqlite_stat4',
    'SELECT count(*) FROM "SQLITE_STAT4"',
  ],
  'views over restricted tables': [
    'SELECT * FROM customer_ssn',
    'SELECT id FROM customer_ssn',
    'SELECT * FROM payroll_by_customer',
    'SELECT customer_id FROM payroll_by_customer',
    'SELECT amount FROM payroll_base',
    'SELECT n FROM order_notes',
    'SELECT codes FROM customer_codes',
    'SELECT note FROM customer_codes',
    'SELECT pay FROM pay_notes',
  ],
  'EXPLAIN of a leak, and PRAGMA': [
    'EXPLAIN SELECT ssn FROM customers',
    'EXPLAIN QUERY PLAN SELECT email FROM customers WHERE email LIKE \'z%\'',
    'EXPLAIN SELECT * FROM payroll',
    'PRAGMA table_info(customers)',
    'PRAGMA index_info(customers_ssn)',
    'SELECT * FROM dbstat',
  ],
  'strings where names go': [
    'SELECT ssn FROM \'customers\'',
    'SELECT "ssn" AS \'x\' FROM "customers"',
    'SELECT email \'e\' FROM customers ORDER BY 1',
    'SELECT * FROM \'payroll\'',
  ],
  'comments and odd spacing': [
    'SELECT/**/ssn/**/FROM/**/customers',
    'SELECT -- not this\n ssn FROM customers',
    'SELECT\n\tssn\nFROM\n\tcustomers',
    'select Email from Customers where EMAIL like \'z%\'',
    '  SELECT  name  FROM customers  WHERE/* x */phone<>\'\'  ',
  ],
};

/**
 * Leak attempts that are answered, or refused before the policy: they must show no canary. sqlite_master holds
 * definitions only, a string literal is its own value, and sqlite_stat1 holds counts.
 */
const HELD_OTHERWISE: readonly (readonly [sql: string, outcome: 'answered' | string])[] = [
  ['SELECT sql FROM sqlite_master', 'answered'],
  ['SELECT name, sql FROM sqlite_schema WHERE type = \'view\'', 'answered'],
  ['SELECT * FROM sqlite_stat1', 'answered'],
  ['SELECT \'ssn\' FROM customers', 'answered'],
  ['SELECT * FROM pragma_table_info(\'customers\')', 'answered'],
  ['SELECT count(*) FROM hr', 'answered'],
  ['SELECT 1; SELECT ssn FROM customers', 'SG_READ_ONLY'],
  // SQLite as built here refuses a double-quoted name that no column has (SQLITE_DQS=0), instead of reading a string.
  // No source in reach has a column ssn: refused before the database could say so.
  ['SELECT "ssn" FROM orders', 'SG_POLICY_DENIED'],
  // VALUES as a query reaches the policy as VALUES (guard/rules/sqlite-values.ts): its rows are checked like values.
  ['VALUES ((SELECT ssn FROM customers LIMIT 1))', 'SG_POLICY_DENIED'],
  ['WITH v(e) AS (VALUES ((SELECT email FROM customers WHERE id = 1))) SELECT e FROM v', 'SG_POLICY_DENIED'],
  ["SELECT c.name FROM customers c WHERE c.email IN (VALUES ('zq-alice-local@corp-a.test'))", 'SG_POLICY_DENIED'],
  // node-sql-parser's SQLite grammar does not read these: the gate refuses them before the policy sees them.
  ['SELECT main.customers.ssn FROM main.customers', 'SG_INVALID_INPUT'],
  ['SELECT email FROM customers LIMIT (SELECT length(ssn) FROM customers WHERE id = 1)', 'SG_INVALID_INPUT'],
  ['SELECT o.id FROM orders o NATURAL JOIN customers c', 'SG_INVALID_INPUT'],
  ['SELECT email FROM customers UNION VALUES (\'x\')', 'SG_INVALID_INPUT'],
  ['SELECT group_concat(name, \',\' ORDER BY email) FROM customers', 'SG_INVALID_INPUT'],
  ['SELECT name, email FROM customers ORDER BY 2 COLLATE NOCASE', 'SG_INVALID_INPUT'],
  ['PRAGMA writable_schema = 1', 'SG_READ_ONLY'],
  ['ATTACH \'/tmp/x.db\' AS hr', 'SG_READ_ONLY'],
];

/** What stays closed to the hr role. */
const HR_REFUSED = [
  'SELECT ssn FROM customers',
  'SELECT * FROM customers',
  'SELECT upper(phone) FROM customers',
  'SELECT id FROM customers ORDER BY phone',
  'SELECT password_hash FROM users',
];

let shop: PolicyShop;

beforeAll(async () => {
  shop = await openPolicyShop(SQLITE_SHOP);
});

afterAll(async () => {
  await shop?.close();
});

const refused = Object.entries(REFUSED_BY_POLICY).flatMap(([what, list]) => list.map((sql) => [what, sql] as const));

describe('SQLite leak corpus', () => {
  it('has at least 90 distinct leak attempts and 45 legitimate statements', () => {
    const attempts = new Set([...refused.map(([, sql]) => sql), ...HELD_OTHERWISE.map(([sql]) => sql)]);
    expect(attempts.size).toBe(refused.length + HELD_OTHERWISE.length);
    expect(attempts.size).toBeGreaterThanOrEqual(90);
    expect(new Set(SQLITE_LEGIT.map(([sql]) => sql)).size).toBe(SQLITE_LEGIT.length);
    expect(SQLITE_LEGIT.length).toBeGreaterThanOrEqual(45);
  });

  it('the shop has statistics samples of the secrets (the build has STAT4)', async () => {
    // Read past sqlgate, as the owner: the statistics refusals below mean something only if the samples are there.
    const target = shop.environment.config.target;
    if (target.dialect !== 'sqlite') throw new Error('not a SQLite shop');
    const db = new Database(target.file, { readonly: true });
    try {
      const sample = db.prepare('SELECT sample FROM sqlite_stat4 WHERE idx = \'customers_ssn\'').pluck().all() as Buffer[];
      expect(sample.some((s) => s.toString('latin1').includes(ALICE_SSN!))).toBe(true);
    } finally {
      db.close();
    }
  });

  it.each(refused)('refuses (%s): %s', async (_what, sql) => {
    const outcome = await shop.run(sql);
    expectHeld(sql, outcome);
    expect(outcome.ok ? 'answered' : outcome.error.code, sql).toBe('SG_POLICY_DENIED');
  });

  it.each(HELD_OTHERWISE)('holds %s (%s)', async (sql, expected) => {
    const outcome = await shop.run(sql);
    expectHeld(sql, outcome);
    expect(outcome.ok ? 'answered' : outcome.error.code, sql).toBe(expected);
  });

  it.each(SQLITE_LEGIT)('runs %s', async (sql, rows) => {
    const outcome = await shop.run(sql);
    expectAllowed(sql, outcome);
    expect(outcome.structured.rows, sql).toEqual(rows);
  });

  it.each(SQLITE_OVER_STRICT)('refuses %s, though it is legitimate: %s', async (sql) => {
    const outcome = await shop.run(sql);
    expectHeld(sql, outcome);
    expect(outcome.ok ? 'answered' : outcome.error.code, sql).toBe('SG_POLICY_DENIED');
  });

  it('runs EXPLAIN QUERY PLAN of an allowed query', async () => {
    const sql = 'EXPLAIN QUERY PLAN SELECT name FROM customers WHERE region = \'north\'';
    const outcome = await shop.run(sql);
    expectAllowed(sql, outcome);
    expect(outcome.structured.rows.length).toBeGreaterThan(0);
  });
});

describe('roles', () => {
  it.each(SQLITE_HR_READS)('hr runs %s', async (sql, rows) => {
    const outcome = await shop.run(sql, ['hr']);
    expect(outcome.ok ? 'ok' : `${outcome.error.code}: ${outcome.error.message}`, sql).toBe('ok');
    expect(outcome.ok && outcome.structured.rows, sql).toEqual(rows);
  });

  it.each(HR_REFUSED)('hr is still refused %s', async (sql) => {
    const outcome = await shop.run(sql, ['hr']);
    expect(outcome.ok ? 'answered' : outcome.error.code, sql).toBe('SG_POLICY_DENIED');
  });

  it('a role that is not hr reads as no role', async () => {
    const outcome = await shop.run('SELECT email FROM customers WHERE id = 1', ['auditor']);
    expectAllowed('auditor email', outcome);
    expect(outcome.structured.rows).toEqual([['z•••@corp-a.test']]);
  });
});
