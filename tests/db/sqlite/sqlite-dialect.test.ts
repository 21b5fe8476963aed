/** SQLite specifics the shared contract does not cover. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery } from '../../../src/db/run-query.js';
import { SqlgateError } from '../../../src/errors.js';
import { createFixtureEnvironment, openEnvironment, type TestEnvironment } from '../../support/test-databases.js';

let fixture: TestEnvironment;
beforeAll(async () => {
  fixture = await createFixtureEnvironment('sqlite');
});
afterAll(async () => {
  await fixture?.close();
});

function query(sql: string, overrides: Partial<Parameters<typeof runQuery>[1]> = {}) {
  return runQuery(fixture.environment.dialect, { sql, params: [], readOnly: true, maxRows: 100, timeoutMs: 5_000, maxBinaryBytes: 16, ...overrides });
}

async function errorOf(promise: Promise<unknown>): Promise<SqlgateError> {
  try {
    await promise;
  } catch (err) {
    return err as SqlgateError;
  }
  throw new Error('expected a failure');
}

/** Child processes of this test process that are SQLite connection processes. */
function connectionProcesses(): string[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes('sqlite-worker'));
}

describe('SQLite dialect', () => {
  it('refuses a write that is also a reader (INSERT … RETURNING) by the engine\'s own verdict', async () => {
    const error = await errorOf(query("INSERT INTO customers (id, name, state, created_at) VALUES (50, 'x', 'CA', '2024-01-01') RETURNING id"));
    expect(error.code).toBe('SG_READ_ONLY');
    expect((await query('SELECT COUNT(*) FROM customers')).rows).toEqual([[4]]);
  });

  it('refuses writing pragmas and ATTACH in a read-only environment', async () => {
    expect((await errorOf(query('PRAGMA user_version = 7'))).code).toBe('SG_READ_ONLY');
    const attackFile = path.join(os.tmpdir(), `sqlgate-attack-${process.pid}.sqlite`);
    const attach = await errorOf(query(`ATTACH DATABASE '${attackFile}' AS x`));
    expect(attach.code).toBe('SG_QUERY_FAILED');
    expect(fs.existsSync(attackFile)).toBe(false);
    expect((await query('PRAGMA user_version')).rows).toEqual([[0]]);
  });

  it('names expression columns after the storage class of the values they returned', async () => {
    const typesOf = async (sql: string, overrides: Partial<Parameters<typeof runQuery>[1]> = {}) =>
      Object.fromEntries((await query(sql, overrides)).columns.map((c) => [c.name, c.type]));
    expect(await typesOf('SELECT COUNT(*) AS n, SUM(total) AS s, MAX(status) AS m, 1 + 1 AS two, id FROM orders')).toEqual({
      n: 'integer', s: 'real', m: 'text', two: 'integer', id: 'integer',
    });
    // AVG of 2 and 4 is the REAL 3.0: the JSON value is 3, the type still real.
    const average = await query('SELECT AVG(x) AS a FROM (SELECT 2 AS x UNION ALL SELECT 4)');
    expect(average.rows).toEqual([[3]]);
    expect(average.columns).toEqual([{ name: 'a', type: 'real' }]);
    expect(await typesOf("SELECT NULL AS z, x'00' AS b, 'a' || 'b' AS t")).toEqual({ z: 'null', b: 'blob', t: 'text' });
    // A view's computed columns; total_completed mixes the INTEGER 0 with REALs.
    expect(await typesOf('SELECT * FROM customer_totals')).toEqual({ customer_id: 'integer', name: 'varchar(100)', order_count: 'integer', total_completed: 'real' });
    expect(await typesOf("SELECT CASE WHEN n % 2 = 0 THEN n ELSE 'odd' END AS v FROM numbers WHERE n < 3")).toEqual({ v: 'any' });
    expect(await typesOf('SELECT n + 1 AS m FROM numbers WHERE n < 0')).toEqual({ m: 'any' });
  });

  it('types an expression column from every batch it read, not only the first', async () => {
    // Null in the first 2,000 rows (one batch), an integer after them.
    const result = await query('SELECT CASE WHEN n > 2100 THEN n END AS late FROM numbers ORDER BY n', { maxRows: 2_500 });
    expect(result.columns).toEqual([{ name: 'late', type: 'integer' }]);
  });

  it('reads read-only pragmas', async () => {
    const result = await query('PRAGMA table_info(orders)');
    expect(result.rows.map((r) => r[1])).toEqual(['id', 'customer_id', 'total', 'status', 'ordered_at']);
  });

  it('cuts binary values after max_binary_bytes', async () => {
    const result = await query('SELECT randomblob(100) AS b', { maxBinaryBytes: 3 });
    expect(String(result.rows[0]![0])).toMatch(/^[A-Za-z0-9+/]{4}…\[100 bytes\]$/);
  });

  it('really stops a runaway statement: its connection process is gone after the timeout', async () => {
    const env = await openEnvironment('runaway', fixture.database.url, { statement_timeout_ms: 300, pool: { max: 1 } });
    try {
      const before = connectionProcesses().length;
      const error = await errorOf(
        runQuery(env.dialect, {
          sql: 'WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s) SELECT COUNT(*) FROM s',
          params: [],
          readOnly: true,
          maxRows: 10,
          timeoutMs: 300,
          maxBinaryBytes: 16,
        }),
      );
      expect(error.code).toBe('SG_TIMEOUT');
      // The killed process is gone; at most the pool's replacement remains.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(connectionProcesses().length).toBeLessThanOrEqual(before);
    } finally {
      await env.dialect.close();
    }
  });
});
