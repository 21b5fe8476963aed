/**
 * max_result_bytes on the PostgreSQL wire, against a real server (plain and through TLS): a statement is stopped
 * from a row message's header as soon as it would pass the limit — one huge value or many rows — its connection
 * is dropped and its backend gone, and the next statement runs. And a missing parameter is named as such
 * (PostgreSQL reports it as a protocol violation). postgres-connection-loss.test.ts covers connections that fail.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery, type QueryRequest } from '../../../src/db/run-query.js';
import type { Environment } from '../../../src/environments/environment.js';
import { createTestCertificate, urlVia, type TestCertificate } from '../../support/tls-test-endpoint.js';
import { createTestDatabase, openEnvironment, PG_ADMIN_URL, withPgClient, type TestDatabase } from '../../support/test-databases.js';
import { rejection } from '../../support/rejection.js';
import { startPostgresTlsProxy, type PostgresTlsProxy } from './postgres-tls-proxy.js';

const MIB = 1_048_576;
const LIMIT = MIB;

let database: TestDatabase;
let certificate: TestCertificate;
let tlsProxy: PostgresTlsProxy;

beforeAll(async () => {
  database = await createTestDatabase('postgres', []);
  certificate = createTestCertificate('sqlgate-result-bytes-');
  tlsProxy = await startPostgresTlsProxy(certificate);
});
afterAll(async () => {
  tlsProxy?.close();
  certificate?.remove();
  await database?.drop();
});

function request(sql: string, overrides: Partial<QueryRequest> = {}): QueryRequest {
  return { sql, params: [], readOnly: true, maxRows: 100_000, timeoutMs: 20_000, maxBinaryBytes: 100, maxResultBytes: LIMIT, ...overrides };
}

/** Backends other than the caller's whose current statement contains `marker`. */
function backendsRunning(marker: string): Promise<number> {
  return withPgClient(PG_ADMIN_URL, async (c) =>
    (await c.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()', [`%${marker}%`])).rows[0].n,
  );
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A comment that names the statement in pg_stat_activity. */
const marker = () => `rb_${randomBytes(4).toString('hex')}`;

async function withEnvironment(url: string, use: (env: Environment) => Promise<void>): Promise<void> {
  const env = await openEnvironment('result-bytes', url, { pool: { max: 2 } });
  try {
    await use(env);
  } finally {
    await env.dialect.close();
  }
}

/** The behaviour every transport must show: stopped from the header, connection and backend gone, next call served. */
async function expectStoppedOnTheWire(env: Environment): Promise<void> {
  const tag = marker();
  const started = performance.now();
  const error = await rejection(runQuery(env.dialect, request(`SELECT repeat('x', 64 * ${MIB}) AS big /* ${tag} */`)));
  expect(error.code).toBe('SG_RESULT_TOO_LARGE');
  expect(error.message).toContain('1 MiB');
  expect(performance.now() - started).toBeLessThan(10_000);
  // Never given back to the pool, and the backend does not live on.
  expect(env.dialect.poolStats().inUse).toBe(0);
  expect(env.dialect.poolStats().size).toBe(0);
  await waitUntil(async () => (await backendsRunning(tag)) === 0);

  const rows = await runQuery(env.dialect, request('SELECT 41 + 1'));
  expect(rows.rows).toEqual([[42]]);
}

describe('max_result_bytes on the wire', () => {
  it('stops one value larger than the limit from its header, drops the connection, and serves the next call', async () => {
    await withEnvironment(database.url, expectStoppedOnTheWire);
  });

  it('stops many rows as their sum passes the limit, across the fetches of one statement', async () => {
    await withEnvironment(database.url, async (env) => {
      // 3,000 rows of ~500 bytes: more than one fetch of 2,000 rows, 1.5 MiB in all.
      const error = await rejection(runQuery(env.dialect, request("SELECT repeat('r', 500) FROM generate_series(1, 3000)")));
      expect(error.code).toBe('SG_RESULT_TOO_LARGE');
      expect(env.dialect.poolStats().size).toBe(0);
    });
  });

  it('lets a result under the limit through, and starts the count again for each statement', async () => {
    await withEnvironment(database.url, async (env) => {
      // ~0.6 MiB each: together over the limit, each one under it.
      const sql = "SELECT repeat('r', 600) FROM generate_series(1, 1000)";
      for (let i = 0; i < 3; i++) {
        const result = await runQuery(env.dialect, request(sql));
        expect(result.rowCount).toBe(1000);
      }
      // One pooled connection served all three: the count is the statement's, not the connection's.
      expect(env.dialect.poolStats().size).toBe(1);
    });
  });

  it('does not count statements without a limit (catalog queries)', async () => {
    await withEnvironment(database.url, async (env) => {
      const result = await runQuery(env.dialect, request(`SELECT repeat('c', 3 * ${MIB})`, { maxResultBytes: undefined }));
      expect((result.rows[0]![0] as string).length).toBe(3 * MIB);
    });
  });

  it('counts the plaintext behind TLS the same way', async () => {
    const before = tlsProxy.sessions();
    await withEnvironment(urlVia(database.url, tlsProxy.port, '?sslmode=require'), expectStoppedOnTheWire);
    expect(tlsProxy.sessions()).toBeGreaterThan(before);
  });
});

describe('parameters', () => {
  it('a missing parameter is named as such, and the connection stays in use', async () => {
    await withEnvironment(database.url, async (env) => {
      const missing = await rejection(runQuery(env.dialect, request('SELECT $1::int')));
      expect(missing.code).toBe('SG_QUERY_FAILED');
      expect(missing.message).toBe('The statement uses the placeholder $1, but 0 values were given in params.');
      expect(missing.hint).toContain('params[0] is $1');

      const extra = await rejection(runQuery(env.dialect, request('SELECT $1::int + $2::int', { params: [1] })));
      expect(extra.message).toBe('The statement uses placeholders up to $2, but 1 value was given in params.');
      const unused = await rejection(runQuery(env.dialect, request('SELECT 1', { params: [1] })));
      expect(unused.message).toBe('The statement uses no placeholder, but 1 value was given in params.');

      expect((await runQuery(env.dialect, request('SELECT $1::int', { params: [7] }))).rows).toEqual([[7]]);
      expect(env.dialect.poolStats().size).toBe(1);
    });
  });
});
