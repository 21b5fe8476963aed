/** The structured shape every row-returning tool shares. */
import { z } from 'zod';
import type { QueryResult } from '../db/run-query.js';

export const queryResultShape = {
  columns: z.array(z.object({ name: z.string(), type: z.string() })).describe('Result columns with the engine type'),
  rows: z.array(z.array(z.unknown())).describe('Rows as arrays, in column order'),
  row_count: z.int(),
  truncated: z.boolean().describe('True when more rows existed than were returned'),
  rows_affected: z.int().nullable(),
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
