/**
 * Puts a WireFrameMeter on a logged-in tedious connection: what SQL Server sends is counted TDS packet by TDS
 * packet as it arrives — before tedious joins the packets of a message, parses a row, or gathers the chunks of a
 * (MAX) value (PLP) into one buffer and decodes it — and the chunk that would pass the statement's budget never
 * reaches tedious.
 *
 * Where it hooks, and why there. tedious pipes whatever it reads — the socket, or the clear text side of its TLS
 * layer (`encrypt: true`, where TLS runs inside PRELOGIN packets, and `strict`, where the socket is TLS) — into
 * one Transform of its MessageIO, `messageIo.incomingMessageStream`, which splits the bytes into TDS packets. We
 * wrap that stream's `_transform`, which Node's stream machinery calls for each chunk, so every byte is seen after
 * TLS and before any parsing. tedious's own events come too late: 'row' fires after the whole row, with every
 * (MAX) value gathered and decoded (a 500 MB nvarchar is 1 GB of chunks and a string past V8's limit first), and
 * there is no event per PLP chunk. The hook relies on tedious's names (`messageIo`, `incomingMessageStream`), which
 * `install` checks, refusing the connection when they are gone; tests/db/mssql/mssql-result-bytes.test.ts runs
 * real tedious against a scripted TDS server and fails if the bytes stop passing through it.
 *
 * Protocol: every TDS packet starts with an 8-byte header whose bytes 2–3 (big-endian) give the packet's length,
 * header included (at most 32,767 bytes: the negotiated packet size).
 */
import type tedious from 'tedious';
import { WireFrameMeter, type FrameFormat } from '../wire-frame-meter.js';

const TDS_PACKET: FrameFormat = {
  headerBytes: 8,
  payloadBytes: (header) => header.readUInt16BE(2) - 8,
};

type TransformFn = (chunk: Buffer, encoding: BufferEncoding, callback: (err?: Error | null) => void) => void;

/** The parts of a tedious connection the meter touches; tedious marks them private. */
interface MessageIoHolder {
  messageIo?: { incomingMessageStream?: { _transform?: TransformFn } };
}

/** Call it once the connection is logged in, between requests (at a packet boundary). */
export function installMssqlPacketMeter(client: tedious.Connection): WireFrameMeter {
  const incoming = (client as unknown as MessageIoHolder).messageIo?.incomingMessageStream;
  const transform = incoming?._transform;
  if (incoming === undefined || typeof transform !== 'function') {
    throw new Error('tedious has no messageIo.incomingMessageStream: max_result_bytes cannot be enforced with this driver version');
  }
  const meter = new WireFrameMeter(TDS_PACKET);
  incoming._transform = (chunk, encoding, callback) => {
    // Held back: acknowledged so the pipe does not stall, never parsed. The owner destroys the connection.
    if (!meter.admit(chunk)) return callback();
    try {
      transform.call(incoming, chunk, encoding, callback);
    } catch (err) {
      // Thrown here it would leave the socket's 'data' event uncaught; as the stream's error, tedious fails the
      // request and the connection.
      callback(err instanceof Error ? err : new Error(String(err)));
    }
  };
  return meter;
}
