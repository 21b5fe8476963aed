/**
 * The equivalents of other dialects' functions and syntax: the sentences they make, and the same advice when the
 * database itself rejects another dialect's SQL (a function the environment allowed, the `::` cast …), on real
 * databases through each dialect's error mapping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialectName } from '../../src/db/dialect.js';
import { runQuery } from '../../src/db/run-query.js';
import { adviseOnConstruct, adviseOnFunction, canHaveUserFunctions, functionEquivalent } from '../../src/db/sql-equivalents.js';
import { SqlgateError } from '../../src/errors.js';
import { createFixtureEnvironment, TEST_DIALECTS, type TestEnvironment } from '../support/test-databases.js';

describe('sql equivalents', () => {
  it('say which dialect has no such function and what it writes instead, whatever the case of the name', () => {
    expect(adviseOnFunction({ name: 'sqlite', displayName: 'SQLite' }, 'NOW')).toBe(
      "SQLite has no function NOW(): use datetime('now') or CURRENT_TIMESTAMP (both UTC); date('now') is today.",
    );
    expect(adviseOnFunction({ name: 'mysql', displayName: 'MariaDB' }, 'date_trunc')).toMatch(/^MariaDB has no function date_trunc\(\): use DATE_FORMAT/);
    expect(adviseOnFunction({ name: 'postgres', displayName: 'PostgreSQL' }, 'no_such_thing')).toBeUndefined();
    // A dialect's own function has no advice: lower() is everybody's.
    for (const name of ['sqlite', 'postgres', 'mysql', 'mssql'] as const) expect(functionEquivalent(name, 'lower'), name).toBeUndefined();
  });

  it('advise on a construct only where the dialect lacks it', () => {
    expect(adviseOnConstruct({ name: 'sqlite', displayName: 'SQLite' }, 'ilike')).toMatch(/^SQLite has no ILIKE: use LIKE/);
    expect(adviseOnConstruct({ name: 'postgres', displayName: 'PostgreSQL' }, 'ilike')).toBeUndefined();
    expect(adviseOnConstruct({ name: 'mssql', displayName: 'SQL Server' }, 'limit')).toMatch(/^SQL Server has no LIMIT: use SELECT TOP \(n\)/);
    expect(adviseOnConstruct({ name: 'mysql', displayName: 'MySQL' }, 'limit')).toBeUndefined();
    expect(adviseOnConstruct({ name: 'mysql', displayName: 'MySQL' }, 'interval-text')).toContain('NOW() - INTERVAL 1 HOUR');
    expect(adviseOnConstruct({ name: 'postgres', displayName: 'PostgreSQL' }, 'interval-text')).toBeUndefined();
    expect(adviseOnConstruct({ name: 'mssql', displayName: 'SQL Server' }, 'top')).toBeUndefined();
  });

  it('know that sqlgate\'s SQLite connections have no functions beyond the built-ins', () => {
    expect(canHaveUserFunctions('sqlite')).toBe(false);
    for (const name of ['postgres', 'mysql', 'mssql'] as const) expect(canHaveUserFunctions(name)).toBe(true);
  });
});

/** [statement sent straight to the database, what its error's hint must say]. */
const REJECTED_BY_THE_DATABASE: Record<DialectName, Array<[string, string | RegExp]>> = {
  sqlite: [
    ["SELECT date_trunc('month', created_at) FROM customers", "SQLite has no function date_trunc(): use strftime('%Y-%m-01', col)"],
    // The gate's parser accepts ::, SQLite does not.
    ['SELECT id::text FROM customers', 'SQLite has no :: cast operator: use CAST(x AS type)'],
  ],
  postgres: [
    ["SELECT date_format(created_at, '%Y') FROM customers", "PostgreSQL has no function date_format(): use to_char(col, 'YYYY-MM-DD HH24:MI')"],
  ],
  mysql: [
    ["SELECT date_trunc('month', created_at) FROM customers", /^(MySQL|MariaDB) has no function date_trunc\(\): use DATE_FORMAT\(col, '%Y-%m-01'\)/],
    // MySQL's ISNULL takes one argument.
    ['SELECT ISNULL(email, 0) FROM customers', "ISNULL(): use IFNULL(a, b) or COALESCE(a, b) (MySQL's ISNULL(x) only tests x for NULL)."],
    ['SELECT id::char FROM customers', /^(MySQL|MariaDB) has no :: cast operator: use CAST\(x AS type\)/],
  ],
  mssql: [
    ['SELECT now()', 'SQL Server has no function now(): use GETDATE() or SYSDATETIME()'],
  ],
};

describe.each(TEST_DIALECTS)('%s: the database rejecting another dialect\'s SQL', (dialect) => {
  let fixture: TestEnvironment;
  beforeAll(async () => {
    fixture = await createFixtureEnvironment(dialect);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it.each(REJECTED_BY_THE_DATABASE[dialect])('%s', async (sql, hint) => {
    let error: unknown;
    try {
      await runQuery(fixture.environment.dialect, { sql, params: [], readOnly: true, maxRows: 10, timeoutMs: 10_000, maxBinaryBytes: 16 });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SqlgateError);
    expect((error as SqlgateError).code).toBe('SG_QUERY_FAILED');
    if (typeof hint === 'string') expect((error as SqlgateError).hint).toContain(hint);
    else expect((error as SqlgateError).hint).toMatch(hint);
  });

  it('keeps the database\'s own hint for a function no other dialect has', async () => {
    let error: SqlgateError | undefined;
    try {
      await runQuery(fixture.environment.dialect, { sql: 'SELECT no_such_function_anywhere(1)', params: [], readOnly: true, maxRows: 10, timeoutMs: 10_000, maxBinaryBytes: 16 });
    } catch (err) {
      error = err as SqlgateError;
    }
    expect(error?.code).toBe('SG_QUERY_FAILED');
    expect(error?.hint).not.toContain(' has no ');
  });
});
