/**
 * A SQL Server statement that ignores its cancel (a TDS attention the server never acknowledges: a server gone
 * silent, or work that does not yield), on a scripted connection driven through run-query.ts: the caller is
 * answered SG_TIMEOUT at timeout + grace, then the session's connection is KILLed from another connection (by the
 * @@SPID read when it opened) and destroyed, released to the pool exactly once, and the outcome reported.
 */
import tedious from 'tedious';
import { describe, expect, it } from 'vitest';
import { parseEnvironmentConfig } from '../../../src/config/load.js';
import type { Dialect, SessionOptions } from '../../../src/db/dialect.js';
import { MssqlConnection } from '../../../src/db/mssql/mssql-connection.js';
import { mssqlConnectionOptions, type MssqlEnvironmentConfig } from '../../../src/db/mssql/mssql-connection-options.js';
import { killSession, readSessionId } from '../../../src/db/mssql/mssql-session-id.js';
import { mssqlToError } from '../../../src/db/mssql/mssql-errors.js';
import { MssqlSession, type MssqlKill } from '../../../src/db/mssql/mssql-session.js';
import { runQuery, TIMEOUT_BACKSTOP_GRACE_MS } from '../../../src/db/run-query.js';
import type { RunawayReport } from '../../../src/db/stop-runaway.js';
import { SqlgateError } from '../../../src/errors.js';
import { MSSQL_ADMIN_URL } from '../../support/test-databases.js';
import { ScriptedPeer } from './scripted-peer.js';

const TIMEOUT_MS = 200;

function harness(kill: MssqlKill | undefined) {
  const peer = new ScriptedPeer();
  const releases: boolean[] = [];
  const dialect = {
    displayName: 'SQL Server',
    session: (options: SessionOptions) => MssqlSession.begin(peer, options, (destroy) => releases.push(destroy), kill),
    toError: (err: unknown) => mssqlToError(err, { readOnly: true }),
  } as unknown as Dialect;
  return { peer, dialect, releases };
}

/** A statement that never completes, whatever it is sent: the server does not acknowledge the attention. */
const ignoresCancel = () => new Promise<void>(() => undefined);

async function runAway(h: ReturnType<typeof harness>): Promise<{ error: SqlgateError; answerMs: number; report: Promise<RunawayReport> }> {
  let resolveReport!: (report: RunawayReport) => void;
  const report = new Promise<RunawayReport>((resolve) => (resolveReport = resolve));
  h.peer.willRun(ignoresCancel);
  const started = performance.now();
  const error = await runQuery(h.dialect, {
    sql: "WAITFOR DELAY '01:00:00'", params: [], readOnly: true, maxRows: 10, timeoutMs: TIMEOUT_MS, maxBinaryBytes: 16,
    reportRunaway: resolveReport,
  }).then(() => null, (err: unknown) => err);
  expect(error).toBeInstanceOf(SqlgateError);
  return { error: error as SqlgateError, answerMs: performance.now() - started, report };
}

describe('a SQL Server statement that ignores its cancel', () => {
  it('is answered at timeout + grace, then KILLed by its session id and its connection destroyed', async () => {
    const kills: number[] = [];
    const h = harness(async () => void kills.push(Date.now()));
    const { error, answerMs, report } = await runAway(h);
    expect(error.code).toBe('SG_TIMEOUT');
    expect(answerMs).toBeGreaterThanOrEqual(TIMEOUT_MS + TIMEOUT_BACKSTOP_GRACE_MS - 5);
    expect(answerMs).toBeLessThan(TIMEOUT_MS + TIMEOUT_BACKSTOP_GRACE_MS + 1_000);
    // tedious's timeout and our own timer sent the attention; it was never acknowledged.
    expect(h.peer.cancelCount).toBe(1);
    expect(kills).toHaveLength(0);

    const outcome = await report;
    expect(outcome).toMatchObject({ database: 'SQL Server', reason: 'timeout', stoppedBy: 'terminate', isTerminateDelivered: true, isStopped: null });
    expect(kills).toHaveLength(1);
    expect(h.peer.isBroken).toBe(true);
    expect(h.releases).toEqual([true]);
  });

  it('still destroys the connection when KILL is refused (no ALTER ANY CONNECTION) or the session id is unknown', async () => {
    const refused = harness(async () => {
      throw Object.assign(new Error('User does not have permission to use the KILL statement.'), { number: 6102 });
    });
    const outcome = await (await runAway(refused)).report;
    expect(outcome).toMatchObject({ stoppedBy: 'terminate', isTerminateDelivered: false, detail: 'User does not have permission to use the KILL statement.' });
    expect(refused.peer.isBroken).toBe(true);
    expect(refused.releases).toEqual([true]);

    const unknown = harness(undefined);
    expect(await (await runAway(unknown)).report).toMatchObject({ stoppedBy: 'terminate', isTerminateDelivered: false });
    expect(unknown.releases).toEqual([true]);
  });

  it('gives up on a KILL that hangs, and destroys the connection all the same', { timeout: 15_000 }, async () => {
    const h = harness(() => new Promise<void>(() => undefined));
    const outcome = await (await runAway(h)).report;
    expect(outcome).toMatchObject({ stoppedBy: 'terminate', isTerminateDelivered: false, detail: expect.stringContaining('no answer within') });
    expect(h.peer.isBroken).toBe(true);
    expect(h.releases).toEqual([true]);
  });

  it('is left to end by itself when it stops soon after the cancel: nothing is killed, the connection is kept', async () => {
    const kills: number[] = [];
    const h = harness(async () => void kills.push(Date.now()));
    // Takes a moment to acknowledge the attention, past the backstop but within the cancel wait.
    h.peer.willRun(async (peer) => {
      while (!peer.isCancelled) await peer.sleep(10);
      await new Promise((resolve) => setTimeout(resolve, TIMEOUT_BACKSTOP_GRACE_MS + 300));
    });
    let resolveReport!: (report: RunawayReport) => void;
    const report = new Promise<RunawayReport>((resolve) => (resolveReport = resolve));
    const error = await runQuery(h.dialect, {
      sql: 'SELECT slow', params: [], readOnly: true, maxRows: 10, timeoutMs: TIMEOUT_MS, maxBinaryBytes: 16, reportRunaway: resolveReport,
    }).then(() => null, (err: unknown) => err as SqlgateError);
    expect(error?.code).toBe('SG_TIMEOUT');
    expect(await report).toMatchObject({ stoppedBy: 'cancel', isStopped: true });
    expect(kills).toHaveLength(0);
    expect(h.releases).toEqual([false]);
  });
});

describe.skipIf(!MSSQL_ADMIN_URL)('KILL by @@SPID against a real SQL Server', () => {
  it('reads the session id of a new connection, and KILL from another connection ends its running batch', async () => {
    const config = mssqlConnectionOptions(parseEnvironmentConfig('kill', { database: MSSQL_ADMIN_URL }, process.cwd()) as MssqlEnvironmentConfig);
    const connection = await MssqlConnection.open(config);
    try {
      const sessionId = await readSessionId(connection.client);
      expect(sessionId).toBeGreaterThan(0);
      const running = new Promise<unknown>((resolve) => {
        connection.client.execSqlBatch(new tedious.Request("WAITFOR DELAY '00:01:00'", (err) => resolve(err)));
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const started = Date.now();
      await killSession(config, sessionId!);
      expect(await running).toBeInstanceOf(Error);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(connection.isBroken).toBe(true);
    } finally {
      connection.destroy();
    }
  });
});
