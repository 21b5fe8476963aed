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

const PACKET_BYTES = 4_096;
const TYPE = { SQL_BATCH: 0x01, RPC: 0x03, TABULAR: 0x04, ATTENTION: 0x06, LOGIN7: 0x10, PRELOGIN: 0x12 } as const;
const DONE = { FINAL: 0x00, MORE: 0x01, ERROR: 0x02, COUNT: 0x10, ATTN: 0x20 } as const;
const COLLATION = Buffer.from([0x09, 0x04, 0xd0, 0x00, 0x34]); // Latin1_General_CI_AS

export type TdsColumn = { name: string; type: 'int' | 'nvarchar(max)' };
/** An nvarchar(max) value too big to build: `chars` times `char`, streamed. */
export type TdsValue = number | string | null | { char: string; chars: number };

export interface TdsResponder {
  columns(...columns: TdsColumn[]): Promise<void>;
  row(...values: TdsValue[]): Promise<void>;
  /** True once the client sent ATTENTION (cancel): further rows are dropped. */
  readonly isCancelled: boolean;
}

export type TdsScript = (reply: TdsResponder) => Promise<void>;

export interface TdsWirePeerOptions {
  /** TDS 8.0 (`encrypt=strict`): TLS from the first byte, with this certificate. */
  tls?: { cert: Buffer; key: Buffer };
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

  private constructor(private readonly server: net.Server) {}

  static async start(options: TdsWirePeerOptions = {}): Promise<TdsWirePeer> {
    let peer!: TdsWirePeer;
    const onSocket = (socket: net.Socket) => peer.serve(socket);
    const server = options.tls
      ? tls.createServer({ cert: options.tls.cert, key: options.tls.key, ALPNProtocols: ['tds/8.0'] }, onSocket)
      : net.createServer(onSocket);
    peer = new TdsWirePeer(server);
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
  private transaction: Buffer | null = null;
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
      case TYPE.RPC:
        return this.respond((w) => this.rpc(w, rpcStatement(payload)));
      default:
        return this.respond((w) => w.done(DONE.FINAL, 0));
    }
  }

  /** sqlgate's own batches: only the transaction matters (MssqlSession checks the descriptor it gets back). */
  private async batch(w: MessageWriter, sql: string): Promise<void> {
    if (/BEGIN TRANSACTION/.test(sql)) {
      this.transaction = Buffer.alloc(8);
      this.transaction.writeUInt32LE(this.nextTransaction++);
      await w.token(0xe3, envChange(8, bVarbyte(this.transaction), bVarbyte(Buffer.alloc(0))));
    } else if (/(ROLLBACK|COMMIT) TRANSACTION/.test(sql) && this.transaction) {
      await w.token(0xe3, envChange(/COMMIT/.test(sql) ? 9 : 10, bVarbyte(Buffer.alloc(0)), bVarbyte(this.transaction)));
      this.transaction = null;
    }
    await w.done(DONE.FINAL, 0);
  }

  private async rpc(w: MessageWriter, sql: string): Promise<void> {
    const columns: TdsColumn[] = [];
    let rows = 0;
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
    };
    try {
      await this.peer.scriptFor(sql)(reply);
      await w.done(DONE.COUNT, rows, 0xff);
    } catch (err) {
      const { number = 50_000 } = err as { number?: number };
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

/** Writes one response message as TDS packets, waiting for the socket to drain. */
class MessageWriter {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private packetId = 1;
  isCancelled = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly counted: (bytes: number) => void,
    private readonly breaksValuesOnCancel = false,
  ) {}

  cancel(): void {
    this.isCancelled = true;
  }

  async token(type: number, body: Buffer): Promise<void> {
    const length = Buffer.alloc(2);
    length.writeUInt16LE(body.length);
    await this.raw(Buffer.concat([Buffer.from([type]), type === 0x81 ? Buffer.alloc(0) : length, body]));
  }

  async done(status: number, rowCount: number, type = 0xfd): Promise<void> {
    const body = Buffer.alloc(13);
    body[0] = type;
    body.writeUInt16LE(status, 1);
    body.writeBigUInt64LE(BigInt(rowCount), 5);
    await this.raw(body);
  }

  async value(column: TdsColumn, value: TdsValue): Promise<void> {
    if (column.type === 'int') {
      if (value === null) return this.raw(Buffer.from([0]));
      const body = Buffer.alloc(5);
      body[0] = 4;
      body.writeInt32LE(Number(value), 1);
      return this.raw(body);
    }
    if (value === null) return this.raw(Buffer.alloc(8, 0xff));
    const { char, chars } = typeof value === 'object' ? value : { char: '', chars: 0 };
    const text = typeof value === 'string' ? Buffer.from(value, 'utf16le') : null;
    const total = text?.length ?? chars * 2;
    const header = Buffer.alloc(8);
    header.writeBigUInt64LE(BigInt(total));
    await this.raw(header);
    const chunkChars = 32_768;
    const unit = Buffer.from(char.repeat(chunkChars), 'utf16le');
    // A value once begun is sent whole, cancelled or not: the token stream has no way to cut it short.
    for (let sent = 0; sent < total && !(this.breaksValuesOnCancel && this.isCancelled); ) {
      const piece = text ? text.subarray(sent, sent + unit.length) : unit.subarray(0, Math.min(unit.length, total - sent));
      const length = Buffer.alloc(4);
      length.writeUInt32LE(piece.length);
      await this.raw(Buffer.concat([length, piece]));
      sent += piece.length;
    }
    await this.raw(Buffer.alloc(4)); // PLP terminator
  }

  async raw(bytes: Buffer): Promise<void> {
    this.buffered.push(bytes);
    this.bufferedBytes += bytes.length;
    while (this.bufferedBytes > PACKET_BYTES - 8) await this.flushPacket(false);
  }

  async end(): Promise<void> {
    do await this.flushPacket(true);
    while (this.bufferedBytes > 0);
  }

  private async flushPacket(isLast: boolean): Promise<void> {
    const all = Buffer.concat(this.buffered);
    const body = all.subarray(0, PACKET_BYTES - 8);
    const rest = all.subarray(body.length);
    this.buffered = rest.length > 0 ? [rest] : [];
    this.bufferedBytes = rest.length;
    const header = Buffer.alloc(8);
    header[0] = TYPE.TABULAR;
    header[1] = isLast && rest.length === 0 ? 0x01 : 0x00;
    header.writeUInt16BE(body.length + 8, 2);
    header[6] = this.packetId++ & 0xff;
    this.counted(body.length + 8);
    if (this.socket.destroyed) throw new Error('client went away');
    if (!this.socket.write(Buffer.concat([header, body]))) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.socket.off('drain', done);
          this.socket.off('close', done);
          resolve();
        };
        this.socket.on('drain', done);
        this.socket.on('close', done);
      });
    }
  }
}

function preloginResponse(): Buffer {
  const options: [number, Buffer][] = [
    [0x00, Buffer.from([16, 0, 0x07, 0xd0, 0, 0])], // VERSION 16.0.2000
    [0x01, Buffer.from([0x02])], // ENCRYPTION: not supported (TDS 8 has TLS around everything already)
    [0x02, Buffer.from([0])],
    [0x03, Buffer.alloc(4)],
    [0x04, Buffer.from([0])],
  ];
  const table = Buffer.alloc(options.length * 5 + 1);
  let dataOffset = table.length;
  options.forEach(([token, data], i) => {
    table[i * 5] = token;
    table.writeUInt16BE(dataOffset, i * 5 + 1);
    table.writeUInt16BE(data.length, i * 5 + 3);
    dataOffset += data.length;
  });
  table[options.length * 5] = 0xff;
  return Buffer.concat([table, ...options.map(([, data]) => data)]);
}

function colMetadata(columns: readonly TdsColumn[]): Buffer {
  const count = Buffer.alloc(2);
  count.writeUInt16LE(columns.length);
  return Buffer.concat([count, ...columns.map((column) => Buffer.concat([
    Buffer.alloc(4), // user type
    Buffer.from([0x01, 0x00]), // flags: nullable
    column.type === 'int' ? Buffer.from([0x26, 4]) : Buffer.concat([Buffer.from([0xe7, 0xff, 0xff]), COLLATION]),
    bVarchar(column.name),
  ]))]);
}

function errorToken(number: number, message: string): Buffer {
  const head = Buffer.alloc(6);
  head.writeInt32LE(number);
  head[4] = 1; // state
  head[5] = 16; // class
  const text = Buffer.from(message, 'utf16le');
  const textLength = Buffer.alloc(2);
  textLength.writeUInt16LE(message.length);
  return Buffer.concat([head, textLength, text, bVarchar('peer'), bVarchar(''), Buffer.alloc(4)]);
}

function envChange(type: number, newValue: Buffer, oldValue: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), newValue, oldValue]);
}

function bVarchar(value: string): Buffer {
  return Buffer.concat([Buffer.from([value.length]), Buffer.from(value, 'utf16le')]);
}

function bVarbyte(value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([value.length]), value]);
}

function uint32BE(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}

/** A SQL batch's text: UTF-16 after the ALL_HEADERS block. */
function batchText(payload: Buffer): string {
  return payload.toString('utf16le', payload.readUInt32LE(0));
}

/** The statement of an sp_executesql RPC: its first parameter, an NVARCHAR (PLP when over 4,000 characters). */
function rpcStatement(payload: Buffer): string {
  let o = payload.readUInt32LE(0); // past ALL_HEADERS
  o += payload.readUInt16LE(o) === 0xffff ? 4 : 2 + payload.readUInt16LE(o) * 2; // procedure id or name
  o += 2; // option flags
  o += 1 + payload[o]! * 2; // parameter name
  o += 1 + 1; // status, type (NVARCHAR)
  const maxLength = payload.readUInt16LE(o);
  o += 2 + 5; // max length, collation
  if (maxLength !== 0xffff) return payload.toString('utf16le', o + 2, o + 2 + payload.readUInt16LE(o));
  const parts: Buffer[] = [];
  for (o += 8; payload.readUInt32LE(o) > 0; o += 4 + payload.readUInt32LE(o)) parts.push(payload.subarray(o + 4, o + 4 + payload.readUInt32LE(o)));
  return Buffer.concat(parts).toString('utf16le');
}
