/**
 * The oidc-provider adapter's consume, on both store backends: a code or refresh token is consumed once; a request
 * that loses the race to consume it (oidc-provider checks `consumed` before it consumes, so two requests can both
 * pass that check, on one instance or two) is refused with invalid_grant and its whole grant revoked, as
 * oidc-provider does with a replay it sees itself. tests/e2e/two-instances.test.ts races real token requests.
 */
import { errors } from 'oidc-provider';
import { describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/hash-secret.js';
import { createStoreAdapter } from '../../src/auth/oidc-adapter.js';
import { postgresBackend, sqliteBackend } from '../store/store-backends.js';

for (const backend of [sqliteBackend(), postgresBackend()]) {
  describe(`the store adapter's consume on ${backend.name}`, () => {
    it('consumes a refresh token once; the request that loses the race gets invalid_grant and the grant is revoked', async () => {
      const store = await backend.open();
      const Adapter = createStoreAdapter(store.oauth);
      const grants = new Adapter('Grant');
      const refreshTokens = new Adapter('RefreshToken');
      const accessTokens = new Adapter('AccessToken');
      await grants.upsert('grant-1', { accountId: 'alice', clientId: 'client-1' }, 3_600);
      await refreshTokens.upsert('rt-1', { jti: 'rt-1', grantId: 'grant-1', accountId: 'alice', clientId: 'client-1' }, 3_600);
      await accessTokens.upsert('at-1', { jti: 'at-1', grantId: 'grant-1', accountId: 'alice', clientId: 'client-1' }, 3_600);

      // Both requests read it unconsumed, then both consume: exactly one may go on.
      expect((await refreshTokens.find('rt-1'))?.consumed).toBeUndefined();
      const outcomes = await Promise.allSettled([refreshTokens.consume('rt-1'), refreshTokens.consume('rt-1')]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.find((o) => o.status === 'rejected')!.reason as InstanceType<typeof errors.InvalidGrant>;
      expect(refused).toBeInstanceOf(errors.InvalidGrant);
      expect(refused).toMatchObject({ error: 'invalid_grant', status: 400, error_detail: 'refresh token already used, by a request racing this one' });

      // A replay: the grant and everything issued under it are gone.
      expect(await store.oauth.find('Grant', hashSecret('grant-1'))).toBeUndefined();
      expect(await accessTokens.find('at-1')).toBeUndefined();
      expect(await refreshTokens.find('rt-1')).toBeUndefined();
    });

    it('refuses a second consume of an authorization code that arrives after the first', async () => {
      const store = await backend.open();
      const codes = new (createStoreAdapter(store.oauth))('AuthorizationCode');
      await codes.upsert('code-1', { jti: 'code-1', grantId: 'grant-2' }, 60);
      await codes.consume('code-1');
      expect((await codes.find('code-1'))?.consumed).toBeGreaterThan(0);
      await expect(codes.consume('code-1')).rejects.toMatchObject({ error: 'invalid_grant', error_detail: 'authorization code already used, by a request racing this one' });
    });
  });
}
