/**
 * The benchmark's workloads and what a correct answer to each looks like. Every server is asked the same question
 * its own way (sqlgate: `execute_sql` / `list_tables`; DBHub: `execute_sql` / `search_objects`; the floor: plain
 * SQL); each server's target reshapes its answer into one form, `{ rows (arrays), row_count, truncated }` or
 * `{ tables: [{ name }] }`, so that one check per workload judges all of them alike.
 */
import { REGIONS } from './data.mjs';

export const AGGREGATE_SQL = 'SELECT region, COUNT(*), SUM(amount) FROM sales WHERE id <= 10000 GROUP BY region ORDER BY region';
export const ROWS_SQL = 'SELECT * FROM sales ORDER BY id LIMIT 1000';
export const SELECT_ALL_SQL = 'SELECT * FROM sales';

/** Region of row `id` (data.mjs: id % 5). */
const regionOf = (id) => REGIONS[id % 5];

/**
 * `key` names the workload in results; `sql` is what execute_sql (and the floor) run; a workload without `sql` is
 * list tables, which each server answers with its own catalog tool (the floor with `FLOOR_LIST_TABLES_SQL`).
 */
export const REQUESTS = [
  {
    key: 'aggregate', label: 'small aggregate', sql: AGGREGATE_SQL,
    // ids 1..10000 fall into 5 regions of 2,000 each, sorted by name.
    verify: expectRows(5, (rows) => rows[0][0] === 'central' && Number(rows[0][1]) === 2_000 && rows[4][0] === 'west' && Number(rows[4][1]) === 2_000),
  },
  {
    key: 'rows1000', label: '1000 rows', sql: ROWS_SQL,
    verify: expectRows(1_000, (rows) => rows[0].length === 5 && Number(rows[0][0]) === 1 && rows[0][1] === regionOf(1)
      && Number(rows[999][0]) === 1_000 && rows[999][1] === regionOf(1_000)),
  },
  {
    key: 'list_tables', label: 'list tables', sql: null,
    verify: (result) => {
      if (!Array.isArray(result.tables) || !result.tables.some((t) => t.name === 'sales')) {
        throw new Error(`sales is not listed: ${JSON.stringify(result).slice(0, 200)}`);
      }
    },
  },
];

function expectRows(count, check) {
  return (result) => {
    const rows = result.rows;
    if (!Array.isArray(rows) || rows.length !== count || Number(result.row_count) !== count) {
      throw new Error(`expected ${count} rows, got row_count ${result.row_count} and ${rows?.length} rows`);
    }
    if (result.truncated === true) throw new Error('unexpectedly truncated');
    if (!check(rows)) throw new Error(`unexpected values: first ${JSON.stringify(rows[0])}, last ${JSON.stringify(rows.at(-1))}`);
  };
}

/**
 * The floor's list tables: the same catalog question sqlgate's introspectors ask (src/db/*-introspector.ts: tables
 * and views with estimated rows), as one plain query. It is what answering "which tables are there" costs with the
 * driver alone.
 */
export const FLOOR_LIST_TABLES_SQL = {
  postgres: `SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind,
       CASE WHEN c.relkind = 'v' OR c.reltuples < 0 THEN NULL ELSE c.reltuples::float8 END AS estimated_rows
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm') AND NOT c.relispartition
   AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
   AND pg_catalog.has_schema_privilege(n.oid, 'USAGE') AND pg_catalog.has_table_privilege(c.oid, 'SELECT')
 ORDER BY n.nspname, c.relname`,
  sqlite: `SELECT m.name AS name, m.type AS kind,
       (SELECT CAST(substr(s.stat, 1, instr(s.stat || ' ', ' ') - 1) AS INTEGER) FROM sqlite_stat1 s WHERE s.tbl = m.name LIMIT 1) AS estimated_rows
  FROM sqlite_schema m
 WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
 ORDER BY m.name`,
};

/** The floor's `{ columns, rows }` catalog answer as `{ tables: [{ name }] }`. */
export function floorTablesOf(result) {
  const nameColumn = result.columns?.indexOf('name') ?? -1;
  if (nameColumn < 0) throw new Error(`no name column in ${JSON.stringify(result.columns)}`);
  return { tables: result.rows.map((row) => ({ name: row[nameColumn] })) };
}
