/**
 * SQL Server catalog: sys.tables, sys.views, sys.schemas, sys.columns, sys.types, sys.default_constraints,
 * sys.indexes, sys.index_columns, sys.foreign_keys and sys.foreign_key_columns. Row estimates come from
 * sys.partitions (heap or clustered index, index_id 0/1): unlike sys.dm_db_partition_stats it needs no VIEW
 * DATABASE STATE, only the metadata visibility a reader already has. Every query is one parameterized statement
 * (@p1 …), and each Introspector call runs one: every catalog query is a session of its own (begin, statement,
 * rollback), and on Babelfish each statement also pays for planning over emulated catalog views. The queries are
 * written for SQL Server 2017+, Azure SQL and Babelfish alike: set-based joins, no per-row subqueries over sys.*.
 * The row shaping is in exported functions so it is tested without a server.
 */
import { catalogQuery, toNumberOrNull } from '../catalog-query.js';
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

type CatalogRow = Record<string, unknown>;

/** User tables and views with both kinds in one list; shipped objects and system schemas are left out. */
const USER_OBJECTS = `(
    SELECT t.object_id, t.schema_id, t.name, 'table' AS kind FROM sys.tables t WHERE t.is_ms_shipped = 0
    UNION ALL
    SELECT v.object_id, v.schema_id, v.name, 'view' AS kind FROM sys.views v WHERE v.is_ms_shipped = 0
  ) o
  JOIN sys.schemas s ON s.schema_id = o.schema_id AND s.name NOT IN ('sys', 'INFORMATION_SCHEMA')`;

/**
 * @p1 schema or NULL, @p2 part of the name (case-insensitive) or NULL. Row counts are summed per object once, in a
 * derived table joined once on object_id (a hash or merge join), rather than in a subquery run for each listed object:
 * on Babelfish sys.partitions is a view over PostgreSQL's catalogs, and thousands of correlated lookups of it cost
 * most of a second. A partition with rows < 0 has no statistics yet (Babelfish says -1 until the table is analysed),
 * so the object's sum is unknown (NULL) rather than a wrong or negative count.
 */
export const LIST_TABLES_SQL = `SELECT s.name AS schema_name, o.name AS table_name, o.kind, r.estimated_rows
  FROM ${USER_OBJECTS}
  LEFT JOIN (
    SELECT p.object_id, CASE WHEN MIN(p.rows) >= 0 THEN SUM(p.rows) END AS estimated_rows
      FROM sys.partitions p
     WHERE p.index_id IN (0, 1)
     GROUP BY p.object_id
  ) r ON r.object_id = o.object_id
 WHERE (@p1 IS NULL OR s.name = @p1)
   AND (@p2 IS NULL OR CHARINDEX(LOWER(@p2), LOWER(o.name)) > 0)
 ORDER BY s.name, o.name`;

/**
 * The columns of DESCRIBE_TABLE_SQL, each cast to one type in every branch of its UNION ALL (Babelfish, like
 * PostgreSQL, wants the branches' types to agree). A row fills the columns of its part and leaves the rest NULL;
 * the names are those the row shapers below read, so a part's rows need no renaming. sort1 and sort2 order the rows
 * within their part.
 */
const DETAIL_COLUMNS = {
  part: 'varchar(6)', sort1: 'int', sort2: 'int',
  // 'table': the object described.
  object_id: 'int', schema_name: 'nvarchar(128)', table_name: 'nvarchar(128)', kind: 'varchar(5)',
  // 'column' (column_name also for 'index').
  column_name: 'nvarchar(128)', type_name: 'nvarchar(128)', is_user_defined: 'bit', base_type_name: 'nvarchar(128)',
  max_length: 'int', precision: 'int', scale: 'int', is_nullable: 'bit', default_definition: 'nvarchar(max)',
  // 'index'.
  index_name: 'nvarchar(128)', is_unique: 'bit', is_primary_key: 'bit',
  // 'fk'.
  fk_id: 'int', fk_name: 'nvarchar(128)', is_outgoing: 'int', is_incoming: 'int',
  from_schema: 'nvarchar(128)', from_table: 'nvarchar(128)', from_column: 'nvarchar(128)',
  to_schema: 'nvarchar(128)', to_table: 'nvarchar(128)', to_column: 'nvarchar(128)',
} as const;

type DetailPart = 'table' | 'column' | 'index' | 'fk';
type DetailValues = Partial<Record<Exclude<keyof typeof DETAIL_COLUMNS, 'part'>, string>>;

/** One branch of DESCRIBE_TABLE_SQL: every column, in the same order and type, `values` where the part has one. */
function detailBranch(part: DetailPart, values: DetailValues, from: string): string {
  const all: Record<string, string | undefined> = { ...values, part: `'${part}'` };
  // Brackets: PRECISION is a reserved word in T-SQL.
  const list = Object.entries(DETAIL_COLUMNS).map(([name, type]) => `CAST(${all[name] ?? 'NULL'} AS ${type}) AS [${name}]`);
  return `SELECT ${list.join(',\n       ')}\n  ${from}`;
}

const TABLE_PART = detailBranch('table', {
  sort1: '0', sort2: '0', object_id: 't.object_id', schema_name: 't.schema_name', table_name: 't.table_name', kind: 't.kind',
}, 'FROM target t');

/** `ty` is the declared type (an alias type keeps its own name), `bt` the system type under it. */
const COLUMN_PART = detailBranch('column', {
  sort1: 'c.column_id', sort2: '0', column_name: 'c.name', type_name: 'ty.name', is_user_defined: 'ty.is_user_defined',
  base_type_name: 'bt.name', max_length: 'c.max_length', precision: 'c.precision', scale: 'c.scale', is_nullable: 'c.is_nullable',
  default_definition: 'dc.definition',
}, `FROM target t
  JOIN sys.columns c ON c.object_id = t.object_id
  JOIN sys.types ty ON ty.user_type_id = c.user_type_id
  LEFT JOIN sys.types bt ON bt.user_type_id = c.system_type_id
  LEFT JOIN sys.default_constraints dc ON dc.object_id = c.default_object_id`);

/** B-tree indexes only (clustered, nonclustered): key columns in key order, included columns left out. */
const INDEX_PART = detailBranch('index', {
  sort1: 'i.index_id', sort2: 'ic.key_ordinal', index_name: 'i.name', is_unique: 'i.is_unique', is_primary_key: 'i.is_primary_key',
  column_name: 'c.name',
}, `FROM target t
  JOIN sys.indexes i ON i.object_id = t.object_id AND i.type IN (1, 2) AND i.is_hypothetical = 0
  JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.is_included_column = 0
  JOIN sys.columns c ON c.object_id = ic.object_id AND c.column_id = ic.column_id`);

/**
 * Foreign keys from this table and to it; a self-reference is both, on one row per key column. Keys are ordered by
 * name then id (names are unique per schema only); DENSE_RANK turns that into a number, so the outer ORDER BY
 * compares integers only, never names of differing collations.
 */
const FOREIGN_KEY_PART = detailBranch('fk', {
  sort1: 'DENSE_RANK() OVER (ORDER BY fk.name, fk.object_id)', sort2: 'fkc.constraint_column_id',
  fk_id: 'fk.object_id', fk_name: 'fk.name',
  is_outgoing: 'CASE WHEN fk.parent_object_id = t.object_id THEN 1 ELSE 0 END',
  is_incoming: 'CASE WHEN fk.referenced_object_id = t.object_id THEN 1 ELSE 0 END',
  from_schema: 'ps.name', from_table: 'pt.name', from_column: 'pc.name', to_schema: 'rs.name', to_table: 'rt.name', to_column: 'rc.name',
}, `FROM target t
  JOIN sys.foreign_keys fk ON fk.parent_object_id = t.object_id OR fk.referenced_object_id = t.object_id
  JOIN sys.foreign_key_columns fkc ON fkc.constraint_object_id = fk.object_id
  JOIN sys.tables pt ON pt.object_id = fk.parent_object_id
  JOIN sys.schemas ps ON ps.schema_id = pt.schema_id
  JOIN sys.columns pc ON pc.object_id = fkc.parent_object_id AND pc.column_id = fkc.parent_column_id
  JOIN sys.tables rt ON rt.object_id = fk.referenced_object_id
  JOIN sys.schemas rs ON rs.schema_id = rt.schema_id
  JOIN sys.columns rc ON rc.object_id = fkc.referenced_object_id AND rc.column_id = fkc.referenced_column_id`);

/**
 * @p1 schema (NULL: the login's default schema), @p2 exact name. The whole description in one statement, one round
 * trip: the object's lookup is written once (the `target` CTE: PostgreSQL under Babelfish computes a CTE used more
 * than once a single time, SQL Server inlines it as a seek on the name in each branch), then its columns, indexes
 * and foreign keys follow as rows tagged by `part` in a UNION ALL. One result set, because the cursor reads only
 * one; no rows at all when nothing has that name.
 */
export const DESCRIBE_TABLE_SQL = `WITH target AS (
  SELECT o.object_id, s.name AS schema_name, o.name AS table_name, o.kind
    FROM ${USER_OBJECTS}
   WHERE s.name = COALESCE(@p1, SCHEMA_NAME()) AND o.name = @p2
)
${[TABLE_PART, COLUMN_PART, INDEX_PART, FOREIGN_KEY_PART].join('\nUNION ALL\n')}
 ORDER BY part, sort1, sort2`;

export const DEFAULT_SCHEMA_SQL = 'SELECT SCHEMA_NAME() AS schema_name';

/**
 * @p1 schema (NULL: resolve as a statement does), @p2 exact name. sys.all_objects, unlike sys.objects, also holds
 * the system views (sys.*, INFORMATION_SCHEMA.*). An unqualified name is looked for in the login's default schema,
 * then dbo, then among the shipped objects of sys (the compatibility views, e.g. sysobjects). A synonym is followed
 * to its base object when that is a table or view in this database (PARSENAME: no server, no other database);
 * otherwise the row has no resolved object. OBJECT_DEFINITION is NULL without VIEW DEFINITION and for encrypted views.
 * The object's columns (sys.all_columns: system views' columns too) come in the same statement, one row each, so the
 * facts take one round trip; the view text rides on the first row only, not once per column.
 */
export const RELATION_FACTS_SQL = `WITH named AS (
  SELECT TOP (1) o.object_id, o.type, s.name AS schema_name, o.name AS object_name
    FROM sys.all_objects o
    JOIN sys.schemas s ON s.schema_id = o.schema_id
   WHERE o.name = @p2 AND o.type IN ('U', 'V', 'S', 'IT', 'ET', 'SN')
     AND (s.name = @p1 OR (@p1 IS NULL AND (s.name = SCHEMA_NAME() OR s.name = 'dbo' OR (s.name = 'sys' AND o.is_ms_shipped = 1))))
   ORDER BY CASE WHEN s.name = @p1 OR s.name = SCHEMA_NAME() THEN 0 WHEN s.name = 'dbo' THEN 1 ELSE 2 END
), resolved AS (
  SELECT n.schema_name AS named_schema, n.object_name AS named_name, n.type AS named_type,
         CASE WHEN n.type <> 'SN' THEN n.object_id
              WHEN PARSENAME(sy.base_object_name, 4) IS NULL
               AND (PARSENAME(sy.base_object_name, 3) IS NULL OR PARSENAME(sy.base_object_name, 3) = DB_NAME())
              THEN OBJECT_ID(sy.base_object_name) END AS base_id
    FROM named n
    LEFT JOIN sys.synonyms sy ON sy.object_id = n.object_id
)
SELECT r.named_schema, r.named_name, r.named_type, o.object_id, s.name AS schema_name, o.name AS object_name,
       o.type, o.is_ms_shipped,
       CASE WHEN o.type = 'V' AND ROW_NUMBER() OVER (ORDER BY c.column_id) = 1 THEN OBJECT_DEFINITION(o.object_id) END AS definition,
       c.name AS column_name
  FROM resolved r
  LEFT JOIN sys.all_objects o ON o.object_id = r.base_id AND o.type IN ('U', 'V', 'S', 'IT', 'ET')
  LEFT JOIN sys.schemas s ON s.schema_id = o.schema_id
  LEFT JOIN sys.all_columns c ON c.object_id = o.object_id
 ORDER BY c.column_id`;

export class MssqlIntrospector implements Introspector {
  constructor(private readonly dialect: Dialect) {}

  async defaultSchema(): Promise<string | null> {
    const [row] = await catalogQuery(this.dialect, DEFAULT_SCHEMA_SQL);
    return row?.schema_name === null || row?.schema_name === undefined ? null : String(row.schema_name);
  }

  async listTables(filter: ListTablesFilter): Promise<TableSummary[]> {
    const rows = await catalogQuery(this.dialect, LIST_TABLES_SQL, [filter.schema ?? null, filter.nameContains ?? null]);
    return rows.map(toTableSummary);
  }

  async describeTable(ref: TableRef): Promise<TableDetail | null> {
    return toTableDetailFromRows(await catalogQuery(this.dialect, DESCRIBE_TABLE_SQL, [ref.schema, ref.name]));
  }

  async relationFacts(ref: TableRef): Promise<RelationFacts | null> {
    return toRelationFactsFromRows(await catalogQuery(this.dialect, RELATION_FACTS_SQL, [ref.schema, ref.name]));
  }
}

/** The rows of RELATION_FACTS_SQL, one per column (one without a column when no object was resolved), shaped. */
export function toRelationFactsFromRows(rows: CatalogRow[]): RelationFacts | null {
  const [first] = rows;
  if (!first) return null;
  // Taken from whichever row has it: the first by column_id, but the shape should not hang on the row order.
  const definition = rows.find((row) => row.definition !== null && row.definition !== undefined)?.definition ?? null;
  const columns = rows.filter((row) => row.column_name !== null && row.column_name !== undefined);
  return toRelationFacts({ ...first, definition }, columns);
}

/**
 * Shapes the object row and column rows of RELATION_FACTS_SQL. A synonym that reaches no table or view here (another
 * database or server, a function, a dangling name) is a view of unknown definition, so the policy refuses it.
 */
export function toRelationFacts(found: CatalogRow | undefined, columnRows: CatalogRow[]): RelationFacts | null {
  if (!found) return null;
  if (found.object_id === null || found.object_id === undefined) {
    return { schema: String(found.named_schema), name: String(found.named_name), kind: 'view', columns: [], definition: null, parents: [] };
  }
  const schema = String(found.schema_name);
  const type = String(found.type).trim();
  const isSystem = found.is_ms_shipped === true || found.is_ms_shipped === 1 || type === 'S' || type === 'IT' || schema === 'sys' || schema === 'INFORMATION_SCHEMA';
  const kind = isSystem ? 'system' : type === 'V' ? 'view' : 'table';
  return {
    schema,
    name: String(found.object_name),
    kind,
    columns: columnRows.map((row) => String(row.column_name)),
    definition: kind === 'view' && found.definition !== null && found.definition !== undefined ? String(found.definition) : null,
    parents: [],
  };
}

export function toTableSummary(row: CatalogRow): TableSummary {
  return {
    schema: String(row.schema_name),
    name: String(row.table_name),
    kind: row.kind === 'view' ? 'view' : 'table',
    estimatedRows: toRowEstimate(row.estimated_rows),
  };
}

/**
 * A row estimate, or null when there is none. A negative count means "no statistics" (Babelfish's -1 for a table
 * never analysed): LIST_TABLES_SQL already turns that into NULL, this holds for any engine that still sends one.
 */
function toRowEstimate(value: unknown): number | null {
  const estimate = toNumberOrNull(value);
  return estimate !== null && estimate >= 0 ? estimate : null;
}

/**
 * Splits the rows of DESCRIBE_TABLE_SQL by their `part` and shapes them with toTableDetail; null when no table or
 * view has that name. Within a part the rows keep the statement's order.
 */
export function toTableDetailFromRows(rows: CatalogRow[]): TableDetail | null {
  const found = rows.find((row) => row.part === 'table');
  if (!found) return null;
  const part = (name: DetailPart) => rows.filter((row) => row.part === name);
  return toTableDetail(found, part('column'), part('index'), part('fk'));
}

/** Shapes the object, column, index and foreign key rows of DESCRIBE_TABLE_SQL into one TableDetail. */
export function toTableDetail(found: CatalogRow, columnRows: CatalogRow[], indexRows: CatalogRow[], foreignKeyRows: CatalogRow[]): TableDetail {
  const indexes = toIndexes(indexRows);
  const { outgoing, incoming } = toForeignKeys(foreignKeyRows);
  return {
    schema: String(found.schema_name),
    name: String(found.table_name),
    kind: found.kind === 'view' ? 'view' : 'table',
    columns: columnRows.map(toColumnInfo),
    primaryKey: indexes.find((index) => index.primary)?.columns ?? [],
    foreignKeys: outgoing,
    referencedBy: incoming,
    indexes,
  };
}

export function toColumnInfo(row: CatalogRow): ColumnInfo {
  const isAlias = row.is_user_defined === true || row.is_user_defined === 1;
  const typeName = String(row.type_name).toLowerCase();
  const maxLength = columnMaxLength(String(row.base_type_name ?? row.type_name).toLowerCase(), Number(row.max_length));
  return {
    name: String(row.column_name),
    // An alias type (CREATE TYPE phone FROM nvarchar(20)) is shown by its name: its length is part of it.
    type: isAlias ? typeName : formatColumnType(typeName, Number(row.max_length), Number(row.precision), Number(row.scale)),
    nullable: row.is_nullable === true || row.is_nullable === 1,
    // SQL Server stores defaults as written, in parentheses: ((0)), (N'CA'), (getdate()). Kept as is.
    default: row.default_definition === null || row.default_definition === undefined ? null : String(row.default_definition),
    maxLength,
  };
}

const BYTE_LENGTH_TYPES = new Set(['varchar', 'char', 'varbinary', 'binary']);
const UTF16_LENGTH_TYPES = new Set(['nvarchar', 'nchar']);
const FRACTIONAL_SECOND_TYPES = new Set(['datetime2', 'time', 'datetimeoffset']);

/** A type as it is written in DDL: nvarchar(100), varchar(max), decimal(12,2), datetime2(6). */
export function formatColumnType(typeName: string, maxLength: number, precision: number, scale: number): string {
  if (BYTE_LENGTH_TYPES.has(typeName)) return `${typeName}(${maxLength === -1 ? 'max' : maxLength})`;
  // sys.columns.max_length counts bytes; n-types take two per character.
  if (UTF16_LENGTH_TYPES.has(typeName)) return `${typeName}(${maxLength === -1 ? 'max' : maxLength / 2})`;
  if (typeName === 'decimal' || typeName === 'numeric') return `${typeName}(${precision},${scale})`;
  if (FRACTIONAL_SECOND_TYPES.has(typeName)) return `${typeName}(${scale})`;
  return typeName;
}

/** Characters for character types, bytes for binary ones; null for (max), text, xml and every other type. */
export function columnMaxLength(baseTypeName: string, maxLength: number): number | null {
  if (maxLength === -1) return null;
  if (BYTE_LENGTH_TYPES.has(baseTypeName)) return maxLength;
  if (UTF16_LENGTH_TYPES.has(baseTypeName)) return maxLength / 2;
  return null;
}

export function toIndexes(rows: CatalogRow[]): IndexInfo[] {
  const byName = new Map<string, { name: string; columns: string[]; unique: boolean; primary: boolean }>();
  for (const row of rows) {
    const name = String(row.index_name);
    const index = byName.get(name) ?? {
      name,
      columns: [],
      unique: row.is_unique === true || row.is_unique === 1,
      primary: row.is_primary_key === true || row.is_primary_key === 1,
    };
    index.columns.push(String(row.column_name));
    byName.set(name, index);
  }
  return [...byName.values()];
}

export function toForeignKeys(rows: CatalogRow[]): { outgoing: ForeignKeyInfo[]; incoming: ForeignKeyInfo[] } {
  // Keyed by object id: constraint names are unique per schema only.
  const byId = new Map<string, { fk: ForeignKeyInfo & { columns: string[]; toColumns: string[] }; isOutgoing: boolean; isIncoming: boolean }>();
  for (const row of rows) {
    const id = String(row.fk_id);
    let entry = byId.get(id);
    if (!entry) {
      entry = {
        fk: {
          name: String(row.fk_name),
          columns: [],
          fromTable: { schema: String(row.from_schema), name: String(row.from_table) },
          toTable: { schema: String(row.to_schema), name: String(row.to_table) },
          toColumns: [],
        },
        isOutgoing: Number(row.is_outgoing) === 1,
        isIncoming: Number(row.is_incoming) === 1,
      };
      byId.set(id, entry);
    }
    entry.fk.columns.push(String(row.from_column));
    entry.fk.toColumns.push(String(row.to_column));
  }
  const entries = [...byId.values()];
  return {
    outgoing: entries.filter((e) => e.isOutgoing).map((e) => e.fk),
    incoming: entries.filter((e) => e.isIncoming).map((e) => e.fk),
  };
}
