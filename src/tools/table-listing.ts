/**
 * list_tables on schemas of any size: the tables a call may see, in one order (schema, then name, by code unit), cut
 * into pages that fit the environment's result budget, each page ending with a cursor for the next. A listing that
 * does not fit one page also says how many tables and views each schema holds, so that the model can narrow by
 * schema or name instead of paging through thousands.
 *
 * The cursor names the last table of the page and the filters it was made with (base64url JSON, not a secret: it
 * selects nothing the caller could not list). Keyset, not offset: a table created or dropped between two calls
 * shifts nothing, so no table is listed twice or skipped because of it.
 */
import { z } from 'zod';
import type { TableSummary } from '../db/dialect.js';
import { InvalidInputError } from '../errors.js';

/** What the filters of a listing were: a cursor is good only for the same ones. */
export interface ListingFilter {
  readonly schema?: string;
  readonly nameContains?: string;
}

export interface SchemaSummary {
  readonly schema: string | null;
  readonly tables: number;
  readonly views: number;
}

export interface TablePage {
  readonly tables: readonly TableSummary[];
  /** 1-based position of the page's first table in the whole listing. */
  readonly first: number;
  /** Tables and views the filters match, on every page. */
  readonly total: number;
  readonly nextCursor: string | null;
  /** Per-schema counts when the listing does not fit one page; null when it does. */
  readonly schemas: readonly SchemaSummary[] | null;
}

/** A page never holds more than this many tables, whatever the budget. */
const MAX_PAGE_TABLES = 1_000;
/** Schemas named in the summary at most; beyond, only their number is given. */
export const MAX_SUMMARY_SCHEMAS = 200;

const cursorSchema = z.object({
  after: z.tuple([z.string().nullable(), z.string()]),
  schema: z.string().nullable(),
  name_contains: z.string().nullable(),
});

/**
 * The page of `tables` that starts after `cursor` (or at the beginning) and fits `maxChars`, where `costOf` says
 * what one table takes in the answer (its text line and its JSON).
 */
export function pageOfTables(tables: readonly TableSummary[], filter: ListingFilter, cursor: string | undefined, maxChars: number, costOf: (table: TableSummary) => number): TablePage {
  const ordered = [...tables].sort(compareTables);
  const start = cursor === undefined ? 0 : firstAfter(ordered, decodeCursor(cursor, filter));
  let end = start;
  let used = 0;
  while (end < ordered.length && end - start < MAX_PAGE_TABLES) {
    const cost = costOf(ordered[end]!);
    if (end > start && used + cost > maxChars) break; // a page holds at least one table
    used += cost;
    end++;
  }
  const page = ordered.slice(start, end);
  const isWhole = start === 0 && end === ordered.length;
  const last = page.at(-1);
  return {
    tables: page,
    first: start + 1,
    total: ordered.length,
    nextCursor: end < ordered.length && last ? encodeCursor(last, filter) : null,
    schemas: isWhole ? null : summarizeSchemas(ordered),
  };
}

export function summarizeSchemas(tables: readonly TableSummary[]): SchemaSummary[] {
  const bySchema = new Map<string | null, { tables: number; views: number }>();
  for (const table of tables) {
    const counts = bySchema.get(table.schema) ?? { tables: 0, views: 0 };
    if (table.kind === 'view') counts.views++;
    else counts.tables++;
    bySchema.set(table.schema, counts);
  }
  return [...bySchema].map(([schema, counts]) => ({ schema, ...counts }));
}

/** By schema (no schema first), then name, comparing code units: list_tables' pages and the schema resources. */
export function compareTables(a: Pick<TableSummary, 'schema' | 'name'>, b: Pick<TableSummary, 'schema' | 'name'>): number {
  return compareKeys([a.schema, a.name], [b.schema, b.name]);
}

/** By schema (no schema first), then name, comparing code units: the same order on every engine and every call. */
function compareKeys(a: readonly [string | null, string], b: readonly [string | null, string]): number {
  if (a[0] !== b[0]) {
    if (a[0] === null) return -1;
    if (b[0] === null) return 1;
    return a[0] < b[0] ? -1 : 1;
  }
  return a[1] === b[1] ? 0 : a[1] < b[1] ? -1 : 1;
}

function firstAfter(ordered: readonly TableSummary[], after: readonly [string | null, string]): number {
  let low = 0;
  let high = ordered.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (compareKeys([ordered[middle]!.schema, ordered[middle]!.name], after) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

function encodeCursor(last: TableSummary, filter: ListingFilter): string {
  const cursor: z.infer<typeof cursorSchema> = { after: [last.schema, last.name], schema: filter.schema ?? null, name_contains: filter.nameContains ?? null };
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

function decodeCursor(text: string, filter: ListingFilter): readonly [string | null, string] {
  let cursor: z.infer<typeof cursorSchema>;
  try {
    cursor = cursorSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw new InvalidInputError('cursor is not one that list_tables gave.', {
      hint: 'Pass next_cursor from the previous list_tables answer exactly as it was, or leave cursor out to start from the first page.',
    });
  }
  if (cursor.schema !== (filter.schema ?? null) || cursor.name_contains !== (filter.nameContains ?? null)) {
    throw new InvalidInputError('cursor was made for other filters: it goes with the schema and name_contains of the call that returned it.', {
      hint: `Repeat that call's filters with the cursor (schema: ${JSON.stringify(cursor.schema)}, name_contains: ${JSON.stringify(cursor.name_contains)}), or leave cursor out to start again.`,
    });
  }
  return cursor.after;
}
