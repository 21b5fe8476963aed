/**
 * The OAuthRecordStore and SecretStore contracts (src/store/oauth-store.ts), registered once per backend: upsert
 * and find, expiry (never returned, then collected), consume, destroy, revocation by grant and by account, client
 * garbage collection, list filters, and secrets that two racing processes agree on.
 *
 * Time is the store's `Date.now()`: tests that need it to pass fake Date only, so the drivers' timers still run.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OAuthRecord } from '../../src/store/oauth-store.js';
import type { StoreBackend } from './store-backends.js';

const T0 = Date.parse('2030-06-01T12:00:00Z');
const epoch = (ms: number) => Math.floor(ms / 1000);

/** Sets the clock the stores read (Date only). */
function setClock(ms: number): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(ms);
}

function record(model: string, key: string, extra: Partial<OAuthRecord> = {}): OAuthRecord {
  return { model, key, payload: { kind: model, key }, ...extra };
}

export function describeOAuthStoreContract(backend: StoreBackend): void {
  afterEach(() => {
    vi.useRealTimers();
  });

  describe(`${backend.name} OAuth record store`, () => {
    it('upserts, finds by key, uid and user code, and replaces a record with the same model and key', async () => {
      const { oauth } = await backend.open();
      const full: OAuthRecord = {
        model: 'Session',
        key: 'k1',
        payload: { nested: { list: [1, 'two', null, true] }, text: 'ünïcödé "quoted" \\ back', empty: {} },
        grantId: 'g1',
        uid: 'u1',
        userCode: 'UC-1',
        accountId: 'alice',
        clientId: 'c1',
        expiresAt: epoch(Date.now()) + 3_600,
        consumedAt: epoch(Date.now()) - 5,
      };
      await oauth.upsert(full);
      expect(await oauth.find('Session', 'k1')).toEqual(full);
      expect(await oauth.findByUid('Session', 'u1')).toEqual(full);
      expect(await oauth.findByUserCode('Session', 'UC-1')).toEqual(full);
      // Model scopes every look-up.
      expect(await oauth.find('AccessToken', 'k1')).toBeUndefined();
      expect(await oauth.findByUid('Interaction', 'u1')).toBeUndefined();
      expect(await oauth.findByUserCode('DeviceCode', 'UC-1')).toBeUndefined();
      expect(await oauth.find('Session', 'k2')).toBeUndefined();

      const replaced = record('Session', 'k1', { payload: { v: 2 } });
      await oauth.upsert(replaced);
      expect(await oauth.find('Session', 'k1')).toEqual(replaced); // optional columns cleared, not kept
      expect(await oauth.findByUid('Session', 'u1')).toBeUndefined();
      expect(await oauth.list('Session')).toHaveLength(1);
    });

    it('never returns an expired record, from find, findByUid, findByUserCode or list', async () => {
      setClock(T0);
      const { oauth } = await backend.open();
      await oauth.upsert(record('AccessToken', 'short', { uid: 'u', userCode: 'c', expiresAt: epoch(T0) + 60 }));
      await oauth.upsert(record('AccessToken', 'forever'));
      expect(await oauth.find('AccessToken', 'short')).toBeDefined();
      expect((await oauth.list('AccessToken')).map((r) => r.key).sort()).toEqual(['forever', 'short']);

      setClock(T0 + 60_000); // expires_at is exclusive: at that second it is gone
      expect(await oauth.find('AccessToken', 'short')).toBeUndefined();
      expect(await oauth.findByUid('AccessToken', 'u')).toBeUndefined();
      expect(await oauth.findByUserCode('AccessToken', 'c')).toBeUndefined();
      expect((await oauth.list('AccessToken')).map((r) => r.key)).toEqual(['forever']);
      expect(await oauth.find('AccessToken', 'forever')).toBeDefined();
    });

    it('consumes (recording when) and destroys', async () => {
      setClock(T0);
      const { oauth } = await backend.open();
      await oauth.upsert(record('AuthorizationCode', 'code', { expiresAt: epoch(T0) + 600 }));
      setClock(T0 + 7_000);
      expect(await oauth.consume('AuthorizationCode', 'code')).toBe(true);
      expect((await oauth.find('AuthorizationCode', 'code'))!.consumedAt).toBe(epoch(T0) + 7);
      // Once only: a second consume (a replay) is told, and the first time stands.
      setClock(T0 + 9_000);
      expect(await oauth.consume('AuthorizationCode', 'code')).toBe(false);
      expect((await oauth.find('AuthorizationCode', 'code'))!.consumedAt).toBe(epoch(T0) + 7);
      expect(await oauth.consume('AuthorizationCode', 'missing')).toBe(false); // nothing to do, no error
      await oauth.destroy('AuthorizationCode', 'code');
      expect(await oauth.find('AuthorizationCode', 'code')).toBeUndefined();
      await oauth.destroy('AuthorizationCode', 'code');
    });

    it('revokes every record of a grant, the grant included, and nothing else', async () => {
      const { oauth } = await backend.open();
      await oauth.upsert(record('Grant', 'hash-g1', { grantId: 'g1', accountId: 'alice', clientId: 'c1' }));
      await oauth.upsert(record('AccessToken', 'a1', { grantId: 'g1', accountId: 'alice', clientId: 'c1' }));
      await oauth.upsert(record('RefreshToken', 'r1', { grantId: 'g1', accountId: 'alice', clientId: 'c1' }));
      await oauth.upsert(record('AccessToken', 'a2', { grantId: 'g2', accountId: 'alice', clientId: 'c1' }));
      expect(await oauth.revokeByGrantId('g1')).toBe(3);
      expect(await oauth.find('Grant', 'hash-g1')).toBeUndefined();
      expect(await oauth.find('RefreshToken', 'r1')).toBeUndefined();
      expect(await oauth.find('AccessToken', 'a2')).toBeDefined();
      expect(await oauth.revokeByGrantId('g1')).toBe(0);
    });

    it("revokes everything of an account (in any letter case), its grants' other records too, and keeps other users'", async () => {
      const { oauth } = await backend.open();
      await oauth.upsert(record('Session', 's1', { accountId: 'Alice' }));
      await oauth.upsert(record('Grant', 'hash-g1', { grantId: 'g1', accountId: 'alice', clientId: 'c1' }));
      await oauth.upsert(record('AccessToken', 'a1', { grantId: 'g1', accountId: 'alice', clientId: 'c1' }));
      // A record of the grant that does not name the account goes with the grant.
      await oauth.upsert(record('RefreshToken', 'r1', { grantId: 'g1', clientId: 'c1' }));
      await oauth.upsert(record('Grant', 'hash-g2', { grantId: 'g2', accountId: 'bob', clientId: 'c1' }));
      await oauth.upsert(record('AccessToken', 'a2', { grantId: 'g2', accountId: 'bob', clientId: 'c1' }));
      await oauth.upsert(record('Client', 'c1', { clientId: 'c1' }));
      expect(await oauth.revokeByAccount('ALICE')).toBe(4);
      expect(await oauth.list('Session')).toEqual([]);
      expect(await oauth.find('RefreshToken', 'r1')).toBeUndefined();
      expect((await oauth.list('AccessToken')).map((r) => r.key)).toEqual(['a2']);
      expect(await oauth.find('Grant', 'hash-g2')).toBeDefined();
      expect(await oauth.find('Client', 'c1')).toBeDefined();
      expect(await oauth.revokeByAccount('alice')).toBe(0);
    });

    it('collects expired records and unused clients, keeping clients in use or used recently', async () => {
      setClock(T0);
      const { oauth } = await backend.open();
      await oauth.upsert(record('Client', 'hash-busy', { clientId: 'busy' }));
      await oauth.upsert(record('Client', 'hash-idle', { clientId: 'idle' }));
      await oauth.upsert(record('Client', 'hash-touched', { clientId: 'touched' }));
      await oauth.upsert(record('Client', 'hash-expired-only', { clientId: 'expired-only' }));
      await oauth.upsert(record('Grant', 'hash-g1', { grantId: 'g1', accountId: 'alice', clientId: 'busy', expiresAt: epoch(T0) + 86_400 }));
      await oauth.upsert(record('AccessToken', 'old', { grantId: 'g2', clientId: 'expired-only', expiresAt: epoch(T0) + 60 }));

      setClock(T0 + 3_600_000);
      await oauth.touchClient('hash-touched');
      await oauth.touchClient('hash-unknown'); // no error
      const now = epoch(Date.now());
      // Clients unused since half an hour ago: idle and expired-only (its one record has expired); busy has a live grant.
      expect(await oauth.collectGarbage(now, now - 1_800)).toBe(3);
      expect((await oauth.list('Client')).map((r) => r.clientId).sort()).toEqual(['busy', 'touched']);
      expect(await oauth.find('Grant', 'hash-g1')).toBeDefined();
      expect(await oauth.collectGarbage(now, now - 1_800)).toBe(0);
    });

    it('lists the live records of a model, filtered by account (in any letter case) and client', async () => {
      setClock(T0);
      const { oauth } = await backend.open();
      await oauth.upsert(record('Grant', 'g-a1', { grantId: 'a1', accountId: 'alice', clientId: 'c1' }));
      setClock(T0 + 1_000);
      await oauth.upsert(record('Grant', 'g-a2', { grantId: 'a2', accountId: 'Alice', clientId: 'c2' }));
      await oauth.upsert(record('Grant', 'g-b1', { grantId: 'b1', accountId: 'bob', clientId: 'c1' }));
      await oauth.upsert(record('Grant', 'g-gone', { grantId: 'x', accountId: 'alice', clientId: 'c1', expiresAt: epoch(T0) }));
      await oauth.upsert(record('Session', 's-a', { accountId: 'alice' }));
      const keys = async (filter?: { accountId?: string; clientId?: string }) => (await oauth.list('Grant', filter)).map((r) => r.key);
      expect((await keys()).sort()).toEqual(['g-a1', 'g-a2', 'g-b1']);
      expect((await keys({ accountId: 'ALICE' })).sort()).toEqual(['g-a1', 'g-a2']);
      expect((await keys({ accountId: 'alice' }))[0]).toBe('g-a1'); // oldest first
      expect((await keys({ clientId: 'c1' })).sort()).toEqual(['g-a1', 'g-b1']);
      expect(await keys({ accountId: 'alice', clientId: 'c2' })).toEqual(['g-a2']);
      expect(await keys({ accountId: 'carol' })).toEqual([]);
      expect(await oauth.list('Nothing')).toEqual([]);
    });

    it('shares records with a second handle at once', async () => {
      const first = await backend.open();
      const second = await backend.reopen(first);
      await first.oauth.upsert(record('AccessToken', 'a1', { grantId: 'g1' }));
      expect(await second.oauth.find('AccessToken', 'a1')).toBeDefined();
      await second.oauth.revokeByGrantId('g1');
      expect(await first.oauth.find('AccessToken', 'a1')).toBeUndefined();
    });
  });

  describe(`${backend.name} secret store`, () => {
    it('gets, puts once, and sets', async () => {
      const { secrets } = await backend.open();
      expect(await secrets.get('oauth.signing_keys')).toBeUndefined();
      expect(await secrets.putIfAbsent('oauth.signing_keys', '["first"]')).toBe('["first"]');
      expect(await secrets.putIfAbsent('oauth.signing_keys', '["second"]')).toBe('["first"]');
      expect(await secrets.get('oauth.signing_keys')).toBe('["first"]');
      await secrets.set('oauth.signing_keys', '["rotated"]');
      expect(await secrets.get('oauth.signing_keys')).toBe('["rotated"]');
      await secrets.set('oauth.cookie_keys', '["new"]');
      expect(await secrets.get('oauth.cookie_keys')).toBe('["new"]');
      expect(await secrets.get('OAUTH.COOKIE_KEYS')).toBeUndefined(); // names are exact
    });

    it('gives two racing putIfAbsent calls, from two handles, the same value', async () => {
      const first = await backend.open();
      const second = await backend.reopen(first);
      for (let round = 0; round < 10; round++) {
        const name = `race.${round}`;
        const values = await Promise.all([
          first.secrets.putIfAbsent(name, `from-first-${round}`),
          second.secrets.putIfAbsent(name, `from-second-${round}`),
          first.secrets.putIfAbsent(name, `from-first-again-${round}`),
        ]);
        expect(new Set(values).size).toBe(1);
        expect(await second.secrets.get(name)).toBe(values[0]);
      }
    });
  });
}
