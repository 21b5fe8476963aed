/**
 * A scripted SQL Server on the wire, for tests that need real tedious bytes (the result-size count, connection
 * failures) and no SQL Server: it speaks enough TDS 7.4 for tedious and sqlgate — PRELOGIN (no encryption, or TDS 8
 * `strict` TLS from the first byte), LOGIN7, SQL batches with the transaction ENVCHANGEs sqlgate's sessions check,
 * sp_executesql RPCs answered by scripts, ATTENTION with its acknowledgement — and nothing else. Statements are
 * matched by a regular expression on their text; `SELECT 1` (ping) answers 1, anything else an error 208.
 *
 * Values of any size are written as they are produced (PLP chunks, with the socket's backpressure), so a script can
 * send a gigabyte without holding it. (The event-level stand-in for session tests is scripted-peer.ts.)
 */
import net from 'node:net';
import tls from 'node:tls';
import {
  batchText, bVarbyte, bVarchar, colMetadata, envChange, errorToken, MessageWriter, preloginResponse, rpcStatement, uint32BE,
  type TdsColumn, type TdsValue,
} from './tds-wire-format.js';

const TYPE = { SQL_BATCH: 0x01, RPC: 0x03, ATTENTION: 0x06, TRANSACTION_MANAGER: 0x0e, LOGIN7: 0x10, PRELOGIN: 0x12 } as const;
/** Transaction-manager request types (MS-TDS 2.2.6.9). */
const TM = { BEGIN: 5, COMMIT: 7, ROLLBACK: 8 } as const;
const DONE = { FINAL: 0x00, MORE: 0x01, ERROR: 0x02, COUNT: 0x10, ATTN: 0x20 } as const;

export type { TdsColumn, TdsValue };

export interface TdsResponder {
  columns(...columns: TdsColumn[]): Promise<void>;
  row(...values: TdsValue[]): Promise<void>;
  /** True once the client sent ATTENTION (cancel): further rows are dropped. */
  readonly isCancelled: boolean;
  /** The statement's own COMMIT/ROLLBACK (every level) or BEGIN TRANSACTION (one level more), reported as the engine does. */
  endTransaction(kind?: 'commit' | 'rollback'): Promise<void>;
  beginTransaction(): Promise<void>;
  /** Rows the statement changed: its DONE carries this count (without it, only a result set's rows are counted). */
  changed(rows: number): void;
}

/** A script's error: `{ number }` for the server's error number; `rollsBack`: it also rolled the transaction back. */
export type TdsScriptError = Error & { number?: number; rollsBack?: boolean };

export type TdsScript = (reply: TdsResponder) => Promise<void>;

export interface TdsWirePeerOptions {
  /** TDS 8.0 (`encrypt=strict`): TLS from the first byte, with this certificate. */
  tls?: { cert: Buffer; key: Buffer };
  /** 'sql-server' (the default) reports every transaction change; 'babelfish' only the transaction-manager requests'. */
  engine?: 'sql-server' | 'babelfish';
}

export class TdsWirePeer {
  private readonly scripts: { pattern: RegExp; script: TdsScript }[] = [];
  private readonly sockets = new Set<net.Socket>();
  /** Client connections that completed a login. */
  logins = 0;
  attentions = 0;
  /** Bytes written for responses, over all connections. */
  bytesSent = 0;
  /**
   * A broken server: on ATTENTION it stops in the middle of the value it is sending, so the rest of the cancelled
   * answer does not parse.
   */
  breaksValuesOnCancel = false;

  /** Statements (RPC texts) and batches in the order received; transaction-manager requests as `<begin>` etc. */
  readonly received: string[] = [];

  private constructor(
    private readonly server: net.Server,
    readonly engine: 'sql-server' | 'babelfish',
  ) {}

  static async start(options: TdsWirePeerOptions = {}): Promise<TdsWirePeer> {
    let peer!: TdsWirePeer;
    const onSocket = (socket: net.Socket) => peer.serve(socket);
    const server = options.tls
      ? tls.createServer({ cert: options.tls.cert, key: options.tls.key, ALPNProtocols: ['tds/8.0'] }, onSocket)
      : net.createServer(onSocket);
    peer = new TdsWirePeer(server, options.engine ?? 'sql-server');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return peer;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Answers statements whose text matches `pattern` with `script` (the latest match wins). */
  answer(pattern: RegExp, script: TdsScript): this {
    this.scripts.unshift({ pattern, script });
    return this;
  }

  /** Drops every client connection, as a server restart or a failover would; new ones are still accepted. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const session = new PeerSession(this, socket, () => this.breaksValuesOnCancel);
    let pending = Buffer.alloc(0);
    let message: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 8 && pending.length >= pending.readUInt16BE(2)) {
        const length = pending.readUInt16BE(2);
        const [type, status] = [pending[0]!, pending[1]!];
        message.push(pending.subarray(8, length));
        pending = pending.subarray(length);
        if ((status & 0x01) === 0) continue;
        const payload = Buffer.concat(message);
        message = [];
        session.receive(type, payload);
      }
    });
  }

  scriptFor(sql: string): TdsScript {
    const match = this.scripts.find(({ pattern }) => pattern.test(sql));
    if (match) return match.script;
    if (/^\s*SELECT 1\s*$/i.test(sql)) return async (reply) => {
      await reply.columns({ name: '', type: 'int' });
      await reply.row(1);
    };
    return async () => {
      throw Object.assign(new Error(`Invalid object name (the scripted peer has no answer for: ${sql.slice(0, 80)})`), { number: 208 });
    };
  }
}

/** One client connection: requests are answered in order; an ATTENTION cuts the current answer short. */
class PeerSession {
  private queue: Promise<void> = Promise.resolve();
  private current: MessageWriter | null = null;
  /** What the client was told is open; the server's own count is `trancount`. */
  private transaction: Buffer | null = null;
  private trancount = 0;
  private nextTransaction = 1;

  constructor(
    private readonly peer: TdsWirePeer,
    private readonly socket: net.Socket,
    private readonly breaksValuesOnCancel: () => boolean,
  ) {}

  receive(type: number, payload: Buffer): void {
    if (type === TYPE.ATTENTION) {
      this.peer.attentions++;
      this.current?.cancel();
      // Acknowledged after the answer it interrupted (or at once): one DONE with the ATTN bit, a message of its own.
      this.queue = this.queue.then(() => this.respond((w) => w.done(DONE.ATTN, 0))).catch(() => void this.socket.destroy());
      return;
    }
    this.queue = this.queue.then(() => this.handle(type, payload)).catch(() => void this.socket.destroy());
  }

  private async handle(type: number, payload: Buffer): Promise<void> {
    switch (type) {
      case TYPE.PRELOGIN:
        return this.respond(async (w) => w.raw(preloginResponse()));
      case TYPE.LOGIN7:
        this.peer.logins++;
        return this.respond(async (w) => {
          await w.token(0xe3, envChange(1, bVarchar('master'), bVarchar('master')));
          await w.token(0xad, Buffer.concat([Buffer.from([1]), uint32BE(0x74000004), bVarchar('Microsoft SQL Server'), Buffer.from([16, 0, 0, 0])]));
          await w.done(DONE.FINAL, 0);
        });
      case TYPE.SQL_BATCH:
        return this.respond((w) => this.batch(w, batchText(payload)));
      case TYPE.TRANSACTION_MANAGER:
        return this.respond((w) => this.transactionManager(w, payload.readUInt16LE(payload.readUInt32LE(0))));
      case TYPE.RPC:
        return this.respond((w) => this.rpc(w, rpcStatement(payload)));
      default:
        return this.respond((w) => w.done(DONE.FINAL, 0));
    }
  }

  /** sqlgate's own batches: SET and KILL are taken as they are; the @@TRANCOUNT check is answered. */
  private async batch(w: MessageWriter, sql: string): Promise<void> {
    this.peer.received.push(sql);
    if (/@@TRANCOUNT/.test(sql)) {
      await w.token(0x81, colMetadata([{ name: '', type: 'int' }, { name: '', type: 'int' }]));
      await w.raw(Buffer.from([0xd1]));
      await w.value({ name: '', type: 'int' }, this.trancount);
      await w.value({ name: '', type: 'int' }, this.trancount > 0 ? 1 : 0);
      await w.done(DONE.COUNT, 1);
      return;
    }
    await w.done(DONE.FINAL, 0);
  }

  /** Begin, commit and rollback requests: reported by every engine; one with no transaction to end is an error. */
  private async transactionManager(w: MessageWriter, type: number): Promise<void> {
    this.peer.received.push(type === TM.BEGIN ? '<begin>' : type === TM.COMMIT ? '<commit>' : '<rollback>');
    if (type === TM.BEGIN) {
      await this.begin(w, true);
    } else if (this.trancount === 0) {
      const [number, verb] = type === TM.COMMIT ? [3902, 'COMMIT'] : [3903, 'ROLLBACK'];
      await w.token(0xaa, errorToken(number, `The ${verb} TRANSACTION request has no corresponding BEGIN TRANSACTION.`));
      await w.done(DONE.ERROR, 0);
      return;
    } else if (type === TM.COMMIT && this.trancount > 1) {
      this.trancount--;
    } else {
      await this.end(w, type === TM.COMMIT ? 'commit' : 'rollback', true);
    }
    await w.done(DONE.FINAL, 0);
  }

  private async begin(w: MessageWriter, isTransactionManager: boolean): Promise<void> {
    if (this.trancount++ > 0 || (!isTransactionManager && this.peer.engine === 'babelfish')) return;
    this.transaction = Buffer.alloc(8);
    this.transaction.writeUInt32LE(this.nextTransaction++);
    await w.token(0xe3, envChange(8, bVarbyte(this.transaction), bVarbyte(Buffer.alloc(0))));
  }

  private async end(w: MessageWriter, kind: 'commit' | 'rollback', isTransactionManager: boolean): Promise<void> {
    this.trancount = 0;
    if (!isTransactionManager && this.peer.engine === 'babelfish') return;
    const told = this.transaction ?? Buffer.alloc(8);
    this.transaction = null;
    await w.token(0xe3, envChange(kind === 'commit' ? 9 : 10, bVarbyte(Buffer.alloc(0)), bVarbyte(told)));
  }

  private async rpc(w: MessageWriter, sql: string): Promise<void> {
    const columns: TdsColumn[] = [];
    let rows = 0;
    let changed: number | null = null;
    const reply: TdsResponder = {
      columns: async (...list) => {
        columns.push(...list);
        await w.token(0x81, colMetadata(list));
      },
      row: async (...values) => {
        if (w.isCancelled) return;
        rows++;
        await w.raw(Buffer.from([0xd1]));
        for (const [i, value] of values.entries()) await w.value(columns[i]!, value);
      },
      get isCancelled() {
        return w.isCancelled;
      },
      endTransaction: (kind = 'commit') => this.end(w, kind, false),
      beginTransaction: () => this.begin(w, false),
      changed: (count) => void (changed = count),
    };
    this.peer.received.push(sql);
    try {
      await this.peer.scriptFor(sql)(reply);
      // As SQL Server: a count for a result set's rows or for changed rows; none for a statement with neither.
      if (columns.length > 0 || changed !== null) await w.done(DONE.COUNT, changed ?? rows, 0xff);
      else await w.done(DONE.FINAL, 0, 0xff);
    } catch (err) {
      const { number = 50_000, rollsBack = false } = err as TdsScriptError;
      if (rollsBack) await this.end(w, 'rollback', false);
      await w.token(0xaa, errorToken(number, (err as Error).message));
      await w.done(DONE.ERROR, 0, 0xff);
    }
    await w.raw(Buffer.from([0x79, 0, 0, 0, 0])); // RETURNSTATUS 0
    await w.done(DONE.FINAL, 0, 0xfe);
  }

  private async respond(write: (w: MessageWriter) => Promise<void>): Promise<void> {
    const writer = new MessageWriter(this.socket, (bytes) => (this.peer.bytesSent += bytes), this.breaksValuesOnCancel());
    this.current = writer;
    try {
      await write(writer);
    } finally {
      this.current = null;
      await writer.end();
    }
  }
}
