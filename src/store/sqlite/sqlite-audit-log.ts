/**
 * The audit trail in its own SQLite file. Appends are synchronous (better-sqlite3, as in sqlite-state-store.ts)
 * inside BEGIN IMMEDIATE, which takes the write lock before reading the newest record: two processes on one file
 * (a server and a stdio client) append one after the other and never fork the chain. A record the caller was told
 * is committed survives the process being killed, and the machine losing power.
 *
 * How, without stalling the server: the appends of one turn of the event loop are committed together
 * (util/group-commit.ts), each record still chained to the one before it. SQLite's synchronous=FULL would fsync the
 * WAL inside every commit, with the event loop blocked (about 1.2 ms on the build machine's disk, per call);
 * instead the commit runs with synchronous=NORMAL (WAL frames written, not synced) and the group's callers are
 * answered only after an fdatasync of the WAL file on libuv's thread pool — the same frames made durable as FULL
 * would, while the loop serves other requests. (fsync works on the file, not the descriptor: syncing our own
 * read-only descriptor of the -wal file also syncs what SQLite wrote through its own.)
 *
 * Retention deletes the oldest records and keeps, in a one-row table written in the same transaction, the anchor:
 * the last deleted record's seq and hash, where verification (and, once every record is gone, the next append)
 * picks the chain up.
 */
import fs from 'node:fs';
import { ConfigError, SqlgateError, UnavailableError } from '../../errors.js';
import type { AuditAnchor, AuditFilter, AuditLogStore, AuditRow } from '../audit-log-store.js';
import { GroupCommit, type ItemOutcome } from '../../util/group-commit.js';
import { openOwnerOnlyDatabase, pingSqliteFile } from './sqlite-state-store.js';

type NextRecord = Parameters<AuditLogStore['append']>[0];

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS audit_records (
    seq         INTEGER PRIMARY KEY,
    time        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    environment TEXT,
    user_name   TEXT,
    tool        TEXT,
    verdict     TEXT,
    payload     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS audit_records_time ON audit_records (time);
  CREATE TABLE IF NOT EXISTS audit_anchor (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    seq       INTEGER NOT NULL,
    hash      TEXT NOT NULL,
    time      TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    payload   TEXT NOT NULL
  ) STRICT;
`;

/**
 * Records deleted per transaction when pruning: each batch holds the write lock for milliseconds, so a server and
 * stdio clients appending to the same file wait far less than busy_timeout, and the event loop gets turns between.
 */
const PRUNE_BATCH = 5_000;

interface Row {
  seq: number;
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

export function openSqliteAuditLog(file: string): AuditLogStore {
  const db = openOwnerOnlyDatabase(file, 'the audit trail', 'audit.url');
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL'); // made durable by syncWal() before any caller is answered
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
  } catch (err) {
    db.close();
    throw new ConfigError(`The audit trail ${file} cannot be used (${(err as { code?: string }).code ?? 'unreadable'}).`, {
      hint: 'Is it a sqlgate audit file? Point audit.url at a new file, and keep this one for the record.',
      cause: err,
    });
  }
  const newest = db.prepare<[], Pick<Row, 'seq' | 'hash'>>('SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1');
  const insert = db.prepare(`INSERT INTO audit_records (seq, time, kind, environment, user_name, tool, verdict, payload, prev_hash, hash)
    VALUES (@seq, @time, @kind, @environment, @user_name, @tool, @verdict, @payload, @prev_hash, @hash)`);
  const page = db.prepare<[number, number], Row>('SELECT * FROM audit_records WHERE seq > ? ORDER BY seq LIMIT ?');
  const anchor = db.prepare<[], AuditAnchor>('SELECT seq, hash, time, prev_hash AS prevHash, payload FROM audit_anchor WHERE id = 1');
  const oldest = db.prepare<[number], Pick<Row, 'seq' | 'hash' | 'time' | 'prev_hash' | 'payload'>>('SELECT seq, hash, time, prev_hash, payload FROM audit_records ORDER BY seq LIMIT ?');
  const deleteThrough = db.prepare<[number]>('DELETE FROM audit_records WHERE seq <= ?');
  const moveAnchor = db.prepare<[AuditAnchor]>(`INSERT INTO audit_anchor (id, seq, hash, time, prev_hash, payload) VALUES (1, @seq, @hash, @time, @prevHash, @payload)
    ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, time = excluded.time, prev_hash = excluded.prev_hash, payload = excluded.payload`);
  const appendGroup = db.transaction((group: readonly NextRecord[]): ItemOutcome<AuditRow>[] => group.map((next) => {
    // Once retention has pruned every record, the chain goes on from the anchor, not from a new first record.
    const previous = newest.get() ?? anchor.get();
    let row: AuditRow;
    try {
      row = { ...next(previous), seq: (previous?.seq ?? 0) + 1 };
    } catch (err) {
      return { error: err }; // this record's own failure: the others of the group are committed
    }
    insert.run(toColumns(row));
    return { value: row };
  }));
  const syncWal = walSyncer(`${file}-wal`);
  const appends = new GroupCommit<NextRecord, AuditRow>((group) => appendGroup.immediate(group), syncWal.sync);
  /** One batch: the oldest records older than `beforeTime`, up to the first that is not; returns how many went. */
  const pruneBatch = db.transaction((beforeTime: string): number => {
    let last: Pick<Row, 'seq' | 'hash' | 'time' | 'prev_hash' | 'payload'> | undefined;
    for (const row of oldest.iterate(PRUNE_BATCH)) {
      // Stop at the first record that is kept: deleting a newer one past it would leave a gap verification reports.
      if (row.time >= beforeTime) break;
      last = row;
    }
    if (last === undefined) return 0;
    const { changes } = deleteThrough.run(last.seq);
    moveAnchor.run({ seq: last.seq, hash: last.hash, time: last.time, prevHash: last.prev_hash, payload: last.payload });
    return changes;
  });
  const unavailable = (what: string, err: unknown) => new UnavailableError(`The audit trail could not ${what}.`, {
    hint: 'Ask the operator to check the audit file (disk space, permissions).',
    detail: `${file}: ${(err as Error).message}`,
    cause: err,
  });

  return {
    location: file,
    async append(next) {
      try {
        return await appends.add(next);
      } catch (err) {
        if (err instanceof SqlgateError) throw err;
        // Nothing may be answered without its record: the caller turns this into a failed call.
        throw unavailable('record this call, so its result is withheld', err);
      }
    },
    async list(filter, limit) {
      const { where, params } = whereClause(filter);
      const rows = db.prepare(`SELECT * FROM (SELECT * FROM audit_records ${where} ORDER BY seq DESC LIMIT @limit) ORDER BY seq`).all({ ...params, limit }) as Row[];
      return rows.map(fromColumns);
    },
    async page(afterSeq, limit) {
      return page.all(afterSeq, limit).map(fromColumns);
    },
    async prune(beforeTime, options = {}) {
      let pruned = 0;
      try {
        for (;;) {
          const count = pruneBatch.immediate(beforeTime);
          pruned += count;
          if (count < PRUNE_BATCH || options.signal?.aborted) break;
          await new Promise((resolve) => setImmediate(resolve));
        }
        return { pruned, anchor: anchor.get() ?? null };
      } catch (err) {
        throw unavailable(`prune old records (${pruned} were pruned before it failed)`, err);
      }
    },
    async anchor() {
      return anchor.get() ?? null;
    },
    ping: async () => pingSqliteFile(db, file, 'The audit trail'),
    close: async () => {
      await appends.drain(); // what was accepted is committed and synced before the file closes
      syncWal.close();
      db.close();
    },
  };
}

/**
 * fdatasync of the WAL file, asynchronously. The descriptor is opened at the first sync (SQLite creates the file
 * with the first write) and kept: SQLite keeps the same file while the database is open here, truncating and
 * reusing it after checkpoints.
 */
function walSyncer(walFile: string): { sync: () => Promise<void>; close: () => void } {
  let opened: Promise<number> | null = null;
  let fd: number | null = null;
  const open = () => new Promise<number>((resolve, reject) => fs.open(walFile, 'r', (err, descriptor) => (err ? reject(err) : resolve((fd = descriptor)))));
  return {
    sync: async () => {
      opened ??= open();
      const descriptor = await opened.catch((err: unknown) => {
        opened = null; // not there yet, or gone: the next sync opens it again
        throw err;
      });
      await new Promise<void>((resolve, reject) => fs.fdatasync(descriptor, (err) => (err ? reject(err) : resolve())));
    },
    close: () => {
      if (fd !== null) fs.closeSync(fd);
      fd = null;
      opened = null;
    },
  };
}

function whereClause(filter: AuditFilter): { where: string; params: Record<string, string> } {
  const conditions: string[] = [];
  const params: Record<string, string> = {};
  const equal = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    conditions.push(`${column} = @${column}`);
    params[column] = value;
  };
  equal('kind', filter.kind);
  equal('environment', filter.environment);
  equal('user_name', filter.user);
  equal('tool', filter.tool);
  equal('verdict', filter.verdict);
  if (filter.client !== undefined) {
    conditions.push("json_extract(payload, '$.client_id') = @client");
    params.client = filter.client;
  }
  if (filter.since !== undefined) {
    conditions.push('time >= @since');
    params.since = filter.since;
  }
  if (filter.until !== undefined) {
    conditions.push('time < @until');
    params.until = filter.until;
  }
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

function toColumns(row: AuditRow): Row {
  return {
    seq: row.seq, time: row.time, kind: row.kind, environment: row.environment, user_name: row.user, tool: row.tool,
    verdict: row.verdict, payload: row.payload, prev_hash: row.prevHash, hash: row.hash,
  };
}

function fromColumns(row: Row): AuditRow {
  return {
    seq: row.seq, time: row.time, kind: row.kind, environment: row.environment, user: row.user_name, tool: row.tool,
    verdict: row.verdict, payload: row.payload, prevHash: row.prev_hash, hash: row.hash,
  };
}
