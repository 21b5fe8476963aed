/**
 * One tedious connection: the resource our ResourcePool holds for SQL Server.
 *
 * Why raw tedious and not an `mssql.ConnectionPool` of one: a session's transaction and SET LOCK_TIMEOUT live on
 * one physical connection, and the read-only checks watch that connection's transaction descriptor. mssql's pool
 * (tarn) replaces a broken connection behind the caller's back, so a session could continue on a fresh
 * connection outside its transaction; it also opens and drops a throw-away test connection on every connect, and
 * its request API hides per-request timeouts and the live tedious request. Our ResourcePool already bounds,
 * waits for and expires connections; tedious underneath is what mssql would drive anyway.
 */
import type { EventEmitter } from 'node:events';
import tedious, { type ConnectionConfiguration } from 'tedious';
import type { WireByteBudget } from '../wire-byte-budget.js';
import type { WireFrameMeter } from '../wire-frame-meter.js';
import { guardAttentionAcknowledgement } from './mssql-attention-guard.js';
import { MssqlConnectError } from './mssql-errors.js';
import { useExactValues } from './mssql-exact-values.js';
import { installMssqlPacketMeter } from './mssql-packet-meter.js';

/** Time allowed for sqlgate's own short requests (transaction-manager requests, SET, the transaction check). */
export const CONTROL_TIMEOUT_MS = 10_000;

/** What the server says of the connection's transaction now: @@TRANCOUNT and XACT_STATE() (1 open, -1 doomed, 0 none). */
export interface TransactionState {
  readonly count: number;
  readonly state: number;
}

/**
 * What sessions and cursors use of a connection. MssqlConnection is the one implementation; the unit tests drive
 * sessions with a scripted one that plays tedious's side of the protocol.
 */
export interface MssqlChannel {
  readonly isBroken: boolean;
  sessionCount: number;
  /** A session set read-only session-context keys on this connection: the next one must reset it first. */
  hasSessionContext: boolean;
  /** The LOCK_TIMEOUT sqlgate last set on this logical connection; null: not set since it opened or was reset. */
  lockTimeoutMs: number | null;
  runBatch(sql: string, timeoutMs?: number): Promise<void>;
  /**
   * The TDS transaction-manager requests (what tedious's beginTransaction() & co. send). Every TDS engine reports
   * the transactions these begin and end; not every one reports a BEGIN/COMMIT inside a batch (Babelfish does not).
   */
  beginTransaction(): Promise<void>;
  commitTransaction(): Promise<void>;
  rollbackTransaction(): Promise<void>;
  /** @@TRANCOUNT and XACT_STATE() in one small batch: what the server itself says, notices or not. */
  transactionState(): Promise<TransactionState>;
  /**
   * Starts a new logical connection on the same socket, as connection pools do: sp_reset_connection (the TDS
   * RESETCONNECTION flag), which drops the session context, temp tables and SET options, and then tedious's own
   * initial SET options again. One round trip.
   */
  reset(): Promise<void>;
  /** Sends one request as sp_executesql (RPC) with its declared parameters. */
  execSql(request: tedious.Request): void;
  /** The transaction the server reported open on this connection (ENVCHANGE notices), or null outside one. */
  transactionDescriptor(): Buffer | null;
  /** Rollbacks the server reported (ENVCHANGE) since the connection opened: an ended transaction that is not one was committed. */
  readonly rollbacksReported: number;
  /**
   * Counts what the server sends from now on against `budget`, on the wire (mssql-packet-meter.ts), until the
   * returned function is called; past it nothing more reaches the driver and `onExceeded` is called once.
   */
  watchResult(budget: WireByteBudget, onExceeded: () => void): () => void;
  /** Drops the connection at once; a running request completes with ECLOSE. It is never used again. */
  destroy(): void;
}

export class MssqlConnection implements MssqlChannel {
  private isEnded = false;
  /** Sessions served; a failure on a reused connection may just mean it died while idle. */
  sessionCount = 0;
  hasSessionContext = false;
  lockTimeoutMs: number | null = null;
  rollbacksReported = 0;

  private readonly meter: WireFrameMeter;

  private constructor(readonly client: tedious.Connection) {
    this.meter = installMssqlPacketMeter(client);
    guardAttentionAcknowledgement(client);
    client.on('end', () => (this.isEnded = true));
    // tedious tells of a reported rollback with this event, and of a commit with nothing: counting the one tells them apart.
    (client as EventEmitter).on('rollbackTransaction', () => this.rollbacksReported++);
    // After login, tedious reports a lost socket here and to the request that was running; the request's caller
    // handles it, this only marks the connection as not reusable (an 'error' without a listener would crash).
    client.on('error', () => (this.isEnded = true));
  }

  /** Connects and logs in; a failure is an MssqlConnectError carrying the server's login error number, if any. */
  static open(config: ConnectionConfiguration): Promise<MssqlConnection> {
    return new Promise((resolve, reject) => {
      let connection: tedious.Connection;
      try {
        connection = new tedious.Connection(config);
      } catch (err) {
        reject(new MssqlConnectError((err as { code?: string }).code, undefined, { cause: err }));
        return;
      }
      useExactValues(connection.config.options);
      let loginErrorNumber: number | undefined;
      const onLoginError = (token: { number: number }) => (loginErrorNumber ??= token.number);
      const onEarlyError = () => undefined;
      connection.on('errorMessage', onLoginError);
      connection.on('error', onEarlyError);
      connection.connect((err) => {
        connection.off('errorMessage', onLoginError);
        if (err) {
          // The listener for late 'error' events stays: nothing else listens on this connection any more.
          connection.close();
          reject(new MssqlConnectError((err as { code?: string }).code, loginErrorNumber, { cause: err }));
        } else {
          try {
            const opened = new MssqlConnection(connection);
            connection.off('error', onEarlyError);
            resolve(opened);
          } catch (err) {
            connection.close();
            reject(err);
          }
        }
      });
    });
  }

  /** True once the socket is gone or tedious gave up on the connection: it must not be used again. */
  get isBroken(): boolean {
    return this.isEnded || this.client.closed;
  }

  /**
   * Runs sqlgate's own T-SQL as a batch (the session context carries the caller's name, quoted). Never a user's
   * statement: those go through sp_executesql only
   * (MssqlCursor), where a SET reverts when the call returns and GO is a syntax error.
   */
  runBatch(sql: string, timeoutMs = CONTROL_TIMEOUT_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      const request = new tedious.Request(sql, (err) => (err ? reject(err) : resolve()));
      request.setTimeout(timeoutMs);
      this.client.execSqlBatch(request);
    });
  }

  reset(): Promise<void> {
    this.lockTimeoutMs = null; // sp_reset_connection sets it back to the server's default
    return new Promise((resolve, reject) => this.client.reset((err) => (err ? reject(err) : resolve())));
  }

  beginTransaction(): Promise<void> {
    return this.transactionRequest((done) => this.client.beginTransaction(done));
  }

  commitTransaction(): Promise<void> {
    return this.transactionRequest((done) => this.client.commitTransaction(done));
  }

  rollbackTransaction(): Promise<void> {
    return this.transactionRequest((done) => this.client.rollbackTransaction(done));
  }

  transactionState(): Promise<TransactionState> {
    return new Promise((resolve, reject) => {
      let state: TransactionState | null = null;
      const request = new tedious.Request('SELECT @@TRANCOUNT, XACT_STATE()', (err) => {
        if (err) reject(err);
        else if (state === null) reject(new Error('SQL Server returned no row for @@TRANCOUNT, XACT_STATE()'));
        else resolve(state);
      });
      request.setTimeout(CONTROL_TIMEOUT_MS);
      request.on('row', (columns: { value: unknown }[]) => (state = { count: Number(columns[0]?.value), state: Number(columns[1]?.value) }));
      this.client.execSqlBatch(request);
    });
  }

  execSql(request: tedious.Request): void {
    this.client.execSql(request);
  }

  watchResult(budget: WireByteBudget, onExceeded: () => void): () => void {
    return this.meter.watch(budget, onExceeded);
  }

  destroy(): void {
    this.isEnded = true;
    this.client.close();
  }

  /** The descriptor of the transaction the server reports open on this connection, or null outside one. */
  transactionDescriptor(): Buffer | null {
    if (!this.client.inTransaction) return null;
    return this.client.transactionDescriptors.at(-1) ?? null;
  }

  /**
   * tedious's transaction-manager calls take no timeout of their own: a server that stops answering one is given
   * CONTROL_TIMEOUT_MS, then the connection is dropped (the request fails, and the connection is never reused).
   */
  private transactionRequest(send: (done: (err: Error | null | undefined) => void) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.destroy(), CONTROL_TIMEOUT_MS);
      send((err) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      });
    });
  }

  close(): Promise<void> {
    if (this.isBroken) return Promise.resolve();
    return new Promise((resolve) => {
      this.client.once('end', () => resolve());
      this.client.close();
    });
  }
}
