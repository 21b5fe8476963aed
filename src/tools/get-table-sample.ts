/** get_table_sample: the first rows of a table, the table resolved against the catalog and quoted per dialect. */
import { z } from 'zod';
import { runQuery } from '../db/run-query.js';
import { readOnlyHints } from './hints.js';
import { queryResultShape, toQueryOutput } from './query-result-schema.js';
import { qualifiedName, resolveTable } from './resolve-table.js';
import { sessionContextFor } from './session-context.js';
import { defineTool } from './tool.js';

const inputSchema = z.object({
  table: z.string().min(1).max(300).describe('"table" or "schema.table"'),
  limit: z.int().min(1).max(1_000).default(10).describe('Rows to return (1-1000)'),
});

const outputSchema = z.object({ table: z.string(), ...queryResultShape });

export const getTableSampleTool = defineTool({
  name: 'get_table_sample',
  description: 'Return the first rows of a table or view (default 10, at most 1000) to see what its data looks like.',
  inputSchema,
  outputSchema,
  hints: () => readOnlyHints('Sample table rows'),
  async run(input, { environment, signal, identity, recordStatement }) {
    const { config, dialect } = environment;
    const table = await resolveTable(dialect.introspector(), input.table);
    const limit = Math.min(input.limit, config.maxRows);
    const sql = dialect.sampleSql(table, limit);
    recordStatement?.(sql);
    const result = await runQuery(dialect, {
      sql,
      params: [],
      readOnly: true,
      maxRows: limit,
      timeoutMs: config.statementTimeoutMs,
      maxBinaryBytes: config.maxBinaryBytes,
      signal,
      sessionContext: sessionContextFor(environment, identity),
    });
    const notes = limit < input.limit ? [`The environment returns at most ${config.maxRows} rows; showing ${limit}.`] : [];
    const name = qualifiedName(table);
    const output = toQueryOutput(result, environment, limit, notes);
    return { structured: { table: name, ...output.structured }, text: `Sample of ${name}: ${output.text}` };
  },
});
