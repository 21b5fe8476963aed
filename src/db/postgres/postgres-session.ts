/**
 * A session on one pooled PostgreSQL connection: one transaction (READ ONLY when asked) with a local
 * statement_timeout, statements streamed through pg-cursor.
 *
 * pg-cursor always uses the extended protocol (Parse/Bind/Execute), and PostgreSQL refuses more than one statement
 * in a Parse, so `SELECT 1; COMMIT; DROP TABLE x` fails in the server before anything runs. Rows are fetched
 * `maxRows` at a time from a named portal, never the whole result.
 */
import Cursor from 'pg-cursor';
import type { Client, Connection, FieldDef } from 'pg';
import { CancelledError, QueryFailedError, UnavailableError } from '../../errors.js';
import { timeoutError } from '../run-query.js';
import type { Cursor as StatementCursor, ResultColumn, RowBatch, Session, SessionContext, SessionOptions } from '../dialect.js';
import { sessionContextEntries } from '../session-context.js';
import { SESSION_RESET_SQL, type PostgresConnection } from './postgres-connection.js';
import { isConnectionFailure, isStatementTimeout } from './postgres-errors.js';
import type { PostgresTypeNames } from './postgres-type-names.js';

/** Commands whose completion tag counts changed rows. */
const WRITE_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/**
 * pg hands COPY messages to whatever query is active, and pg-cursor has no handlers for them: without these, a
 * `COPY … TO STDOUT` throws inside the driver's socket handler and takes the whole process down. COPY data is
 * neither read nor sent; the statement is reported as unsupported instead.
 */
class CopySafeCursor extends Cursor {
  hasCopyData = false;
  hasCopyIn = false;

  handleCopyInResponse(connection: Connection): void {
    this.hasCopyIn = true;
    (connection as unknown as { sendCopyFail(message: string): void }).sendCopyFail('sqlgate sends no COPY data');
  }

  handleCopyData(): void {
    this.hasCopyData = true;
  }
}

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
  /** Returns the connection to the pool, or destroys it. */
  release(destroy: boolean): void;
}

export class PostgresSession implements Session {
  private isFinished = false;
  /** Set when the connection's state can no longer be trusted: it is destroyed at finish instead of reused. */
  private isUnhealthy = false;

  private constructor(
    private readonly connection: PostgresConnection,
    private readonly options: SessionOptions,
    private readonly deps: PostgresSessionDeps,
  ) {}

  /** Opens the transaction. On failure the caller still owns the connection and must destroy it. */
  static async begin(connection: PostgresConnection, options: SessionOptions, deps: PostgresSessionDeps): Promise<PostgresSession> {
    const timeoutMs = Math.max(1, Math.trunc(options.timeoutMs));
    // SET LOCAL and set_config(…, true) end with the transaction, so neither the timeout nor the caller leaks to the
    // next session. One round trip.
    const statements = [options.readOnly ? 'BEGIN READ ONLY' : 'BEGIN', `SET LOCAL statement_timeout = ${timeoutMs}`];
    if (options.sessionContext) statements.push(sessionContextSql(connection.client, options.sessionContext));
    await connection.client.query(statements.join('; '));
    connection.sessionCount++;
    return new PostgresSession(connection, options, deps);
  }

  execute(sql: string, params: readonly unknown[]): StatementCursor {
    const cursor = this.connection.client.query(new CopySafeCursor(sql, [...params], { rowMode: 'array' }));
    let columns: readonly ResultColumn[] | null = null;
    let rowsAffected: number | null = null;
    let isDone = false;
    let hasFailed = false;
    return {
      read: async (maxRows: number): Promise<RowBatch> => {
        if (isDone || hasFailed || maxRows < 1) return { columns: columns ?? [], rows: [], done: isDone || hasFailed, rowsAffected };
        let batch: { rows: unknown[][]; fields: FieldDef[]; command: string | null; rowCount: number | null };
        try {
          batch = await readRows(cursor, maxRows);
        } catch (err) {
          hasFailed = true;
          if (isStatementTimeout(err)) throw timeoutError(this.options.timeoutMs);
          if (cursor.hasCopyIn) throw copyUnsupported();
          if (isConnectionFailure(err)) this.isUnhealthy = true;
          throw err;
        }
        // An Execute limited to n rows returns fewer only when the portal is exhausted.
        isDone = batch.rows.length < maxRows;
        if (cursor.hasCopyData) {
          hasFailed = true;
          throw copyUnsupported();
        }
        if (columns === null) columns = await this.describeColumns(batch.fields);
        if (isDone && batch.command !== null && WRITE_COMMANDS.has(batch.command)) rowsAffected = batch.rowCount;
        return { columns, rows: batch.rows, done: isDone, rowsAffected };
      },
      close: async () => {
        if (isDone || hasFailed) return;
        isDone = true;
        try {
          // Closes the portal and syncs (also when nothing was read yet: the Parse/Bind went out at execute), so
          // the connection is ready for the next command again.
          await cursor.close();
        } catch {
          this.isUnhealthy = true;
        }
      },
    };
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
    let commitError: unknown;
    if (outcome === 'commit' && (this.isUnhealthy || this.connection.isBroken)) {
      // Never report success for changes that a dropped connection is about to roll back.
      commitError = this.connection.isBroken
        ? new UnavailableError('The connection to PostgreSQL was lost before the changes were committed; nothing was changed.')
        : new CancelledError('The statement was cancelled before its changes were committed; nothing was changed.');
    } else if (!this.isUnhealthy && !this.connection.isBroken) {
      const client = this.connection.client;
      try {
        if (outcome === 'commit') {
          // On its own, so that a failed COMMIT (a deferred constraint) reaches the caller as what it is. A failed
          // COMMIT still ends the transaction, so the connection stays reusable.
          commitError = await client.query('COMMIT').then(() => undefined, (err: unknown) => err);
        }
        await client.query(outcome === 'commit' ? SESSION_RESET_SQL : `ROLLBACK; ${SESSION_RESET_SQL}`);
      } catch {
        this.isUnhealthy = true;
      }
    }
    this.deps.release(this.isUnhealthy || this.connection.isBroken);
    if (commitError !== undefined) throw commitError;
  }

  private async describeColumns(fields: readonly FieldDef[]): Promise<ResultColumn[]> {
    const types = await this.deps.typeNames.namesOf(fields.map((field) => field.dataTypeID));
    return fields.map((field, i) => ({ name: field.name, type: types[i]! }));
  }
}

/** One `read` of pg-cursor, with the result metadata its promise form leaves out. */
function readRows(
  cursor: CopySafeCursor,
  maxRows: number,
): Promise<{ rows: unknown[][]; fields: FieldDef[]; command: string | null; rowCount: number | null }> {
  return new Promise((resolve, reject) => {
    cursor.read(maxRows, (err, rows, result) => {
      if (err) reject(err);
      else resolve({ rows: rows as unknown[][], fields: result?.fields ?? [], command: result?.command ?? null, rowCount: result?.rowCount ?? null });
    });
  });
}
