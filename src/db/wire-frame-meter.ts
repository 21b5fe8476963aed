/**
 * Counts a statement's bytes from the frame headers of a wire protocol as chunks arrive, against its
 * WireByteBudget, for dialects whose driver lets us see the byte stream before it parses it (mysql2, tedious).
 *
 * The meter walks the frames — a fixed-size header that gives the length of what follows — across chunk
 * boundaries, without buffering a payload, so it stays in step with the stream whether a budget is watched or
 * not. A frame is counted when its header arrives, before its payload does: the chunk that announces more than is
 * left is held back (`admit` answers false), and so is everything after it, and the owner is told once.
 */
import type { WireByteBudget } from './wire-byte-budget.js';

/** How a protocol frames its messages. */
export interface FrameFormat {
  readonly headerBytes: number;
  /** Bytes that follow the header, read from it (a header that claims less than nothing is read as 0). */
  payloadBytes(header: Buffer): number;
}

export class WireFrameMeter {
  private budget: WireByteBudget | null = null;
  private onExceeded: (() => void) | null = null;
  /** Once a budget was passed nothing more is admitted: the connection is being thrown away. */
  private isCutOff = false;
  private readonly header: Buffer;
  private headerSeen = 0;
  private payloadLeft = 0;
  /** Every byte seen since the meter was put in place (for tests and diagnostics). */
  totalBytes = 0;

  constructor(private readonly format: FrameFormat) {
    this.header = Buffer.alloc(format.headerBytes);
  }

  /**
   * Counts every frame from now on against `budget` until the returned function is called; `onExceeded` is
   * called (once, synchronously, from `admit`) when a frame would pass it.
   */
  watch(budget: WireByteBudget, onExceeded: () => void): () => void {
    this.budget = budget;
    this.onExceeded = onExceeded;
    return () => {
      if (this.budget !== budget) return;
      this.budget = null;
      this.onExceeded = null;
    };
  }

  /** Walks the frames in `chunk`; false when the chunk must not reach the driver. */
  admit(chunk: Buffer): boolean {
    if (this.isCutOff) return false;
    this.totalBytes += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.payloadLeft > 0) {
        const taken = Math.min(this.payloadLeft, chunk.length - offset);
        this.payloadLeft -= taken;
        offset += taken;
        continue;
      }
      // A header, possibly split across chunks.
      const taken = Math.min(this.header.length - this.headerSeen, chunk.length - offset);
      chunk.copy(this.header, this.headerSeen, offset, offset + taken);
      this.headerSeen += taken;
      offset += taken;
      if (this.headerSeen < this.header.length) continue;
      this.headerSeen = 0;
      this.payloadLeft = Math.max(0, this.format.payloadBytes(this.header));
      if (this.budget !== null && !this.budget.take(this.header.length + this.payloadLeft)) {
        this.isCutOff = true;
        const onExceeded = this.onExceeded;
        this.budget = null;
        this.onExceeded = null;
        onExceeded?.();
        return false;
      }
    }
    return true;
  }
}
