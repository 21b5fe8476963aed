/** listTables on SQLite: row estimates from sqlite_stat1 once ANALYZE has run, and none (null) before. */
import Database from 'better-sqlite3';
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

  it('estimates rows from sqlite_stat1 after ANALYZE, the same when it reads them along with the list', async () => {
    const env = await openEnvironment('list-analyzed', analyzed.url);
    envs.push(env);
    const catalog = env.dialect.introspector();
    const expected = [
      { schema: null, name: 'n', kind: 'table', estimatedRows: 300 },
      { schema: null, name: 'odd', kind: 'view', estimatedRows: null },
    ];
    expect(await catalog.listTables({})).toEqual(expected); // finds the statistics
    expect(await catalog.listTables({})).toEqual(expected); // reads them in the same statement
    expect(await catalog.listTables({ nameContains: 'od' })).toEqual([expected[1]]);
  });

  it('lists without estimates again once sqlite_stat1 is gone', async () => {
    const database = await createTestDatabase('sqlite', [...fill, 'ANALYZE']);
    const env = await openEnvironment('list-dropped', database.url);
    try {
      const catalog = env.dialect.introspector();
      expect((await catalog.listTables({}))[0]!.estimatedRows).toBe(300);
      const file = new Database(database.url.replace(/^sqlite:/, ''));
      file.exec('DROP TABLE sqlite_stat1');
      file.close();
      expect(await catalog.listTables({})).toEqual([
        { schema: null, name: 'n', kind: 'table', estimatedRows: null },
        { schema: null, name: 'odd', kind: 'view', estimatedRows: null },
      ]);
    } finally {
      await env.dialect.close();
      await database.drop();
    }
  });
});
