/** The structured shape every row-returning tool shares. */
import { z } from 'zod';
import type { QueryResult } from '../db/run-query.js';

export const queryResultShape = {
  // Output schemas count against the tools/list budget: integers are z.number() (z.int() adds ±2^53 bounds).
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.array(z.unknown())),
  row_count: z.number(),
  truncated: z.boolean(),
  rows_affected: z.number().nullable(),
  elapsed_ms: z.number(),
};

export function toQueryResultOutput(result: QueryResult) {
  return {
    columns: result.columns.map((c) => ({ name: c.name, type: c.type })),
    rows: result.rows,
    row_count: result.rowCount,
    truncated: result.truncated,
    rows_affected: result.rowsAffected,
    elapsed_ms: result.elapsedMs,
  };
}
