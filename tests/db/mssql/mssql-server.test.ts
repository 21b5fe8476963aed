/**
 * What only a real SQL Server can show: statements really stopped on timeout and cancel (gone from
 * sys.dm_exec_requests), the read-only rules against the engine, sp_executesql refusing GO and several result
 * sets, exact values end to end, and a least-privilege login refused by the engine itself.
 * Runs when SQLGATE_TEST_MSSQL_URL names a server (an admin login: it creates databases and a login).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery, type QueryResult } from '../../../src/db/run-query.js';
import type { Environment } from '../../../src/environments/environment.js';
import { SqlgateError } from '../../../src/errors.js';
import { mssqlExpectations } from '../../contract/expectations/mssql.js';
import { createFixtureEnvironment, MSSQL_ADMIN_URL, openEnvironment, withMssql, type TestEnvironment } from '../../support/test-databases.js';

const SLOW = mssqlExpectations.slowQuery;

function run(environment: Environment, sql: string, options: { params?: unknown[]; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<QueryResult> {
  return runQuery(environment.dialect, {
    sql,
    params: options.params ?? [],
    readOnly: environment.config.readOnly,
    maxRows: environment.config.maxRows,
    timeoutMs: options.timeoutMs ?? environment.config.statementTimeoutMs,
    maxBinaryBytes: environment.config.maxBinaryBytes,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

async function failure(promise: Promise<unknown>): Promise<SqlgateError> {
  const error = await promise.then(() => null, (err: unknown) => err);
  expect(error).toBeInstanceOf(SqlgateError);
  return error as SqlgateError;
}

describe.skipIf(!MSSQL_ADMIN_URL)('SQL Server dialect against a real server', () => {
  let fixture: TestEnvironment;
  let env: Environment;
  let databaseName: string;

  /** Requests of other sessions still running the slow statement in the fixture database. */
  async function slowStatementsRunning(): Promise<number> {
    return withMssql(MSSQL_ADMIN_URL!, async (pool) => {
      const result = await pool.request().input('db', databaseName).query(
        `SELECT COUNT(*) AS n FROM sys.dm_exec_requests r CROSS APPLY sys.dm_exec_sql_text(r.sql_handle) t
          WHERE r.session_id <> @@SPID AND r.database_id = DB_ID(@db) AND t.text LIKE '%CROSS JOIN numbers c%'`,
      );
      return Number(result.recordset[0].n);
    });
  }

  beforeAll(async () => {
    fixture = await createFixtureEnvironment('mssql');
    env = fixture.environment;
    databaseName = decodeURIComponent(new URL(fixture.database.url).pathname.slice(1));
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('stops a timed-out statement in the server and keeps the connection usable', async () => {
    const quick = await openEnvironment('quick', fixture.database.url, { statement_timeout_ms: 500, pool: { max: 1 } });
    try {
      const error = await failure(run(quick, SLOW));
      expect(error.code).toBe('SG_TIMEOUT');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await slowStatementsRunning()).toBe(0);
      expect((await run(quick, 'SELECT COUNT(*) AS n FROM customers')).rows).toEqual([[4]]);
    } finally {
      await quick.dialect.close();
    }
  });

  it('stops a cancelled statement in the server', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const error = await failure(run(env, SLOW, { signal: controller.signal }));
    expect(error.code).toBe('SG_CANCELLED');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await slowStatementsRunning()).toBe(0);
  });

  it('keeps decimals, money, offsets and fractions exact end to end', async () => {
    const { rows, columns } = await run(env, `SELECT CAST(12345678901234567890.1234567890 AS decimal(30,10)) AS d,
        CAST(922337203685477.5807 AS money) AS m, SUM(total) AS s,
        CAST('2024-02-29T15:45:30.1234567+02:00' AS datetimeoffset(7)) AS dto,
        CAST('23:59:59.9999999' AS time(7)) AS t, CAST(1.1 AS real) AS r, CAST(9223372036854775807 AS bigint) AS b
        FROM orders`);
    expect(columns.map((c) => c.type)).toEqual(['decimal', 'money', 'decimal', 'datetimeoffset', 'time', 'real', 'bigint']);
    expect(rows).toEqual([[
      '12345678901234567890.1234567890', '922337203685477.5807', '1215.75',
      '2024-02-29T15:45:30.1234567+02:00', '23:59:59.9999999', 1.1, '9223372036854775807',
    ]]);
  });

  describe('read-only', () => {
    it('refuses writes and changes nothing', async () => {
      for (const sql of ['DELETE FROM orders', "INSERT INTO orders VALUES (9, 1, 1.00, 'x', '2024-01-01'); SELECT 1 AS one"]) {
        expect((await failure(run(env, sql))).code, sql).toBe('SG_READ_ONLY');
      }
      expect((await run(env, 'SELECT COUNT(*) AS n FROM orders')).rows).toEqual([[5]]);
    });

    it('refuses a statement that ends the transaction, and the next statement still works', async () => {
      for (const sql of ['COMMIT; SELECT 1 AS one', 'ROLLBACK', 'COMMIT; BEGIN TRANSACTION; SELECT 1 AS one']) {
        expect((await failure(run(env, sql))).code, sql).toBe('SG_READ_ONLY');
      }
      expect((await run(env, 'SELECT @@TRANCOUNT AS n')).rows).toEqual([[1]]);
    });

    it('is refused by the engine for a least-privilege login', async () => {
      const login = `sqlgate_ro_${randomBytes(4).toString('hex')}`;
      const password = `Ro-${randomBytes(12).toString('base64url')}1a!`;
      await withMssql(MSSQL_ADMIN_URL!, (pool) => pool.request().batch(`CREATE LOGIN [${login}] WITH PASSWORD = '${password}', CHECK_POLICY = OFF`));
      await withMssql(fixture.database.url, (pool) =>
        pool.request().batch(`CREATE USER [${login}] FOR LOGIN [${login}]; ALTER ROLE db_datareader ADD MEMBER [${login}];
          DENY INSERT, UPDATE, DELETE, EXECUTE, ALTER TO [${login}];`));
      const url = new URL(fixture.database.url);
      url.username = login;
      url.password = password;
      const reader = await openEnvironment('reader', url.toString());
      try {
        const error = await failure(run(reader, 'SET NOCOUNT ON; UPDATE customers SET name = name'));
        expect(error.code).toBe('SG_READ_ONLY');
        expect(error.detail).toContain('229');
        expect((await run(reader, 'SELECT COUNT(*) AS n FROM customers')).rows).toEqual([[4]]);
      } finally {
        await reader.dialect.close();
        await withMssql(fixture.database.url, (pool) => pool.request().batch(`DROP USER [${login}]`));
        await withMssql(MSSQL_ADMIN_URL!, (pool) => pool.request().batch(`DROP LOGIN [${login}]`));
      }
    });
  });

  describe('one statement per call', () => {
    it('refuses GO, which only client tools understand', async () => {
      const error = await failure(run(env, "SELECT 1 AS one\nGO\nDELETE FROM orders"));
      expect(error.code).toBe('SG_QUERY_FAILED');
      expect(error.message).toContain('Incorrect syntax');
      expect((await run(env, 'SELECT COUNT(*) AS n FROM orders')).rows).toEqual([[5]]);
    });

    it('refuses a second result set', async () => {
      const error = await failure(run(env, 'SELECT 1 AS one; SELECT 2 AS two'));
      expect(error.code).toBe('SG_QUERY_FAILED');
      expect(error.hint).toContain('one statement');
    });

    it('lets a SET in the statement end with it, within the same session', async () => {
      const session = await env.dialect.session({ readOnly: true, timeoutMs: 3_000 });
      try {
        const first = session.execute('SET LOCK_TIMEOUT 1; SELECT @@LOCK_TIMEOUT AS ms', []);
        expect((await first.read(10)).rows).toEqual([[1]]);
        await first.close();
        const second = session.execute('SELECT @@LOCK_TIMEOUT AS ms', []);
        expect((await second.read(10)).rows).toEqual([[3_000]]);
        await second.close();
      } finally {
        await session.finish('rollback');
      }
    });
  });

  it('reports a wrong password as authentication failed, without the login', async () => {
    const url = new URL(fixture.database.url);
    url.password = 'definitely-not-the-password';
    const wrong = await openEnvironment('wrong', url.toString());
    try {
      const status = await wrong.dialect.ping();
      expect(status.connected).toBe(false);
      expect(status.error).toContain('authentication failed');
      expect(status.error).not.toContain(decodeURIComponent(url.username));
    } finally {
      await wrong.dialect.close();
    }
  });
});
