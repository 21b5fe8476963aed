/**
 * Turns a dialect's canonical value into exact JSON.
 *
 * - integers within ±2^53 are numbers; beyond that (bigint) they are strings with every digit
 * - exact decimals arrive as strings from the dialects and stay strings
 * - non-finite floats become the strings "NaN", "Infinity", "-Infinity"
 * - binary becomes base64, cut after `maxBinaryBytes` bytes with a marker naming the full length
 * - Date (a fallback; dialects deliver temporal values as ISO strings) becomes ISO 8601 UTC
 * - JSON objects and arrays stay natural JSON, recursively
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function serializeValue(value: unknown, maxBinaryBytes: number): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
        ? Number(value)
        : value.toString();
    case 'object':
      break;
    default:
      return String(value);
  }
  if (value instanceof Uint8Array) return encodeBinary(value, maxBinaryBytes);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) return value.map((item) => serializeValue(item, maxBinaryBytes));
  const out: Record<string, JsonValue> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) out[key] = serializeValue(item, maxBinaryBytes);
  return out;
}

/** Base64 of at most `maxBytes` bytes; a longer value ends in `…[N bytes]` naming its full length. */
export function encodeBinary(bytes: Uint8Array, maxBytes: number): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length <= maxBytes) return buffer.toString('base64');
  return `${buffer.subarray(0, maxBytes).toString('base64')}…[${buffer.length} bytes]`;
}
