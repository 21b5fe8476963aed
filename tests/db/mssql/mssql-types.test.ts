/**
 * SQL Server values → canonical values. The inputs are what tedious really produces: each value is decoded from
 * its TDS bytes by the installed tedious's own value parser, with the options sqlgate connects with.
 */
import { createRequire } from 'node:module';
import tedious from 'tedious';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery } from '../../../src/db/run-query.js';
import { serializeValue } from '../../../src/db/serialize-value.js';
import { useExactValues } from '../../../src/db/mssql/mssql-exact-values.js';
import { bindParameter, canonicalValue, resultColumns, shortestFloat32, sqlTypeName } from '../../../src/db/mssql/mssql-types.js';
import { InvalidInputError, SqlgateError } from '../../../src/errors.js';
import { rejection } from '../../support/rejection.js';
import { GATE_SWITCHED_OFF_FOR_TESTS, openEnvironment } from '../../support/test-databases.js';
import { TdsWirePeer } from './tds-wire-peer.js';

const require = createRequire(import.meta.url);
type DataType = { id: number; name: string };
const { TYPE } = require('tedious/lib/data-type.js') as { TYPE: Record<number, DataType> };
const valueParser = require('tedious/lib/value-parser.js') as {
  readValue(buf: Buffer, offset: number, metadata: object, options: object): { value: unknown; offset: number };
};
const { resolveParameter } = require('tedious/lib/data-type.js') as {
  resolveParameter(parameter: object, collation: undefined, options: object): { data: object };
};
const WritableTrackingBuffer = require('tedious/lib/tracking-buffer/writable-tracking-buffer.js') as new () => { readonly data: Buffer };

/** The parser options of a sqlgate connection (mssql-connection-options.ts), registered for exact values. */
const OPTIONS = { useUTC: true, lowerCaseGuids: true, tdsVersion: '7_4' };
useExactValues(OPTIONS);

const typeId: Record<string, number> = {
  IntN: 0x26, BitN: 0x68, FloatN: 0x6d, DecimalN: 0x6a, MoneyN: 0x6e, DateTimeN: 0x6f, Date: 0x28, Time: 0x29,
  DateTime2: 0x2a, DateTimeOffset: 0x2b, UniqueIdentifier: 0x24, NVarChar: 0xe7, VarBinary: 0xa5,
};

interface WireColumn {
  type: string;
  dataLength?: number;
  precision?: number;
  scale?: number;
}

function metadataOf(column: WireColumn) {
  const type = TYPE[typeId[column.type]!]!;
  expect(type.name).toBe(column.type);
  return { type, dataLength: column.dataLength, precision: column.precision, scale: column.scale, collation: undefined, udtInfo: undefined };
}

/** Decodes `bytes` with tedious, then makes it canonical as a result column of that type. */
function fromWire(column: WireColumn, bytes: number[] | Buffer): unknown {
  const metadata = metadataOf(column);
  const buffer = Buffer.from(bytes);
  const { value, offset } = valueParser.readValue(buffer, 0, metadata, OPTIONS);
  expect(offset).toBe(buffer.length);
  const [result] = resultColumns([{ ...metadata, colName: 'c', userType: 0, flags: 0, schema: undefined }] as unknown as Parameters<typeof resultColumns>[0]);
  return canonicalValue(value, result!);
}

const le = (value: number | bigint, bytes: number) => {
  const out = Buffer.alloc(bytes);
  let rest = BigInt(value);
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return [...out];
};
const daysSince0001 = (utc: number) => (utc - Date.UTC(2000, 0, 1)) / 86_400_000 + 730_119;

describe('sqlTypeName', () => {
  it('names the engine type, resolving the nullable wire types by their length', () => {
    const name = (type: string, dataLength?: number) => sqlTypeName({ type: TYPE[typeId[type] ?? 0] ?? ({ name: type } as DataType), dataLength, udtInfo: undefined } as never);
    expect([name('IntN', 1), name('IntN', 2), name('IntN', 4), name('IntN', 8)]).toEqual(['tinyint', 'smallint', 'int', 'bigint']);
    expect([name('FloatN', 4), name('FloatN', 8), name('MoneyN', 4), name('MoneyN', 8)]).toEqual(['real', 'float', 'smallmoney', 'money']);
    expect([name('DateTimeN', 4), name('DateTimeN', 8), name('BitN', 1), name('DecimalN', 17)]).toEqual(['smalldatetime', 'datetime', 'bit', 'decimal']);
    expect([name('NVarChar'), name('VarBinary'), name('DateTime2'), name('UniqueIdentifier')]).toEqual(['nvarchar', 'varbinary', 'datetime2', 'uniqueidentifier']);
    expect(name('Variant')).toBe('sql_variant');
    expect(sqlTypeName({ type: { name: 'UDT' }, dataLength: undefined, udtInfo: { typeName: 'hierarchyid' } } as never)).toBe('hierarchyid');
  });
});

describe('canonicalValue on tedious values', () => {
  it('keeps integers as numbers and bigint beyond 2^53 as bigint', () => {
    expect(fromWire({ type: 'IntN', dataLength: 4 }, [4, ...le(-42, 4)])).toBe(-42);
    expect(fromWire({ type: 'IntN', dataLength: 1 }, [1, 255])).toBe(255);
    expect(fromWire({ type: 'IntN', dataLength: 8 }, [8, ...le(9007199254740993n, 8)])).toBe(9007199254740993n);
    expect(fromWire({ type: 'IntN', dataLength: 8 }, [8, ...le(-(2n ** 63n), 8)])).toBe(-(2n ** 63n));
    expect(serializeValue(fromWire({ type: 'IntN', dataLength: 8 }, [8, ...le(9007199254740993n, 8)]), 1024)).toBe('9007199254740993');
    expect(fromWire({ type: 'IntN', dataLength: 8 }, [0])).toBeNull();
  });

  it('keeps decimal(30,10) and money exact to the last digit', () => {
    const unscaled = 123456789012345678901234567890n;
    expect(fromWire({ type: 'DecimalN', dataLength: 17, precision: 30, scale: 10 }, [17, 1, ...le(unscaled, 16)])).toBe('12345678901234567890.1234567890');
    expect(fromWire({ type: 'DecimalN', dataLength: 9, precision: 12, scale: 2 }, [9, 0, ...le(12050n, 8)])).toBe('-120.50');
    expect(fromWire({ type: 'MoneyN', dataLength: 8 }, [8, ...le(0x7fffffff, 4), ...le(0xffffffff, 4)])).toBe('922337203685477.5807');
    expect(fromWire({ type: 'MoneyN', dataLength: 4 }, [4, ...le(-123400, 4)])).toBe('-12.3400');
  });

  it('keeps floats as numbers, a real as its shortest decimal', () => {
    const real = Buffer.alloc(4);
    real.writeFloatLE(1.1);
    expect(fromWire({ type: 'FloatN', dataLength: 4 }, [4, ...real])).toBe(1.1);
    const float = Buffer.alloc(8);
    float.writeDoubleLE(1.5);
    expect(fromWire({ type: 'FloatN', dataLength: 8 }, [8, ...float])).toBe(1.5);
    expect(shortestFloat32(Math.fround(123456.789))).toBe(123456.79);
    expect(shortestFloat32(Number.NaN)).toBeNaN();
  });

  it('reads bit as boolean and uniqueidentifier as a lower-case string', () => {
    expect(fromWire({ type: 'BitN', dataLength: 1 }, [1, 1])).toBe(true);
    expect(fromWire({ type: 'BitN', dataLength: 1 }, [1, 0])).toBe(false);
    // SQL Server sends the first three groups little-endian.
    const guid = [0x99, 0xbc, 0xee, 0xa0, 0x0b, 0x9c, 0xf8, 0x4e, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11];
    expect(fromWire({ type: 'UniqueIdentifier', dataLength: 16 }, [16, ...guid])).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect(canonicalValue('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', { type: 'uniqueidentifier', scale: 0 })).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
  });

  it('writes date as YYYY-MM-DD, also in year 1', () => {
    expect(fromWire({ type: 'Date' }, [3, ...le(daysSince0001(Date.UTC(2024, 1, 29)), 3)])).toBe('2024-02-29');
    expect(fromWire({ type: 'Date' }, [3, 0, 0, 0])).toBe('0001-01-01');
  });

  it('keeps the digits of datetime2, untouched by the time zone', () => {
    const time = (13 * 3600 + 45 * 60 + 30) * 1_000_000 + 123_456;
    const value = fromWire({ type: 'DateTime2', scale: 6 }, [8, ...le(time, 5), ...le(daysSince0001(Date.UTC(2024, 1, 29)), 3)]);
    expect(value).toBe('2024-02-29T13:45:30.123456');
    const full = fromWire({ type: 'DateTime2', scale: 7 }, [8, ...le(86_399n * 10_000_000n + 9_999_999n, 5), ...le(daysSince0001(Date.UTC(9999, 11, 31)), 3)]);
    expect(full).toBe('9999-12-31T23:59:59.9999999');
    expect(fromWire({ type: 'DateTime2', scale: 0 }, [6, ...le(3_600, 3), 0, 0, 0])).toBe('0001-01-01T01:00:00');
  });

  it('writes datetime with milliseconds and smalldatetime to the minute', () => {
    const days1900 = (Date.UTC(2024, 0, 15) - Date.UTC(1900, 0, 1)) / 86_400_000;
    const ticks300 = (10 * 3600 + 30 * 60) * 300 + 299;
    expect(fromWire({ type: 'DateTimeN', dataLength: 8 }, [8, ...le(days1900, 4), ...le(ticks300, 4)])).toBe('2024-01-15T10:30:00.997');
    expect(fromWire({ type: 'DateTimeN', dataLength: 4 }, [4, ...le(days1900, 2), ...le(10 * 60 + 31, 2)])).toBe('2024-01-15T10:31:00');
  });

  it('writes time with its fractional digits', () => {
    expect(fromWire({ type: 'Time', scale: 7 }, [5, ...le(86_399n * 10_000_000n + 9_999_999n, 5)])).toBe('23:59:59.9999999');
    expect(fromWire({ type: 'Time', scale: 3 }, [4, ...le((8 * 3600 + 5) * 1000 + 7, 4)])).toBe('08:00:05.007');
    expect(fromWire({ type: 'Time', scale: 0 }, [3, ...le(59, 3)])).toBe('00:00:59');
  });

  it('keeps datetimeoffset in its own offset', () => {
    const utcTime = (13 * 3600 + 45 * 60 + 30) * 10_000_000 + 1_234_567;
    const bytes = [10, ...le(utcTime, 5), ...le(daysSince0001(Date.UTC(2024, 1, 29)), 3), ...le(120, 2)];
    expect(fromWire({ type: 'DateTimeOffset', scale: 7 }, bytes)).toBe('2024-02-29T15:45:30.1234567+02:00');
  });

  it('keeps strings and binary as they are', () => {
    const text = Buffer.from('line1\nline2 | pipe', 'utf16le');
    expect(fromWire({ type: 'NVarChar', dataLength: 8000 }, [...le(text.length, 2), ...text])).toBe('line1\nline2 | pipe');
    const blob = fromWire({ type: 'VarBinary', dataLength: 8000 }, [4, 0, 0xde, 0xad, 0xbe, 0xef]);
    expect(Buffer.isBuffer(blob)).toBe(true);
    expect(serializeValue(blob, 1024)).toBe('3q2+7w==');
    expect(canonicalValue('<a x="1"/>', { type: 'xml', scale: 0 })).toBe('<a x="1"/>');
    expect(canonicalValue('{"a":1}', { type: 'nvarchar', scale: 0 })).toBe('{"a":1}');
  });
});

describe('bindParameter', () => {
  const typeOf = (value: unknown) => bindParameter(value, 1).type.name;

  it('declares each JSON value as the SQL type a literal of it would have', () => {
    expect(typeOf('CA')).toBe('NVarChar');
    expect(typeOf(0)).toBe('Int');
    expect(typeOf(-2_147_483_648)).toBe('Int');
    expect(typeOf(2 ** 40)).toBe('BigInt');
    expect(bindParameter(2 ** 40, 1).value).toBe(2n ** 40n);
    expect(typeOf(1.5)).toBe('Float');
    expect(typeOf(true)).toBe('Bit');
    expect(typeOf(10n)).toBe('BigInt');
    expect(typeOf(Buffer.from('x'))).toBe('VarBinary');
    expect(bindParameter(null, 1)).toEqual({ type: tedious.TYPES.NVarChar, value: null });
  });

  it('refuses values SQL Server parameters cannot take, naming the placeholder', () => {
    expect(() => bindParameter({ a: 1 }, 3)).toThrow(SqlgateError);
    expect(() => bindParameter({ a: 1 }, 3)).toThrow('@p3');
  });

  it('binds integers up to bigint\'s 64 bits, negative ones included, exactly as tedious writes and reads them', () => {
    for (const value of [2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, -1n, 0n]) {
      expect(roundTrip(value)).toBe(value);
    }
    expect(roundTrip(Number.MAX_SAFE_INTEGER)).toBe(9007199254740991n);
    expect(roundTrip(-2_147_483_649)).toBe(-2_147_483_649n);
    expect(typeOf(2_147_483_647)).toBe('Int');
    expect(typeOf(2_147_483_648)).toBe('BigInt');
  });

  it('refuses an integer at or beyond 2^63 either way before tedious sees it, naming the parameter and the way out', () => {
    for (const value of [2n ** 63n, -(2n ** 63n) - 1n, 2n ** 64n, -(2n ** 64n), 10n ** 38n]) {
      const error = refusal(() => bindParameter(value, 4));
      expect(error.message).toBe(`Parameter @p4 is ${value}, outside bigint (-9223372036854775808 to 9223372036854775807): SQL Server parameters carry integers of at most 64 bits.`);
      expect(error.hint).toContain('as a string');
      expect(error.hint).toContain('CAST(@p4 AS decimal(38, 0))');
    }
    // A value too long to repeat is described by its length.
    expect(refusal(() => bindParameter(-(10n ** 60n), 1)).message).toMatch(/^Parameter @p1 is an integer of 61 digits, outside bigint/);
  });

  it('binds other numbers as the exact double they are, however large or small', () => {
    for (const value of [0.1, -123.456, 2 ** 53 + 2, -(2 ** 64), 1e300, Number.MAX_VALUE, -Number.MIN_VALUE, 2.2250738585072014e-308]) {
      expect(typeOf(value), String(value)).toBe('Float');
      expect(roundTrip(value), String(value)).toBe(value);
    }
  });

  it('refuses NaN and the infinities, which SQL Server\'s float has no value for', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const error = refusal(() => bindParameter(value, 2));
      expect(error.message).toBe(`Parameter @p2 is ${value}, which SQL Server's float cannot hold.`);
      expect(error.hint).toBe('Pass a finite number, or null.');
    }
  });

  it('keeps numeric strings as text, every digit, for SQL Server to convert', () => {
    const digits = '-12345678901234567890123456789.123456789';
    expect(bindParameter(digits, 1)).toEqual({ type: tedious.TYPES.NVarChar, value: digits });
  });
});

describe('parameters refused before anything is sent (real tedious, scripted server on the wire)', () => {
  let peer: TdsWirePeer;
  beforeAll(async () => {
    peer = (await TdsWirePeer.start()).answer(/FROM accounts/, async (reply) => {
      await reply.columns({ name: 'n', type: 'int' });
      await reply.row(1);
    });
  });
  afterAll(async () => {
    await peer?.close();
  });

  it('fails the call with SG_INVALID_INPUT naming the parameter; the statement never reaches the server', async () => {
    const env = await openEnvironment('params', `sqlserver://sa:secret@127.0.0.1:${peer.port}/master?encrypt=false`, { pool: { max: 1 }, connect_timeout_ms: 5_000 }, GATE_SWITCHED_OFF_FOR_TESTS);
    try {
      const query = (params: unknown[]) =>
        runQuery(env.dialect, { sql: 'SELECT COUNT(*) AS n FROM accounts WHERE id = @p1 AND balance < @p2', params, readOnly: true, maxRows: 10, timeoutMs: 5_000, maxBinaryBytes: 16 });
      for (const wrong of [Number.POSITIVE_INFINITY, 2n ** 64n]) {
        const error = await rejection(query([1, wrong]));
        expect(error.code, String(wrong)).toBe('SG_INVALID_INPUT');
        expect(error.message).toContain('@p2');
      }
      expect(peer.received.filter((text) => text.includes('FROM accounts'))).toEqual([]);
      // The connection is as good as before: the same statement with values that fit runs.
      expect((await query([1, 2n ** 63n - 1n])).rows).toEqual([[1]]);
      expect(peer.received.filter((text) => text.includes('FROM accounts'))).toHaveLength(1);
    } finally {
      await env.dialect.close();
    }
  });
});

/** The SqlgateError `bind` throws. */
function refusal(bind: () => unknown): SqlgateError {
  try {
    bind();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return err as SqlgateError;
  }
  throw new Error('expected the value to be refused');
}

/** Binds `value`, has tedious validate and write it as it would in an RPC, and reads the bytes back with tedious. */
function roundTrip(value: unknown): unknown {
  const bound = bindParameter(value, 1);
  const { data } = resolveParameter({ name: 'p1', type: bound.type, value: bound.value, output: false }, undefined, OPTIONS);
  const buffer = new WritableTrackingBuffer();
  (bound.type as unknown as { writeValue(buffer: object, data: object, options: object): void }).writeValue(buffer, data, OPTIONS);
  const wire = bound.type.name === 'Float' ? { type: 'FloatN', dataLength: 8 } : { type: 'IntN', dataLength: 8 };
  return fromWire(wire, buffer.data);
}
