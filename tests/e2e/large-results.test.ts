/**
 * Issue 15, PostgreSQL: one statement must never take sqlgate down. The built server runs as a process of its own
 * with two environments, PostgreSQL (default max_result_bytes, 64 MiB) and the SQLite demo. Statements whose one
 * value, or whose rows together, pass the limit answer SG_RESULT_TOO_LARGE, one at a time and four at once; the
 * process stays up, its peak memory stays within a bound set by the limit, and the demo keeps answering throughout.
 * A backend killed from outside fails only its own call. Peak RSS is read from /proc/<pid>/status (VmHWM, reset
 * through clear_refs before each measurement); bench/RESULTS.md records the numbers.
 *
 * Warm-up first: the first few statements a process parses make V8 compile libpg-query's WebAssembly parser with
 * its optimizing tier, in a background thread, which holds ~0.5 GB for about a second. That is a one-time cost of
 * the statement gate, whatever the statement, and would otherwise land in whichever measurement came first.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../support/start-server.js';
import { createTestDatabase, PG_ADMIN_URL, withPgClient, type TestDatabase } from '../support/test-databases.js';

const MIB = 1_048_576;
const LIMIT_BYTES = 64 * MIB;
const CONCURRENT = 4;
/**
 * What a call may hold at its peak, per MiB of the limit: the admitted row messages (at most the limit) and the
 * strings decoded from them (as many bytes again for ASCII text) are both alive while a row is decoded.
 */
const PEAK_PER_LIMIT = 2;
/** Headroom over the server's resident size before the calls: V8 heap growth, socket and TLS buffers, GC lag. */
const PEAK_HEADROOM_BYTES = 150 * MIB;

/** The statements of the issue, each past the limit by a single value or by its rows together. */
const OVERSIZED = {
  'one 512 MiB text value': "SELECT repeat('x', 536870912) AS big",
  'one 300 MB bytea value': "SELECT convert_to(repeat('ab', 150000000), 'UTF8') AS big",
  'one 600 MB aggregate': "SELECT string_agg(repeat('x', 1000000), '') AS big FROM generate_series(1, 600)",
  '120 rows of 50 MiB': "SELECT repeat('x', 50*1024*1024) AS big FROM generate_series(1, 120)",
} as const;
/** The one of them that admits rows up to the limit before it is stopped: the worst case for memory. */
const ROWS_UP_TO_THE_LIMIT = OVERSIZED['120 rows of 50 MiB'];

let database: TestDatabase;
let dir: string;
let server: ServerProcess;
const clients: Client[] = [];
/** Peak RSS per statement and mode, printed at the end for bench/RESULTS.md. */
const measured: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase('postgres', []);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-large-'));
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), stringify({
    environments: {
      pg: { database: database.url, read_only: true, statement_timeout_ms: 30_000 },
      demo: { database: 'sqlite:./data/demo.sqlite', demo: true },
    },
  }));
  server = await startServerProcess({ args: ['serve', '--config', 'sqlgate.yaml'], cwd: dir, env: { SQLGATE_CONFIG: undefined } });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await server?.stop();
  await database?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  if (measured.length > 0) console.log(`peak RSS of the server (max_result_bytes 64 MiB):\n| statement | calls | RSS at rest | peak | growth |\n${measured.join('\n')}`);
});

async function connect(env: string): Promise<Client> {
  const client = new Client({ name: 'large-results-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/${env}/mcp`)));
  clients.push(client);
  return client;
}

async function execute(client: Client, query: string, params?: unknown[]): Promise<{ isError: boolean; text: string }> {
  const result = await client.callTool({ name: 'execute_sql', arguments: { query, ...(params && { params }) } });
  return { isError: result.isError === true, text: (result.content as { text: string }[])[0]!.text };
}

function statusBytes(field: 'VmRSS' | 'VmHWM'): number {
  const status = fs.readFileSync(`/proc/${server.process.pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) * 1024;
}

/** Runs `calls`, returning the server's peak RSS meanwhile. */
async function peakDuring(calls: () => Promise<void>): Promise<number> {
  fs.writeFileSync(`/proc/${server.process.pid}/clear_refs`, '5'); // resets VmHWM to the current RSS
  await calls();
  return statusBytes('VmHWM');
}

/** Calls the demo environment one after the other until stopped; every answer must be a success. */
function keepDemoBusy(demo: Client): { stop(): Promise<{ calls: number; failures: string[] }> } {
  let isRunning = true;
  const failures: string[] = [];
  let calls = 0;
  const loop = (async () => {
    while (isRunning) {
      const result = await execute(demo, 'SELECT COUNT(*) FROM customers').catch((err: Error) => ({ isError: true, text: err.message }));
      calls++;
      if (result.isError) failures.push(result.text);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    stop: async () => {
      isRunning = false;
      await loop;
      return { calls, failures };
    },
  };
}

const mb = (bytes: number) => `${Math.round(bytes / MIB)} MiB`;
const growth = (bytes: number) => `${bytes < 0 ? '−' : '+'}${mb(Math.abs(bytes))}`;

function expectTooLarge(result: { isError: boolean; text: string }, what: string): void {
  expect(result.isError, `${what}: ${result.text}`).toBe(true);
  expect(result.text, what).toMatch(/^SG_RESULT_TOO_LARGE: /);
}

/**
 * Small statements of the same shapes, then a wait until the resident size holds still (see the file comment).
 * Returns that resident size.
 */
async function warmUp(client: Client): Promise<number> {
  for (let i = 1; i <= 12; i++) {
    expect(await execute(client, `SELECT repeat('x', ${i}) AS big, convert_to(repeat('ab', ${i}), 'UTF8') AS b FROM generate_series(1, ${i})`))
      .toMatchObject({ isError: false });
  }
  let last = statusBytes('VmRSS');
  for (let steady = 0, waited = 0; steady < 4 && waited < 40; waited++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = statusBytes('VmRSS');
    steady = Math.abs(now - last) < 4 * MIB ? steady + 1 : 0;
    last = now;
  }
  return last;
}

describe('statements past max_result_bytes on PostgreSQL', () => {
  it('answer SG_RESULT_TOO_LARGE one at a time and four at once, in bounded memory, and the server stays up', { timeout: 150_000 }, async () => {
    const pg = await connect('pg');
    const parallel = await Promise.all(Array.from({ length: CONCURRENT }, () => connect('pg')));
    const demo = await connect('demo');
    // Peaks are measured from the resident size of the warmed-up, idle server: what one measurement leaves for the
    // garbage collector is not subtracted from the next.
    const baseline = await warmUp(pg);
    const demoLoad = keepDemoBusy(demo);

    for (const [name, sql] of Object.entries(OVERSIZED)) {
      const peak = await peakDuring(async () => expectTooLarge(await execute(pg, sql), name));
      measured.push(`| ${name} | 1 | ${mb(baseline)} | ${mb(peak)} | ${growth(peak - baseline)} |`);
      expect(peak - baseline, `${name}, one call`).toBeLessThan(PEAK_PER_LIMIT * LIMIT_BYTES + PEAK_HEADROOM_BYTES);
    }

    // Four at once: the three single values and the rows together, then four of the rows read (four calls that
    // each hold up to the limit before they are stopped).
    const rounds: [string, string[]][] = [
      ['all four statements', Object.values(OVERSIZED)],
      ['120 rows of 50 MiB', Array.from({ length: CONCURRENT }, () => ROWS_UP_TO_THE_LIMIT)],
    ];
    for (const [name, statements] of rounds) {
      const peak = await peakDuring(async () => {
        const results = await Promise.all(statements.map((sql, i) => execute(parallel[i]!, sql)));
        results.forEach((result, i) => expectTooLarge(result, statements[i]!));
      });
      measured.push(`| ${name} | ${CONCURRENT} at once | ${mb(baseline)} | ${mb(peak)} | ${growth(peak - baseline)} |`);
      expect(peak - baseline, `${name}, ${CONCURRENT} at once`)
        .toBeLessThan(PEAK_PER_LIMIT * LIMIT_BYTES * CONCURRENT + PEAK_HEADROOM_BYTES);
    }

    const { calls, failures } = await demoLoad.stop();
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(5);
    expect(server.process.exitCode).toBeNull();
    // Both environments answer afterwards, the PostgreSQL one on fresh connections.
    expect(await execute(pg, 'SELECT 42 AS answer')).toMatchObject({ isError: false });
    expect(await execute(demo, 'SELECT COUNT(*) FROM customers')).toMatchObject({ isError: false });
  });

  it('a backend terminated from outside fails only its own call; the next calls work', { timeout: 30_000 }, async () => {
    const pg = await connect('pg');
    const tag = `killed_${Date.now()}`;
    // Long enough to be caught running (pg_sleep is refused by the statement gate).
    const running = execute(pg, `SELECT count(*) AS ${tag} FROM generate_series(1, 2000000000)`);
    const deadline = Date.now() + 10_000;
    let terminated = 0;
    while (terminated === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      terminated = await withPgClient(PG_ADMIN_URL, async (c) =>
        (await c.query('SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()', [`%${tag}%`])).rows[0].n);
    }
    expect(terminated).toBe(1);
    const result = await running;
    expect(result.text).toMatch(/^SG_DB_UNAVAILABLE: /);
    for (let i = 0; i < 3; i++) expect(await execute(pg, 'SELECT 1 AS one')).toMatchObject({ isError: false });
    expect(server.process.exitCode).toBeNull();
  });

  it('a missing parameter is answered as one, with what to pass', async () => {
    const pg = await connect('pg');
    const result = await execute(pg, 'SELECT $1::int AS n');
    expect(result.text).toMatch(/^SG_QUERY_FAILED: The statement uses the placeholder \$1, but 0 values were given in params\./);
    expect(result.text).toContain('params[0] is $1');
    expect(await execute(pg, 'SELECT $1::int AS n', [5])).toMatchObject({ isError: false });
  });
});
