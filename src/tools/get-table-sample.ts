/**
 * get_table_sample: the first rows of a table, the table resolved against the catalog and quoted per dialect.
 * Under a table/column policy the sample names the columns the caller may see (never `*`, so a denied column is
 * never read), and the statement then goes through the same policy check as execute_sql: that check refuses a
 * view that reaches a denied table, and says which output columns to mask.
 */
import { z } from 'zod';
import { PolicyDeniedError } from '../errors.js';
import { CatalogPolicy } from '../policy/catalog-policy.js';
import { applyPolicyOutcome, checkStatementPolicy } from '../policy/statement-policy-check.js';
import { readOnlyHints } from './hints.js';
import { queryResultShape, toQueryOutput } from './query-result-schema.js';
import { qualifiedName, resolveTable } from './resolve-table.js';
import { runInEnvironment } from './run-in-environment.js';
import { defineTool } from './tool.js';

const inputSchema = z.object({
  table: z.string().min(1).max(300).describe('"table" or "schema.table"'),
  limit: z.int().min(1).max(1_000).default(10).describe('Rows to return (1-1000)'),
});

const outputSchema = z.object({ table: z.string(), ...queryResultShape });

export const getTableSampleTool = defineTool({
  name: 'get_table_sample',
  showsRows: true,
  description: 'Return the first rows of a table or view (default 10, at most 1000) to see what its data looks like.',
  inputSchema,
  outputSchema,
  hints: () => readOnlyHints('Sample table rows'),
  async run(input, { environment, signal, identity, recordStatement }) {
    const { config, dialect } = environment;
    const policy = CatalogPolicy.for(environment, identity);
    const table = await resolveTable(dialect.introspector(), input.table, policy);
    const name = qualifiedName(table);
    if (policy && table.columns.length === 0) {
      throw new PolicyDeniedError(`${name} has no columns that you may read in this environment.`, {
        hint: 'describe_table lists the columns you may use; list_tables the other tables.',
      });
    }
    const limit = Math.min(input.limit, config.maxRows);
    const sql = dialect.sampleSql(table, limit, policy ? table.columns.map((c) => c.name) : undefined);
    recordStatement?.(sql);
    const outcome = policy ? await checkStatementPolicy(environment, sql, identity) : null;
    const result = await runInEnvironment(environment, { sql, params: [], readOnly: true, maxRows: limit }, { signal, identity });
    if (outcome) applyPolicyOutcome(outcome, result);
    const notes = limit < input.limit ? [`The environment returns at most ${config.maxRows} rows; showing ${limit}.`] : [];
    const output = toQueryOutput(result, environment, limit, notes);
    return { ...output, structured: { table: name, ...output.structured }, text: `Sample of ${name}: ${output.text}` };
  },
});
