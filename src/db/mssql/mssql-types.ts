/**
 * tedious values → sqlgate's canonical values, result column type names, and parameter binding.
 *
 * | SQL Server                          | canonical value                                                        |
 * |-------------------------------------|------------------------------------------------------------------------|
 * | tinyint, smallint, int              | number                                                                 |
 * | bigint                              | bigint (tedious hands over a string; every digit is kept)              |
 * | decimal, numeric, money, smallmoney | exact string with the column's scale (see mssql-exact-values.ts)       |
 * | float / real                        | number (real: the shortest decimal that is the same float32)           |
 * | bit                                 | boolean                                                                |
 * | date                                | 'YYYY-MM-DD'                                                           |
 * | datetime2, datetime, smalldatetime  | 'YYYY-MM-DDTHH:MM:SS[.f…]' with the type's digits (7, 3, none)         |
 * | datetimeoffset                      | 'YYYY-MM-DDTHH:MM:SS[.f…]±HH:MM', the offset as stored                 |
 * | time                                | 'HH:MM:SS[.f…]'                                                        |
 * | uniqueidentifier                    | lower-case string                                                      |
 * | char, varchar, text, n…, xml, JSON  | string                                                                 |
 * | binary, varbinary, image, rowversion| Buffer                                                                 |
 *
 * Temporal values arrive as UTC Dates (useUTC), so no time zone shifts them; tedious adds the sub-millisecond part
 * as `nanosecondsDelta`, which keeps datetime2 and time exact to the 100 ns tick.
 */
import tedious from 'tedious';
import type { ColumnMetadata } from 'tedious/lib/token/colmetadata-token-parser.js';
import { InvalidInputError } from '../../errors.js';
import type { ResultColumn } from '../dialect.js';

/** What canonicalValue needs to know about a result column. */
export interface MssqlColumn extends ResultColumn {
  /** Fractional-second digits of time, datetime2 and datetimeoffset. */
  readonly scale: number;
}

const TICKS_PER_SECOND = 10_000_000;

/** The engine's type name, lower-case, for a column of a result (`IntN` of length 8 is `bigint`). */
export function sqlTypeName(metadata: Pick<ColumnMetadata, 'type' | 'dataLength' | 'udtInfo'>): string {
  const name = metadata.type.name;
  switch (name) {
    case 'IntN':
      return ({ 1: 'tinyint', 2: 'smallint', 4: 'int', 8: 'bigint' } as Record<number, string>)[metadata.dataLength ?? 4] ?? 'int';
    case 'FloatN':
      return metadata.dataLength === 4 ? 'real' : 'float';
    case 'MoneyN':
      return metadata.dataLength === 4 ? 'smallmoney' : 'money';
    case 'DateTimeN':
      return metadata.dataLength === 4 ? 'smalldatetime' : 'datetime';
    case 'BitN':
      return 'bit';
    case 'DecimalN':
      return 'decimal';
    case 'NumericN':
      return 'numeric';
    case 'Variant':
      return 'sql_variant';
    case 'UDT':
      // hierarchyid, geography, geometry, or a CLR type of the database.
      return (metadata.udtInfo?.typeName ?? 'udt').toLowerCase();
    default:
      return name.toLowerCase();
  }
}

/** Result columns of one result set, in column order. */
export function resultColumns(metadata: readonly ColumnMetadata[]): MssqlColumn[] {
  return metadata.map((column) => ({ name: column.colName, type: sqlTypeName(column), scale: column.scale ?? 7 }));
}

/** One tedious value of `column` in canonical form (see the table above). */
export function canonicalValue(value: unknown, column: Pick<MssqlColumn, 'type' | 'scale'>): unknown {
  if (value === null || value === undefined) return null;
  switch (column.type) {
    case 'bigint':
      return typeof value === 'string' || typeof value === 'number' ? BigInt(value) : value;
    case 'decimal':
    case 'numeric':
    case 'money':
    case 'smallmoney':
      // Strings from mssql-exact-values.ts; a number would have lost digits, but still say what it is.
      return typeof value === 'number' ? String(value) : value;
    case 'real':
      return typeof value === 'number' ? shortestFloat32(value) : value;
    case 'date':
      return value instanceof Date ? isoDate(value) : value;
    case 'datetime2':
      return value instanceof Date ? isoDateTime(value, column.scale) : value;
    case 'datetime':
      // 1/300 s ticks, which tedious rounds to milliseconds, as SQL Server shows them.
      return value instanceof Date ? isoDateTime(value, 3) : value;
    case 'smalldatetime':
      return value instanceof Date ? isoDateTime(value, 0) : value;
    case 'time':
      return value instanceof Date ? clockTime(value, column.scale) : value;
    case 'uniqueidentifier':
      return typeof value === 'string' ? value.toLowerCase() : value;
    default:
      return value;
  }
}

/** `YYYY-MM-DD` of a UTC date (years 1 … 9999 are padded to four digits). */
export function isoDate(date: Date): string {
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`;
}

function isoDateTime(date: Date, scale: number): string {
  return `${isoDate(date)}T${clockTime(date, scale)}`;
}

/** `HH:MM:SS[.f…]` of a UTC date, with `scale` fractional digits from its 100 ns ticks. */
function clockTime(date: Date, scale: number): string {
  const ticks = date.getUTCMilliseconds() * 10_000 + Math.round(((date as { nanosecondsDelta?: number }).nanosecondsDelta ?? 0) * TICKS_PER_SECOND);
  return formatClock(date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), ticks, scale);
}

/** `HH:MM:SS` plus `scale` (0 … 7) digits of `ticks` (100 ns units within the second). */
export function formatClock(hours: number, minutes: number, seconds: number, ticks: number, scale: number): string {
  const clock = `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}`;
  const digits = Math.max(0, Math.min(7, scale));
  return digits === 0 ? clock : `${clock}.${pad(ticks, 7).slice(0, digits)}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** A float32 read into a double (1.100000023841858) as the shortest decimal that is the same float32 (1.1). */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value)) return value;
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === Math.fround(value)) return candidate;
  }
  return value;
}

/** A positional parameter as tedious binds it: the SQL type declared to sp_executesql, and the value. */
export interface BoundParameter {
  readonly type: (typeof tedious.TYPES)[keyof typeof tedious.TYPES];
  readonly value: unknown;
}

/**
 * The declared type of a parameter follows its JavaScript value: string → nvarchar, integer → int (bigint beyond
 * 32 bits), other number → float, boolean → bit, bigint → bigint, Buffer → varbinary, null → nvarchar NULL.
 * SQL Server converts from there as it would a literal of that type.
 *
 * Every one of these is written exactly: a float is the very double the caller's number is, and a numeric string
 * stays text that SQL Server converts digit for digit. tedious's decimal and numeric types are never used: they take
 * the value through parseFloat (digits beyond a double's 15 to 17 are lost without a word) and throw on a magnitude
 * too wide for the declared precision (2^64 up to precision 19) only while the RPC message is already being streamed. What tedious cannot write correctly
 * (a bigint beyond 64 bits, a number that is not finite) is refused here, naming the parameter, before anything is
 * sent.
 */
export function bindParameter(value: unknown, position: number): BoundParameter {
  const { TYPES } = tedious;
  if (value === null || value === undefined) return { type: TYPES.NVarChar, value: null };
  switch (typeof value) {
    case 'string':
      return { type: TYPES.NVarChar, value };
    case 'boolean':
      return { type: TYPES.Bit, value };
    case 'bigint':
      return { type: TYPES.BigInt, value: withinBigint(value, position) };
    case 'number':
      return bindNumber(value, position);
  }
  if (Buffer.isBuffer(value)) return { type: TYPES.VarBinary, value };
  throw new InvalidInputError(`Parameter @p${position} has a type SQL Server parameters cannot take.`, {
    hint: 'Pass strings, numbers, booleans or null.',
  });
}

/** SQL Server's bigint, the widest integer a parameter carries: tedious writes it as 8 bytes. */
const BIGINT_MIN = -(2n ** 63n);
const BIGINT_MAX = 2n ** 63n - 1n;
const INT_MIN = -2_147_483_648;
const INT_MAX = 2_147_483_647;

function bindNumber(value: number, position: number): BoundParameter {
  const { TYPES } = tedious;
  // tedious would write Infinity as a float bit pattern SQL Server rejects once the message has arrived, and
  // refuses NaN with a message that does not say which parameter.
  if (!Number.isFinite(value)) {
    throw new InvalidInputError(`Parameter @p${position} is ${value}, which SQL Server's float cannot hold.`, {
      hint: 'Pass a finite number, or null.',
    });
  }
  if (Number.isInteger(value) && value >= INT_MIN && value <= INT_MAX) return { type: TYPES.Int, value };
  if (Number.isSafeInteger(value)) return { type: TYPES.BigInt, value: BigInt(value) };
  // Beyond ±2^53 an integer is sent as the double it is, exactly what the caller's JSON number became: digits its
  // text had past a double's were lost when the request was parsed, before sqlgate (to keep them, send a string).
  return { type: TYPES.Float, value };
}

/** `value` if bigint can hold it. tedious refuses wider ones too, but without naming the parameter or the way out. */
function withinBigint(value: bigint, position: number): bigint {
  if (value >= BIGINT_MIN && value <= BIGINT_MAX) return value;
  const digits = (value < 0n ? -value : value).toString().length;
  const shown = digits <= 40 ? String(value) : `an integer of ${digits} digits`;
  throw new InvalidInputError(
    `Parameter @p${position} is ${shown}, outside bigint (-9223372036854775808 to 9223372036854775807): SQL Server parameters carry integers of at most 64 bits.`,
    { hint: `Pass it as a string and convert it in the SQL, e.g. CAST(@p${position} AS decimal(38, 0)), which holds up to 38 digits.` },
  );
}
