/**
 * The audit trail's store backends, for suites that run once per backend (AUDIT_BACKENDS). Each test gets an empty trail: SQLite a
 * new file, PostgreSQL this test file's database (created before its tests, dropped after them) emptied. `tamper`
 * changes the trail's tables as someone with write access would, outside sqlgate: on PostgreSQL as a superuser that
 * first switches the append-only triggers off for its session (session_replication_role = replica).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { afterEach, beforeEach } from 'vitest';
import type { StoreConfig } from '../../src/config/schema.js';
import type { AuditLogStore, AuditRow } from '../../src/store/audit-log-store.js';
import { openAuditLog } from '../../src/store/open-state-store.js';
import { closingAfterEach, postgresStoreDatabase } from './store-backends.js';
import { withPgClient } from '../support/test-databases.js';

export interface AuditBackend {
  /** For test names: "SQLite", "PostgreSQL". */
  readonly name: string;
  /** The trail's audit.url, for a configuration file. */
  readonly url: string;
  /** The trail's config, as config/load.ts builds it from `url`. */
  readonly config: StoreConfig;
  /** Where messages say the trail is: its file, or its URL (password masked). */
  readonly location: string;
  /** A new handle on this test's trail, as another process would open it; closed after the test. */
  open(): Promise<AuditLogStore>;
  /** Starts this test over with an empty trail (handles opened before may no longer see it). */
  empty(): Promise<void>;
  /** Runs one statement on the trail's tables, `?` for each parameter; returns the rows it selects. */
  tamper(sql: string, ...params: unknown[]): Promise<Record<string, unknown>[]>;
  /** Writes these records straight into the table, in one transaction (a long trail, faster than appending it). */
  insertDirectly(rows: readonly AuditRow[]): Promise<void>;
}


export function sqliteAuditBackend(): AuditBackend {
  const track = closingAfterEach<AuditLogStore>();
  let dir: string | undefined;
  let file = '';
  const empty = async () => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-audit-'));
    file = path.join(dir, 'audit.sqlite');
  };
  beforeEach(empty);
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const withDb = <T>(use: (db: Database.Database) => T): T => {
    const db = new Database(file);
    try {
      return use(db);
    } finally {
      db.close();
    }
  };
  return {
    name: 'SQLite',
    get url() {
      return `sqlite:${file}`;
    },
    get config(): StoreConfig {
      return { kind: 'sqlite', file };
    },
    get location() {
      return file;
    },
    open: async () => track(await openAuditLog({ kind: 'sqlite', file })),
    empty,
    tamper: async (sql, ...params) => withDb((db) => {
      const statement = db.prepare(sql);
      if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
      statement.run(...params);
      return [];
    }),
    insertDirectly: async (rows) => withDb((db) => {
      const statement = db.prepare(`INSERT INTO audit_records (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`);
      db.transaction(() => {
        for (const row of rows) statement.run(...columnsOf(row));
      })();
    }),
  };
}

export function postgresAuditBackend(): AuditBackend {
  const track = closingAfterEach<AuditLogStore>();
  const database = postgresStoreDatabase();
  // Past the triggers that refuse TRUNCATE and UPDATE (a superuser's session may switch them off).
  const asSuperuser = <T>(use: (client: pg.Client) => Promise<T>) => withPgClient(database.url, async (client) => {
    await client.query('SET session_replication_role = replica');
    return use(client);
  });
  const empty = async () => {
    await asSuperuser(async (c) => {
      const { rows } = await c.query("SELECT to_regclass('audit_records') IS NOT NULL AS exists");
      if (rows[0].exists) await c.query('TRUNCATE audit_records, audit_anchor');
    });
  };
  beforeEach(empty);
  return {
    name: 'PostgreSQL',
    get url() {
      return database.url;
    },
    get config() {
      return database.config;
    },
    get location() {
      return database.url;
    },
    open: async () => track(await openAuditLog(database.config)),
    empty,
    tamper: (sql, ...params) => asSuperuser(async (c) => (await c.query(positional(sql), params)).rows),
    // One statement: a row at a time, 12,000 round trips would make a slow test.
    insertDirectly: (rows) => asSuperuser(async (c) => {
      const types = ['bigint', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text'];
      const columns = COLUMNS.map((_, i) => rows.map((row) => columnsOf(row)[i]));
      await c.query(`INSERT INTO audit_records (${COLUMNS.join(', ')}) SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`, columns);
    }),
  };
}

const COLUMNS = ['seq', 'time', 'kind', 'environment', 'user_name', 'tool', 'verdict', 'payload', 'prev_hash', 'hash'];

function columnsOf(row: AuditRow): unknown[] {
  return [row.seq, row.time, row.kind, row.environment, row.user, row.tool, row.verdict, row.payload, row.prevHash, row.hash];
}

/** `?` → `$1`, `$2` … */
function positional(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * Both backends, for `describe.each(AUDIT_BACKENDS)('$name', ({ setUp }) => { const backend = setUp(); … })`: set up
 * inside the describe block, a backend's hooks are that block's (the PostgreSQL database is made for it alone).
 */
export const AUDIT_BACKENDS: readonly { readonly name: string; readonly setUp: () => AuditBackend }[] = [
  { name: 'SQLite', setUp: sqliteAuditBackend },
  { name: 'PostgreSQL', setUp: postgresAuditBackend },
];
