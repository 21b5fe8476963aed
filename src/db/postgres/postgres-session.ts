/**
 * A session on one pooled PostgreSQL connection: one transaction (READ ONLY when asked) with a local
 * statement_timeout, statements read in batches from a portal (postgres-portal.ts), one round trip per batch. The
 * transaction's BEGIN goes out with the first statement, in its round trip.
 *
 * Statements use the extended protocol only (Parse/Bind/Execute), and PostgreSQL refuses more than one statement
 * in a Parse, so `SELECT 1; COMMIT; DROP TABLE x` fails in the server before anything runs. Rows are fetched
 * `maxRows` at a time from the portal, never the whole result.
 */
import type pg from 'pg';
import type { Client, FieldDef } from 'pg';
import { CancelledError, QueryFailedError, ResultTooLargeError, UnavailableError } from '../../errors.js';
import { timeoutError } from '../run-query.js';
import { WireByteBudget } from '../wire-byte-budget.js';
import type { Cursor as StatementCursor, ResultColumn, RowBatch, Session, SessionContext, SessionOptions } from '../dialect.js';
import { sessionContextEntries } from '../session-context.js';
import { PortalContinue, PortalStart, type PortalBatch } from './postgres-portal.js';
import { catalogStatementName, ROLLED_BACK_READ_RESET_SQL, SESSION_RESET_SQL, type PostgresConnection } from './postgres-connection.js';
import { isConnectionFailure, isStatementTimeout, mayMeanDeadConnection } from './postgres-errors.js';
import type { PostgresTypeNames } from './postgres-type-names.js';

/** Commands whose completion tag counts changed rows. */
const WRITE_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/**
 * The caller as transaction-local settings, for row-level security: `current_setting('sqlgate.user', true)`. The
 * statement gate refuses everything that could change them (set_config, SET, RESET, writes to pg_settings, code).
 * Schema-qualified, so that no set_config elsewhere on the search_path stands in; escapeLiteral writes E'…' for a
 * value with a backslash, so the literal reads the same whatever standard_conforming_strings says. A setting holds
 * no NULL: a missing client is ''.
 */
function sessionContextSql(client: Pick<Client, 'escapeLiteral'>, context: SessionContext): string {
  const calls = sessionContextEntries(context).map(
    ([name, value]) => `pg_catalog.set_config('sqlgate.${name}', ${client.escapeLiteral(value ?? '')}, true)`,
  );
  return `SELECT ${calls.join(', ')}`;
}

function copyUnsupported(): QueryFailedError {
  return new QueryFailedError('COPY to or from the client is not supported here.', {
    hint: 'Read rows with SELECT; the row limit applies as usual.',
  });
}

/** What a session needs from its dialect: the shared type-name cache, a way to cancel, and its pool slot. */
export interface PostgresSessionDeps {
  readonly typeNames: PostgresTypeNames;
  /** Cancels whatever the backend with this process id runs, from another connection. */
  cancelBackend(processId: number): Promise<void>;
  /**
   * pg_terminate_backend from another connection; resolves with the backend's start time (null when there is no
   * such backend), which tells it apart from a later backend that is given the same process id.
   */
  terminateBackend(processId: number): Promise<string | null>;
  /** Whether pg_stat_activity still shows the backend (with that start time, when known). */
  isBackendRunning(processId: number, backendStart: string | null): Promise<boolean>;
  /** A connection from the pool (usable as far as is known), for a session whose own turned out dead. */
  acquire(): Promise<PostgresConnection>;
  /** Returns the connection to the pool, or destroys it. */
  release(connection: PostgresConnection, destroy: boolean): void;
}

export class PostgresSession implements Session {
  private isFinished = false;
  /** Set when the connection's state can no longer be trusted: it is destroyed at finish instead of reused. */
  private isUnhealthy = false;
  /** The connection went back to the pool or was destroyed: finish() and destroy() may both get there, only one does. */
  private isReleased = false;
  /** The terminated backend's start time (terminate()), for isRunningInDatabase(). */
  private terminatedBackendStart: string | null = null;
  /** Whether the connection served sessions before this one: it may have died while idle (beganOnDeadConnection). */
  private isReusedConnection = false;

  private constructor(
    private connection: PostgresConnection,
    private readonly options: SessionOptions,
    private readonly deps: PostgresSessionDeps,
    /** False for a catalog session, whose statements run without sqlgate's transaction: nothing to end. */
    private readonly hasTransaction: boolean,
    /**
     * The statements that open the transaction, until they go out with the first statement (PortalStart's
     * prelude); null once sent or sent apart. A session that ends before any statement has no transaction to end.
     */
    private unsentBegin: readonly string[] | null = null,
  ) {
    this.adopt(connection);
  }

  /** Makes `connection` the session's, counting the session on it. */
  private adopt(connection: PostgresConnection): void {
    this.connection = connection;
    this.isReusedConnection = connection.sessionCount > 0;
    connection.sessionCount++;
  }

  /** Opens the transaction. On failure the caller still owns the connection and must destroy it. */
  static async begin(connection: PostgresConnection, options: SessionOptions, deps: PostgresSessionDeps): Promise<PostgresSession> {
    const timeoutMs = Math.max(1, Math.trunc(options.timeoutMs));
    if (options.isCatalog && !options.sessionContext) {
      // sqlgate's own catalog statements read by construction and need no transaction: each runs in its own, under
      // a session-level statement_timeout that stays set on the connection for the next catalog session (a user
      // session's SET LOCAL overrides it; the full reset's RESET ALL clears it). One round trip per statement, none
      // to begin or end.
      if (connection.statementTimeoutMs !== timeoutMs) {
        await connection.client.query(`SET statement_timeout = ${timeoutMs}`);
        connection.statementTimeoutMs = timeoutMs;
      }
      return new PostgresSession(connection, options, deps, false);
    }
    // SET LOCAL and set_config(…, true) end with the transaction, so neither the timeout nor the caller leaks to the
    // next session.
    const statements = [options.readOnly ? 'BEGIN READ ONLY' : 'BEGIN', `SET LOCAL statement_timeout = ${timeoutMs}`];
    if (!options.sessionContext) return new PostgresSession(connection, options, deps, true, statements);
    // set_config answers with a row, which would count against the statement's max_result_bytes if it came in the
    // statement's round trip: with the caller's settings, the transaction is opened in a round trip of its own.
    statements.push(sessionContextSql(connection.client, options.sessionContext));
    await connection.client.query(statements.join('; '));
    connection.markTransactionBegun();
    return new PostgresSession(connection, options, deps, true);
  }

  execute(sql: string, params: readonly unknown[]): StatementCursor {
    if (this.options.isCatalog) return this.executeWhole(sql, params);
    const { maxResultBytes } = this.options;
    // Counted from here: this statement's rows only, never the session's own housekeeping.
    this.connection.rowBudget = maxResultBytes === undefined ? null : new WireByteBudget(maxResultBytes);
    const stopCounting = () => (this.connection.rowBudget = null);
    let rowParser: PortalStart['_result'] | null = null;
    let columns: readonly ResultColumn[] | null = null;
    let rowsAffected: number | null = null;
    let isDone = false;
    let hasFailed = false;
    return {
      read: async (maxRows: number): Promise<RowBatch> => {
        if (isDone || hasFailed || maxRows < 1) return { columns: columns ?? [], rows: [], done: isDone || hasFailed, rowsAffected };
        let exchange = rowParser === null ? new PortalStart(sql, params, maxRows, this.takeUnsentBegin()) : new PortalContinue(maxRows, rowParser);
        let batch: PortalBatch;
        try {
          for (;;) {
            const parsedBefore = this.connection.parseCompletes;
            this.connection.client.query(exchange as unknown as pg.Submittable);
            const sent = await exchange.done.then((value) => ({ value }), (error: unknown) => ({ error }));
            if ('value' in sent) {
              batch = sent.value;
              break;
            }
            if (!(exchange instanceof PortalStart && (await this.beganOnDeadConnection(exchange, sent.error, parsedBefore)))) throw sent.error;
            exchange = exchange.again();
          }
        } catch (err) {
          hasFailed = true;
          stopCounting();
          if (isStatementTimeout(err)) throw timeoutError(this.options.timeoutMs);
          if (exchange.copy === 'in') throw copyUnsupported();
          if (err instanceof ResultTooLargeError) throw this.stopOversizedStatement(err);
          if (isConnectionFailure(err)) this.isUnhealthy = true;
          throw err;
        }
        rowParser = exchange._result;
        isDone = !batch.isSuspended;
        if (exchange.copy !== null) {
          hasFailed = true;
          throw copyUnsupported();
        }
        if (columns === null) columns = await this.describeColumns(batch.fields);
        if (isDone && batch.command !== null && WRITE_COMMANDS.has(batch.command)) rowsAffected = batch.rowCount;
        return { columns, rows: batch.rows, done: isDone, rowsAffected };
      },
      close: async () => {
        stopCounting();
        // Nothing to send: a portal not read to its end is dropped by the next statement's Bind or by the
        // transaction's end (finish), whichever comes first.
        isDone = true;
      },
    };
  }

  /**
   * sqlgate's own catalog statements: bounded by their WHERE clauses and always read to the end, so each runs as one
   * extended-protocol exchange for all its rows (one round trip), and the batches come from the rows in hand. They
   * run outside a transaction, where a portal does not outlive its Sync: the portal reader's later batches could
   * not follow.
   */
  private executeWhole(sql: string, params: readonly unknown[]): StatementCursor {
    let result: Promise<{ columns: readonly ResultColumn[]; rows: unknown[][] }> | undefined;
    let offset = 0;
    const run = async () => {
      const name = catalogStatementName(sql);
      const answer = await this.connection.client.query<unknown[]>({ name, text: sql, values: [...params], rowMode: 'array' });
      return { columns: await this.describeColumns(answer.fields), rows: answer.rows };
    };
    return {
      read: async (maxRows: number): Promise<RowBatch> => {
        let whole: Awaited<NonNullable<typeof result>>;
        try {
          whole = await (result ??= run());
        } catch (err) {
          if (isStatementTimeout(err)) throw timeoutError(this.options.timeoutMs);
          if (isConnectionFailure(err)) this.isUnhealthy = true;
          throw err;
        }
        const rows = whole.rows.slice(offset, offset + Math.max(0, maxRows));
        offset += rows.length;
        return { columns: whole.columns, rows, done: offset >= whole.rows.length, rowsAffected: null };
      },
      close: async () => undefined,
    };
  }

  /** The transaction's BEGIN for the first statement's exchange, once: nothing when it has gone out already. */
  private takeUnsentBegin(): readonly string[] {
    const begin = this.unsentBegin ?? [];
    this.unsentBegin = null;
    if (begin.length > 0) this.connection.markTransactionBegun();
    return begin;
  }

  /**
   * Whether the exchange that opened the transaction failed only because the reused connection had died while idle
   * (its goodbye not read yet, or a peer on the way dropped it) and, if so, moves the session to another connection
   * for it to be sent again: what beginPooledSession does for a BEGIN sent on its own. Safe because nothing ran:
   * the server parsed nothing of the exchange (its first answer would be BEGIN's ParseComplete), and nothing
   * commits before the session's COMMIT.
   */
  private async beganOnDeadConnection(exchange: PortalStart, err: unknown, parsedBefore: number): Promise<boolean> {
    const isDead = exchange.prelude.length > 0 && this.isReusedConnection && !this.isFinished
      && this.connection.parseCompletes === parsedBefore && mayMeanDeadConnection(err);
    if (!isDead) return false;
    const { rowBudget } = this.connection;
    this.connection.rowBudget = null;
    this.deps.release(this.connection, true);
    this.isReleased = true; // until another connection is ours: a destroy() meanwhile has nothing to release
    const connection = await this.deps.acquire();
    if (this.isFinished) {
      // Given up on (timeout, cancel) while waiting for the pool: the connection goes back unused.
      this.deps.release(connection, false);
      throw err;
    }
    this.adopt(connection);
    this.isReleased = false;
    connection.rowBudget = rowBudget;
    connection.markTransactionBegun();
    return true;
  }

  async cancel(): Promise<void> {
    if (this.isFinished) return;
    // Whatever happens next, this connection was interrupted at an unknown point: never reuse it.
    this.isUnhealthy = true;
    try {
      await this.deps.cancelBackend(this.connection.processId);
    } catch {
      // No side connection (server full, network): drop ours, so that at least the caller is answered now.
      // The server stops the statement at its statement_timeout.
      await this.connection.close();
    }
  }

  async finish(outcome: 'commit' | 'rollback'): Promise<void> {
    if (this.isFinished) return;
    this.isFinished = true;
    this.connection.rowBudget = null;
    let commitError: unknown;
    if (outcome === 'commit' && (this.isUnhealthy || this.connection.isBroken)) {
      // Never report success for changes that a dropped connection is about to roll back.
      commitError = this.connection.isBroken
        ? new UnavailableError('The connection to PostgreSQL was lost before the changes were committed; nothing was changed.')
        : new CancelledError('The statement was cancelled before its changes were committed; nothing was changed.');
    } else if (!this.isUnhealthy && !this.connection.isBroken) {
      const client = this.connection.client;
      try {
        if (outcome === 'commit' && this.unsentBegin === null) {
          // On its own, so that a failed COMMIT (a deferred constraint) reaches the caller as what it is. A failed
          // COMMIT still ends the transaction, so the connection stays reusable.
          commitError = await client.query('COMMIT').then(() => undefined, (err: unknown) => err);
        }
        if (this.hasTransaction && this.unsentBegin === null) {
          const reset = outcome === 'commit' ? SESSION_RESET_SQL : this.resetAfterRollback();
          await client.query(outcome === 'commit' ? reset : `ROLLBACK; ${reset}`);
          this.connection.forgetPreparedStatements(); // both resets DEALLOCATE ALL
          if (reset === SESSION_RESET_SQL) this.connection.statementTimeoutMs = null; // RESET ALL
        }
      } catch {
        this.isUnhealthy = true;
      }
    }
    this.release(this.isUnhealthy || this.connection.isBroken);
    if (commitError !== undefined) throw commitError;
  }

  /**
   * What must follow the rollback so that nothing of this session reaches the next caller. A read-only transaction
   * that only the rollback ends needs the short reset (ROLLED_BACK_READ_RESET_SQL); anything else, the full one.
   */
  private resetAfterRollback(): string {
    return this.options.readOnly && !this.connection.transactionWasEnded ? ROLLED_BACK_READ_RESET_SQL : SESSION_RESET_SQL;
  }

  async terminate(): Promise<void> {
    this.isUnhealthy = true;
    this.terminatedBackendStart = await this.deps.terminateBackend(this.connection.processId);
  }

  destroy(releaseSlotAfter?: Promise<unknown>): void {
    this.isFinished = true;
    this.isUnhealthy = true;
    this.connection.rowBudget = null;
    this.connection.destroy();
    if (releaseSlotAfter) void releaseSlotAfter.then(() => this.release(true), () => this.release(true));
    else this.release(true);
  }

  async isRunningInDatabase(): Promise<boolean | null> {
    return this.deps.isBackendRunning(this.connection.processId, this.terminatedBackendStart).catch(() => null);
  }

  private release(destroy: boolean): void {
    if (this.isReleased) return;
    this.isReleased = true;
    this.deps.release(this.connection, destroy);
  }

  /**
   * The gate refused a row past max_result_bytes and destroyed the socket. The backend notices at its next write;
   * one still computing a row would run on until its statement_timeout, so it is cancelled as well, from the side.
   */
  private stopOversizedStatement(err: ResultTooLargeError): ResultTooLargeError {
    this.isUnhealthy = true;
    void this.deps.cancelBackend(this.connection.processId).catch(() => undefined);
    return err;
  }

  private async describeColumns(fields: readonly FieldDef[]): Promise<ResultColumn[]> {
    const types = await this.deps.typeNames.namesOf(fields.map((field) => field.dataTypeID));
    return fields.map((field, i) => ({ name: field.name, type: types[i]! }));
  }
}

