/**
 * The SQLite state store's schema, as an append-only list of migrations. `sqlgate_schema` records each applied
 * version, so opening a store brings it up to date and opening it again changes nothing. A later slice adds its
 * tables (oauth_clients, grants, tokens, signing_keys …) by appending a migration; never edit a shipped one.
 */
import type Database from 'better-sqlite3';
import { ConfigError } from '../../errors.js';

export interface SqliteMigration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'local users and their roles',
    // COLLATE NOCASE: "Alice" and "alice" are one user (user names are ASCII, which NOCASE folds).
    sql: `
      CREATE TABLE users (
        name                TEXT PRIMARY KEY COLLATE NOCASE,
        password_hash       TEXT NOT NULL,
        created_at          TEXT NOT NULL,
        password_changed_at TEXT NOT NULL
      ) STRICT;
      CREATE TABLE user_roles (
        user_name   TEXT NOT NULL COLLATE NOCASE REFERENCES users (name) ON DELETE CASCADE ON UPDATE CASCADE,
        environment TEXT NOT NULL,
        can_write   INTEGER NOT NULL CHECK (can_write IN (0, 1)),
        PRIMARY KEY (user_name, environment)
      ) STRICT;
    `,
  },
  {
    version: 2,
    description: 'OAuth records (clients, grants, codes, token hashes, sessions) and server secrets (signing keys)',
    // One table for every oidc-provider model, keyed by (model, SHA-256 of the id): a leaked file yields no usable
    // token. grant_id and account_id are not secrets; they let a revocation find every token of a grant or user.
    sql: `
      CREATE TABLE oauth_records (
        model        TEXT NOT NULL,
        id_hash      TEXT NOT NULL,
        payload      TEXT NOT NULL,
        grant_id     TEXT,
        uid          TEXT,
        user_code    TEXT,
        account_id   TEXT COLLATE NOCASE,
        client_id    TEXT,
        expires_at   INTEGER,
        consumed_at  INTEGER,
        created_at   INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        PRIMARY KEY (model, id_hash)
      ) STRICT;
      CREATE INDEX oauth_records_grant ON oauth_records (grant_id) WHERE grant_id IS NOT NULL;
      CREATE INDEX oauth_records_uid ON oauth_records (model, uid) WHERE uid IS NOT NULL;
      CREATE INDEX oauth_records_account ON oauth_records (account_id) WHERE account_id IS NOT NULL;
      CREATE INDEX oauth_records_client ON oauth_records (client_id) WHERE client_id IS NOT NULL;
      CREATE INDEX oauth_records_expiry ON oauth_records (expires_at) WHERE expires_at IS NOT NULL;
      CREATE TABLE server_secrets (
        name       TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 3,
    description: 'personal access tokens',
    sql: `
      CREATE TABLE personal_access_tokens (
        id           TEXT PRIMARY KEY,
        token_hash   TEXT NOT NULL UNIQUE,
        user_name    TEXT NOT NULL COLLATE NOCASE REFERENCES users (name) ON DELETE CASCADE ON UPDATE CASCADE,
        environment  TEXT NOT NULL,
        can_write    INTEGER NOT NULL CHECK (can_write IN (0, 1)),
        description  TEXT,
        created_at   TEXT NOT NULL,
        expires_at   TEXT,
        last_used_at TEXT,
        revoked_at   TEXT
      ) STRICT;
      CREATE INDEX personal_access_tokens_user ON personal_access_tokens (user_name);
    `,
  },
  {
    version: 4,
    description: 'named roles of users',
    // A role name is kept even when the configuration drops the role: it then gives nothing, and `users list`
    // says so, rather than vanishing without a trace.
    sql: `
      CREATE TABLE user_named_roles (
        user_name TEXT NOT NULL COLLATE NOCASE REFERENCES users (name) ON DELETE CASCADE ON UPDATE CASCADE,
        role      TEXT NOT NULL,
        PRIMARY KEY (user_name, role)
      ) STRICT;
    `,
  },
];

/** Applies every migration newer than the store's version, each in its own transaction. Returns the version. */
export function migrateSqliteStore(db: Database.Database, file: string, migrations = SQLITE_MIGRATIONS): number {
  db.exec('CREATE TABLE IF NOT EXISTS sqlgate_schema (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT');
  const latest = migrations.at(-1)?.version ?? 0;
  // IMMEDIATE takes the write lock before reading the version, so two processes opening a new store at once
  // cannot both apply migration 1.
  const step = db.transaction((migration: SqliteMigration) => {
    if (currentVersion(db) >= migration.version) return;
    db.exec(migration.sql);
    db.prepare('INSERT INTO sqlgate_schema (version, description, applied_at) VALUES (?, ?, ?)')
      .run(migration.version, migration.description, new Date().toISOString());
  });
  const found = currentVersion(db);
  if (found > latest) {
    throw new ConfigError(`The state store ${file} has schema version ${found}, newer than this sqlgate knows (${latest}).`, {
      hint: 'Run the sqlgate version that last wrote it, or a newer one.',
    });
  }
  for (const migration of migrations) if (migration.version > found) step.immediate(migration);
  return currentVersion(db);
}

function currentVersion(db: Database.Database): number {
  const row = db.prepare('SELECT max(version) AS version FROM sqlgate_schema').get() as { version: number | null };
  return row.version ?? 0;
}
