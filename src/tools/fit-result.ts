/**
 * Keeps a query result within the environment's size budget, so one `SELECT *` over wide rows cannot flood the
 * model's context (Claude.ai refuses tool results much above 150,000 characters). Long text cells are cut first,
 * then rows past the budget are dropped; the result says exactly what was cut and how to narrow the query.
 */
import type { QueryResult } from '../db/run-query.js';
import type { JsonValue } from '../db/serialize-value.js';
import { renderRow } from './render-result.js';

export interface ResultBudget {
  /** Characters for the whole result: the text rows plus their JSON in structured content. */
  readonly maxResultChars: number;
  readonly maxCellChars: number;
}

export interface FittedResult extends QueryResult {
  /** Sentences for the model about what was cut; empty when nothing was. */
  readonly notes: readonly string[];
  /** Each kept row rendered for the text content (computed once here, where its size is measured). */
  readonly lines: readonly string[];
}

/** What the rest of a result (header, notes, fences, column list) may take besides the rows. */
const OVERHEAD_CHARS = 2_000;

export function fitResult(result: QueryResult, budget: ResultBudget): FittedResult {
  let cutCells = 0;
  const rows: JsonValue[][] = result.rows.map((row) =>
    row.map((value) => {
      if (typeof value !== 'string' || value.length <= budget.maxCellChars) return value;
      cutCells++;
      return `${value.slice(0, budget.maxCellChars)}…[${value.length} chars]`;
    }),
  );
  let used = OVERHEAD_CHARS + JSON.stringify(result.columns).length;
  const lines: string[] = [];
  for (const row of rows) {
    const line = renderRow(row);
    const cost = JSON.stringify(row).length + line.length + 1;
    if (used + cost > budget.maxResultChars) break;
    used += cost;
    lines.push(line);
  }
  const kept = lines.length;
  const notes: string[] = [];
  if (cutCells > 0) {
    notes.push(`${cutCells} value${cutCells === 1 ? ' was' : 's were'} longer than ${budget.maxCellChars} characters and cut (marked …[N chars]); select substrings or lengths instead.`);
  }
  const isCutBySize = kept < rows.length;
  if (isCutBySize) {
    notes.push(`Only ${kept} of ${rows.length} rows fit the ${budget.maxResultChars}-character result budget; select fewer columns, aggregate, or add LIMIT.`);
    rows.length = kept;
  }
  return { ...result, rows, rowCount: rows.length, truncated: result.truncated || isCutBySize, notes, lines };
}
