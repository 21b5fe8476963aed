/**
 * MariaDB's MEDIAN and ordered-set aggregates through execute_sql on the real server, logged in as root: every read
 * of mariadb-window-corpus.ts passes the gate and the database and returns rows, under a mariadb:// URL and under a
 * mysql:// URL (which may point at MariaDB too); every attack of the corpus is refused by the gate, and afterwards
 * the data is unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Environment } from '../../src/environments/environment.js';
import { SqlgateError } from '../../src/errors.js';
import { executeSqlTool } from '../../src/tools/execute-sql.js';
import { fixtureStatements } from '../support/fixture/index.js';
import { createTestDatabase, openEnvironment, withMysql, type TestDatabase } from '../support/test-databases.js';
import { ORDERED_SET_ATTACKS, ORDERED_SET_READS } from './mariadb-window-corpus.js';

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

let db: TestDatabase;
let isMariadb = false;
const environments: Record<'mariadb' | 'mysql', Environment> = {} as never;

beforeAll(async () => {
  db = await createTestDatabase('mysql', fixtureStatements('mysql'));
  const [rows] = await withMysql(db.url, (c) => c.query('SELECT VERSION() AS v'));
  isMariadb = /mariadb/i.test(String((rows as { v: string }[])[0]!.v));
  // These functions exist only on MariaDB: against a MySQL server the reads below cannot run.
  if (!isMariadb) console.warn('SKIPPED: mariadb-window-aggregates needs a MariaDB server at SQLGATE_TEST_MYSQL_URL');
  for (const scheme of ['mariadb', 'mysql'] as const) {
    environments[scheme] = await openEnvironment(scheme, db.url.replace(/^mysql:/, `${scheme}:`), { read_only: true, statement_timeout_ms: 5_000 });
  }
});

afterAll(async () => {
  for (const environment of Object.values(environments)) await environment.dialect.close();
  await db?.drop();
});

describe.each(['mariadb', 'mysql'] as const)('MEDIAN and PERCENTILE_* on MariaDB through a %s:// environment', (scheme) => {
  it.each(ORDERED_SET_READS)('runs %s and returns rows', async (query) => {
    if (!isMariadb) return;
    const { rows } = await run(environments[scheme], query);
    expect(rows.length).toBeGreaterThan(0);
  });

  it('computes what MariaDB computes', async () => {
    if (!isMariadb) return;
    const { rows } = await run(
      environments[scheme],
      'SELECT DISTINCT status, MEDIAN(total) OVER (PARTITION BY status) AS m, PERCENTILE_DISC(0.9) WITHIN GROUP (ORDER BY total) OVER (PARTITION BY status) AS p90 FROM orders ORDER BY status',
    );
    // completed: 80.25, 120.50, 999.99; cancelled: 15.00; pending: 0.01
    expect(rows.map((row) => row.map((value) => (typeof value === 'string' && /^[0-9.]+$/.test(value) ? Number(value) : value)))).toEqual([
      ['cancelled', 15, 15],
      ['completed', 120.5, 999.99],
      ['pending', 0.01, 0.01],
    ]);
  });

  it.each(ORDERED_SET_ATTACKS)('refuses %s in the gate', async (query, reason) => {
    const error = await failure(environments[scheme], query);
    expect(error?.code).toBe('SG_READ_ONLY');
    expect(error?.message).toContain(reason);
  });
});

it('left the data unchanged', async () => {
  const [rows] = await withMysql(db.url, (c) => c.query('SELECT SUM(total) AS s, COUNT(*) AS n FROM orders'));
  expect(rows).toEqual([{ s: '1215.75', n: 5 }]);
});
