/**
 * How sqlgate's PostgreSQL schemas are brought up to date (migratePostgresSchema), and the state store's schema, as
 * an append-only list of migrations with the same versions as the SQLite store's (sqlite-migrations.ts): version N
 * adds the same tables in both. `sqlgate_schema` records each applied version (the audit trail has its own table,
 * postgres-audit-migrations.ts), so opening a store brings it up to date and opening it again changes nothing.
 * Never edit a shipped one.
 *
 * Text columns that hold names and keys are COLLATE "C": comparisons and ORDER BY are by code point, as in SQLite,
 * whatever the database's locale, and lower() folds ASCII only, as SQLite's NOCASE does.
 */
import type pg from 'pg';
import { ConfigError } from '../../errors.js';

export interface PostgresMigration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    description: 'local users and their roles',
    // The name is stored as given; the unique index on lower(name) makes "Alice" and "alice" one user.
    sql: `
      CREATE TABLE users (
        name                text COLLATE "C" PRIMARY KEY,
        password_hash       text NOT NULL,
        created_at          timestamptz NOT NULL,
        password_changed_at timestamptz NOT NULL
      );
      CREATE UNIQUE INDEX users_name_lower ON users (lower(name));
      CREATE TABLE user_roles (
        user_name   text COLLATE "C" NOT NULL REFERENCES users (name) ON DELETE CASCADE ON UPDATE CASCADE,
        environment text COLLATE "C" NOT NULL,
        can_write   boolean NOT NULL,
        PRIMARY KEY (user_name, environment)
      );
    `,
  },
  {
    version: 2,
    description: 'OAuth records (clients, grants, codes, token hashes, sessions) and server secrets (signing keys)',
    // One table for every oidc-provider model, keyed by (model, SHA-256 of the id): a leaked dump yields no usable
    // token. payload is opaque JSON text, as in SQLite (jsonb would refuse \u0000 and reorder keys). Times are
    // epoch seconds from the sqlgate instance, as the caller passes them.
    sql: `
      CREATE TABLE oauth_records (
        model        text COLLATE "C" NOT NULL,
        id_hash      text COLLATE "C" NOT NULL,
        payload      text NOT NULL,
        grant_id     text COLLATE "C",
        uid          text COLLATE "C",
        user_code    text COLLATE "C",
        account_id   text COLLATE "C",
        client_id    text COLLATE "C",
        expires_at   bigint,
        consumed_at  bigint,
        created_at   bigint NOT NULL,
        last_used_at bigint NOT NULL,
        PRIMARY KEY (model, id_hash)
      );
      CREATE INDEX oauth_records_grant ON oauth_records (grant_id) WHERE grant_id IS NOT NULL;
      CREATE INDEX oauth_records_uid ON oauth_records (model, uid) WHERE uid IS NOT NULL;
      CREATE INDEX oauth_records_account ON oauth_records (lower(account_id));
      CREATE INDEX oauth_records_client ON oauth_records (client_id) WHERE client_id IS NOT NULL;
      CREATE INDEX oauth_records_expiry ON oauth_records (expires_at) WHERE expires_at IS NOT NULL;
      CREATE TABLE server_secrets (
        name       text COLLATE "C" PRIMARY KEY,
        value      text NOT NULL,
        created_at timestamptz NOT NULL
      );
    `,
  },
  {
    version: 3,
    description: 'personal access tokens',
    sql: `
      CREATE TABLE personal_access_tokens (
        id           text COLLATE "C" PRIMARY KEY,
        token_hash   text COLLATE "C" NOT NULL UNIQUE,
        user_name    text COLLATE "C" NOT NULL REFERENCES users (name) ON DELETE CASCADE ON UPDATE CASCADE,
        environment  text COLLATE "C" NOT NULL,
        can_write    boolean NOT NULL,
        description  text,
        created_at   timestamptz NOT NULL,
        expires_at   timestamptz,
        last_used_at timestamptz,
        revoked_at   timestamptz
      );
      CREATE INDEX personal_access_tokens_user ON personal_access_tokens (user_name);
    `,
  },
  {
    version: 4,
    description: 'named roles of users',
    sql: `
      CREATE TABLE user_named_roles (
        user_name text COLLATE "C" NOT NULL REFERENCES users (name) ON DELETE CASCADE ON UPDATE CASCADE,
        role      text COLLATE "C" NOT NULL,
        PRIMARY KEY (user_name, role)
      );
    `,
  },
];

/**
 * One schema sqlgate keeps in a database: its migrations, the table that records which were applied, and what
 * messages call the store. The state store and the audit trail each have their own, so they may share a database.
 */
export interface PostgresSchema {
  readonly migrations: readonly PostgresMigration[];
  readonly versionTable: string;
  /** "state store", "audit trail". */
  readonly name: string;
}

/** Key of the advisory lock that serializes migrations across instances ("sqlgate" in ASCII). */
const MIGRATION_LOCK = '32494332726572133';

/** Brings the state store up to date; see migratePostgresSchema. */
export async function migratePostgresStore(
  client: pg.ClientBase,
  location: string,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<number> {
  return migratePostgresSchema(client, location, { migrations, versionTable: 'sqlgate_schema', name: 'state store' });
}

/**
 * Applies every migration newer than the schema's version, all in one transaction (PostgreSQL's DDL is
 * transactional, so a failed migration leaves nothing half-made). Returns the version.
 *
 * pg_advisory_xact_lock makes a second instance starting at the same moment wait for the first to commit, then
 * read the new version and apply nothing; the lock goes with the transaction, whatever happens to it.
 */
export async function migratePostgresSchema(client: pg.ClientBase, location: string, schema: PostgresSchema): Promise<number> {
  const { migrations, versionTable, name } = schema;
  const latest = migrations.at(-1)?.version ?? 0;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK]);
    // Checked before creating: CREATE … IF NOT EXISTS needs CREATE on the schema even when the table exists, and
    // a store migrated once by its owner may then be used by a login without that privilege.
    const { rows } = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [versionTable]);
    if (!rows[0]!.exists) {
      await client.query(`CREATE TABLE ${versionTable} (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL)`);
    }
    const found = await currentVersion(client, versionTable);
    if (found > latest) {
      throw new ConfigError(`The ${name} ${location} has schema version ${found}, newer than this sqlgate knows (${latest}).`, {
        hint: 'Run the sqlgate version that last wrote it, or a newer one.',
      });
    }
    for (const migration of migrations) {
      if (migration.version <= found) continue;
      await client.query(migration.sql);
      await client.query(`INSERT INTO ${versionTable} (version, description, applied_at) VALUES ($1, $2, $3)`, [
        migration.version,
        migration.description,
        new Date(),
      ]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return currentVersion(client, versionTable);
}

async function currentVersion(client: pg.ClientBase, versionTable: string): Promise<number> {
  const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${versionTable}`);
  return rows[0]!.version ?? 0;
}
