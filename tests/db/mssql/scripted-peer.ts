/**
 * A scripted stand-in for one SQL Server connection, for the session and cursor tests that need no server.
 *
 * It plays tedious's side of a request the way tedious's token handler and connection do: events on the real
 * tedious.Request ('columnMetadata', 'row', 'doneInProc'), the transaction descriptors ENVCHANGE tokens set,
 * rows dropped once the request is cancelled, no progress while it is paused, tedious's request timeout (which
 * only runs until the first response packet) and the completion callback with ECANCEL / ETIMEOUT / the server's
 * error. What the real server does is covered by mssql-server.test.ts when SQLGATE_TEST_MSSQL_URL is set.
 *
 * It plays either TDS engine's way with transactions (`engine`): SQL Server reports every transaction a request
 * begins or ends in ENVCHANGE notices; Babelfish reports only those of the transaction-manager requests, so a
 * COMMIT or an aborting error inside a statement changes @@TRANCOUNT without a word. The server's own state
 * (`trancount`, a doomed transaction) is kept apart from what the client was told (the descriptors).
 */
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import tedious from 'tedious';
import type { MssqlChannel } from '../../../src/db/mssql/mssql-connection.js';

const require = createRequire(import.meta.url);
const { TYPE } = require('tedious/lib/data-type.js') as { TYPE: Record<number, { id: number; name: string }> };

export const INT = { type: TYPE[0x26]!, dataLength: 4 };
export const BIGINT = { type: TYPE[0x26]!, dataLength: 8 };
export const NVARCHAR = { type: TYPE[0xe7]!, dataLength: 8000 };

/** What a statement's script can do, in the order the server would send it. */
export interface Peer {
  readonly request: tedious.Request;
  columns(...columns: { name: string; type: { type: { name: string }; dataLength: number } }[]): void;
  /** One row; waits while the request is paused, does nothing once it is cancelled. */
  row(...values: unknown[]): Promise<void>;
  done(rowCount?: number): void;
  /** The statement's own COMMIT / ROLLBACK (the transaction ends, every level) or BEGIN TRANSACTION (one level more). */
  endTransaction(kind?: 'commit' | 'rollback'): void;
  beginTransaction(): void;
  /**
   * Fails the statement with a server error; `rollsBack`: the error also rolled the whole transaction back (a
   * deadlock; Babelfish's errors it cannot map), `dooms`: the transaction stays open but cannot commit.
   */
  fail(number: number, message: string, effect?: { rollsBack?: boolean; dooms?: boolean }): never;
  /** Resolves after `ms`, or as soon as the request is cancelled. */
  sleep(ms: number): Promise<void>;
  readonly isCancelled: boolean;
}

export type Script = (peer: Peer) => Promise<void>;

/** How an engine reports transactions (see above). */
export type TdsEngine = 'sql-server' | 'babelfish';
export const TDS_ENGINES: readonly TdsEngine[] = ['sql-server', 'babelfish'];

/** sp_set_session_context as sqlgate's own batch writes it (mssql-session.ts). */
const SET_SESSION_CONTEXT = /EXEC sys\.sp_set_session_context @key = N'((?:[^']|'')*)', @value = (NULL|N'((?:[^']|'')*)'), @read_only = ([01]);/g;

export class ScriptedPeer implements MssqlChannel {
  isBroken = false;
  sessionCount = 0;
  hasSessionContext = false;
  lockTimeoutMs: number | null = null;
  rollbacksReported = 0;
  /** The server's @@TRANCOUNT, whatever the client was told. */
  trancount = 0;
  private isDoomed = false;
  /**
   * Every batch in order; a connection reset (sp_reset_connection) shows as `<reset>`, the transaction-manager
   * requests as `<begin>`, `<commit>`, `<rollback>`, the @@TRANCOUNT check as `<state>`.
   */
  readonly batches: string[] = [];
  /** SESSION_CONTEXT as the server would hold it: key → value and whether it is read-only. */
  readonly sessionContext = new Map<string, { value: string | null; isReadOnly: boolean }>();
  readonly requests: tedious.Request[] = [];
  /** Highest number of rows sent while the client had not yet resumed (backpressure check). */
  pausedCount = 0;
  cancelCount = 0;
  rowsSent = 0;
  private descriptors: Buffer[] = [Buffer.alloc(8)];
  private nextTransactionId = 1;
  private readonly scripts: Script[] = [];

  constructor(readonly engine: TdsEngine = 'sql-server') {}

  /** Scripts for the next statements, in order. */
  willRun(...scripts: Script[]): this {
    this.scripts.push(...scripts);
    return this;
  }

  async runBatch(sql: string): Promise<void> {
    this.checkOpen();
    this.batches.push(sql);
    this.setSessionContext(sql);
  }

  /** sp_reset_connection: a new logical connection, without session context, SET options or transaction. */
  async reset(): Promise<void> {
    this.checkOpen();
    this.batches.push('<reset>');
    this.sessionContext.clear();
    this.lockTimeoutMs = null;
    this.trancount = 0;
    this.descriptors.length = 1;
  }

  /** Transaction-manager requests: every engine reports what these do. */
  async beginTransaction(): Promise<void> {
    this.checkOpen();
    this.batches.push('<begin>');
    this.begin(true);
  }

  async commitTransaction(): Promise<void> {
    this.checkOpen();
    this.batches.push('<commit>');
    if (this.trancount === 0) throw serverError(3902, 'The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION.');
    if (this.isDoomed) throw serverError(3930, 'The current transaction cannot be committed and cannot support operations that write to the log file. Roll back the transaction.');
    if (--this.trancount === 0) this.ended('commit', true);
  }

  async rollbackTransaction(): Promise<void> {
    this.checkOpen();
    this.batches.push('<rollback>');
    if (this.trancount === 0) throw serverError(3903, 'The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION.');
    this.ended('rollback', true);
  }

  async transactionState(): Promise<{ count: number; state: number }> {
    this.checkOpen();
    this.batches.push('<state>');
    return { count: this.trancount, state: this.trancount === 0 ? 0 : this.isDoomed ? -1 : 1 };
  }

  private checkOpen(): void {
    if (this.isBroken) throw new tedious.RequestError('Requests can only be made in the LoggedIn state, not the Final state', 'EINVALIDSTATE');
  }

  /** One level more; a new outermost transaction is reported by SQL Server always, by Babelfish only for its TM request. */
  private begin(isTransactionManager: boolean): void {
    if (this.trancount++ > 0) return;
    if (!isTransactionManager && this.engine === 'babelfish') return;
    const descriptor = Buffer.alloc(8);
    descriptor.writeUInt32LE(this.nextTransactionId++);
    this.descriptors = [this.descriptors[0]!, descriptor];
  }

  /** Every level ends; reported (ENVCHANGE commit or rollback) as the engine does. */
  private ended(kind: 'commit' | 'rollback', isTransactionManager: boolean): void {
    this.trancount = 0;
    this.isDoomed = false;
    if (!isTransactionManager && this.engine === 'babelfish') return;
    this.descriptors.length = 1;
    if (kind === 'rollback') this.rollbacksReported++;
  }

  /** Like SQL Server, refuses to change a key set read-only earlier on this logical connection (error 15664). */
  private setSessionContext(sql: string): void {
    for (const [, key, value, text, readOnly] of sql.matchAll(SET_SESSION_CONTEXT)) {
      const name = key!.replaceAll("''", "'");
      if (this.sessionContext.get(name)?.isReadOnly) {
        throw serverError(15664, `Cannot set key '${name}' in the session context. The key has been set as read_only for this session.`);
      }
      this.sessionContext.set(name, { value: value === 'NULL' ? null : text!.replaceAll("''", "'"), isReadOnly: readOnly === '1' });
    }
  }

  transactionDescriptor(): Buffer | null {
    return this.descriptors.length > 1 ? this.descriptors.at(-1)! : null;
  }

  /** Bytes are not simulated here: the wire count is tested with real tedious (mssql-result-bytes.test.ts). */
  watchResult(): () => void {
    return () => undefined;
  }

  /** Like tedious's close(): the running request completes with ECLOSE, and the connection is gone. */
  destroy(): void {
    this.isBroken = true;
    const request = this.requests.at(-1);
    if (request && !request.canceled) {
      request.error = new tedious.RequestError('Connection closed before request completed.', 'ECLOSE');
      request.cancel();
    }
  }

  execSql(request: tedious.Request): void {
    this.requests.push(request);
    const script = this.scripts.shift() ?? (async () => undefined);
    let hasResponded = false;
    let wakeSleeper: (() => void) | null = null;
    const respond = () => {
      hasResponded = true;
      clearTimeout(requestTimer);
    };
    // tedious's request timer: cancels and fails with ETIMEOUT unless the first response packet came in time.
    const requestTimer = request.timeout
      ? setTimeout(() => {
          request.cancel();
          request.error = new tedious.RequestError(`Timeout: Request failed to complete in ${request.timeout}ms`, 'ETIMEOUT');
        }, request.timeout)
      : undefined;
    request.once('cancel', () => {
      this.cancelCount++;
      request.error ??= new tedious.RequestError('Canceled.', 'ECANCEL');
      if (request.paused) request.resume();
      wakeSleeper?.();
    });
    const peer: Peer = {
      request,
      columns: (...columns) => {
        respond();
        if (request.canceled) return;
        (request as EventEmitter).emit('columnMetadata', columns.map((c) => ({ colName: c.name, ...c.type, precision: undefined, scale: undefined, collation: undefined, udtInfo: undefined, userType: 0, flags: 0 })));
      },
      row: async (...values) => {
        respond();
        while (request.paused && !request.canceled) {
          this.pausedCount++;
          await new Promise((resolve) => request.once('resume', resolve));
        }
        if (request.canceled) return;
        request.emit('row', values.map((value) => ({ value, metadata: {} })));
        this.rowsSent++;
        await new Promise((resolve) => setImmediate(resolve));
      },
      done: (rowCount) => {
        respond();
        if (!request.canceled) request.emit('doneInProc', rowCount, true, []);
      },
      endTransaction: (kind = 'commit') => this.ended(kind, false),
      beginTransaction: () => this.begin(false),
      fail: (number, message, effect = {}) => {
        if (effect.rollsBack) this.ended('rollback', false);
        if (effect.dooms && this.trancount > 0) this.isDoomed = true;
        throw serverError(number, message);
      },
      sleep: (ms) =>
        new Promise<void>((resolve) => {
          if (request.canceled) return resolve();
          const timer = setTimeout(resolve, ms);
          wakeSleeper = () => {
            clearTimeout(timer);
            resolve();
          };
        }),
      get isCancelled() {
        return request.canceled;
      },
    };
    void (async () => {
      let error: Error | undefined;
      try {
        await script(peer);
      } catch (err) {
        error = err as Error;
      }
      clearTimeout(requestTimer);
      await new Promise((resolve) => setImmediate(resolve));
      request.callback(request.error ?? error);
    })();
  }
}

/** A server error as tedious builds it from an ERROR token. */
export function serverError(number: number, message: string): Error {
  return Object.assign(new tedious.RequestError(message, 'EREQUEST'), { number, class: 16, state: 1 });
}
