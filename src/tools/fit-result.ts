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
  const header = OVERHEAD_CHARS + JSON.stringify(result.columns).length;
  const lines = rows.map(renderRow);
  const kept = fitsWhole(rows, lines, header, budget.maxResultChars) ? rows.length : rowsThatFit(rows, lines, header, budget.maxResultChars);
  lines.length = kept;
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

/**
 * The common case in one step: one JSON.stringify of all rows instead of one per row. The array's JSON is the rows'
 * JSON joined by commas inside brackets, so this total is exactly what rowsThatFit would sum; each row costs more
 * than zero, so when the total fits every prefix does, and both ways keep the same rows.
 */
function fitsWhole(rows: readonly JsonValue[][], lines: readonly string[], header: number, maxChars: number): boolean {
  if (rows.length === 0) return true;
  let cost = JSON.stringify(rows).length - 2 - (rows.length - 1);
  for (const line of lines) cost += line.length + 1;
  return header + cost <= maxChars;
}

/** How many leading rows fit: each costs its JSON (structured content) plus its text line and newline. */
function rowsThatFit(rows: readonly JsonValue[][], lines: readonly string[], header: number, maxChars: number): number {
  let used = header;
  for (let i = 0; i < rows.length; i++) {
    const cost = JSON.stringify(rows[i]).length + lines[i]!.length + 1;
    if (used + cost > maxChars) return i;
    used += cost;
  }
  return rows.length;
}
