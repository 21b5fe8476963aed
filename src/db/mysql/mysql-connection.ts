/**
 * One mysql2 connection as the pool holds it: connected, told the server family, UTC and utf8mb4, and watched
 * for failures so that a broken or tampered-with connection is destroyed instead of reused.
 */
import mysql, { type Connection, type ConnectionOptions } from 'mysql2';
import type { WireFrameMeter } from '../wire-frame-meter.js';
import { installMysqlPacketMeter } from './mysql-packet-meter.js';

export type MysqlFlavor = 'mysql' | 'mariadb';

/** The collation every session talks in (SET NAMES); values sqlgate sets itself take it too. */
export const CONNECTION_COLLATION = 'utf8mb4_unicode_ci';

/** How long a graceful close (COM_QUIT) may take before the socket is simply destroyed. */
const CLOSE_GRACE_MS = 1_000;
const ER_NO_SUCH_THREAD = 1094;

/**
 * sql_mode flags our sessions never run with, whatever the server's default. NO_BACKSLASH_ESCAPES: parameters are
 * escaped by the driver with backslashes, and under it a parameter could end its string literal early. ANSI_QUOTES
 * and the combination modes that set it (and MariaDB's ORACLE, another grammar): the statement gate and the
 * table/column policy read "…" as a string, as the parser does; under ANSI_QUOTES `SELECT "ssn" FROM customers`
 * would read a denied column the policy never saw.
 */
const REMOVED_SQL_MODES = new Set(['NO_BACKSLASH_ESCAPES', 'ANSI_QUOTES', 'ANSI', 'DB2', 'MAXDB', 'MSSQL', 'ORACLE', 'POSTGRESQL']);

/** A failure while connecting or preparing a new connection: whatever its cause, the database is unusable. */
export class MysqlConnectError extends Error {
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** The connection failed while nothing could report it to a caller: mysql2 told only the connection. */
export class MysqlConnectionLostError extends Error {
  readonly fatal = true;
  constructor(cause?: unknown) {
    super('the connection to the database was lost', cause === undefined ? undefined : { cause });
  }
}

export class MysqlConnection {
  /** The driver reported a fatal error or the server closed the connection. */
  isBroken = false;
  /** Still usable by the current session, but a statement left state (another database) no later caller expects. */
  isRetired = false;
  /** Counts what the server sends, for max_result_bytes (mysql-packet-meter.ts). */
  readonly meter: WireFrameMeter;
  private failureListener: ((err: unknown) => void) | null = null;

  private constructor(
    readonly raw: Connection,
    readonly flavor: MysqlFlavor,
    /** The session's sql_mode without REMOVED_SQL_MODES, restored at the start of every session. */
    private readonly sqlMode: string,
  ) {
    this.meter = installMysqlPacketMeter(raw, (err) => {
      this.fail(err);
      this.destroy();
    });
    // mysql2 reports a fatal error (socket reset, TLS failure, a packet it cannot parse, a value past V8's string
    // limit) only to the connection when the running query has no callback, as a streamed query has not: the
    // statement's events never come. The cursor listens here instead, so the call fails rather than hangs.
    raw.on('error', (err) => this.fail(err));
    raw.on('end', () => this.fail(new MysqlConnectionLostError()));
  }

  /** Tells `listener` (the running cursor) when the connection fails, until the returned function is called. */
  onFailure(listener: (err: unknown) => void): () => void {
    this.failureListener = listener;
    return () => {
      if (this.failureListener === listener) this.failureListener = null;
    };
  }

  private fail(err: unknown): void {
    this.isBroken = true;
    const listener = this.failureListener;
    this.failureListener = null;
    listener?.(err);
  }

  /** The server's id for this connection, the target of KILL QUERY. */
  get threadId(): number {
    return this.raw.threadId;
  }

  /**
   * Connects and prepares the session; the server family comes from VERSION(), whatever the URL said.
   * Fails with MysqlConnectError: the server reports a bad login or database like any SQL error, without `fatal`.
   */
  static async open(options: ConnectionOptions): Promise<MysqlConnection> {
    const raw = mysql.createConnection(options);
    // Without a listener, a fatal error with no command running would be thrown as an uncaught exception.
    raw.on('error', () => undefined);
    try {
      await new Promise<void>((resolve, reject) => raw.connect((err) => (err ? reject(err) : resolve())));
      const [info] = (await runStatement(raw, 'SELECT VERSION() AS version, @@SESSION.sql_mode AS sql_mode')) as [
        { version: string; sql_mode: string },
      ];
      const flavor: MysqlFlavor = /mariadb/i.test(info.version) ? 'mariadb' : 'mysql';
      const sqlMode = info.sql_mode
        .split(',')
        .filter((mode) => mode !== '' && !REMOVED_SQL_MODES.has(mode))
        .join(',');
      if (!/^[A-Z0-9_,]*$/.test(sqlMode)) throw new Error(`unexpected sql_mode ${sqlMode}`);
      const connection = new MysqlConnection(raw, flavor, sqlMode);
      await connection.run(connection.sessionSetupSql(null));
      return connection;
    } catch (err) {
      raw.destroy();
      throw new MysqlConnectError(err);
    }
  }

  /** Runs a control statement (SET, START TRANSACTION, COMMIT, ROLLBACK) and returns its rows, if any. */
  run(sql: string): Promise<unknown> {
    return runStatement(this.raw, sql);
  }

  /**
   * Applies the session settings every statement relies on (after reset() they are the server's defaults again)
   * and arms the engine's own statement timeout. MariaDB's max_statement_time (seconds) covers every statement;
   * MySQL's max_execution_time (ms) covers only SELECT, so the session also kills from outside (mysql-cursor.ts).
   */
  sessionSetupSql(timeoutMs: number | null): string {
    const common = `NAMES utf8mb4 COLLATE ${CONNECTION_COLLATION}, SESSION time_zone = '+00:00', sql_mode = '${this.sqlMode}'`;
    if (timeoutMs === null) return `SET ${common}`;
    const timeout = this.flavor === 'mariadb'
      ? `max_statement_time = ${(timeoutMs / 1000).toFixed(3)}`
      : `max_execution_time = ${Math.max(1, Math.ceil(timeoutMs))}`;
    return `SET ${common}, ${timeout}`;
  }

  /**
   * COM_RESET_CONNECTION: rolls back, and drops what a caller may have left behind — user variables, temporary
   * tables, table and named locks, changed session variables — so the next caller starts clean. The current
   * database survives it, which is why a connection that ran USE is retired instead.
   */
  reset(): Promise<void> {
    return new Promise((resolve, reject) => this.raw.reset((err) => (err ? reject(err) : resolve())));
  }

  /** Closes politely when healthy, otherwise (or when that hangs) drops the socket. */
  async close(): Promise<void> {
    if (this.isBroken) {
      this.raw.destroy();
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.raw.destroy();
        resolve();
      }, CLOSE_GRACE_MS);
      this.raw.end(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Drops the socket at once. mysql2's own destroy() only half-closes it (stream.end()): the server may go on
   * sending, and every byte would still be read. Nothing is reported to a statement still running; its cursor
   * ends itself.
   */
  destroy(): void {
    this.isBroken = true;
    this.raw.destroy();
    (this.raw as unknown as { stream?: { destroy(): void } }).stream?.destroy();
  }
}

/**
 * Stops the statement running on `threadId` from a separate, short-lived connection (the busy one cannot speak).
 * `isStillRunning` is asked once the control connection is up: a statement that ended meanwhile is left alone.
 * KILL CONNECTION also ends the server's side of a connection we dropped, and with it its statement.
 */
export async function killQuery(
  options: ConnectionOptions,
  threadId: number,
  isStillRunning: () => boolean,
  scope: 'QUERY' | 'CONNECTION' = 'QUERY',
): Promise<void> {
  const control = mysql.createConnection({ ...options, typeCast: true });
  control.on('error', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => control.connect((err) => (err ? reject(err) : resolve())));
    if (isStillRunning()) await runStatement(control, `KILL ${scope} ${Math.trunc(threadId)}`);
    control.end();
  } catch (err) {
    control.destroy();
    // The connection is gone already (ER_NO_SUCH_THREAD): there is nothing left to stop.
    if ((err as { errno?: unknown }).errno !== ER_NO_SUCH_THREAD) throw err;
  }
}

function runStatement(raw: Connection, sql: string): Promise<unknown> {
  return new Promise((resolve, reject) => raw.query(sql, (err, rows) => (err ? reject(err) : resolve(rows))));
}
