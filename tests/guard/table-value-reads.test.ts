/**
 * JSON_TABLE and VALUES as a query through execute_sql on the real servers, logged in with a privileged login: every
 * read of table-value-corpus.ts passes the gate and the database and returns exactly its rows (MariaDB under a
 * mariadb:// and a mysql:// URL, SQLite), every attack is refused by the gate, and afterwards the data is unchanged.
 * Also MariaDB's MEDIAN and PERCENTILE_CONT/DISC … OVER (PARTITION BY …) as the issue wrote them, with their values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Environment } from '../../src/environments/environment.js';
import { SqlgateError } from '../../src/errors.js';
import { executeSqlTool } from '../../src/tools/execute-sql.js';
import { fixtureStatements } from '../support/fixture/index.js';
import { createTestDatabase, openEnvironment, withMysql, type TestDatabase } from '../support/test-databases.js';
import {
  MARIADB_EXTRA, MARIADB_TABLE_VALUE_ATTACKS, MARIADB_TABLE_VALUE_READS, SQLITE_TABLE_VALUE_ATTACKS, SQLITE_TABLE_VALUE_READS,
} from './table-value-corpus.js';

type Output = { columns: { name: string }[]; rows: unknown[][] };

async function run(environment: Environment, query: string): Promise<Output> {
  const { structured } = await executeSqlTool.run(executeSqlTool.inputSchema.parse({ query }), { environment, signal: new AbortController().signal });
  return structured as Output;
}

async function failure(environment: Environment, query: string): Promise<SqlgateError | undefined> {
  try {
    await run(environment, query);
    return undefined;
  } catch (err) {
    if (err instanceof SqlgateError) return err;
    throw err;
  }
}

let mysqlDb: TestDatabase;
let sqliteDb: TestDatabase;
let isMariadb = false;
const environments: Record<'mariadb' | 'mysql' | 'sqlite', Environment> = {} as never;
const SETTINGS = { read_only: true, statement_timeout_ms: 5_000 };

beforeAll(async () => {
  mysqlDb = await createTestDatabase('mysql', [...fixtureStatements('mysql'), ...MARIADB_EXTRA]);
  sqliteDb = await createTestDatabase('sqlite', fixtureStatements('sqlite'));
  const [rows] = await withMysql(mysqlDb.url, (c) => c.query('SELECT VERSION() AS v'));
  isMariadb = /mariadb/i.test(String((rows as { v: string }[])[0]!.v));
  // The reads use MariaDB's JSON_TABLE dialect and its VALUES without ROW: against MySQL they cannot run.
  if (!isMariadb) console.warn('SKIPPED: table-value-reads needs a MariaDB server at SQLGATE_TEST_MYSQL_URL for its MariaDB part');
  for (const scheme of ['mariadb', 'mysql'] as const) {
    environments[scheme] = await openEnvironment(scheme, mysqlDb.url.replace(/^mysql:/, `${scheme}:`), SETTINGS);
  }
  environments.sqlite = await openEnvironment('sqlite', sqliteDb.url, SETTINGS);
});

afterAll(async () => {
  for (const environment of Object.values(environments)) await environment.dialect.close();
  await mysqlDb?.drop();
  await sqliteDb?.drop();
});

describe.each(['mariadb', 'mysql'] as const)('JSON_TABLE and VALUES on MariaDB through a %s:// environment', (scheme) => {
  it.each(MARIADB_TABLE_VALUE_READS)('runs %s', async (query, rows) => {
    if (!isMariadb) return;
    expect((await run(environments[scheme], query)).rows).toEqual(rows);
  });

  it.each(MARIADB_TABLE_VALUE_ATTACKS)('refuses %s in the gate', async (query, reason) => {
    const error = await failure(environments[scheme], query);
    expect(error?.code).toBe('SG_READ_ONLY');
    expect(error?.message).toContain(reason);
  });

  it('computes MEDIAN and PERCENTILE_CONT/DISC … OVER (PARTITION BY …) as MariaDB does', async () => {
    if (!isMariadb) return;
    const { rows } = await run(
      environments[scheme],
      'SELECT DISTINCT status, MEDIAN(total) OVER (PARTITION BY status) AS m, PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY total) OVER (PARTITION BY status) AS pc, PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY total) OVER (PARTITION BY status) AS pd FROM orders ORDER BY status',
    );
    // completed: 80.25, 120.50, 999.99; cancelled: 15.00; pending: 0.01
    expect(rows.map((row) => row.map((value) => (typeof value === 'string' && /^[0-9.]+$/.test(value) ? Number(value) : value)))).toEqual([
      ['cancelled', 15, 15, 15],
      ['completed', 120.5, 120.5, 120.5],
      ['pending', 0.01, 0.01, 0.01],
    ]);
  });
});

describe('VALUES as a query on SQLite', () => {
  it.each(SQLITE_TABLE_VALUE_READS)('runs %s', async (query, rows) => {
    expect((await run(environments.sqlite, query)).rows).toEqual(rows);
  });

  it('runs EXPLAIN QUERY PLAN of a VALUES CTE', async () => {
    expect((await run(environments.sqlite, 'EXPLAIN QUERY PLAN WITH t(x) AS (VALUES (1), (2)) SELECT x FROM t')).rows.length).toBeGreaterThan(0);
  });

  it.each(SQLITE_TABLE_VALUE_ATTACKS)('refuses %s in the gate', async (query, reason) => {
    const error = await failure(environments.sqlite, query);
    expect(error?.code).toBe('SG_READ_ONLY');
    expect(error?.message).toContain(reason);
  });
});

it('left the data unchanged', async () => {
  const [rows] = await withMysql(mysqlDb.url, (c) => c.query('SELECT (SELECT SUM(total) FROM orders) AS s, (SELECT COUNT(*) FROM events) AS n'));
  expect(rows).toEqual([{ s: '1215.75', n: 2 }]);
  const sqlite = await run(environments.sqlite, 'SELECT sum(total), count(*) FROM orders');
  expect(sqlite.rows).toEqual([[1215.75, 5]]);
});
