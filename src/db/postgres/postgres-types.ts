/**
 * PostgreSQL text-format values → the canonical values of dialect.ts (see serialize-value.ts for the JSON side).
 *
 * Installed per client through pg's `types` option, never by mutating the global `pg.types`, so other code in the
 * process keeps pg's defaults. The parsers rely on the session settings pinned in postgres-connection.ts (UTC time
 * zone, ISO DateStyle and IntervalStyle, hex bytea, shortest-exact floats). Types without a parser here (text,
 * uuid, numeric, money, time, interval, inet, ranges, enums, user types …) stay the server's text, which is exact.
 */
import type { CustomTypesConfig } from 'pg';

type Parser = (text: string) => unknown;

const asText: Parser = (text) => text;

/** Builtin type OIDs (stable across PostgreSQL versions: they are fixed in pg_type.dat). */
const OID = {
  bool: 16, bytea: 17, int8: 20, int2: 21, int4: 23, oid: 26, json: 114, float4: 700, float8: 701,
  date: 1082, timestamp: 1114, timestamptz: 1184, jsonb: 3802,
} as const;

const SCALAR_PARSERS = new Map<number, Parser>([
  [OID.bool, (text) => text === 't'],
  [OID.bytea, parseBytea],
  // int8 can exceed 2^53: always a BigInt, serialize-value decides whether it fits a JSON number.
  [OID.int8, (text) => BigInt(text)],
  [OID.int2, Number],
  [OID.int4, Number],
  [OID.oid, Number],
  // Number() reads "NaN", "Infinity" and "-Infinity" as PostgreSQL prints them.
  [OID.float4, Number],
  [OID.float8, Number],
  [OID.date, isoYear],
  [OID.timestamp, parseTimestamp],
  [OID.timestamptz, parseTimestamptz],
  [OID.json, parseJson],
  [OID.jsonb, parseJson],
]);

/** Array type OID → element type OID, for the element types whose values we convert or that are common as text. */
const ARRAY_ELEMENTS = new Map<number, number>([
  [1000, OID.bool], [1001, OID.bytea], [1016, OID.int8], [1005, OID.int2], [1007, OID.int4], [1028, OID.oid],
  [1021, OID.float4], [1022, OID.float8], [1182, OID.date], [1115, OID.timestamp], [1185, OID.timestamptz],
  [199, OID.json], [3807, OID.jsonb],
  // Elements kept as text: numeric, money, text, varchar, bpchar, name, "char", uuid, time, timetz, interval,
  // inet, cidr, macaddr, bit, varbit, xml.
  [1231, 0], [791, 0], [1009, 0], [1015, 0], [1014, 0], [1003, 0], [1002, 0], [2951, 0], [1183, 0], [1270, 0],
  [1187, 0], [1041, 0], [651, 0], [1040, 0], [1561, 0], [1563, 0], [143, 0],
]);

/** The parser for one column type (text format: the only format sqlgate asks for). */
function parserFor(oid: number): Parser {
  const scalar = SCALAR_PARSERS.get(oid);
  if (scalar) return orText(scalar);
  const element = ARRAY_ELEMENTS.get(oid);
  if (element === undefined) return asText;
  const parseElement = SCALAR_PARSERS.get(element) ?? asText;
  return orText((text) => parseArrayLiteral(text, parseElement));
}

/**
 * Parsers run inside pg's socket handler, where a throw would crash the process rather than fail the statement.
 * None should throw on what PostgreSQL prints; if one does, the server's own text is still exact.
 */
function orText(parse: Parser): Parser {
  return (text) => {
    try {
      return parse(text);
    } catch {
      return text;
    }
  };
}

/** pg's per-client type hook. */
export const POSTGRES_TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number) => parserFor(oid)) as CustomTypesConfig['getTypeParser'],
};

/**
 * Parses an array literal as PostgreSQL prints it: `{1,2,NULL}`, `{{"a b","c\"d"},{e,f}}`, `[0:1]={x,y}`.
 * Explicit bounds (printed when the lower bound is not 1) are dropped: JSON arrays start at 0 anyway.
 */
export function parseArrayLiteral(text: string, parseElement: Parser): unknown[] {
  let i = text.startsWith('[') ? text.indexOf('=') + 1 : 0;
  const parseLevel = (): unknown[] => {
    const out: unknown[] = [];
    i++; // '{'
    if (text[i] === '}') {
      i++;
      return out;
    }
    while (i < text.length) {
      if (text[i] === '{') {
        out.push(parseLevel());
      } else if (text[i] === '"') {
        let value = '';
        for (i++; i < text.length && text[i] !== '"'; i++) {
          if (text[i] === '\\') i++;
          value += text[i] ?? '';
        }
        i++; // closing quote
        out.push(parseElement(value));
      } else {
        const start = i;
        while (i < text.length && text[i] !== ',' && text[i] !== '}') i++;
        const raw = text.slice(start, i);
        // Only an unquoted NULL is null; a quoted "NULL" is the text.
        out.push(raw === 'NULL' ? null : parseElement(raw));
      }
      if (text[i++] !== ',') break; // '}' ends this level
    }
    return out;
  };
  return parseLevel();
}

/** bytea in hex output (`\x…`, what the session asks for) or, defensively, the older escape format. */
function parseBytea(text: string): Buffer {
  if (text.startsWith('\\x')) return Buffer.from(text.slice(2), 'hex');
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '\\') {
      bytes.push(text.charCodeAt(i));
    } else if (text[i + 1] === '\\') {
      bytes.push(0x5c);
      i++;
    } else {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 4), 8));
      i += 3;
    }
  }
  return Buffer.from(bytes);
}

/**
 * PostgreSQL prints years before 1 AD as `0044-03-15 BC`; ISO 8601 counts a year 0, so 1 BC is `0000` and
 * 44 BC is `-0043`. `infinity` and `-infinity` pass through unchanged.
 */
function isoYear(text: string): string {
  if (!text.endsWith(' BC')) return text;
  const body = text.slice(0, -3);
  const dash = body.indexOf('-');
  return `${formatYear(1 - Number(body.slice(0, dash)))}${body.slice(dash)}`;
}

/** `2024-02-29 13:45:30.123456` → `2024-02-29T13:45:30.123456`, every fractional digit kept, no offset. */
function parseTimestamp(text: string): string {
  return isoYear(text).replace(' ', 'T');
}

const TIMESTAMPTZ = /^(-?\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?$/;

/**
 * A timestamptz in UTC with `Z`. The session runs in UTC so the offset is normally +00; a statement may still
 * have changed the time zone (SET in a committed session), so any offset is converted rather than trusted.
 */
function parseTimestamptz(text: string): string {
  const iso = isoYear(text);
  const match = TIMESTAMPTZ.exec(iso);
  if (!match) return iso; // infinity, -infinity
  const [, year, month, day, hour, minute, second, fraction = '', sign, offsetH, offsetM = '0', offsetS = '0'] = match;
  const offsetSeconds = (sign === '-' ? -1 : 1) * (Number(offsetH) * 3600 + Number(offsetM) * 60 + Number(offsetS));
  if (offsetSeconds === 0) return `${iso.slice(0, iso.indexOf(' '))}T${hour}:${minute}:${second}${fraction}Z`;
  const utc = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 1900–1999.
  utc.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  utc.setUTCHours(Number(hour), Number(minute), Number(second) - offsetSeconds, 0);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${formatYear(utc.getUTCFullYear())}-${two(utc.getUTCMonth() + 1)}-${two(utc.getUTCDate())}` +
    `T${two(utc.getUTCHours())}:${two(utc.getUTCMinutes())}:${two(utc.getUTCSeconds())}${fraction}Z`
  );
}

function formatYear(year: number): string {
  return year < 0 ? `-${String(-year).padStart(4, '0')}` : String(year).padStart(4, '0');
}

/**
 * json and jsonb as JSON values. An integer beyond ±2^53 would silently lose digits in JSON.parse, so it becomes
 * a BigInt from its source text (serialize-value prints it as a string with every digit).
 */
function parseJson(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' && !Number.isSafeInteger(value) && /^-?\d+$/.test(context?.source ?? '')
      ? BigInt(context!.source!)
      : value,
  );
}
