/**
 * The catalog tools (list_tables, describe_table, get_table_sample) under a table/column policy, against real
 * SQLite and PostgreSQL databases, with the config loaded as a file (roles section and all): a denied table is
 * answered as a missing one, denied columns and what names them are left out, masked columns are marked and their
 * values masked, and the caller's roles lift what their exceptions say. PostgreSQL adds partitions and inheritance.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { DialectName } from '../../src/db/dialect.js';
import { createDialect } from '../../src/db/registry.js';
import type { Environment } from '../../src/environments/environment.js';
import type { Identity } from '../../src/environments/identity.js';
import { SqlgateError } from '../../src/errors.js';
import { StatementRulesCache } from '../../src/guard/create-statement-rules.js';
import { describeTableTool } from '../../src/tools/describe-table.js';
import { getTableSampleTool } from '../../src/tools/get-table-sample.js';
import { listTablesTool } from '../../src/tools/list-tables.js';
import type { ToolDefinition } from '../../src/tools/tool.js';
import { createTestDatabase, type TestDatabase } from '../support/test-databases.js';

const POLICY = {
  // ledger: PostgreSQL's inheritance child of a denied table. SQLite: vault.* (every column of vault) and
  // badges.secret (part of a primary key).
  deny: ['payroll', 'customers.ssn', 'ledger', 'vault.*', 'badges.secret'],
  mask: { 'customers.email': 'email', 'customers.phone': 'last4' },
  roles: { hr: { allow: ['payroll'], unmask: ['customers.email'] } },
};

const CUSTOMERS = [
  "INSERT INTO customers VALUES (1, 'Alice', 'alice@example.com', '555-010-1234', '123-45-6789')",
  "INSERT INTO customers VALUES (2, 'Bob', 'bob@example.org', '555-019-9876', '987-65-4321')",
];

/** The same tables in each dialect; `withPayroll: false` builds the database a denied payroll must look like. */
const SCHEMAS: Record<'sqlite' | 'postgres', (withPayroll: boolean) => string[]> = {
  sqlite: (withPayroll) => [
    'CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, phone TEXT, ssn TEXT)',
    'CREATE UNIQUE INDEX customers_ssn ON customers (ssn)',
    'CREATE INDEX customers_name ON customers (name)',
    'CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers (id))',
    'CREATE TABLE ssn_checks (id INTEGER PRIMARY KEY, ssn TEXT REFERENCES customers (ssn))',
    'CREATE TABLE vault (secret TEXT, pin TEXT)',
    'CREATE TABLE badges (customer_id INTEGER, secret TEXT, label TEXT, PRIMARY KEY (customer_id, secret))',
    'CREATE TABLE payslips (id INTEGER PRIMARY KEY, payroll_id INTEGER REFERENCES payroll (id), customer_id INTEGER REFERENCES customers (id))',
    ...(withPayroll ? ['CREATE TABLE payroll (id INTEGER PRIMARY KEY, amount NUMERIC, customer_id INTEGER REFERENCES customers (id))'] : []),
    ...CUSTOMERS,
    "INSERT INTO vault VALUES ('s', '1234')",
  ],
  postgres: (withPayroll) => [
    'CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text, phone text, ssn text)',
    'CREATE UNIQUE INDEX customers_ssn ON customers (ssn)',
    'CREATE INDEX customers_name ON customers (name)',
    'CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers (id))',
    'CREATE TABLE ssn_checks (id int PRIMARY KEY, ssn text REFERENCES customers (ssn))',
    ...(withPayroll
      ? [
          'CREATE TABLE payroll (id int, amount numeric, period date NOT NULL, customer_id int REFERENCES customers (id)) PARTITION BY RANGE (period)',
          "CREATE TABLE payroll_2024 PARTITION OF payroll FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        ]
      : []),
    'CREATE TABLE ledger (id int, amount numeric)',
    'CREATE TABLE ledger_2023 () INHERITS (ledger)',
    'CREATE TABLE customers_archive (archived_on date) INHERITS (customers)',
    // notes in two schemas, neither the default: vault's is denied (vault.*), so "notes" is other's, not ambiguous.
    'CREATE SCHEMA vault',
    'CREATE TABLE vault.notes (id int)',
    'CREATE SCHEMA other',
    'CREATE TABLE other.notes (id int)',
    ...CUSTOMERS,
  ],
};

const rulesCache = new StatementRulesCache();
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A database with `statements`, opened as environment "shop" of a config file that has the roles section. */
async function openShop(dialect: DialectName, statements: string[], policy: object | null = POLICY): Promise<Environment> {
  const database: TestDatabase = await createTestDatabase(dialect, statements);
  cleanups.push(() => database.drop());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-policy-catalog-'));
  cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  // JSON is YAML: the file is read as an operator's sqlgate.yaml would be.
  const file = { roles: { hr: { environments: { shop: 'read' } } }, environments: { shop: { database: database.url, ...(policy ? { policy } : {}) } } };
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), JSON.stringify(file));
  const config = loadConfig({ env: {}, cwd: dir }).environments[0]!;
  const db = await createDialect(config);
  await db.open();
  cleanups.push(() => db.close());
  return { name: 'shop', config, dialect: db, rules: await rulesCache.rulesFor(config.target), description: undefined, namedRoleLimits: new Map() };
}

const caller = (roles: string[] = []): Identity => ({ user: 'alice', via: 'none', environment: 'shop', canWrite: false, scopes: [], roles });

async function call(tool: ToolDefinition, environment: Environment, input: object, identity = caller(), statements: string[] = []) {
  return tool.run(tool.inputSchema.parse(input), { environment, signal: new AbortController().signal, identity, recordStatement: (sql) => statements.push(sql) });
}

async function failure(tool: ToolDefinition, environment: Environment, input: object, identity = caller()): Promise<SqlgateError> {
  try {
    await call(tool, environment, input, identity);
  } catch (err) {
    expect(err).toBeInstanceOf(SqlgateError);
    return err as SqlgateError;
  }
  throw new Error(`expected ${tool.name} ${JSON.stringify(input)} to fail`);
}

const said = (err: SqlgateError) => ({ code: err.code, message: err.message, hint: err.hint });
const tableNames = (structured: unknown) => (structured as { tables: { name: string }[] }).tables.map((t) => t.name);
type Sample = { columns: { name: string }[]; rows: unknown[][] };
type Description = {
  columns: { name: string; masked?: string }[];
  primary_key: string[];
  indexes: { name: string; columns: string[] }[];
  foreign_keys: { table: string; columns: string[] }[];
  referenced_by: { table: string; columns: string[] }[];
};

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`catalog tools under a table/column policy (${dialect})`, () => {
    let shop: Environment;
    let withoutPayroll: Environment;
    beforeAll(async () => {
      shop = await openShop(dialect, SCHEMAS[dialect](true));
      withoutPayroll = await openShop(dialect, SCHEMAS[dialect](false));
    });

    it('list_tables leaves out a denied table, and lists it for a role the policy allows it to', async () => {
      const listed = tableNames((await call(listTablesTool, shop, {})).structured);
      expect(listed).toEqual(expect.arrayContaining(['customers', 'orders', 'ssn_checks']));
      expect(listed).not.toContain('payroll');
      const { structured, text } = await call(listTablesTool, shop, { name_contains: 'payr' });
      expect(structured).toEqual({ tables: [], count: 0, total: 0, next_cursor: null });
      expect(text).toBe('No tables or views match.');
      expect(tableNames((await call(listTablesTool, shop, {}, caller(['hr']))).structured)).toContain('payroll');
    });

    it('describe_table leaves out a denied column with its index and the foreign keys naming it, and marks masked columns', async () => {
      const { structured, text } = await call(describeTableTool, shop, { table: 'customers' });
      const table = structured as Description;
      expect(table.columns.map((c) => [c.name, c.masked])).toEqual([['id', undefined], ['name', undefined], ['email', 'email'], ['phone', 'last4']]);
      expect(table.columns[0]).not.toHaveProperty('masked');
      expect(table.primary_key).toEqual(['id']);
      expect(table.indexes.map((i) => i.name)).toContain('customers_name');
      expect(table.indexes.some((i) => i.columns.includes('ssn'))).toBe(false);
      // Pointing at customers: orders kept; ssn_checks (names ssn) and payroll (a denied table) left out.
      const referencing = table.referenced_by.map((fk) => fk.table.replace(/^public\./, ''));
      expect(referencing).toContain('orders');
      expect(referencing).not.toContain('ssn_checks');
      expect(referencing).not.toContain('payroll');
      expect(text).not.toMatch(/ssn|payroll/);
      expect(text).toMatch(/\n {2}email text \(null\) \(masked: email\)\n/);
      expect(text).toMatch(/\n {2}phone text \(null\) \(masked: last4\)\n/);
    });

    it('describe_table shows hr what its exceptions lift, and no more', async () => {
      const table = (await call(describeTableTool, shop, { table: 'customers' }, caller(['hr']))).structured as Description;
      expect(table.columns.map((c) => [c.name, c.masked])).toEqual([['id', undefined], ['name', undefined], ['email', undefined], ['phone', 'last4']]);
      expect(table.referenced_by.map((fk) => fk.table.replace(/^public\./, ''))).toEqual(expect.arrayContaining(['orders', 'payroll']));
      expect(table.referenced_by.map((fk) => fk.table)).not.toContain('ssn_checks');
      expect((await call(describeTableTool, shop, { table: 'payroll' }, caller(['hr']))).structured).toMatchObject({ name: 'payroll' });
    });

    it('describe_table and get_table_sample answer a denied table exactly as a table that does not exist', async () => {
      for (const tool of [describeTableTool, getTableSampleTool]) {
        for (const table of ['payroll', 'PAYROLL', 'payrol', 'payroll_x']) {
          const denied = await failure(tool, shop, { table });
          expect(denied.code).toBe('SG_TABLE_NOT_FOUND');
          expect(said(denied), `${tool.name} ${table}`).toEqual(said(await failure(tool, withoutPayroll, { table })));
          expect(denied.hint).not.toMatch(/payroll\b/i);
        }
      }
    });

    it('get_table_sample names only the allowed columns and masks the masked ones', async () => {
      const statements: string[] = [];
      const { structured, text } = await call(getTableSampleTool, shop, { table: 'customers' }, caller(), statements);
      expect((structured as Sample).columns.map((c) => c.name)).toEqual(['id', 'name', 'email', 'phone']);
      expect(structured.rows).toEqual([
        [1, 'Alice', 'a•••@example.com', '•••1234'],
        [2, 'Bob', 'b•••@example.org', '•••9876'],
      ]);
      expect(statements).toHaveLength(1);
      expect(statements[0]).not.toMatch(/\*|ssn/);
      expect(text).not.toMatch(/alice@|123-45/);

      const hr = (await call(getTableSampleTool, shop, { table: 'customers' }, caller(['hr']))).structured;
      expect(hr.rows).toEqual([
        [1, 'Alice', 'alice@example.com', '•••1234'],
        [2, 'Bob', 'bob@example.org', '•••9876'],
      ]);
    });

    it('changes nothing without a policy: every column, SELECT *, nothing masked', async () => {
      const open = await openShop(dialect, SCHEMAS[dialect](true), null);
      const table = (await call(describeTableTool, open, { table: 'customers' })).structured as Description;
      expect(table.columns.map((c) => c.name)).toEqual(['id', 'name', 'email', 'phone', 'ssn']);
      expect(table.columns.some((c) => 'masked' in c)).toBe(false);
      const statements: string[] = [];
      const sample = (await call(getTableSampleTool, open, { table: 'customers' }, caller(), statements)).structured as Sample;
      expect(statements[0]).toContain('SELECT * FROM');
      expect(sample.rows[0]).toEqual([1, 'Alice', 'alice@example.com', '555-010-1234', '123-45-6789']);
      expect(tableNames((await call(listTablesTool, open, {})).structured)).toContain('payroll');
    });
  });
}

describe('catalog tools under a table/column policy (sqlite only)', () => {
  it('refuse to sample a table none of whose columns the caller may read, and show it without columns', async () => {
    const shop = await openShop('sqlite', SCHEMAS.sqlite(true));
    const refused = await failure(getTableSampleTool, shop, { table: 'vault' });
    expect(said(refused)).toEqual({
      code: 'SG_POLICY_DENIED',
      message: 'vault has no columns that you may read in this environment.',
      hint: 'describe_table lists the columns you may use; list_tables the other tables.',
    });
    expect(((await call(describeTableTool, shop, { table: 'vault' })).structured as Description).columns).toEqual([]);
  });

  it('leave out a primary key that includes a denied column, and foreign keys to a denied table or column', async () => {
    const shop = await openShop('sqlite', SCHEMAS.sqlite(true));
    const badges = (await call(describeTableTool, shop, { table: 'badges' })).structured as Description;
    expect(badges.columns.map((c) => c.name)).toEqual(['customer_id', 'label']);
    expect(badges.primary_key).toEqual([]);
    expect(badges.indexes).toEqual([]);
    // payslips → payroll (a denied table) is left out, payslips → customers kept; ssn_checks → customers.ssn left out.
    const payslips = (await call(describeTableTool, shop, { table: 'payslips' })).structured as Description;
    expect(payslips.foreign_keys.map((fk) => [fk.table, fk.columns])).toEqual([['customers', ['customer_id']]]);
    const hr = (await call(describeTableTool, shop, { table: 'payslips' }, caller(['hr']))).structured as Description;
    expect(hr.foreign_keys.map((fk) => fk.table).sort()).toEqual(['customers', 'payroll']);
    expect(((await call(describeTableTool, shop, { table: 'ssn_checks' })).structured as Description).foreign_keys).toEqual([]);
  });
});

describe('catalog tools under a table/column policy (postgres partitions and inheritance)', () => {
  let shop: Environment;
  beforeAll(async () => {
    shop = await openShop('postgres', SCHEMAS.postgres(true));
  });

  it('hide a partition of a denied table and an inheritance child of one, as tables that do not exist', async () => {
    const listed = tableNames((await call(listTablesTool, shop, {})).structured);
    expect(listed).toEqual(['notes', 'customers', 'customers_archive', 'orders', 'ssn_checks']);
    for (const tool of [describeTableTool, getTableSampleTool]) {
      for (const table of ['payroll_2024', 'public.ledger_2023', 'ledger_2023']) {
        const hidden = await failure(tool, shop, { table });
        const missing = await failure(tool, shop, { table: table.replace(/20\d\d/, '1999') });
        expect(hidden.code).toBe('SG_TABLE_NOT_FOUND');
        expect(hidden.hint).toBe(missing.hint);
        expect(hidden.message).toBe(missing.message.replace('1999', table.match(/20\d\d/)![0]));
      }
    }
  });

  it('never match, nor name as ambiguous, a table of the same name the caller may not see', async () => {
    expect((await call(describeTableTool, shop, { table: 'notes' })).structured).toMatchObject({ schema: 'other', name: 'notes' });
    expect((await call(getTableSampleTool, shop, { table: 'notes' })).structured).toMatchObject({ table: 'other.notes' });
    const hidden = await failure(describeTableTool, shop, { table: 'vault.notes' });
    expect(said(hidden)).toEqual({ ...said(await failure(describeTableTool, shop, { table: 'vault.notez' })), message: 'Table "vault.notes" does not exist.' });
  });

  it('apply a parent\'s column rules to its inheritance child', async () => {
    const table = (await call(describeTableTool, shop, { table: 'customers_archive' })).structured as Description;
    expect(table.columns.map((c) => [c.name, c.masked])).toEqual([
      ['id', undefined], ['name', undefined], ['email', 'email'], ['phone', 'last4'], ['archived_on', undefined],
    ]);
    const sample = (await call(getTableSampleTool, shop, { table: 'customers_archive' })).structured as Sample;
    expect(sample.columns.map((c) => c.name)).toEqual(['id', 'name', 'email', 'phone', 'archived_on']);
  });

  it('hide a view over a restricted table from all three tools, as execute_sql refuses to read it', async () => {
    const withView = await openShop('postgres', [
      ...SCHEMAS.postgres(true),
      'CREATE VIEW payroll_total AS SELECT sum(amount) AS total FROM payroll',
      'CREATE VIEW customer_ssns AS SELECT id, ssn FROM customers',
      'CREATE VIEW order_counts AS SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id',
    ]);
    const listed = tableNames((await call(listTablesTool, withView, {})).structured);
    expect(listed).toContain('order_counts');
    expect(listed).not.toContain('payroll_total');
    expect(listed).not.toContain('customer_ssns');
    for (const view of ['payroll_total', 'customer_ssns']) {
      expect((await failure(describeTableTool, withView, { table: view })).code).toBe('SG_TABLE_NOT_FOUND');
      expect((await failure(getTableSampleTool, withView, { table: view })).code).toBe('SG_TABLE_NOT_FOUND');
    }
    expect((await call(describeTableTool, withView, { table: 'order_counts' })).structured).toMatchObject({ name: 'order_counts' });
    // hr may read payroll: its view is there for hr; customers.ssn stays denied, so customer_ssns does not.
    const hr = tableNames((await call(listTablesTool, withView, {}, caller(['hr']))).structured);
    expect(hr).toContain('payroll_total');
    expect(hr).not.toContain('customer_ssns');
    expect((await call(getTableSampleTool, withView, { table: 'payroll_total' }, caller(['hr']))).structured).toMatchObject({ rows: [[null]] });
  });

  it('list a child of a denied table to a role that is allowed the parent', async () => {
    // hr's allow lifts "payroll" only: ledger's child stays hidden.
    const listed = tableNames((await call(listTablesTool, shop, {}, caller(['hr']))).structured);
    expect(listed).toContain('payroll');
    expect(listed).not.toContain('ledger_2023');
  });
});
