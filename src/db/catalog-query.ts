/**
 * Runs catalog queries for an introspector and returns every row as an object keyed by column name. Catalog
 * queries are small and bounded by their own WHERE clauses, so all rows are read.
 *
 * A tool call that needs several catalog statements (describe_table: the table, its columns, keys, indexes) runs
 * them in one session (`withCatalogSession`): one connection taken from the pool, one transaction begun and ended,
 * instead of one of each per statement.
 */
import { SqlgateError } from '../errors.js';
import type { Dialect, ResultColumn, Session } from './dialect.js';

const CATALOG_TIMEOUT_MS = 30_000;

/** One catalog statement on the session it is given. */
export type CatalogQuery = (sql: string, params?: readonly unknown[]) => Promise<Record<string, unknown>[]>;

export async function catalogQuery(
  dialect: Dialect,
  sql: string,
  params: readonly unknown[] = [],
  timeoutMs = CATALOG_TIMEOUT_MS,
): Promise<Record<string, unknown>[]> {
  return withCatalogSession(dialect, (query) => query(sql, params), timeoutMs);
}

/** Runs `use` with a query function on one read-only catalog session, ended (rolled back) whatever happens. */
export async function withCatalogSession<T>(dialect: Dialect, use: (query: CatalogQuery) => Promise<T>, timeoutMs = CATALOG_TIMEOUT_MS): Promise<T> {
  const session = await dialect.session({ readOnly: true, timeoutMs, isCatalog: true });
  try {
    const result = await use((sql, params = []) => readAll(session, sql, params));
    await session.finish('rollback');
    return result;
  } catch (err) {
    await session.finish('rollback').catch(() => undefined);
    throw err instanceof SqlgateError ? err : dialect.toError(err);
  }
}

async function readAll(session: Session, sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]> {
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
    return out;
  } finally {
    await cursor.close().catch(() => undefined);
  }
}

/** A catalog number (count, length) as a JS number, or null. */
export function toNumberOrNull(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}
