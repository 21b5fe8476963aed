/**
 * relationFacts on MySQL/MariaDB: unqualified names in DATABASE(), names matched by the server's own `=`, system
 * schemas, view text and what a login without SHOW VIEW sees of it.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Introspector } from '../../../src/db/dialect.js';
import type { Environment } from '../../../src/environments/environment.js';
import { createTestDatabase, MYSQL_ADMIN_URL, openEnvironment, withMysql, type TestDatabase } from '../../support/test-databases.js';

const INJECTION = "x'; drop table t; --";

let database: TestDatabase;
let other: TestDatabase;
let env: Environment;
let catalog: Introspector;
let caseSensitiveNames: boolean;
let isMariaDb: boolean;

beforeAll(async () => {
  database = await createTestDatabase('mysql', [
    'CREATE TABLE t (id int)',
    'CREATE TABLE orders (id int, customer varchar(40), total decimal(12,2))',
    'CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100',
    'CREATE TABLE `Order Lines` (`Line No` int, orderID int)',
    `CREATE TABLE \`${INJECTION}\` (id int)`,
  ]);
  other = await createTestDatabase('mysql', ['CREATE TABLE archive (id int, note text)']);
  await withMysql(MYSQL_ADMIN_URL, async (c) => {
    const [rows] = await c.query('SELECT @@lower_case_table_names AS lctn, VERSION() AS version');
    const [info] = rows as { lctn: number; version: string }[];
    caseSensitiveNames = Number(info!.lctn) === 0;
    isMariaDb = /mariadb/i.test(info!.version);
  });
  env = await openEnvironment('facts', database.url);
  catalog = env.dialect.introspector();
});
afterAll(async () => {
  await env?.dialect.close();
  await database?.drop();
  await other?.drop();
});

describe('relationFacts on MySQL/MariaDB', () => {
  it('resolves an unqualified table in DATABASE(), with its columns in table order', async () => {
    expect(await catalog.relationFacts({ schema: null, name: 'orders' })).toEqual({
      schema: database.name, name: 'orders', kind: 'table', columns: ['id', 'customer', 'total'], definition: null, parents: [],
    });
    expect(await catalog.relationFacts({ schema: other.name, name: 'archive' })).toMatchObject({ schema: other.name, columns: ['id', 'note'] });
    expect(await catalog.relationFacts({ schema: null, name: 'archive' })).toBeNull();
  });

  it('gives a view its SELECT text', async () => {
    const view = (await catalog.relationFacts({ schema: database.name, name: 'big_orders' }))!;
    expect(view).toMatchObject({ kind: 'view', columns: ['id', 'total'], parents: [] });
    expect(view.definition).toMatch(/^select .* from `[^`]+`\.`orders` where `[^`]+`\.`orders`\.`total` > 100$/i);
  });

  it('resolves system schemas as system: information_schema in any case, mysql, performance_schema', async () => {
    const tables = (await catalog.relationFacts({ schema: 'information_schema', name: 'tables' }))!;
    expect(tables).toMatchObject({ schema: 'information_schema', name: 'TABLES', kind: 'system', definition: null });
    expect(tables.columns).toContain('TABLE_NAME');
    expect(await catalog.relationFacts({ schema: 'INFORMATION_SCHEMA', name: 'COLUMNS' })).toMatchObject({ name: 'COLUMNS', kind: 'system' });
    // mysql.user is a view on MariaDB 10.4+, a table on MySQL: system either way.
    const user = (await catalog.relationFacts({ schema: 'mysql', name: 'user' }))!;
    expect(user).toMatchObject({ schema: 'mysql', name: 'user', kind: 'system', definition: null });
    expect(user.columns).toContain('User');
    expect(await catalog.relationFacts({ schema: 'performance_schema', name: 'global_status' })).toMatchObject({ kind: 'system' });
  });

  it('matches names as the server does: quoted mixed case exactly where table names are case-sensitive', async () => {
    expect(await catalog.relationFacts({ schema: null, name: 'Order Lines' })).toMatchObject({ name: 'Order Lines', columns: ['Line No', 'orderID'] });
    const folded = await catalog.relationFacts({ schema: null, name: 'order lines' });
    if (caseSensitiveNames) expect(folded).toBeNull();
    else expect(folded).toMatchObject({ name: 'Order Lines' });
  });

  it('answers null for a missing name or schema, and takes an injection attempt as a name', async () => {
    expect(await catalog.relationFacts({ schema: null, name: 'nope' })).toBeNull();
    expect(await catalog.relationFacts({ schema: 'nowhere', name: 'orders' })).toBeNull();
    expect(await catalog.relationFacts({ schema: INJECTION, name: 't' })).toBeNull();
    expect(await catalog.relationFacts({ schema: null, name: `${INJECTION}\\` })).toBeNull();
    expect(await catalog.relationFacts({ schema: null, name: INJECTION })).toMatchObject({ name: INJECTION, kind: 'table' });
    expect(await catalog.relationFacts({ schema: null, name: 't' })).toMatchObject({ kind: 'table', columns: ['id'] });
  });

  it('reads a MariaDB sequence as a table', async () => {
    if (!isMariaDb) return;
    await withMysql(database.url, (c) => c.query('CREATE SEQUENCE order_ids'));
    expect(await catalog.relationFacts({ schema: null, name: 'order_ids' })).toMatchObject({ kind: 'table', definition: null });
  });

  it('shows a login only what information_schema shows it: no view text without SHOW VIEW, granted columns only', async () => {
    const user = `sqlgate_t_facts_${randomBytes(3).toString('hex')}`;
    const password = `pw-${randomBytes(6).toString('hex')}`;
    await withMysql(MYSQL_ADMIN_URL, async (c) => {
      await c.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
      await c.query(`GRANT SELECT ON \`${database.name}\`.big_orders TO '${user}'@'%'`);
      await c.query(`GRANT SELECT (id, customer) ON \`${database.name}\`.orders TO '${user}'@'%'`);
    });
    const url = new URL(database.url);
    url.username = user;
    url.password = password;
    const reader = await openEnvironment('reader', url.toString());
    try {
      const facts = reader.dialect.introspector();
      expect(await facts.relationFacts({ schema: null, name: 'big_orders' })).toMatchObject({ kind: 'view', columns: ['id', 'total'], definition: null });
      expect(await facts.relationFacts({ schema: null, name: 'orders' })).toMatchObject({ kind: 'table', columns: ['id', 'customer'] });
      expect(await facts.relationFacts({ schema: null, name: 't' })).toBeNull();
      expect(await facts.relationFacts({ schema: 'mysql', name: 'user' })).toBeNull();
    } finally {
      await reader.dialect.close();
      await withMysql(MYSQL_ADMIN_URL, (c) => c.query(`DROP USER IF EXISTS '${user}'@'%'`));
    }
  });
});
