/**
 * SQLite catalog: sqlite_schema plus the table-valued pragma functions. Row estimates come from sqlite_stat1
 * (written by ANALYZE); without statistics the estimate is null rather than a full scan.
 */
import { catalogQuery, toNumberOrNull, withCatalogSession, type CatalogQuery } from '../catalog-query.js';
import type {
  ColumnInfo,
  Dialect,
  ForeignKeyInfo,
  IndexInfo,
  Introspector,
  ListTablesFilter,
  RelationFacts,
  TableDetail,
  TableRef,
  TableSummary,
} from '../dialect.js';

/**
 * One table or view, looked up where SQLite looks for an unqualified name: temp first, then main (ATTACH is refused
 * by the statement gate, so there are no other schemas). Names compare ASCII case-insensitively, as SQLite compares
 * identifiers. pragma_table_xinfo includes hidden and generated columns; for a view it compiles the view, so a view
 * over a missing table fails here as it would in the statement.
 */
const RELATION_SQL = `SELECT f.schema_name, f.name, f.type, f.sql,
       (SELECT json_group_array(c.name ORDER BY c.cid) FROM pragma_table_xinfo(f.name, f.schema_name) c) AS columns
  FROM (SELECT 'temp' AS schema_name, 0 AS search_order, name, type, sql FROM temp.sqlite_schema
         WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE
        UNION ALL
        SELECT 'main', 1, name, type, sql FROM main.sqlite_schema
         WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE) f
 WHERE ? IS NULL OR f.schema_name = ?
 ORDER BY f.search_order
 LIMIT 1`;

/** The schema tables, which sqlite_schema does not list: where each name is found, and its fixed columns. */
const SCHEMA_TABLES: Record<string, readonly ('main' | 'temp')[]> = {
  sqlite_master: ['main', 'temp'],
  sqlite_schema: ['main', 'temp'],
  sqlite_temp_master: ['temp'],
  sqlite_temp_schema: ['temp'],
};
const SCHEMA_TABLE_COLUMNS = ['type', 'name', 'tbl_name', 'rootpage', 'sql'];

export class SqliteIntrospector implements Introspector {
  /** Whether a list found sqlite_stat1 (ANALYZE has run): later lists read the statistics in the same statement. */
  private hasSeenStatistics = false;

  constructor(private readonly dialect: Dialect) {}

  async defaultSchema(): Promise<string | null> {
    return null;
  }

  async listTables(filter: ListTablesFilter): Promise<TableSummary[]> {
    if (filter.schema !== undefined && filter.schema !== 'main') return [];
    const nameFilter = [filter.nameContains ?? null, filter.nameContains ?? null];
    // One round trip to the connection's process where it can be: once ANALYZE has been seen to have run, the list
    // carries sqlite_stat1's rows along (as JSON). Otherwise, or when the table has gone since, the list says
    // whether there are statistics, and they are read in a second round trip of the same session.
    return withCatalogSession(this.dialect, async (query) => {
      if (this.hasSeenStatistics) {
        try {
          const rows = await query(LIST_WITH_STATISTICS_SQL, nameFilter);
          return summaries(rows, estimatesFrom(rows[0] ? JSON.parse(String(rows[0].stats)) as unknown[][] : []));
        } catch (err) {
          if (!/no such table: sqlite_stat1/i.test(err instanceof Error ? err.message : '')) throw err;
          this.hasSeenStatistics = false;
        }
      }
      const rows = await query(LIST_SAYING_WHETHER_STATISTICS_SQL, nameFilter);
      const hasStatistics = rows.some((t) => Number(t.stats) === 1);
      if (hasStatistics) this.hasSeenStatistics = true;
      return summaries(rows, hasStatistics ? estimatesFrom(await query('SELECT tbl, stat FROM sqlite_stat1')) : new Map());
    });
  }

  async describeTable(ref: TableRef): Promise<TableDetail | null> {
    if (ref.schema !== null && ref.schema !== 'main') return null;
    return withCatalogSession(this.dialect, (query) => describeIn(query, ref));
  }

  async relationFacts(ref: TableRef): Promise<RelationFacts | null> {
    const schema = ref.schema === null ? null : asciiLower(ref.schema);
    if (schema !== null && schema !== 'main' && schema !== 'temp') return null;
    const name = asciiLower(ref.name);
    const schemaTableIn = SCHEMA_TABLES[name];
    if (schemaTableIn) {
      // Unqualified, sqlite_master is main's and sqlite_temp_master temp's: the first schema listed.
      const where = schema ?? schemaTableIn[0]!;
      if (!schemaTableIn.includes(where)) return null;
      return { schema: where === 'main' ? null : where, name, kind: 'system', columns: SCHEMA_TABLE_COLUMNS, definition: null, parents: [] };
    }
    const [found] = await catalogQuery(this.dialect, RELATION_SQL, [ref.name, ref.name, schema, schema]);
    if (!found) return null;
    const foundName = String(found.name);
    // SQLite reserves sqlite_* for itself: sqlite_sequence and sqlite_stat1..4 are its tables.
    const kind = asciiLower(foundName).startsWith('sqlite_') ? 'system' : found.type === 'view' ? 'view' : 'table';
    return {
      schema: found.schema_name === 'temp' ? 'temp' : null,
      name: foundName,
      kind,
      columns: JSON.parse(String(found.columns)) as string[],
      definition: kind === 'view' && found.sql !== null ? String(found.sql) : null,
      parents: [],
    };
  }
}

/** `varchar(255)` → 255; types without a length → null. */
function declaredLength(type: string): number | null {
  const match = /\(\s*(\d+)\s*\)/.exec(type);
  return match ? Number(match[1]) : null;
}

/** Lower case as SQLite folds identifiers: ASCII letters only. */
function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}

/** describe_table's statements, all on one catalog session. */
async function describeIn(query: CatalogQuery, ref: TableRef): Promise<TableDetail | null> {
  const [found] = await query(
    `SELECT name, type FROM sqlite_schema WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE`,
    [ref.name],
  );
  if (!found) return null;
  const name = String(found.name);
  const columnRows = await query(
    'SELECT name, type, "notnull" AS not_null, dflt_value, pk FROM pragma_table_info(?) ORDER BY cid',
    [name],
  );
  const columns: ColumnInfo[] = columnRows.map((c) => ({
    name: String(c.name),
    type: String(c.type || 'any').toLowerCase(),
    // A PRIMARY KEY column of a rowid table can still hold NULL only when it is not INTEGER; report what SQLite enforces.
    nullable: Number(c.not_null) === 0 && Number(c.pk) === 0,
    default: c.dflt_value === null ? null : String(c.dflt_value),
    maxLength: declaredLength(String(c.type ?? '')),
  }));
  const primaryKey = columnRows
    .filter((c) => Number(c.pk) > 0)
    .sort((a, b) => Number(a.pk) - Number(b.pk))
    .map((c) => String(c.name));
  return {
    schema: null,
    name,
    kind: found.type === 'view' ? 'view' : 'table',
    columns,
    primaryKey,
    foreignKeys: await foreignKeysOf(query, name),
    referencedBy: await foreignKeysTo(query, name),
    indexes: await indexesOf(query, name),
  };
}

async function foreignKeysOf(query: CatalogQuery, table: string): Promise<ForeignKeyInfo[]> {
  const rows = await query(
    'SELECT id, seq, "table" AS to_table, "from" AS from_column, "to" AS to_column FROM pragma_foreign_key_list(?) ORDER BY id, seq',
    [table],
  );
  const byId = new Map<number, { columns: string[]; toColumns: string[]; toTable: string }>();
  for (const row of rows) {
    const id = Number(row.id);
    const fk = byId.get(id) ?? { columns: [], toColumns: [], toTable: String(row.to_table) };
    fk.columns.push(String(row.from_column));
    fk.toColumns.push(row.to_column === null ? '' : String(row.to_column));
    byId.set(id, fk);
  }
  return [...byId.values()].map((fk) => ({
    name: `fk_${table}_${fk.columns.join('_')}`,
    columns: fk.columns,
    fromTable: { schema: null, name: table },
    toTable: { schema: null, name: fk.toTable },
    toColumns: fk.toColumns,
  }));
}

async function foreignKeysTo(query: CatalogQuery, table: string): Promise<ForeignKeyInfo[]> {
  const others = await query(
    `SELECT DISTINCT m.name FROM sqlite_schema m, pragma_foreign_key_list(m.name) f
      WHERE m.type = 'table' AND f."table" = ? COLLATE NOCASE ORDER BY m.name`,
    [table],
  );
  const result: ForeignKeyInfo[] = [];
  for (const other of others) {
    for (const fk of await foreignKeysOf(query, String(other.name))) {
      if (fk.toTable.name.toLowerCase() === table.toLowerCase()) result.push(fk);
    }
  }
  return result;
}

async function indexesOf(query: CatalogQuery, table: string): Promise<IndexInfo[]> {
  const rows = await query(
    `SELECT il.name AS index_name, il."unique" AS is_unique, il.origin, ii.name AS column_name
       FROM pragma_index_list(?) il, pragma_index_info(il.name) ii
      ORDER BY il.name, ii.seqno`,
    [table],
  );
  const byName = new Map<string, IndexInfo & { columns: string[] }>();
  for (const row of rows) {
    const name = String(row.index_name);
    const index = byName.get(name) ?? { name, columns: [], unique: Number(row.is_unique) === 1, primary: row.origin === 'pk' };
    index.columns.push(String(row.column_name));
    byName.set(name, index);
  }
  return [...byName.values()];
}

/** Tables and views of main, with `stats` as the column. */
const listSql = (stats: string) => `SELECT name, type, ${stats} AS stats FROM sqlite_schema
  WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
    AND (? IS NULL OR instr(lower(name), lower(?)) > 0)
  ORDER BY name`;
/** `stats`: whether sqlite_stat1 exists. */
const LIST_SAYING_WHETHER_STATISTICS_SQL = listSql("EXISTS (SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat1')");
/** `stats`: sqlite_stat1's rows as a JSON array of [tbl, stat] (fails when the table does not exist). */
const LIST_WITH_STATISTICS_SQL = listSql('(SELECT json_group_array(json_array(tbl, stat)) FROM sqlite_stat1)');

function summaries(rows: readonly Record<string, unknown>[], estimates: Map<string, number>): TableSummary[] {
  return rows.map((t): TableSummary => ({
    schema: null,
    name: String(t.name),
    kind: t.type === 'view' ? 'view' : 'table',
    estimatedRows: estimates.get(String(t.name).toLowerCase()) ?? null,
  }));
}

/** Row counts from sqlite_stat1's rows (as records, or as [tbl, stat] pairs): the first number of a table's first row. */
function estimatesFrom(rows: readonly (Record<string, unknown> | unknown[])[]): Map<string, number> {
  const estimates = new Map<string, number>();
  for (const row of rows) {
    const [tbl, stat] = Array.isArray(row) ? row : [row.tbl, row.stat];
    const count = toNumberOrNull(String(stat ?? '').split(' ')[0]);
    const key = String(tbl).toLowerCase();
    if (count !== null && !estimates.has(key)) estimates.set(key, count);
  }
  return estimates;
}
