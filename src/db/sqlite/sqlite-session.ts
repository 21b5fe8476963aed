/**
 * A session on one SQLite worker. SQLite has no statement timeout of its own that better-sqlite3 exposes, so
 * every request to the worker races the session's timeout; when it fires, the worker is terminated, which
 * really stops the statement, and the pool creates a fresh connection for the next caller.
 *
 * max_result_bytes is counted in the worker as rows are stepped (sqlite-worker.ts countRow), so an oversized
 * result never crosses to this process; the worker that held it is discarded, which gives its memory back.
 */
import { ResultTooLargeError } from '../../errors.js';
import { timeoutError } from '../run-query.js';
import type { Cursor, ResultColumn, RowBatch, Session, SessionOptions } from '../dialect.js';
import { SqliteWorkerError, type SqliteConnection } from './sqlite-connection.js';
import { SqliteResultTypes } from './sqlite-types.js';

/** The worker's code for a statement stopped at max_result_bytes (sqlite-worker.ts RESULT_TOO_LARGE). */
const RESULT_TOO_LARGE = 'SQLGATE_RESULT_TOO_LARGE';
/** SQLITE_LIMIT_LENGTH as better-sqlite3 sets it: V8's longest string. */
const SQLITE_MAX_VALUE_BYTES = 2 ** 29 - 24;

export class SqliteSession implements Session {
  private readonly deadline: number;
  private isFinished = false;
  /** Whether the worker may hold an open transaction or an unfinished cursor that finish() must end. */
  private hasTransaction = false;
  private hasOpenCursor = false;
  /** The worker built an oversized result: its memory is given back by ending it. */
  private isSpent = false;
  /** The connection went back to the pool or was destroyed: finish() and destroy() may both get there, only one does. */
  private isReleased = false;

  constructor(
    private readonly connection: SqliteConnection,
    private readonly options: SessionOptions,
    /** Writable environments wrap the session in a transaction so that finish() commits or rolls back. */
    private readonly isWritable: boolean,
    private readonly release: (destroy: boolean) => void,
  ) {
    this.deadline = Date.now() + options.timeoutMs;
  }

  execute(sql: string, params: readonly unknown[]): Cursor {
    // Expression columns are typed by the values they return, so each batch reports the columns as seen so far.
    let types: SqliteResultTypes | null = null;
    let rowsAffected: number | null = null;
    let isDone = false;
    return {
      read: async (maxRows: number): Promise<RowBatch> => {
        if (types === null) {
          const transaction = this.isWritable && !this.options.readOnly;
          if (transaction) this.hasTransaction = true;
          this.hasOpenCursor = true;
          // The reply carries the first batch too: one round trip to the worker process instead of two.
          const started = await this.request({
            op: 'execute', sql, params, queryOnly: this.options.readOnly, transaction, maxRows, context: this.options.sessionContext ?? null,
            maxResultBytes: this.options.maxResultBytes ?? null,
          });
          types = new SqliteResultTypes(started.columns as ResultColumn[]);
          rowsAffected = (started.rowsAffected as number | null) ?? null;
          isDone = started.done === true;
          this.hasOpenCursor = !isDone;
          const rows = (started.rows as unknown[][] | undefined) ?? [];
          types.observe(rows);
          return { columns: types.columns, rows, done: isDone, rowsAffected };
        }
        if (isDone) return { columns: types.columns, rows: [], done: true, rowsAffected };
        const batch = await this.request({ op: 'read', maxRows });
        isDone = batch.done === true;
        this.hasOpenCursor = !isDone;
        const rows = batch.rows as unknown[][];
        types.observe(rows);
        return { columns: types.columns, rows, done: isDone, rowsAffected };
      },
      close: async () => {
        if (types !== null && !isDone && !this.connection.gone) {
          isDone = true;
          await this.request({ op: 'closeCursor' });
          this.hasOpenCursor = false;
        }
      },
    };
  }

  async cancel(): Promise<void> {
    if (!this.isFinished) await this.connection.kill();
  }

  async finish(outcome: 'commit' | 'rollback'): Promise<void> {
    if (this.isFinished) return;
    this.isFinished = true;
    let isHealthy = !this.connection.gone;
    // With no transaction begun and no cursor left open the worker has nothing to end: skip the round trip.
    if (isHealthy && (this.hasTransaction || this.hasOpenCursor)) {
      try {
        await this.request({ op: 'finish', commit: outcome === 'commit' });
      } catch {
        isHealthy = false;
      }
    }
    this.releaseOnce(!isHealthy || this.isSpent || this.connection.gone);
  }

  /** The worker process is the connection: SIGKILL ends it and whatever it runs; the pool starts a new one. */
  async terminate(): Promise<void> {
    await this.connection.kill();
  }

  destroy(releaseSlotAfter?: Promise<unknown>): void {
    this.isFinished = true;
    void this.connection.kill();
    if (releaseSlotAfter) void releaseSlotAfter.then(() => this.releaseOnce(true), () => this.releaseOnce(true));
    else this.releaseOnce(true);
  }

  async isRunningInDatabase(): Promise<boolean | null> {
    return !this.connection.hasExited;
  }

  private releaseOnce(destroy: boolean): void {
    if (this.isReleased) return;
    this.isReleased = true;
    this.release(destroy);
  }

  /** One request to the worker, bounded by what is left of the session's timeout. */
  private async request(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    const remainingMs = this.deadline - Date.now();
    if (remainingMs <= 0) {
      await this.connection.kill();
      throw timeoutError(this.options.timeoutMs);
    }
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void this.connection.kill();
        reject(timeoutError(this.options.timeoutMs));
      }, remainingMs);
    });
    try {
      return await Promise.race([this.connection.request(message), expired]);
    } catch (err) {
      throw this.tooLarge(err) ?? err;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The statement stopped at max_result_bytes, or tried to build one value past SQLite's own length limit
   * (SQLITE_TOOBIG), which is past max_result_bytes too unless that was set higher: the same answer then.
   */
  private tooLarge(err: unknown): ResultTooLargeError | null {
    if (!(err instanceof SqliteWorkerError) || (err.code !== RESULT_TOO_LARGE && err.code !== 'SQLITE_TOOBIG')) return null;
    this.isSpent = true;
    const limitBytes = this.options.maxResultBytes;
    if (limitBytes === undefined || (err.code === 'SQLITE_TOOBIG' && limitBytes >= SQLITE_MAX_VALUE_BYTES)) return null;
    return new ResultTooLargeError(limitBytes, { detail: err.message });
  }
}
