/**
 * A PostgreSQL connection that fails under a running statement fails that call, with our error, and nothing else:
 * not the process, not the pool. The connection is dropped and the next calls run. Cases: a backend terminated from
 * outside; the connection cut between a statement's CommandComplete and its ReadyForQuery (where pg-cursor drops
 * the error and its read never settles, brianc/node-postgres#2468); a value that V8 cannot hold as one string,
 * which pg-protocol throws from inside the socket's 'data' event.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresMessageFramer } from '../../../src/db/postgres/postgres-message-framer.js';
import { runQuery, type QueryRequest } from '../../../src/db/run-query.js';
import type { Environment } from '../../../src/environments/environment.js';
import { urlVia } from '../../support/tls-test-endpoint.js';
import { createTestDatabase, openEnvironment, PG_ADMIN_URL, withPgClient, type TestDatabase } from '../../support/test-databases.js';
import { rejection } from '../../support/rejection.js';

const MIB = 1_048_576;
const COMMAND_COMPLETE = 0x43; // 'C'

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('postgres', []);
});
afterAll(async () => {
  await database?.drop();
});

function request(sql: string, overrides: Partial<QueryRequest> = {}): QueryRequest {
  return { sql, params: [], readOnly: true, maxRows: 1_000, timeoutMs: 20_000, maxBinaryBytes: 100, maxResultBytes: 64 * MIB, ...overrides };
}

async function withEnvironment(url: string, use: (env: Environment) => Promise<void>): Promise<void> {
  const env = await openEnvironment('connection-loss', url, { pool: { max: 2 } });
  try {
    await use(env);
  } finally {
    await env.dialect.close();
  }
}

/**
 * A proxy to the real server that cuts a connection right after forwarding the CommandComplete whose tag is
 * `cutAfterTag` (e.g. "SELECT 777"), before the ReadyForQuery that follows it; everything else passes.
 */
async function startCuttingProxy(cutAfterTag: string): Promise<{ port: number; cuts: () => number; close(): void }> {
  const upstreamUrl = new URL(PG_ADMIN_URL);
  let cuts = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(upstreamUrl.port || 5432), upstreamUrl.hostname);
    const cut = () => (client.destroy(), upstream.destroy());
    client.on('error', cut);
    upstream.on('error', cut);
    client.on('close', cut);
    upstream.on('close', cut);
    client.pipe(upstream);
    let isCut = false;
    const framer = new PostgresMessageFramer(() => true, (messages) => {
      for (let offset = 0; offset < messages.length && !isCut;) {
        const bytes = 1 + messages.readUInt32BE(offset + 1);
        const tag = messages.toString('latin1', offset + 5, offset + bytes - 1);
        if (messages[offset] === COMMAND_COMPLETE && tag === cutAfterTag) {
          isCut = true;
          cuts++;
          client.write(messages.subarray(0, offset + bytes), cut);
          return;
        }
        offset += bytes;
      }
      if (!isCut) client.write(messages);
    });
    // The first bytes from the server answer the startup message and are framed like every later message
    // (sslmode=disable: no SSLRequest answer byte).
    upstream.on('data', (chunk: Buffer) => framer.push(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, cuts: () => cuts, close: () => server.close() };
}

describe('a connection that fails under a running statement', () => {
  it('a backend terminated from outside mid-statement fails that call cleanly; the next calls work', async () => {
    await withEnvironment(database.url, async (env) => {
      const tag = `lost_${randomBytes(4).toString('hex')}`;
      const running = rejection(runQuery(env.dialect, request(`SELECT count(*) AS ${tag} FROM generate_series(1, 2000000000)`)));
      let terminated = 0;
      for (let tries = 0; terminated === 0 && tries < 100; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        terminated = await withPgClient(PG_ADMIN_URL, async (c) =>
          (await c.query('SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()', [`%${tag}%`])).rows[0].n);
      }
      expect(terminated).toBe(1);
      const error = await running;
      expect(error.code).toBe('SG_DB_UNAVAILABLE');
      expect(env.dialect.poolStats().size).toBe(0);
      for (let i = 0; i < 3; i++) expect((await runQuery(env.dialect, request('SELECT 1'))).rows).toEqual([[1]]);
    });
  });

  it('a connection lost between CommandComplete and ReadyForQuery fails the call instead of leaving it waiting', async () => {
    const proxy = await startCuttingProxy('SELECT 777');
    try {
      await withEnvironment(urlVia(database.url, proxy.port, '?sslmode=disable'), async (env) => {
        const started = performance.now();
        const error = await rejection(runQuery(env.dialect, request('SELECT g FROM generate_series(1, 777) AS g')));
        expect(proxy.cuts()).toBe(1);
        expect(error.code).toBe('SG_DB_UNAVAILABLE');
        expect(performance.now() - started).toBeLessThan(5_000);
        expect(env.dialect.poolStats()).toMatchObject({ size: 0, inUse: 0 });
        expect((await runQuery(env.dialect, request('SELECT g FROM generate_series(1, 5) AS g'))).rowCount).toBe(5);
      });
    } finally {
      proxy.close();
    }
  });

  it('a value longer than V8 can hold as a string (limit raised to 1 GiB) fails the call, not the process', async () => {
    await withEnvironment(database.url, async (env) => {
      const error = await rejection(runQuery(env.dialect, request("SELECT repeat('x', 536870912) AS big", { maxResultBytes: 1024 * MIB })));
      expect(error.code).toBe('SG_QUERY_FAILED');
      expect(error.message).toContain('larger than sqlgate can hold');
      expect(env.dialect.poolStats().size).toBe(0);
      expect((await runQuery(env.dialect, request('SELECT 1'))).rows).toEqual([[1]]);
    });
  }, 60_000);
});
