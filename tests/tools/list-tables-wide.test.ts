/**
 * list_tables on wide schemas (issue 13): a generated 10,000-table PostgreSQL database (20 schemas) and a 2,000-table
 * MariaDB one. Following next_cursor lists every table exactly once, each answer within the result budget; the
 * first answer counts tables per schema; a name search or a schema finds what the model needs without paging.
 * How long each call takes is measured by `npm run bench` (bench/RESULTS.md), not here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialectName } from '../../src/config/database-url.js';
import type { Environment } from '../../src/environments/environment.js';
import { listTablesTool } from '../../src/tools/list-tables.js';
import { createTestDatabase, openEnvironment, type TestDatabase } from '../support/test-databases.js';

const SCHEMAS = 20;

const WIDE: Record<'postgres' | 'mysql', { tables: number; statements: () => string[] }> = {
  postgres: {
    tables: 10_000,
    statements: () => [
      `DO $$ BEGIN FOR s IN 0..${SCHEMAS - 1} LOOP EXECUTE format('CREATE SCHEMA s%s', s); END LOOP; END $$`,
      // One transaction cannot lock 10,000 new tables (max_locks_per_transaction): ten of a thousand.
      ...Array.from({ length: 10 }, (_, b) => `DO $$ BEGIN FOR i IN ${b * 1_000 + 1}..${b * 1_000 + 1_000} LOOP
         EXECUTE format('CREATE TABLE s%s.t%s (id int, v text)', i % ${SCHEMAS}, lpad(i::text, 5, '0')); END LOOP; END $$`),
      'ANALYZE',
    ],
  },
  mysql: {
    tables: 2_000,
    statements: () => Array.from({ length: 2_000 }, (_, i) => `CREATE TABLE t${String(i + 1).padStart(5, '0')} (id INT PRIMARY KEY, v TEXT)`),
  },
};

interface Listing {
  readonly tables: readonly { schema: string | null; name: string }[];
  readonly total: number;
  readonly next_cursor: string | null;
}

async function listTables(environment: Environment, args: Record<string, unknown> = {}): Promise<{ structured: Listing; text: string }> {
  const { structured, text } = await listTablesTool.run(listTablesTool.inputSchema.parse(args), { environment, signal: new AbortController().signal });
  return { structured: structured as unknown as Listing, text };
}

describe.each(['postgres', 'mysql'] as const)('list_tables on a wide %s schema', (dialect: DialectName & ('postgres' | 'mysql')) => {
  const wide = WIDE[dialect];
  let database: TestDatabase;
  let environment: Environment;
  beforeAll(async () => {
    database = await createTestDatabase(dialect, wide.statements());
    environment = await openEnvironment('wide', database.url);
  }, 180_000);
  afterAll(async () => {
    await environment?.dialect.close();
    await database?.drop();
  });

  it('lists every table exactly once across its pages, each answer within the result budget', async () => {
    const names: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const { structured, text } = await listTables(environment, cursor === undefined ? {} : { cursor });
      expect(text.length + JSON.stringify(structured).length).toBeLessThanOrEqual(environment.config.maxResultChars);
      expect(structured.total).toBe(wide.tables);
      names.push(...structured.tables.map((t) => `${t.schema}.${t.name}`));
      cursor = structured.next_cursor ?? undefined;
      pages++;
    } while (cursor !== undefined && pages < 100);
    expect(pages).toBeGreaterThan(1);
    expect(names).toHaveLength(wide.tables);
    expect(new Set(names).size).toBe(wide.tables);
  }, 60_000);

  it('first says how many tables each schema holds and how to go on', async () => {
    const { text, structured } = await listTables(environment);
    expect(text.split('\n')[0]).toBe(`${wide.tables.toLocaleString('en-US')} tables in ${dialect === 'postgres' ? SCHEMAS : 1} schema${dialect === 'postgres' ? 's' : ''}: too many for one answer.`);
    if (dialect === 'postgres') expect(text).toContain('s0 500 tables; s1 500 tables;');
    expect(text).toContain(`More: call list_tables again with cursor "${structured.next_cursor}"`);
  });

  it('finds one table by part of its name in one answer, and narrows to a schema', async () => {
    const found = await listTables(environment, { name_contains: 't01234' });
    expect(found.structured.tables.map((t) => t.name)).toEqual(['t01234']);
    expect([found.structured.total, found.structured.next_cursor]).toEqual([1, null]);
    expect(found.text).toMatch(/^1 table:\n/);
    if (dialect === 'postgres') {
      const schema = await listTables(environment, { schema: 's7' });
      expect(schema.structured.total).toBe(500);
      expect(schema.structured.tables.every((t) => t.schema === 's7')).toBe(true);
    }
  });
});
