/**
 * PostgreSQL values → canonical values → JSON, for the types the contract fixture does not hold. Runs real
 * statements through runQuery, so parsing, session settings and serialization are tested together.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery, type QueryResult } from '../../../src/db/run-query.js';
import type { Environment } from '../../../src/environments/environment.js';
import { parseArrayLiteral } from '../../../src/db/postgres/postgres-types.js';
import { createTestDatabase, openEnvironment, type TestDatabase } from '../../support/test-databases.js';

let database: TestDatabase;
let env: Environment;

beforeAll(async () => {
  database = await createTestDatabase('postgres', ["CREATE TYPE mood AS ENUM ('sad', 'happy')"]);
  env = await openEnvironment('types', database.url, { pool: { max: 1 } });
});
afterAll(async () => {
  await env?.dialect.close();
  await database?.drop();
});

function query(sql: string, options: { params?: unknown[]; maxBinaryBytes?: number; readOnly?: boolean } = {}): Promise<QueryResult> {
  return runQuery(env.dialect, {
    sql,
    params: options.params ?? [],
    readOnly: options.readOnly ?? true,
    maxRows: 100,
    timeoutMs: 10_000,
    maxBinaryBytes: options.maxBinaryBytes ?? 1_024,
  });
}

async function value(sql: string): Promise<unknown> {
  const result = await query(sql);
  return result.rows[0]![0];
}

describe('postgres values', () => {
  it('keeps integers exact: numbers within 2^53, strings beyond', async () => {
    const { rows } = await query('SELECT 42::int2, 2147483647::int4, 9007199254740991::int8, 9007199254740993::int8, (-9223372036854775808)::int8');
    expect(rows[0]).toEqual([42, 2_147_483_647, 9_007_199_254_740_991, '9007199254740993', '-9223372036854775808']);
  });

  it('keeps numeric exact as a string, NaN and Infinity included', async () => {
    const { rows } = await query("SELECT 0.1::numeric + 0.2::numeric, 'NaN'::numeric, 1e-20::numeric, 12345678901234567890123.5::numeric");
    expect(rows[0]).toEqual(['0.3', 'NaN', '0.00000000000000000001', '12345678901234567890123.5']);
  });

  it('prints floats shortest-exact and non-finite floats as strings', async () => {
    const { rows } = await query("SELECT 0.1::float8, 0.1::float4, 'NaN'::float8, 'Infinity'::float8, '-Infinity'::float4, 1e300::float8");
    expect(rows[0]).toEqual([0.1, 0.1, 'NaN', 'Infinity', '-Infinity', 1e300]);
  });

  it('gives dates, timestamps and timestamptz as ISO 8601, every fractional digit kept', async () => {
    const { rows } = await query(
      "SELECT '2024-02-29'::date, '2024-02-29 13:45:30.123456'::timestamp, '2024-02-29 13:45:30.123456+02'::timestamptz, '2024-02-29 13:45:30'::timestamptz",
    );
    expect(rows[0]).toEqual(['2024-02-29', '2024-02-29T13:45:30.123456', '2024-02-29T11:45:30.123456Z', '2024-02-29T13:45:30Z']);
  });

  it('converts timestamptz to UTC even when a statement changed the time zone (LMT offsets with seconds too)', async () => {
    const { rows } = await query(
      "SELECT set_config('TimeZone', 'Asia/Kolkata', true) AS tz, '2024-02-29 13:45:30.5Z'::timestamptz AS now_ish, '1850-01-01 00:00:00Z'::timestamptz AS lmt",
    );
    expect(rows[0]).toEqual(['Asia/Kolkata', '2024-02-29T13:45:30.5Z', '1850-01-01T00:00:00Z']);
  });

  it('keeps infinity and writes BC years the ISO way (1 BC is year 0)', async () => {
    const { rows } = await query(
      "SELECT 'infinity'::date, '-infinity'::timestamp, 'infinity'::timestamptz, '0044-03-15 BC'::date, '0001-01-01 10:00:00 BC'::timestamp, '0044-03-15 10:00:00+00 BC'::timestamptz",
    );
    expect(rows[0]).toEqual(['infinity', '-infinity', 'infinity', '-0043-03-15', '0000-01-01T10:00:00', '-0043-03-15T10:00:00Z']);
  });

  it('gives time, timetz and interval as strings (intervals in ISO 8601)', async () => {
    const { rows } = await query("SELECT '13:45:30.123456'::time, '13:45:30+02'::timetz, '1 year 2 mons 3 days 04:05:06.5'::interval, '-90 minutes'::interval");
    expect(rows[0]).toEqual(['13:45:30.123456', '13:45:30+02', 'P1Y2M3DT4H5M6.5S', 'PT-1H-30M']);
  });

  it('parses json and jsonb, keeping integers beyond 2^53 exact', async () => {
    const { rows } = await query(`SELECT '{"b": 1, "a": [1.5, "x", null]}'::json, '{"b": 1, "a": true}'::jsonb, '{"id": 12345678901234567890}'::jsonb, 'null'::jsonb`);
    expect(rows[0]).toEqual([{ b: 1, a: [1.5, 'x', null] }, { a: true, b: 1 }, { id: '12345678901234567890' }, null]);
  });

  it('gives uuid, money, inet, enums and other types as their text', async () => {
    const { rows } = await query("SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, 12.34::money, '10.0.0.1/8'::inet, 'happy'::mood, B'101'::bit(3), int4range(1, 5)");
    expect(rows[0]).toEqual(['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '$12.34', '10.0.0.1/8', 'happy', '101', '[1,5)']);
  });

  it('turns arrays into JSON arrays with their elements converted like scalars', async () => {
    const { rows } = await query(
      `SELECT ARRAY[1.10, NULL, 'NaN']::numeric[], ARRAY['a', 'b c', 'd"e', 'NULL', NULL, '{x}', 'back\\slash']::text[],
              ARRAY[[1, 2], [3, 4]]::int4[], ARRAY[9007199254740993]::int8[], ARRAY[true, false], ARRAY['2024-01-01 10:00:00+00']::timestamptz[],
              ARRAY['{"a": 1}']::jsonb[], ARRAY[]::int4[], '[0:1]={7,8}'::int4[], ARRAY['\\x01ff'::bytea]`,
    );
    expect(rows[0]).toEqual([
      ['1.10', null, 'NaN'],
      ['a', 'b c', 'd"e', 'NULL', null, '{x}', 'back\\slash'],
      [[1, 2], [3, 4]],
      ['9007199254740993'],
      [true, false],
      ['2024-01-01T10:00:00Z'],
      [{ a: 1 }],
      [],
      [7, 8],
      ['Af8='],
    ]);
  });

  it('returns bytea as base64, cut after max_binary_bytes with the full length named', async () => {
    const { rows } = await query("SELECT decode('deadbeef', 'hex'), decode(repeat('ab', 2000), 'hex')", { maxBinaryBytes: 4 });
    expect(rows[0]).toEqual(['3q2+7w==', 'q6urqw==…[2000 bytes]']);
  });

  it('binds parameters as data, including arrays and JSON', async () => {
    const { rows } = await query('SELECT $1::int8 + 1, $2::text[], $3::jsonb', { params: ['9007199254740992', ['x', 'y'], JSON.stringify({ k: [1] })] });
    expect(rows[0]).toEqual(['9007199254740993', ['x', 'y'], { k: [1] }]);
  });

  it('names result columns with format_type names, also for a type created after the first connection', async () => {
    const first = await query("SELECT 1 AS i, 1.5::numeric(4,1) AS n, 'x'::varchar(3) AS v, now() AS t, ARRAY['a'] AS a, 'sad'::mood AS m");
    expect(first.columns).toEqual([
      { name: 'i', type: 'integer' },
      { name: 'n', type: 'numeric' },
      { name: 'v', type: 'character varying' },
      { name: 't', type: 'timestamp with time zone' },
      { name: 'a', type: 'text[]' },
      { name: 'm', type: 'mood' },
    ]);
    const writable = await openEnvironment('types-writable', database.url, { read_only: false });
    try {
      await runQuery(writable.dialect, { sql: "CREATE TYPE colour AS ENUM ('red')", params: [], readOnly: false, maxRows: 1, timeoutMs: 5_000, maxBinaryBytes: 0 });
    } finally {
      await writable.dialect.close();
    }
    const later = await query("SELECT 'red'::colour AS c, ARRAY['red'::colour] AS cs FROM generate_series(1, 3)");
    expect(later.columns).toEqual([{ name: 'c', type: 'colour' }, { name: 'cs', type: 'colour[]' }]);
    expect(later.rows[0]).toEqual(['red', '{red}']); // arrays of user types stay PostgreSQL's text
  });
});

describe('parseArrayLiteral', () => {
  it('handles quoting, escapes, NULL and nesting', () => {
    const text = String.raw`{{"a,b","c\"d"},{NULL,"NULL"}}`;
    expect(parseArrayLiteral(text, (s) => s)).toEqual([['a,b', 'c"d'], [null, 'NULL']]);
    expect(parseArrayLiteral('{}', (s) => s)).toEqual([]);
    expect(parseArrayLiteral('[2:3]={1,2}', Number)).toEqual([1, 2]);
  });
});
