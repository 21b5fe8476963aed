/**
 * Compact text for the model: a summary line, then a header and one line per row, cells separated by " | ".
 * Structured content carries the exact values; this text is what most clients show the model.
 */
import type { QueryResult } from '../db/run-query.js';
import type { JsonValue } from '../db/serialize-value.js';

export function renderQueryResult(result: QueryResult, notes: readonly string[] = []): string {
  const lines: string[] = [];
  if (result.columns.length === 0) {
    const affected = result.rowsAffected === null ? 'Statement executed' : `${result.rowsAffected} row${result.rowsAffected === 1 ? '' : 's'} affected`;
    lines.push(`${affected} · ${result.elapsedMs} ms`);
    return [...lines, ...notes].join('\n');
  }
  lines.push(`${result.rowCount} row${result.rowCount === 1 ? '' : 's'} · ${result.elapsedMs} ms`);
  lines.push(...notes);
  lines.push(result.columns.map((c) => `${c.name}${c.type ? ` (${c.type})` : ''}`).join(' | '));
  for (const row of result.rows) lines.push(row.map(renderCell).join(' | '));
  return lines.join('\n');
}

export function renderCell(value: JsonValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return /[\n\r|]/.test(value) || value === 'NULL' || value === '' ? JSON.stringify(value) : value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Tells the model that it saw only part of the result and how to get what it needs. */
export function truncationNote(maxRows: number): string {
  return `Only the first ${maxRows} rows are shown (truncated: the query returned more). Narrow it with WHERE, aggregate with GROUP BY, or page with ORDER BY … LIMIT/OFFSET.`;
}
