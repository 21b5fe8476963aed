/**
 * A session on one pooled MySQL/MariaDB connection: session settings applied, the engine's statement timeout
 * armed, and one transaction — `START TRANSACTION READ ONLY` for read-only environments, so the server itself
 * refuses writes (error 1792) whatever the statement looks like. At the end the connection is reset, so nothing
 * one caller set or created reaches the next.
 */
import { UnavailableError } from '../../errors.js';
import type { Cursor, Session, SessionContext, SessionOptions } from '../dialect.js';
import { sessionContextEntries } from '../session-context.js';
import type { MysqlConnection } from './mysql-connection.js';
import { MysqlCursor } from './mysql-cursor.js';

export interface MysqlSessionHooks {
  /** KILL QUERY (or CONNECTION) <threadId> from a separate connection; `isStillRunning` is re-checked before it is sent. */
  kill(threadId: number, isStillRunning: () => boolean, scope?: 'QUERY' | 'CONNECTION'): Promise<void>;
  /** Gives the connection back to the pool, or destroys it. */
  release(connection: MysqlConnection, destroy: boolean): void;
  /** Whether the server's process list still shows the thread (after KILL CONNECTION, until its work notices). */
  isThreadRunning(threadId: number): Promise<boolean>;
}

/**
 * The caller as user variables (`@sqlgate_user`, `@sqlgate_roles`, `@sqlgate_client`), in the same SET as the
 * session settings: one round trip. The statement gate refuses every way to assign a variable (SET, :=, INTO @v,
 * PREPARE, stored programs), and COM_RESET_CONNECTION in finish() drops them, so the next caller on this pooled
 * connection starts without. Hex literals, because this SET is parsed before its own sql_mode applies, under the
 * server's default one, where NO_BACKSLASH_ESCAPES would change where a quoted string ends. The collation is binary,
 * so that a filter on the user compares exactly, not case- and accent-insensitively.
 */
function sessionContextAssignments(context: SessionContext): string {
  return sessionContextEntries(context)
    .map(([name, value]) => {
      // utf8mb4_bin: compared with a column, the binary collation wins, so 'BOB', 'bob ' and 'böb' are not bob.
      const literal = value === null ? 'NULL' : `CONVERT(X'${Buffer.from(value, 'utf8').toString('hex')}' USING utf8mb4) COLLATE utf8mb4_bin`;
      return `@sqlgate_${name} = ${literal}`;
    })
    .join(', ');
}

export class MysqlSession implements Session {
  private cursor: MysqlCursor | null = null;
  private readonly kills: Promise<void>[] = [];
  private isFinished = false;
  /** The connection went back to the pool or was destroyed: finish() and destroy() may both get there, only one does. */
  private isReleased = false;

  private constructor(
    private readonly connection: MysqlConnection,
    private readonly options: SessionOptions,
    private readonly hooks: MysqlSessionHooks,
  ) {}

  /** Prepares the connection for one tool call. On failure the caller destroys the connection. */
  static async start(connection: MysqlConnection, options: SessionOptions, hooks: MysqlSessionHooks): Promise<MysqlSession> {
    const setup = connection.sessionSetupSql(options.timeoutMs);
    await connection.run(options.sessionContext ? `${setup}, ${sessionContextAssignments(options.sessionContext)}` : setup);
    if (options.readOnly) {
      // DDL (DROP, CREATE, ALTER …) first commits the running transaction implicitly and then runs on its own:
      // a read-only *transaction* alone does not stop it. A read-only *session* default does, because the
      // implicit transaction the DDL runs in is read-only too. The reset after the call restores the default.
      await connection.run('SET SESSION TRANSACTION READ ONLY');
    }
    await connection.run(options.readOnly ? 'START TRANSACTION READ ONLY' : 'START TRANSACTION');
    return new MysqlSession(connection, options, hooks);
  }

  execute(sql: string, params: readonly unknown[]): Cursor {
    if (this.cursor?.isRunning) throw new Error('a statement is already running in this session');
    this.cursor = new MysqlCursor(this.connection, sql, params, {
      timeoutMs: this.options.timeoutMs,
      maxResultBytes: this.options.maxResultBytes,
      killRunning: (isStillRunning) => this.killRunning(isStillRunning),
      abandon: () => this.abandon(),
    });
    return this.cursor;
  }

  async cancel(): Promise<void> {
    if (!this.isFinished) await this.cursor?.cancel();
  }

  async finish(outcome: 'commit' | 'rollback'): Promise<void> {
    if (this.isFinished) return;
    this.isFinished = true;
    // COMMIT would queue behind an unread result on a paused socket and never run.
    await this.cursor?.close();
    // A kill still on its way must land before the connection runs anything else (or serves another caller).
    await Promise.all(this.kills);
    if (this.connection.isBroken) {
      this.release(true);
      // The server rolls back the transaction of a connection that goes away; a commit cannot be claimed.
      if (outcome === 'commit') {
        throw new UnavailableError('The connection to the database was lost before COMMIT; the change was rolled back.');
      }
      return;
    }
    if (outcome === 'commit') {
      try {
        await this.connection.run('COMMIT');
      } catch (err) {
        // Unknown transaction state: never hand this connection out again. A failed COMMIT is the caller's error.
        this.release(true);
        throw err;
      }
    }
    if (this.connection.isRetired) {
      // Closing the connection rolls back whatever is left.
      this.release(true);
      return;
    }
    let isReusable = true;
    try {
      // Also the rollback of a read (or of a failed write).
      await this.connection.reset();
    } catch {
      isReusable = false;
    }
    this.release(!isReusable || this.connection.isBroken);
  }

  /** KILL CONNECTION from another connection: ends the server's side even where KILL QUERY was not obeyed. */
  async terminate(): Promise<void> {
    await this.hooks.kill(this.connection.threadId, () => true, 'CONNECTION');
  }

  destroy(releaseSlotAfter?: Promise<unknown>): void {
    this.isFinished = true;
    this.connection.destroy();
    if (releaseSlotAfter) void releaseSlotAfter.then(() => this.release(true), () => this.release(true));
    else this.release(true);
  }

  async isRunningInDatabase(): Promise<boolean | null> {
    return this.hooks.isThreadRunning(this.connection.threadId).catch(() => null);
  }

  private release(destroy: boolean): void {
    if (this.isReleased) return;
    this.isReleased = true;
    this.hooks.release(this.connection, destroy);
  }

  /**
   * Gives the connection up while its statement may still be sending: the socket is dropped at once (nothing more
   * is read), and KILL CONNECTION from another connection ends the server's side, in case the statement is still
   * computing and would not notice the closed socket until its next write. finish() waits for the kill.
   */
  private abandon(): void {
    const threadId = this.connection.threadId;
    this.connection.destroy();
    this.kills.push(this.hooks.kill(threadId, () => true, 'CONNECTION').catch(() => undefined));
  }

  private killRunning(isStillRunning: () => boolean): Promise<void> {
    const kill = this.hooks.kill(this.connection.threadId, isStillRunning).catch(() => {
      // No control connection (server unreachable?): dropping the socket at least ends our side of the statement.
      this.connection.destroy();
    });
    this.kills.push(kill);
    return kill;
  }
}
