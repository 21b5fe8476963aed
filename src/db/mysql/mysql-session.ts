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
  /** KILL QUERY <threadId> from a separate connection; `isStillRunning` is re-checked before the kill is sent. */
  kill(threadId: number, isStillRunning: () => boolean): Promise<void>;
  /** Gives the connection back to the pool, or destroys it. */
  release(connection: MysqlConnection, destroy: boolean): void;
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
      killRunning: (isStillRunning) => this.killRunning(isStillRunning),
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
      this.hooks.release(this.connection, true);
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
        this.hooks.release(this.connection, true);
        throw err;
      }
    }
    if (this.connection.isRetired) {
      // Closing the connection rolls back whatever is left.
      this.hooks.release(this.connection, true);
      return;
    }
    let isReusable = true;
    try {
      // Also the rollback of a read (or of a failed write).
      await this.connection.reset();
    } catch {
      isReusable = false;
    }
    this.hooks.release(this.connection, !isReusable || this.connection.isBroken);
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
