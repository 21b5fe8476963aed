/**
 * Writes on a writable SQLite shop (sqlite-shop.ts) under SHOP_POLICY: every write that would store, change or
 * return a denied or masked value is refused by the policy (or, where node-sql-parser's SQLite grammar cannot read
 * it, by the gate), writes over allowed columns run (RETURNING of a masked column masked), and the refused ones
 * change nothing in the file.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARIES, expectAllowed, expectHeld, openPolicyShop, type PolicyShop } from '../support/policy-harness.js';
import type { RowsStatement } from './sqlite-legit-corpus.js';
import { SQLITE_SHOP } from './sqlite-shop.js';

const [ALICE_SSN, BOB_SSN] = CANARIES.ssn;
const [, PAY_AMOUNT] = CANARIES.payroll;

/** Writes a caller without roles may not make, on a writable shop: each must be refused by the policy. */
const REFUSED_WRITES = [
  'INSERT INTO customers (id, name, email, phone, region) VALUES (4, \'Dan\', \'dan@corp-d.test\', \'+1-555-0000-0004\', \'west\')',
  'UPDATE customers SET email = \'new@corp-e.test\' WHERE id = 2',
  'INSERT INTO payroll (id, customer_id, amount, note) VALUES (2, 2, 1, \'x\')',
  'INSERT INTO payroll VALUES (2, 2, 1, \'x\')',
  'REPLACE INTO payroll (id, amount) VALUES (1, 0)',
  'UPDATE payroll SET amount = 0',
  'DELETE FROM payroll',
  'UPDATE customers SET ssn = \'x\' WHERE id = 1',
  'UPDATE customers SET ssn = NULL',
  'INSERT INTO customers VALUES (9, \'Eve\', \'e@corp-e.test\', \'1\', \'2\', \'west\')',
  'INSERT INTO orders (id, customer_id, total, status, created_at) SELECT 100 + id, id, 0, email, \'\' FROM customers',
  'INSERT INTO orders (id, status) SELECT 200, ssn FROM customers WHERE id = 1',
  'UPDATE customers SET name = email',
  'UPDATE customers SET name = ssn WHERE id = 1',
  'UPDATE customers SET region = substr(phone, 1, 11) WHERE id = 1',
  'UPDATE orders SET status = (SELECT email FROM customers WHERE customers.id = orders.customer_id)',
  'UPDATE orders SET status = \'x\' WHERE customer_id IN (SELECT id FROM customers WHERE email LIKE \'zq-a%\')',
  'DELETE FROM customers WHERE ssn LIKE \'S%\'',
  'DELETE FROM customers WHERE email LIKE \'zq-a%\'',
  'UPDATE customers SET region = region WHERE id = 1 RETURNING ssn',
  'UPDATE customers SET region = region WHERE id = 1 RETURNING *',
  'UPDATE customers SET region = region WHERE id = 1 RETURNING email || \'\'',
  'DELETE FROM customers WHERE id = 99 RETURNING *',
  'DELETE FROM orders WHERE id = 99 RETURNING (SELECT ssn FROM customers LIMIT 1)',
  'INSERT INTO orders (id, customer_id) VALUES (50, 1) RETURNING (SELECT group_concat(email) FROM customers)',
  'CREATE TABLE leak_email AS SELECT email FROM customers',
  'CREATE TABLE leak_ssn AS SELECT id, ssn FROM customers',
  'CREATE TABLE leak_all AS SELECT * FROM customers',
  'CREATE TABLE leak_pay AS SELECT * FROM payroll',
  'CREATE VIEW v_ssn AS SELECT id, ssn FROM customers',
  'CREATE VIEW v_mail AS SELECT email FROM customers',
  'CREATE INDEX customers_email_again ON customers (email)',
  'ALTER TABLE customers RENAME TO customers_open',
  'ALTER TABLE customers RENAME COLUMN ssn TO tax_id',
  'ALTER TABLE payroll ADD COLUMN extra TEXT',
  'DROP TABLE payroll',
];

/**
 * Writes node-sql-parser's SQLite grammar cannot read (ON CONFLICT, WITH … INSERT, UPDATE … FROM), or with several
 * statements in them (a trigger body): the gate refuses them before the policy sees them.
 */
const WRITES_HELD_BY_THE_GATE: readonly (readonly [sql: string, code: string])[] = [
  ['INSERT INTO customers (id, name) VALUES (1, \'x\') ON CONFLICT (id) DO UPDATE SET name = excluded.ssn', 'SG_INVALID_INPUT'],
  ['INSERT INTO customers (id, name) VALUES (1, \'x\') ON CONFLICT (id) DO UPDATE SET name = customers.ssn RETURNING name', 'SG_INVALID_INPUT'],
  ['INSERT INTO customers (id, name) VALUES (1, \'x\') ON CONFLICT (id) DO UPDATE SET name = email RETURNING name', 'SG_INVALID_INPUT'],
  ['WITH s AS (SELECT ssn FROM customers) INSERT INTO orders (id, status) SELECT 300, ssn FROM s', 'SG_INVALID_INPUT'],
  ['UPDATE orders SET status = c.email FROM customers c WHERE c.id = orders.customer_id', 'SG_INVALID_INPUT'],
  ['CREATE TRIGGER leak AFTER INSERT ON orders BEGIN UPDATE orders SET status = (SELECT ssn FROM customers LIMIT 1); END', 'SG_READ_ONLY'],
  ['CREATE TRIGGER leak AFTER INSERT ON orders BEGIN SELECT 1; END', 'SG_READ_ONLY'],
];

/** Writes that are fine, in order, with what they return (RETURNING of a masked column masked). */
const ALLOWED_WRITES: readonly RowsStatement[] = [
  ['UPDATE customers SET name = \'Alicia\' WHERE id = 1 RETURNING id, name, email', [[1, 'Alicia', 'z•••@corp-a.test']]],
  // Masked columns are not written (a unique key would confirm a guessed value); RETURNING masks what is there.
  ['INSERT INTO customers (id, name, region) VALUES (4, \'Dan\', \'west\') RETURNING email, phone', [[null, null]]],
  ['UPDATE customers SET name = \'Alicia\' WHERE id = 1 RETURNING email', [['z•••@corp-a.test']]],
  ['INSERT INTO orders (id, customer_id, total, status, created_at) VALUES (5, 4, 12, \'open\', \'2024-04-01\') RETURNING *', [[5, 4, 12, 'open', '2024-04-01']]],
  ['UPDATE orders SET status = \'paid\' WHERE id = 5 RETURNING id, status', [[5, 'paid']]],
  ['DELETE FROM orders WHERE id = 5 RETURNING id, total', [[5, 12]]],
  ['CREATE TABLE order_copy AS SELECT id, total FROM orders', []],
  ['SELECT count(*), sum(total) FROM order_copy', [[4, 235.5]]],
  ['CREATE VIEW open_orders AS SELECT id, status FROM orders WHERE status = \'open\'', []],
  ['SELECT id, status FROM open_orders', [[2, 'open']]],
  ['DROP VIEW open_orders', []],
  ['DROP TABLE order_copy', []],
  ['DELETE FROM customers WHERE id = 4', []],
];

describe('writes on a writable SQLite shop', () => {
  let writable: PolicyShop;

  beforeAll(async () => {
    writable = await openPolicyShop(SQLITE_SHOP, { writable: true });
  });

  afterAll(async () => {
    await writable?.close();
  });

  it.each(REFUSED_WRITES)('refuses %s', async (sql) => {
    const outcome = await writable.run(sql);
    expectHeld(sql, outcome);
    expect(outcome.ok ? 'answered' : outcome.error.code, sql).toBe('SG_POLICY_DENIED');
  });

  it.each(WRITES_HELD_BY_THE_GATE)('holds %s (%s)', async (sql, code) => {
    const outcome = await writable.run(sql);
    expectHeld(sql, outcome);
    expect(outcome.ok ? 'answered' : outcome.error.code, sql).toBe(code);
  });

  it.each(ALLOWED_WRITES)('runs %s', async (sql, rows) => {
    const outcome = await writable.run(sql);
    expectAllowed(sql, outcome);
    expect(outcome.structured?.rows ?? [], sql).toEqual(rows);
  });

  it('hr may write payroll', async () => {
    const sql = 'INSERT INTO payroll (id, customer_id, amount, note) VALUES (2, 2, 10, \'bonus\') RETURNING id, note';
    const outcome = await writable.run(sql, ['hr']);
    expect(outcome.ok ? 'ok' : `${outcome.error.code}: ${outcome.error.message}`).toBe('ok');
    expect(outcome.ok && outcome.structured.rows).toEqual([[2, 'bonus']]);
  });

  it('the refused writes changed nothing', async () => {
    const target = writable.environment.config.target;
    if (target.dialect !== 'sqlite') throw new Error('not a SQLite shop');
    const db = new Database(target.file, { readonly: true });
    try {
      expect(db.prepare('SELECT id, name, ssn FROM customers ORDER BY id').raw().all()).toEqual([[1, 'Alicia', ALICE_SSN], [2, 'Bob', BOB_SSN], [3, 'Cara', null]]);
      expect(db.prepare('SELECT id, amount FROM payroll ORDER BY id').raw().all()).toEqual([[1, Number(PAY_AMOUNT)], [2, 10]]);
      expect(db.prepare('SELECT count(*) FROM orders').pluck().get()).toBe(4);
      expect(db.prepare('SELECT name FROM sqlite_schema WHERE name IN (\'leak\', \'v_ssn\', \'v_mail\', \'leak_email\', \'customers_open\')').all()).toEqual([]);
    } finally {
      db.close();
    }
  });
});
