/**
 * relationFacts on SQLite: temp before main, names compared as SQLite compares them (ASCII case-insensitively), the
 * schema tables and SQLite's own sqlite_* tables as system, and every column pragma_table_xinfo knows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Introspector } from '../../../src/db/dialect.js';
import { runQuery } from '../../../src/db/run-query.js';
import type { Environment } from '../../../src/environments/environment.js';
import { createTestDatabase, openEnvironment, type TestDatabase } from '../../support/test-databases.js';

const INJECTION = "x'; drop table t; --";
const SCHEMA_COLUMNS = ['type', 'name', 'tbl_name', 'rootpage', 'sql'];

let database: TestDatabase;
let env: Environment;
let catalog: Introspector;

beforeAll(async () => {
  database = await createTestDatabase('sqlite', [
    'CREATE TABLE t (id INTEGER)',
    'CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, customer TEXT, total NUMERIC, doubled AS (total * 2))',
    'CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100',
    'CREATE TABLE "Order Lines" ("Line No" INTEGER, orderID INTEGER)',
    `CREATE TABLE "${INJECTION}" (id INTEGER)`,
    'CREATE TABLE gone (id INTEGER)',
    'CREATE VIEW broken AS SELECT id FROM gone',
    'DROP TABLE gone',
    "INSERT INTO orders (customer, total) VALUES ('a', 1)",
    'ANALYZE',
  ]);
  env = await openEnvironment('facts', database.url);
  catalog = env.dialect.introspector();
});
afterAll(async () => {
  await env?.dialect.close();
  await database?.drop();
});

describe('relationFacts on SQLite', () => {
  it('describes a table in main (schema null) with generated columns included', async () => {
    expect(await catalog.relationFacts({ schema: null, name: 'orders' })).toEqual({
      schema: null, name: 'orders', kind: 'table', columns: ['id', 'customer', 'total', 'doubled'], definition: null, parents: [],
    });
    expect(await catalog.relationFacts({ schema: 'MAIN', name: 'orders' })).toMatchObject({ schema: null, name: 'orders' });
  });

  it('gives a view its CREATE VIEW statement', async () => {
    expect(await catalog.relationFacts({ schema: 'main', name: 'big_orders' })).toEqual({
      schema: null,
      name: 'big_orders',
      kind: 'view',
      columns: ['id', 'total'],
      definition: 'CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100',
      parents: [],
    });
  });

  it('compares names case-insensitively, as SQLite does, and reports them as the schema spells them', async () => {
    expect(await catalog.relationFacts({ schema: null, name: 'order lines' })).toMatchObject({ name: 'Order Lines', columns: ['Line No', 'orderID'] });
    expect(await catalog.relationFacts({ schema: null, name: 'ORDERS' })).toMatchObject({ name: 'orders' });
  });

  it('resolves the schema tables and SQLite\'s own tables as system', async () => {
    for (const name of ['sqlite_schema', 'SQLITE_MASTER']) {
      expect(await catalog.relationFacts({ schema: null, name })).toEqual({
        schema: null, name: name.toLowerCase(), kind: 'system', columns: SCHEMA_COLUMNS, definition: null, parents: [],
      });
    }
    expect(await catalog.relationFacts({ schema: 'temp', name: 'sqlite_master' })).toMatchObject({ schema: 'temp', kind: 'system' });
    expect(await catalog.relationFacts({ schema: null, name: 'sqlite_temp_master' })).toMatchObject({ schema: 'temp', kind: 'system' });
    expect(await catalog.relationFacts({ schema: 'main', name: 'sqlite_temp_schema' })).toBeNull();
    expect(await catalog.relationFacts({ schema: null, name: 'sqlite_sequence' })).toMatchObject({ kind: 'system', columns: ['name', 'seq'] });
    expect(await catalog.relationFacts({ schema: null, name: 'sqlite_stat1' })).toMatchObject({ kind: 'system', columns: ['tbl', 'idx', 'stat'] });
    // Only exists where ANALYZE made it (better-sqlite3 is built with STAT4); SQLite no longer writes sqlite_stat2.
    expect(await catalog.relationFacts({ schema: null, name: 'sqlite_stat4' })).toMatchObject({ kind: 'system' });
    expect(await catalog.relationFacts({ schema: null, name: 'sqlite_stat2' })).toBeNull();
  });

  it('answers null for a missing name or another schema, and takes an injection attempt as a name', async () => {
    expect(await catalog.relationFacts({ schema: null, name: 'nope' })).toBeNull();
    expect(await catalog.relationFacts({ schema: 'aux', name: 'orders' })).toBeNull();
    expect(await catalog.relationFacts({ schema: 'temp', name: 'orders' })).toBeNull();
    expect(await catalog.relationFacts({ schema: null, name: `${INJECTION}"` })).toBeNull();
    expect(await catalog.relationFacts({ schema: null, name: INJECTION })).toMatchObject({ name: INJECTION, kind: 'table' });
    expect(await catalog.relationFacts({ schema: null, name: 't' })).toMatchObject({ kind: 'table', columns: ['id'] });
  });

  it('fails on a view over a missing table, as a statement reading it would', async () => {
    await expect(catalog.relationFacts({ schema: null, name: 'broken' })).rejects.toThrow(/no such table: main\.gone/);
  });

  it('finds a temp table of the same connection before the main one', async () => {
    const writable = await openEnvironment('temp', database.url, { read_only: false, pool: { max: 1 } });
    try {
      await runQuery(writable.dialect, { sql: 'CREATE TEMP TABLE orders (shadow TEXT)', params: [], readOnly: false, maxRows: 1, timeoutMs: 5_000, maxBinaryBytes: 0 });
      const facts = writable.dialect.introspector();
      expect(await facts.relationFacts({ schema: null, name: 'Orders' })).toMatchObject({ schema: 'temp', name: 'orders', columns: ['shadow'] });
      expect(await facts.relationFacts({ schema: 'main', name: 'orders' })).toMatchObject({ schema: null, columns: ['id', 'customer', 'total', 'doubled'] });
    } finally {
      await writable.dialect.close();
    }
  });
});
