/**
 * PostgreSQL catalog through pg_catalog (not information_schema, which hides objects the login does not own and
 * is slow on large schemas). Row estimates come from pg_class.reltuples, kept by ANALYZE and autovacuum; tables
 * are never counted.
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
 * User relations: tables (r), partitioned tables (p) and foreign tables (f) are tables; views (v) and materialized
 * views (m) are views. Partitions are left out: their parent stands for them. Names starting with pg_ are reserved
 * for system schemas (pg_catalog, pg_toast*, pg_temp_*), so one LIKE excludes them all.
 */
const USER_RELATIONS = `
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm')
   AND NOT c.relispartition
   AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'`;

/** reltuples is -1 until the first ANALYZE; a partitioned table's estimate is the sum over its leaf partitions. */
const ESTIMATED_ROWS = `
  CASE
    WHEN c.relkind = 'v' THEN NULL
    WHEN c.relkind = 'p' THEN (SELECT sum(p.reltuples) FILTER (WHERE p.reltuples >= 0)
                                 FROM pg_catalog.pg_partition_tree(c.oid) t JOIN pg_catalog.pg_class p ON p.oid = t.relid
                                WHERE t.isleaf)::float8
    WHEN c.reltuples < 0 THEN NULL
    ELSE c.reltuples::float8
  END`;

/**
 * One relation as a statement would reach it. The name is resolved by to_regclass, the parser's own lookup (search_path
 * with the implicit pg_temp and pg_catalog, so `pg_stats` finds pg_catalog.pg_stats); quote_ident builds its input on
 * the server from the parameters, so a name is never read as SQL. Ancestors come from pg_inherits, which holds both
 * inheritance and partitioning, walked breadth-first: nearest first, declared order (inhseqno) within a level.
 */
const RELATION_FACTS_SQL = `
  WITH RECURSIVE target AS (
    SELECT c.oid, n.nspname, c.relname, c.relkind
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = pg_catalog.to_regclass(CASE WHEN $1::text IS NULL THEN pg_catalog.quote_ident($2::text)
                                               ELSE pg_catalog.quote_ident($1::text) || '.' || pg_catalog.quote_ident($2::text) END)
  ), ancestors AS (
    SELECT i.inhparent AS oid, 1 AS depth, ARRAY[i.inhseqno] AS path
      FROM pg_catalog.pg_inherits i JOIN target t ON i.inhrelid = t.oid
    UNION ALL
    SELECT i.inhparent, a.depth + 1, a.path || i.inhseqno
      FROM pg_catalog.pg_inherits i JOIN ancestors a ON i.inhrelid = a.oid
  )
  SELECT t.nspname AS schema, t.relname AS name, t.relkind AS kind,
         ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
                WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS columns,
         CASE WHEN t.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(t.oid) END AS definition,
         (SELECT json_agg(json_build_array(pn.nspname, pc.relname) ORDER BY a.depth, a.path)
            FROM ancestors a
            JOIN pg_catalog.pg_class pc ON pc.oid = a.oid
            JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace) AS parents
    FROM target t`;

/** Schemas of the catalog itself; pg_toast_temp_N included. */
const SYSTEM_SCHEMA = /^(pg_catalog|information_schema|pg_toast(_temp_\d+)?)$/;

export class PostgresIntrospector implements Introspector {
  constructor(private readonly dialect: Dialect) {}

  async defaultSchema(): Promise<string | null> {
    const [row] = await catalogQuery(this.dialect, 'SELECT current_schema() AS name');
    return row?.name === null || row?.name === undefined ? null : String(row.name);
  }

  async listTables(filter: ListTablesFilter): Promise<TableSummary[]> {
    // strpos on lower() rather than ILIKE: the user's text needs no escaping of % and _.
    // The privilege checks keep the list to what this login can actually read. Ordering is by `name`, whose
    // collation is "C": byte order, the same on every server.
    const rows = await catalogQuery(
      this.dialect,
      `SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind, ${ESTIMATED_ROWS} AS estimated_rows
       ${USER_RELATIONS}
         AND ($1::text IS NULL OR n.nspname = $1::text)
         AND ($2::text IS NULL OR strpos(lower(c.relname), lower($2::text)) > 0)
         AND pg_catalog.has_schema_privilege(n.oid, 'USAGE')
         AND (pg_catalog.has_table_privilege(c.oid, 'SELECT') OR pg_catalog.has_any_column_privilege(c.oid, 'SELECT'))
       ORDER BY n.nspname, c.relname`,
      [filter.schema ?? null, filter.nameContains ?? null],
    );
    return rows.map((row) => ({
      schema: String(row.schema),
      name: String(row.name),
      kind: kindOf(row.kind),
      estimatedRows: toNumberOrNull(row.estimated_rows),
    }));
  }

  async describeTable(ref: TableRef): Promise<TableDetail | null> {
    // Every statement of the description in one catalog session.
    return withCatalogSession(this.dialect, async (query) => {
      // Exact names; a null schema means the first match along search_path.
      const [found] = await query(
        `SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind AS kind
         ${USER_RELATIONS}
           AND c.relname = $2::text
           AND (n.nspname = $1::text OR ($1::text IS NULL AND pg_catalog.pg_table_is_visible(c.oid)))`,
        [ref.schema, ref.name],
      );
      if (!found) return null;
      const oid = Number(found.oid);
      const schema = String(found.schema);
      const name = String(found.name);
      const foreignKeys = await this.foreignKeysTouching(query, oid);
      return {
        schema,
        name,
        kind: kindOf(found.kind),
        columns: await this.columnsOf(query, oid),
        primaryKey: await this.primaryKeyOf(query, oid),
        foreignKeys: foreignKeys.filter((fk) => fk.fromOid === oid).map((fk) => fk.info),
        referencedBy: foreignKeys.filter((fk) => fk.toOid === oid).map((fk) => fk.info),
        indexes: await this.indexesOf(query, oid),
      };
    });
  }

  async relationFacts(ref: TableRef): Promise<RelationFacts | null> {
    // text cannot hold NUL, and no statement can name it: there is nothing to find.
    if (ref.name.includes('\0') || ref.schema?.includes('\0')) return null;
    const [row] = await catalogQuery(this.dialect, RELATION_FACTS_SQL, [ref.schema, ref.name]);
    return row ? toRelationFacts(row) : null;
  }

  private async columnsOf(query: CatalogQuery, oid: number): Promise<ColumnInfo[]> {
    // A domain carries its base type's length in typtypmod. Character lengths are stored as n + 4 (the varlena
    // header); bit lengths as n.
    const rows = await query(
      `SELECT a.attname AS name,
              format_type(a.atttypid, a.atttypmod) AS type,
              NOT a.attnotnull AS nullable,
              CASE
                WHEN a.attidentity = 'a' THEN 'generated always as identity'
                WHEN a.attidentity = 'd' THEN 'generated by default as identity'
                WHEN a.attgenerated = 's' THEN 'generated always as (' || pg_get_expr(d.adbin, d.adrelid) || ') stored'
                ELSE pg_get_expr(d.adbin, d.adrelid)
              END AS default_value,
              CASE
                WHEN bt.base IN (1042, 1043) AND bt.typmod > 4 THEN bt.typmod - 4
                WHEN bt.base IN (1560, 1562) AND bt.typmod > 0 THEN bt.typmod
              END AS max_length
         FROM pg_catalog.pg_attribute a
         JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         CROSS JOIN LATERAL (SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END::int AS base,
                                    CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod) bt
        WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum`,
      [oid],
    );
    return rows.map((row) => ({
      name: String(row.name),
      type: String(row.type),
      nullable: row.nullable === true,
      default: row.default_value === null ? null : String(row.default_value),
      maxLength: toNumberOrNull(row.max_length),
    }));
  }

  private async primaryKeyOf(query: CatalogQuery, oid: number): Promise<string[]> {
    const rows = await query(
      `SELECT a.attname AS name
         FROM pg_catalog.pg_constraint con
         CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, position)
         JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
        WHERE con.conrelid = $1::oid AND con.contype = 'p'
        ORDER BY k.position`,
      [oid],
    );
    return rows.map((row) => String(row.name));
  }

  /** Foreign keys from this table and to it, with column order kept (conkey[i] pairs with confkey[i]). */
  private async foreignKeysTouching(query: CatalogQuery, oid: number): Promise<{ fromOid: number; toOid: number; info: ForeignKeyInfo }[]> {
    // conparentid <> 0 marks the copies of a partitioned table's key on each partition: the parent's is enough.
    const rows = await query(
      `SELECT con.conname AS name, con.conrelid AS from_oid, con.confrelid AS to_oid,
              fn.nspname AS from_schema, fc.relname AS from_table, tn.nspname AS to_schema, tc.relname AS to_table,
              ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, position)
                      JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                     ORDER BY k.position) AS columns,
              ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, position)
                      JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                     ORDER BY k.position) AS to_columns
         FROM pg_catalog.pg_constraint con
         JOIN pg_catalog.pg_class fc ON fc.oid = con.conrelid
         JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
         JOIN pg_catalog.pg_class tc ON tc.oid = con.confrelid
         JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
        WHERE con.contype = 'f' AND con.conparentid = 0 AND (con.conrelid = $1::oid OR con.confrelid = $1::oid)
        ORDER BY fn.nspname, fc.relname, con.conname`,
      [oid],
    );
    return rows.map((row) => ({
      fromOid: Number(row.from_oid),
      toOid: Number(row.to_oid),
      info: {
        name: String(row.name),
        columns: row.columns as string[],
        fromTable: { schema: String(row.from_schema), name: String(row.from_table) },
        toTable: { schema: String(row.to_schema), name: String(row.to_table) },
        toColumns: row.to_columns as string[],
      },
    }));
  }

  /** Key columns in index order; an expression key is shown as its expression text. INCLUDE columns are left out. */
  private async indexesOf(query: CatalogQuery, oid: number): Promise<IndexInfo[]> {
    const rows = await query(
      `SELECT ic.relname AS name, i.indisunique AS is_unique, i.indisprimary AS is_primary,
              ARRAY(SELECT CASE WHEN i.indkey[k.n - 1] = 0 THEN pg_get_indexdef(i.indexrelid, k.n, true)
                                ELSE (SELECT a.attname::text FROM pg_catalog.pg_attribute a
                                       WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[k.n - 1]) END
                      FROM generate_series(1, i.indnkeyatts) AS k(n)
                     ORDER BY k.n) AS columns
         FROM pg_catalog.pg_index i
         JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
        WHERE i.indrelid = $1::oid
        ORDER BY ic.relname`,
      [oid],
    );
    return rows.map((row) => ({
      name: String(row.name),
      columns: row.columns as string[],
      unique: row.is_unique === true,
      primary: row.is_primary === true,
    }));
  }
}

function kindOf(relkind: unknown): 'table' | 'view' {
  return relkind === 'v' || relkind === 'm' ? 'view' : 'table';
}

/**
 * Shapes the row of RELATION_FACTS_SQL. Sequences (S) read like one-row tables, so they are tables here; indexes and
 * composite types cannot be read from, so a name that reaches one names no relation.
 */
function toRelationFacts(row: Record<string, unknown>): RelationFacts | null {
  const relkind = String(row.kind);
  if (!['r', 'p', 'f', 'S', 'v', 'm', 't'].includes(relkind)) return null;
  const schema = String(row.schema);
  const kind = SYSTEM_SCHEMA.test(schema) ? 'system' : relkind === 'v' || relkind === 'm' ? 'view' : 'table';
  const seen = new Set<string>();
  const parents: TableRef[] = [];
  // Diamond inheritance reaches one ancestor along several paths: keep its nearest.
  for (const [parentSchema, parentName] of (row.parents ?? []) as [string, string][]) {
    const key = JSON.stringify([parentSchema, parentName]);
    if (!seen.has(key)) parents.push({ schema: parentSchema, name: parentName });
    seen.add(key);
  }
  return {
    schema,
    name: String(row.name),
    kind,
    columns: row.columns as string[],
    definition: kind === 'view' && row.definition !== null ? String(row.definition) : null,
    parents,
  };
}
