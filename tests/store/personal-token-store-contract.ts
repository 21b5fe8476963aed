/**
 * The PersonalTokenStore contract (src/store/personal-token-store.ts), registered once per backend: add, find by
 * hash, list, revoke, touch, and the user's removal taking its tokens along.
 */
import { describe, expect, it } from 'vitest';
import { generatePersonalToken } from '../../src/auth/personal-token.js';
import { InvalidInputError, NotFoundError } from '../../src/errors.js';
import type { NewPersonalToken } from '../../src/store/personal-token-store.js';
import type { StateStore } from '../../src/store/state-store.js';
import type { StoreBackend } from './store-backends.js';

/** Users with a placeholder hash: the token store does not look at passwords. */
export async function withUsers(store: StateStore, ...names: string[]): Promise<void> {
  for (const name of names) await store.users.add({ name, passwordHash: 'not-a-real-hash', roles: [{ environment: '*', canWrite: true }] });
}

export function newToken(userName: string, extra: Partial<NewPersonalToken> = {}): NewPersonalToken & { token: string } {
  const { token, id, tokenHash } = generatePersonalToken();
  return { token, id, tokenHash, userName, environment: 'demo', canWrite: false, ...extra };
}

export function describePersonalTokenStoreContract(backend: StoreBackend): void {
  describe(`${backend.name} personal token store`, () => {
    it('adds a token and finds it by hash, with every field as given', async () => {
      const store = await backend.open();
      await withUsers(store, 'alice');
      const expiresAt = new Date('2031-02-03T04:05:06.789Z');
      const token = newToken('ALICE', { environment: 'analytics', canWrite: true, description: 'nightly report', expiresAt });
      const before = Date.now();
      const added = await store.personalTokens.add(token);
      expect(added).toEqual({
        id: token.id, userName: 'alice', environment: 'analytics', canWrite: true, description: 'nightly report',
        createdAt: expect.any(Date), expiresAt,
      });
      expect(added.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1);
      expect(added).not.toHaveProperty('tokenHash', expect.anything());
      expect(await store.personalTokens.findByHash(token.tokenHash)).toEqual(added);
      expect(await store.personalTokens.findByHash(generatePersonalToken().tokenHash)).toBeUndefined();

      const plain = await store.personalTokens.add(newToken('alice'));
      expect(plain.canWrite).toBe(false);
      expect(plain.expiresAt).toBeUndefined();
      expect(plain.description).toBeUndefined();
      expect(plain.lastUsedAt).toBeUndefined();
      expect(plain.revokedAt).toBeUndefined();
    });

    it('refuses a token for an unknown user, without an environment, and a repeated id or hash', async () => {
      const store = await backend.open();
      await withUsers(store, 'alice');
      await expect(store.personalTokens.add(newToken('nobody'))).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.personalTokens.add(newToken('nobody'))).rejects.toThrow('There is no user named "nobody".');
      await expect(store.personalTokens.add(newToken('alice', { environment: '' }))).rejects.toBeInstanceOf(InvalidInputError);
      const first = newToken('alice');
      await store.personalTokens.add(first);
      await expect(store.personalTokens.add({ ...newToken('alice'), id: first.id })).rejects.toBeInstanceOf(InvalidInputError);
      await expect(store.personalTokens.add({ ...newToken('alice'), tokenHash: first.tokenHash })).rejects.toBeInstanceOf(InvalidInputError);
      expect(await store.personalTokens.list()).toHaveLength(1);
    });

    it('lists by creation time then id, for everyone or one user (in any letter case)', async () => {
      const store = await backend.open();
      await withUsers(store, 'alice', 'Bob');
      const a1 = await store.personalTokens.add(newToken('alice'));
      await new Promise((r) => setTimeout(r, 5));
      const b1 = await store.personalTokens.add(newToken('bob'));
      await new Promise((r) => setTimeout(r, 5));
      const a2 = await store.personalTokens.add(newToken('alice', { environment: 'analytics' }));
      expect((await store.personalTokens.list()).map((t) => t.id)).toEqual([a1.id, b1.id, a2.id]);
      expect((await store.personalTokens.list('Alice')).map((t) => t.id)).toEqual([a1.id, a2.id]);
      expect((await store.personalTokens.list('BOB')).map((t) => t.id)).toEqual([b1.id]);
      expect(b1.userName).toBe('Bob');
      expect(await store.personalTokens.list('carol')).toEqual([]);
    });

    it('revokes (keeping the first revocation time), still finds a revoked token, and refuses an unknown id', async () => {
      const store = await backend.open();
      await withUsers(store, 'alice');
      const token = newToken('alice');
      await store.personalTokens.add(token);
      await store.personalTokens.revoke(token.id);
      const revoked = (await store.personalTokens.findByHash(token.tokenHash))!;
      expect(revoked.revokedAt).toBeInstanceOf(Date);
      await new Promise((r) => setTimeout(r, 5));
      await store.personalTokens.revoke(token.id);
      expect((await store.personalTokens.findByHash(token.tokenHash))!.revokedAt).toEqual(revoked.revokedAt);
      await expect(store.personalTokens.revoke('pat_000000000000')).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.personalTokens.revoke('pat_000000000000')).rejects.toMatchObject({ hint: expect.stringContaining('sqlgate tokens list') });
    });

    it('finds an expired token too (the caller says why it refuses)', async () => {
      const store = await backend.open();
      await withUsers(store, 'alice');
      const expiresAt = new Date(Date.now() - 60_000);
      const token = newToken('alice', { expiresAt });
      await store.personalTokens.add(token);
      expect((await store.personalTokens.findByHash(token.tokenHash))!.expiresAt).toEqual(expiresAt);
    });

    it('records the last use', async () => {
      const store = await backend.open();
      await withUsers(store, 'alice');
      const token = newToken('alice');
      await store.personalTokens.add(token);
      const at = new Date('2030-01-02T03:04:05.006Z');
      await store.personalTokens.touch(token.id, at);
      expect((await store.personalTokens.findByHash(token.tokenHash))!.lastUsedAt).toEqual(at);
      await expect(store.personalTokens.touch('pat_000000000000', at)).resolves.toBeUndefined();
    });

    it("removes a user's tokens with the user, and keeps everyone else's", async () => {
      const store = await backend.open();
      await withUsers(store, 'alice', 'bob');
      const alice = newToken('alice');
      await store.personalTokens.add(alice);
      const bob = await store.personalTokens.add(newToken('bob'));
      await store.users.remove('ALICE');
      expect(await store.personalTokens.findByHash(alice.tokenHash)).toBeUndefined();
      expect((await store.personalTokens.list()).map((t) => t.id)).toEqual([bob.id]);
      // A new user of the same name does not inherit the old tokens.
      await withUsers(store, 'alice');
      expect(await store.personalTokens.list('alice')).toEqual([]);
    });

    it('keeps tokens across a reopen', async () => {
      const first = await backend.open();
      await withUsers(first, 'alice');
      const token = newToken('alice', { description: 'ci job' });
      await first.personalTokens.add(token);
      await first.close();
      const second = await backend.reopen(first);
      expect((await second.personalTokens.findByHash(token.tokenHash))!.description).toBe('ci job');
    });
  });
}
