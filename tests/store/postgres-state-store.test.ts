/**
 * Opening the PostgreSQL state store: store.url in the configuration, migrations that run once (even when two
 * instances start together on a fresh database), a newer schema refused, and failures to connect that say what
 * is wrong without the password.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { StoreConfig } from '../../src/config/schema.js';
import { ConfigError, UnavailableError } from '../../src/errors.js';
import { openStateStore } from '../../src/store/open-state-store.js';
import { migratePostgresStore, POSTGRES_MIGRATIONS } from '../../src/store/postgres/postgres-migrations.js';
import type { StateStore } from '../../src/store/state-store.js';
import { createTestDatabase, PG_ADMIN_URL, withPgClient, type TestDatabase } from '../support/test-databases.js';
import { storeConfigFor } from './store-backends.js';

const databases: TestDatabase[] = [];
const stores: StateStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close().catch(() => undefined);
  for (const database of databases.splice(0)) await database.drop();
});

async function freshDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase('postgres', []);
  databases.push(database);
  return database;
}

async function open(config: StoreConfig): Promise<StateStore> {
  const store = await openStateStore(config);
  stores.push(store);
  return store;
}

/** Tables, columns, indexes and applied versions: what a migration could change. */
async function schemaOf(url: string): Promise<unknown> {
  return withPgClient(url, async (c) => ({
    columns: (await c.query(`SELECT table_name, column_name, data_type, collation_name, is_nullable FROM information_schema.columns
                              WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`)).rows,
    indexes: (await c.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`)).rows,
    versions: (await c.query('SELECT version, description, applied_at FROM sqlgate_schema ORDER BY version')).rows,
  }));
}

function withUrl(url: string, change: (parsed: URL) => void): string {
  const parsed = new URL(url);
  change(parsed);
  return parsed.toString();
}

describe('PostgreSQL state store configuration', () => {
  it('accepts postgres:// and postgresql:// store URLs, and masks the password', () => {
    const config = storeConfigFor('postgresql://sqlgate:s3cret@db.internal:6543/state?sslmode=verify-full');
    expect(config).toEqual({
      kind: 'postgres',
      target: {
        dialect: 'postgres', flavor: 'postgres', host: 'db.internal', port: 6543, user: 'sqlgate', password: 's3cret',
        database: 'state', params: { sslmode: 'verify-full' },
      },
      maskedUrl: 'postgresql://sqlgate:****@db.internal:6543/state?sslmode=verify-full',
    });
    expect(storeConfigFor('postgres://sqlgate@db/state')).toMatchObject({ kind: 'postgres', target: { port: 5432 } });
  });

  it('refuses other schemes, parameters it does not read and unknown sslmodes, naming store.url without the password', () => {
    const refusal = (url: string) => {
      try {
        storeConfigFor(url);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as Error).message).not.toContain('s3cret');
        return (err as Error).message;
      }
      throw new Error(`${url} was accepted`);
    };
    expect(refusal('mysql://u:s3cret@db/state')).toMatch(/store\.url: must be a sqlite: or postgres:\/\/ URL/);
    expect(refusal('postgres://u:s3cret@db/state?sslrootcert=/ca.pem')).toBe(
      'store.url ("postgres://u:****@db/state?sslrootcert=/ca.pem") has the parameter "sslrootcert", which the state store does not read (only sslmode).',
    );
    expect(refusal('postgres://u:s3cret@db/state?sslmode=always')).toMatch(/has sslmode "always", which is not one of disable, allow, prefer/);
    expect(refusal('postgres://u:s3cret@db/')).toMatch(/^store\.url \("postgres:\/\/u:\*\*\*\*@db\/"\) names no database/);
  });
});

describe('PostgreSQL state store migrations', () => {
  it('migrates a fresh database, and a second open changes nothing', async () => {
    const database = await freshDatabase();
    const config = storeConfigFor(database.url);
    const first = await open(config);
    expect(first.location).toBe(database.url);
    await first.users.add({ name: 'alice', passwordHash: 'h', roles: [] });
    await first.close();
    const before = await schemaOf(database.url);
    expect((before as { versions: { version: number }[] }).versions.map((v) => v.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));

    const second = await open(config);
    expect(await schemaOf(database.url)).toEqual(before);
    expect((await second.users.list()).map((u) => u.name)).toEqual(['alice']);
  });

  it('brings a store of version 3 up to date: its users keep their roles and have no named roles', async () => {
    const database = await freshDatabase();
    await withPgClient(database.url, (c) => migratePostgresStore(c, database.url, POSTGRES_MIGRATIONS.filter((m) => m.version <= 3)));
    await withPgClient(database.url, (c) => c.query(`INSERT INTO users VALUES ('alice', 'h', now(), now());
                                                     INSERT INTO user_roles VALUES ('alice', 'demo', true)`));
    const store = await open(storeConfigFor(database.url));
    expect(await store.users.get('alice')).toMatchObject({ roles: [{ environment: 'demo', canWrite: true }], namedRoles: [] });
    await store.users.setRoles('alice', [], ['analyst']);
    expect((await store.users.get('alice'))!.namedRoles).toEqual(['analyst']);
  });

  it('lets two instances start together on a fresh database: both open, the migrations run once', async () => {
    const database = await freshDatabase();
    const config = storeConfigFor(database.url);
    const opened = await Promise.all([open(config), open(config), open(config)]);
    const versions = await withPgClient(database.url, async (c) => (await c.query('SELECT version FROM sqlgate_schema ORDER BY version')).rows);
    expect(versions).toEqual(POSTGRES_MIGRATIONS.map((m) => ({ version: m.version })));
    await opened[0]!.users.add({ name: 'alice', passwordHash: 'h', roles: [] });
    expect((await opened[2]!.users.get('ALICE'))?.name).toBe('alice');
  });

  it('refuses a database written by a newer sqlgate, and leaves it as it was', async () => {
    const database = await freshDatabase();
    const config = storeConfigFor(database.url);
    await (await open(config)).close();
    await withPgClient(database.url, (c) => c.query("INSERT INTO sqlgate_schema VALUES (999, 'from the future', now())"));
    const refused = openStateStore(config);
    await expect(refused).rejects.toBeInstanceOf(ConfigError);
    await expect(refused).rejects.toThrow(`The state store ${database.url} has schema version 999, newer than this sqlgate knows (${POSTGRES_MIGRATIONS.length}).`);
  });

  it('opens a migrated store with a login that may not create tables, and tells one that must create them what to grant', async () => {
    const database = await freshDatabase();
    const role = `${database.name}_app`;
    await withPgClient(PG_ADMIN_URL, (c) => c.query(`CREATE ROLE ${role} LOGIN`));
    try {
      await withPgClient(database.url, (c) => c.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO ${role}`));
      const appUrl = withUrl(database.url, (u) => (u.username = role));
      const refused = openStateStore(storeConfigFor(appUrl));
      await expect(refused).rejects.toBeInstanceOf(ConfigError);
      await expect(refused).rejects.toThrow(/cannot create its tables: permission denied \(42501\)/);
      await expect(refused).rejects.toMatchObject({ hint: expect.stringContaining(`GRANT CREATE ON SCHEMA public TO "${role}"`) });

      await (await open(storeConfigFor(database.url))).close(); // migrated by the owner
      await withPgClient(database.url, (c) => c.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`));
      const store = await open(storeConfigFor(appUrl));
      await store.users.add({ name: 'alice', passwordHash: 'h', roles: [] });
      expect(await store.users.list()).toHaveLength(1);
      await store.close();
    } finally {
      await withPgClient(database.url, (c) => c.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${role}; REVOKE ALL ON SCHEMA public FROM ${role}`));
      await withPgClient(PG_ADMIN_URL, (c) => c.query(`DROP ROLE IF EXISTS ${role}`)).catch(() => undefined);
    }
  });
});

describe('PostgreSQL state store connection failures', () => {
  it('names the masked URL and the cause when nothing listens, without the password or a stack', async () => {
    const config = storeConfigFor('postgres://sqlgate:s3cret@127.0.0.1:1/state');
    const error = await openStateStore(config).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).message).toBe('Cannot connect to the state store postgres://sqlgate:****@127.0.0.1:1/state (ECONNREFUSED).');
    expect((error as UnavailableError).hint).toContain('127.0.0.1:1');
    expect((error as UnavailableError).publicText).not.toContain('s3cret');
  });

  it('says so when the database does not exist, or the server refuses the login', async () => {
    const missing = storeConfigFor(withUrl(PG_ADMIN_URL, (u) => (u.pathname = '/sqlgate_no_such_database')));
    await expect(openStateStore(missing)).rejects.toThrow(/^The database of the state store .* does not exist \(3D000\)\.$/);
    await expect(openStateStore(missing)).rejects.toBeInstanceOf(ConfigError);
    const nobody = storeConfigFor(withUrl(PG_ADMIN_URL, (u) => (u.username = 'sqlgate_no_such_role')));
    await expect(openStateStore(nobody)).rejects.toThrow(/^PostgreSQL refused the login of the state store .* \(28000\)\.$/);
  });

  it('refuses plaintext when sslmode requires TLS, and falls back to it when sslmode prefers TLS', async () => {
    const database = await freshDatabase();
    const hasTls = await withPgClient(database.url, async (c) => (await c.query("SELECT current_setting('ssl') AS ssl")).rows[0].ssl === 'on');
    const required = storeConfigFor(withUrl(database.url, (u) => u.searchParams.set('sslmode', 'require')));
    const preferred = storeConfigFor(withUrl(database.url, (u) => u.searchParams.set('sslmode', 'prefer')));
    if (hasTls) {
      await (await open(required)).close();
    } else {
      await expect(openStateStore(required)).rejects.toThrow(/does not offer TLS, but its sslmode requires it/);
    }
    const store = await open(preferred);
    expect(await store.users.list()).toEqual([]);
  });

  it('survives connections killed in the middle of transactions: each call fails as unavailable or succeeds, nothing crashes', async () => {
    // A lent connection that dies between two statements emits 'error'; unheard, that would end the process (and
    // vitest would report an unhandled error here).
    const database = await freshDatabase();
    const store = await open(storeConfigFor(database.url));
    await store.users.add({ name: 'alice', passwordHash: 'h', roles: [] });
    for (let round = 0; round < 5; round++) {
      const calls = Promise.allSettled(Array.from({ length: 40 }, (_, i) => store.users.setRoles('alice', [{ environment: `env${i}`, canWrite: true }])));
      await withPgClient(PG_ADMIN_URL, (c) => c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database.name]));
      for (const result of await calls) {
        if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(UnavailableError);
      }
    }
    expect((await store.users.get('alice'))!.roles).toHaveLength(1);
  });

  it('reports a server that went away as unavailable, without the URL in the message', async () => {
    const database = await freshDatabase();
    const store = await open(storeConfigFor(database.url));
    await store.users.add({ name: 'alice', passwordHash: 'h', roles: [] });
    await withPgClient(PG_ADMIN_URL, (c) => c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database.name]));
    await withPgClient(PG_ADMIN_URL, (c) => c.query(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS false`));
    try {
      const error = await store.users.list().catch((err: unknown) => err);
      expect(error).toBeInstanceOf(UnavailableError);
      expect((error as UnavailableError).message).toMatch(/^sqlgate's state store cannot be reached \(/);
      expect((error as UnavailableError).message).not.toContain('127.0.0.1');
      expect((error as UnavailableError).detail).toContain(database.name);
    } finally {
      await withPgClient(PG_ADMIN_URL, (c) => c.query(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS true`));
    }
    // The pool drops the dead connections and recovers once the database is back.
    expect((await store.users.list()).map((u) => u.name)).toEqual(['alice']);
  });
});
