/**
 * Cuts the server's byte stream into whole protocol messages before pg-protocol's parser sees them.
 *
 * Every backend message after the start-up byte is a type byte and an int32 length that counts itself and the body
 * (PostgreSQL docs, "Message Formats"). Reading those five bytes first lets `admit` refuse a message by its size
 * alone, before one byte of its body is kept, and the framer hands on only runs of complete messages:
 *   - a refused message, and everything after it, never reaches the parser (which would buffer it whole and then
 *     build one JavaScript string of it: past 0x1fffffe8 characters that throws inside the socket's 'data' event);
 *   - a message that spans chunks is gathered once, into a buffer of exactly its size (pg-protocol grows its own
 *     buffer by doubling, up to twice the message), and the parser takes what it is given without copying.
 */

/** Type byte plus the int32 length. */
const HEADER_BYTES = 5;

/** Asked once per message, with its type byte and its size on the wire (header included); false refuses it. */
export type AdmitMessage = (type: number, messageBytes: number) => boolean;

/** The server sent a length that no message can have: the stream is not the protocol we speak. */
export class MalformedMessageError extends Error {
  constructor(length: number) {
    super(`PostgreSQL protocol message with impossible length ${length}`);
  }
}

export class PostgresMessageFramer {
  /** The message being gathered across chunks (its header was admitted), and how much of it has arrived. */
  private partial: Buffer | null = null;
  private partialBytes = 0;
  /** The first bytes of a header that was cut between two chunks (fewer than HEADER_BYTES). */
  private headerStart: Buffer | null = null;
  private isStopped = false;

  constructor(
    private readonly admit: AdmitMessage,
    /** Receives complete messages only, in order; a buffer may hold several. */
    private readonly forward: (messages: Buffer) => void,
  ) {}

  /**
   * Takes the next chunk of the stream. Returns false once a message was refused: the messages before it were
   * handed on, nothing from it on ever is (later calls return false too). Throws MalformedMessageError.
   */
  push(chunk: Buffer): boolean {
    if (this.isStopped) return false;
    let data = chunk;
    if (this.headerStart) {
      data = Buffer.concat([this.headerStart, chunk]);
      this.headerStart = null;
    }
    let offset = 0;
    if (this.partial) {
      offset = Math.min(this.partial.length - this.partialBytes, data.length);
      data.copy(this.partial, this.partialBytes, 0, offset);
      this.partialBytes += offset;
      if (this.partialBytes < this.partial.length) return true;
      const message = this.partial;
      this.partial = null;
      this.forward(message);
    }
    const start = offset;
    let messageBytes = 0;
    while (data.length - offset >= HEADER_BYTES) {
      const length = data.readUInt32BE(offset + 1);
      if (length < 4) throw new MalformedMessageError(length);
      messageBytes = 1 + length;
      if (!this.admit(data[offset]!, messageBytes)) {
        this.stop();
        if (offset > start) this.forward(data.subarray(start, offset));
        return false;
      }
      if (data.length - offset < messageBytes) break;
      offset += messageBytes;
    }
    if (offset > start) this.forward(data.subarray(start, offset));
    const rest = data.length - offset;
    if (rest === 0) return true;
    if (rest < HEADER_BYTES) {
      // A copy: the rest of the chunk must not keep the whole chunk alive.
      this.headerStart = Buffer.from(data.subarray(offset));
    } else {
      // The loop admitted this header and stopped because the body is not all here yet.
      this.partial = Buffer.allocUnsafe(messageBytes);
      this.partialBytes = data.copy(this.partial, 0, offset);
    }
    return true;
  }

  /** Drops whatever was gathered; nothing more is handed on. */
  stop(): void {
    this.isStopped = true;
    this.partial = null;
    this.headerStart = null;
  }
}
