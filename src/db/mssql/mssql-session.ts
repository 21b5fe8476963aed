/**
 * A session on one SQL Server connection: sqlgate's own batch opens a transaction and sets the lock timeout, user
 * statements run through MssqlCursor (one sp_executesql each), and finish() commits or rolls back.
 *
 * SQL Server has no read-only transaction, so a read-only session is held read-only by four layers:
 * 1. the login's permissions (docs/dialects/mssql.md: db_datareader plus DENY): the engine refuses, and the
 *    refusal is reported as SG_READ_ONLY;
 * 2. a transaction that is always rolled back, so whatever a statement changed is undone;
 * 3. a statement that reports changed rows is refused while it runs (MssqlCursor.onDone);
 * 4. a statement that ends or replaces the transaction (COMMIT, ROLLBACK, COMMIT; BEGIN TRANSACTION) is detected
 *    from the transaction descriptor SQL Server reports in its ENVCHANGE tokens: the statement fails with
 *    SG_READ_ONLY and the connection is destroyed. Detection is after the fact — what ran after its own COMMIT
 *    ran outside any transaction, so layer 1 is the one that must hold for that. The statement gate that parses
 *    the text before it runs is the next line of defence (guard/, a later issue).
 */
import { QueryFailedError, ReadOnlyError, type SqlgateError } from '../../errors.js';
import type { Cursor, Session, SessionContext, SessionOptions } from '../dialect.js';
import { sessionContextEntries } from '../session-context.js';
import type { MssqlChannel } from './mssql-connection.js';
import { MssqlCursor } from './mssql-cursor.js';
import { firstServerError, READ_ONLY_HINT } from './mssql-errors.js';

/** A statement waiting longer than this for a lock fails with 1222 (SG_BUSY) instead of using up its timeout. */
export const MAX_LOCK_TIMEOUT_MS = 5_000;
/** sp_set_session_context on a key set with @read_only = 1 earlier on the same logical connection. */
export const SESSION_KEY_READ_ONLY = 15664;
/** Server errors that end the transaction on the server's own initiative (deadlock victim). */
const SERVER_ROLLBACKS = new Set([1205]);

/**
 * The caller as session-context keys, for security policies: `SESSION_CONTEXT(N'user')`. `@read_only = 1` makes
 * SQL Server itself refuse to change them for the rest of the logical connection (error 15664), whatever a
 * statement does; the statement gate refuses EXEC besides. T-SQL string literals end only at a quote, so doubling
 * quotes is the whole escaping; N'…' keeps every character.
 */
function sessionContextSql(context: SessionContext): string {
  return sessionContextEntries(context)
    .map(([name, value]) => {
      const literal = value === null ? 'NULL' : `N'${value.replaceAll("'", "''")}'`;
      return `EXEC sys.sp_set_session_context @key = N'${name}', @value = ${literal}, @read_only = 1; `;
    })
    .join('');
}

/** Ends the session's connection in the server from another one (KILL), for terminate(). */
export type MssqlKill = () => Promise<void>;

export class MssqlSession implements Session {
  private cursor: MssqlCursor | null = null;
  private isFinished = false;
  /** The connection went back to the pool or was destroyed: finish() and destroy() may both get there, only one does. */
  private isReleased = false;
  /** The transaction was ended by the server itself (deadlock): not the statement's doing. */
  private isEndedByServer = false;
  /** What the last statement was told when it ended the transaction. */
  private statementViolation: SqlgateError | null = null;

  private constructor(
    private readonly connection: MssqlChannel,
    private readonly options: SessionOptions,
    /** The transaction this session began, as SQL Server identifies it. */
    private readonly descriptor: Buffer,
    private readonly release: (destroy: boolean) => void,
    private readonly kill: MssqlKill | undefined,
  ) {}

  /**
   * Opens the transaction. On failure the caller still owns the connection and must destroy it. Without `kill`
   * (the connection's session id is not known), terminate() fails and destroy() is all there is.
   */
  static async begin(connection: MssqlChannel, options: SessionOptions, release: (destroy: boolean) => void, kill?: MssqlKill): Promise<MssqlSession> {
    const lockTimeoutMs = Math.max(1, Math.min(Math.trunc(options.timeoutMs), MAX_LOCK_TIMEOUT_MS));
    // A read-only key lasts as long as the logical connection: the previous caller's values would stay, or (for a
    // caller with values of their own) make sp_set_session_context fail. A reset starts a new logical connection.
    if (connection.hasSessionContext) {
      await connection.reset();
      connection.hasSessionContext = false;
    }
    const context = options.sessionContext;
    if (context) connection.hasSessionContext = true;
    // One round trip, in a batch of our own: SET in a batch lasts for the connection (and is set again by the
    // next session), while a SET inside the user's sp_executesql reverts when it returns.
    await connection.runBatch(`SET LOCK_TIMEOUT ${lockTimeoutMs}; ${context ? sessionContextSql(context) : ''}BEGIN TRANSACTION;`);
    const descriptor = connection.transactionDescriptor();
    if (descriptor === null) throw new Error('SQL Server did not report the transaction sqlgate began');
    connection.sessionCount++;
    return new MssqlSession(connection, options, Buffer.from(descriptor), release, kill);
  }

  execute(sql: string, params: readonly unknown[]): Cursor {
    if (this.isFinished) throw new Error('execute() after finish()');
    this.cursor = new MssqlCursor(this.connection, sql, params, {
      timeoutMs: this.options.timeoutMs,
      maxResultBytes: this.options.maxResultBytes,
      readOnly: this.options.readOnly,
      afterStatement: (outcome) => this.checkTransaction(outcome),
    });
    return this.cursor;
  }

  async cancel(): Promise<void> {
    if (!this.isFinished) this.cursor?.cancel();
  }

  async finish(outcome: 'commit' | 'rollback'): Promise<void> {
    if (this.isFinished) return;
    this.isFinished = true;
    await this.cursor?.close();
    const violation = this.isEndedByServer ? null : this.transactionViolation();
    let isUnhealthy = this.connection.isBroken || violation !== null;
    let commitError: unknown;
    if (!this.connection.isBroken) {
      try {
        if (outcome === 'commit' && !this.options.readOnly && violation === null && !this.isEndedByServer) {
          await this.connection.runBatch('COMMIT TRANSACTION').catch((err: unknown) => {
            commitError = err;
            throw err;
          });
        } else {
          await this.connection.runBatch('IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION');
        }
      } catch {
        isUnhealthy = true;
      }
    }
    this.releaseOnce(isUnhealthy);
    // Cut short (max_rows) or closed early, the statement never reported it: finish does.
    const isReported = this.statementViolation !== null && this.cursor?.thrownError === this.statementViolation;
    if (violation !== null && !isReported) throw violation;
    if (commitError !== undefined) throw commitError;
  }

  /** KILL <spid> from another connection (mssql-session-id.ts); needs ALTER ANY CONNECTION. */
  async terminate(): Promise<void> {
    if (!this.kill) throw new Error('the connection\'s session id is not known: nothing to KILL');
    await this.kill();
  }

  destroy(releaseSlotAfter?: Promise<unknown>): void {
    this.isFinished = true;
    this.connection.destroy();
    if (releaseSlotAfter) void releaseSlotAfter.then(() => this.releaseOnce(true), () => this.releaseOnce(true));
    else this.releaseOnce(true);
  }

  /**
   * SQL Server shows other sessions only with VIEW SERVER STATE, which sqlgate's login should not have, and a
   * session id is reused at once: so it does not ask.
   */
  async isRunningInDatabase(): Promise<boolean | null> {
    return null;
  }

  private releaseOnce(destroy: boolean): void {
    if (this.isReleased) return;
    this.isReleased = true;
    this.release(destroy);
  }

  /** After each statement: an error replacing its outcome when it ended sqlgate's transaction. */
  private checkTransaction(outcome: unknown): SqlgateError | null {
    const violation = this.transactionViolation();
    if (violation === null) return null;
    const serverError = firstServerError(outcome);
    if (serverError !== null && SERVER_ROLLBACKS.has(serverError.number)) {
      this.isEndedByServer = true;
      return null;
    }
    this.statementViolation = violation;
    return violation;
  }

  private transactionViolation(): SqlgateError | null {
    if (this.connection.isBroken) return null;
    const current = this.connection.transactionDescriptor();
    if (current !== null && current.equals(this.descriptor)) return null;
    const detail = `transaction descriptor ${this.descriptor.toString('hex')} → ${current?.toString('hex') ?? 'none'}`;
    return this.options.readOnly
      ? new ReadOnlyError('The statement ended sqlgate\'s read-only transaction (COMMIT, ROLLBACK or BEGIN TRANSACTION); transaction control is not allowed in a read-only environment.', {
          hint: READ_ONLY_HINT,
          detail,
        })
      : new QueryFailedError('The statement ran its own COMMIT, ROLLBACK or BEGIN TRANSACTION; sqlgate runs every statement in a transaction of its own.', {
          hint: 'Leave out transaction control. Changes made after the statement\'s own COMMIT may already be committed: check the data.',
          detail,
        });
  }
}
