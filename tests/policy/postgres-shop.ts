/**
 * The PostgreSQL shop of the leak corpus (postgres-leak-corpus.test.ts): the harness's tables (customers, orders,
 * payroll, users, hr.employees) plus what only PostgreSQL has and a policy must see through — a partitioned payroll
 * and its partition, an inheritance child of customers, views over denied and over masked columns, a view over a
 * view over payroll, a materialized view of emails, a composite-typed column, a jsonb column, and statistics
 * (ANALYZE and CREATE STATISTICS) that hold samples of the secrets. Every denied or masked value is a canary.
 */
import { CANARIES, type ShopSchema } from '../support/policy-harness.js';

const [ssnAlice, ssnBob] = CANARIES.ssn;
const [emailAlice, emailBob] = CANARIES.email;
const [phoneAlice, phoneBob] = CANARIES.phone;
const [payNote, payAmount] = CANARIES.payroll;

export const POSTGRES_SHOP: ShopSchema = {
  dialect: 'postgres',
  statements: [
    `CREATE TYPE address_t AS (street text, city text)`,
    `CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text, phone text, ssn text, region text)`,
    // Bob lives in the child table: `customers` shows him too, `ONLY customers` does not.
    `CREATE TABLE vip_customers (tier text) INHERITS (customers)`,
    `CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, total numeric(10,2) NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL)`,
    `CREATE TABLE payroll (id int NOT NULL, customer_id int NOT NULL, amount numeric(12,2) NOT NULL, note text) PARTITION BY RANGE (id)`,
    `CREATE TABLE payroll_2024 PARTITION OF payroll FOR VALUES FROM (0) TO (1000)`,
    `CREATE TABLE users (id int PRIMARY KEY, login text NOT NULL, password_hash text NOT NULL)`,
    `CREATE SCHEMA hr`,
    `CREATE TABLE hr.employees (id int PRIMARY KEY, name text NOT NULL, note text)`,
    `CREATE TABLE customer_addresses (customer_id int PRIMARY KEY, home address_t NOT NULL)`,
    `CREATE TABLE events (id int PRIMARY KEY, customer_id int NOT NULL, payload jsonb NOT NULL)`,
    `INSERT INTO customers VALUES (1, 'Alice', '${emailAlice}', '${phoneAlice}', '${ssnAlice}', 'north')`,
    `INSERT INTO vip_customers VALUES (2, 'Bob', '${emailBob}', '${phoneBob}', '${ssnBob}', 'south', 'gold')`,
    `INSERT INTO orders VALUES
       (1, 1, 10.50, 'shipped', '2024-01-05T10:00:00Z'), (2, 1, 20.00, 'pending', '2024-02-01T09:30:00Z'),
       (3, 2, 99.99, 'shipped', '2024-02-11T12:00:00Z'), (4, 2, 5.25, 'cancelled', '2024-03-02T08:15:00Z')`,
    `INSERT INTO payroll VALUES (1, 1, ${payAmount}, '${payNote}')`,
    `INSERT INTO users VALUES (1, 'alice', '${CANARIES.passwordHash[0]}')`,
    // The note is long and incompressible, so PostgreSQL keeps it out of line, in the TOAST table of hr.employees.
    `INSERT INTO hr.employees SELECT 1, 'Hana ${CANARIES.hr[0]}', '${CANARIES.hr[0]} ' || string_agg(md5(i::text), '') FROM generate_series(1, 150) i`,
    `INSERT INTO customer_addresses VALUES (1, ROW('1 Main St', 'Springfield')), (2, ROW('2 Side Rd', 'Shelbyville'))`,
    `INSERT INTO events VALUES (1, 1, '{"kind": "login", "device": {"os": "linux"}, "tags": ["a", "b"]}'),
                               (2, 2, '{"kind": "purchase", "device": {"os": "ios"}, "tags": ["c"]}')`,
    `CREATE VIEW v_customer_ssn AS SELECT id, ssn FROM customers`,
    `CREATE VIEW v_customer_names AS SELECT id, name FROM customers`,
    `CREATE VIEW v_orders_clean AS SELECT id, customer_id, total, status FROM orders`,
    `CREATE VIEW v_payroll_base AS SELECT id, customer_id, amount, note FROM payroll`,
    `CREATE VIEW v_payroll_report AS SELECT customer_id, amount, note FROM v_payroll_base`,
    // Views that reach secrets without naming a table: through a function, and through the statistics catalog.
    `CREATE FUNCTION payroll_total() RETURNS numeric LANGUAGE sql STABLE AS 'SELECT sum(amount) FROM payroll'`,
    `CREATE VIEW v_payroll_total AS SELECT payroll_total() AS total`,
    `CREATE VIEW v_column_stats AS SELECT tablename, attname, most_common_vals::text AS mcv, histogram_bounds::text AS bounds FROM pg_stats WHERE schemaname = 'public'`,
    `CREATE MATERIALIZED VIEW mv_customer_emails AS SELECT id, email FROM customers`,
    `CREATE STATISTICS customers_email_region (mcv) ON email, region FROM customers`,
    `ANALYZE`,
  ],
};
