/**
 * The SQLite state store's users, on a real file: CRUD, case-insensitive names, hashes that verify, migrations
 * that are idempotent, a file only its owner can read, and state that survives reopening.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword, assertPasswordPolicy } from '../../src/auth/password-hash.js';
import { InvalidInputError, NotFoundError, ConfigError } from '../../src/errors.js';
import { openStateStore } from '../../src/store/open-state-store.js';
import type { StateStore } from '../../src/store/state-store.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/sqlite-migrations.js';

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

describe('SQLite user store', () => {
  it('adds, gets, lists, changes and removes users', async () => {
    const { users } = await open(tempFile());
    const passwordHash = await hashPassword(PASSWORD);
    const added = await users.add({ name: 'alice@example.com', passwordHash, roles: [{ environment: 'demo', canWrite: false }] });
    expect(added).toMatchObject({ name: 'alice@example.com', passwordHash, roles: [{ environment: 'demo', canWrite: false }] });
    expect(added.createdAt).toBeInstanceOf(Date);
    await users.add({ name: 'bob', passwordHash, roles: [{ environment: '*', canWrite: true }] });

    expect((await users.list()).map((u) => u.name)).toEqual(['alice@example.com', 'bob']);
    expect((await users.get('ALICE@example.com'))?.name).toBe('alice@example.com'); // lookups ignore case
    expect(await users.get('carol')).toBeUndefined();

    await users.setRoles('bob', [{ environment: 'analytics', canWrite: true }, { environment: 'demo', canWrite: false }]);
    expect((await users.get('bob'))!.roles).toEqual([
      { environment: 'analytics', canWrite: true },
      { environment: 'demo', canWrite: false },
    ]);

    const before = (await users.get('bob'))!;
    await new Promise((r) => setTimeout(r, 5));
    const newHash = await hashPassword('another long passphrase');
    await users.setPasswordHash('Bob', newHash);
    const after = (await users.get('bob'))!;
    expect(after.passwordHash).toBe(newHash);
    expect(after.passwordChangedAt.getTime()).toBeGreaterThan(before.passwordChangedAt.getTime());

    await users.remove('BOB');
    expect(await users.get('bob')).toBeUndefined();
    expect((await users.list()).map((u) => u.name)).toEqual(['alice@example.com']);
  });

  it('refuses a taken name (in any letter case), bad names, duplicate roles and unknown users', async () => {
    const { users } = await open(tempFile());
    const passwordHash = await hashPassword(PASSWORD);
    await users.add({ name: 'alice', passwordHash, roles: [] });
    await expect(users.add({ name: 'Alice', passwordHash, roles: [] })).rejects.toThrow(/already exists/);
    for (const name of ['', 'a'.repeat(65), 'has space', 'semi;colon', 'ünïcode', 'slash/']) {
      await expect(users.add({ name, passwordHash, roles: [] })).rejects.toBeInstanceOf(InvalidInputError);
    }
    await expect(users.add({ name: 'a'.repeat(64), passwordHash, roles: [] })).resolves.toBeDefined();
    await expect(users.add({ name: 'x', passwordHash, roles: [{ environment: 'demo', canWrite: true }, { environment: 'demo', canWrite: false }] }))
      .rejects.toThrow(/named twice/);
    expect(await users.get('x')).toBeUndefined(); // nothing half-written
    await expect(users.remove('nobody')).rejects.toBeInstanceOf(NotFoundError);
    await expect(users.setPasswordHash('nobody', passwordHash)).rejects.toBeInstanceOf(NotFoundError);
    await expect(users.setRoles('nobody', [])).rejects.toBeInstanceOf(NotFoundError);
  });

  it('stores an argon2id hash that verifies the right password only', async () => {
    const file = tempFile();
    const { users } = await open(file);
    await users.add({ name: 'alice', passwordHash: await hashPassword(PASSWORD), roles: [] });
    const stored = (await users.get('alice'))!;
    expect(stored.passwordHash).not.toBe(PASSWORD);
    expect(stored.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(stored.passwordHash, PASSWORD)).toBe(true);
    expect(await verifyPassword(stored.passwordHash, `${PASSWORD}!`)).toBe(false);
    expect(await verifyPassword('not a hash', PASSWORD)).toBe(false);
    expect(await hashPassword(PASSWORD)).not.toBe(stored.passwordHash); // a fresh salt each time
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

  it('keeps users across a reopen, and migrating again changes nothing', async () => {
    const file = tempFile();
    const first = await open(file);
    await first.users.add({ name: 'alice', passwordHash: await hashPassword(PASSWORD), roles: [{ environment: 'demo', canWrite: true }] });
    await first.close();

    const second = await open(file);
    expect((await second.users.get('alice'))!.roles).toEqual([{ environment: 'demo', canWrite: true }]);
    await second.close();

    const db = new Database(file, { readonly: true });
    const versions = db.prepare('SELECT version FROM sqlgate_schema ORDER BY version').all();
    db.close();
    expect(versions).toEqual(SQLITE_MIGRATIONS.map((m) => ({ version: m.version })));
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
