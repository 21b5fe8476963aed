/**
 * relationFacts on PostgreSQL: names resolved the way the parser resolves them (search_path with the implicit
 * pg_catalog), every relation kind the policy meets, ancestors of partitions and inheritance children, and names that
 * are only ever names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Introspector } from '../../../src/db/dialect.js';
import type { Environment } from '../../../src/environments/environment.js';
import { createTestDatabase, openEnvironment, PG_ADMIN_URL, withPgClient, type TestDatabase } from '../../support/test-databases.js';

const INJECTION = "x'; drop table t; --";

let database: TestDatabase;
let env: Environment;
let catalog: Introspector;

beforeAll(async () => {
  database = await createTestDatabase('postgres', [
    'CREATE TABLE t (id int)',
    'CREATE TABLE orders (id int, dropped int, customer text, total numeric)',
    'ALTER TABLE orders DROP COLUMN dropped',
    'CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100',
    'CREATE MATERIALIZED VIEW order_totals AS SELECT customer, sum(total) AS total FROM orders GROUP BY customer',
    'CREATE TABLE events (at date NOT NULL, id int) PARTITION BY RANGE (at)',
    "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') PARTITION BY RANGE (at)",
    "CREATE TABLE events_2024_h1 PARTITION OF events_2024 FOR VALUES FROM ('2024-01-01') TO ('2024-07-01')",
    'CREATE TABLE base (id int)',
    'CREATE TABLE audited (changed_at timestamptz)',
    'CREATE TABLE mid (note text) INHERITS (base)',
    'CREATE TABLE leaf () INHERITS (mid, audited)',
    'CREATE SCHEMA app',
    'CREATE TABLE app.widgets (id int, secret text)',
    'CREATE TABLE public.widgets (id int)',
    'CREATE TABLE public.pg_class (id int)',
    'CREATE SCHEMA "Sales"',
    'CREATE TABLE "Sales"."Order Lines" ("Line No" int, "orderID" int)',
    `CREATE TABLE "${INJECTION.replaceAll('"', '""')}" (id int)`,
    'CREATE SEQUENCE order_ids',
    'CREATE INDEX orders_customer ON orders (customer)',
    'CREATE SCHEMA hidden',
    'CREATE TABLE hidden.notes (id int)',
  ]);
  // The login's statements resolve unqualified names in app first.
  await withPgClient(PG_ADMIN_URL, (admin) => admin.query(`ALTER DATABASE ${database.name} SET search_path = app, public`));
  env = await openEnvironment('facts', database.url);
  catalog = env.dialect.introspector();
});
afterAll(async () => {
  await env?.dialect.close();
  await database?.drop();
});

describe('relationFacts on PostgreSQL', () => {
  it('describes a table by its columns in table order, dropped columns left out', async () => {
    expect(await catalog.relationFacts({ schema: 'public', name: 'orders' })).toEqual({
      schema: 'public', name: 'orders', kind: 'table', columns: ['id', 'customer', 'total'], definition: null, parents: [],
    });
  });

  it('gives a view and a materialized view their SELECT text', async () => {
    const view = (await catalog.relationFacts({ schema: null, name: 'big_orders' }))!;
    expect(view).toMatchObject({ schema: 'public', name: 'big_orders', kind: 'view', columns: ['id', 'total'], parents: [] });
    expect(view.definition).toMatch(/^\s*SELECT[\s\S]*FROM orders[\s\S]*WHERE \(?orders\.total > /);
    const materialized = (await catalog.relationFacts({ schema: 'public', name: 'order_totals' }))!;
    expect(materialized).toMatchObject({ kind: 'view', columns: ['customer', 'total'] });
    expect(materialized.definition).toMatch(/SELECT[\s\S]*sum\(orders\.total\)[\s\S]*GROUP BY orders\.customer/);
  });

  it('names the partitions a partition belongs to, nearest first', async () => {
    expect(await catalog.relationFacts({ schema: null, name: 'events' })).toMatchObject({ kind: 'table', columns: ['at', 'id'], parents: [] });
    expect((await catalog.relationFacts({ schema: 'public', name: 'events_2024' }))!.parents).toEqual([{ schema: 'public', name: 'events' }]);
    expect((await catalog.relationFacts({ schema: 'public', name: 'events_2024_h1' }))!.parents).toEqual([
      { schema: 'public', name: 'events_2024' },
      { schema: 'public', name: 'events' },
    ]);
  });

  it('names every ancestor of an inheritance child: nearest first, declared order within a level', async () => {
    const leaf = (await catalog.relationFacts({ schema: null, name: 'leaf' }))!;
    expect(leaf.columns).toEqual(['id', 'note', 'changed_at']);
    expect(leaf.parents).toEqual([
      { schema: 'public', name: 'mid' },
      { schema: 'public', name: 'audited' },
      { schema: 'public', name: 'base' },
    ]);
  });

  it('resolves an unqualified name along search_path, into a schema other than public', async () => {
    expect(await catalog.relationFacts({ schema: null, name: 'widgets' })).toMatchObject({ schema: 'app', name: 'widgets', columns: ['id', 'secret'] });
    expect(await catalog.relationFacts({ schema: 'public', name: 'widgets' })).toMatchObject({ schema: 'public', columns: ['id'] });
  });

  it('resolves catalog relations as system, also unqualified through the implicit pg_catalog', async () => {
    const stats = (await catalog.relationFacts({ schema: null, name: 'pg_stats' }))!;
    expect(stats).toMatchObject({ schema: 'pg_catalog', name: 'pg_stats', kind: 'system', definition: null, parents: [] });
    expect(stats.columns).toContain('most_common_vals');
    // pg_catalog comes before public in the path, so public.pg_class is reached only by its full name.
    expect(await catalog.relationFacts({ schema: null, name: 'pg_class' })).toMatchObject({ schema: 'pg_catalog', kind: 'system' });
    expect(await catalog.relationFacts({ schema: 'public', name: 'pg_class' })).toMatchObject({ schema: 'public', kind: 'table' });
    const columns = (await catalog.relationFacts({ schema: 'information_schema', name: 'columns' }))!;
    expect(columns).toMatchObject({ schema: 'information_schema', name: 'columns', kind: 'system' });
    expect(columns.columns).toContain('column_name');
  });

  it('matches quoted mixed-case names exactly', async () => {
    expect(await catalog.relationFacts({ schema: 'Sales', name: 'Order Lines' })).toEqual({
      schema: 'Sales', name: 'Order Lines', kind: 'table', columns: ['Line No', 'orderID'], definition: null, parents: [],
    });
    expect(await catalog.relationFacts({ schema: 'sales', name: 'Order Lines' })).toBeNull();
    expect(await catalog.relationFacts({ schema: 'Sales', name: 'order lines' })).toBeNull();
    // "Sales" is not on search_path.
    expect(await catalog.relationFacts({ schema: null, name: 'Order Lines' })).toBeNull();
    expect(await catalog.relationFacts({ schema: null, name: 'ORDERS' })).toBeNull();
  });

  it('answers null for a missing name, a missing schema, and names that reach no readable relation', async () => {
    expect(await catalog.relationFacts({ schema: null, name: 'nope' })).toBeNull();
    expect(await catalog.relationFacts({ schema: 'nowhere', name: 'orders' })).toBeNull();
    expect(await catalog.relationFacts({ schema: null, name: 'orders_customer' })).toBeNull();
    expect(await catalog.relationFacts({ schema: null, name: 'a\0b' })).toBeNull();
    expect(await catalog.relationFacts({ schema: null, name: 'order_ids' })).toMatchObject({ kind: 'table', columns: ['last_value', 'log_cnt', 'is_called'] });
  });

  it('takes an injection attempt as a name: it finds only a relation spelled that way, and nothing runs', async () => {
    expect(await catalog.relationFacts({ schema: 'nowhere', name: INJECTION })).toBeNull();
    expect(await catalog.relationFacts({ schema: INJECTION, name: 't' })).toBeNull();
    expect(await catalog.relationFacts({ schema: null, name: `${INJECTION}"` })).toBeNull();
    expect(await catalog.relationFacts({ schema: null, name: INJECTION })).toMatchObject({ schema: 'public', name: INJECTION, kind: 'table' });
    expect(await catalog.relationFacts({ schema: null, name: 't' })).toMatchObject({ kind: 'table', columns: ['id'] });
  });

  it('shows a view\'s definition to a login that may not read it, and refuses a schema it may not use, as a statement would', async () => {
    const role = `sqlgate_t_facts_${Date.now().toString(36)}`;
    await withPgClient(database.url, async (admin) => {
      await admin.query(`CREATE ROLE ${role} LOGIN`);
      await admin.query(`ALTER ROLE ${role} IN DATABASE ${database.name} SET search_path = hidden, public`);
    });
    const url = new URL(database.url);
    url.username = role;
    const outsider = await openEnvironment('outsider', url.toString());
    try {
      const catalogAsOutsider = outsider.dialect.introspector();
      const view = (await catalogAsOutsider.relationFacts({ schema: 'public', name: 'big_orders' }))!;
      expect(view.definition).toContain('FROM orders');
      await expect(catalogAsOutsider.relationFacts({ schema: 'hidden', name: 'notes' })).rejects.toThrow(/permission denied for schema hidden/);
      // Unqualified, a schema without USAGE is skipped along search_path (hidden, public), as the parser skips it.
      expect(await catalogAsOutsider.relationFacts({ schema: null, name: 'notes' })).toBeNull();
    } finally {
      await outsider.dialect.close();
      await withPgClient(database.url, (admin) => admin.query(`DROP OWNED BY ${role}`));
      await withPgClient(PG_ADMIN_URL, (admin) => admin.query(`DROP ROLE ${role}`));
    }
  });
});
