/**
 * Statements the database does not stop at its own statement timeout, on the real servers: PostgreSQL XPath
 * (libxml2 never checks for interrupts, in xmlexists() or XMLTABLE) and MariaDB's spatial functions (ST_DISTANCE of
 * two long lines checks for no kill at all, ST_BUFFER only now and then). Each call must answer SG_TIMEOUT by its
 * timeout plus grace, whatever the server does; its connection is terminated in the server and destroyed, the
 * pool serves the next caller at once, the process stays responsive, and the report tells the operator whether the
 * server-side work stopped. How long each really ran on the server is measured and printed.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery, TIMEOUT_BACKSTOP_GRACE_MS, type QueryRequest } from '../../src/db/run-query.js';
import { CANCEL_WAIT_MS, type RunawayReport } from '../../src/db/stop-runaway.js';
import type { Environment } from '../../src/environments/environment.js';
import { SqlgateError } from '../../src/errors.js';
import { createTestDatabase, MYSQL_ADMIN_URL, openEnvironment, PG_ADMIN_URL, withMysql, withPgClient, type TestDatabase } from '../support/test-databases.js';

const TIMEOUT_MS = 2_000;
/** The answer may come this much after timeout + grace on a busy two-core machine, and no later. */
const ANSWER_MARGIN_MS = 1_000;
/** How long the test waits for the server to end work that no kill reaches (it ends when the function returns). */
const SERVER_END_LIMIT_MS = 150_000;

/**
 * Elements in the XPath document: `count(following::a)` for each of n elements is quadratic. The issue's 130,000
 * ran 59 s; 50,000 run 9–40 s here, far past the 2 s timeout, without tying a core up for minutes.
 */
const XPATH_ELEMENTS = 50_000;
const XPATH = `xmlexists('//a[count(following::a) < 0]' PASSING BY VALUE xmlparse(document '<r>' || repeat('<a/>', ${XPATH_ELEMENTS}) || '</r>'))`;
const XMLTABLE = `XMLTABLE('//a[count(following::a) < 0]' PASSING xmlparse(document '<r>' || repeat('<a/>', ${XPATH_ELEMENTS}) || '</r>') COLUMNS n int PATH '1')`;

/** A 16,000-point zigzag LINESTRING (WKT), `dy` above the x axis; two of them never touch when dy differs. */
function zigzag(dy: number): string {
  const points = Array.from({ length: 16_000 }, (_, i) => `${i} ${(i % 2) + dy}`);
  return `ST_GeomFromText('LINESTRING(${points.join(',')})')`;
}

interface RunawayCase {
  readonly name: string;
  readonly dialect: 'postgres' | 'mysql';
  /** The statement, tagged with `mark` so that the server's activity list can find it. */
  sql(mark: string): string;
}

const CASES: RunawayCase[] = [
  { name: 'PostgreSQL xmlexists() XPath', dialect: 'postgres', sql: (mark) => `SELECT /* ${mark} */ ${XPATH}` },
  { name: 'PostgreSQL XMLTABLE', dialect: 'postgres', sql: (mark) => `SELECT /* ${mark} */ count(*) FROM ${XMLTABLE}` },
  { name: 'MariaDB ST_AREA(ST_BUFFER())', dialect: 'mysql', sql: (mark) => `SELECT /* ${mark} */ ST_AREA(ST_BUFFER(${zigzag(0)}, 1))` },
  { name: 'MariaDB ST_DISTANCE()', dialect: 'mysql', sql: (mark) => `SELECT /* ${mark} */ ST_DISTANCE(${zigzag(0)}, ${zigzag(0.5)})` },
];

const databases = new Map<'postgres' | 'mysql', TestDatabase>();

beforeAll(async () => {
  databases.set('postgres', await createTestDatabase('postgres', []));
  databases.set('mysql', await createTestDatabase('mysql', []));
});
afterAll(async () => {
  for (const database of databases.values()) await database.drop();
});

/** The server's id for the connection running the statement tagged `mark`, or null once none does. */
function serverProcessOf(dialect: 'postgres' | 'mysql', mark: string): Promise<number | null> {
  if (dialect === 'postgres') {
    return withPgClient(PG_ADMIN_URL, async (c) => {
      const { rows } = await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()', [`%${mark}%`]);
      return rows[0]?.pid ?? null;
    });
  }
  return withMysql(MYSQL_ADMIN_URL, async (c) => {
    const [rows] = await c.query('SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()', [`%${mark}%`]);
    return (rows as { ID: number }[])[0]?.ID ?? null;
  });
}

/**
 * Whether the server still works for the connection with that id (PostgreSQL pid, MySQL thread id): it exists and
 * is not idle (a terminated one runs on as `active` / `Killed` until its work notices).
 */
function isServerWorkRunning(dialect: 'postgres' | 'mysql', id: number): Promise<boolean> {
  if (dialect === 'postgres') {
    return withPgClient(PG_ADMIN_URL, async (c) => (await c.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'", [id])).rows.length > 0);
  }
  return withMysql(MYSQL_ADMIN_URL, async (c) => {
    const [rows] = await c.query("SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = ? AND COMMAND <> 'Sleep'", [id]);
    return (rows as unknown[]).length > 0;
  });
}

async function waitFor<T>(probe: () => Promise<T | null>, limitMs: number, intervalMs = 100): Promise<T | null> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The largest delay of a 10 ms timer while `during` runs: the event loop stays free for other callers. */
async function worstTimerLagMs(during: Promise<unknown>): Promise<number> {
  let worst = 0;
  let isDone = false;
  void during.finally(() => (isDone = true));
  while (!isDone) {
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 10));
    worst = Math.max(worst, performance.now() - started - 10);
  }
  return worst;
}

function request(sql: string, reports: RunawayReport[]): QueryRequest {
  return {
    sql, params: [], readOnly: true, maxRows: 100, timeoutMs: TIMEOUT_MS, maxBinaryBytes: 16,
    reportRunaway: (report) => reports.push(report),
  };
}

describe.each(CASES)('a statement the database does not stop: $name', (runaway) => {
  let env: Environment;

  beforeAll(async () => {
    // Read-only, as an environment is by default; two connections, so the next caller needs no new one.
    env = await openEnvironment('runaway', databases.get(runaway.dialect)!.url, { statement_timeout_ms: TIMEOUT_MS, pool: { max: 2 } });
    await runQuery(env.dialect, request('SELECT 1', [])); // a warm pool: the call below measures the statement only
  });
  afterAll(async () => {
    await env?.dialect.close();
  });

  it('answers SG_TIMEOUT by timeout + grace, terminates and destroys its connection, and the pool serves on', { timeout: SERVER_END_LIMIT_MS + 60_000 }, async () => {
    const mark = `runaway-${randomBytes(4).toString('hex')}`;
    const reports: RunawayReport[] = [];
    const started = performance.now();
    const call = runQuery(env.dialect, request(runaway.sql(mark), reports)).then(
      () => null,
      (err: unknown) => err,
    );
    const serverId = await waitFor(() => serverProcessOf(runaway.dialect, mark), TIMEOUT_MS);
    const error = await call;
    const answerMs = performance.now() - started;

    // Watched from the answer on: when the server-side work really ended (it may outlive sqlgate's escalation).
    expect(serverId).not.toBeNull();
    const gone = waitFor(async () => ((await isServerWorkRunning(runaway.dialect, serverId!)) ? null : performance.now() - started), SERVER_END_LIMIT_MS, 250);

    expect(error).toBeInstanceOf(SqlgateError);
    expect((error as SqlgateError).code).toBe('SG_TIMEOUT');
    expect(answerMs).toBeLessThan(TIMEOUT_MS + TIMEOUT_BACKSTOP_GRACE_MS + ANSWER_MARGIN_MS);

    // The pool serves the next caller at once, while the runaway is being terminated.
    const nextStarted = performance.now();
    expect((await runQuery(env.dialect, request('SELECT 41 + 1', []))).rows).toEqual([[42]]);
    const nextMs = performance.now() - nextStarted;
    expect(nextMs).toBeLessThan(1_000);

    // Answered at the backstop, the statement was abandoned: the escalation runs in the background without holding
    // up the event loop, and reports once. (MariaDB's ST_BUFFER is mostly stopped by the engine's own limit — it
    // then returns NULL, which sqlgate answers as SG_TIMEOUT — and nothing is abandoned.)
    const isAbandoned = answerMs >= TIMEOUT_MS + TIMEOUT_BACKSTOP_GRACE_MS;
    const report = waitFor(async () => reports[0] ?? null, isAbandoned ? 20_000 : 3_000);
    expect(await worstTimerLagMs(report)).toBeLessThan(500);
    const outcome = await report;
    expect(outcome !== null).toBe(isAbandoned);
    expect(reports.length).toBe(isAbandoned ? 1 : 0);
    if (outcome) {
      expect(outcome).toMatchObject({ reason: 'timeout', stage: 'escalated' });
      if (outcome.stoppedBy === 'terminate') expect(outcome.isTerminateDelivered).toBe(true);
      // Work the server still runs keeps its pool slot: callers never have more running there than pool.max.
      // (The work may have ended since the report: then its slot is free again, and the server says it is gone.)
      if (outcome.isStopped === false) {
        const inUse = env.dialect.poolStats().inUse;
        if (inUse === 0) expect(await isServerWorkRunning(runaway.dialect, serverId!)).toBe(false);
        else expect(inUse).toBe(1);
      }
    }

    // The server: the connection is gone once the work inside the function returns. No kill hastens that for work
    // that never checks for one (docs/read-only.md), so the time until then is measured, not bounded by sqlgate.
    const goneMs = await gone;
    expect(goneMs).not.toBeNull();
    if (outcome?.isStopped === false) {
      // Once the server is done with it, the slot is given back (within one look at the server) and said so.
      expect(await waitFor(async () => reports[1] ?? null, 10_000)).toMatchObject({ stage: 'released', isStopped: true });
      expect(env.dialect.poolStats().inUse).toBe(0);
    }
    expect(reports.length).toBeLessThanOrEqual(2);
    const told = outcome
      ? `stopped by ${outcome.stoppedBy} (report: stopped ${outcome.isStopped} ${outcome.afterMs} ms after the answer${reports[1] ? `; slot released ${reports[1].afterMs} ms after it` : ''})`
      : 'stopped by the engine';
    console.log(`[runaway] ${runaway.name}: answered ${Math.round(answerMs)} ms, next call ${Math.round(nextMs)} ms, ${told}, ` +
      `server-side work gone ${Math.round(goneMs!)} ms after the call started`);

    // Nothing of it is left in the pool: the environment still serves, with healthy connections.
    expect((await runQuery(env.dialect, request('SELECT 1', []))).rows).toEqual([[1]]);
  });
});

describe('a caller that cancels a statement the database does not stop (PostgreSQL XPath)', () => {
  it('is answered SG_CANCELLED a moment after the cancel, and the statement is escalated as for a timeout', { timeout: SERVER_END_LIMIT_MS + 30_000 }, async () => {
    // A long timeout: only the caller's cancel ends this call (graceful shutdown cancels the same way).
    const env = await openEnvironment('runaway', databases.get('postgres')!.url, { statement_timeout_ms: 60_000, pool: { max: 2 } });
    try {
      const mark = `runaway-${randomBytes(4).toString('hex')}`;
      const reports: RunawayReport[] = [];
      const controller = new AbortController();
      const call = runQuery(env.dialect, { ...request(`SELECT /* ${mark} */ ${XPATH}`, reports), timeoutMs: 60_000, signal: controller.signal })
        .then(() => null, (err: unknown) => err);
      const serverId = await waitFor(() => serverProcessOf('postgres', mark), 5_000);
      expect(serverId).not.toBeNull();
      const aborted = performance.now();
      controller.abort();
      const error = await call;
      const answerMs = performance.now() - aborted;
      expect((error as SqlgateError).code).toBe('SG_CANCELLED');
      expect(answerMs).toBeLessThan(CANCEL_WAIT_MS + ANSWER_MARGIN_MS);
      const outcome = await waitFor(async () => reports[0] ?? null, 20_000);
      expect(outcome).toMatchObject({ reason: 'cancelled', stoppedBy: 'terminate', isTerminateDelivered: true });
      const goneMs = await waitFor(async () => ((await isServerWorkRunning('postgres', serverId!)) ? null : performance.now() - aborted), SERVER_END_LIMIT_MS, 250);
      expect(goneMs).not.toBeNull();
      console.log(`[runaway] cancelled XPath: answered ${Math.round(answerMs)} ms after the cancel, report: stopped ${outcome!.isStopped}, server-side work gone ${Math.round(goneMs!)} ms after the cancel`);
    } finally {
      await env.dialect.close();
    }
  });
});
