/**
 * max_result_bytes on SQLite: counted in the connection process as rows are stepped, so an oversized result never
 * reaches sqlgate's process; value builders sized by a number (printf widths, randomblob, zeroblob) refuse to build
 * one past the limit; and a connection process that dies under a statement fails that call only.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery, type QueryRequest } from '../../../src/db/run-query.js';
import { SqlgateError } from '../../../src/errors.js';
import { createFixtureEnvironment, type TestEnvironment } from '../../support/test-databases.js';

const MiB = 1_048_576;

let fixture: TestEnvironment;
beforeAll(async () => {
  fixture = await createFixtureEnvironment('sqlite', { pool: { max: 1 } });
});
afterAll(async () => {
  await fixture?.close();
});

function query(sql: string, overrides: Partial<QueryRequest> = {}) {
  return runQuery(fixture.environment.dialect, {
    sql, params: [], readOnly: true, maxRows: 10_000, timeoutMs: 20_000, maxBinaryBytes: 1_000_000, maxResultBytes: 4 * MiB, ...overrides,
  });
}

async function errorOf(promise: Promise<unknown>): Promise<SqlgateError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(SqlgateError);
    return err as SqlgateError;
  }
  throw new Error('expected a failure');
}

/** Pids of this process's SQLite connection processes. */
function connectionProcesses(): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes('sqlite-worker')).map((line) => Number(line.trim().split(/\s+/)[0]));
}

async function expectHealthy(): Promise<void> {
  expect((await query('SELECT COUNT(*) FROM customers')).rows).toEqual([[4]]);
}

/** `n` rows, each with a value of `bytes` random bytes. */
function bigRows(n: number, bytes: number): string {
  return `WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ${n}) SELECT i, randomblob(${bytes}) AS v FROM k`;
}

describe('max_result_bytes on SQLite', () => {
  it('refuses values sized by a number past the limit before building them', async () => {
    const rssBefore = process.memoryUsage().rss;
    // Wrapped in length(), the value itself would never be counted as a row: only the guard refuses it.
    for (const sql of [
      "SELECT printf('%.*c', 600000000, 'x')",
      'SELECT randomblob(600000000)',
      "SELECT length(printf('%.*c', 300000000, 'x'))",
      "SELECT length(format('%300000000d', 1))",
      "SELECT length(printf('%.100000000c', 'x'))",
      'SELECT length(randomblob(300000000))',
      'SELECT length(zeroblob(200000000))',
    ]) {
      const started = Date.now();
      const error = await errorOf(query(sql));
      expect(error.code, sql).toBe('SG_RESULT_TOO_LARGE');
      expect(error.message).toContain('4 MiB');
      expect(Date.now() - started, sql).toBeLessThan(3_000);
    }
    // Nothing of that size was made on this side.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * MiB);
    await expectHealthy();
  });

  it('stops many big rows, and a value grown past the limit by other means, in the connection process', async () => {
    expect((await errorOf(query(bigRows(1_000, 1_000_000)))).code).toBe('SG_RESULT_TOO_LARGE');
    expect((await errorOf(query("SELECT replace(printf('%.*c', 1000000, 'x'), 'x', 'yyyyyyyyyy')"))).code).toBe('SG_RESULT_TOO_LARGE');
    await expectHealthy();
  });

  it('leaves results under the limit and the guarded functions as SQLite has them', async () => {
    expect((await query(bigRows(3, 1_000_000))).rowCount).toBe(3);
    const { rows } = await query(
      "SELECT printf('%05d|%-4s|%.2f|%q|%lld|%%|%!.3s', 42, 'ab', 3.14159, 'it''s', 9007199254740993, 'héllo'), format('%*d', 6, 7), printf(NULL), length(randomblob(16)), length(randomblob(0)), hex(zeroblob(3)), length(zeroblob(-1))",
    );
    expect(rows).toEqual([["00042|ab  |3.14|it''s|9007199254740993|%|hél", '     7', null, 16, 1, '000000', 0]]);
    // Without a limit (catalog queries) the functions still work.
    expect((await query("SELECT length(printf('%.*c', 5000000, 'x'))", { maxResultBytes: undefined })).rows).toEqual([[5_000_000]]);
  });

  it('a connection process that dies under a statement fails that call only; the next gets a new one', async () => {
    const running = errorOf(query(bigRows(100_000_000, 1), { maxRows: 1, maxResultBytes: undefined, sql: 'WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k) SELECT count(*) FROM k' }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const pids = connectionProcesses();
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    const error = await running;
    expect(error.code).toBe('SG_DB_UNAVAILABLE');
    await expectHealthy();
  });
});
