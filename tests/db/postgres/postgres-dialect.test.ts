/**
 * The PostgreSQL dialect's connection life cycle on a real server: a database down at start, the connect timeout,
 * cancel that really stops the backend, and pooled connections that carry nothing from one caller to the next.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogQuery, withCatalogSession } from '../../../src/db/catalog-query.js';
import { runQuery, type QueryRequest } from '../../../src/db/run-query.js';
import type { Environment } from '../../../src/environments/environment.js';
import { createTestDatabase, openEnvironment, PG_ADMIN_URL, withPgClient, type TestDatabase } from '../../support/test-databases.js';
import { rejection } from '../../support/rejection.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('postgres', ['CREATE TABLE t (id int)', 'INSERT INTO t VALUES (1), (2)']);
});
afterAll(async () => {
  await database?.drop();
});

function request(sql: string, overrides: Partial<QueryRequest> = {}): QueryRequest {
  return { sql, params: [], readOnly: true, maxRows: 100, timeoutMs: 10_000, maxBinaryBytes: 10, ...overrides };
}

async function single(env: Environment, sql: string, overrides: Partial<QueryRequest> = {}): Promise<unknown> {
  return (await runQuery(env.dialect, request(sql, overrides))).rows[0]![0];
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function activity(sqlFragment: string): Promise<{ pid: number; state: string }[]> {
  return withPgClient(PG_ADMIN_URL, async (c) =>
    (await c.query('SELECT pid, state FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()', [`%${sqlFragment}%`])).rows,
  );
}

describe('a database that is down at start', () => {
  it('opens, reports down in ping without secrets, and refuses sessions with SG_DB_UNAVAILABLE', async () => {
    const env = await openEnvironment('down', 'postgres://reader:topsecret@127.0.0.1:1/sales', { connect_timeout_ms: 1_000 });
    try {
      const status = await env.dialect.ping();
      expect(status.connected).toBe(false);
      expect(status.latencyMs).toBeNull();
      expect(status.error).toContain('refused the connection');
      expect(status.error).not.toContain('topsecret');
      expect(status.error).not.toContain('127.0.0.1');
      const error = await rejection(env.dialect.session({ readOnly: true, timeoutMs: 1_000 }));
      expect(error.code).toBe('SG_DB_UNAVAILABLE');
      expect(error.publicText).not.toContain('topsecret');
    } finally {
      await env.dialect.close();
    }
  });

  it('gives up after connect_timeout_ms on a server that never answers', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    const env = await openEnvironment('silent', `postgres://u:pw@127.0.0.1:${port}/db?sslmode=disable`, { connect_timeout_ms: 300 });
    try {
      const started = Date.now();
      const error = await rejection(env.dialect.session({ readOnly: true, timeoutMs: 1_000 }));
      expect(error.code).toBe('SG_DB_UNAVAILABLE');
      expect(error.message).toContain('connect timeout');
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await env.dialect.close();
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});

describe('cancel', () => {
  it('stops the statement in the server: it is gone from pg_stat_activity, and the connection with it', async () => {
    const env = await openEnvironment('cancel', database.url);
    try {
      const marker = `cancel_probe_${randomBytes(4).toString('hex')}`;
      const controller = new AbortController();
      const running = runQuery(env.dialect, request(`SELECT pg_sleep(30) AS ${marker}`, { signal: controller.signal }));
      const [backend] = await waitFor(async () => {
        const rows = await activity(marker);
        return rows.some((r) => r.state === 'active') ? rows : undefined;
      });
      controller.abort();
      const error = await rejection(running);
      expect(error.code).toBe('SG_CANCELLED');
      await waitFor(async () => ((await activity(marker)).length === 0 ? true : undefined), 3_000);
      const stillThere = await withPgClient(PG_ADMIN_URL, async (c) => (await c.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [backend!.pid])).rowCount);
      expect(stillThere).toBe(0);
      expect(await single(env, 'SELECT count(*) FROM t')).toBe(2);
    } finally {
      await env.dialect.close();
    }
  });

  it('after a write, means the write is not committed, and finish says so', async () => {
    const env = await openEnvironment('cancel-write', database.url, { read_only: false });
    try {
      const session = await env.dialect.session({ readOnly: false, timeoutMs: 5_000 });
      const cursor = session.execute('INSERT INTO t VALUES (99)', []);
      expect((await cursor.read(10)).rowsAffected).toBe(1);
      await cursor.close();
      await session.cancel();
      const error = await rejection(session.finish('commit'));
      expect(error.code).toBe('SG_CANCELLED');
      expect(await single(env, 'SELECT count(*) FROM t WHERE id = 99')).toBe(0);
    } finally {
      await env.dialect.close();
    }
  });

  it('is harmless when nothing runs', async () => {
    const env = await openEnvironment('idle-cancel', database.url);
    try {
      const session = await env.dialect.session({ readOnly: true, timeoutMs: 5_000 });
      await session.cancel();
      await session.finish('rollback');
      await session.cancel();
      expect(await single(env, 'SELECT 1')).toBe(1);
    } finally {
      await env.dialect.close();
    }
  });
});

describe('pooled connections', () => {
  it('carry no session state to the next caller: time zone, role settings, advisory locks, prepared statements', async () => {
    const env = await openEnvironment('hygiene', database.url, { read_only: false, pool: { max: 1 } });
    try {
      const pid = await single(env, 'SELECT pg_backend_pid()');
      for (const sql of ["SET TIME ZONE 'Asia/Kolkata'", 'SET search_path = nowhere', 'SELECT pg_advisory_lock(4242)', 'PREPARE leftover AS SELECT 1']) {
        await runQuery(env.dialect, request(sql, { readOnly: false }));
      }
      expect(await single(env, 'SELECT pg_backend_pid()')).toBe(pid); // the same connection was reused …
      expect(await single(env, "SELECT current_setting('TimeZone')")).toBe('UTC'); // … and reset
      expect(await single(env, "SELECT current_setting('search_path')")).toBe('"$user", public');
      expect(await single(env, "SELECT current_setting('application_name')")).toBe('sqlgate');
      // Only this test's key: pg_locks is server-wide, and the PostgreSQL state store takes advisory locks of its own.
      expect(await single(env, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242")).toBe(0);
      expect(await single(env, 'SELECT count(*) FROM pg_prepared_statements')).toBe(0);
    } finally {
      await env.dialect.close();
    }
  });

  it('carry no session state after read-only sessions either (the short reset after a rollback)', async () => {
    const env = await openEnvironment('hygiene-read', database.url, { pool: { max: 1 } });
    try {
      const pid = await single(env, 'SELECT pg_backend_pid()');
      const leftovers = ["SET TIME ZONE 'Asia/Kolkata'", "SELECT set_config('search_path', 'nowhere', false)", 'SELECT pg_advisory_lock(4243)', 'PREPARE leftover_read AS SELECT 1'];
      for (const sql of leftovers) await runQuery(env.dialect, request(sql));
      expect(await single(env, 'SELECT pg_backend_pid()')).toBe(pid);
      expect(await single(env, "SELECT current_setting('TimeZone')")).toBe('UTC');
      expect(await single(env, "SELECT current_setting('search_path')")).toBe('"$user", public');
      expect(await single(env, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4243")).toBe(0);
      expect(await single(env, 'SELECT count(*) FROM pg_prepared_statements')).toBe(0);
    } finally {
      await env.dialect.close();
    }
  });

  it('reset fully after a read-only session whose transaction a statement ended, COMMIT AND CHAIN included', async () => {
    const env = await openEnvironment('hygiene-ended', database.url, { pool: { max: 1 } });
    try {
      for (const ending of ['COMMIT', 'COMMIT AND CHAIN', 'ROLLBACK AND CHAIN']) {
        // Straight through the dialect (the statement gate would refuse these): what the database backstop must hold.
        const session = await env.dialect.session({ readOnly: true, timeoutMs: 5_000 });
        for (const sql of [ending === 'ROLLBACK AND CHAIN' ? 'SELECT 1' : "SET TIME ZONE 'Asia/Kolkata'", ending, "SET TIME ZONE 'Asia/Kolkata'"]) {
          const cursor = session.execute(sql, []);
          await cursor.read(10);
          await cursor.close();
        }
        await session.finish('rollback');
        expect(await single(env, "SELECT current_setting('TimeZone')"), ending).toBe('UTC');
      }
    } finally {
      await env.dialect.close();
    }
  });

  it('run catalog statements without a transaction, under their own timeout, which does not bind the next caller', async () => {
    const env = await openEnvironment('catalog-timeout', database.url, { pool: { max: 1 } });
    try {
      const pid = await single(env, 'SELECT pg_backend_pid()');
      // Not in sqlgate's BEGIN READ ONLY, and each statement in a transaction of its own (now() moves on).
      const transactionOf = "SELECT current_setting('transaction_read_only') AS ro, now()::text AS began";
      const [first, second] = await withCatalogSession(env.dialect, async (query) => [...(await query(transactionOf)), ...(await query('SELECT pg_sleep(0.01)')), ...(await query(transactionOf))]
        .filter((row) => 'ro' in row));
      expect([first?.ro, second?.ro]).toEqual(['off', 'off']);
      expect(second?.began).not.toBe(first?.began);
      const timedOut = await rejection(catalogQuery(env.dialect, 'SELECT pg_sleep(2)', [], 200));
      expect(timedOut).toMatchObject({ code: 'SG_TIMEOUT' });
      // The same connection, a user statement with a longer timeout of its own: the catalog's 200 ms does not apply.
      expect(await single(env, 'SELECT pg_sleep(0.4)::text', { timeoutMs: 5_000 })).toBe('');
      expect(await single(env, 'SELECT pg_backend_pid()')).toBe(pid);
    } finally {
      await env.dialect.close();
    }
  });

  it('prepare catalog statements once per connection, and again after a user session dropped them', async () => {
    const env = await openEnvironment('catalog-prepared', database.url, { pool: { max: 1 } });
    try {
      const prepared = "SELECT name, statement FROM pg_catalog.pg_prepared_statements WHERE name LIKE 'sqlgate\\_catalog\\_%' ORDER BY name";
      const listTables = () => env.dialect.introspector().listTables({});
      await listTables();
      const before = await catalogQuery(env.dialect, prepared);
      expect(before.map((row) => String(row.statement))).toEqual(expect.arrayContaining([expect.stringContaining('has_table_privilege')]));
      // A user statement's session ends with DEALLOCATE ALL: the next catalog statement is parsed again, not bound
      // to a statement the server no longer has.
      expect(await single(env, 'SELECT count(*) FROM t')).toBe(2);
      expect((await listTables()).map((table) => table.name)).toContain('t');
      expect(await catalogQuery(env.dialect, prepared)).not.toHaveLength(0);
    } finally {
      await env.dialect.close();
    }
  });

  it('replace a connection that died while idle without the caller noticing', async () => {
    const env = await openEnvironment('revive', database.url, { pool: { max: 1 } });
    try {
      const pid = await single(env, 'SELECT pg_backend_pid()');
      await withPgClient(PG_ADMIN_URL, (c) => c.query('SELECT pg_terminate_backend($1)', [pid]));
      expect(await single(env, 'SELECT count(*) FROM t')).toBe(2);
      expect(await single(env, 'SELECT pg_backend_pid()')).not.toBe(pid);
    } finally {
      await env.dialect.close();
    }
  });

  it('keep working after statement errors, and a statement that is not read to the end leaves the connection usable', async () => {
    const env = await openEnvironment('reuse', database.url, { pool: { max: 1 } });
    try {
      await rejection(runQuery(env.dialect, request('SELECT nope FROM t')));
      const truncated = await runQuery(env.dialect, request('SELECT g FROM generate_series(1, 100000) g', { maxRows: 3 }));
      expect(truncated).toMatchObject({ rows: [[1], [2], [3]], truncated: true });
      expect(await single(env, 'SELECT count(*) FROM t')).toBe(2);
    } finally {
      await env.dialect.close();
    }
  });

  it('refuse COPY to or from the client without crashing the driver, and stay usable', async () => {
    const env = await openEnvironment('copy', database.url, { read_only: false, pool: { max: 1 } });
    try {
      for (const sql of ['COPY t TO STDOUT', 'COPY (SELECT 1) TO STDOUT', 'COPY t FROM STDIN']) {
        const error = await rejection(runQuery(env.dialect, request(sql, { readOnly: false })));
        expect([error.code, error.message], sql).toEqual(['SG_QUERY_FAILED', 'COPY to or from the client is not supported here.']);
      }
      expect(await single(env, 'SELECT count(*) FROM t')).toBe(2);
    } finally {
      await env.dialect.close();
    }
  });

  it('report writes with rows affected and commit them', async () => {
    const env = await openEnvironment('writes', database.url, { read_only: false });
    try {
      const inserted = await runQuery(env.dialect, request('INSERT INTO t SELECT g FROM generate_series(10, 12) g', { readOnly: false }));
      expect(inserted.rowsAffected).toBe(3);
      const deleted = await runQuery(env.dialect, request('DELETE FROM t WHERE id >= $1 RETURNING id', { readOnly: false, params: [10] }));
      expect(deleted).toMatchObject({ rowsAffected: 3, rowCount: 3 });
      const read = await runQuery(env.dialect, request('SELECT * FROM t'));
      expect(read.rowsAffected).toBeNull();
    } finally {
      await env.dialect.close();
    }
  });
});
