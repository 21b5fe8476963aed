/**
 * The frame walker under the MySQL and TDS meters: in step with the frames whatever the chunking, counting a frame
 * when its header arrives, holding back the chunk that passes the budget and everything after it.
 */
import { describe, expect, it } from 'vitest';
import { WireByteBudget } from '../../src/db/wire-byte-budget.js';
import { WireFrameMeter, type FrameFormat } from '../../src/db/wire-frame-meter.js';

/** MySQL's framing: 3-byte little-endian payload length, then a sequence number. */
const MYSQL: FrameFormat = { headerBytes: 4, payloadBytes: (header) => header.readUIntLE(0, 3) };

function packet(payloadBytes: number, sequence = 0): Buffer {
  const header = Buffer.alloc(4);
  header.writeUIntLE(payloadBytes, 0, 3);
  header[3] = sequence;
  return Buffer.concat([header, Buffer.alloc(payloadBytes, 0x61)]);
}

/** `bytes` cut into chunks of `size` (the last one shorter). */
function chunks(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

describe('WireFrameMeter', () => {
  it('counts header and payload of every frame, however the stream is cut', () => {
    const stream = Buffer.concat([packet(10), packet(0, 1), packet(300, 2), packet(5, 3)]);
    for (const size of [1, 2, 3, 5, 7, 64, stream.length]) {
      const meter = new WireFrameMeter(MYSQL);
      const budget = new WireByteBudget(10_000);
      meter.watch(budget, () => undefined);
      expect(chunks(stream, size).every((chunk) => meter.admit(chunk))).toBe(true);
      expect(budget.usedBytes).toBe(stream.length);
      expect(meter.totalBytes).toBe(stream.length);
    }
  });

  it('counts a frame when its header arrives, and holds back that chunk and every later one', () => {
    const meter = new WireFrameMeter(MYSQL);
    const budget = new WireByteBudget(100);
    let exceeded = 0;
    meter.watch(budget, () => exceeded++);
    expect(meter.admit(packet(50))).toBe(true);
    // Only the header of a 16 MiB packet has arrived: refused now, not after 16 MiB were read.
    expect(meter.admit(packet(0xffffff).subarray(0, 4))).toBe(false);
    expect(exceeded).toBe(1);
    expect(budget.isExceeded).toBe(true);
    expect(meter.admit(packet(1))).toBe(false);
    expect(exceeded).toBe(1);
    expect(budget.error().code).toBe('SG_RESULT_TOO_LARGE');
  });

  it('a row over 16 MiB is its packets added up: refused once they pass the budget', () => {
    const meter = new WireFrameMeter(MYSQL);
    const budget = new WireByteBudget(40 * 1_048_576);
    meter.watch(budget, () => undefined);
    const header = (length: number, sequence: number) => packet(length, sequence).subarray(0, 4);
    const piece = Buffer.alloc(0xffffff);
    expect(meter.admit(Buffer.concat([header(0xffffff, 1), piece]))).toBe(true);
    expect(meter.admit(Buffer.concat([header(0xffffff, 2), piece]))).toBe(true);
    expect(meter.admit(header(0xffffff, 3))).toBe(false);
  });

  it('counts nothing while no budget is watched, and stays in step for the next one', () => {
    const meter = new WireFrameMeter(MYSQL);
    const first = new WireByteBudget(1_000);
    const stop = meter.watch(first, () => undefined);
    expect(meter.admit(packet(10))).toBe(true);
    stop();
    const unwatched = packet(5_000);
    expect(meter.admit(unwatched.subarray(0, 2_000))).toBe(true);
    const second = new WireByteBudget(1_000);
    meter.watch(second, () => undefined);
    // The rest of the unwatched packet is payload, not a header: nothing is counted for it.
    expect(meter.admit(Buffer.concat([unwatched.subarray(2_000), packet(20)]))).toBe(true);
    expect(first.usedBytes).toBe(14);
    expect(second.usedBytes).toBe(24);
  });
});
