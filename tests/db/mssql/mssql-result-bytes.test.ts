/**
 * max_result_bytes on SQL Server, counted TDS packet by TDS packet (mssql-packet-meter.ts), with real tedious
 * against a scripted server on the wire (tds-wire-peer.ts): one value far past the limit (never gathered whole),
 * many big rows, the same through TDS 8 TLS; the connection is discarded and the next caller served. Also: a
 * connection dropped by the server under a statement fails that call, and one dropped while idle is replaced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery, type QueryRequest } from '../../../src/db/run-query.js';
import type { Environment } from '../../../src/environments/environment.js';
import { createTestCertificate, type TestCertificate } from '../../support/tls-test-endpoint.js';
import { GATE_SWITCHED_OFF_FOR_TESTS, openEnvironment } from '../../support/test-databases.js';
import { TdsWirePeer } from './tds-wire-peer.js';
import { rejection } from '../../support/rejection.js';

const MiB = 1_048_576;

let peer: TdsWirePeer;
let tlsPeer: TdsWirePeer;
let certificate: TestCertificate;

/** Scripts shared by both peers: statements are picked by their text. */
function script(target: TdsWirePeer): TdsWirePeer {
  return target
    // 300 million characters: 600 MB of UTF-16 on the wire, past V8's string limit once decoded.
    .answer(/huge_value/, async (reply) => {
      await reply.columns({ name: 'v', type: 'nvarchar(max)' });
      await reply.row({ char: 'x', chars: 300_000_000 });
    })
    // 1,000 rows of 1 MB each (500,000 characters).
    .answer(/many_rows/, async (reply) => {
      await reply.columns({ name: 'id', type: 'int' }, { name: 'v', type: 'nvarchar(max)' });
      for (let i = 1; i <= 1_000 && !reply.isCancelled; i++) await reply.row(i, { char: 'y', chars: 500_000 });
    })
    .answer(/few_rows/, async (reply) => {
      await reply.columns({ name: 'id', type: 'int' }, { name: 'v', type: 'nvarchar(max)' });
      for (let i = 1; i <= 3; i++) await reply.row(i, { char: 'z', chars: 500_000 });
    });
}

beforeAll(async () => {
  certificate = createTestCertificate('sqlgate-mssql-bytes-');
  peer = script(await TdsWirePeer.start());
  tlsPeer = script(await TdsWirePeer.start({ tls: { cert: certificate.cert, key: certificate.key } }));
});
afterAll(async () => {
  await peer?.close();
  await tlsPeer?.close();
  certificate?.remove();
});

function request(sql: string, overrides: Partial<QueryRequest> = {}): QueryRequest {
  return { sql, params: [], readOnly: true, maxRows: 10_000, timeoutMs: 20_000, maxBinaryBytes: 16, maxResultBytes: 4 * MiB, ...overrides };
}

async function withEnvironment<T>(target: TdsWirePeer, query: string, use: (env: Environment) => Promise<T>): Promise<T> {
  const url = `sqlserver://sa:secret@127.0.0.1:${target.port}/master${query}`;
  // TDS 8 verifies the certificate whatever trustServerCertificate says: trust the peer's own.
  const tls = query.includes('strict') ? { tls: { ca_file: certificate.certFile } } : {};
  const env = await openEnvironment('bytes', url, { pool: { max: 1 }, connect_timeout_ms: 5_000, ...tls }, GATE_SWITCHED_OFF_FOR_TESTS);
  try {
    return await use(env);
  } finally {
    await env.dialect.close();
  }
}

async function expectHealthy(env: Environment): Promise<void> {
  expect((await runQuery(env.dialect, request('SELECT 1'))).rows).toEqual([[1]]);
}

describe('max_result_bytes on the wire (tedious)', () => {
  for (const [name, target, query] of [['plain', () => peer, '?encrypt=false'], ['TDS 8 TLS', () => tlsPeer, '?encrypt=strict&hostNameInCertificate=localhost']] as const) {
    it(`stops one value far past the limit before tedious gathers it, and many big rows (${name})`, async () => {
      await withEnvironment(target(), query, async (env) => {
        const logins = target().logins;
        const sentBefore = target().bytesSent;
        const rssBefore = process.memoryUsage().rss;
        const started = Date.now();
        const error = await rejection(runQuery(env.dialect, request('SELECT huge_value')));
        expect(error.code).toBe('SG_RESULT_TOO_LARGE');
        expect(error.message).toContain('4 MiB');
        expect(Date.now() - started).toBeLessThan(5_000);
        // The peer could only push what fits in the socket buffers before the connection went away.
        expect(target().bytesSent - sentBefore).toBeLessThan(32 * MiB);
        expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * MiB);

        expect((await rejection(runQuery(env.dialect, request('SELECT many_rows')))).code).toBe('SG_RESULT_TOO_LARGE');
        await expectHealthy(env);
        // Each too-large answer cost its connection; the pool made new ones.
        expect(target().logins - logins).toBeGreaterThanOrEqual(2);

        const few = await runQuery(env.dialect, request('SELECT few_rows'));
        expect(few.rowCount).toBe(3);
        expect((few.rows[2]![1] as string).length).toBe(500_000);
      });
    });
  }

  it('counts nothing without a limit', async () => {
    await withEnvironment(peer, '?encrypt=false', async (env) => {
      const all = await runQuery(env.dialect, request('SELECT many_rows', { maxResultBytes: undefined, maxRows: 20 }));
      expect(all.rowCount).toBe(20);
      expect(all.truncated).toBe(true);
      await expectHealthy(env);
    });
  });
});

describe('a SQL Server connection that fails', () => {
  it('under a running statement fails that call, and the next gets a new connection', async () => {
    const dropping = script(await TdsWirePeer.start());
    dropping.answer(/drop_me/, async (reply) => {
      await reply.columns({ name: 'id', type: 'int' });
      await reply.row(1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      dropping.dropConnections();
    });
    try {
      await withEnvironment(dropping, '?encrypt=false', async (env) => {
        await expectHealthy(env);
        const error = await rejection(runQuery(env.dialect, request('SELECT drop_me')));
        expect(error.code).toBe('SG_DB_UNAVAILABLE');
      });
    } finally {
      await dropping.close().catch(() => undefined);
    }
  });

  it('while a cancel is being acknowledged fails that call only (tedious would throw it past every handler)', async () => {
    const broken = script(await TdsWirePeer.start());
    broken.breaksValuesOnCancel = true;
    try {
      await withEnvironment(broken, '?encrypt=false', async (env) => {
        // max_rows reached: the rest is cancelled, and the server's answer breaks off in the middle of a value.
        const cut = await runQuery(env.dialect, request('SELECT many_rows', { maxRows: 20, maxResultBytes: undefined }));
        expect(cut.rowCount).toBe(20);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await expectHealthy(env);
      });
    } finally {
      await broken.close();
    }
  });

  it('while idle in the pool is replaced for the next caller', async () => {
    await withEnvironment(peer, '?encrypt=false', async (env) => {
      await expectHealthy(env);
      const logins = peer.logins;
      peer.dropConnections();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await expectHealthy(env);
      expect(peer.logins).toBe(logins + 1);
    });
  });
});
