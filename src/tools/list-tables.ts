/**
 * list_tables: the tables and views the environment's login can see, with estimated row counts. Under a
 * table/column policy, the tables the caller may not see are left out as if they did not exist. A listing larger
 * than the result budget comes in pages with a cursor, the first with a count per schema (table-listing.ts).
 */
import { z } from 'zod';
import type { TableSummary } from '../db/dialect.js';
import { CatalogPolicy } from '../policy/catalog-policy.js';
import { MAX_SUMMARY_SCHEMAS, pageOfTables, type SchemaSummary, type TablePage } from './table-listing.js';
import { defineTool } from './tool.js';
import { readOnlyHints } from './hints.js';

const inputSchema = z.object({
  schema: z.string().min(1).max(128).optional().describe('Only tables in this schema'),
  name_contains: z.string().min(1).max(128).optional().describe('Case-insensitive part of the table name'),
  cursor: z.string().max(2_000).optional().describe('From next_cursor'),
});

const outputSchema = z.object({
  tables: z.array(
    z.object({
      schema: z.string().nullable(),
      name: z.string(),
      kind: z.enum(['table', 'view']),
      estimated_rows: z.number().nullable(),
    }),
  ),
  count: z.number(),
  total: z.number(),
  next_cursor: z.string().nullable(),
});

/** What an answer takes besides its tables: the summary lines, the per-schema counts (bounded), the cursor. */
const OVERHEAD_CHARS = 2_000;

export const listTablesTool = defineTool({
  name: 'list_tables',
  description: 'List tables and views (schema, name, kind, estimated rows). Filter by schema or part of the name.',
  inputSchema,
  outputSchema,
  hints: () => readOnlyHints('List tables'),
  async run(input, { environment, identity }) {
    const filter = { schema: input.schema, nameContains: input.name_contains };
    const listed = await environment.dialect.introspector().listTables(filter);
    const policy = CatalogPolicy.for(environment, identity);
    const tables = policy ? await policy.visible(listed) : listed;
    const page = pageOfTables(tables, filter, input.cursor, environment.config.maxResultChars - OVERHEAD_CHARS, (t) => JSON.stringify(entryOf(t)).length + lineOf(t).length + 2);
    const shownSchemas = page.schemas?.slice(0, MAX_SUMMARY_SCHEMAS);
    // The per-schema counts are in the text only: tools/list has a budget (6,000 characters for the built-ins).
    const structured = { tables: page.tables.map(entryOf), count: page.tables.length, total: page.total, next_cursor: page.nextCursor };
    return { structured, text: render(page, shownSchemas) };
  },
});

function entryOf(t: TableSummary) {
  return { schema: t.schema, name: t.name, kind: t.kind, estimated_rows: t.estimatedRows };
}

function lineOf(t: TableSummary): string {
  return `${t.schema === null ? '' : `${t.schema}.`}${t.name} (${t.kind}${t.estimatedRows === null ? '' : `, ~${t.estimatedRows} rows`})`;
}

function render(page: TablePage, shownSchemas: readonly SchemaSummary[] | undefined): string {
  if (page.total === 0) return 'No tables or views match.';
  const lines = page.tables.map(lineOf);
  if (!page.schemas || !shownSchemas) return `${countOf(page.tables)}:\n${lines.join('\n')}`;
  const views = page.schemas.reduce((n, s) => n + s.views, 0);
  const schemaCount = page.schemas.length;
  const unnamed = schemaCount - shownSchemas.length;
  return [
    `${countsOf(page.total - views, views)} in ${schemaCount.toLocaleString('en-US')} schema${schemaCount === 1 ? '' : 's'}: too many for one answer.`,
    `By schema: ${shownSchemas.map((s) => `${s.schema ?? '(none)'} ${countsOf(s.tables, s.views)}`).join('; ')}${unnamed > 0 ? `; and ${unnamed} more schemas` : ''}.`,
    `Tables ${page.first.toLocaleString('en-US')}–${(page.first + page.tables.length - 1).toLocaleString('en-US')} of ${page.total.toLocaleString('en-US')}, by schema then name:`,
    ...lines,
    page.nextCursor === null
      ? 'That is the last page.'
      : `More: call list_tables again with cursor "${page.nextCursor}" and the same schema and name_contains, or narrow the list with schema or name_contains.`,
  ].join('\n');
}

/** "7 tables and 1 view", "2 tables", "1 view": what the list holds, each kind counted apart. */
function countOf(tables: readonly TableSummary[]): string {
  const views = tables.filter((t) => t.kind === 'view').length;
  return countsOf(tables.length - views, views);
}

function countsOf(tables: number, views: number): string {
  const counts = [[tables, 'table'], [views, 'view']] as const;
  return counts.filter(([n]) => n > 0).map(([n, noun]) => `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`).join(' and ');
}
