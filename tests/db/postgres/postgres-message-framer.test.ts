/**
 * The framer on hand-made byte streams: whole messages only are handed on, however the stream is cut; each header
 * is asked about exactly once, before any of its body is kept; a refused message and all after it never pass.
 */
import { describe, expect, it } from 'vitest';
import { MalformedMessageError, PostgresMessageFramer } from '../../../src/db/postgres/postgres-message-framer.js';

/** A backend message: type byte, int32 length (itself + body), body. */
function message(type: string, body: Buffer | string): Buffer {
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeUInt32BE(payload.length + 4, 1);
  return Buffer.concat([header, payload]);
}

interface Run {
  asked: [string, number][];
  forwarded: Buffer[];
  results: boolean[];
}

function run(stream: Buffer, cuts: number[], admit: (type: string, bytes: number) => boolean = () => true): Run {
  const asked: [string, number][] = [];
  const forwarded: Buffer[] = [];
  const framer = new PostgresMessageFramer(
    (type, bytes) => {
      asked.push([String.fromCharCode(type), bytes]);
      return admit(String.fromCharCode(type), bytes);
    },
    (messages) => forwarded.push(Buffer.from(messages)),
  );
  const results: boolean[] = [];
  let from = 0;
  for (const to of [...cuts, stream.length]) {
    results.push(framer.push(stream.subarray(from, to)));
    from = to;
  }
  return { asked, forwarded, results };
}

/** Splits forwarded buffers back into messages, failing if one holds a partial message. */
function messagesOf(forwarded: Buffer[]): string[] {
  return forwarded.flatMap((buffer) => {
    const found: string[] = [];
    for (let offset = 0; offset < buffer.length;) {
      const bytes = 1 + buffer.readUInt32BE(offset + 1);
      expect(offset + bytes).toBeLessThanOrEqual(buffer.length);
      found.push(`${String.fromCharCode(buffer[offset]!)}:${buffer.subarray(offset + 5, offset + bytes).toString()}`);
      offset += bytes;
    }
    return found;
  });
}

const STREAM = Buffer.concat([message('T', 'fields'), message('D', 'row one'), message('D', 'x'.repeat(1000)), message('C', 'SELECT 2'), message('Z', 'I')]);
const EXPECTED = ['T:fields', 'D:row one', `D:${'x'.repeat(1000)}`, 'C:SELECT 2', 'Z:I'];

describe('PostgresMessageFramer', () => {
  it('hands on the same messages, whole, wherever the stream is cut (also inside a header)', () => {
    const everyCut = Array.from({ length: STREAM.length - 1 }, (_, i) => i + 1);
    for (const cuts of [[], [1], [3], [11], [12], [16], [20], [500], everyCut, [2, 4, 6, 8, 10, 12, 14]]) {
      const { forwarded, asked, results } = run(STREAM, cuts);
      expect(messagesOf(forwarded)).toEqual(EXPECTED);
      // Each header is asked about once, with its full size on the wire.
      expect(asked).toEqual([['T', 11], ['D', 12], ['D', 1005], ['C', 13], ['Z', 6]]);
      expect(results.every(Boolean)).toBe(true);
    }
  });

  it('gathers a message cut into many chunks into one buffer of exactly its size', () => {
    const big = message('D', 'y'.repeat(100_000));
    const { forwarded } = run(big, [3, 5, 6, 1000, 50_000, 99_000]);
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0]!.length).toBe(big.length);
  });

  it('asks about a message as soon as its header is in, before its body arrives', () => {
    const big = message('D', 'y'.repeat(100_000));
    const { asked, forwarded, results } = run(big, [5], () => false);
    expect(asked).toEqual([['D', 100_005]]);
    expect(forwarded).toEqual([]);
    expect(results).toEqual([false, false]);
  });

  it('hands on the messages before a refused one and nothing from it on', () => {
    let rows = 0;
    const { forwarded, results } = run(STREAM, [30], (type) => type !== 'D' || ++rows < 2);
    expect(messagesOf(forwarded)).toEqual(['T:fields', 'D:row one']);
    expect(results).toEqual([false, false]);
  });

  it('throws on a length no message can have', () => {
    const bad = Buffer.from([0x44, 0, 0, 0, 2]);
    expect(() => run(bad, [])).toThrow(MalformedMessageError);
  });
});
