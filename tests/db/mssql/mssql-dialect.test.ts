/**
 * What the SQL Server dialect does without a server: quoting, sampling SQL, configuration errors, and a server
 * that is down at start (a closed port on this machine: nothing listens on 127.0.0.1:1).
 */
import { describe, expect, it } from 'vitest';
import { parseEnvironmentConfig } from '../../../src/config/load.js';
import { createDialect } from '../../../src/db/registry.js';
import { MssqlDialect } from '../../../src/db/mssql/mssql-dialect.js';
import { SqlgateError } from '../../../src/errors.js';

const PASSWORD = 'Sup3r-Secret!';

function dialectFor(url: string, overrides: Record<string, unknown> = {}) {
  const config = parseEnvironmentConfig('warehouse', { database: url, ...overrides }, process.cwd());
  return createDialect(config);
}

const closedPortUrl = `sqlserver://reader:${encodeURIComponent(PASSWORD)}@127.0.0.1:1/Sales`;

describe('MssqlDialect', () => {
  it('is what the registry builds for sqlserver:// and mssql:// URLs', async () => {
    expect(await dialectFor('sqlserver://u:p@db.example:1433/Sales')).toBeInstanceOf(MssqlDialect);
    expect((await dialectFor('mssql://u:p@db.example/Sales')).displayName).toBe('SQL Server');
  });

  it('quotes identifiers with brackets, doubling a closing bracket', async () => {
    const dialect = await dialectFor('sqlserver://u:p@db.example/Sales');
    expect(dialect.quoteIdentifier('orders')).toBe('[orders]');
    expect(dialect.quoteIdentifier('a]b')).toBe('[a]]b]');
    expect(dialect.quoteIdentifier('Order Lines; DROP TABLE x--')).toBe('[Order Lines; DROP TABLE x--]');
    expect(dialect.quoteIdentifier('[x]')).toBe('[[x]]]');
  });

  it('samples with TOP (n) on the schema-qualified, quoted name', async () => {
    const dialect = await dialectFor('sqlserver://u:p@db.example/Sales');
    expect(dialect.sampleSql({ schema: 'dbo', name: 't' }, 10)).toBe('SELECT TOP (10) * FROM [dbo].[t]');
    expect(dialect.sampleSql({ schema: 'sales]x', name: 'Order Lines' }, 2.7)).toBe('SELECT TOP (2) * FROM [sales]]x].[Order Lines]');
    expect(dialect.sampleSql({ schema: null, name: 't' }, 5)).toBe('SELECT TOP (5) * FROM [t]');
  });

  it('refuses an unknown URL parameter when it is built, naming the parameter but not the password', async () => {
    let error: unknown;
    try {
      await dialectFor(`sqlserver://u:${PASSWORD}@db.example/Sales?encrypt=true&Connect%20Timeout=5`);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SqlgateError);
    expect((error as SqlgateError).code).toBe('SG_CONFIG');
    expect((error as SqlgateError).message).toContain('"connect timeout"');
    expect((error as SqlgateError).message).toContain('environments.warehouse.database');
    expect((error as SqlgateError).message).not.toContain(PASSWORD);
  });

  describe('with the server down at start', () => {
    it('opens without connecting, and ping says down without the password or the host', async () => {
      const dialect = await dialectFor(closedPortUrl, { connect_timeout_ms: 2_000 });
      await expect(dialect.open()).resolves.toBeUndefined();
      try {
        const status = await dialect.ping();
        expect(status.connected).toBe(false);
        expect(status.latencyMs).toBeNull();
        expect(status.error).toBe('SQL Server cannot be reached.');
        expect(status.error).not.toContain(PASSWORD);
        expect(status.error).not.toContain('127.0.0.1');
      } finally {
        await dialect.close();
      }
    });

    it('answers a session with SG_DB_UNAVAILABLE, the host only in the logged detail', async () => {
      const dialect = await dialectFor(closedPortUrl, { connect_timeout_ms: 2_000 });
      await dialect.open();
      try {
        const error = await dialect.session({ readOnly: true, timeoutMs: 1_000 }).then(
          () => null,
          (err: unknown) => err,
        );
        expect(error).toBeInstanceOf(SqlgateError);
        const sqlgateError = error as SqlgateError;
        expect(sqlgateError.code).toBe('SG_DB_UNAVAILABLE');
        expect(sqlgateError.hint).toContain('host, port');
        expect(sqlgateError.publicText).not.toContain('127.0.0.1');
        expect(sqlgateError.publicText).not.toContain(PASSWORD);
        expect(sqlgateError.detail).toContain('127.0.0.1:1');
        expect(sqlgateError.detail).not.toContain(PASSWORD);
      } finally {
        await dialect.close();
      }
    });

    it('answers SG_DB_UNAVAILABLE after close', async () => {
      const dialect = await dialectFor(closedPortUrl);
      await dialect.open();
      await dialect.close();
      await expect(dialect.session({ readOnly: true, timeoutMs: 1_000 })).rejects.toMatchObject({ code: 'SG_DB_UNAVAILABLE' });
    });
  });
});
