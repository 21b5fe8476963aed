/**
 * One running statement, streamed: rows are taken from mysql2's query emitter as they arrive and the socket is
 * paused once the reader has what it asked for, so a large result is never held whole. A statement that is
 * closed early, times out or is cancelled is stopped in the server with KILL QUERY, not read to its end.
 *
 * What the server sends is counted on the wire against max_result_bytes (mysql-packet-meter.ts): past it the
 * connection is cut off and abandoned at once, and the statement fails with ResultTooLargeError. A connection
 * that fails under the statement fails it too, instead of leaving it waiting for events mysql2 never sends.
 */
import type { FieldPacket, QueryError, ResultSetHeader } from 'mysql2';
import { CancelledError, InvalidInputError } from '../../errors.js';
import type { Cursor, ResultColumn, RowBatch } from '../dialect.js';
import { timeoutError } from '../run-query.js';
import { WireByteBudget } from '../wire-byte-budget.js';
import type { MysqlConnection } from './mysql-connection.js';
import { resultColumnType } from './mysql-types.js';

/** After the engine's own timeout should have fired, how long we wait before killing the statement ourselves. */
const KILL_GRACE_MS = 250;
/** How long a killed statement may take to wind down before its connection is given up. */
const WIND_DOWN_LIMIT_MS = 5_000;
/** MariaDB max_statement_time and MySQL max_execution_time expired. */
const ENGINE_TIMEOUT_ERRNOS = new Set([1969, 3024]);

export interface MysqlCursorControl {
  readonly timeoutMs: number;
  /** Bytes the server may send for the statement (counted on the wire); absent: no limit. */
  readonly maxResultBytes?: number;
  /** KILL QUERY on this connection from another one; resolves when done (or given up). Never rejects. */
  killRunning(isStillRunning: () => boolean): Promise<void>;
  /** Drops this connection now and ends its server side from another one (the session waits for that). */
  abandon(): void;
}

type CursorState = 'idle' | 'running' | 'ended' | 'failed';

export class MysqlCursor implements Cursor {
  private state: CursorState = 'idle';
  private columns: readonly ResultColumn[] = [];
  private readonly buffered: unknown[][] = [];
  private rowsAffected: number | null = null;
  private failure: unknown = null;
  private wantedRows = 1;
  private wake: (() => void) | null = null;
  private markSettled: () => void = () => undefined;
  private readonly settled = new Promise<void>((resolve) => (this.markSettled = resolve));
  private deadline: NodeJS.Timeout | undefined;
  /** Why the statement was stopped early; from then on its rows are dropped as they arrive. */
  private stopReason: 'closed' | 'cancelled' | 'timeout' | null = null;
  private stopping: Promise<void> | null = null;
  /** Ends the wire count and the watch for connection failures; called once the statement is settled. */
  private unwatch: (() => void)[] = [];

  constructor(
    private readonly connection: MysqlConnection,
    private readonly sql: string,
    private readonly params: readonly unknown[],
    private readonly control: MysqlCursorControl,
  ) {}

  get isRunning(): boolean {
    return this.state === 'running';
  }

  async read(maxRows: number): Promise<RowBatch> {
    if (this.state === 'idle') this.start();
    this.wantedRows = Math.max(1, maxRows);
    while (this.state === 'running' && this.buffered.length < this.wantedRows) {
      // resume() may deliver queued rows synchronously, so the waker must be in place before it runs.
      const woken = new Promise<void>((resolve) => (this.wake = resolve));
      this.connection.raw.resume();
      await woken;
    }
    // A statement killed by us may still end "successfully" (SLEEP() returns 1): its rows are not an answer.
    if (this.stopReason === 'timeout') throw timeoutError(this.control.timeoutMs);
    if (this.stopReason === 'cancelled') throw new CancelledError('The statement was cancelled in the database.');
    if (this.state === 'failed') throw this.translate(this.failure);
    const rows = this.buffered.splice(0, maxRows);
    const done = this.state === 'ended' && this.buffered.length === 0;
    return { columns: this.columns, rows, done, rowsAffected: this.rowsAffected };
  }

  close(): Promise<void> {
    return this.stopFor('closed');
  }

  /** Stops a running statement on behalf of Session.cancel(); nothing happens when none runs. */
  cancel(): Promise<void> {
    return this.stopFor('cancelled');
  }

  private stopFor(reason: 'closed' | 'cancelled' | 'timeout'): Promise<void> {
    this.stopReason ??= reason;
    this.stopping ??= this.stop();
    return this.stopping;
  }

  /** Stops the statement in the database and waits until the connection is quiet again (or destroys it). */
  private async stop(): Promise<void> {
    this.buffered.length = 0;
    if (this.state === 'idle') this.state = 'ended';
    if (this.state !== 'running') return;
    // Hold the rows back until the kill has landed: reading them meanwhile would only flood the event loop (and
    // starve the control connection) with rows nobody wants. Then drain what is in flight, up to the server's stop.
    this.connection.raw.pause();
    await this.control.killRunning(() => this.state === 'running');
    this.connection.raw.resume();
    let timer: NodeJS.Timeout | undefined;
    const isQuiet = await Promise.race([
      this.settled.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), WIND_DOWN_LIMIT_MS))),
    ]);
    clearTimeout(timer);
    if (!isQuiet) this.connection.destroy();
  }

  private start(): void {
    const values = bindableValues(this.params);
    this.state = 'running';
    // Before the query: mysql2 reports a connection that is already closed synchronously, as a connection 'error'.
    this.unwatch.push(this.connection.onFailure((err) => this.fail(err)));
    if (this.control.maxResultBytes !== undefined) {
      const budget = new WireByteBudget(this.control.maxResultBytes);
      this.unwatch.push(this.connection.meter.watch(budget, () => this.onTooLarge(budget)));
    }
    const startedAt = performance.now();
    const query = this.connection.raw.query({ sql: this.sql, values: values.length > 0 ? values : undefined, rowsAsArray: true });
    // 'fields' opens each result (rows or an OK status), so counting it tells which result a 'result' belongs to;
    // mysql2 does not pass the index for OK results.
    let resultCount = 0;
    query.on('fields', (fields: unknown) => {
      if (++resultCount === 1 && Array.isArray(fields)) {
        this.columns = (fields as FieldPacket[]).map((field) => ({ name: field.name, type: resultColumnType(field) }));
      }
    });
    query.on('result', (result: unknown) => this.onResult(result, resultCount));
    query.on('error', (err: QueryError) => {
      this.fail(err);
      this.settle();
    });
    query.on('end', () => {
      // The engine's own limit ends some functions without an error: MariaDB's spatial functions then return NULL
      // (ST_BUFFER of a long line), SLEEP() returns 1. A statement that ends past its limit may have been cut short.
      if (this.state === 'running' && performance.now() - startedAt >= this.control.timeoutMs) this.stopReason ??= 'timeout';
      if (this.state === 'running') this.state = 'ended';
      this.settle();
    });
    this.deadline = setTimeout(() => void this.stopFor('timeout'), this.control.timeoutMs + KILL_GRACE_MS);
  }

  /** The server sent more than max_result_bytes: nothing more of it is read, and the connection is given up. */
  private onTooLarge(budget: WireByteBudget): void {
    if (this.state !== 'running') return;
    this.buffered.length = 0;
    this.control.abandon();
    this.fail(budget.error());
  }

  /** Ends the statement with `err`, whatever mysql2 still reports (or never reports) about it. */
  private fail(err: unknown): void {
    if (this.state !== 'running') return;
    this.state = 'failed';
    this.failure = err;
    this.settle();
  }

  private onResult(result: unknown, resultNumber: number): void {
    // Only the first result is the statement's answer; CALL adds a trailing status result.
    if (resultNumber !== 1) return;
    if (!Array.isArray(result)) {
      const header = result as ResultSetHeader & { stateChanges?: { schema?: string | null } };
      this.rowsAffected = header.affectedRows;
      // `USE other_db` changed the connection's database: later callers would see a different catalog.
      if (header.stateChanges?.schema) this.connection.isRetired = true;
      return;
    }
    if (this.stopReason !== null) return;
    this.buffered.push(result);
    if (this.buffered.length >= this.wantedRows) {
      this.connection.raw.pause();
      this.notify();
    }
  }

  private settle(): void {
    clearTimeout(this.deadline);
    for (const unwatch of this.unwatch.splice(0)) unwatch();
    this.markSettled();
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private translate(err: unknown): unknown {
    const errno = (err as { errno?: unknown } | null)?.errno;
    return typeof errno === 'number' && ENGINE_TIMEOUT_ERRNOS.has(errno) ? timeoutError(this.control.timeoutMs) : err;
  }
}

/**
 * Checks what the driver will bind. mysql2 turns arrays into lists, plain objects into `col = value` pairs and
 * objects with toSqlString() into raw SQL, so only scalar values and bytes are let through.
 */
function bindableValues(params: readonly unknown[]): unknown[] {
  return params.map((value, i) => {
    if (value === null || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'bigint') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    throw new InvalidInputError(`Parameter ${i + 1} cannot be bound: only strings, finite numbers, booleans and null are accepted.`);
  });
}
