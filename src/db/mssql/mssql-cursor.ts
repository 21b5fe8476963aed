/**
 * One user statement on SQL Server, streamed: a single sp_executesql RPC (tedious `execSql`) with the positional
 * parameters declared as @p1 … @pN. Never a batch: inside sp_executesql a SET reverts when the call returns and
 * `GO` is a syntax error, so nothing in the text can change the session for sqlgate's own statements.
 *
 * Rows arrive as tedious 'row' events; they are buffered and handed out by `read(n)`, and the request is paused
 * when the buffer is full (backpressure down to the socket). Closing before the end cancels the request with a
 * TDS attention, so the server stops sending, and waits until the connection is idle again.
 *
 * The statement timeout is enforced twice: tedious's request timeout (which only runs until the first response
 * packet) and our own timer over the whole statement, which cancels a statement that streams slowly.
 *
 * max_result_bytes is counted on the wire, TDS packet by packet (mssql-packet-meter.ts): past it the connection is
 * dropped at once — not cancelled, which would leave tedious reading, and gathering, what is already on its way —
 * and the statement fails with ResultTooLargeError; the session discards the connection.
 */
import tedious from 'tedious';
import type { ColumnMetadata } from 'tedious/lib/token/colmetadata-token-parser.js';
import { QueryFailedError, ReadOnlyError, type SqlgateError } from '../../errors.js';
import type { Cursor, ResultColumn, RowBatch } from '../dialect.js';
import { timeoutError } from '../run-query.js';
import { WireByteBudget } from '../wire-byte-budget.js';
import type { MssqlChannel } from './mssql-connection.js';
import { READ_ONLY_HINT, READ_ONLY_MESSAGE } from './mssql-errors.js';
import { bindParameter, canonicalValue, resultColumns, type MssqlColumn } from './mssql-types.js';

/** Rows buffered before the request is paused, and the level at which it resumes. */
const HIGH_WATER_ROWS = 2_000;
const LOW_WATER_ROWS = 500;
/** The single column SQL Server splits a FOR JSON / FOR XML result into (rows of ~2 KB chunks). */
const CHUNKED_COLUMNS = new Set(['JSON_F52E2B61-18A1-11d1-B105-00805F49916B', 'XML_F52E2B61-18A1-11d1-B105-00805F49916B']);

export interface MssqlCursorOptions {
  readonly timeoutMs: number;
  /** Bytes the server may send for the statement, counted on the wire; absent: no limit. */
  readonly maxResultBytes?: number;
  /** Refuse statements that change rows (see onDone): the session rolls back, this makes it an error. */
  readonly readOnly: boolean;
  /**
   * Called once when the request has completed, with its outcome: an error returned here replaces it (the session
   * uses this to report a statement that ended sqlgate's transaction).
   */
  afterStatement(outcome: unknown): SqlgateError | null;
}

export class MssqlCursor implements Cursor {
  private request: tedious.Request | null = null;
  private columns: MssqlColumn[] = [];
  private publicColumns: ResultColumn[] = [];
  private readonly buffer: unknown[][] = [];
  private chunks: string[] | null = null;
  private resultSetCount = 0;
  private isResultSetOpen = false;
  private rowsAffected: number | null = null;
  /** Our own reason to stop the statement (read-only write, several result sets); wins over the driver's error. */
  private refusal: SqlgateError | null = null;
  private isTimedOut = false;
  private outcome: unknown = null;
  private isComplete = false;
  private timer: NodeJS.Timeout | undefined;
  private unwatch: () => void = () => undefined;
  /** The error read() handed to the caller, if any: the session does not report it a second time. */
  thrownError: unknown = null;
  private wake: (() => void) | null = null;
  /** Rows the current read asks for: the request is never paused below that. */
  private wantedRows = 0;
  private readonly completed: Promise<void>;
  private resolveCompleted!: () => void;

  constructor(
    private readonly connection: MssqlChannel,
    private readonly sql: string,
    private readonly params: readonly unknown[],
    private readonly options: MssqlCursorOptions,
  ) {
    this.completed = new Promise((resolve) => (this.resolveCompleted = resolve));
  }

  async read(maxRows: number): Promise<RowBatch> {
    this.start();
    this.wantedRows = maxRows;
    if (this.request?.paused && this.buffer.length < maxRows) this.request.resume();
    while (this.buffer.length < maxRows && !this.isComplete && this.refusal === null) await this.nextEvent();
    if (this.refusal !== null) await this.completed;
    if (this.isComplete && this.outcome !== null) {
      this.thrownError = this.outcome;
      throw this.outcome;
    }
    const rows = this.buffer.splice(0, Math.max(0, maxRows));
    if (this.request?.paused && this.buffer.length < LOW_WATER_ROWS) this.request.resume();
    return { columns: this.publicColumns, rows, done: this.isComplete && this.buffer.length === 0, rowsAffected: this.rowsAffected };
  }

  /** Asks the server to stop the statement; completion follows when it acknowledges. Before it starts: never starts. */
  cancel(): void {
    if (this.isComplete) return;
    if (this.request === null) this.finish(new tedious.RequestError('Canceled.', 'ECANCEL'));
    else this.request.cancel();
  }

  async close(): Promise<void> {
    if (this.request === null) {
      this.finish(null);
      return;
    }
    this.cancel();
    await this.completed;
  }

  private start(): void {
    if (this.request !== null || this.isComplete) return;
    let bound: ReturnType<typeof bindParameter>[];
    try {
      bound = this.params.map((value, i) => bindParameter(value, i + 1));
    } catch (err) {
      this.finish(err); // never sent: nothing to cancel or wait for
      return;
    }
    const request = new tedious.Request(this.sql, (err) => this.finish(err ?? null));
    if (this.options.maxResultBytes !== undefined) {
      const budget = new WireByteBudget(this.options.maxResultBytes);
      this.unwatch = this.connection.watchResult(budget, () => this.onTooLarge(budget));
    }
    this.request = request;
    request.setTimeout(this.options.timeoutMs);
    bound.forEach(({ type, value }, i) => request.addParameter(`p${i + 1}`, type, value));
    request.on('columnMetadata', (metadata) => this.onColumns(metadata as ColumnMetadata[]));
    request.on('row', (columns: { value: unknown }[]) => this.onRow(columns));
    request.on('doneInProc', (rowCount) => this.onDone(rowCount));
    request.on('done', (rowCount) => this.onDone(rowCount));
    this.timer = setTimeout(() => {
      this.isTimedOut = true;
      request.cancel();
    }, this.options.timeoutMs);
    this.connection.execSql(request);
  }

  private onColumns(metadata: ColumnMetadata[]): void {
    this.resultSetCount++;
    this.isResultSetOpen = true;
    if (this.resultSetCount > 1) {
      // Rows of a second result set would be read as rows of the first one's columns.
      this.refuse(new QueryFailedError('SQL Server: the statement returned more than one result set.', {
        hint: 'Send one statement per call.',
      }));
      return;
    }
    this.columns = resultColumns(metadata);
    this.publicColumns = this.columns.map(({ name, type }) => ({ name, type }));
    this.chunks = metadata.length === 1 && CHUNKED_COLUMNS.has(metadata[0]!.colName) ? [] : null;
  }

  private onRow(values: readonly { value: unknown }[]): void {
    if (this.refusal !== null) return;
    if (this.chunks !== null) {
      this.chunks.push(String(values[0]?.value ?? ''));
      return;
    }
    this.buffer.push(values.map((column, i) => canonicalValue(column.value, this.columns[i]!)));
    if (this.buffer.length >= Math.max(HIGH_WATER_ROWS, this.wantedRows)) this.request?.pause();
    this.notify();
  }

  /**
   * A DONE with a row count but without a result set before it is a statement that changed rows (INSERT, UPDATE,
   * DELETE, MERGE, SELECT INTO; also SELECT @v = …, which SQL Server counts the same way). SQL Server has no
   * read-only transaction, so in a read-only session this is how a write is refused; its effect is rolled back.
   */
  private onDone(rowCount: number | undefined): void {
    if (this.chunks !== null && this.isResultSetOpen) {
      this.buffer.push([this.chunks.join('')]);
      this.chunks = null;
      this.notify();
    }
    if (rowCount !== undefined && !this.isResultSetOpen) {
      this.rowsAffected = (this.rowsAffected ?? 0) + rowCount;
      if (this.options.readOnly) this.refuse(new ReadOnlyError(READ_ONLY_MESSAGE, { hint: READ_ONLY_HINT }));
    }
    this.isResultSetOpen = false;
  }

  /** More than max_result_bytes on the wire: nothing more is read; the connection goes, and the request with it. */
  private onTooLarge(budget: WireByteBudget): void {
    if (this.isComplete) return;
    // Even after another refusal: the meter now holds every byte back, so the response could never end.
    this.refusal ??= budget.error();
    this.buffer.length = 0;
    this.chunks = null;
    this.connection.destroy();
    this.notify();
  }

  private refuse(error: SqlgateError): void {
    if (this.refusal !== null) return;
    this.refusal = error;
    this.cancel();
    this.notify();
  }

  /** tedious's completion callback: must not throw (tedious would rethrow it as an uncaught exception). */
  private finish(err: unknown): void {
    if (this.isComplete) return;
    clearTimeout(this.timer);
    this.unwatch();
    let outcome: unknown = this.refusal ?? (this.isTimedOut || (err as { code?: unknown } | null)?.code === 'ETIMEOUT'
      ? timeoutError(this.options.timeoutMs)
      : err);
    try {
      if (this.request !== null) outcome = this.options.afterStatement(outcome) ?? outcome;
    } catch (checkError) {
      outcome = checkError;
    }
    this.outcome = outcome;
    this.isComplete = true;
    this.request?.resume();
    this.resolveCompleted();
    this.notify();
  }

  private nextEvent(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
