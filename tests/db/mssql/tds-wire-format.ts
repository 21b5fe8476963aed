/**
 * The TDS encoding the scripted wire peer (tds-wire-peer.ts) writes and reads: response packets with socket
 * backpressure, and the few tokens and request fields it needs.
 */
import type net from 'node:net';

const PACKET_BYTES = 4_096;
const TABULAR = 0x04;
const COLLATION = Buffer.from([0x09, 0x04, 0xd0, 0x00, 0x34]); // Latin1_General_CI_AS

export type TdsColumn = { name: string; type: 'int' | 'nvarchar(max)' };
/** An nvarchar(max) value too big to build: `chars` times `char`, streamed. */
export type TdsValue = number | string | null | { char: string; chars: number };

/** Writes one response message as TDS packets, waiting for the socket to drain. */
export class MessageWriter {
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
      const piece = text ? text.subarray(sent, sent + chunkChars * 2) : unit.subarray(0, Math.min(unit.length, total - sent));
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
    header[0] = TABULAR;
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

export function preloginResponse(): Buffer {
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

export function colMetadata(columns: readonly TdsColumn[]): Buffer {
  const count = Buffer.alloc(2);
  count.writeUInt16LE(columns.length);
  return Buffer.concat([count, ...columns.map((column) => Buffer.concat([
    Buffer.alloc(4), // user type
    Buffer.from([0x01, 0x00]), // flags: nullable
    column.type === 'int' ? Buffer.from([0x26, 4]) : Buffer.concat([Buffer.from([0xe7, 0xff, 0xff]), COLLATION]),
    bVarchar(column.name),
  ]))]);
}

export function errorToken(number: number, message: string): Buffer {
  const head = Buffer.alloc(6);
  head.writeInt32LE(number);
  head[4] = 1; // state
  head[5] = 16; // class
  const text = Buffer.from(message, 'utf16le');
  const textLength = Buffer.alloc(2);
  textLength.writeUInt16LE(message.length);
  return Buffer.concat([head, textLength, text, bVarchar('peer'), bVarchar(''), Buffer.alloc(4)]);
}

export function envChange(type: number, newValue: Buffer, oldValue: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), newValue, oldValue]);
}

export function bVarchar(value: string): Buffer {
  return Buffer.concat([Buffer.from([value.length]), Buffer.from(value, 'utf16le')]);
}

export function bVarbyte(value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([value.length]), value]);
}

export function uint32BE(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}

/** A SQL batch's text: UTF-16 after the ALL_HEADERS block. */
export function batchText(payload: Buffer): string {
  return payload.toString('utf16le', payload.readUInt32LE(0));
}

/** The statement of an sp_executesql RPC: its first parameter, an NVARCHAR (PLP when over 4,000 characters). */
export function rpcStatement(payload: Buffer): string {
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
