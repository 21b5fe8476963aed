/**
 * The SQLite connection process keeps compiled statements by their text (sqlite-worker.ts): the same text again
 * answers as if compiled anew, also after the schema changed under it, after a cut-off read of the same statement,
 * and with other values bound.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery, type QueryRequest } from '../../../src/db/run-query.js';
import type { Environment } from '../../../src/environments/environment.js';
import { createTestDatabase, openEnvironment, type TestDatabase } from '../../support/test-databases.js';

let database: TestDatabase;
let environment: Environment;

beforeAll(async () => {
  database = await createTestDatabase('sqlite', ['CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)', "INSERT INTO t (v) VALUES ('a'), ('b'), ('c')"]);
  environment = await openEnvironment('kept', database.url, { read_only: false, allow_ddl: true, pool: { max: 1 } });
});
afterAll(async () => {
  await environment?.dialect.close();
  await database?.drop();
});

const run = (sql: string, overrides: Partial<QueryRequest> = {}) =>
  runQuery(environment.dialect, { sql, params: [], readOnly: true, maxRows: 100, timeoutMs: 5_000, maxBinaryBytes: 16, ...overrides });

describe('statements kept by their text', () => {
  it('answer the same text again, with other values bound', async () => {
    const sql = 'SELECT v FROM t WHERE id >= ? ORDER BY id';
    expect((await run(sql, { params: [1] })).rows).toEqual([['a'], ['b'], ['c']]);
    expect((await run(sql, { params: [3] })).rows).toEqual([['c']]);
  });

  it('see a column added since they were compiled', async () => {
    const sql = 'SELECT * FROM t ORDER BY id';
    expect((await run(sql)).columns.map((c) => c.name)).toEqual(['id', 'v']);
    await run("ALTER TABLE t ADD COLUMN w TEXT DEFAULT 'x'", { readOnly: false });
    const after = await run(sql);
    expect(after.columns.map((c) => c.name)).toEqual(['id', 'v', 'w']);
    expect(after.rows[0]).toEqual([1, 'a', 'x']);
  });

  it('run again after a read of the same statement was cut at the row cap', async () => {
    const sql = 'SELECT id FROM t ORDER BY id';
    expect(await run(sql, { maxRows: 1 })).toMatchObject({ rows: [[1]], truncated: true });
    expect((await run(sql)).rows).toEqual([[1], [2], [3]]);
  });
});
