/**
 * Ctrl-C and systemd's default stop signal the whole process group: the SQLite workers must not die with the
 * server's SIGINT/SIGTERM, or a call in flight would fail instead of finishing within the shutdown grace.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runQuery } from '../../../src/db/run-query.js';
import type { Environment } from '../../../src/environments/environment.js';
import { createTestDatabase, openEnvironment, type TestDatabase } from '../../support/test-databases.js';

let database: TestDatabase;
let environment: Environment;
beforeAll(async () => {
  database = await createTestDatabase('sqlite', ['CREATE TABLE t (x INTEGER)']);
  environment = await openEnvironment('signals', database.url);
});
afterAll(async () => {
  await environment?.dialect.close();
  await database?.drop();
});

/** This process's SQLite worker processes. */
function workerPids(): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes('sqlite-worker')).map((line) => Number(line.trim().split(/\s+/)[0]));
}

it('a statement running in a worker finishes although the worker got SIGINT and SIGTERM', async () => {
  // A worker that is still starting has no handlers yet: warm the pool first, so the statement runs in a ready one.
  await runQuery(environment.dialect, { sql: 'SELECT 1', params: [], readOnly: true, maxRows: 1, timeoutMs: 30_000, maxBinaryBytes: 0 });
  const slow = 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000000) SELECT count(*) AS c FROM n';
  const running = runQuery(environment.dialect, { sql: slow, params: [], readOnly: true, maxRows: 1, timeoutMs: 30_000, maxBinaryBytes: 0 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const pids = workerPids();
  expect(pids.length).toBeGreaterThan(0);
  for (const pid of pids) {
    process.kill(pid, 'SIGINT');
    process.kill(pid, 'SIGTERM');
  }
  const result = await running;
  expect(result.rows).toEqual([[6000000]]);
  expect(workerPids().sort()).toEqual(pids.sort());
});
