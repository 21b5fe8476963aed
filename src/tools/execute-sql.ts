/** execute_sql: one SQL statement with optional positional parameters bound by the driver. */
import { z } from 'zod';
import { applyPolicyOutcome } from '../policy/statement-policy-check.js';
import { queryResultShape, toQueryOutput } from './query-result-schema.js';
import { runInEnvironment } from './run-in-environment.js';
import { authorizeStatement } from './statement-policy.js';
import { explainStatement } from './explain-statement.js';
import { defineTool } from './tool.js';

/** Keeps absurd payloads out of the parser and the database; real analytic queries are far smaller. */
export const MAX_QUERY_CHARS = 100_000;

const inputSchema = z.object({
  query: z.string().min(1, 'must not be empty').max(MAX_QUERY_CHARS).describe('One SQL statement'),
  params: z
    .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .max(1_000)
    .optional()
    .describe('Positional parameters bound by the driver ($1 PostgreSQL, ? MySQL/SQLite, @p1 SQL Server)'),
  explain: z.boolean().optional().describe('Only plan it, do not run'),
});

const outputSchema = z.object({ ...queryResultShape, plan: z.unknown().optional() });

export const executeSqlTool = defineTool({
  name: 'execute_sql',
  showsRows: true,
  description: 'Run one SQL statement and return columns, rows, row_count and truncated. Read-only environments run only reads. Prefer aggregates and LIMIT over listing many rows.',
  inputSchema,
  outputSchema,
  hints: (environment) => ({
    title: 'Execute SQL',
    readOnlyHint: environment.config.readOnly,
    destructiveHint: !environment.config.readOnly,
    idempotentHint: environment.config.readOnly,
    openWorldHint: false,
  }),
  async run(input, { environment, signal, confirm, identity, beforeChange }) {
    if (input.explain) return explainStatement(environment, input, { signal, identity });
    const { config } = environment;
    const { kind, policy } = await authorizeStatement(environment, input.query, confirm, identity);
    if (kind !== 'read') await beforeChange?.();
    const result = await runInEnvironment(environment, {
      sql: input.query,
      params: input.params ?? [],
      // A caller who may only read runs in the engine's read-only mode too, not just behind the gate.
      readOnly: config.readOnly || (identity !== undefined && !identity.canWrite),
      maxRows: config.maxRows,
    }, { signal, identity });
    applyPolicyOutcome(policy, result);
    return toQueryOutput(result, environment, config.maxRows);
  },
});
