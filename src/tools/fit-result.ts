/**
 * Keeps a query result within the environment's size budget, so one `SELECT *` over wide rows cannot flood the
 * model's context (Claude.ai refuses tool results much above 150,000 characters). Long text cells are cut first,
 * then rows past the budget are dropped; the result says exactly what was cut and how to narrow the query.
 */
import type { QueryResult } from '../db/run-query.js';
import type { JsonValue } from '../db/serialize-value.js';
import { renderRow } from './render-result.js';
import { rememberRowsJson } from './rows-json.js';

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
  /** The exact length of the kept rows' JSON (`JSON.stringify(rows)`), measured here once for whoever needs it. */
  readonly rowsJsonChars: number;
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
  const whole = wholeJsonChars(rows, lines, header, budget.maxResultChars);
  const fitting = whole === undefined ? rowsThatFit(rows, lines, header, budget.maxResultChars) : { kept: rows.length, jsonChars: whole };
  const kept = fitting.kept;
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
  return { ...result, rows, rowCount: rows.length, truncated: result.truncated || isCutBySize, notes, lines, rowsJsonChars: fitting.jsonChars };
}

/**
 * The common case in one step: one JSON.stringify of all rows instead of one per row. The array's JSON is the rows'
 * JSON joined by commas inside brackets, so this total is exactly what rowsThatFit would sum; each row costs more
 * than zero, so when the total fits every prefix does, and both ways keep the same rows. Returns the rows' JSON
 * length when they all fit, else undefined.
 */
function wholeJsonChars(rows: readonly JsonValue[][], lines: readonly string[], header: number, maxChars: number): number | undefined {
  if (rows.length === 0) return 2;
  const json = JSON.stringify(rows);
  let cost = json.length - 2 - (rows.length - 1);
  for (const line of lines) cost += line.length + 1;
  if (header + cost > maxChars) return undefined;
  rememberRowsJson(rows, json); // all of them are kept: the answer reuses it (rows-json.ts)
  return json.length;
}

/**
 * How many leading rows fit, and their JSON's length as an array: each row costs its JSON (structured content)
 * plus its text line and newline.
 */
function rowsThatFit(rows: readonly JsonValue[][], lines: readonly string[], header: number, maxChars: number): { kept: number; jsonChars: number } {
  let used = header;
  let rowsJson = 0;
  for (let i = 0; i < rows.length; i++) {
    const json = JSON.stringify(rows[i]).length;
    const cost = json + lines[i]!.length + 1;
    if (used + cost > maxChars) return { kept: i, jsonChars: arrayJsonChars(i, rowsJson) };
    used += cost;
    rowsJson += json;
  }
  return { kept: rows.length, jsonChars: arrayJsonChars(rows.length, rowsJson) };
}

/** `[a,b,c]`: the items' JSON, a comma between each two, and the brackets. */
function arrayJsonChars(items: number, itemsJsonChars: number): number {
  return items === 0 ? 2 : itemsJsonChars + (items - 1) + 2;
}
