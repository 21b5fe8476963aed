/**
 * Exact decimals, money and datetimeoffset: the decoders, and the wrap of tedious's value parser, exercised through
 * tedious's own row reader (the code path a ROW or NBCROW token takes) on the installed tedious version.
 */
import { createRequire } from 'node:module';
import tedious from 'tedious';
import { describe, expect, it } from 'vitest';
import {
  decodeDateTimeOffset,
  decodeDecimal,
  decodeMoney,
  exactValue,
  formatScaled,
  useExactValues,
} from '../../../src/db/mssql/mssql-exact-values.js';

const require = createRequire(import.meta.url);
const { TYPE } = require('tedious/lib/data-type.js') as { TYPE: Record<number, { name: string }> };
const valueParser = require('tedious/lib/value-parser.js') as { readValue: (...args: unknown[]) => unknown };
const { ColumnValuesReader } = require('tedious/lib/token/row-token-parser.js') as {
  ColumnValuesReader: new () => { columns: { value: unknown }[]; readColumns(parser: object, nullBitmap: Buffer | undefined): void };
};

const DECIMAL = { type: TYPE[0x6a]!, precision: 38, scale: 10, dataLength: 17 };
const MONEY = { type: TYPE[0x6e]!, dataLength: 8 };
const BIG_DECIMAL_WIRE = (() => {
  const bytes = Buffer.alloc(18);
  bytes[0] = 17; // length
  bytes[1] = 1; // positive
  let rest = 123456789012345678901234567890n;
  for (let i = 2; rest > 0n; i++, rest >>= 8n) bytes[i] = Number(rest & 0xffn);
  return bytes;
})();

/** Reads one row of `columns` from `buffer` the way tedious's ROW token reader does. */
function readRow(columns: object[], buffer: Buffer, options: object): unknown[] {
  const reader = new ColumnValuesReader();
  reader.readColumns({ colMetadata: columns, buffer, position: 0, options }, undefined);
  return reader.columns.map((column) => column.value);
}

describe('the wrapped tedious value parser', () => {
  it('gives registered connections exact decimals and money through tedious\'s row reader', () => {
    const options = { useUTC: true };
    useExactValues(options);
    const money = Buffer.from([8, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff]);
    expect(readRow([DECIMAL, MONEY], Buffer.concat([BIG_DECIMAL_WIRE, money]), options)).toEqual([
      '12345678901234567890.1234567890',
      '922337203685477.5807',
    ]);
  });

  it('leaves other tedious users with tedious\'s own values', () => {
    const [decimal] = readRow([DECIMAL], BIG_DECIMAL_WIRE, { useUTC: true });
    expect(typeof decimal).toBe('number');
    expect(String(decimal)).not.toBe('12345678901234567890.1234567890'); // why the wrap exists
  });

  it('is installed once and keeps NULL as null', () => {
    const options = {};
    useExactValues(options);
    const wrapped = valueParser.readValue;
    useExactValues({});
    expect(valueParser.readValue).toBe(wrapped);
    expect((wrapped as { name: string }).name).toBe('readExactValue');
    expect(readRow([DECIMAL], Buffer.from([0]), options)).toEqual([null]);
  });

  it('applies to connections through their parser options', () => {
    const connection = new tedious.Connection({ server: '127.0.0.1', options: { port: 1 } });
    useExactValues(connection.config.options);
    expect(readRow([DECIMAL], BIG_DECIMAL_WIRE, connection.config.options)).toEqual(['12345678901234567890.1234567890']);
  });
});

describe('decoders', () => {
  it('formats scaled integers as SQL Server prints them', () => {
    expect(formatScaled(12050n, 2)).toBe('120.50');
    expect(formatScaled(1n, 2)).toBe('0.01');
    expect(formatScaled(-1n, 4)).toBe('-0.0001');
    expect(formatScaled(0n, 3)).toBe('0.000');
    expect(formatScaled(42n, 0)).toBe('42');
  });

  it('decodes decimals of every storage size, and negative zero as zero', () => {
    expect(decodeDecimal(Buffer.from([1, 0x39, 0x30, 0, 0]), 2)).toBe('123.45');
    expect(decodeDecimal(Buffer.from([0, 0x39, 0x30, 0, 0, 0, 0, 0, 0]), 0)).toBe('-12345');
    const max38 = 10n ** 38n - 1n;
    const bytes = Buffer.alloc(17);
    bytes[0] = 0;
    let rest = max38;
    for (let i = 1; rest > 0n; i++, rest >>= 8n) bytes[i] = Number(rest & 0xffn);
    expect(decodeDecimal(bytes, 38)).toBe(`-0.${'9'.repeat(38)}`);
    expect(decodeDecimal(Buffer.from([0, 0, 0, 0, 0]), 2)).toBe('0.00');
  });

  it('decodes money and smallmoney', () => {
    expect(decodeMoney(Buffer.from([0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00]))).toBe('-922337203685477.5808');
    expect(decodeMoney(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toBe('-0.0001');
    expect(decodeMoney(Buffer.from([0x00, 0x00, 0x00, 0x80]))).toBe('-214748.3648');
  });

  it('renders datetimeoffset in its offset, across midnight and with few digits', () => {
    const wire = (utc: number, ticks: number, scale: number, offset: number) => {
      const timeLength = scale <= 2 ? 3 : scale <= 4 ? 4 : 5;
      const out = Buffer.alloc(timeLength + 5);
      out.writeUIntLE(ticks, 0, timeLength);
      out.writeUIntLE((utc - Date.UTC(2000, 0, 1)) / 86_400_000 + 730_119, timeLength, 3);
      out.writeInt16LE(offset, timeLength + 3);
      return out;
    };
    // 2024-01-02T04:30:00Z is 23:30 the day before in New York.
    expect(decodeDateTimeOffset(wire(Date.UTC(2024, 0, 2), 4.5 * 3600 * 1000, 3, -300), 3)).toBe('2024-01-01T23:30:00.000-05:00');
    // 2023-12-31T22:00:00Z is already 2024 in Tokyo.
    expect(decodeDateTimeOffset(wire(Date.UTC(2023, 11, 31), 22 * 3600, 0, 540), 0)).toBe('2024-01-01T07:00:00+09:00');
    expect(decodeDateTimeOffset(wire(Date.UTC(2024, 5, 1), 0, 0, 0), 0)).toBe('2024-06-01T00:00:00+00:00');
    expect(decodeDateTimeOffset(wire(Date.UTC(2024, 5, 1), 12 * 3600 * 100 + 5, 2, 330), 2)).toBe('2024-06-01T17:30:00.05+05:30');
  });

  it('leaves types tedious reads exactly to tedious', () => {
    expect(exactValue({ type: { name: 'IntN' } }, Buffer.from([4, 1, 0, 0, 0]))).toBeUndefined();
    expect(exactValue({ type: { name: 'Money' } }, Buffer.from([0, 0, 0, 0, 0x10, 0x27, 0, 0]))).toBe('1.0000');
    expect(exactValue({ type: { name: 'SmallMoney' } }, Buffer.from([0x10, 0x27, 0, 0]))).toBe('1.0000');
  });
});
