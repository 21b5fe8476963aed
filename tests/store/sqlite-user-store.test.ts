/**
 * The user store contract on the SQLite backend, plus what only a file has: migrations that are idempotent, a file
 * only its owner can read and that never holds a password, and refusals of files that are not ours.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { hashPassword, assertPasswordPolicy } from '../../src/auth/password-hash.js';
import { InvalidInputError, ConfigError } from '../../src/errors.js';
import { openStateStore } from '../../src/store/open-state-store.js';
import type { StateStore } from '../../src/store/state-store.js';
import { migrateSqliteStore, SQLITE_MIGRATIONS } from '../../src/store/sqlite/sqlite-migrations.js';
import { sqliteBackend } from './store-backends.js';
import { describeUserStoreContract } from './user-store-contract.js';

describeUserStoreContract(sqliteBackend());

const dirs: string[] = [];
const stores: StateStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-store-'));
  dirs.push(dir);
  return path.join(dir, 'state', 'sqlgate-state.sqlite');
}

async function open(file: string): Promise<StateStore> {
  const store = await openStateStore({ kind: 'sqlite', file });
  stores.push(store);
  return store;
}

const PASSWORD = 'correct horse battery';

describe('SQLite user store file', () => {
  it('never writes the password into the file', async () => {
    const file = tempFile();
    const { users } = await open(file);
    await users.add({ name: 'alice', passwordHash: await hashPassword(PASSWORD), roles: [] });
    expect(fs.readFileSync(file).includes(Buffer.from(PASSWORD))).toBe(false);
  });

  it('enforces the password policy without echoing the password', () => {
    expect(() => assertPasswordPolicy('short pass', 'alice')).toThrow(/at least 12 characters/);
    expect(() => assertPasswordPolicy('x'.repeat(1_025), 'alice')).toThrow(/too long/);
    expect(() => assertPasswordPolicy('Alice@Example.com', 'alice@example.com')).toThrow(/not be the user name/);
    expect(() => assertPasswordPolicy(PASSWORD, 'alice')).not.toThrow();
    try {
      assertPasswordPolicy('secret-pw', 'alice');
    } catch (err) {
      expect((err as InvalidInputError).publicText).not.toContain('secret-pw');
    }
  });

  it('records every migration once, and migrating again changes nothing', async () => {
    const file = tempFile();
    await (await open(file)).close();
    await (await open(file)).close();

    const db = new Database(file, { readonly: true });
    const versions = db.prepare('SELECT version FROM sqlgate_schema ORDER BY version').all();
    db.close();
    expect(versions).toEqual(SQLITE_MIGRATIONS.map((m) => ({ version: m.version })));
  });

  it('brings a store of version 3 up to date: its users keep their roles and have no named roles', async () => {
    const file = tempFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    migrateSqliteStore(db, file, SQLITE_MIGRATIONS.filter((m) => m.version <= 3));
    db.exec("INSERT INTO users VALUES ('alice', 'h', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'); INSERT INTO user_roles VALUES ('alice', 'demo', 1)");
    db.close();
    const store = await open(file);
    expect(await store.users.get('alice')).toMatchObject({ roles: [{ environment: 'demo', canWrite: true }], namedRoles: [] });
    await store.users.setRoles('alice', [], ['analyst']);
    expect((await store.users.get('alice'))!.namedRoles).toEqual(['analyst']);
  });

  it('creates the file (and its WAL) readable by its owner only, and tightens an existing file', async () => {
    const file = tempFile();
    const store = await open(file);
    await store.users.add({ name: 'alice', passwordHash: await hashPassword(PASSWORD), roles: [] });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    if (fs.existsSync(`${file}-wal`)) expect(fs.statSync(`${file}-wal`).mode & 0o777).toBe(0o600);
    await store.close();

    fs.chmodSync(file, 0o644);
    await open(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a file that is not a state store, and one written by a newer sqlgate', async () => {
    const garbage = tempFile();
    fs.mkdirSync(path.dirname(garbage), { recursive: true });
    fs.writeFileSync(garbage, 'this is not a database, just some text that is long enough to have a header');
    await expect(open(garbage)).rejects.toThrow(ConfigError);

    const newer = tempFile();
    await (await open(newer)).close();
    const db = new Database(newer);
    db.prepare("INSERT INTO sqlgate_schema VALUES (999, 'from the future', '2099-01-01')").run();
    db.close();
    await expect(open(newer)).rejects.toThrow(/schema version 999, newer than this sqlgate knows/);
  });

  it('refuses a folder it cannot create', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-store-'));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'file'), '');
    await expect(open(path.join(dir, 'file', 'state.sqlite'))).rejects.toThrow(/Cannot open the state store .* \((EEXIST|ENOTDIR)\)/);
  });
});
