/**
 * Statements that must stop in the server, not just in sqlgate: after a timeout (the engine's or our own KILL
 * QUERY), after a cancel, and after a result is cut at max_rows. Each is checked in the server's process list,
 * and the pooled connection must serve the next caller. Also: a least-privileged login can do all of this.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery, type QueryRequest } from '../../../src/db/run-query.js';
import type { Environment } from '../../../src/environments/environment.js';
import { createFixtureEnvironment, MYSQL_ADMIN_URL, openEnvironment, withMysql, type TestEnvironment } from '../../support/test-databases.js';
import { rejection } from '../../support/rejection.js';
import { runningWith, waitUntilGone } from './mysql-process-list.js';

let fixture: TestEnvironment;

beforeAll(async () => {
  fixture = await createFixtureEnvironment('mysql');
});
afterAll(async () => {
  await fixture?.close();
});

/** A statement that runs for minutes, tagged so that the process list can find it. */
function slowStatement(mark: string): string {
  return `SELECT /* ${mark} */ COUNT(*) FROM numbers a, numbers b, numbers c`;
}

function newMark(): string {
  return `sqlgate-kill-${randomBytes(4).toString('hex')}`;
}

function request(sql: string, overrides: Partial<QueryRequest> = {}): QueryRequest {
  return { sql, params: [], readOnly: true, maxRows: 100, timeoutMs: 10_000, maxBinaryBytes: 16, ...overrides };
}

async function withEnvironment<T>(url: string, overrides: Record<string, unknown>, use: (env: Environment) => Promise<T>): Promise<T> {
  const env = await openEnvironment('kill', url, overrides);
  try {
    return await use(env);
  } finally {
    await env.dialect.close();
  }
}

async function expectHealthy(env: Environment): Promise<void> {
  expect((await runQuery(env.dialect, request('SELECT COUNT(*) FROM customers'))).rows).toEqual([[4]]);
}

describe('stopping statements in the server', () => {
  it('a statement past the timeout is stopped and leaves the process list', async () => {
    await withEnvironment(fixture.database.url, { pool: { max: 1 } }, async (env) => {
      const mark = newMark();
      const error = await rejection(runQuery(env.dialect, request(slowStatement(mark), { timeoutMs: 500 })));
      expect(error.code).toBe('SG_TIMEOUT');
      expect(error.message).toContain('500 ms');
      await waitUntilGone(mark, 2_000);
      await expectHealthy(env);
    });
  });

  it('our own KILL QUERY stops a statement the engine timeout does not cover (MySQL: anything but SELECT)', async () => {
    await withEnvironment(fixture.database.url, { pool: { max: 1 } }, async (env) => {
      const mark = newMark();
      const session = await env.dialect.session({ readOnly: true, timeoutMs: 500 });
      // Switch the engine's limit off for this session, so only the session's own timer can stop the statement.
      const off = session.execute(`SET SESSION ${env.dialect.displayName === 'MariaDB' ? 'max_statement_time' : 'max_execution_time'} = 0`, []);
      await off.read(1);
      await off.close();
      const started = Date.now();
      const cursor = session.execute(slowStatement(mark), []);
      const error = await rejection(cursor.read(1));
      await cursor.close();
      await session.finish('rollback');
      expect(error.code).toBe('SG_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(2_000);
      await waitUntilGone(mark, 2_000);
      await expectHealthy(env);
    });
  });

  it('a statement that ends past its limit is a timeout: MariaDB\'s spatial functions answer NULL when stopped', async () => {
    await withEnvironment(fixture.database.url, { pool: { max: 1 } }, async (env) => {
      // ST_BUFFER of a 16,000-point zigzag takes far longer than 500 ms; max_statement_time ends it with a NULL
      // result and no error (no warning either), which must not reach the caller as the answer.
      const line = `LINESTRING(${Array.from({ length: 16_000 }, (_, i) => `${i} ${i % 2}`).join(',')})`;
      const error = await rejection(runQuery(env.dialect, request(`SELECT ST_AREA(ST_BUFFER(ST_GeomFromText('${line}'), 1)) AS area`, { timeoutMs: 500 })));
      expect(error.code).toBe('SG_TIMEOUT');
      await expectHealthy(env);
    });
  });

  it('a cancelled statement is stopped and the connection serves the next caller', async () => {
    await withEnvironment(fixture.database.url, { pool: { max: 1 } }, async (env) => {
      const mark = newMark();
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const error = await rejection(runQuery(env.dialect, request(slowStatement(mark), { signal: controller.signal })));
      expect(error.code).toBe('SG_CANCELLED');
      await waitUntilGone(mark, 2_000);
      await expectHealthy(env);
    });
  });

  it('a result cut at max_rows is not read to its end', async () => {
    await withEnvironment(fixture.database.url, { pool: { max: 1 } }, async (env) => {
      const mark = newMark();
      const started = Date.now();
      // 2500² = 6.25 million rows: reading them all would take many seconds.
      const result = await runQuery(env.dialect, request(`SELECT /* ${mark} */ a.n, b.n FROM numbers a, numbers b`, { maxRows: 5 }));
      expect(result.rowCount).toBe(5);
      expect(result.truncated).toBe(true);
      expect(Date.now() - started).toBeLessThan(2_000);
      await waitUntilGone(mark, 2_000);
      await expectHealthy(env);
    });
  });
});

describe('a least-privileged login (SELECT on one database, no PROCESS or SUPER)', () => {
  const user = `sqlgate_t_reader_${randomBytes(3).toString('hex')}`;
  const password = `pw-${randomBytes(6).toString('hex')}`;
  let url: string;

  beforeAll(async () => {
    const database = new URL(fixture.database.url).pathname.slice(1);
    await withMysql(MYSQL_ADMIN_URL, async (c) => {
      await c.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
      await c.query(`GRANT SELECT ON \`${database}\`.* TO '${user}'@'%'`);
    });
    const parsed = new URL(fixture.database.url);
    parsed.username = user;
    parsed.password = password;
    url = parsed.toString();
  });
  afterAll(async () => {
    await withMysql(MYSQL_ADMIN_URL, (c) => c.query(`DROP USER IF EXISTS '${user}'@'%'`));
  });

  it('reads the catalog and the data', async () => {
    await withEnvironment(url, {}, async (env) => {
      const tables = await env.dialect.introspector().listTables({});
      expect(tables.map((t) => t.name)).toEqual(['customer_totals', 'customers', 'numbers', 'orders', 'type_samples']);
      const orders = await env.dialect.introspector().describeTable({ schema: tables[0]!.schema, name: 'orders' });
      expect(orders?.foreignKeys.map((fk) => fk.toTable.name)).toEqual(['customers']);
      await expectHealthy(env);
    });
  });

  it('may cancel its own statements', async () => {
    await withEnvironment(url, { pool: { max: 1 } }, async (env) => {
      const mark = newMark();
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      expect((await rejection(runQuery(env.dialect, request(slowStatement(mark), { signal: controller.signal })))).code).toBe('SG_CANCELLED');
      await waitUntilGone(mark, 2_000);
      await expectHealthy(env);
    });
  });

  it('cannot write even in a writable environment: the grant is the last line', async () => {
    await withEnvironment(url, { read_only: false }, async (env) => {
      const error = await rejection(runQuery(env.dialect, request("UPDATE customers SET name = 'x'", { readOnly: false })));
      expect(error.code).toBe('SG_QUERY_FAILED');
      expect(error.message).toContain("command denied to user (sqlgate's login)");
      expect(error.message).not.toContain(user);
      expect(error.hint).toContain('privilege');
    });
  });
});
