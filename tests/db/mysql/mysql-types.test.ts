/**
 * MySQL/MariaDB values beyond the contract's type_samples, through runQuery as a tool sees them: every integer
 * width (unsigned too), exact decimals, floats, BIT, YEAR, TIME, TIMESTAMP in UTC, JSON, ENUM/SET, binary cut at
 * max_binary_bytes, and the result column types reported from the wire.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery, type QueryRequest, type QueryResult } from '../../../src/db/run-query.js';
import type { Environment } from '../../../src/environments/environment.js';
import { createTestDatabase, openEnvironment, type TestDatabase } from '../../support/test-databases.js';

let database: TestDatabase;
let env: Environment;

beforeAll(async () => {
  database = await createTestDatabase('mysql', [
    `CREATE TABLE wide (
       id INT PRIMARY KEY,
       u64 BIGINT UNSIGNED, i64 BIGINT, u8 TINYINT UNSIGNED, i16 SMALLINT, i24 MEDIUMINT, u32 INT UNSIGNED,
       d65 DECIMAL(65,30), f32 FLOAT, f64 DOUBLE,
       b1 BIT(1), b10 BIT(10), b64 BIT(64),
       y YEAR, t TIME(3), ts TIMESTAMP(3) NULL, dt0 DATETIME, dt3 DATETIME(3), d DATE,
       j JSON, e ENUM('small', 'large'), s SET('red', 'green', 'blue'),
       bin BINARY(4), vb VARBINARY(64), lb LONGBLOB, vc VARCHAR(20), tx TEXT
     ) ENGINE=InnoDB`,
    `INSERT INTO wide VALUES (
       1, 18446744073709551615, -9223372036854775808, 255, -32768, -8388608, 4294967295,
       '12345678901234567890123456789012345.123456789012345678901234567890', 1.25, 0.1,
       b'1', b'1010', b'1111111111111111111111111111111111111111111111111111111111111111',
       2024, '-838:59:59.000', '2024-03-10 02:30:00.5', '2024-01-02 03:04:05', '2024-01-02 03:04:05.120', '2024-12-31',
       '{"n": 12345678901234567890, "s": "x", "list": [1, 2.5, null]}', 'large', 'red,blue',
       X'00010203', X'${'ab'.repeat(40)}', X'${'cd'.repeat(20)}', 'émoji 🎉', 'line\\none'
     )`,
    'INSERT INTO wide (id) VALUES (2)',
  ]);
  env = await openEnvironment('types', database.url);
});
afterAll(async () => {
  await env?.dialect.close();
  await database?.drop();
});

function query(sql: string, overrides: Partial<QueryRequest> = {}): Promise<QueryResult> {
  return runQuery(env.dialect, { sql, params: [], readOnly: true, maxRows: 100, timeoutMs: 10_000, maxBinaryBytes: 16, ...overrides });
}

async function firstRow(sql: string): Promise<Record<string, unknown>> {
  const result = await query(sql);
  return Object.fromEntries(result.columns.map((c, i) => [c.name, result.rows[0]![i]]));
}

describe('MySQL/MariaDB values', () => {
  it('keeps every integer exact, BIGINT UNSIGNED included', async () => {
    expect(await firstRow('SELECT u64, i64, u8, i16, i24, u32 FROM wide WHERE id = 1')).toEqual({
      u64: '18446744073709551615',
      i64: '-9223372036854775808',
      u8: 255,
      i16: -32768,
      i24: -8388608,
      u32: 4294967295,
    });
  });

  it('keeps DECIMAL(65,30) as an exact string and floats as numbers', async () => {
    expect(await firstRow('SELECT d65, f32, f64 FROM wide WHERE id = 1')).toEqual({
      d65: '12345678901234567890123456789012345.123456789012345678901234567890',
      f32: 1.25,
      f64: 0.1,
    });
  });

  it('reads BIT as a number, and as exact digits beyond 53 bits', async () => {
    expect(await firstRow('SELECT b1, b10, b64 FROM wide WHERE id = 1')).toEqual({ b1: 1, b10: 10, b64: '18446744073709551615' });
  });

  it('renders temporal values as ISO text: TIMESTAMP in UTC with Z, DATETIME with the column\'s fraction', async () => {
    expect(await firstRow('SELECT y, t, ts, dt0, dt3, d FROM wide WHERE id = 1')).toEqual({
      y: 2024,
      t: '-838:59:59.000',
      // Stored through the session's UTC time zone, so no daylight-saving gap can shift it.
      ts: '2024-03-10T02:30:00.500Z',
      dt0: '2024-01-02T03:04:05',
      dt3: '2024-01-02T03:04:05.120',
      d: '2024-12-31',
    });
  });

  it('parses JSON (exact big integers) and keeps ENUM and SET as text', async () => {
    expect(await firstRow('SELECT j, e, s FROM wide WHERE id = 1')).toEqual({
      j: { n: '12345678901234567890', s: 'x', list: [1, 2.5, null] },
      e: 'large',
      s: 'red,blue',
    });
    expect(await firstRow(`SELECT JSON_ARRAY(1, 'two') AS arr, JSON_OBJECT('k', TRUE) AS obj`)).toEqual({ arr: [1, 'two'], obj: { k: true } });
  });

  it('returns binary as base64 and cuts it at max_binary_bytes, naming the full length', async () => {
    const row = await firstRow('SELECT bin, vb, lb FROM wide WHERE id = 1');
    expect(row.bin).toBe(Buffer.from([0, 1, 2, 3]).toString('base64'));
    expect(row.vb).toBe(`${Buffer.alloc(16, 0xab).toString('base64')}…[40 bytes]`);
    expect(row.lb).toBe(`${Buffer.alloc(16, 0xcd).toString('base64')}…[20 bytes]`);
  });

  it('decodes text as UTF-8', async () => {
    expect(await firstRow('SELECT vc, tx FROM wide WHERE id = 1')).toEqual({ vc: 'émoji 🎉', tx: 'line\none' });
  });

  it('returns NULL as null in every column', async () => {
    const result = await query('SELECT * FROM wide WHERE id = 2');
    expect(result.rows[0]!.slice(1).every((value) => value === null)).toBe(true);
  });

  it('reports each result column with its lower-case type name', async () => {
    const result = await query('SELECT u64, i64, u8, i24, d65, f32, f64, b10, y, t, ts, dt3, d, j, e, s, bin, vb, lb, vc, tx, COUNT(*) AS n FROM wide GROUP BY id');
    expect(Object.fromEntries(result.columns.map((c) => [c.name, c.type]))).toEqual({
      u64: 'bigint unsigned',
      i64: 'bigint',
      u8: 'tinyint unsigned',
      i24: 'mediumint',
      d65: 'decimal',
      f32: 'float',
      f64: 'double',
      b10: 'bit',
      y: 'year',
      t: 'time',
      ts: 'timestamp',
      dt3: 'datetime',
      d: 'date',
      j: 'json',
      e: 'enum',
      s: 'set',
      bin: 'binary',
      vb: 'varbinary',
      lb: 'blob',
      vc: 'varchar',
      tx: 'text',
      n: 'bigint',
    });
  });

  it('binds parameters of every accepted kind and refuses the rest', async () => {
    const result = await query('SELECT ? AS s, ? AS n, ? AS b, ? AS z', { params: ["it's \\ fine", 2.5, true, null] });
    // A numeric literal with a fraction is DECIMAL in MySQL, so it comes back exact, as text.
    expect(result.rows).toEqual([["it's \\ fine", '2.5', 1, null]]);
    await expect(query('SELECT ? AS o', { params: [{ toSqlString: () => '1; DROP TABLE wide' }] })).rejects.toMatchObject({ code: 'SG_INVALID_INPUT' });
    await expect(query('SELECT ? AS a', { params: [[1, 2]] })).rejects.toMatchObject({ code: 'SG_INVALID_INPUT' });
  });
});
