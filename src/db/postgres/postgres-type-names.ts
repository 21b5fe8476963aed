/**
 * Result column OID → type name as format_type prints it (`integer`, `timestamp without time zone`, `text[]`),
 * cached for the life of the dialect.
 *
 * The cache is filled once from the first connection with every type that is not a table's row type. A column
 * of a type created later is looked up on a side connection: the session's own connection is busy with the open
 * portal of the statement whose columns we are naming.
 */
import type pg from 'pg';

/** Every type but the row types of relations (and their arrays): tens of thousands in a large schema otherwise. */
const ALL_TYPES_SQL = `
  SELECT t.oid, format_type(t.oid, NULL) AS name
    FROM pg_catalog.pg_type t
   WHERE t.typrelid = 0
     AND (t.typelem = 0 OR (SELECT e.typrelid FROM pg_catalog.pg_type e WHERE e.oid = t.typelem) = 0)`;

const SOME_TYPES_SQL = 'SELECT t.oid, format_type(t.oid, NULL) AS name FROM pg_catalog.pg_type t WHERE t.oid = ANY($1::oid[])';

export class PostgresTypeNames {
  private readonly names = new Map<number, string>();
  private isLoaded = false;

  /** @param lookUpElsewhere runs a catalog query on a connection other than the busy one. */
  constructor(private readonly lookUpElsewhere: (sql: string, params: unknown[]) => Promise<{ oid: number; name: string }[]>) {}

  /** Fills the cache on a fresh, idle connection; once per dialect. A failure leaves it to the look-ups. */
  async loadOnce(client: pg.Client): Promise<void> {
    if (this.isLoaded) return;
    try {
      const { rows } = await client.query<{ oid: number; name: string }>(ALL_TYPES_SQL);
      this.remember(rows);
      this.isLoaded = true;
    } catch {
      // Leave isLoaded false: the next new connection tries again; columns meanwhile use look-ups.
    }
  }

  /** Names for these OIDs; an unknown OID that cannot be looked up is named `oid <n>` (and not cached). */
  async namesOf(oids: readonly number[]): Promise<string[]> {
    const missing = [...new Set(oids.filter((oid) => !this.names.has(oid)))];
    if (missing.length > 0) {
      try {
        this.remember(await this.lookUpElsewhere(SOME_TYPES_SQL, [missing]));
      } catch {
        // The statement's rows matter more than a type name: fall through to the placeholder.
      }
    }
    return oids.map((oid) => this.names.get(oid) ?? `oid ${oid}`);
  }

  private remember(rows: readonly { oid: number; name: string }[]): void {
    for (const row of rows) this.names.set(Number(row.oid), String(row.name).toLowerCase());
  }
}
