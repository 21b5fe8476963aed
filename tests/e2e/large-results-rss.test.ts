/**
 * Issue 15: the memory one statement can cost the built server, measured. MariaDB: 1,000 rows of 16 MB and a single
 * 500 MB value, one call at a time and four at once; SQLite the same kinds of statement. Every call fails with
 * SG_RESULT_TOO_LARGE (max_result_bytes: the default 64 MiB), and the server's peak RSS (VmHWM, reset before each
 * scenario through /proc/<pid>/clear_refs, plus VmRSS sampled every 20 ms) may grow over its RSS at the start of
 * the scenario by at most calls × max_result_bytes + SLACK. SQLite connection processes are measured apart: they
 * are not sqlgate's process, and one that built a huge value is ended afterwards.
 *
 * Numbers go to test-artifacts/issue-15-rss.json (bench/RESULTS.md, "Issue 15: peak RSS of large-value statements").
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpCall } from '../support/oauth-client.js';
import { REPO_ROOT, startServerProcess, type ServerProcess } from '../support/start-server.js';
import { createTestDatabase, MYSQL_ADMIN_URL, withMysql, type TestDatabase } from '../support/test-databases.js';

const MiB = 1_048_576;
const LIMIT_BYTES = 64 * MiB;
/**
 * What a too-large call may add besides its max_result_bytes: the chunk that crosses the limit and the socket
 * buffers behind it, decoded copies of rows not yet collected, V8's heap growth steps. Measured: up to about 100 MB
 * over calls × max_result_bytes.
 */
const SLACK_BYTES = 192 * MiB;
/** The single value: 500 MB needs max_allowed_packet above it (restored afterwards). */
const NEEDED_MAX_ALLOWED_PACKET = 1_024 * MiB;

interface Measurement {
  readonly scenario: string;
  readonly calls: number;
  readonly seconds: number;
  /** RSS of the server process when the scenario began, its peak (VmHWM), and the most its children had at once. */
  readonly startMb: number;
  readonly peakMb: number;
  readonly sampledPeakMb: number;
  readonly childrenPeakMb: number;
  readonly codes: readonly string[];
}

let maria: TestDatabase;
let lite: TestDatabase;
let originalMaxAllowedPacket: number | undefined;
let dir: string;
let server: ServerProcess;
const measurements: Measurement[] = [];

beforeAll(async () => {
  [maria, lite] = await Promise.all([
    createTestDatabase('mysql', ['CREATE TABLE n (id INT PRIMARY KEY)', 'INSERT INTO n SELECT seq FROM seq_1_to_1000']),
    createTestDatabase('sqlite', ['CREATE TABLE n (id INTEGER PRIMARY KEY)', 'WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 1000) INSERT INTO n SELECT i FROM k']),
  ]);
  originalMaxAllowedPacket = await withMysql(MYSQL_ADMIN_URL, async (c) => {
    const [rows] = await c.query('SELECT @@GLOBAL.max_allowed_packet AS v');
    const current = Number((rows as { v: number }[])[0]!.v);
    if (current < NEEDED_MAX_ALLOWED_PACKET) await c.query(`SET GLOBAL max_allowed_packet = ${NEEDED_MAX_ALLOWED_PACKET}`);
    return current;
  });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-rss-'));
  const common = { max_rows: 2_000, max_result_bytes: LIMIT_BYTES, statement_timeout_ms: 60_000, pool: { max: 5 } };
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), stringify({
    environments: { maria: { database: maria.url, ...common }, lite: { database: lite.url, ...common } },
  }));
  server = await startServerProcess({ args: ['serve', '--config', 'sqlgate.yaml'], cwd: dir, env: { SQLGATE_CONFIG: undefined } });
  // Warm up: connections open, code paths compiled, before the first baseline.
  for (let i = 0; i < 5; i++) {
    await Promise.all([execute('maria', 'SELECT COUNT(*) FROM n'), execute('lite', 'SELECT COUNT(*) FROM n')]);
  }
}, 120_000);
afterAll(async () => {
  await server?.stop();
  if (originalMaxAllowedPacket !== undefined && originalMaxAllowedPacket < NEEDED_MAX_ALLOWED_PACKET) {
    // Unless someone changed it again meanwhile.
    await withMysql(MYSQL_ADMIN_URL, (c) => c.query(
      `SET GLOBAL max_allowed_packet = IF(@@GLOBAL.max_allowed_packet = ${NEEDED_MAX_ALLOWED_PACKET}, ${originalMaxAllowedPacket}, @@GLOBAL.max_allowed_packet)`,
    ));
  }
  await Promise.all([maria?.drop(), lite?.drop()]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  if (measurements.length > 0) {
    const out = path.join(REPO_ROOT, 'test-artifacts', 'issue-15-rss.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify({ limitBytes: LIMIT_BYTES, slackBytes: SLACK_BYTES, measurements }, null, 2)}\n`);
  }
});

async function execute(environment: string, query: string): Promise<{ isError: boolean; text: string }> {
  const response = await mcpCall(`${server.url}/${environment}/mcp`, undefined, 'tools/call', { name: 'execute_sql', arguments: { query } });
  expect(response.status).toBe(200);
  return { isError: response.body.result?.isError === true, text: String(response.body.result?.content?.[0]?.text ?? '') };
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0; // the process is gone
  }
}

function childrenRssKb(pid: number): number {
  let children: string[];
  try {
    children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return 0;
  }
  return children.reduce((sum, child) => sum + statusKb(Number(child), 'VmRSS'), 0);
}

/** Runs `calls` copies of `query` at once; returns what they answered and what the server's memory did. */
async function measure(scenario: string, environment: string, query: string, calls: number): Promise<Measurement> {
  const pid = server.process.pid!;
  await new Promise((resolve) => setTimeout(resolve, 500));
  fs.writeFileSync(`/proc/${pid}/clear_refs`, '5'); // VmHWM := VmRSS
  const startKb = statusKb(pid, 'VmRSS');
  let sampledKb = startKb;
  let childrenKb = 0;
  const sampler = setInterval(() => {
    sampledKb = Math.max(sampledKb, statusKb(pid, 'VmRSS'));
    childrenKb = Math.max(childrenKb, childrenRssKb(pid));
  }, 20);
  const started = performance.now();
  let results: { isError: boolean; text: string }[];
  try {
    results = await Promise.all(Array.from({ length: calls }, () => execute(environment, query)));
  } finally {
    clearInterval(sampler);
  }
  const mb = (kb: number) => Math.round(kb / 1024);
  const measurement: Measurement = {
    scenario,
    calls,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    startMb: mb(startKb),
    peakMb: mb(Math.max(statusKb(pid, 'VmHWM'), sampledKb)),
    sampledPeakMb: mb(sampledKb),
    childrenPeakMb: mb(childrenKb),
    codes: results.map((r) => (r.isError ? r.text.split(':')[0]! : 'ok')),
  };
  measurements.push(measurement);
  console.log(JSON.stringify(measurement));
  return measurement;
}

function expectBounded(m: Measurement): void {
  expect(m.codes).toEqual(Array(m.calls).fill('SG_RESULT_TOO_LARGE'));
  expect(m.peakMb - m.startMb, JSON.stringify(m)).toBeLessThanOrEqual((m.calls * LIMIT_BYTES + SLACK_BYTES) / MiB);
}

describe('peak RSS of large-value statements (max_result_bytes 64 MiB)', () => {
  it('MariaDB, one call at a time', async () => {
    expectBounded(await measure('MariaDB: 1,000 rows × 16 MB', 'maria', "SELECT id, REPEAT('x', 16000000) AS v FROM n", 1));
    expectBounded(await measure('MariaDB: one 500 MB value', 'maria', "SELECT REPEAT('x', 500000000) AS v", 1));
  });

  it('MariaDB, four calls at once', async () => {
    expectBounded(await measure('MariaDB: 1,000 rows × 16 MB', 'maria', "SELECT id, REPEAT('x', 16000000) AS v FROM n", 4));
    expectBounded(await measure('MariaDB: one 500 MB value', 'maria', "SELECT REPEAT('x', 500000000) AS v", 4));
  });

  it('SQLite, one call at a time and four at once', async () => {
    const rows = 'SELECT id, randomblob(16000000) AS v FROM n';
    const built = "SELECT replace(printf('%.*c', 50000000, 'x'), 'x', 'xxxxxxxxxx') AS v";
    const sized = "SELECT printf('%.*c', 500000000, 'x') AS v";
    for (const calls of [1, 4]) {
      expectBounded(await measure('SQLite: 1,000 rows × 16 MB', 'lite', rows, calls));
      expectBounded(await measure('SQLite: one 500 MB value (printf)', 'lite', sized, calls));
    }
    // Built by replace(), which no guard sizes beforehand: the connection process makes it (about three times its
    // size, up to SQLite's own limit of 512 MiB a value) and refuses to send it; sqlgate's process never sees it.
    // Once only: four at once take some 6 GB in the connection processes.
    expectBounded(await measure('SQLite: one 500 MB value (replace)', 'lite', built, 1));
  });
});
