/**
 * The audit trail in its own SQLite file. Appends are synchronous (better-sqlite3, a few microseconds each, as in
 * sqlite-state-store.ts) inside BEGIN IMMEDIATE, which takes the write lock before reading the newest record: two
 * processes on one file (a server and a stdio client) append one after the other and never fork the chain. WAL
 * with synchronous=FULL: a record the caller was told is committed survives the process being killed, and the
 * machine losing power.
 */
import { ConfigError, SqlgateError, UnavailableError } from '../../errors.js';
import type { AuditFilter, AuditLogStore, AuditRow } from '../audit-log-store.js';
import { openOwnerOnlyDatabase } from './sqlite-state-store.js';

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
`;

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
    db.pragma('synchronous = FULL');
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
  const appendInTransaction = db.transaction((next: Parameters<AuditLogStore['append']>[0]): AuditRow => {
    const previous = newest.get();
    const row: AuditRow = { ...next(previous), seq: (previous?.seq ?? 0) + 1 };
    insert.run(toColumns(row));
    return row;
  });

  return {
    location: file,
    async append(next) {
      try {
        return appendInTransaction.immediate(next);
      } catch (err) {
        if (err instanceof SqlgateError) throw err;
        // Nothing may be answered without its record: the caller turns this into a failed call.
        throw new UnavailableError('The audit trail could not record this call, so its result is withheld.', {
          hint: 'Ask the operator to check the audit file (disk space, permissions).',
          detail: `${file}: ${(err as Error).message}`,
          cause: err,
        });
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
    close: async () => void db.close(),
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
