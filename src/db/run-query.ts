/**
 * Runs one statement on any dialect, written once: session, row cap decided by reading one row more, timeout
 * backstop, cancellation, commit/rollback, error translation and value serialization.
 *
 * Dialects only stream; they never decide how many rows to keep or how a value looks in JSON.
 */
import { CancelledError, SqlgateError, TimeoutError, UnavailableError } from '../errors.js';
import type { Cursor, Dialect, ResultColumn, Session, SessionContext } from './dialect.js';
import { serializeValue, type JsonValue } from './serialize-value.js';
import { assertSessionContext } from './session-context.js';
import { CANCEL_WAIT_MS, stopRunaway, type RunawayObserver } from './stop-runaway.js';
import { tracingIncludesSql, withSpan } from '../telemetry/tracing.js';
import { settleWithin } from '../util/settle-within.js';
import type { StatementObserver, StatementOutcome } from '../telemetry/observers.js';

export interface QueryRequest {
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly readOnly: boolean;
  /** Rows to return at most; one more is read to know whether the result was cut. */
  readonly maxRows: number;
  readonly timeoutMs: number;
  readonly maxBinaryBytes: number;
  /** Aborted when the client cancels or goes away: the statement is cancelled in the database. */
  readonly signal?: AbortSignal;
  /** The caller, made visible to the statement for row-level security (environments with session_context: true). */
  readonly sessionContext?: SessionContext;
  /** Told how long the statement ran and how it ended (the environment's metrics); absent: nobody is told. */
  readonly observe?: StatementObserver;
  /** Bytes of row data the statement may send (the environment's max_result_bytes); absent: no limit. */
  readonly maxResultBytes?: number;
  /** Told how a statement the caller was answered without ended in the database (the operator's log); absent: nobody. */
  readonly reportRunaway?: RunawayObserver;
}

export interface QueryResult {
  readonly columns: readonly ResultColumn[];
  readonly rows: JsonValue[][];
  readonly rowCount: number;
  /** True when the statement had more rows than `maxRows`; only `maxRows` were returned. */
  readonly truncated: boolean;
  /** Rows changed by a data-modifying statement; null for reads. */
  readonly rowsAffected: number | null;
  readonly elapsedMs: number;
}

/**
 * How long after the database's own statement timeout the caller is answered SG_TIMEOUT whatever the database does:
 * the statement is then cancelled, terminated and its connection destroyed in the background (stop-runaway.ts).
 */
export const TIMEOUT_BACKSTOP_GRACE_MS = 2_000;
/**
 * Rows fetched per driver round trip at most. Above the default max_rows (1,000) plus the one extra row, so a
 * default-capped result comes in one round trip; a larger max_rows still streams in bounded batches.
 */
const BATCH_ROWS = 2_000;

export function runQuery(dialect: Dialect, request: QueryRequest): Promise<QueryResult> {
  const attributes = { 'db.system.name': dialect.name, 'db.query.text': tracingIncludesSql() ? request.sql : undefined };
  return withSpan('db.statement', attributes, async (span) => {
    const result = await runStatement(dialect, request);
    span.setAttribute('db.response.returned_rows', result.rowCount);
    return result;
  });
}

async function runStatement(dialect: Dialect, request: QueryRequest): Promise<QueryResult> {
  const started = performance.now();
  throwIfCancelled(request.signal);
  const { sessionContext } = request;
  if (sessionContext) assertSessionContext(sessionContext);
  const session = await startSession(dialect, request);

  // Timed from here: the wait for a pooled connection is the pool's to report (its waiting gauge), not the statement's.
  const executed = performance.now();
  const observe = (outcome: StatementOutcome) => request.observe?.({ seconds: (performance.now() - executed) / 1000, outcome });
  let isAbandoned = false;
  const statement = readStatement(session, request, () => isAbandoned);

  // The caller is answered by the statement, or at the deadline whatever the database does: the timeout plus grace,
  // or a moment after a cancel the statement ignored. What is left of it is stopped in the background.
  // The first reason given wins: a promise settles once.
  let abandon: (reason: 'timeout' | 'cancelled') => void = () => undefined;
  const abandoned = new Promise<{ abandoned: 'timeout' | 'cancelled' }>((resolve) => (abandon = (reason) => resolve({ abandoned: reason })));
  const backstop = setTimeout(() => abandon('timeout'), request.timeoutMs + TIMEOUT_BACKSTOP_GRACE_MS);
  let cancelWait: NodeJS.Timeout | undefined;
  const onAbort = () => {
    void session.cancel().catch(() => undefined);
    cancelWait = setTimeout(() => abandon('cancelled'), CANCEL_WAIT_MS);
  };
  request.signal?.addEventListener('abort', onAbort, { once: true });
  if (request.signal?.aborted) onAbort();

  try {
    const first = await Promise.race([statement.then((value) => ({ value }), (error: unknown) => ({ error })), abandoned]);
    if ('abandoned' in first) {
      isAbandoned = true;
      const reason = first.abandoned;
      void stopRunaway(session, {
        database: dialect.displayName,
        reason,
        cancel: reason === 'timeout',
        settled: statement.catch(() => undefined),
        report: request.reportRunaway,
      });
      observe(reason);
      throw reason === 'cancelled' && request.signal ? cancelledError(request.signal) : timeoutError(request.timeoutMs);
    }
    if ('error' in first) {
      const err = first.error;
      const error = request.signal?.aborted ? cancelledError(request.signal)
        : err instanceof SqlgateError ? err : dialect.toError(err);
      observe(request.signal?.aborted ? 'cancelled' : error instanceof TimeoutError ? 'timeout' : 'failed');
      throw error;
    }
    observe('ok');
    return { ...first.value, elapsedMs: Math.round((performance.now() - started) * 10) / 10 };
  } finally {
    clearTimeout(backstop);
    clearTimeout(cancelWait);
    request.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * dialect.session(), bounded by the timeout plus grace as the statement is: a pooled connection whose database went
 * silent would otherwise wait for good on the session's first round trip (BEGIN, SET). The pool's own wait is
 * bounded by pool.acquire_timeout_ms, usually well within this, and answers SG_BUSY itself. A session that comes
 * after the answer is dropped.
 */
async function startSession(dialect: Dialect, request: QueryRequest): Promise<Session> {
  const limitMs = request.timeoutMs + TIMEOUT_BACKSTOP_GRACE_MS;
  const starting = dialect.session({ readOnly: request.readOnly, timeoutMs: request.timeoutMs, sessionContext: request.sessionContext, maxResultBytes: request.maxResultBytes });
  const started = await settleWithin(starting, limitMs);
  if (started.status === 'fulfilled') return started.value;
  if (started.status === 'rejected') throw started.reason instanceof SqlgateError ? started.reason : dialect.toError(started.reason);
  void starting.then((late) => late.destroy(), () => undefined);
  throw new UnavailableError(`The database did not answer within ${formatMs(limitMs)} while the session was being opened.`, {
    hint: 'Retry in a moment; if this persists, ask the operator to check the database and the network to it.',
  });
}

/**
 * The statement's own path: execute, read up to the row cap, close, commit or roll back. On failure it still closes
 * the cursor and ends the session. The caller may have stopped waiting for it (see runStatement): a statement that
 * ends after its caller was told it was cancelled is rolled back, never committed.
 */
async function readStatement(session: Session, request: QueryRequest, isAbandoned: () => boolean): Promise<Omit<QueryResult, 'elapsedMs'>> {
  let cursor: Cursor | undefined;
  try {
    cursor = session.execute(request.sql, request.params);
    let columns: readonly ResultColumn[] = [];
    const rows: JsonValue[][] = [];
    let rowsAffected: number | null = null;
    let done = false;
    while (!done && rows.length <= request.maxRows) {
      const batch = await cursor.read(Math.min(BATCH_ROWS, request.maxRows + 1 - rows.length));
      if (batch.columns.length > 0) columns = batch.columns;
      for (const row of batch.rows) rows.push(row.map((value) => serializeValue(value, request.maxBinaryBytes)));
      rowsAffected = batch.rowsAffected ?? rowsAffected;
      done = batch.done;
    }
    await cursor.close();
    await session.finish(request.readOnly || isAbandoned() ? 'rollback' : 'commit');
    const truncated = rows.length > request.maxRows;
    if (truncated) rows.length = request.maxRows;
    return { columns, rows, rowCount: rows.length, truncated, rowsAffected };
  } catch (err) {
    await cursor?.close().catch(() => undefined);
    await session.finish('rollback').catch(() => undefined);
    throw err;
  }
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError(signal);
}

/** Whoever aborts may say why with one of our errors (the server shutting down does); else the client cancelled. */
function cancelledError(signal: AbortSignal): SqlgateError {
  if (signal.reason instanceof SqlgateError) return signal.reason;
  return new CancelledError('The request was cancelled; the statement was stopped in the database.');
}

/** The error every dialect raises when its engine-side statement timeout fires. */
export function timeoutError(timeoutMs: number): TimeoutError {
  return new TimeoutError(`The statement ran longer than the ${formatMs(timeoutMs)} limit and was cancelled in the database.`, {
    hint: 'Narrow it: filter with WHERE on indexed columns, aggregate instead of listing rows, or add LIMIT.',
  });
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
