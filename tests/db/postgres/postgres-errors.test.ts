/**
 * SQLSTATEs and driver failures → sqlgate errors, on a real server: messages the model can act on, no hosts or
 * passwords, and the engine (not a keyword list) refusing writes and multi-statement strings.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery } from '../../../src/db/run-query.js';
import { postgresToError } from '../../../src/db/postgres/postgres-errors.js';
import type { Environment } from '../../../src/environments/environment.js';
import { LoginRefusedError, SqlgateError } from '../../../src/errors.js';
import { PoolClosedError } from '../../../src/util/resource-pool.js';
import { createTestDatabase, openEnvironment, PG_ADMIN_URL, withPgClient, type TestDatabase } from '../../support/test-databases.js';

let database: TestDatabase;
let readOnly: Environment;
let writable: Environment;

beforeAll(async () => {
  database = await createTestDatabase('postgres', [
    'CREATE TABLE items (id int PRIMARY KEY, qty int NOT NULL CHECK (qty >= 0))',
    'INSERT INTO items VALUES (1, 5)',
    'CREATE TABLE victim (id int)',
  ]);
  readOnly = await openEnvironment('errors-ro', database.url);
  writable = await openEnvironment('errors-rw', database.url, { read_only: false });
});
afterAll(async () => {
  await readOnly?.dialect.close();
  await writable?.dialect.close();
  await database?.drop();
});

async function failure(env: Environment, sql: string, readOnlySession = env === readOnly, timeoutMs = 10_000): Promise<SqlgateError> {
  try {
    await runQuery(env.dialect, { sql, params: [], readOnly: readOnlySession, maxRows: 10, timeoutMs, maxBinaryBytes: 10 });
  } catch (err) {
    expect(err).toBeInstanceOf(SqlgateError);
    return err as SqlgateError;
  }
  throw new Error(`expected "${sql}" to fail`);
}

async function count(table: string): Promise<number> {
  const result = await runQuery(readOnly.dialect, { sql: `SELECT count(*) FROM ${table}`, params: [], readOnly: true, maxRows: 1, timeoutMs: 5_000, maxBinaryBytes: 0 });
  return result.rows[0]![0] as number;
}

describe('postgres error mapping', () => {
  it('keeps PostgreSQL\'s message for statement errors, with its own hint when it has one', async () => {
    const missing = await failure(readOnly, 'SELECT no_such_column FROM items');
    expect(missing.code).toBe('SG_QUERY_FAILED');
    expect(missing.message).toBe('PostgreSQL: column "no_such_column" does not exist');
    expect(missing.hint).toContain('describe_table');
    const typo = await failure(readOnly, 'SELECT i.idd FROM items i');
    expect(typo.hint).toContain('Perhaps you meant');
    const syntax = await failure(readOnly, 'SELEC 1');
    expect(syntax.message).toBe('PostgreSQL: syntax error at or near "SELEC"');
    const zero = await failure(readOnly, 'SELECT 1 / 0');
    expect(zero).toMatchObject({ code: 'SG_QUERY_FAILED', message: 'PostgreSQL: division by zero' });
    expect(zero.hint).toContain('out of range');
  });

  it('refuses a multi-statement string in the server: nothing runs, the table survives', async () => {
    for (const env of [readOnly, writable]) {
      const error = await failure(env, 'SELECT 1; COMMIT; DROP TABLE victim');
      expect(error.code).toBe('SG_QUERY_FAILED');
      expect(error.message).toContain('cannot insert multiple commands into a prepared statement');
      expect(error.hint).toContain('one statement');
    }
    expect(await count('victim')).toBe(0);
  });

  it('maps a write in a read-only session (25006) to SG_READ_ONLY, also when hidden in a CTE', async () => {
    for (const sql of ['INSERT INTO items VALUES (2, 1)', 'WITH d AS (DELETE FROM items RETURNING 1) SELECT count(*) FROM d']) {
      const error = await failure(readOnly, sql);
      expect([error.code, error.message], sql).toEqual(['SG_READ_ONLY', 'This environment is read-only; the statement would write.']);
    }
    expect(await count('items')).toBe(1);
  });

  it('does not let a statement switch its read-only transaction to read-write', async () => {
    for (const sql of [
      "SELECT set_config('transaction_read_only', 'off', true), 1",
      'DO $$BEGIN SET TRANSACTION READ WRITE; DELETE FROM items; END$$',
    ]) {
      const error = await failure(readOnly, sql);
      expect(error.code, sql).toBe('SG_QUERY_FAILED');
      expect(error.message, sql).toContain('read-write mode must be set before any query');
    }
    expect(await count('items')).toBe(1);
  });

  it('reports constraint violations with the database message and rolls the statement back', async () => {
    const error = await failure(writable, 'UPDATE items SET qty = -1');
    expect(error.code).toBe('SG_QUERY_FAILED');
    expect(error.message).toContain('violates check constraint');
    expect(await count('items')).toBe(1);
  });

  it('turns statement_timeout into SG_TIMEOUT naming the limit', async () => {
    const error = await failure(readOnly, 'SELECT pg_sleep(5)', true, 300);
    expect(error.code).toBe('SG_TIMEOUT');
    expect(error.message).toContain('300 ms');
  });

  it('answers SG_BUSY when PostgreSQL has no connection slot for the login (53300)', async () => {
    const role = `sqlgate_t_role_${Date.now().toString(36)}`;
    await withPgClient(PG_ADMIN_URL, (c) => c.query(`CREATE ROLE ${role} LOGIN CONNECTION LIMIT 0`));
    const url = new URL(database.url);
    url.username = role;
    const limited = await openEnvironment('limited', url.toString());
    try {
      const error = await failure(limited, 'SELECT 1');
      expect(error.code).toBe('SG_BUSY');
      expect(error.hint).toContain('Retry');
    } finally {
      await limited.dialect.close();
      await withPgClient(PG_ADMIN_URL, (c) => c.query(`DROP ROLE ${role}`));
    }
  });

  it('reports a database that does not exist as unavailable, without naming it, and as refused by the server', async () => {
    const url = new URL(database.url);
    url.pathname = '/sqlgate_no_such_database';
    const env = await openEnvironment('nodb', url.toString());
    try {
      const error = await failure(env, 'SELECT 1');
      expect(error.code).toBe('SG_DB_UNAVAILABLE');
      expect(error.message).not.toContain('sqlgate_no_such_database');
      expect(error.detail).toContain('3D000');
      expect(error).toBeInstanceOf(LoginRefusedError);
      expect((error as LoginRefusedError).refused).toBe('database');
      expect(await env.dialect.ping()).toMatchObject({ connected: false, failure: 'database-refused' });
    } finally {
      await env.dialect.close();
    }
  });

  it('reports a role that does not exist (28000) as a refused login, without naming it', async () => {
    // This server trusts 127.0.0.1, so a wrong password cannot be provoked; an unknown role is refused the same way.
    const url = new URL(database.url);
    url.username = 'sqlgate_no_such_role';
    const env = await openEnvironment('norole', url.toString());
    try {
      const error = await failure(env, 'SELECT 1');
      expect(error).toBeInstanceOf(LoginRefusedError);
      expect(error).toMatchObject({ code: 'SG_DB_UNAVAILABLE', refused: 'authentication', message: expect.stringContaining('authentication failed') });
      expect(error.detail).toContain('28000');
      expect(error.publicText).not.toContain('sqlgate_no_such_role');
      const status = await env.dialect.ping();
      expect(status).toMatchObject({ connected: false, failure: 'login-refused', error: expect.stringContaining('refused the login') });
      expect(status.error).not.toContain('sqlgate_no_such_role');
    } finally {
      await env.dialect.close();
    }
  });

  it('tells a login without CONNECT on the database from a statement refused CREATE on it', async () => {
    const role = `sqlgate_t_conn_${Date.now().toString(36)}`;
    await withPgClient(PG_ADMIN_URL, async (c) => {
      await c.query(`CREATE ROLE ${role} LOGIN`);
      await c.query(`REVOKE CONNECT ON DATABASE ${database.name} FROM PUBLIC`);
    });
    const url = new URL(database.url);
    url.username = role;
    const env = await openEnvironment('noconnect', url.toString(), { read_only: false });
    try {
      const refused = await failure(env, 'SELECT 1', false);
      expect(refused).toMatchObject({ code: 'SG_DB_UNAVAILABLE', refused: 'database', message: expect.stringContaining('no CONNECT privilege') });
      await withPgClient(PG_ADMIN_URL, (c) => c.query(`GRANT CONNECT ON DATABASE ${database.name} TO ${role}`));
      // The same SQLSTATE (42501, "permission denied for database …") from a statement is the statement's failure.
      const statement = await failure(env, 'CREATE SCHEMA sqlgate_not_allowed', false);
      expect(statement).not.toBeInstanceOf(LoginRefusedError);
      expect(statement.code).not.toBe('SG_DB_UNAVAILABLE');
    } finally {
      await env.dialect.close();
      await withPgClient(PG_ADMIN_URL, async (c) => {
        await c.query(`GRANT CONNECT ON DATABASE ${database.name} TO PUBLIC`);
        await c.query(`REVOKE ALL ON DATABASE ${database.name} FROM ${role}`);
        await c.query(`DROP ROLE ${role}`);
      });
    }
  });
});

describe('postgresToError for driver failures', () => {
  it('never shows socket messages (they name hosts), only a sentence and the error code', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:5432'), { code: 'ECONNREFUSED' });
    expect(postgresToError(refused)).toMatchObject({ code: 'SG_DB_UNAVAILABLE', detail: 'ECONNREFUSED: connect ECONNREFUSED 10.1.2.3:5432' });
    expect(postgresToError(refused).publicText).not.toContain('10.1.2.3');
    const unknownHost = Object.assign(new Error('getaddrinfo ENOTFOUND db.internal'), { code: 'ENOTFOUND' });
    expect(postgresToError(unknownHost).publicText).not.toContain('db.internal');
    const badCert = Object.assign(new Error("Hostname/IP does not match certificate's altnames: Host: db.internal"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(postgresToError(badCert)).toMatchObject({ code: 'SG_DB_UNAVAILABLE' });
    expect(postgresToError(badCert).publicText).not.toContain('db.internal');
  });

  it('maps a wrong password (28P01) and a missing one to a refused login; a refused connection is not one', () => {
    const wrongPassword = Object.assign(new pg.DatabaseError('password authentication failed for user "reader"', 0, 'error'), { code: '28P01' });
    expect(postgresToError(wrongPassword)).toMatchObject({ code: 'SG_DB_UNAVAILABLE', refused: 'authentication', message: expect.stringContaining('authentication failed') });
    expect(postgresToError(wrongPassword).publicText).not.toContain('reader');
    const noPassword = new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string');
    expect(postgresToError(noPassword)).toBeInstanceOf(LoginRefusedError);
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:5432'), { code: 'ECONNREFUSED' });
    expect(postgresToError(refused)).not.toBeInstanceOf(LoginRefusedError);
  });

  it('maps lost connections, timeouts and a closed pool to SG_DB_UNAVAILABLE, anything else to SG_INTERNAL', () => {
    expect(postgresToError(new Error('Connection terminated unexpectedly')).code).toBe('SG_DB_UNAVAILABLE');
    expect(postgresToError(new Error('timeout expired')).message).toContain('connect timeout');
    expect(postgresToError(new PoolClosedError()).code).toBe('SG_DB_UNAVAILABLE');
    const odd = postgresToError(new Error('something odd at /var/lib/secret'));
    expect(odd.code).toBe('SG_INTERNAL');
    expect(odd.message).not.toContain('/var/lib');
  });
});
