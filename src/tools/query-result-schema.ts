/** The structured shape every row-returning tool shares, and the one way a QueryResult becomes tool output. */
import { z } from 'zod';
import type { QueryResult } from '../db/run-query.js';
import type { Environment } from '../environments/environment.js';
import { fitResult } from './fit-result.js';
import { renderQueryResult, truncationNote } from './render-result.js';

export const queryResultShape = {
  // Output schemas count against the tools/list budget: integers are z.number() (z.int() adds ±2^53 bounds).
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.array(z.unknown())),
  row_count: z.number(),
  truncated: z.boolean(),
  rows_affected: z.number().nullable(),
  elapsed_ms: z.number(),
};

/**
 * Fits the result into the environment's size budget, then renders both forms. `rowCap` is the row limit the
 * statement ran with: when the database had more rows, the model is told how to narrow the query.
 */
export function toQueryOutput(result: QueryResult, environment: Environment, rowCap: number, extraNotes: readonly string[] = []) {
  const fitted = fitResult(result, environment.config);
  const notes = [...extraNotes, ...(result.truncated ? [truncationNote(rowCap)] : []), ...fitted.notes];
  return {
    structured: {
      columns: fitted.columns.map((c) => ({ name: c.name, type: c.type })),
      rows: fitted.rows,
      row_count: fitted.rowCount,
      truncated: fitted.truncated,
      rows_affected: fitted.rowsAffected,
      elapsed_ms: fitted.elapsedMs,
    },
    text: renderQueryResult(fitted, notes, fitted.lines),
    rowsJsonChars: fitted.rowsJsonChars,
  };
}
