import { describe, expect, it } from 'vitest';
import { encodeBinary, serializeValue } from '../../src/db/serialize-value.js';

describe('serializeValue', () => {
  it('keeps integers beyond 2^53 exact as strings and safe ones as numbers', () => {
    expect(serializeValue(9_007_199_254_740_993n, 10)).toBe('9007199254740993');
    expect(serializeValue(-9_007_199_254_740_993n, 10)).toBe('-9007199254740993');
    expect(serializeValue(9_007_199_254_740_991n, 10)).toBe(9_007_199_254_740_991);
    expect(serializeValue(42n, 10)).toBe(42);
  });

  it('turns non-finite floats into strings JSON can carry', () => {
    expect(serializeValue(Number.NaN, 10)).toBe('NaN');
    expect(serializeValue(Number.POSITIVE_INFINITY, 10)).toBe('Infinity');
    expect(serializeValue(Number.NEGATIVE_INFINITY, 10)).toBe('-Infinity');
    expect(serializeValue(1.5, 10)).toBe(1.5);
  });

  it('encodes binary as base64 and cuts long values with their full length', () => {
    expect(serializeValue(Buffer.from([0xde, 0xad, 0xbe, 0xef]), 10)).toBe('3q2+7w==');
    expect(serializeValue(new Uint8Array([1, 2, 3, 4, 5]), 3)).toBe('AQID…[5 bytes]');
    expect(encodeBinary(new Uint8Array(0), 3)).toBe('');
  });

  it('handles null, dates, nested JSON and arrays', () => {
    expect(serializeValue(null, 1)).toBeNull();
    expect(serializeValue(undefined, 1)).toBeNull();
    expect(serializeValue(new Date('2024-02-29T13:45:30.123Z'), 1)).toBe('2024-02-29T13:45:30.123Z');
    expect(serializeValue(new Date('invalid'), 1)).toBeNull();
    expect(serializeValue({ a: 1n, b: [true, null, 2n ** 64n] }, 1)).toEqual({ a: 1, b: [true, null, '18446744073709551616'] });
  });
});
