/**
 * MySQL/MariaDB catalog from information_schema, limited to the environment's database (DATABASE()): in MySQL a
 * schema *is* a database, and an environment serves the one its URL names. Row estimates are TABLE_ROWS (InnoDB's
 * sampled statistics, refreshed by ANALYZE TABLE), never a COUNT(*). Names are ordered by code point, as the
 * other dialects do, not by information_schema's case-insensitive collation.
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

/** Types whose CHARACTER_MAXIMUM_LENGTH is a limit a user writes: characters for char/varchar, bytes for binary. */
const LENGTH_TYPES = new Set(['char', 'varchar', 'binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);
/** TABLE_TYPE values that are queryable relations (MariaDB adds SYSTEM VERSIONED; sequences are left out). */
const TABLE_TYPES = "('BASE TABLE', 'SYSTEM VERSIONED', 'VIEW')";

/**
 * One relation by exact schema and name (both constants, so the server opens only that table's metadata). `=` does
 * the matching the server does when a statement names a table: case-sensitive or not as lower_case_table_names and
 * the file system decide, and always case-insensitive in information_schema. VIEW_DEFINITION is '' for a login
 * without SHOW VIEW on the view.
 */
const RELATION_SQL = `SELECT t.TABLE_SCHEMA AS table_schema, t.TABLE_NAME AS table_name, t.TABLE_TYPE AS table_type,
       (SELECT v.VIEW_DEFINITION FROM information_schema.VIEWS v WHERE v.TABLE_SCHEMA = ? AND v.TABLE_NAME = ? LIMIT 1) AS view_definition
  FROM information_schema.TABLES t
 WHERE t.TABLE_SCHEMA = ? AND t.TABLE_NAME = ?
 LIMIT 1`;

/** Schemas of the server itself, as information_schema spells them. */
const SYSTEM_SCHEMAS = new Set(['information_schema', 'mysql', 'performance_schema', 'sys']);

export class MysqlIntrospector implements Introspector {
  private database: Promise<string> | null = null;

  constructor(
    private readonly dialect: Dialect,
    private readonly isMariaDb: () => boolean,
  ) {}

  /** DATABASE() of a pooled connection; it cannot change (a connection that ran USE is retired). */
  defaultSchema(): Promise<string | null> {
    this.database ??= catalogQuery(this.dialect, 'SELECT DATABASE() AS name').then(([row]) => text(row?.name));
    this.database.catch(() => (this.database = null));
    return this.database;
  }

  async listTables(filter: ListTablesFilter): Promise<TableSummary[]> {
    const rows = await catalogQuery(
      this.dialect,
      `SELECT TABLE_SCHEMA AS table_schema, TABLE_NAME AS table_name, TABLE_TYPE AS table_type, TABLE_ROWS AS table_rows
         FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE IN ${TABLE_TYPES}
          AND (? IS NULL OR TABLE_SCHEMA = ?)
          AND (? IS NULL OR LOCATE(LOWER(?), LOWER(TABLE_NAME)) > 0)
        ORDER BY CAST(TABLE_SCHEMA AS BINARY), CAST(TABLE_NAME AS BINARY)`,
      [filter.schema ?? null, filter.schema ?? null, filter.nameContains ?? null, filter.nameContains ?? null],
    );
    return rows.map((row) => {
      const isView = text(row.table_type) === 'VIEW';
      return {
        schema: text(row.table_schema),
        name: text(row.table_name),
        kind: isView ? 'view' : 'table',
        estimatedRows: isView ? null : toNumberOrNull(row.table_rows),
      };
    });
  }

  async describeTable(ref: TableRef): Promise<TableDetail | null> {
    // Every statement of the description in one catalog session.
    return withCatalogSession(this.dialect, async (query) => {
      const [found] = await query(
        `SELECT TABLE_SCHEMA AS table_schema, TABLE_NAME AS table_name, TABLE_TYPE AS table_type
           FROM information_schema.TABLES
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE IN ${TABLE_TYPES} AND TABLE_NAME = ?
            AND (? IS NULL OR TABLE_SCHEMA = ?)`,
        [ref.name, ref.schema, ref.schema],
      );
      if (!found) return null;
      const table: TableRef = { schema: text(found.table_schema), name: text(found.table_name) };
      const indexes = await this.indexesOf(query, table);
      return {
        ...table,
        kind: text(found.table_type) === 'VIEW' ? 'view' : 'table',
        columns: await this.columnsOf(query, table),
        primaryKey: indexes.find((index) => index.primary)?.columns ?? [],
        foreignKeys: await this.foreignKeys(query, 'TABLE_SCHEMA', 'TABLE_NAME', table),
        referencedBy: await this.foreignKeys(query, 'REFERENCED_TABLE_SCHEMA', 'REFERENCED_TABLE_NAME', table),
        indexes,
      };
    });
  }

  /**
   * Two catalog reads: the relation with its view text, then its column names. information_schema shows only what
   * the login has some privilege on, so a table it may not touch at all is null here, and COLUMNS leaves out
   * columns it holds no privilege on.
   */
  async relationFacts(ref: TableRef): Promise<RelationFacts | null> {
    const schema = ref.schema ?? (await this.defaultSchema());
    // No default database: an unqualified name reaches nothing.
    if (!schema) return null;
    const [found] = await catalogQuery(this.dialect, RELATION_SQL, [schema, ref.name, schema, ref.name]);
    if (!found) return null;
    const table: TableRef = { schema: text(found.table_schema), name: text(found.table_name) };
    const type = text(found.table_type);
    // Anything else (BASE TABLE, SYSTEM VERSIONED, SEQUENCE) holds rows of its own.
    const kind = type === 'SYSTEM VIEW' || SYSTEM_SCHEMAS.has(table.schema!) ? 'system' : type === 'VIEW' ? 'view' : 'table';
    const columns = await catalogQuery(
      this.dialect,
      'SELECT COLUMN_NAME AS column_name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [table.schema, table.name],
    );
    const definition = kind === 'view' ? text(found.view_definition) : '';
    return {
      ...table,
      kind,
      columns: columns.map((row) => text(row.column_name)),
      definition: definition === '' ? null : definition,
      parents: [],
    };
  }

  private async columnsOf(query: CatalogQuery, table: TableRef): Promise<ColumnInfo[]> {
    const rows = await query(
      `SELECT COLUMN_NAME AS column_name, COLUMN_TYPE AS column_type, DATA_TYPE AS data_type, IS_NULLABLE AS is_nullable,
              COLUMN_DEFAULT AS column_default, CHARACTER_MAXIMUM_LENGTH AS max_length
         FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
        ORDER BY ORDINAL_POSITION`,
      [table.schema, table.name],
    );
    return rows.map((row) => ({
      name: text(row.column_name),
      type: text(row.column_type),
      nullable: text(row.is_nullable) === 'YES',
      default: columnDefault(row.column_default, this.isMariaDb()),
      maxLength: LENGTH_TYPES.has(text(row.data_type).toLowerCase()) ? toNumberOrNull(row.max_length) : null,
    }));
  }

  /**
   * Foreign keys whose `side` (referencing or referenced) is `table`. KEY_COLUMN_USAGE alone suffices: its
   * REFERENCED_* columns are set exactly for foreign-key columns. Referencing tables are searched only in this
   * database, which is all an environment lists and keeps the lookup from opening every table of the server.
   */
  private async foreignKeys(query: CatalogQuery, schemaColumn: string, tableColumn: string, table: TableRef): Promise<ForeignKeyInfo[]> {
    const rows = await query(
      `SELECT CONSTRAINT_NAME AS constraint_name, TABLE_SCHEMA AS table_schema, TABLE_NAME AS table_name,
              COLUMN_NAME AS column_name, REFERENCED_TABLE_SCHEMA AS referenced_schema,
              REFERENCED_TABLE_NAME AS referenced_table, REFERENCED_COLUMN_NAME AS referenced_column
         FROM information_schema.KEY_COLUMN_USAGE
        WHERE TABLE_SCHEMA = DATABASE() AND ${schemaColumn} = ? AND ${tableColumn} = ?
          AND REFERENCED_TABLE_NAME IS NOT NULL
        ORDER BY TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION`,
      [table.schema, table.name],
    );
    const byConstraint = new Map<string, { name: string; columns: string[]; toColumns: string[]; from: TableRef; to: TableRef }>();
    for (const row of rows) {
      const from = { schema: text(row.table_schema), name: text(row.table_name) };
      const key = `${from.schema}.${from.name}.${text(row.constraint_name)}`;
      const fk = byConstraint.get(key) ?? {
        name: text(row.constraint_name),
        columns: [],
        toColumns: [],
        from,
        to: { schema: text(row.referenced_schema), name: text(row.referenced_table) },
      };
      fk.columns.push(text(row.column_name));
      fk.toColumns.push(text(row.referenced_column));
      byConstraint.set(key, fk);
    }
    return [...byConstraint.values()].map((fk) => ({
      name: fk.name,
      columns: fk.columns,
      fromTable: fk.from,
      toTable: fk.to,
      toColumns: fk.toColumns,
    }));
  }

  /** Indexes from STATISTICS, the primary key first. InnoDB adds an index for each foreign key that lacks one. */
  private async indexesOf(query: CatalogQuery, table: TableRef): Promise<IndexInfo[]> {
    const rows = await query(
      `SELECT INDEX_NAME AS index_name, NON_UNIQUE AS non_unique, COLUMN_NAME AS column_name
         FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
        ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX`,
      [table.schema, table.name],
    );
    const byName = new Map<string, IndexInfo & { columns: string[] }>();
    for (const row of rows) {
      const name = text(row.index_name);
      const index = byName.get(name) ?? { name, columns: [], unique: Number(row.non_unique) === 0, primary: name === 'PRIMARY' };
      // MySQL 8 functional index parts have no column name.
      index.columns.push(row.column_name === null ? '(expression)' : text(row.column_name));
      byName.set(name, index);
    }
    return [...byName.values()];
  }
}

/** Catalog text: MySQL 8 returns some information_schema columns as binary strings. */
function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

/**
 * COLUMN_DEFAULT as the server reports it: MariaDB writes literals as SQL (`'CA'`, `NULL` for DEFAULT NULL),
 * MySQL writes the bare value (`CA`). MariaDB's unquoted NULL is the absence of a value, so it becomes null.
 */
function columnDefault(value: unknown, isMariaDb: boolean): string | null {
  if (value === null || value === undefined) return null;
  const written = text(value);
  return isMariaDb && written === 'NULL' ? null : written;
}
