/**
 * Runs a catalog query for an introspector and returns every row as an object keyed by column name.
 * Catalog queries are small and bounded by their own WHERE clauses, so all rows are read.
 */
import { SqlgateError } from '../errors.js';
import type { Dialect, ResultColumn } from './dialect.js';

const CATALOG_TIMEOUT_MS = 30_000;

export async function catalogQuery(
  dialect: Dialect,
  sql: string,
  params: readonly unknown[] = [],
  timeoutMs = CATALOG_TIMEOUT_MS,
): Promise<Record<string, unknown>[]> {
  const session = await dialect.session({ readOnly: true, timeoutMs, isCatalog: true });
  const cursor = session.execute(sql, params);
  try {
    const out: Record<string, unknown>[] = [];
    let columns: readonly ResultColumn[] = [];
    for (;;) {
      const batch = await cursor.read(1_000);
      if (batch.columns.length > 0) columns = batch.columns;
      for (const row of batch.rows) {
        const record: Record<string, unknown> = {};
        columns.forEach((column, i) => (record[column.name] = row[i]));
        out.push(record);
      }
      if (batch.done) break;
    }
    await cursor.close();
    await session.finish('rollback');
    return out;
  } catch (err) {
    await cursor.close().catch(() => undefined);
    await session.finish('rollback').catch(() => undefined);
    throw err instanceof SqlgateError ? err : dialect.toError(err);
  }
}

/** A catalog number (count, length) as a JS number, or null. */
export function toNumberOrNull(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}
