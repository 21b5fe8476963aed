/**
 * The authorization server's events in the audit trail, from a real OAuth flow: registration, a failed and a
 * successful sign-in, consent, tokens issued and refreshed, a refused token request (a refresh token used again
 * after rotation), revocation. No password, token, code or client secret is in any record.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/password-hash.js';
import { openAuditLog } from '../../src/store/open-state-store.js';
import { FormBrowser, obtainTokens, pkcePair, postForm, postJson, TEST_PASSWORD } from '../support/oauth-client.js';
import { startApp, type RunningApp } from '../support/start-app.js';

let app: RunningApp;

beforeAll(async () => {
  app = await startApp({ auth: { mode: 'oauth' }, environments: { demo: { database: 'sqlite:./demo.sqlite', demo: true } } });
  await app.sqlgate.store!.users.add({ name: 'alice', passwordHash: await hashPassword(TEST_PASSWORD), roles: [{ environment: 'demo', canWrite: false }] });
}, 60_000);

afterAll(async () => {
  await app?.stop();
});

async function auditRecords(): Promise<Record<string, any>[]> {
  const store = await openAuditLog({ kind: 'sqlite', file: path.join(app.dir, 'data', 'sqlgate-audit.sqlite') });
  try {
    return (await store.list({}, 1_000)).map((row) => JSON.parse(row.payload) as Record<string, any>);
  } finally {
    await store.close();
  }
}

describe('OAuth events in the audit trail', () => {
  it('records registration, sign-in, consent, tokens, a replayed code and revocation, without secrets', async () => {
    const base = app.baseUrl;
    const resource = `${base}/demo/mcp`;
    // A wrong password first.
    const failing = await postJson(`${base}/register`, { client_name: 'wrong password client', redirect_uris: ['http://127.0.0.1:8765/callback'], token_endpoint_auth_method: 'none' });
    const { challenge } = pkcePair();
    const query = new URLSearchParams({ response_type: 'code', client_id: failing.body.client_id, redirect_uri: 'http://127.0.0.1:8765/callback', code_challenge: challenge, code_challenge_method: 'S256', resource });
    await new FormBrowser(base).authorize(`${base}/authorize?${query}`, 'alice', 'not-the-password-123').catch(() => undefined);

    const tokens = await obtainTokens(base, { user: 'alice', resource });
    const refreshed = await postForm(`${base}/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: tokens.clientId });
    expect(refreshed.status).toBe(200);
    // The first refresh token again, after rotation: refused (and the provider ends the grant).
    const reused = await postForm(`${base}/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: tokens.clientId });
    expect(reused.body.error).toBe('invalid_grant');
    const revoked = await postForm(`${base}/revoke`, { token: refreshed.body.refresh_token, client_id: tokens.clientId });
    expect(revoked.status).toBe(200);

    const records = await auditRecords();
    const actions = records.filter((r) => r.kind === 'auth').map((r) => `${r.action}:${r.verdict}`);
    expect(actions).toEqual(expect.arrayContaining([
      'client_registered:allowed', 'sign_in_failed:refused', 'sign_in:allowed', 'consent_given:allowed',
      'token_issued:allowed', 'token_refreshed:allowed', 'token_refused:refused', 'token_revoked:allowed',
    ]));
    expect(records.find((r) => r.action === 'token_refused')).toMatchObject({ client_id: tokens.clientId, details: { grant_type: 'refresh_token' } });
    expect(records.find((r) => r.action === 'token_refused')!.reason).toContain('invalid_grant');
    expect(records.find((r) => r.action === 'sign_in_failed')).toMatchObject({ user: 'alice', reason: 'wrong password', client_id: failing.body.client_id });
    expect(records.find((r) => r.action === 'sign_in')).toMatchObject({ user: 'alice', client_id: tokens.clientId, details: { via: 'password' } });
    expect(records.find((r) => r.action === 'token_issued')).toMatchObject({ user: 'alice', client_id: tokens.clientId, details: { grant_type: 'authorization_code' } });

    const text = JSON.stringify(records);
    for (const secret of [TEST_PASSWORD, 'not-the-password-123', tokens.access_token, tokens.refresh_token!, refreshed.body.access_token, refreshed.body.refresh_token]) {
      expect(text).not.toContain(secret);
    }
  }, 60_000);
});
