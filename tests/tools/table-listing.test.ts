/**
 * list_tables' pages (table-listing.ts): a listing larger than the budget comes in pages that together hold every
 * table exactly once, in one order, each within the budget; the cursor only continues the listing it came from.
 */
import { describe, expect, it } from 'vitest';
import type { TableSummary } from '../../src/db/dialect.js';
import { pageOfTables } from '../../src/tools/table-listing.js';

const table = (schema: string | null, name: string, kind: 'table' | 'view' = 'table'): TableSummary => ({ schema, name, kind, estimatedRows: null });
const costOf = (t: TableSummary) => t.name.length + 20;

/** 10,000 tables in 20 schemas, listed in no particular order, with a view in each schema. */
const WIDE: TableSummary[] = [
  ...Array.from({ length: 10_000 }, (_, i) => table(`s${(i * 7) % 20}`, `t${i}`)),
  ...Array.from({ length: 20 }, (_, s) => table(`s${s}`, 'v_summary', 'view')),
].reverse();

function allPages(tables: readonly TableSummary[], maxChars: number, filter = {}) {
  const pages = [];
  let cursor: string | undefined;
  do {
    const page = pageOfTables(tables, filter, cursor, maxChars, costOf);
    pages.push(page);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && pages.length < 10_000);
  return pages;
}

describe('pages of a long listing', () => {
  it('hold every table exactly once, by schema then name, each page within the budget', () => {
    const pages = allPages(WIDE, 20_000);
    const listed = pages.flatMap((page) => page.tables.map((t) => `${t.schema}.${t.name}`));
    expect(listed).toHaveLength(WIDE.length);
    expect(new Set(listed).size).toBe(WIDE.length);
    expect(listed).toEqual([...listed].sort());
    for (const page of pages) {
      expect(page.tables.reduce((sum, t) => sum + costOf(t), 0)).toBeLessThanOrEqual(20_000);
      expect(page.total).toBe(WIDE.length);
    }
    expect(pages.at(-1)!.nextCursor).toBeNull();
    expect(pages.map((p) => p.first)).toEqual(pages.map((_, i) => 1 + pages.slice(0, i).reduce((n, p) => n + p.tables.length, 0)));
  });

  it('count tables and views per schema on every page of a listing that does not fit, and not on one that does', () => {
    const first = pageOfTables(WIDE, {}, undefined, 20_000, costOf);
    expect(first.schemas).toHaveLength(20);
    expect(first.schemas!.find((s) => s.schema === 's0')).toEqual({ schema: 's0', tables: 500, views: 1 });
    const small = pageOfTables(WIDE.slice(0, 10), {}, undefined, 20_000, costOf);
    expect([small.schemas, small.nextCursor, small.tables.length]).toEqual([null, null, 10]);
  });

  it('never skip or repeat a table because one was created or dropped between two pages', () => {
    const first = pageOfTables(WIDE, {}, undefined, 5_000, costOf);
    const last = first.tables.at(-1)!;
    const changed = [table('s0', 'a_new_table'), ...WIDE.filter((t) => t !== first.tables[0])];
    const second = pageOfTables(changed, {}, first.nextCursor!, 5_000, costOf);
    const expected = [...WIDE].sort((a, b) => (`${a.schema}\u0000${a.name}` < `${b.schema}\u0000${b.name}` ? -1 : 1));
    expect(second.tables[0]).toEqual(expected[expected.indexOf(last) + 1]);
  });

  it('hold at least one table however small the budget, and at most 1,000', () => {
    expect(pageOfTables(WIDE, {}, undefined, 1, costOf).tables).toHaveLength(1);
    expect(pageOfTables(WIDE, {}, undefined, 10_000_000, costOf).tables).toHaveLength(1_000);
  });
});

describe('the cursor', () => {
  it('is refused with other filters than its own, saying which', () => {
    const { nextCursor } = pageOfTables(WIDE, { schema: 's1' }, undefined, 2_000, costOf);
    expect(() => pageOfTables(WIDE, {}, nextCursor!, 2_000, costOf)).toThrow(expect.objectContaining({
      code: 'SG_INVALID_INPUT',
      message: 'cursor was made for other filters: it goes with the schema and name_contains of the call that returned it.',
      hint: expect.stringContaining('schema: "s1", name_contains: null'),
    }));
    expect(pageOfTables(WIDE.filter((t) => t.schema === 's1'), { schema: 's1' }, nextCursor!, 2_000, costOf).tables[0]!.schema).toBe('s1');
  });

  it('is refused when it is not one list_tables gave', () => {
    for (const cursor of ['', 'not a cursor', Buffer.from('{"after":[1,2]}').toString('base64url')]) {
      expect(() => pageOfTables(WIDE, {}, cursor, 2_000, costOf)).toThrow(expect.objectContaining({ code: 'SG_INVALID_INPUT', message: 'cursor is not one that list_tables gave.' }));
    }
  });
});
