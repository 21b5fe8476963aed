/**
 * The state store backends the contract suites run on. A backend hands out empty stores and second handles on the
 * same state (another sqlgate process, in production), and closes everything it opened after each test.
 *
 * SQLite: a new file per store. PostgreSQL: one fresh database per test file (tests/support/test-databases.ts),
 * emptied before each store is handed out, dropped after the file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { StoreConfig } from '../../src/config/schema.js';
import { openStateStore } from '../../src/store/open-state-store.js';
import type { StateStore } from '../../src/store/state-store.js';
import { createTestDatabase, withPgClient, type TestDatabase } from '../support/test-databases.js';

export interface StoreBackend {
  /** For test names: "SQLite", "PostgreSQL". */
  readonly name: string;
  /** A new store with no users, tokens, records or secrets. */
  open(): Promise<StateStore>;
  /** Another handle on the state of `store`, as a second process would open it. */
  reopen(store: StateStore): Promise<StateStore>;
}

/** Closes every store a backend opened (state or audit), after each test of the file. */
export function closingAfterEach<T extends { close(): Promise<void> }>(): (store: T) => T {
  const opened: T[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close().catch(() => undefined);
  });
  return (store) => {
    opened.push(store);
    return store;
  };
}

/** SQLite: each store is a new file in a temp folder, removed after the test. */
export function sqliteBackend(): StoreBackend {
  const track = closingAfterEach<StateStore>();
  const files = new Map<StateStore, string>();
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    name: 'SQLite',
    open: async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-store-'));
      dirs.push(dir);
      const file = path.join(dir, 'state.sqlite');
      const store = track(await openStateStore({ kind: 'sqlite', file }));
      files.set(store, file);
      return store;
    },
    reopen: async (store) => {
      const file = files.get(store)!;
      const again = track(await openStateStore({ kind: 'sqlite', file }));
      files.set(again, file);
      return again;
    },
  };
}

export interface PostgresStoreDatabase {
  /** The database's URL, for a config file's store.url. */
  readonly url: string;
  /** StoreConfig for it, as config/load.ts builds it. */
  readonly config: StoreConfig;
}

/** A fresh PostgreSQL database for this test file, created before its tests and dropped after them. */
export function postgresStoreDatabase(): PostgresStoreDatabase {
  let database: TestDatabase | undefined;
  let config: StoreConfig | undefined;
  beforeAll(async () => {
    database = await createTestDatabase('postgres', []);
    config = storeConfigFor(database.url);
  });
  afterAll(async () => {
    await database?.drop();
  });
  return {
    get url() {
      return database!.url;
    },
    get config() {
      return config!;
    },
  };
}

/** store.url → StoreConfig through the real configuration loader. */
export function storeConfigFor(url: string): StoreConfig {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-config-'));
  try {
    const file = path.join(dir, 'sqlgate.yaml');
    fs.writeFileSync(file, `store:\n  url: ${JSON.stringify(url)}\nenvironments:\n  demo:\n    database: sqlite:./demo.sqlite\n`);
    return loadConfig({ configPath: file, env: {}, cwd: dir }).store;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** PostgreSQL: every store is on this file's database, emptied when a new store is opened. */
export function postgresBackend(database = postgresStoreDatabase()): StoreBackend & { readonly database: PostgresStoreDatabase } {
  const track = closingAfterEach<StateStore>();
  return {
    name: 'PostgreSQL',
    database,
    open: async () => {
      const store = track(await openStateStore(database.config));
      await withPgClient(database.url, (c) => c.query('TRUNCATE users, user_roles, user_named_roles, personal_access_tokens, oauth_records, server_secrets'));
      return store;
    },
    reopen: async () => track(await openStateStore(database.config)),
  };
}
