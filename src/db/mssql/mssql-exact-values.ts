/**
 * Exact decimal, money and datetimeoffset values, rebuilt from the bytes SQL Server sent.
 *
 * tedious (v20, no option to do otherwise) turns DECIMAL/NUMERIC and MONEY into JS doubles, so
 * 12345678901234567890.1234567890 arrives as 12345678901234567000 and a SUM() of money can be a cent off; and it
 * drops the offset of a DATETIMEOFFSET. Its row readers look `readValue` up on its value-parser module at every
 * call, so we wrap that one function: the original still parses every value (and says where it ends), and for a
 * connection registered here the value of those types is rebuilt from the same bytes (MS-TDS §2.2.5.5.1).
 *
 * The wrap is process-wide by nature (it replaces a module export), so it is installed once and does nothing for
 * connections that were not registered: other tedious users in the process see tedious's own values. A test pins
 * it to the installed tedious, so an upgrade that moves the function fails the build rather than losing digits.
 */
import { createRequire } from 'node:module';
import { formatClock, isoDate } from './mssql-types.js';

interface WireMetadata {
  readonly type: { readonly name: string };
  readonly scale?: number | undefined;
}
type ReadValue = (buf: Buffer, offset: number, metadata: WireMetadata, options: object) => { value: unknown; offset: number };

const TICKS_PER_MINUTE = 600_000_000;
const TICKS_PER_DAY = 864_000_000_000;
/** Day 730119 since 0001-01-01 is 2000-01-01 (the same anchor tedious uses). */
const DAYS_TO_2000 = 730_119;
const UTC_2000 = Date.UTC(2000, 0, 1);

/** Parser options objects (one per tedious Connection: `connection.config.options`) that get exact values. */
const exactOptions = new WeakSet<object>();
let isInstalled = false;

/** Makes every row read with these parser options carry exact values. Throws if tedious's parser moved. */
export function useExactValues(parserOptions: object): void {
  installOnce();
  exactOptions.add(parserOptions);
}

function installOnce(): void {
  if (isInstalled) return;
  // The same module instance tedious itself loaded: CommonJS caches by resolved path.
  const valueParser = createRequire(import.meta.url)('tedious/lib/value-parser.js') as { readValue?: ReadValue };
  const original = valueParser.readValue;
  if (typeof original !== 'function') {
    throw new Error('tedious/lib/value-parser.js no longer exports readValue: exact SQL Server decimals need mssql-exact-values.ts updated');
  }
  valueParser.readValue = function readExactValue(buf, offset, metadata, options) {
    const result = original(buf, offset, metadata, options);
    if (result.value !== null && exactOptions.has(options)) {
      const exact = exactValue(metadata, buf.subarray(offset, result.offset));
      if (exact !== undefined) result.value = exact;
    }
    return result;
  };
  isInstalled = true;
}

/** The exact value of one wire value (length prefix included), or undefined for types tedious reads exactly. */
export function exactValue(metadata: WireMetadata, raw: Buffer): string | undefined {
  switch (metadata.type.name) {
    case 'DecimalN':
    case 'NumericN':
      return decodeDecimal(raw.subarray(1), metadata.scale ?? 0);
    case 'MoneyN':
      return decodeMoney(raw.subarray(1));
    case 'Money':
    case 'SmallMoney':
      return decodeMoney(raw);
    case 'DateTimeOffset':
      return decodeDateTimeOffset(raw.subarray(1), metadata.scale ?? 7);
    default:
      return undefined;
  }
}

/** DECIMAL/NUMERIC: a sign byte (1 = positive) and an unsigned little-endian integer of 4, 8, 12 or 16 bytes. */
export function decodeDecimal(bytes: Buffer, scale: number): string {
  let magnitude = 0n;
  for (let i = bytes.length - 1; i >= 1; i--) magnitude = (magnitude << 8n) | BigInt(bytes[i]!);
  return formatScaled(bytes[0] === 1 ? magnitude : -magnitude, scale);
}

/** MONEY: a signed 64-bit count of 1/10000, high 32 bits first; SMALLMONEY: a signed 32-bit count. */
export function decodeMoney(bytes: Buffer): string {
  const units = bytes.length === 4
    ? BigInt(bytes.readInt32LE(0))
    : (BigInt(bytes.readInt32LE(0)) << 32n) + BigInt(bytes.readUInt32LE(4));
  return formatScaled(units, 4);
}

/** `units` / 10^scale with exactly `scale` fractional digits, as SQL Server prints it (120.50, -0.0100). */
export function formatScaled(units: bigint, scale: number): string {
  const isNegative = units < 0n;
  const digits = (isNegative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale > 0 ? `.${digits.slice(digits.length - scale)}` : '';
  return `${isNegative ? '-' : ''}${whole}${fraction}`;
}

/**
 * DATETIMEOFFSET: time of day in 10^-scale s units (3 to 5 bytes), days since 0001-01-01 (3 bytes) — both in
 * UTC — and the offset in minutes (signed 16 bits). Rendered in its own offset, the way it was written.
 */
export function decodeDateTimeOffset(bytes: Buffer, scale: number): string {
  const timeLength = bytes.length - 5;
  const units = bytes.readUIntLE(0, timeLength);
  const utcDays = bytes.readUIntLE(timeLength, 3);
  const offsetMinutes = bytes.readInt16LE(timeLength + 3);
  let ticks = units * 10 ** (7 - scale) + offsetMinutes * TICKS_PER_MINUTE;
  let days = utcDays;
  if (ticks < 0) {
    ticks += TICKS_PER_DAY;
    days -= 1;
  } else if (ticks >= TICKS_PER_DAY) {
    ticks -= TICKS_PER_DAY;
    days += 1;
  }
  const date = new Date(UTC_2000 + (days - DAYS_TO_2000) * 86_400_000);
  const seconds = Math.floor(ticks / 10_000_000);
  const clock = formatClock(Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60, ticks % 10_000_000, scale);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const offset = Math.abs(offsetMinutes);
  return `${isoDate(date)}T${clock}${sign}${String(Math.floor(offset / 60)).padStart(2, '0')}:${String(offset % 60).padStart(2, '0')}`;
}
