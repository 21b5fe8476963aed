/** listTables on SQLite: row estimates from sqlite_stat1 once ANALYZE has run, and none (null) before. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Environment } from '../../../src/environments/environment.js';
import { createTestDatabase, openEnvironment, type TestDatabase } from '../../support/test-databases.js';

let never: TestDatabase;
let analyzed: TestDatabase;
const envs: Environment[] = [];

const fill = ['CREATE TABLE n (id INTEGER PRIMARY KEY, v TEXT)', 'CREATE INDEX n_v ON n (v)', "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 300) INSERT INTO n SELECT i, 'v' || (i % 7) FROM k", 'CREATE VIEW odd AS SELECT id FROM n WHERE id % 2 = 1'];

beforeAll(async () => {
  [never, analyzed] = await Promise.all([createTestDatabase('sqlite', fill), createTestDatabase('sqlite', [...fill, 'ANALYZE'])]);
});
afterAll(async () => {
  await Promise.all(envs.map((e) => e.dialect.close()));
  await Promise.all([never?.drop(), analyzed?.drop()]);
});

async function list(database: TestDatabase, nameContains?: string) {
  const env = await openEnvironment(`list${envs.length}`, database.url);
  envs.push(env);
  return env.dialect.introspector().listTables(nameContains === undefined ? {} : { nameContains });
}

describe('SQLite listTables', () => {
  it('lists tables and views without estimates when ANALYZE never ran', async () => {
    expect(await list(never)).toEqual([
      { schema: null, name: 'n', kind: 'table', estimatedRows: null },
      { schema: null, name: 'odd', kind: 'view', estimatedRows: null },
    ]);
  });

  it('estimates rows from sqlite_stat1 after ANALYZE', async () => {
    expect(await list(analyzed)).toEqual([
      { schema: null, name: 'n', kind: 'table', estimatedRows: 300 },
      { schema: null, name: 'odd', kind: 'view', estimatedRows: null },
    ]);
    expect(await list(analyzed, 'od')).toEqual([{ schema: null, name: 'odd', kind: 'view', estimatedRows: null }]);
  });
});
