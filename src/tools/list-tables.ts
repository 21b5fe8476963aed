/**
 * list_tables: the tables and views the environment's login can see, with estimated row counts. Under a
 * table/column policy, the tables the caller may not see are left out as if they did not exist.
 */
import { z } from 'zod';
import type { TableSummary } from '../db/dialect.js';
import { CatalogPolicy } from '../policy/catalog-policy.js';
import { defineTool } from './tool.js';
import { readOnlyHints } from './hints.js';

const inputSchema = z.object({
  schema: z.string().min(1).max(128).optional().describe('Only tables in this schema'),
  name_contains: z.string().min(1).max(128).optional().describe('Case-insensitive part of the table name'),
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
});

export const listTablesTool = defineTool({
  name: 'list_tables',
  description: 'List tables and views (schema, name, kind, estimated rows). Filter by schema or part of the name.',
  inputSchema,
  outputSchema,
  hints: () => readOnlyHints('List tables'),
  async run(input, { environment, identity }) {
    const listed = await environment.dialect
      .introspector()
      .listTables({ schema: input.schema, nameContains: input.name_contains });
    const policy = CatalogPolicy.for(environment, identity);
    const tables = policy ? await policy.visible(listed) : listed;
    const structured = {
      tables: tables.map((t) => ({ schema: t.schema, name: t.name, kind: t.kind, estimated_rows: t.estimatedRows })),
      count: tables.length,
    };
    const lines = tables.map(
      (t) => `${t.schema === null ? '' : `${t.schema}.`}${t.name} (${t.kind}${t.estimatedRows === null ? '' : `, ~${t.estimatedRows} rows`})`,
    );
    const text = tables.length === 0 ? 'No tables or views match.' : `${countOf(tables)}:\n${lines.join('\n')}`;
    return { structured, text };
  },
});

/** "7 tables and 1 view", "2 tables", "1 view": what the list holds, each kind counted apart. */
function countOf(tables: readonly TableSummary[]): string {
  const views = tables.filter((t) => t.kind === 'view').length;
  const counts = [[tables.length - views, 'table'], [views, 'view']] as const;
  return counts.filter(([n]) => n > 0).map(([n, noun]) => `${n} ${noun}${n === 1 ? '' : 's'}`).join(' and ');
}
