/**
 * The PostgreSQL catalog beyond the contract fixture: schemas, partitions, materialized views, temp tables,
 * composite and expression keys, lengths from typmods, privileges, and the least-privilege login of the docs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery } from '../../../src/db/run-query.js';
import type { Introspector } from '../../../src/db/dialect.js';
import type { Environment } from '../../../src/environments/environment.js';
import { SqlgateError } from '../../../src/errors.js';
import { createTestDatabase, openEnvironment, PG_ADMIN_URL, withPgClient, type TestDatabase } from '../../support/test-databases.js';

let database: TestDatabase;
let env: Environment;
let catalog: Introspector;

beforeAll(async () => {
  database = await createTestDatabase('postgres', [
    'CREATE SCHEMA "Sales"',
    'CREATE TABLE "Sales"."Order Lines" (order_id int, line_no int, PRIMARY KEY (line_no, order_id))',
    'CREATE TABLE parent (x int, y int, UNIQUE (y, x))',
    `CREATE TABLE child (
       id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       a int, b int,
       manager_id int REFERENCES child(id),
       name varchar(40) NOT NULL DEFAULT 'n/a',
       code char(3), flags bit(8), blob bytea,
       doubled int GENERATED ALWAYS AS (a * 2) STORED,
       CONSTRAINT child_parent_fk FOREIGN KEY (a, b) REFERENCES parent (y, x))`,
    'CREATE DOMAIN short_text AS varchar(12)',
    'CREATE TABLE with_domain (label short_text)',
    'CREATE UNIQUE INDEX child_lower_name ON child (lower(name), a) INCLUDE (b)',
    'CREATE TABLE a_b (id int)',
    'CREATE TABLE axb (id int)',
    'CREATE TABLE events (at date NOT NULL, id int) PARTITION BY RANGE (at)',
    "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
    "CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
    "INSERT INTO events SELECT date '2024-01-01' + g % 700, g FROM generate_series(1, 3000) g",
    'CREATE MATERIALIZED VIEW event_counts AS SELECT at, count(*) AS n FROM events GROUP BY at',
    'CREATE TABLE secret_stuff (id int)',
    'ANALYZE',
    'CREATE TABLE never_analyzed (id int)',
  ]);
  env = await openEnvironment('catalog', database.url);
  catalog = env.dialect.introspector();
});
afterAll(async () => {
  await env?.dialect.close();
  await database?.drop();
});

describe('listTables', () => {
  it('lists user relations by schema then name: partitioned tables without their partitions, materialized views as views', async () => {
    const tables = (await catalog.listTables({})).map((t) => `${t.schema}.${t.name}:${t.kind}`);
    expect(tables).toEqual([
      'Sales.Order Lines:table',
      'public.a_b:table',
      'public.axb:table',
      'public.child:table',
      'public.event_counts:view',
      'public.events:table',
      'public.never_analyzed:table',
      'public.parent:table',
      'public.secret_stuff:table',
      'public.with_domain:table',
    ]);
  });

  it('leaves out other sessions\' temp tables and system schemas', async () => {
    await withPgClient(database.url, async (other) => {
      await other.query('CREATE TEMP TABLE scratch (id int)');
      const names = (await catalog.listTables({ nameContains: 'scratch' })).map((t) => t.name);
      expect(names).toEqual([]);
    });
    expect((await catalog.listTables({ schema: 'pg_catalog' })).length).toBe(0);
    expect((await catalog.listTables({ schema: 'information_schema' })).length).toBe(0);
  });

  it('estimates rows from statistics: partitions summed, null before the first ANALYZE', async () => {
    const byName = new Map((await catalog.listTables({})).map((t) => [t.name, t.estimatedRows]));
    expect(byName.get('events')).toBe(3_000);
    expect(byName.get('event_counts')).toBe(700);
    expect(byName.get('never_analyzed')).toBeNull();
  });

  it('filters by exact schema and by a case-insensitive part of the name, taking % and _ literally', async () => {
    expect((await catalog.listTables({ schema: 'Sales' })).map((t) => t.name)).toEqual(['Order Lines']);
    expect(await catalog.listTables({ schema: 'sales' })).toEqual([]);
    expect((await catalog.listTables({ nameContains: 'ORDER l' })).map((t) => t.name)).toEqual(['Order Lines']);
    expect((await catalog.listTables({ nameContains: '_' })).map((t) => t.name)).toEqual(['a_b', 'event_counts', 'never_analyzed', 'secret_stuff', 'with_domain']);
    expect(await catalog.listTables({ nameContains: '%' })).toEqual([]);
  });
});

describe('describeTable', () => {
  it('reports types, nullability, defaults (identity and generated too) and lengths from the typmod', async () => {
    const child = (await catalog.describeTable({ schema: 'public', name: 'child' }))!;
    const columns = Object.fromEntries(child.columns.map((c) => [c.name, c]));
    expect(child.columns.map((c) => c.name)).toEqual(['id', 'a', 'b', 'manager_id', 'name', 'code', 'flags', 'blob', 'doubled']);
    expect(columns.id).toEqual({ name: 'id', type: 'integer', nullable: false, default: 'generated always as identity', maxLength: null });
    expect(columns.name).toEqual({ name: 'name', type: 'character varying(40)', nullable: false, default: "'n/a'::character varying", maxLength: 40 });
    expect(columns.code).toMatchObject({ type: 'character(3)', nullable: true, maxLength: 3 });
    expect(columns.flags).toMatchObject({ type: 'bit(8)', maxLength: 8 });
    expect(columns.blob).toMatchObject({ type: 'bytea', maxLength: null });
    expect(columns.doubled!.default).toBe('generated always as ((a * 2)) stored');
    const domain = (await catalog.describeTable({ schema: 'public', name: 'with_domain' }))!;
    expect(domain.columns[0]).toMatchObject({ type: 'short_text', maxLength: 12 });
  });

  it('keeps composite key order, in foreign keys both ways and in the primary key', async () => {
    const child = (await catalog.describeTable({ schema: 'public', name: 'child' }))!;
    expect(child.primaryKey).toEqual(['id']);
    expect(child.foreignKeys).toEqual([
      { name: 'child_manager_id_fkey', columns: ['manager_id'], fromTable: { schema: 'public', name: 'child' }, toTable: { schema: 'public', name: 'child' }, toColumns: ['id'] },
      { name: 'child_parent_fk', columns: ['a', 'b'], fromTable: { schema: 'public', name: 'child' }, toTable: { schema: 'public', name: 'parent' }, toColumns: ['y', 'x'] },
    ].sort((p, q) => p.name.localeCompare(q.name)));
    expect(child.referencedBy.map((fk) => fk.name)).toEqual(['child_manager_id_fkey']);
    const parent = (await catalog.describeTable({ schema: 'public', name: 'parent' }))!;
    expect(parent.referencedBy).toEqual([expect.objectContaining({ name: 'child_parent_fk', columns: ['a', 'b'], toColumns: ['y', 'x'] })]);
    const lines = (await catalog.describeTable({ schema: 'Sales', name: 'Order Lines' }))!;
    expect(lines.primaryKey).toEqual(['line_no', 'order_id']);
  });

  it('lists indexes with key columns in order, expressions as text, INCLUDE columns left out', async () => {
    const child = (await catalog.describeTable({ schema: 'public', name: 'child' }))!;
    expect(child.indexes).toEqual([
      { name: 'child_lower_name', columns: ['lower(name::text)', 'a'], unique: true, primary: false },
      { name: 'child_pkey', columns: ['id'], unique: true, primary: true },
    ]);
  });

  it('matches exactly, resolves a null schema along search_path, and returns null for unknown tables', async () => {
    expect(await catalog.describeTable({ schema: 'public', name: 'CHILD' })).toBeNull();
    expect(await catalog.describeTable({ schema: 'sales', name: 'Order Lines' })).toBeNull();
    expect((await catalog.describeTable({ schema: null, name: 'parent' }))?.schema).toBe('public');
    expect(await catalog.describeTable({ schema: null, name: 'Order Lines' })).toBeNull();
    expect(await catalog.defaultSchema()).toBe('public');
  });

  it('describes a materialized view as a view', async () => {
    const view = (await catalog.describeTable({ schema: 'public', name: 'event_counts' }))!;
    expect(view.kind).toBe('view');
    expect(view.columns.map((c) => [c.name, c.type])).toEqual([['at', 'date'], ['n', 'bigint']]);
  });
});

describe('the least-privilege login of docs/dialects/postgres.md', () => {
  it('reads granted tables only, lists only those, and cannot write even in a writable environment', async () => {
    const role = `sqlgate_t_reader_${Date.now().toString(36)}`;
    const databaseName = new URL(database.url).pathname.slice(1);
    await withPgClient(database.url, async (admin) => {
      // The setup from the docs, with names substituted.
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'not-used-with-trust-auth'`);
      await admin.query(`GRANT CONNECT ON DATABASE ${databaseName} TO ${role}`);
      await admin.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
      await admin.query(`GRANT SELECT ON public.parent, public.child TO ${role}`);
      await admin.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ${role}`);
      await admin.query('CREATE TABLE public.created_later (id int)');
    });
    const url = new URL(database.url);
    url.username = role;
    const reader = await openEnvironment('reader', url.toString(), { read_only: false });
    try {
      const names = (await reader.dialect.introspector().listTables({})).map((t) => t.name);
      expect(names).toEqual(['child', 'created_later', 'parent']);
      const read = await runQuery(reader.dialect, { sql: 'SELECT count(*) FROM parent', params: [], readOnly: false, maxRows: 1, timeoutMs: 5_000, maxBinaryBytes: 0 });
      expect(read.rows).toEqual([[0]]);
      for (const sql of ['INSERT INTO parent VALUES (1, 1)', 'SELECT * FROM secret_stuff', 'CREATE TABLE public.mine (id int)']) {
        let error: unknown;
        await runQuery(reader.dialect, { sql, params: [], readOnly: false, maxRows: 1, timeoutMs: 5_000, maxBinaryBytes: 0 }).catch((err: unknown) => (error = err));
        expect(error, sql).toBeInstanceOf(SqlgateError);
        expect((error as SqlgateError).message, sql).toContain('permission denied');
      }
    } finally {
      await reader.dialect.close();
      await withPgClient(database.url, (admin) => admin.query(`DROP OWNED BY ${role}`));
      await withPgClient(PG_ADMIN_URL, (admin) => admin.query(`DROP ROLE ${role}`));
    }
  });
});
