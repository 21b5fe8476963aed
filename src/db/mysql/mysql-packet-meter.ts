/**
 * Puts a WireFrameMeter on a mysql2 connection: what the server sends is counted packet by packet as the bytes come
 * off the socket — before mysql2 assembles a packet, joins the 16 MiB pieces of a large row, or decodes a value —
 * and the chunk that would pass the statement's budget never reaches mysql2.
 *
 * Where it hooks, and why there. mysql2 hands every chunk it reads to `connection.packetParser.execute(chunk)`:
 * the TCP socket's 'data' handler and, once TLS is up, the TLS socket's (lib/base/connection.js) both look the
 * parser up on the connection for each chunk, so a front put in its place after the handshake sees every byte the
 * server sends, in plain text after TLS, and can hold back the chunk that crosses the limit. The alternatives are
 * worse: the row and 'result' events come after the packet was buffered whole and the value decoded (a 500 MB
 * value is in memory twice, or fails V8's string limit, before any event); our own 'data' listener on the socket
 * cannot hold a chunk back, is dropped by mysql2 when TLS starts, and would count cipher text; a counting stream
 * under the driver counts TLS records, not packets. The front relies on two facts of mysql2 — the property name and
 * that it is looked up per chunk — and `install` refuses a connection where the first does not hold; the tests
 * fail if the second stops holding (tests/db/mysql/mysql-result-bytes.test.ts).
 *
 * Protocol: every packet starts with a 3-byte little-endian payload length and a 1-byte sequence number; a payload
 * of 0xFFFFFF bytes means the next packet continues it (how a row over 16 MiB travels). Compression would wrap
 * these in other frames; sqlgate never asks for it, and `install` refuses a connection that uses it.
 */
import type { Connection } from 'mysql2';
import { WireFrameMeter, type FrameFormat } from '../wire-frame-meter.js';

const MYSQL_PACKET: FrameFormat = {
  headerBytes: 4,
  payloadBytes: (header) => header.readUIntLE(0, 3),
};

/** The parts of a mysql2 connection the meter touches; none of them is in mysql2's typings. */
interface ParserHolder {
  packetParser?: { execute(chunk: Buffer): unknown };
  config?: { compress?: boolean };
}

/**
 * Call it between commands (after the handshake), when the stream is at a packet boundary. `onParserFailure`
 * hears what mysql2's parser throws out of a socket 'data' event (which would end the process): the connection is
 * then in an unknown state and must be dropped.
 */
export function installMysqlPacketMeter(raw: Connection, onParserFailure: (err: unknown) => void): WireFrameMeter {
  const holder = raw as unknown as ParserHolder;
  const parser = holder.packetParser;
  if (typeof parser?.execute !== 'function') {
    throw new Error('mysql2 has no connection.packetParser: max_result_bytes cannot be enforced with this driver version');
  }
  if (holder.config?.compress) throw new Error('compressed MySQL connections cannot be metered');
  const meter = new WireFrameMeter(MYSQL_PACKET);
  holder.packetParser = {
    execute: (chunk: Buffer) => {
      if (!meter.admit(chunk)) return undefined;
      try {
        return parser.execute(chunk);
      } catch (err) {
        onParserFailure(err);
        return undefined;
      }
    },
  };
  return meter;
}
