/**
 * A write whose target is named like a CTE of the same statement (policy/check-statement.ts, writeTarget).
 * PostgreSQL writes the table, not the CTE: checked as a write to the CTE, `WITH customers AS (SELECT 1 AS id)
 * UPDATE customers … RETURNING ssn` returned the denied column. SQLite's gate cannot parse WITH before a write, so
 * this runs on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARIES, expectAllowed, expectHeld, openPolicyShop, type PolicyShop } from '../support/policy-harness.js';

let shop: PolicyShop;

beforeAll(async () => {
  shop = await openPolicyShop({
    dialect: 'postgres',
    statements: [
      'CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text, ssn text)',
      'CREATE TABLE payroll (id int PRIMARY KEY, note text)',
      `INSERT INTO customers VALUES (1, 'Alice', '${CANARIES.email[0]}', '${CANARIES.ssn[0]}')`,
      `INSERT INTO payroll VALUES (1, '${CANARIES.payroll[0]}')`,
    ],
  }, { writable: true });
});

afterAll(async () => {
  await shop?.close();
});

describe('a write target named like a CTE of the statement', () => {
  it.each([
    'WITH customers AS (SELECT 1 AS id) UPDATE customers SET name = name WHERE id = 1 RETURNING ssn',
    'WITH customers AS (SELECT 1 AS id) DELETE FROM customers WHERE ssn LIKE \'S%\' RETURNING ssn',
    'WITH customers AS (SELECT 1 AS id) UPDATE customers SET ssn = \'x\'',
    'WITH payroll AS (SELECT 1 AS id) INSERT INTO payroll (id, note) VALUES (2, \'x\') RETURNING note',
    'WITH payroll AS (SELECT 1 AS id) DELETE FROM payroll',
  ])('is refused: %s', async (sql) => {
    const outcome = await shop.run(sql);
    expectHeld(sql, outcome);
    expect(outcome.ok ? 'answered' : outcome.error.code, sql).toBe('SG_POLICY_DENIED');
  });

  it('a CTE of another name is fine', async () => {
    const sql = 'WITH one AS (SELECT 1 AS id) UPDATE customers SET name = \'Alicia\' WHERE id IN (SELECT id FROM one) RETURNING id, name';
    const outcome = await shop.run(sql);
    expectAllowed(sql, outcome);
    expect(outcome.structured.rows).toEqual([[1, 'Alicia']]);
  });
});
