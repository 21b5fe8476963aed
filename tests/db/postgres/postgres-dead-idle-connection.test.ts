/**
 * A pooled connection that died while idle, without the client having read its end yet (a peer on the way dropped
 * it, or the backend's goodbye is still in flight): the transaction's BEGIN goes out with the statement
 * (postgres-session.ts), so that exchange is the first to find out. Nothing of it ran, so it is sent again on another
 * connection and the caller never notices. A connection that fails after the server parsed the exchange is not
 * retried (postgres-connection-loss.test.ts: a backend terminated mid-statement fails that call).
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery, type QueryRequest } from '../../../src/db/run-query.js';
import { urlVia } from '../../support/tls-test-endpoint.js';
import { createTestDatabase, openEnvironment, PG_ADMIN_URL, withPgClient, type TestDatabase } from '../../support/test-databases.js';
import { rejection } from '../../support/rejection.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('postgres', ['CREATE TABLE hits (id serial PRIMARY KEY, note text)']);
});
afterAll(async () => {
  await database?.drop();
});

function request(sql: string, overrides: Partial<QueryRequest> = {}): QueryRequest {
  return { sql, params: [], readOnly: true, maxRows: 1_000, timeoutMs: 10_000, maxBinaryBytes: 100, ...overrides };
}

/**
 * A proxy to the real server. Once armed, the next connection that sends anything is reset (TCP RST) instead of
 * forwarding a byte of it: to the client, a connection that was dead before its write; the proxy disarms then.
 */
async function startResettingProxy(): Promise<{ port: number; arm(): void; resets: () => number; stopListening(): void; close(): void }> {
  const upstreamUrl = new URL(PG_ADMIN_URL);
  let isArmed = false;
  let resets = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(upstreamUrl.port || 5432), upstreamUrl.hostname);
    sockets.add(client).add(upstream);
    const cut = () => (client.destroy(), upstream.destroy());
    for (const socket of [client, upstream]) socket.on('error', cut).on('close', cut);
    client.on('data', (chunk: Buffer) => {
      if (!isArmed) {
        upstream.write(chunk);
        return;
      }
      isArmed = false;
      resets++;
      client.resetAndDestroy();
      upstream.destroy();
    });
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    arm: () => (isArmed = true),
    resets: () => resets,
    stopListening: () => server.close(),
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describe('a pooled connection that died while idle', () => {
  it('runs the statement on another connection: the caller gets its rows', async () => {
    const proxy = await startResettingProxy();
    const env = await openEnvironment('dead-idle-read', urlVia(database.url, proxy.port, '?sslmode=disable'), { pool: { max: 1 } });
    try {
      const firstPid = (await runQuery(env.dialect, request('SELECT pg_backend_pid()'))).rows[0]![0];
      proxy.arm();
      const result = await runQuery(env.dialect, request('SELECT pg_backend_pid(), 41 + 1'));
      expect(proxy.resets()).toBe(1);
      expect(result.rows[0]![1]).toBe(42);
      expect(result.rows[0]![0]).not.toBe(firstPid);
      expect(env.dialect.poolStats()).toMatchObject({ size: 1, inUse: 0 });
    } finally {
      await env.dialect.close();
      proxy.close();
    }
  });

  it('runs a write once: what the dead connection was sent never reached the server', async () => {
    const proxy = await startResettingProxy();
    const env = await openEnvironment('dead-idle-write', urlVia(database.url, proxy.port, '?sslmode=disable'), { read_only: false, pool: { max: 1 } });
    try {
      await runQuery(env.dialect, request("INSERT INTO hits (note) VALUES ('before')", { readOnly: false }));
      proxy.arm();
      const result = await runQuery(env.dialect, request("INSERT INTO hits (note) VALUES ('after')", { readOnly: false }));
      expect([proxy.resets(), result.rowsAffected]).toEqual([1, 1]);
      const notes = await withPgClient(database.url, async (c) => (await c.query('SELECT note FROM hits ORDER BY id')).rows.map((row) => row.note));
      expect(notes).toEqual(['before', 'after']);
    } finally {
      await env.dialect.close();
      proxy.close();
    }
  });

  it('gives the caller a clear error when the connection it moves to cannot be had either', async () => {
    const proxy = await startResettingProxy();
    const env = await openEnvironment('dead-idle-down', urlVia(database.url, proxy.port, '?sslmode=disable'), { pool: { max: 1 } });
    try {
      await runQuery(env.dialect, request('SELECT 1'));
      proxy.arm();
      proxy.stopListening(); // the pooled connection stays open, a replacement cannot connect
      const error = await rejection(runQuery(env.dialect, request('SELECT 1')));
      expect([proxy.resets(), error.code]).toEqual([1, 'SG_DB_UNAVAILABLE']);
      expect(env.dialect.poolStats()).toMatchObject({ inUse: 0 });
    } finally {
      await env.dialect.close();
      proxy.close();
    }
  });
});
