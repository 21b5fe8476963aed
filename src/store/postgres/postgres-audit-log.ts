/**
 * The audit trail in a PostgreSQL database, so that several sqlgate instances (behind a load balancer) write one
 * trail. Same tables, chain, anchor and filters as the SQLite file (sqlite-audit-log.ts); opening connects and
 * migrates (postgres-audit-migrations.ts), failing at start with a ConfigError or UnavailableError that names
 * audit.url, password masked.
 *
 * One chain across processes: every append is one transaction that first takes a transaction-scoped advisory lock
 * (pg_advisory_xact_lock, one key for the trail), then reads the newest record (or the anchor), inserts the next and
 * commits. PostgreSQL makes a commit visible before it releases the transaction's locks, so the next appender — in
 * this process or another — reads the record just written: no two records get one seq or one previous hash (and the
 * primary key on seq would refuse the second). Each prune batch takes the same lock, as SQLite's BEGIN IMMEDIATE
 * serializes both. An advisory lock needs no privilege on a table, where `SELECT … FOR UPDATE` on a head row would
 * need UPDATE: the login can be append-only (INSERT and SELECT; DELETE only where it prunes).
 */
import type { PostgresTarget } from '../../config/schema.js';
import { ForbiddenError, SqlgateError, UnavailableError } from '../../errors.js';
import type { AuditAnchor, AuditFilter, AuditLogStore, AuditRow } from '../audit-log-store.js';
import { POSTGRES_AUDIT_SCHEMA } from './postgres-audit-migrations.js';
import { migratePostgresSchema } from './postgres-migrations.js';
import { PostgresStateDatabase, type StoreQuery } from './postgres-state-database.js';
import type { StoreSubject } from './postgres-store-errors.js';

const AUDIT_TRAIL: StoreSubject = { name: 'audit trail', key: 'audit.url', applicationName: 'sqlgate-audit' };

/** Key of the advisory lock taken by every append and prune batch: the migration lock's neighbour. */
const TRAIL_LOCK = '32494332726572134';

/**
 * Records deleted per transaction when pruning: each batch holds the trail's lock for milliseconds, so that
 * instances appending meanwhile wait far less than the statement timeout.
 */
const PRUNE_BATCH = 5_000;

/** A row as pg returns it: bigint arrives as a string. */
interface Row {
  seq: string;
  time: string;
  kind: string;
  environment: string | null;
  user_name: string | null;
  tool: string | null;
  verdict: string | null;
  payload: string;
  prev_hash: string;
  hash: string;
}

type AnchorRow = Pick<Row, 'seq' | 'hash' | 'time' | 'prev_hash' | 'payload'>;

const INSERT = `INSERT INTO audit_records (seq, time, kind, environment, user_name, tool, verdict, payload, prev_hash, hash)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`;

/**
 * The trail's lock, and the durability its contract promises: a record reported committed survives a crash, even
 * where synchronous_commit was turned off for speed (then raised to local for this transaction only; stronger
 * settings, such as waiting for a standby, are kept). The key is written in: it goes out without parameters, in
 * BEGIN's message.
 */
const LOCK = `SELECT pg_advisory_xact_lock(${TRAIL_LOCK}),
  CASE WHEN current_setting('synchronous_commit') = 'off' THEN set_config('synchronous_commit', 'local', true) END`;

const NEWEST = 'SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1';

/**
 * The last record of one prune batch: among the oldest PRUNE_BATCH records, the newest that comes before the first
 * one kept (time at or after the cut-off), so that what is left is one unbroken chain.
 */
const LAST_OF_BATCH = `WITH batch AS (SELECT seq, time FROM audit_records ORDER BY seq LIMIT $2),
    first_kept AS (SELECT min(seq) AS seq FROM batch WHERE time >= $1)
  SELECT seq, hash, time, prev_hash, payload FROM audit_records
  WHERE seq = (SELECT max(batch.seq) FROM batch, first_kept WHERE first_kept.seq IS NULL OR batch.seq < first_kept.seq)`;

const MAY_PRUNE = `SELECT has_table_privilege('audit_records', 'DELETE') AND has_table_privilege('audit_anchor', 'DELETE')
  AND has_table_privilege('audit_anchor', 'INSERT') AS may_prune`;

export async function openPostgresAuditLog(target: PostgresTarget, maskedUrl: string): Promise<AuditLogStore> {
  const db = await PostgresStateDatabase.open(
    target,
    maskedUrl,
    async (client) => void (await migratePostgresSchema(client, maskedUrl, POSTGRES_AUDIT_SCHEMA)),
    AUDIT_TRAIL,
  );
  const unavailable = (what: string, err: unknown) => new UnavailableError(`The audit trail could not ${what}.`, {
    hint: 'Ask the operator to check the audit trail\'s PostgreSQL database (is it up; may sqlgate\'s login write to it).',
    detail: `${maskedUrl}: ${(err as Error).message}`,
    cause: err,
  });

  return {
    location: maskedUrl,
    async append(next) {
      try {
        // BEGIN, the lock and the newest record in one round trip; the lock is taken before the newest is read.
        return await db.transactionOpenedWith([LOCK, NEWEST], async (tx, [, newest]) => {
          const last = newest!.rows[0] as Pick<Row, 'seq' | 'hash'> | undefined;
          // Once retention has pruned every record, the chain goes on from the anchor, not from a new first record.
          const previous = (last && { seq: Number(last.seq), hash: last.hash }) ?? (await readAnchor(tx)) ?? undefined;
          const row: AuditRow = { ...next(previous), seq: (previous?.seq ?? 0) + 1 };
          await tx.query(INSERT, [row.seq, row.time, row.kind, row.environment, row.user, row.tool, row.verdict, row.payload, row.prevHash, row.hash]);
          return row;
        });
      } catch (err) {
        if (err instanceof SqlgateError) throw err;
        // Nothing may be answered without its record: the caller turns this into a failed call.
        throw unavailable('record this call, so its result is withheld', err);
      }
    },
    async list(filter, limit) {
      const { where, params } = whereClause(filter);
      const { rows } = await db.query<Row>(
        `SELECT * FROM (SELECT * FROM audit_records ${where} ORDER BY seq DESC LIMIT $${params.length + 1}) AS newest ORDER BY seq`,
        [...params, limit],
      );
      return rows.map(fromColumns);
    },
    async page(afterSeq, limit) {
      const { rows } = await db.query<Row>('SELECT * FROM audit_records WHERE seq > $1 ORDER BY seq LIMIT $2', [afterSeq, limit]);
      return rows.map(fromColumns);
    },
    async prune(beforeTime, options = {}) {
      // Checked first: an instance whose login may only append (docs/audit.md) is told so, not that the store failed.
      const { rows } = await db.query<{ may_prune: boolean }>(MAY_PRUNE);
      if (!rows[0]!.may_prune) {
        throw new ForbiddenError(`The audit trail ${maskedUrl} cannot be pruned with this login: it may not delete from audit_records and audit_anchor.`, {
          hint: 'Pruning is left to an instance whose login has DELETE on both (or to "sqlgate audit prune" run with such a login): see docs/audit.md.',
        });
      }
      let pruned = 0;
      try {
        for (;;) {
          const count = await db.transactionOpenedWith([LOCK], (tx) => pruneBatch(tx, beforeTime));
          pruned += count;
          if (count < PRUNE_BATCH || options.signal?.aborted) break;
        }
        return { pruned, anchor: await readAnchor(db) };
      } catch (err) {
        throw unavailable(`prune old records (${pruned} were pruned before it failed)`, err);
      }
    },
    anchor: () => readAnchor(db),
    ping: () => db.ping(),
    close: () => db.close(),
  };
}

async function readAnchor(query: StoreQuery): Promise<AuditAnchor | null> {
  const { rows } = await query.query<AnchorRow>('SELECT seq, hash, time, prev_hash, payload FROM audit_anchor WHERE id = 1');
  return rows[0] ? toAnchor(rows[0]) : null;
}

/** One batch, under the trail's lock: deletes through its last record and moves the anchor there; returns how many went. */
async function pruneBatch(tx: StoreQuery, beforeTime: string): Promise<number> {
  const { rows } = await tx.query<AnchorRow>(LAST_OF_BATCH, [beforeTime, PRUNE_BATCH]);
  const last = rows[0];
  if (!last) return 0;
  const { rowCount } = await tx.query('DELETE FROM audit_records WHERE seq <= $1', [last.seq]);
  // Moved by DELETE and INSERT: the anchor table refuses UPDATE, as the records do.
  await tx.query('DELETE FROM audit_anchor');
  await tx.query('INSERT INTO audit_anchor (id, seq, hash, time, prev_hash, payload) VALUES (1, $1, $2, $3, $4, $5)', [
    last.seq, last.hash, last.time, last.prev_hash, last.payload,
  ]);
  return rowCount ?? 0;
}

/** The same filters as the SQLite store's, as positional parameters. */
function whereClause(filter: AuditFilter): { where: string; params: string[] } {
  const conditions: string[] = [];
  const params: string[] = [];
  const add = (condition: (placeholder: string) => string, value: string | undefined) => {
    if (value === undefined) return;
    params.push(value);
    conditions.push(condition(`$${params.length}`));
  };
  add((p) => `kind = ${p}`, filter.kind);
  add((p) => `environment = ${p}`, filter.environment);
  add((p) => `user_name = ${p}`, filter.user);
  add((p) => `tool = ${p}`, filter.tool);
  add((p) => `verdict = ${p}`, filter.verdict);
  // As SQLite's json_extract: read from the record itself. json, not jsonb, which refuses \u0000 in any field.
  add((p) => `(payload::json ->> 'client_id') = ${p}`, filter.client);
  add((p) => `time >= ${p}`, filter.since);
  add((p) => `time < ${p}`, filter.until);
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

function fromColumns(row: Row): AuditRow {
  return {
    seq: Number(row.seq), time: row.time, kind: row.kind, environment: row.environment, user: row.user_name, tool: row.tool,
    verdict: row.verdict, payload: row.payload, prevHash: row.prev_hash, hash: row.hash,
  };
}

function toAnchor(row: AnchorRow): AuditAnchor {
  return { seq: Number(row.seq), hash: row.hash, time: row.time, prevHash: row.prev_hash, payload: row.payload };
}
