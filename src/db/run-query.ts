/**
 * Runs one statement on any dialect, written once: session, row cap decided by reading one row more, timeout
 * backstop, cancellation, commit/rollback, error translation and value serialization.
 *
 * Dialects only stream; they never decide how many rows to keep or how a value looks in JSON.
 */
import { CancelledError, SqlgateError, TimeoutError } from '../errors.js';
import type { Cursor, Dialect, ResultColumn, Session, SessionContext } from './dialect.js';
import { serializeValue, type JsonValue } from './serialize-value.js';
import { assertSessionContext } from './session-context.js';
import { tracingIncludesSql, withSpan } from '../telemetry/tracing.js';
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

/** How long after the database's own statement timeout we cancel from our side, as a backstop. */
const TIMEOUT_BACKSTOP_GRACE_MS = 2_000;
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
  let session: Session;
  try {
    session = await dialect.session({ readOnly: request.readOnly, timeoutMs: request.timeoutMs, sessionContext, maxResultBytes: request.maxResultBytes });
  } catch (err) {
    throw err instanceof SqlgateError ? err : dialect.toError(err);
  }

  // Timed from here: the wait for a pooled connection is the pool's to report (its waiting gauge), not the statement's.
  const executed = performance.now();
  const observe = (outcome: StatementOutcome) => request.observe?.({ seconds: (performance.now() - executed) / 1000, outcome });
  let timedOut = false;
  const cancelInDatabase = () => void session.cancel().catch(() => undefined);
  const backstop = setTimeout(() => {
    timedOut = true;
    cancelInDatabase();
  }, request.timeoutMs + TIMEOUT_BACKSTOP_GRACE_MS);
  request.signal?.addEventListener('abort', cancelInDatabase, { once: true });

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
    await session.finish(request.readOnly ? 'rollback' : 'commit');
    const truncated = rows.length > request.maxRows;
    if (truncated) rows.length = request.maxRows;
    observe('ok');
    return {
      columns,
      rows,
      rowCount: rows.length,
      truncated,
      rowsAffected,
      elapsedMs: Math.round((performance.now() - started) * 10) / 10,
    };
  } catch (err) {
    await cursor?.close().catch(() => undefined);
    await session.finish('rollback').catch(() => undefined);
    const error = request.signal?.aborted ? cancelledError(request.signal)
      : timedOut ? timeoutError(request.timeoutMs)
        : err instanceof SqlgateError ? err : dialect.toError(err);
    observe(request.signal?.aborted ? 'cancelled' : error instanceof TimeoutError ? 'timeout' : 'failed');
    throw error;
  } finally {
    clearTimeout(backstop);
    request.signal?.removeEventListener('abort', cancelInDatabase);
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
