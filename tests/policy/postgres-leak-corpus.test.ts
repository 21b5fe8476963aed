/**
 * The PostgreSQL leak corpus: statements that try to read a denied or masked value of the shop (postgres-shop.ts)
 * every way we know, run through execute_sql against a real database under SHOP_POLICY. Each must be held (no
 * canary in anything it returns) and, unless listed with another holder, refused by the table/column policy itself
 * (SG_POLICY_DENIED): a statement that merely failed in the database does not count as held by the policy.
 * Legitimate statements over what the caller may see must run and return the right rows, masked columns masked.
 * The statements are in postgres-leak-statements.ts, the legitimate ones in postgres-legit-corpus.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAllowed, expectHeld, openPolicyShop, type PolicyShop } from '../support/policy-harness.js';
import { POSTGRES_LEGIT, POSTGRES_WRITES_ALLOWED } from './postgres-legit-corpus.js';
import { HELD_OTHERWISE, REFUSED_BY_POLICY, WRITES_HELD_OTHERWISE, WRITES_REFUSED_BY_POLICY } from './postgres-leak-statements.js';
import { POSTGRES_SHOP } from './postgres-shop.js';

const LEAK_COUNT = REFUSED_BY_POLICY.length + HELD_OTHERWISE.length + 1; // + the TOAST statement below

let shop: PolicyShop;
beforeAll(async () => {
  shop = await openPolicyShop(POSTGRES_SHOP);
});
afterAll(async () => {
  await shop?.close();
});

async function expectPolicyRefusal(sql: string, roles: string[] = []): Promise<void> {
  const outcome = await shop.run(sql, roles);
  expectHeld(sql, outcome);
  expect(outcome.ok ? 'ran' : `${outcome.error.code}: ${outcome.error.message}`, sql).toMatch(/^SG_POLICY_DENIED/);
}

describe('postgres leak corpus: leak attempts are held', () => {
  it(`holds at least 100 distinct statements (${LEAK_COUNT})`, () => {
    const all = [...REFUSED_BY_POLICY, ...HELD_OTHERWISE.map((h) => h.sql)];
    expect(new Set(all).size).toBe(all.length);
    expect(LEAK_COUNT).toBeGreaterThanOrEqual(100);
  });

  it.each(REFUSED_BY_POLICY)('the policy refuses %s', async (sql) => {
    await expectPolicyRefusal(sql);
  });

  it.each(HELD_OTHERWISE)('$by holds $sql', async ({ sql, by }) => {
    const outcome = await shop.run(sql);
    expectHeld(sql, outcome);
    expect(outcome.ok ? 'answered' : outcome.error.code, sql).toBe(by);
  });

  // leaked before: TOAST tables hold hr.employees' long note in plain chunks (check-statement.ts isToastTable)
  it('refuses the TOAST table of a denied table, which holds its long values', async () => {
    const toast = await shop.run("SELECT c.reltoastrelid::regclass::text FROM pg_class c WHERE c.oid = 'hr.employees'::regclass");
    expectAllowed('toast name', toast);
    const name = String(toast.structured.rows[0]![0]);
    expect(name).toMatch(/^pg_toast\.pg_toast_\d+$/);
    await expectPolicyRefusal(`SELECT convert_from(chunk_data, 'UTF8') FROM ${name}`);
    await expectPolicyRefusal(`SELECT * FROM ${name}`);
    // hr may read hr.employees, but not through its TOAST table: the policy cannot tell whose values a chunk holds.
    await expectPolicyRefusal(`SELECT encode(chunk_data, 'escape') FROM ${name}`, ['hr']);
  });
});

describe('postgres leak corpus: legitimate statements run and answer right', () => {
  it(`has at least 45 distinct statements (${POSTGRES_LEGIT.length})`, () => {
    expect(new Set(POSTGRES_LEGIT.map((l) => l.sql)).size).toBe(POSTGRES_LEGIT.length);
    expect(POSTGRES_LEGIT.length).toBeGreaterThanOrEqual(45);
  });

  it.each(POSTGRES_LEGIT)('runs $sql', async ({ sql, rows }) => {
    const outcome = await shop.run(sql);
    expectAllowed(sql, outcome);
    if (typeof rows === 'function') rows(outcome.structured.rows);
    else expect(outcome.structured.rows, sql).toEqual(rows);
  });
});

/** Harmless statements the policy still refuses, and why. Relaxing one is welcome, as long as the leaks stay held. */
const REFUSED_THOUGH_HARMLESS: readonly { readonly sql: string; readonly why: string }[] = [
  { sql: 'SELECT o.n FROM orders AS o(n) ORDER BY 1', why: 'a table source has no place for renamed columns (customers c(i, n, e) hid email as e)' },
  { sql: 'SELECT name FROM v_customer_names', why: 'views are not seen into column by column, and it reads customers' },
  { sql: 'SELECT name AS email FROM customers ORDER BY email', why: 'PostgreSQL sorts on the output column; the policy checks the input column email too' },
  { sql: 'SELECT count(email) FROM customers', why: 'a masked column may only be selected plainly, even where only its NULLs count' },
  { sql: 'SELECT (c).name FROM customers c', why: 'a whole row of a table with restricted columns' },
  { sql: 'SELECT f.*, c.email FROM generate_series(1, 1) f, customers c', why: 'a masked column after a * sqlgate cannot count' },
  { sql: 'SHOW search_path', why: 'SHOW is no statement the shape describes' },
  { sql: nestedRecursion(4), why: 'WITH RECURSIVE lists nested so deep that checking them round after round passes the budget' },
];

/** WITH RECURSIVE lists nested `depth` deep, each moving a masked value one column further per round. */
function nestedRecursion(depth: number, level = 1): string {
  const bound = level === depth ? '2' : `(${nestedRecursion(depth, level + 1)})`;
  return `WITH RECURSIVE r${level}(a, b, c, d, e, n) AS (SELECT '', '', '', '', '', 0 UNION ALL `
    + `SELECT cu.email, r.a, r.b, r.c, r.d, r.n + 1 FROM r${level} r, customers cu WHERE r.n < ${bound} AND cu.id = 1) SELECT max(n) FROM r${level}`;
}

describe('postgres leak corpus: harmless statements still refused', () => {
  it.each(REFUSED_THOUGH_HARMLESS)('refuses $sql: $why', async ({ sql }) => {
    await expectPolicyRefusal(sql);
  });
});

describe('postgres leak corpus: roles', () => {
  it('lets hr read payroll, its partition, the views over it and hr.employees', async () => {
    const payroll = await shop.run('SELECT amount, left(note, 12) FROM payroll', ['hr']);
    expectAllowedFor('hr', payroll);
    expect(payroll.ok && payroll.structured.rows).toEqual([['731946.25', 'PAYNOTE-91c2']]);
    const partition = await shop.run('SELECT count(*) FROM payroll_2024', ['hr']);
    expect(partition.ok && partition.structured.rows).toEqual([[1]]);
    const report = await shop.run('SELECT customer_id, amount FROM v_payroll_report', ['hr']);
    expect(report.ok && report.structured.rows).toEqual([[1, '731946.25']]);
    const employees = await shop.run('SELECT id, name, left(note, 11) FROM hr.employees', ['hr']);
    expect(employees.ok && employees.structured.rows).toEqual([[1, 'Hana HRNOTE-5e1d', 'HRNOTE-5e1d']]);
  });

  it('shows hr emails unmasked, and still masks phones and denies ssn', async () => {
    const contacts = await shop.run('SELECT email, phone FROM customers ORDER BY id', ['hr']);
    expect(contacts.ok && contacts.structured.rows).toEqual([
      ['zq-alice-local@corp-a.test', '•••0001'],
      ['zq-bob-local@corp-b.test', '•••0002'],
    ]);
    // Unmasked for hr, email is an ordinary column: it may be filtered on.
    const filtered = await shop.run("SELECT name FROM customers WHERE email LIKE 'zq-a%'", ['hr']);
    expect(filtered.ok && filtered.structured.rows).toEqual([['Alice']]);
    for (const sql of ['SELECT ssn FROM customers', "SELECT name FROM customers WHERE phone LIKE '+1%'", 'SELECT * FROM customers']) {
      const outcome = await shop.run(sql, ['hr']);
      expect(outcome.ok ? 'ran' : outcome.error.code, sql).toBe('SG_POLICY_DENIED');
    }
  });

  it('refuses payroll and hr.employees to a caller without roles, or with a role the policy does not know', async () => {
    for (const roles of [[], ['auditor']]) {
      await expectPolicyRefusal('SELECT amount, note FROM payroll', roles);
      await expectPolicyRefusal('SELECT name, note FROM hr.employees', roles);
    }
  });
});

/** hr is allowed to see canaries; only the call's success is checked here. */
function expectAllowedFor(role: string, outcome: Awaited<ReturnType<PolicyShop['run']>>): void {
  expect(outcome.ok ? 'ok' : `${outcome.error.code}: ${outcome.error.message}`, role).toBe('ok');
}

describe('postgres leak corpus: a writable environment', () => {
  let writable: PolicyShop;
  beforeAll(async () => {
    writable = await openPolicyShop(POSTGRES_SHOP, { writable: true });
  });
  afterAll(async () => {
    await writable?.close();
  });

  it.each(WRITES_REFUSED_BY_POLICY)('the policy refuses %s', async (sql) => {
    const outcome = await writable.run(sql);
    expectHeld(sql, outcome);
    expect(outcome.ok ? 'ran' : `${outcome.error.code}: ${outcome.error.message}`, sql).toMatch(/^SG_POLICY_DENIED/);
  });

  it.each(WRITES_HELD_OTHERWISE)('$by holds $sql', async ({ sql, by }) => {
    const outcome = await writable.run(sql);
    expectHeld(sql, outcome);
    expect(outcome.ok ? 'ran' : outcome.error.code, sql).toBe(by);
  });

  it('changed nothing it refused', async () => {
    const customers = await writable.run('SELECT id, name, region FROM customers ORDER BY id');
    expect(customers.ok && customers.structured.rows).toEqual([[1, 'Alice', 'north'], [2, 'Bob', 'south']]);
    const payroll = await writable.run('SELECT count(*) FROM payroll', ['hr']);
    expect(payroll.ok && payroll.structured.rows).toEqual([[1]]);
  });

  // In order: each step may rely on the one before.
  it.each(POSTGRES_WRITES_ALLOWED)('runs $sql', async ({ sql, rows }) => {
    const outcome = await writable.run(sql);
    expectAllowed(sql, outcome);
    if (typeof rows === 'function') rows(outcome.structured.rows);
    else expect(outcome.structured.rows, sql).toEqual(rows);
  });
});
