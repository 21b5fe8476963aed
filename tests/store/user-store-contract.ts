/**
 * The UserStore contract (src/store/user-store.ts), registered once per backend: CRUD, case-insensitive names,
 * refusals that leave nothing half-written, hashes that verify, and users that a second handle sees.
 */
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/auth/password-hash.js';
import { InvalidInputError, NotFoundError } from '../../src/errors.js';
import type { StoreBackend } from './store-backends.js';

const PASSWORD = 'correct horse battery';

export function describeUserStoreContract(backend: StoreBackend): void {
  describe(`${backend.name} user store`, () => {
    it('adds, gets, lists, changes and removes users', async () => {
      const { users } = await backend.open();
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
      await users.setRoles('BOB', []);
      expect((await users.get('bob'))!.roles).toEqual([]);

      const before = (await users.get('bob'))!;
      await new Promise((r) => setTimeout(r, 5));
      const newHash = await hashPassword('another long passphrase');
      await users.setPasswordHash('Bob', newHash);
      const after = (await users.get('bob'))!;
      expect(after.passwordHash).toBe(newHash);
      expect(after.passwordChangedAt.getTime()).toBeGreaterThan(before.passwordChangedAt.getTime());
      expect(after.createdAt).toEqual(before.createdAt);

      await users.remove('BOB');
      expect(await users.get('bob')).toBeUndefined();
      expect((await users.list()).map((u) => u.name)).toEqual(['alice@example.com']);
    });

    it('keeps the name as given and lists by name ignoring case, code point by code point', async () => {
      const { users } = await backend.open();
      for (const name of ['bob', 'Carol', 'alice', 'a_b', 'a-b', 'A.c', 'Zed']) await users.add({ name, passwordHash: 'h', roles: [] });
      // As SQLite's NOCASE orders: ASCII folded to lower case, then by code point ("-" < "." < "_").
      expect((await users.list()).map((u) => u.name)).toEqual(['a-b', 'A.c', 'a_b', 'alice', 'bob', 'Carol', 'Zed']);
      expect((await users.get('carol'))!.name).toBe('Carol');
    });

    it('lists roles ordered by environment, each user with its own', async () => {
      const { users } = await backend.open();
      await users.add({ name: 'alice', passwordHash: 'h', roles: [{ environment: 'sales', canWrite: false }, { environment: 'analytics', canWrite: true }] });
      await users.add({ name: 'Bob', passwordHash: 'h', roles: [{ environment: '*', canWrite: false }] });
      await users.add({ name: 'carol', passwordHash: 'h', roles: [] });
      expect((await users.list()).map((u) => [u.name, u.roles])).toEqual([
        ['alice', [{ environment: 'analytics', canWrite: true }, { environment: 'sales', canWrite: false }]],
        ['Bob', [{ environment: '*', canWrite: false }]],
        ['carol', []],
      ]);
    });

    it('refuses a taken name (in any letter case), bad names, duplicate roles and unknown users', async () => {
      const { users } = await backend.open();
      const passwordHash = await hashPassword(PASSWORD);
      await users.add({ name: 'alice', passwordHash, roles: [] });
      await expect(users.add({ name: 'Alice', passwordHash, roles: [] })).rejects.toThrow('A user named "alice" already exists.');
      await expect(users.add({ name: 'alice', passwordHash, roles: [] })).rejects.toBeInstanceOf(InvalidInputError);
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
      await expect(users.setRoles('alice', [{ environment: 'a', canWrite: true }, { environment: 'a', canWrite: true }])).rejects.toThrow(/named twice/);
    });

    it('lets exactly one of two racing adds of the same name (in other letter cases) win', async () => {
      const store = await backend.open();
      const other = await backend.reopen(store);
      const results = await Promise.allSettled([
        store.users.add({ name: 'dave', passwordHash: 'h1', roles: [{ environment: 'demo', canWrite: false }] }),
        other.users.add({ name: 'DAVE', passwordHash: 'h2', roles: [{ environment: 'demo', canWrite: true }] }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(InvalidInputError);
      expect(await store.users.list()).toHaveLength(1);
      expect((await store.users.get('dave'))!.roles).toHaveLength(1);
    });

    it('keeps named roles beside the roles, in name order, and replaces both with setRoles', async () => {
      const store = await backend.open();
      const { users } = store;
      const added = await users.add({ name: 'Bob', passwordHash: 'h', roles: [{ environment: 'demo', canWrite: true }], namedRoles: ['ops', 'analyst'] });
      expect(added).toMatchObject({ roles: [{ environment: 'demo', canWrite: true }], namedRoles: ['analyst', 'ops'] });
      await users.add({ name: 'carol', passwordHash: 'h', roles: [], namedRoles: ['analyst'] });
      await users.add({ name: 'dave', passwordHash: 'h', roles: [] }); // none given: none stored
      expect((await users.list()).map((u) => [u.name, u.namedRoles])).toEqual([['Bob', ['analyst', 'ops']], ['carol', ['analyst']], ['dave', []]]);

      // One call replaces both lists; leaving the named roles out clears them, as it does the roles.
      await users.setRoles('BOB', [], ['retired-role']);
      expect(await users.get('bob')).toMatchObject({ roles: [], namedRoles: ['retired-role'] });
      await users.setRoles('bob', [{ environment: '*', canWrite: false }]);
      expect(await users.get('bob')).toMatchObject({ roles: [{ environment: '*', canWrite: false }], namedRoles: [] });

      // A second handle sees them, and they go with the user.
      const other = await backend.reopen(store);
      expect((await other.users.get('CAROL'))!.namedRoles).toEqual(['analyst']);
      await users.remove('carol');
      await users.add({ name: 'carol', passwordHash: 'h', roles: [] });
      expect((await other.users.get('carol'))!.namedRoles).toEqual([]);
    });

    it('refuses a named role given twice or an empty one, and stores nothing of the refused call', async () => {
      const { users } = await backend.open();
      await expect(users.add({ name: 'erin', passwordHash: 'h', roles: [], namedRoles: ['analyst', 'analyst'] })).rejects.toThrow('Role "analyst" is named twice.');
      await expect(users.add({ name: 'erin', passwordHash: 'h', roles: [], namedRoles: [''] })).rejects.toBeInstanceOf(InvalidInputError);
      expect(await users.get('erin')).toBeUndefined();
      await users.add({ name: 'erin', passwordHash: 'h', roles: [{ environment: 'demo', canWrite: false }], namedRoles: ['analyst'] });
      await expect(users.setRoles('erin', [], ['ops', 'ops'])).rejects.toThrow(/named twice/);
      await expect(users.setRoles('nobody', [], ['ops'])).rejects.toBeInstanceOf(NotFoundError);
      expect(await users.get('erin')).toMatchObject({ roles: [{ environment: 'demo', canWrite: false }], namedRoles: ['analyst'] });
    });

    it('stores an argon2id hash that verifies the right password only', async () => {
      const { users } = await backend.open();
      await users.add({ name: 'alice', passwordHash: await hashPassword(PASSWORD), roles: [] });
      const stored = (await users.get('alice'))!;
      expect(stored.passwordHash).not.toBe(PASSWORD);
      expect(stored.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(await verifyPassword(stored.passwordHash, PASSWORD)).toBe(true);
      expect(await verifyPassword(stored.passwordHash, `${PASSWORD}!`)).toBe(false);
      expect(await hashPassword(PASSWORD)).not.toBe(stored.passwordHash); // a fresh salt each time
    });

    it('keeps users across a reopen, and a second handle sees changes at once', async () => {
      const first = await backend.open();
      await first.users.add({ name: 'alice', passwordHash: 'h', roles: [{ environment: 'demo', canWrite: true }] });
      const second = await backend.reopen(first);
      expect((await second.users.get('ALICE'))!.roles).toEqual([{ environment: 'demo', canWrite: true }]);
      await first.users.setRoles('alice', [{ environment: 'sales', canWrite: false }]);
      expect((await second.users.get('alice'))!.roles).toEqual([{ environment: 'sales', canWrite: false }]);
      await first.close();
      await second.users.remove('alice');
      expect(await second.users.list()).toEqual([]);
    });

    it('fails every call after close', async () => {
      const store = await backend.open();
      await store.close();
      await expect(store.users.list()).rejects.toThrow();
    });
  });
}
