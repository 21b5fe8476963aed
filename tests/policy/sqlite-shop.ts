/**
 * The SQLite shop of the leak corpus (sqlite-leak-corpus.test.ts), one file database: the harness's tables
 * (customers, orders, payroll, users), a table named hr (SQLite has no schemas, so the pattern hr.* denies its every
 * column), a JSON text column, views over a denied column, over orders only and over a view over payroll, views whose
 * inner CTEs share a name with the tables they read, and ANALYZE statistics whose sqlite_stat4 samples hold the
 * secrets. Every denied or masked value is a canary.
 */
import { CANARIES, type ShopSchema } from '../support/policy-harness.js';

const [ALICE_EMAIL, BOB_EMAIL] = CANARIES.email;
const [ALICE_PHONE, BOB_PHONE] = CANARIES.phone;
const [ALICE_SSN, BOB_SSN] = CANARIES.ssn;
const [PAY_NOTE, PAY_AMOUNT] = CANARIES.payroll;

export const SQLITE_SHOP: ShopSchema = {
  dialect: 'sqlite',
  statements: [
    'CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, phone TEXT, ssn TEXT, region TEXT)',
    'CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), total REAL, status TEXT, created_at TEXT)',
    'CREATE TABLE payroll (id INTEGER PRIMARY KEY, customer_id INTEGER, amount REAL, note TEXT)',
    'CREATE TABLE users (id INTEGER PRIMARY KEY, login TEXT, password_hash TEXT)',
    // SQLite has no hr schema: the pattern hr.* then reads as every column of a table named hr.
    'CREATE TABLE hr (id INTEGER PRIMARY KEY, note TEXT)',
    'CREATE TABLE events (id INTEGER PRIMARY KEY, customer_id INTEGER, payload TEXT)',
    'CREATE VIEW customer_ssn AS SELECT id, ssn FROM customers',
    'CREATE VIEW customer_orders AS SELECT customer_id, count(*) AS n, sum(total) AS spent FROM orders GROUP BY customer_id',
    'CREATE VIEW payroll_base AS SELECT id, customer_id, amount FROM payroll',
    'CREATE VIEW payroll_by_customer AS SELECT customer_id, sum(amount) AS paid FROM payroll_base GROUP BY customer_id',
    // CTEs inside them are named like the tables they also read: only the FROM of the CTE's own query means the CTE
    // (order_notes is also a compound SELECT, which the gate cannot read: see SQLITE_OVER_STRICT).
    `CREATE VIEW order_notes AS SELECT n FROM (WITH payroll AS (SELECT 'none' AS n) SELECT n FROM payroll) UNION ALL SELECT note FROM payroll`,
    `CREATE VIEW customer_codes AS SELECT (WITH customers AS (SELECT 'none' AS note) SELECT note FROM customers) AS note,
      (SELECT group_concat(ssn) FROM customers) AS codes`,
    `CREATE VIEW pay_notes AS SELECT n.x AS note, (SELECT max(note) FROM payroll) AS pay FROM (WITH payroll AS (SELECT 1 AS x) SELECT x FROM payroll) n`,
    // A view over orders only, but with a compound SELECT (see OVER_STRICT).
    'CREATE VIEW order_ids AS SELECT id FROM orders UNION ALL SELECT customer_id FROM orders',
    // Indexes on the secrets: ANALYZE then samples their values into sqlite_stat4.
    'CREATE INDEX customers_ssn ON customers (ssn)',
    'CREATE INDEX customers_email ON customers (email)',
    'CREATE INDEX customers_phone ON customers (phone)',
    'CREATE INDEX orders_status ON orders (status)',
    `INSERT INTO customers VALUES (1, 'Alice', '${ALICE_EMAIL}', '${ALICE_PHONE}', '${ALICE_SSN}', 'north'),
      (2, 'Bob', '${BOB_EMAIL}', '${BOB_PHONE}', '${BOB_SSN}', 'south'),
      (3, 'Cara', 'cara@corp-c.test', '+1-555-0000-0003', NULL, 'north')`,
    `INSERT INTO orders VALUES (1, 1, 120.5, 'paid', '2024-01-05'), (2, 1, 30, 'open', '2024-02-01'),
      (3, 2, 75, 'paid', '2024-02-10'), (4, 3, 10, 'paid', '2024-03-01')`,
    `INSERT INTO payroll VALUES (1, 1, ${PAY_AMOUNT}, '${PAY_NOTE}')`,
    `INSERT INTO users VALUES (1, 'alice', '${CANARIES.passwordHash[0]}')`,
    `INSERT INTO hr VALUES (1, '${CANARIES.hr[0]}')`,
    `INSERT INTO events VALUES (1, 1, '{"kind":"signup","tags":["new","web"]}'), (2, 2, '{"kind":"order","tags":["repeat"]}')`,
    'ANALYZE',
  ],
};
