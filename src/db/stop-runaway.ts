/**
 * What happens to a statement after its caller was answered without it (run-query.ts: the statement timeout plus
 * grace passed, or the caller cancelled and the statement did not stop). Written once for every dialect, in the
 * background, bounded at every step and never throwing:
 *
 * 1. cancel (pg_cancel_backend, KILL QUERY, a TDS attention …) and wait a moment for the statement to end;
 * 2. still running: terminate — the server is told from another connection to end the session's connection
 *    (pg_terminate_backend, KILL CONNECTION, KILL, the SQLite worker process killed) — then destroy our side of
 *    the connection, so it never goes back to the pool and a silent server cannot hold it;
 * 3. watch for a few seconds whether the server really stopped, and report it (the operator's log);
 * 4. if the server says it still runs the work, keep the connection's pool slot taken until it no longer does (at
 *    most HOLD_LIMIT_MS), and report again when the slot is given back.
 *
 * Some work cannot be stopped at all: PostgreSQL's XPath evaluation (libxml2) and MariaDB's ST_DISTANCE take no
 * interrupt, so such a backend runs to its end whatever we send (docs/read-only.md). Step 4 is what bounds them:
 * the caller was answered and the environment serves on, but work left running in the server counts against
 * pool.max like any statement, so callers can never have more of it running there than pool.max.
 */
import type { Session } from './dialect.js';
import { settleWithin } from '../util/settle-within.js';

/** After the cancel, how long the statement may take to end before its connection is terminated. */
export const CANCEL_WAIT_MS = 1_000;
/** How long the terminate (a new connection, one statement) may take before it is given up. */
export const TERMINATE_LIMIT_MS = 3_000;
/** How long, after the terminate, the server is watched closely for the connection to go away (first report). */
export const WATCH_LIMIT_MS = 5_000;
const WATCH_INTERVAL_MS = 500;
/** How long a pool slot stays taken by work the server runs on after the terminate, at most. */
export const HOLD_LIMIT_MS = 15 * 60_000;
const HOLD_INTERVAL_MS = 2_000;
/**
 * While the slot is held, a check that cannot be answered (a control connection refused or slow under load) is
 * asked again this many times in a row before the hold ends: the watch before it already saw the work running.
 */
const HOLD_UNANSWERED_CHECKS = 5;
/** One look at the server's process list (it opens a connection). */
const CHECK_LIMIT_MS = 2_000;

/** How an abandoned statement ended, as far as sqlgate could tell. */
export interface RunawayReport {
  /** The engine, as its display name ("PostgreSQL", "MariaDB"). */
  readonly database: string;
  /** Why the caller was answered without the statement. */
  readonly reason: 'timeout' | 'cancelled';
  /**
   * `cancel`: the statement ended soon after the cancel. `terminate`: it did not, and the connection was
   * terminated in the server and destroyed.
   */
  readonly stoppedBy: 'cancel' | 'terminate';
  /**
   * `escalated`: the first report, once the escalation is over. `released`: a second one, only after the server
   * still ran the work at the first: its pool slot was held until now, when the work ended or HOLD_LIMIT_MS passed.
   */
  readonly stage: 'escalated' | 'released';
  /** For `terminate`: the server took the terminate in time (false: it failed or did not answer; see `detail`). */
  readonly isTerminateDelivered: boolean | null;
  /**
   * Whether the server-side work is gone: true once the server no longer shows the connection (or the statement
   * ended after the cancel), false when it still runs it, null when it could not be asked.
   */
  readonly isStopped: boolean | null;
  /** From the caller's answer until the work was seen gone (or this report). */
  readonly afterMs: number;
  /** Why the terminate failed, for the log; never shown to a caller. */
  readonly detail?: string;
}

/** Told once or twice per abandoned statement; app.ts logs it (a warning when the work was not seen to stop). */
export type RunawayObserver = (report: RunawayReport) => void;

export interface StopRunawayOptions {
  readonly database: string;
  readonly reason: 'timeout' | 'cancelled';
  /** Send the cancel and wait CANCEL_WAIT_MS (false: the caller's abort sent it, and that wait is over). */
  readonly cancel: boolean;
  /** Settles when the statement's own path (read, close, finish) has ended. */
  readonly settled: Promise<unknown>;
  readonly report?: RunawayObserver;
}

/** Runs the escalation; resolves when it is over (the slot given back). Never rejects. */
export async function stopRunaway(session: Session, options: StopRunawayOptions): Promise<void> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const base = { database: options.database, reason: options.reason };
  let releaseSlot: () => void = () => undefined;
  try {
    if (options.cancel) void session.cancel().catch(() => undefined);
    // Without a cancel of our own, the caller already waited CANCEL_WAIT_MS after theirs.
    if ((await settleWithin(options.settled, options.cancel ? CANCEL_WAIT_MS : 0)).status !== 'pending') {
      options.report?.({ ...base, stage: 'escalated', stoppedBy: 'cancel', isTerminateDelivered: null, isStopped: true, afterMs: elapsed() });
      return;
    }
    const terminated = await settleWithin(session.terminate(), TERMINATE_LIMIT_MS);
    session.destroy(new Promise<void>((resolve) => (releaseSlot = resolve)));
    const terminate = {
      stoppedBy: 'terminate' as const,
      isTerminateDelivered: terminated.status === 'fulfilled',
      ...(terminated.status === 'rejected' ? { detail: describe(terminated.reason) } : {}),
      ...(terminated.status === 'pending' ? { detail: `no answer within ${TERMINATE_LIMIT_MS} ms` } : {}),
    };
    const isStopped = await watchUntilGone(session, WATCH_LIMIT_MS, WATCH_INTERVAL_MS);
    if (isStopped !== false) releaseSlot();
    options.report?.({ ...base, ...terminate, stage: 'escalated', isStopped, afterMs: elapsed() });
    if (isStopped !== false) return;
    const isStoppedAtLast = await watchUntilGone(session, HOLD_LIMIT_MS, HOLD_INTERVAL_MS, HOLD_UNANSWERED_CHECKS);
    releaseSlot();
    options.report?.({ ...base, ...terminate, stage: 'released', isStopped: isStoppedAtLast, afterMs: elapsed() });
  } catch {
    // Nothing here may reach the process; the connection is dropped whatever failed.
    try {
      session.destroy();
    } catch {
      // destroy() never throws; a broken implementation must not either.
    }
  } finally {
    releaseSlot();
  }
}

/**
 * Asks until the server no longer shows the connection: true (gone), false (still there at the end of the watch),
 * null as soon as the server cannot tell (SQL Server) or cannot be asked (gone silent) — after `unansweredAllowed`
 * unanswered checks in a row have been asked again.
 */
async function watchUntilGone(session: Session, limitMs: number, intervalMs: number, unansweredAllowed = 0): Promise<boolean | null> {
  const deadline = performance.now() + limitMs;
  let unanswered = 0;
  for (;;) {
    const check = await settleWithin(session.isRunningInDatabase(), CHECK_LIMIT_MS);
    const isRunning = check.status === 'fulfilled' ? check.value : null;
    if (isRunning === null && unanswered < unansweredAllowed) unanswered++;
    else if (isRunning !== true) return isRunning === null ? null : true;
    else unanswered = 0;
    if (performance.now() + intervalMs > deadline) return false;
    // Unref'd: a process shutting down does not wait for a watch.
    await new Promise((resolve) => setTimeout(resolve, intervalMs).unref());
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
