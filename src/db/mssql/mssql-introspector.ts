/**
 * SQL Server catalog: sys.tables, sys.views, sys.schemas, sys.columns, sys.types, sys.default_constraints,
 * sys.indexes, sys.index_columns, sys.foreign_keys and sys.foreign_key_columns. Row estimates come from
 * sys.partitions (heap or clustered index, index_id 0/1): unlike sys.dm_db_partition_stats it needs no VIEW
 * DATABASE STATE, only the metadata visibility a reader already has. Every query is one parameterized statement
 * (@p1 …); the row shaping is in exported functions so it is tested without a server.
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

/** @p1 schema or NULL, @p2 part of the name (case-insensitive) or NULL. */
export const LIST_TABLES_SQL = `SELECT s.name AS schema_name, o.name AS table_name, o.kind,
       (SELECT SUM(p.rows) FROM sys.partitions p WHERE p.object_id = o.object_id AND p.index_id IN (0, 1)) AS estimated_rows
  FROM ${USER_OBJECTS}
 WHERE (@p1 IS NULL OR s.name = @p1)
   AND (@p2 IS NULL OR CHARINDEX(LOWER(@p2), LOWER(o.name)) > 0)
 ORDER BY s.name, o.name`;

/** @p1 schema (NULL: the login's default schema), @p2 exact name. */
export const FIND_TABLE_SQL = `SELECT o.object_id, s.name AS schema_name, o.name AS table_name, o.kind
  FROM ${USER_OBJECTS}
 WHERE s.name = COALESCE(@p1, SCHEMA_NAME()) AND o.name = @p2`;

/** @p1 object_id. `t` is the declared type (an alias type keeps its own name), `bt` the system type under it. */
export const COLUMNS_SQL = `SELECT c.name AS column_name, t.name AS type_name, t.is_user_defined, bt.name AS base_type_name,
       c.max_length, c.precision, c.scale, c.is_nullable, dc.definition AS default_definition
  FROM sys.columns c
  JOIN sys.types t ON t.user_type_id = c.user_type_id
  LEFT JOIN sys.types bt ON bt.user_type_id = c.system_type_id
  LEFT JOIN sys.default_constraints dc ON dc.object_id = c.default_object_id
 WHERE c.object_id = @p1
 ORDER BY c.column_id`;

/** @p1 object_id. B-tree indexes only (clustered, nonclustered): key columns in key order, included columns left out. */
export const INDEXES_SQL = `SELECT i.name AS index_name, i.is_unique, i.is_primary_key, c.name AS column_name
  FROM sys.indexes i
  JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.is_included_column = 0
  JOIN sys.columns c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
 WHERE i.object_id = @p1 AND i.type IN (1, 2) AND i.is_hypothetical = 0
 ORDER BY i.index_id, ic.key_ordinal`;

/** @p1 object_id. Foreign keys from this table and to it; a self-reference is both. */
export const FOREIGN_KEYS_SQL = `SELECT fk.object_id AS fk_id, fk.name AS fk_name,
       CASE WHEN fk.parent_object_id = @p1 THEN 1 ELSE 0 END AS is_outgoing,
       CASE WHEN fk.referenced_object_id = @p1 THEN 1 ELSE 0 END AS is_incoming,
       ps.name AS from_schema, pt.name AS from_table, pc.name AS from_column,
       rs.name AS to_schema, rt.name AS to_table, rc.name AS to_column
  FROM sys.foreign_keys fk
  JOIN sys.foreign_key_columns fkc ON fkc.constraint_object_id = fk.object_id
  JOIN sys.tables pt ON pt.object_id = fk.parent_object_id
  JOIN sys.schemas ps ON ps.schema_id = pt.schema_id
  JOIN sys.columns pc ON pc.object_id = fkc.parent_object_id AND pc.column_id = fkc.parent_column_id
  JOIN sys.tables rt ON rt.object_id = fk.referenced_object_id
  JOIN sys.schemas rs ON rs.schema_id = rt.schema_id
  JOIN sys.columns rc ON rc.object_id = fkc.referenced_object_id AND rc.column_id = fkc.referenced_column_id
 WHERE fk.parent_object_id = @p1 OR fk.referenced_object_id = @p1
 ORDER BY fk.name, fk.object_id, fkc.constraint_column_id`;

export const DEFAULT_SCHEMA_SQL = 'SELECT SCHEMA_NAME() AS schema_name';

/**
 * @p1 schema (NULL: resolve as a statement does), @p2 exact name. sys.all_objects, unlike sys.objects, also holds
 * the system views (sys.*, INFORMATION_SCHEMA.*). An unqualified name is looked for in the login's default schema,
 * then dbo, then among the shipped objects of sys (the compatibility views, e.g. sysobjects). A synonym is followed
 * to its base object when that is a table or view in this database (PARSENAME: no server, no other database);
 * otherwise the row has no resolved object. OBJECT_DEFINITION is NULL without VIEW DEFINITION and for encrypted views.
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
       o.type, o.is_ms_shipped, CASE WHEN o.type = 'V' THEN OBJECT_DEFINITION(o.object_id) END AS definition
  FROM resolved r
  LEFT JOIN sys.all_objects o ON o.object_id = r.base_id AND o.type IN ('U', 'V', 'S', 'IT', 'ET')
  LEFT JOIN sys.schemas s ON s.schema_id = o.schema_id`;

/** @p1 object_id. sys.all_columns: system views' columns too. */
export const RELATION_COLUMNS_SQL = `SELECT c.name AS column_name FROM sys.all_columns c WHERE c.object_id = @p1 ORDER BY c.column_id`;

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
    const [found] = await catalogQuery(this.dialect, FIND_TABLE_SQL, [ref.schema, ref.name]);
    if (!found) return null;
    const objectId = Number(found.object_id);
    const columns = await catalogQuery(this.dialect, COLUMNS_SQL, [objectId]);
    const indexes = await catalogQuery(this.dialect, INDEXES_SQL, [objectId]);
    const foreignKeys = await catalogQuery(this.dialect, FOREIGN_KEYS_SQL, [objectId]);
    return toTableDetail(found, columns, indexes, foreignKeys);
  }

  async relationFacts(ref: TableRef): Promise<RelationFacts | null> {
    const [found] = await catalogQuery(this.dialect, RELATION_FACTS_SQL, [ref.schema, ref.name]);
    if (!found || found.object_id === null || found.object_id === undefined) return toRelationFacts(found, []);
    const columns = await catalogQuery(this.dialect, RELATION_COLUMNS_SQL, [Number(found.object_id)]);
    return toRelationFacts(found, columns);
  }
}

/**
 * Shapes the rows of RELATION_FACTS_SQL and RELATION_COLUMNS_SQL. A synonym that reaches no table or view here (another
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
    estimatedRows: toNumberOrNull(row.estimated_rows),
  };
}

/** Shapes the rows of FIND_TABLE_SQL, COLUMNS_SQL, INDEXES_SQL and FOREIGN_KEYS_SQL into one TableDetail. */
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
