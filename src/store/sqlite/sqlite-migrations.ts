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
