/**
 * The state store in one SQLite file (the default). The file and its WAL/journal companions are readable by the
 * owner only (0600; SQLite gives the companions the main file's mode), because they hold password hashes.
 *
 * Why synchronous better-sqlite3 on the main thread, when STYLE.md sends SQLite work to a worker pool: that rule
 * guards against statements we do not control (a model's query can run for minutes). Here every statement is
 * ours, fixed, and touches a handful of rows by primary key in a small local file, so each call takes
 * microseconds; a worker round trip would cost more than the work. Argon2 hashing, the slow part, is async and
 * runs off the main thread in auth/password-hash.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError, SqlgateError, UnavailableError } from '../../errors.js';
import type { StateStore } from '../state-store.js';
import { migrateSqliteStore } from './sqlite-migrations.js';
import { SqliteOAuthRecordStore, SqliteSecretStore } from './sqlite-oauth-store.js';
import { SqlitePersonalTokenStore } from './sqlite-personal-token-store.js';
import { SqliteUserStore } from './sqlite-user-store.js';

const OWNER_ONLY = 0o600;

export function openSqliteStateStore(file: string): StateStore {
  const db = openOwnerOnlyDatabase(file, 'the state store', 'store.url');
  try {
    db.pragma('journal_mode = WAL'); // the CLI may add a user while the server reads
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    migrateSqliteStore(db, file);
  } catch (err) {
    db.close();
    if (err instanceof SqlgateError) throw err;
    throw new ConfigError(`The state store ${file} cannot be used (${(err as { code?: string }).code ?? 'unreadable'}).`, {
      hint: 'Is it a sqlgate state file? Restore it from a backup, or point store.url at a new file.',
      cause: err,
    });
  }
  // data_version changes when another connection (the CLI, a restore) commits; total_changes() counts the rows this
  // connection changed. Together they change whenever the file's content may have.
  const version = db.prepare<[], string>("SELECT data_version || ':' || total_changes() FROM pragma_data_version").pluck();
  return {
    version: () => version.get()!,
    users: new SqliteUserStore(db),
    personalTokens: new SqlitePersonalTokenStore(db),
    oauth: new SqliteOAuthRecordStore(db),
    secrets: new SqliteSecretStore(db),
    location: file,
    ping: async () => pingSqliteFile(db, file, 'The state store'),
    close: async () => void db.close(),
  };
}

/**
 * Reads the file's schema page: fails once the handle is closed, or the file cannot be read (a disk gone, a file
 * locked for longer than busy_timeout). `what` names the store in the error ("The audit trail").
 */
export function pingSqliteFile(db: Database.Database, file: string, what: string): void {
  try {
    db.prepare('SELECT 1 FROM sqlite_schema LIMIT 1').get();
  } catch (err) {
    throw new UnavailableError(`${what} cannot be read.`, { detail: `${file}: ${(err as Error).message}`, cause: err });
  }
}

/**
 * Opens (creating when missing) a SQLite file that only its owner may read: `what` and `key` name it in errors
 * ("the state store", "store.url").
 */
export function openOwnerOnlyDatabase(file: string, what: string, key: string): Database.Database {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // Create the file ourselves so that it never exists with the umask's wider mode, not even for a moment.
    fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_RDWR, OWNER_ONLY));
    if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, OWNER_ONLY);
    return new Database(file, { fileMustExist: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`Cannot open ${what} ${file} (${code}).`, {
      hint: `Check that its folder is writable by this user, or set ${key} in the configuration.`,
      cause: err,
    });
  }
}
