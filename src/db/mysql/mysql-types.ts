/**
 * MySQL/MariaDB wire types → sqlgate's canonical values and result column type names.
 *
 * Rows arrive in the text protocol, so most values are read from the exact text the server sent: decimals and
 * temporal values keep every digit, and the session's `time_zone = '+00:00'` makes TIMESTAMP text UTC.
 * The cast never throws: a throw inside mysql2's row parser leaves the connection mid-result.
 */
import type { FieldPacket, TypeCastField, TypeCastNext } from 'mysql2';

/** mysql2's column-type numbers (MYSQL_TYPE_* of the protocol). */
const WIRE_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'decimal', 1: 'tinyint', 2: 'smallint', 3: 'int', 4: 'float', 5: 'double', 6: 'null', 7: 'timestamp',
  8: 'bigint', 9: 'mediumint', 10: 'date', 11: 'time', 12: 'datetime', 13: 'year', 14: 'date', 15: 'varchar',
  16: 'bit', 242: 'vector', 245: 'json', 246: 'decimal', 247: 'enum', 248: 'set', 249: 'blob', 250: 'blob',
  251: 'blob', 252: 'blob', 253: 'varchar', 254: 'char', 255: 'geometry',
};
const NUMERIC_WIRE_TYPES = new Set([0, 1, 2, 3, 4, 5, 8, 9, 246]);
const FLAG_UNSIGNED = 32;
const FLAG_ENUM = 256;
const FLAG_SET = 2048;
const BINARY_CHARSET = 63;

/**
 * The lower-case type name of a result column: `int`, `bigint unsigned`, `decimal`, `varchar`, `varbinary`,
 * `text`, `blob`, `datetime`, `json`, `enum` … Lengths are not on the wire in a usable form, so none are shown.
 * MariaDB's extended metadata names its own types (`uuid`, `inet6`) and marks JSON columns (stored as LONGTEXT).
 */
export function resultColumnType(field: FieldPacket): string {
  if (field.extendedFormat === 'json') return 'json';
  if (field.extendedTypeName) return field.extendedTypeName.toLowerCase();
  const wireType = field.columnType ?? field.type ?? -1;
  const flags = typeof field.flags === 'number' ? field.flags : 0;
  const isBinary = field.characterSet === BINARY_CHARSET;
  let name = WIRE_TYPE_NAMES[wireType] ?? 'unknown';
  if (name === 'blob' && !isBinary) name = 'text';
  if (wireType === 253 && isBinary) name = 'varbinary';
  if (wireType === 254) name = flags & FLAG_ENUM ? 'enum' : flags & FLAG_SET ? 'set' : isBinary ? 'binary' : 'char';
  if (NUMERIC_WIRE_TYPES.has(wireType) && flags & FLAG_UNSIGNED) name += ' unsigned';
  return name;
}

/**
 * mysql2 `typeCast`: reads one value in its canonical form.
 * - TINYINT … INT, YEAR: number; BIGINT (signed or unsigned): bigint, so no digit is ever rounded
 * - DECIMAL: exact string; FLOAT/DOUBLE: number
 * - DATE 'YYYY-MM-DD'; DATETIME 'YYYY-MM-DDTHH:MM:SS[.ffffff]' with the column's fractional digits;
 *   TIMESTAMP the same plus 'Z'; TIME as sent ('-838:59:59' is a valid TIME, not a time of day)
 * - JSON (MySQL's type, or MariaDB's LONGTEXT flagged JSON): parsed, big integers as bigint; invalid text stays text
 * - BIT: number, or bigint beyond 53 bits; GEOMETRY: its internal bytes (SRID + WKB), as binary
 * - everything else (strings, ENUM, SET, binary strings, BLOB): what mysql2 reads — string, or Buffer when binary
 */
export function castMysqlValue(field: TypeCastField, next: TypeCastNext): unknown {
  if (field.extendedFormat === 'json') return parseJsonText(field.string('utf8'));
  switch (field.type) {
    case 'LONGLONG': {
      const text = field.string('ascii');
      return text === null ? null : BigInt(text);
    }
    case 'DATE':
    case 'NEWDATE':
      return field.string('ascii');
    case 'DATETIME':
    case 'DATETIME2':
      return isoDateTime(field.string('ascii'), '');
    case 'TIMESTAMP':
    case 'TIMESTAMP2':
      return isoDateTime(field.string('ascii'), 'Z');
    case 'TIME':
    case 'TIME2':
      return field.string('ascii');
    case 'JSON':
      return parseJsonText(field.string('utf8'));
    case 'BIT':
      return bitValue(field.buffer());
    case 'GEOMETRY':
      return field.buffer();
    default:
      return next();
  }
}

/** '2024-02-29 13:45:30.123456' → '2024-02-29T13:45:30.123456' (+ suffix). Zero dates stay as the server sent them. */
function isoDateTime(text: string | null, suffix: string): string | null {
  if (text === null) return null;
  if (text.startsWith('0000-00-00')) return text;
  return `${text.replace(' ', 'T')}${suffix}`;
}

function bitValue(bytes: Buffer | null): number | bigint | null {
  if (bytes === null) return null;
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/**
 * JSON text → value. Integers beyond ±2^53 become bigint from their source digits (JSON.parse would round them).
 * Text that is not valid JSON (possible in a MariaDB LONGTEXT without a JSON check) is returned unchanged.
 */
export function parseJsonText(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text, exactIntegers as (key: string, value: unknown) => unknown);
  } catch {
    return text;
  }
}

/** Node ≥ 22 passes the literal's source text as the reviver's third argument. */
function exactIntegers(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && !Number.isSafeInteger(value) && context?.source && /^-?\d+$/.test(context.source)) {
    return BigInt(context.source);
  }
  return value;
}
