/**
 * max_result_bytes on MySQL/MariaDB, counted on the wire (mysql-packet-meter.ts): many rows, one row split over
 * several 16 MiB packets, through TLS; the statement stops in the server, the connection is never reused, and the
 * pool serves the next caller. Also: a connection that fails under a running statement fails that call instead of
 * leaving it waiting, and one killed while idle is replaced.
 */
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery, type QueryRequest } from '../../../src/db/run-query.js';
import type { Environment } from '../../../src/environments/environment.js';
import { createTestCertificate, urlVia, type TestCertificate } from '../../support/tls-test-endpoint.js';
import { createTestDatabase, MYSQL_ADMIN_URL, openEnvironment, withMysql, type TestDatabase } from '../../support/test-databases.js';
import { startTlsProxy } from './mysql-tls-proxy.js';
import { rejection } from '../../support/rejection.js';
import { runningWith, waitUntilGone } from './mysql-process-list.js';

const MiB = 1_048_576;
/**
 * A row of 40 MB in three values, each under the server's default max_allowed_packet (16 MiB), so the test needs
 * no change to the server: on the wire it is two packets of 16 MiB - 1 and a last one, as one 40 MB value would be.
 */
const ROW_40MB = "REPEAT('y', 16000000) AS a, REPEAT('y', 16000000) AS b, REPEAT('y', 8000000) AS c";

let database: TestDatabase;
let certificate: TestCertificate;
let proxy: net.Server;

beforeAll(async () => {
  database = await createTestDatabase('mysql', ['CREATE TABLE t (id INT PRIMARY KEY)', 'INSERT INTO t VALUES (1), (2), (3)']);
  certificate = createTestCertificate('sqlgate-mysql-bytes-');
  proxy = await startTlsProxy(certificate.cert, certificate.key);
});
afterAll(async () => {
  proxy?.close();
  certificate?.remove();
  await database?.drop();
});

function request(sql: string, overrides: Partial<QueryRequest> = {}): QueryRequest {
  return { sql, params: [], readOnly: true, maxRows: 10_000, timeoutMs: 20_000, maxBinaryBytes: 16, ...overrides };
}

function newMark(): string {
  return `sqlgate-bytes-${randomBytes(4).toString('hex')}`;
}

async function withEnvironment<T>(url: string, overrides: Record<string, unknown>, use: (env: Environment) => Promise<T>): Promise<T> {
  const env = await openEnvironment('bytes', url, { pool: { max: 1 }, ...overrides });
  try {
    return await use(env);
  } finally {
    await env.dialect.close();
  }
}

async function expectHealthy(env: Environment): Promise<void> {
  expect((await runQuery(env.dialect, request('SELECT COUNT(*) FROM t'))).rows).toEqual([[3]]);
}

/** `rows` rows of `bytes` bytes each, produced by the server as they are sent, tagged with `mark`. */
function bigRows(mark: string, rows: number, bytes: number): string {
  return `SELECT /* ${mark} */ seq, REPEAT('x', ${bytes}) AS v FROM seq_1_to_${rows}`;
}

describe('max_result_bytes on the wire', () => {
  it('stops many big rows at the limit, in the server too, and the pool serves the next caller', async () => {
    await withEnvironment(database.url, {}, async (env) => {
      const mark = newMark();
      const started = Date.now();
      // 1,000 rows of 1 MB: a gigabyte if it were read to its end.
      const error = await rejection(runQuery(env.dialect, request(bigRows(mark, 1_000, 1_000_000), { maxResultBytes: 4 * MiB })));
      expect(error.code).toBe('SG_RESULT_TOO_LARGE');
      expect(error.message).toContain('4 MiB');
      expect(Date.now() - started).toBeLessThan(5_000);
      await waitUntilGone(mark, 3_000);
      await expectHealthy(env);
    });
  });

  it('stops a row of several 16 MiB packets before it is joined, and reads one under the limit whole', async () => {
    await withEnvironment(database.url, {}, async (env) => {
      const mark = newMark();
      const error = await rejection(runQuery(env.dialect, request(`SELECT /* ${mark} */ ${ROW_40MB}`, { maxResultBytes: 20 * MiB })));
      expect(error.code).toBe('SG_RESULT_TOO_LARGE');
      await waitUntilGone(mark, 3_000);
      // Under the limit, the same row (three packets) arrives intact, and the count stays in step with the packets
      // for the statements after it on the same connection.
      const whole = await runQuery(env.dialect, request(`SELECT ${ROW_40MB}`, { maxResultBytes: 48 * MiB }));
      expect(whole.rows[0]!.map((v) => (v as string).length)).toEqual([16_000_000, 16_000_000, 8_000_000]);
      await expectHealthy(env);
      const again = await runQuery(env.dialect, request(bigRows(newMark(), 3, 1_000), { maxResultBytes: 4 * MiB }));
      expect(again.rowCount).toBe(3);
    });
  });

  it('counts a result under the limit without changing it, and counts nothing without a limit', async () => {
    await withEnvironment(database.url, {}, async (env) => {
      const under = await runQuery(env.dialect, request(bigRows(newMark(), 3, 1_000_000), { maxResultBytes: 4 * MiB }));
      expect(under.rowCount).toBe(3);
      expect((under.rows[2]![1] as string).length).toBe(1_000_000);
      const unlimited = await runQuery(env.dialect, request(bigRows(newMark(), 20, 1_000_000)));
      expect(unlimited.rowCount).toBe(20);
    });
  });

  it('counts after TLS', async () => {
    const port = (proxy.address() as net.AddressInfo).port;
    const url = urlVia(database.url, port, '?ssl-mode=REQUIRED');
    await withEnvironment(url, {}, async (env) => {
      const mark = newMark();
      const error = await rejection(runQuery(env.dialect, request(bigRows(mark, 1_000, 1_000_000), { maxResultBytes: 4 * MiB })));
      expect(error.code).toBe('SG_RESULT_TOO_LARGE');
      await waitUntilGone(mark, 3_000);
      expect((await runQuery(env.dialect, request(bigRows(newMark(), 3, 1_000_000), { maxResultBytes: 4 * MiB }))).rowCount).toBe(3);
    });
  });
});

describe('a connection that fails', () => {
  it('under a running statement fails that call at once, and the next call gets a fresh connection', async () => {
    await withEnvironment(database.url, {}, async (env) => {
      const mark = newMark();
      const running = rejection(runQuery(env.dialect, request(`SELECT /* ${mark} */ SLEEP(20)`)));
      const deadline = Date.now() + 5_000;
      let ids: unknown[] = [];
      while ((ids = await runningWith(mark)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const started = Date.now();
      await withMysql(MYSQL_ADMIN_URL, (c) => c.query(`KILL CONNECTION ${Number((ids[0] as { ID: number }).ID)}`));
      const error = await running;
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(error.code).toBe('SG_DB_UNAVAILABLE');
      await expectHealthy(env);
    });
  });

  it('while idle in the pool is replaced for the next caller', async () => {
    await withEnvironment(database.url, {}, async (env) => {
      const [row] = (await runQuery(env.dialect, request('SELECT CONNECTION_ID()'))).rows;
      await withMysql(MYSQL_ADMIN_URL, (c) => c.query(`KILL CONNECTION ${Number(row![0])}`));
      await new Promise((resolve) => setTimeout(resolve, 100));
      await expectHealthy(env);
    });
  });
});
