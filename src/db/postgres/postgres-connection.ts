/**
 * One pg.Client as the pool holds it: connected with the session settings the type parsers rely on, its server
 * messages passed through the gate that counts a statement's row bytes (postgres-message-gate.ts), and marked broken
 * as soon as the driver reports the socket gone, so the pool destroys it instead of handing it out.
 */
import pg from 'pg';
import type { WireByteBudget } from '../wire-byte-budget.js';
import type { PostgresConnectionOptions } from './postgres-connection-options.js';
import { gateServerMessages } from './postgres-message-gate.js';
import { POSTGRES_TYPES } from './postgres-types.js';

/**
 * Pinned at connect so every value parses the same whatever the server's defaults: timestamptz in UTC, ISO dates
 * and intervals (ISO 8601 in the results), hex bytea, and floats printed shortest-exact (any value > 0 on
 * PostgreSQL 12+, the most digits before).
 */
// standard_conforming_strings = on: with it off, a backslash in a literal ('x\' …) ends the string differently for
// the server than for the statement gate, which parses with the standard rules.
export const SESSION_SETUP_SQL =
  "SET standard_conforming_strings = on; SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601'; SET bytea_output = 'hex'; SET extra_float_digits = 3";

/**
 * Run after every session, outside its transaction: whatever a statement left behind that a rollback does not
 * undo (advisory locks, PREPARE, WITH HOLD cursors, LISTEN, temp tables, a committed SET or SET ROLE) must not
 * reach the next caller. This is DISCARD ALL, which cannot share a round trip with other statements, minus
 * SET SESSION AUTHORIZATION (superuser only), followed by the setup again.
 */
export const SESSION_RESET_SQL =
  'SELECT pg_advisory_unlock_all(); CLOSE ALL; DEALLOCATE ALL; UNLISTEN *; DISCARD TEMP; DISCARD SEQUENCES; RESET ALL; ' +
  SESSION_SETUP_SQL;

/**
 * After a read-only transaction that was rolled back and that no statement ended (transactionWasEnded): the rollback
 * itself undid every SET and set_config, temporary table, LISTEN and cursor. What a rollback leaves behind is only
 * this: session advisory locks, prepared statements and the sequence values nextval cached (a read-only transaction
 * cannot call nextval, unless a statement made it read-write before its first query). Three statements instead of
 * the full reset's fourteen, a good part of a small query's cost in the database (issue 12).
 */
export const ROLLED_BACK_READ_RESET_SQL = 'SELECT pg_advisory_unlock_all(); DEALLOCATE ALL; DISCARD SEQUENCES';

/**
 * sqlgate's own catalog statements run as named prepared statements: parsed and planned once per connection, as long
 * as no user session's reset dropped them, where planning cost as much as running (list_tables, issue 12). Their
 * texts are constants in the introspectors; past MAX_NAMED_STATEMENTS distinct texts the rest run unnamed, so that
 * a text built at run time could never grow the server's memory without end.
 */
const MAX_NAMED_STATEMENTS = 64;
const statementNames = new Map<string, string>();

/** The name for a catalog statement's text, or undefined: run it unnamed. */
export function catalogStatementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    statementNames.set(text, (name = `sqlgate_catalog_${statementNames.size + 1}`));
  }
  return name;
}

/** Completion tags of the statements that end a transaction: COMMIT/END, ROLLBACK/ABORT (AND CHAIN too), 2PC. */
const ENDS_TRANSACTION = /^(COMMIT|ROLLBACK|PREPARE TRANSACTION)\b/;

export class PostgresConnection {
  private isLost = false;
  /** Sessions served so far: a connection that has waited in the pool may have died without telling us yet. */
  sessionCount = 0;
  /** The running statement's row bytes, counted on the wire; set by the session per statement, null otherwise. */
  rowBudget: WireByteBudget | null = null;
  private hasLeftTransaction = true;
  /** The session-level statement_timeout sqlgate set (catalog sessions), or null: the server's default. */
  statementTimeoutMs: number | null = null;
  /** ParseCompletes the server sent so far: one more means it read and parsed what was sent since (a sign of life). */
  parseCompletes = 0;

  private constructor(readonly client: pg.Client) {
    // Without an 'error' listener, a connection dropped while idle (or destroyed by the gate) would crash the process.
    client.on('error', () => (this.isLost = true));
    client.on('end', () => (this.isLost = true));
    gateServerMessages(client, () => this.rowBudget);
    coalesceWrites(client);
    // What the server reports, not what the statements look like: outside a transaction block at a ReadyForQuery, or
    // a completed COMMIT/ROLLBACK (COMMIT AND CHAIN starts a new transaction, so the status alone would not tell).
    const connection = client.connection as unknown as NodeJS.EventEmitter;
    connection.on('readyForQuery', (message: { status?: string }) => {
      if (message.status === 'I') this.hasLeftTransaction = true;
    });
    connection.on('commandComplete', (message: { text?: string }) => {
      if (ENDS_TRANSACTION.test(message.text ?? '')) this.hasLeftTransaction = true;
    });
    connection.on('parseComplete', () => this.parseCompletes++);
  }

  /** Called once sqlgate's BEGIN has completed or gone out: from here on, transactionWasEnded watches the session's statements. */
  markTransactionBegun(): void {
    this.hasLeftTransaction = false;
  }

  /** Whether the server reported the transaction begun at markTransactionBegun() ended since (true before any). */
  get transactionWasEnded(): boolean {
    return this.hasLeftTransaction;
  }

  /**
   * pg's record of the named statements it parsed on this connection, emptied after a reset's DEALLOCATE ALL (the
   * server forgot them): the next catalog statement is parsed again instead of bound to a statement that is gone.
   */
  forgetPreparedStatements(): void {
    const connection = this.client.connection as unknown as { parsedStatements: object; submittedNamedStatements: object };
    connection.parsedStatements = {};
    connection.submittedNamedStatements = {};
  }

  /** True once the socket is gone; such a connection can only be destroyed. */
  get isBroken(): boolean {
    return this.isLost;
  }

  /** The backend's process id, for pg_cancel_backend. */
  get processId(): number {
    return (this.client as unknown as { processID: number }).processID;
  }

  /**
   * Connects (TLS per the options, with libpq's plaintext fallback for sslmode allow/prefer) and, unless this is
   * a short-lived side connection, applies the session settings.
   */
  static async open(options: PostgresConnectionOptions, { isSideConnection = false } = {}): Promise<PostgresConnection> {
    try {
      return await PostgresConnection.connect(options.client, isSideConnection);
    } catch (err) {
      if (options.plaintextFallback && isTlsRefused(err)) return PostgresConnection.connect(options.plaintextFallback, isSideConnection);
      throw err;
    }
  }

  private static async connect(config: pg.ClientConfig, isSideConnection: boolean): Promise<PostgresConnection> {
    const connection = new PostgresConnection(new pg.Client({ ...config, types: POSTGRES_TYPES }));
    try {
      await connection.client.connect();
      if (!isSideConnection) await connection.client.query(SESSION_SETUP_SQL);
      return connection;
    } catch (err) {
      await connection.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    this.isLost = true;
    await this.client.end().catch(() => undefined);
  }

  /**
   * Drops the socket at once, whatever runs on it: close() says goodbye first when nothing runs, and a server that
   * went silent would never answer it. A running query fails with "Connection terminated unexpectedly".
   */
  destroy(): void {
    this.isLost = true;
    (this.client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  }
}

/** Runs `use` on a new connection that is closed afterwards: cancel and catalog look-ups while a session is busy. */
export async function withSideConnection<T>(options: PostgresConnectionOptions, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const connection = await PostgresConnection.open(options, { isSideConnection: true });
  try {
    return await use(connection.client);
  } finally {
    await connection.close();
  }
}

/**
 * pg writes each protocol message with a write of its own (only pg's Query corks them): a statement's Parse, Bind,
 * Describe, Execute and Sync (postgres-portal.ts) would be five writes, each waking the backend for a part of the
 * request. Writes made
 * in one tick go out as one (the socket corked until the next tick), so the server wakes once per round trip. On
 * the Connection pg built for this client, as postgres-message-gate.ts hooks it, and on whatever stream it has then
 * (TLS replaces the socket after the handshake).
 */
function coalesceWrites(client: pg.Client): void {
  const connection = client.connection as unknown as { stream: NodeJS.WritableStream & { cork(): void; uncork(): void; writable: boolean }; _send(buffer: Buffer): boolean; flush(): void };
  if (typeof connection._send !== 'function' || typeof connection.flush !== 'function') return;
  let corked: { uncork(): void } | null = null;
  const write = (buffer: Buffer): boolean => {
    const stream = connection.stream;
    if (!stream.writable) return false;
    if (corked !== stream) {
      stream.cork();
      corked = stream;
      process.nextTick(() => {
        corked = null;
        stream.uncork();
      });
    }
    return stream.write(buffer);
  };
  connection._send = write;
  connection.flush = () => void write(FLUSH_MESSAGE);
}

/** The protocol's Flush message: 'H' and its length. */
const FLUSH_MESSAGE = Buffer.from([0x48, 0, 0, 0, 4]);

function isTlsRefused(err: unknown): boolean {
  return err instanceof Error && err.message === 'The server does not support SSL connections';
}
