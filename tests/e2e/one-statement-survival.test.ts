/**
 * Issue 15, end to end on the built server: one statement must never take sqlgate down. Four environments in one
 * process — MariaDB, a second MariaDB, SQLite and SQL Server (a scripted TDS server, tests/db/mssql/tds-wire-peer.ts)
 * — and in each, what used to end the process or eat its memory: results past max_result_bytes (many big rows, one
 * huge value), connections killed from outside mid-query and while idle, SQLite connection processes killed, a
 * SQL Server that drops the connection or breaks off its answer while a cancel is acknowledged. After each, the
 * same server process still runs and every environment still answers.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpCall } from '../support/oauth-client.js';
import { startServerProcess, type ServerProcess } from '../support/start-server.js';
import { createTestDatabase, MYSQL_ADMIN_URL, withMysql, type TestDatabase } from '../support/test-databases.js';
import { TdsWirePeer } from '../db/mssql/tds-wire-peer.js';

let maria: TestDatabase;
let lite: TestDatabase;
let peer: TdsWirePeer;
let dir: string;
let server: ServerProcess;

beforeAll(async () => {
  [maria, lite] = await Promise.all([
    createTestDatabase('mysql', ['CREATE TABLE n (id INT PRIMARY KEY)', 'INSERT INTO n SELECT seq FROM seq_1_to_1000']),
    createTestDatabase('sqlite', ['CREATE TABLE n (id INTEGER PRIMARY KEY)', 'WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 1000) INSERT INTO n SELECT i FROM k']),
  ]);
  peer = await TdsWirePeer.start();
  peer.answer(/huge_value/, async (reply) => {
    await reply.columns({ name: 'v', type: 'nvarchar(max)' });
    await reply.row({ char: 'x', chars: 300_000_000 });
  });
  peer.answer(/many_rows/, async (reply) => {
    await reply.columns({ name: 'id', type: 'int' }, { name: 'v', type: 'nvarchar(max)' });
    for (let i = 1; i <= 1_000 && !reply.isCancelled; i++) await reply.row(i, { char: 'y', chars: 500_000 });
  });
  peer.answer(/drop_me/, async (reply) => {
    await reply.columns({ name: 'id', type: 'int' });
    await reply.row(1);
    peer.dropConnections();
  });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-survival-'));
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), stringify({
    environments: {
      maria: { database: maria.url, max_rows: 2_000 },
      maria_other: { database: maria.url },
      lite: { database: lite.url, max_rows: 2_000 },
      mssql: { database: `sqlserver://sa:secret@127.0.0.1:${peer.port}/master?encrypt=false`, max_rows: 2_000 },
      mssql_cut: { database: `sqlserver://sa:secret@127.0.0.1:${peer.port}/master?encrypt=false`, max_rows: 5 },
    },
  }));
  server = await startServerProcess({ args: ['serve', '--config', 'sqlgate.yaml'], cwd: dir, env: { SQLGATE_CONFIG: undefined } });
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await peer?.close();
  await Promise.all([maria?.drop(), lite?.drop()]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function execute(environment: string, query: string): Promise<{ isError: boolean; text: string }> {
  const response = await mcpCall(`${server.url}/${environment}/mcp`, undefined, 'tools/call', { name: 'execute_sql', arguments: { query } });
  expect(response.status, JSON.stringify(response.body).slice(0, 500)).toBe(200);
  return { isError: response.body.result?.isError === true, text: String(response.body.result?.content?.[0]?.text ?? '') };
}

/** The same process is up, and every environment answers a small query. */
async function expectEveryEnvironmentAnswers(): Promise<void> {
  expect(server.process.exitCode, server.output()).toBeNull();
  expect(server.process.signalCode).toBeNull();
  const answers = await Promise.all([
    execute('maria', 'SELECT COUNT(*) AS n FROM n'),
    execute('maria_other', 'SELECT COUNT(*) AS n FROM n'),
    execute('lite', 'SELECT COUNT(*) AS n FROM n'),
    execute('mssql', 'SELECT 1'),
  ]);
  for (const answer of answers) expect(answer.isError, answer.text).toBe(false);
}

function expectCode(result: { isError: boolean; text: string }, code: string): void {
  expect(result.isError, result.text).toBe(true);
  expect(result.text.slice(0, 200)).toMatch(new RegExp(`^${code}: `));
}

/** Server threads of the server's MariaDB connections to the test database: running a query, or all. */
function mariaThreads(isRunning: boolean): Promise<number[]> {
  return withMysql(MYSQL_ADMIN_URL, async (c) => {
    const [rows] = await c.query(
      `SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()${isRunning ? " AND COMMAND = 'Query'" : ''}`,
      [maria.name],
    );
    return (rows as { ID: number }[]).map((r) => Number(r.ID));
  });
}

async function waitFor<T>(probe: () => Promise<T[]>, timeoutMs = 10_000): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found.length > 0 || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Pids of the server's SQLite connection processes. */
function sqliteProcesses(): number[] {
  let out: string;
  try {
    out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(server.process.pid)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there are none
  }
  return out.split('\n').filter((line) => line.includes('sqlite-worker')).map((line) => Number(line.trim().split(/\s+/)[0]));
}

describe('one statement cannot take sqlgate down', () => {
  it('MariaDB: results past max_result_bytes fail their call only', async () => {
    const started = Date.now();
    // Many rows of 16 MB; and rows of 96 MB each (six values under the server's default max_allowed_packet), which
    // travel as several 16 MiB packets like one huge value would.
    const wide = Array.from({ length: 6 }, (_, i) => `REPEAT('y', 16000000) AS v${i}`).join(', ');
    const [rows, value] = await Promise.all([
      execute('maria', "SELECT id, REPEAT('x', 16000000) AS v FROM n"),
      execute('maria', `SELECT id, ${wide} FROM n`),
    ]);
    expectCode(rows, 'SG_RESULT_TOO_LARGE');
    expectCode(value, 'SG_RESULT_TOO_LARGE');
    expect(Date.now() - started).toBeLessThan(20_000);
    await expectEveryEnvironmentAnswers();
  });

  it('MariaDB: a connection killed from outside mid-query fails that call only, and idle ones are replaced', async () => {
    const running = execute('maria', 'SELECT COUNT(*) AS n FROM n a, n b, n c');
    const [thread] = await waitFor(() => mariaThreads(true));
    expect(thread).toBeDefined();
    await withMysql(MYSQL_ADMIN_URL, (c) => c.query(`KILL CONNECTION ${thread}`));
    const killed = await running;
    expect(killed.isError, killed.text).toBe(true);
    await expectEveryEnvironmentAnswers();

    const idle = await mariaThreads(false);
    expect(idle.length).toBeGreaterThan(0);
    await withMysql(MYSQL_ADMIN_URL, async (c) => {
      for (const id of idle) await c.query(`KILL CONNECTION ${id}`).catch(() => undefined);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expectEveryEnvironmentAnswers();
  });

  it('SQLite: oversized values and results fail their call; a connection process killed mid-query fails that call only', async () => {
    expectCode(await execute('lite', "SELECT printf('%.*c', 600000000, 'x') AS v"), 'SG_RESULT_TOO_LARGE');
    expectCode(await execute('lite', 'SELECT randomblob(600000000) AS v'), 'SG_RESULT_TOO_LARGE');
    expectCode(await execute('lite', 'SELECT id, randomblob(1000000) AS v FROM n'), 'SG_RESULT_TOO_LARGE');

    const running = execute('lite', 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS n FROM c');
    expect(await waitFor(async () => sqliteProcesses())).not.toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const pid of sqliteProcesses()) process.kill(pid, 'SIGKILL');
    expectCode(await running, 'SG_DB_UNAVAILABLE');
    await expectEveryEnvironmentAnswers();
  });

  it('SQL Server: results past max_result_bytes, a dropped connection and a broken cancel fail their call only', async () => {
    expectCode(await execute('mssql', 'SELECT huge_value'), 'SG_RESULT_TOO_LARGE');
    expectCode(await execute('mssql', 'SELECT many_rows'), 'SG_RESULT_TOO_LARGE');
    expectCode(await execute('mssql', 'SELECT drop_me'), 'SG_DB_UNAVAILABLE');
    await expectEveryEnvironmentAnswers();
    // max_rows reached: the rest is cancelled, and the server breaks off its answer in the middle of a value while
    // tedious waits for the cancel to be acknowledged (tedious would rethrow that past every handler).
    peer.breaksValuesOnCancel = true;
    try {
      await execute('mssql_cut', 'SELECT many_rows');
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      peer.breaksValuesOnCancel = false;
    }
    await expectEveryEnvironmentAnswers();
  });
});
