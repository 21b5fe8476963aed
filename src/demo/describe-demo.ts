/**
 * Says what time the demo data covers, read from the data itself (the file may have been made by an older
 * sqlgate, or on another day): the model needs it to know that "the last hour" means the hour before the end.
 */
import type { Dialect } from '../db/dialect.js';
import { runQuery } from '../db/run-query.js';

const WINDOW_SQL = `SELECT (SELECT MIN(ordered_at) FROM orders), (SELECT MAX(created_at) FROM payment_transactions)`;

/** "Orders and payments from 2024-01-01 00:03:10 to 2026-12-07 11:31:04 UTC (…)", or undefined when unreadable. */
export async function describeDemoWindow(dialect: Dialect): Promise<string | undefined> {
  try {
    const result = await runQuery(dialect, { sql: WINDOW_SQL, params: [], readOnly: true, maxRows: 1, timeoutMs: 10_000, maxBinaryBytes: 0 });
    const [first, last] = result.rows[0] ?? [];
    if (typeof first !== 'string' || typeof last !== 'string') return undefined;
    return `Generated sales data: orders and payments from ${first} to ${last} UTC (stored as UTC text 'YYYY-MM-DD HH:MM:SS'). `
      + `The data ends when this demo database was created; when datetime('now') is later, "the last hour" of the data is the hour before ${last}.`;
  } catch {
    return undefined; // a demo file someone changed by hand: serve it without the window rather than not at all
  }
}

/** The demo environment's description for the model: the configured one, then the data's window. */
export async function describeDemo(configured: string | undefined, dialect: Dialect): Promise<string | undefined> {
  const sentences = [configured, await describeDemoWindow(dialect)]
    .filter((p): p is string => p !== undefined && p.trim() !== '')
    .map((p) => p.trim().replace(/(?<![.!?])$/, '.'));
  return sentences.length > 0 ? sentences.join(' ') : undefined;
}
