/**
 * A session on one SQL Server connection: a TDS transaction-manager request begins the transaction (after a batch
 * of settings, when they changed), user statements run through MssqlCursor (one sp_executesql each), and finish()
 * commits or rolls back with the same kind of request.
 *
 * SQL Server has no read-only transaction, so a read-only session is held read-only by four layers:
 * 1. the login's permissions (docs/dialects/mssql.md: db_datareader plus DENY): the engine refuses, and the
 *    refusal is reported as SG_READ_ONLY;
 * 2. a transaction that is always rolled back, so whatever a statement changed is undone;
 * 3. a statement that reports changed rows is refused while it runs (MssqlCursor.onDone);
 * 4. a statement that ends or replaces the transaction (COMMIT, ROLLBACK, COMMIT; BEGIN TRANSACTION) fails with
 *    SG_READ_ONLY and its connection is destroyed. SQL Server reports every transaction change in ENVCHANGE
 *    notices, which tedious tracks; engines that report only the transaction-manager requests' own transactions
 *    (Babelfish) are asked instead: the rollback that ends every read-only session fails with 3903 when there was
 *    nothing left to roll back, and a commit first checks @@TRANCOUNT and XACT_STATE(). So the hot path (begin,
 *    statement, rollback) has no round trip of its own for the check. Detection is after the fact — what ran after
 *    its own COMMIT ran outside any transaction, so layer 1 is the one that must hold for that; the statement gate
 *    that parses the text before it runs (guard/) refuses transaction control first.
 *
 * A statement whose error rolled the transaction back (a deadlock, Babelfish's errors it cannot map) is reported
 * as that error, not as a read-only violation: the transaction ended by the server's rollback, not by the user.
 */
import { QueryFailedError, ReadOnlyError, type SqlgateError } from '../../errors.js';
import type { Cursor, Session, SessionContext, SessionOptions } from '../dialect.js';
import { sessionContextEntries } from '../session-context.js';
import type { MssqlChannel, TransactionState } from './mssql-connection.js';
import { MssqlCursor } from './mssql-cursor.js';
import { firstServerError, READ_ONLY_HINT } from './mssql-errors.js';

/** A statement waiting longer than this for a lock fails with 1222 (SG_BUSY) instead of using up its timeout. */
export const MAX_LOCK_TIMEOUT_MS = 5_000;
/** sp_set_session_context on a key set with @read_only = 1 earlier on the same logical connection. */
export const SESSION_KEY_READ_ONLY = 15664;
/** The rollback found no transaction (3903): the statement ended it without the server saying so. */
const NO_TRANSACTION_TO_ROLL_BACK = 3903;

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

/** How the session's transaction ended before finish(), as far as the server said; null: it is still open. */
type Ending = 'commit' | 'rollback' | 'replaced' | null;

export class MssqlSession implements Session {
  private cursor: MssqlCursor | null = null;
  private isFinished = false;
  /** The connection went back to the pool or was destroyed: finish() and destroy() may both get there, only one does. */
  private isReleased = false;
  /** The last statement failed with an error of the server's: a transaction found ended then was ended by that error. */
  private hasServerError = false;
  /** What the last statement was told when it ended the transaction. */
  private statementViolation: SqlgateError | null = null;

  private constructor(
    private readonly connection: MssqlChannel,
    private readonly options: SessionOptions,
    /** The transaction this session began, as the server identified it; null when it did not say. */
    private readonly descriptor: Buffer | null,
    /** connection.rollbacksReported when the transaction began. */
    private readonly rollbacksBefore: number,
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
    const settings = `${connection.lockTimeoutMs === lockTimeoutMs ? '' : `SET LOCK_TIMEOUT ${lockTimeoutMs}; `}${context ? sessionContextSql(context) : ''}`;
    if (settings !== '') {
      // A batch of our own: SET in a batch lasts for the connection, while a SET inside the user's sp_executesql
      // reverts when it returns. Sent only when something changed, so the usual begin is one round trip.
      if (context) connection.hasSessionContext = true;
      connection.lockTimeoutMs = null;
      await connection.runBatch(settings.trimEnd());
      connection.lockTimeoutMs = lockTimeoutMs;
    }
    // sqlgate's own catalog statements read by construction: no transaction to begin or end, one round trip.
    if (!options.isCatalog) await connection.beginTransaction();
    const descriptor = connection.transactionDescriptor();
    connection.sessionCount++;
    return new MssqlSession(connection, options, descriptor && Buffer.from(descriptor), connection.rollbacksReported, release, kill);
  }

  execute(sql: string, params: readonly unknown[]): Cursor {
    if (this.isFinished) throw new Error('execute() after finish()');
    this.hasServerError = false;
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
    let isHealthy = false;
    let error: unknown = null;
    if (!this.connection.isBroken) {
      try {
        ({ isHealthy, error } = await this.endTransaction(outcome === 'commit' && !this.options.readOnly));
      } catch (err) {
        // The rollback failed: the connection goes (the server rolls back what it holds). A failed commit is reported.
        if (outcome === 'commit' && !this.options.readOnly) error = err;
      }
    }
    this.releaseOnce(!isHealthy);
    if (error !== null) throw error;
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

  /** After each statement: an error replacing its outcome when the server said it ended sqlgate's transaction. */
  private checkTransaction(outcome: unknown): SqlgateError | null {
    this.hasServerError = firstServerError(outcome) !== null;
    const ending = this.reportedEnding();
    if (ending === null || this.isServerRollback(ending)) return null;
    this.statementViolation = this.violation(`the server reported: ${ending}`);
    return this.statementViolation;
  }

  /**
   * Commits or rolls back, deciding from what the server says whether the transaction is still the session's own.
   * A violation the statement was not told of (it was cut short, or the engine reports no notices) is returned.
   */
  private async endTransaction(isCommit: boolean): Promise<{ isHealthy: boolean; error: unknown }> {
    // A catalog session began nothing: it is healthy as long as nothing was left open.
    if (this.options.isCatalog) return { isHealthy: this.connection.transactionDescriptor() === null, error: null };
    const ending = this.reportedEnding();
    if (ending !== null) {
      // Nothing of the session's is left to end. After a rollback the server chose, the connection is as good as new.
      if (this.isServerRollback(ending)) return { isHealthy: true, error: null };
      return { isHealthy: false, error: this.unreported(this.violation(`the server reported: ${ending}`)) };
    }
    return isCommit ? this.commit() : this.rollback();
  }

  private async rollback(): Promise<{ isHealthy: boolean; error: unknown }> {
    try {
      await this.connection.rollbackTransaction();
      return { isHealthy: true, error: null };
    } catch (err) {
      if (firstServerError(err)?.number !== NO_TRANSACTION_TO_ROLL_BACK) throw err;
      // Ended without a notice. The statement's own error did it (and was reported), or the statement did.
      if (this.hasServerError) return { isHealthy: true, error: null };
      return { isHealthy: false, error: this.unreported(this.violation('the rollback found no transaction (SQL Server error 3903)')) };
    }
  }

  /** Commits only the session's own transaction, open and committable, as the server sees it now. */
  private async commit(): Promise<{ isHealthy: boolean; error: unknown }> {
    const state = await this.connection.transactionState();
    const refusal = commitRefusal(state);
    if (refusal === null) {
      await this.connection.commitTransaction();
      return { isHealthy: true, error: null };
    }
    if (state.count > 0) await this.connection.rollbackTransaction(); // every level: nothing of the statement stays
    const error = refusal === 'doomed'
      ? new QueryFailedError('An error in the statement left its transaction uncommittable; nothing was committed.', {
          hint: 'Fix the statement (see the error it raised) and run it again.',
          detail: `@@TRANCOUNT ${state.count}, XACT_STATE() ${state.state}`,
        })
      : this.unreported(this.violation(`@@TRANCOUNT ${state.count}, XACT_STATE() ${state.state} before the commit`));
    return { isHealthy: refusal === 'doomed', error };
  }

  /** How the server said the transaction ended (ENVCHANGE notices); null: it did not say, or it is still open. */
  private reportedEnding(): Ending {
    if (this.descriptor === null || this.connection.isBroken) return null;
    const current = this.connection.transactionDescriptor();
    if (current !== null && current.equals(this.descriptor)) return null;
    if (current !== null) return 'replaced';
    return this.connection.rollbacksReported > this.rollbacksBefore ? 'rollback' : 'commit';
  }

  /** The server rolled the transaction back as part of the statement's error (deadlock victim, an aborting error). */
  private isServerRollback(ending: Ending): boolean {
    return ending === 'rollback' && this.hasServerError;
  }

  /** The violation, unless the statement already failed with it (finish must not report it twice). */
  private unreported(violation: SqlgateError): SqlgateError | null {
    const isReported = this.statementViolation !== null && this.cursor?.thrownError === this.statementViolation;
    return isReported ? null : violation;
  }

  private violation(detail: string): SqlgateError {
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

/** Why the transaction must not be committed: it is not the session's one level, or an error doomed it. */
function commitRefusal(state: TransactionState): 'not-ours' | 'doomed' | null {
  if (state.count !== 1) return 'not-ours';
  return state.state === -1 ? 'doomed' : null;
}
