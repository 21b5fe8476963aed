/**
 * The MySQL/MariaDB dialect on a real server, beyond the contract: a server down at start or silent, login
 * failures, flavor detection, error mapping, multi-statement text, and pooled connections that carry nothing
 * from one caller to the next.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery, type QueryRequest } from '../../../src/db/run-query.js';
import type { Environment } from '../../../src/environments/environment.js';
import { createFixtureEnvironment, openEnvironment, type TestEnvironment } from '../../support/test-databases.js';
import { rejection } from '../../support/rejection.js';

let fixture: TestEnvironment;

beforeAll(async () => {
  fixture = await createFixtureEnvironment('mysql');
});
afterAll(async () => {
  await fixture?.close();
});

function request(sql: string, overrides: Partial<QueryRequest> = {}): QueryRequest {
  return { sql, params: [], readOnly: true, maxRows: 100, timeoutMs: 10_000, maxBinaryBytes: 16, ...overrides };
}

async function rows(env: Environment, sql: string, overrides: Partial<QueryRequest> = {}): Promise<unknown[][]> {
  return (await runQuery(env.dialect, request(sql, overrides))).rows;
}

async function single(env: Environment, sql: string): Promise<unknown> {
  return (await rows(env, sql))[0]![0];
}

/** The fixture database's URL with other credentials or parameters. */
function fixtureUrl(change: (url: URL) => void): string {
  const url = new URL(fixture.database.url);
  change(url);
  return url.toString();
}

async function withEnvironment<T>(url: string, overrides: Record<string, unknown>, use: (env: Environment) => Promise<T>): Promise<T> {
  const env = await openEnvironment('probe', url, overrides);
  try {
    return await use(env);
  } finally {
    await env.dialect.close();
  }
}

describe('a server that cannot be used', () => {
  it('opens while the server is down, pings down without secrets, and refuses sessions with SG_DB_UNAVAILABLE', async () => {
    await withEnvironment('mysql://reader:topsecret@127.0.0.1:1/sales', { connect_timeout_ms: 1_000 }, async (env) => {
      const status = await env.dialect.ping();
      expect(status).toMatchObject({ connected: false, latencyMs: null, failure: 'unreachable' });
      expect(status.error).toBe('The MySQL server cannot be reached: the connection was refused.');
      const error = await rejection(env.dialect.session({ readOnly: true, timeoutMs: 1_000 }));
      expect(error.code).toBe('SG_DB_UNAVAILABLE');
      for (const secret of ['topsecret', '127.0.0.1', 'reader']) expect(error.publicText).not.toContain(secret);
      expect(error.detail).toContain('ECONNREFUSED');
    });
  });

  it('gives up after connect_timeout_ms on a server that never answers', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      await withEnvironment(`mariadb://u:pw@127.0.0.1:${port}/db`, { connect_timeout_ms: 300 }, async (env) => {
        const started = Date.now();
        const error = await rejection(runQuery(env.dialect, request('SELECT 1')));
        expect(error.code).toBe('SG_DB_UNAVAILABLE');
        expect(error.message).toBe('The MariaDB server cannot be reached: the connection timed out.');
        expect(Date.now() - started).toBeLessThan(2_000);
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('says authentication failed for a wrong login, naming neither user nor password', async () => {
    const url = fixtureUrl((u) => {
      u.username = 'sqlgate_nobody';
      u.password = 'wrong-secret';
    });
    await withEnvironment(url, {}, async (env) => {
      const error = await rejection(runQuery(env.dialect, request('SELECT 1')));
      expect(error.code).toBe('SG_DB_UNAVAILABLE');
      expect(error.message).toContain('authentication failed');
      for (const secret of ['sqlgate_nobody', 'wrong-secret']) expect(error.publicText).not.toContain(secret);
      expect(error).toMatchObject({ refused: 'authentication' });
      // The server answered and said no: ping tells that from a server that is down.
      const status = await env.dialect.ping();
      expect(status).toMatchObject({ connected: false, failure: 'login-refused', error: expect.stringContaining('authentication failed') });
    });
  });

  it('reports an unknown database as unavailable, refused by the server', async () => {
    await withEnvironment(fixtureUrl((u) => (u.pathname = '/sqlgate_no_such_db')), {}, async (env) => {
      const error = await rejection(runQuery(env.dialect, request('SELECT 1')));
      expect(error.code).toBe('SG_DB_UNAVAILABLE');
      expect(error.message).toContain('does not exist');
      expect(error).toMatchObject({ refused: 'database' });
      expect(await env.dialect.ping()).toMatchObject({ connected: false, failure: 'database-refused' });
    });
  });

  it('refuses TLS settings the driver cannot honour at start', async () => {
    await expect(openEnvironment('tls', fixtureUrl((u) => u.searchParams.set('ssl-mode', 'PREFERRED')))).rejects.toMatchObject({ code: 'SG_CONFIG' });
  });

  it('encrypts with ssl-mode=REQUIRED, or reports the server unusable when it offers no TLS', async () => {
    const haveSsl = await single(fixture.environment, 'SELECT @@have_ssl');
    await withEnvironment(fixtureUrl((u) => u.searchParams.set('ssl-mode', 'REQUIRED')), {}, async (env) => {
      if (haveSsl === 'YES') {
        const cipher = (await rows(env, "SHOW SESSION STATUS LIKE 'Ssl_cipher'"))[0]![1];
        expect(cipher).not.toBe('');
      } else {
        const status = await env.dialect.ping();
        expect(status.connected).toBe(false);
        expect(status.error).toContain('TLS');
      }
    });
  });
});

describe('the server family', () => {
  it('is taken from VERSION(), not from the URL scheme', async () => {
    const version = await single(fixture.environment, 'SELECT VERSION()');
    const actual = String(version).includes('MariaDB') ? 'MariaDB' : 'MySQL';
    const guessed = actual === 'MariaDB' ? 'mysql' : 'mariadb';
    await withEnvironment(fixtureUrl((u) => (u.protocol = `${guessed}:`)), {}, async (env) => {
      expect(env.dialect.displayName).toBe(guessed === 'mysql' ? 'MySQL' : 'MariaDB');
      expect((await env.dialect.ping()).connected).toBe(true);
      expect(env.dialect.displayName).toBe(actual);
      const error = await rejection(runQuery(env.dialect, request('SELECT * FROM no_such_table')));
      expect(error.message.startsWith(`${actual}: `)).toBe(true);
    });
  });
});

describe('errors', () => {
  it('maps syntax errors, unknown columns and tables to SG_QUERY_FAILED with the server message and a hint', async () => {
    const syntax = await rejection(runQuery(fixture.environment.dialect, request('SELEC 1')));
    expect(syntax).toMatchObject({ code: 'SG_QUERY_FAILED' });
    expect(syntax.message).toMatch(/^(MariaDB|MySQL): You have an error in your SQL syntax/);
    expect(syntax.hint).toContain('backticks');
    const column = await rejection(runQuery(fixture.environment.dialect, request('SELECT nope FROM customers')));
    expect(column.message).toContain("Unknown column 'nope'");
    expect(column.hint).toContain('describe_table');
    const table = await rejection(runQuery(fixture.environment.dialect, request('SELECT * FROM nope')));
    expect(table.message).toContain("nope' doesn't exist");
    expect(table.detail).toContain('1146');
  });

  it('refuses a write in a read-only session in the engine (1792)', async () => {
    const error = await rejection(runQuery(fixture.environment.dialect, request("UPDATE customers SET name = 'x'")));
    expect(error.code).toBe('SG_READ_ONLY');
    expect(error.message).toBe('This environment is read-only; the statement would write.');
  });

  it('refuses multi-statement text, and the second statement never runs', async () => {
    await withEnvironment(fixture.database.url, { read_only: false }, async (env) => {
      const error = await rejection(runQuery(env.dialect, request('SELECT 1; DROP TABLE numbers', { readOnly: false })));
      expect(error.code).toBe('SG_QUERY_FAILED');
      expect(error.message).toContain('SQL syntax');
      expect(await rows(env, 'SELECT COUNT(*) FROM numbers')).toEqual([[2_500]]);
    });
  });
});

describe('pooled connections', () => {
  it('do not keep a database switched by USE', async () => {
    await withEnvironment(fixture.database.url, { read_only: false, pool: { max: 1 } }, async (env) => {
      const own = await single(env, 'SELECT DATABASE()');
      await rows(env, 'USE mysql', { readOnly: false });
      expect(await rows(env, 'SELECT DATABASE()')).toEqual([[own]]);
      expect((await env.dialect.introspector().listTables({})).map((t) => t.name)).toContain('numbers');
    });
  });

  it('restore UTC and the escaping-safe sql_mode for every caller', async () => {
    await withEnvironment(fixture.database.url, { read_only: false, pool: { max: 1 } }, async (env) => {
      // sql_mode is not among the variables the server reports as changed, so this connection stays in the pool.
      await rows(env, "SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'", { readOnly: false });
      await rows(env, "SET SESSION time_zone = '+05:00'", { readOnly: false });
      expect(await rows(env, "SELECT @@SESSION.time_zone, LOCATE('NO_BACKSLASH_ESCAPES', @@SESSION.sql_mode)")).toEqual([['+00:00', 0]]);
      // Under NO_BACKSLASH_ESCAPES the driver's \' escaping would end the literal and let the rest run as SQL.
      const hostile = "x\\' OR 1=1 -- ";
      expect(await rows(env, 'SELECT COUNT(*) FROM customers WHERE name = ?', { params: [hostile] })).toEqual([[0]]);
      expect(await rows(env, 'SELECT ?', { params: [hostile] })).toEqual([[hostile]]);
    });
  });

  it('carry no user variables, temporary tables or named locks to the next caller', async () => {
    await withEnvironment(fixture.database.url, { read_only: false, pool: { max: 1 } }, async (env) => {
      const id = await single(env, 'SELECT CONNECTION_ID()');
      await rows(env, 'SET @leak = 42', { readOnly: false });
      await rows(env, 'CREATE TEMPORARY TABLE leak (n INT)', { readOnly: false });
      expect(await rows(env, "SELECT GET_LOCK('sqlgate_t_leak', 0)", { readOnly: false })).toEqual([[1]]);
      expect(await rows(env, "SELECT CONNECTION_ID(), @leak, IS_USED_LOCK('sqlgate_t_leak')")).toEqual([[id, null, null]]);
      await expect(runQuery(env.dialect, request('SELECT * FROM leak'))).rejects.toMatchObject({ code: 'SG_QUERY_FAILED' });
    });
  });

  it('commit a write and report the rows it changed', async () => {
    await withEnvironment(fixture.database.url, { read_only: false }, async (env) => {
      const result = await runQuery(env.dialect, request("UPDATE orders SET status = 'shipped' WHERE status = 'completed'", { readOnly: false }));
      expect(result.rowsAffected).toBe(3);
      expect(await rows(fixture.environment, "SELECT COUNT(*) FROM orders WHERE status = 'shipped'")).toEqual([[3]]);
      await runQuery(env.dialect, request("UPDATE orders SET status = 'completed' WHERE status = 'shipped'", { readOnly: false }));
    });
  });
});
