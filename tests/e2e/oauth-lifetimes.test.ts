/** Lifetimes, configurable down to seconds: access tokens expire, refresh tokens slide with every rotation. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/password-hash.js';
import { mcpCall, obtainTokens, postForm, TEST_PASSWORD } from '../support/oauth-client.js';
import { startApp, type RunningApp } from '../support/start-app.js';

let app: RunningApp;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  app = await startApp({
    auth: { mode: 'oauth', access_token_ttl: 2, refresh_token_ttl: 5 },
    environments: { demo: { database: 'sqlite:./demo.sqlite', demo: true } },
  });
  await app.sqlgate.store!.users.add({ name: 'alice', passwordHash: await hashPassword(TEST_PASSWORD), roles: [{ environment: 'demo', canWrite: false }] });
}, 60_000);

afterAll(async () => {
  await app?.stop();
});

describe('token lifetimes', () => {
  it('expires access tokens and keeps a used refresh token family alive past the first one\'s lifetime', async () => {
    const base = app.baseUrl;
    const tokens = await obtainTokens(base, { user: 'alice', resource: `${base}/demo/mcp` });
    expect(tokens.expires_in).toBeLessThanOrEqual(2);
    await sleep(2_100);
    const expired = await mcpCall(`${base}/demo/mcp`, tokens.access_token, 'tools/list');
    expect(expired.status).toBe(401);
    expect(expired.body.message).toBe('The access token is unknown, expired or revoked.');

    // Refresh at ~2 s, then again at ~5 s: past the first refresh token's 5 s, but within the second one's. (The
    // margins are seconds, not fractions of one: CI runs this beside other suites on two cores.)
    const first = await postForm(`${base}/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: tokens.clientId });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    await sleep(3_000);
    const second = await postForm(`${base}/token`, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token, client_id: tokens.clientId });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect((await mcpCall(`${base}/demo/mcp`, second.body.access_token, 'tools/list')).status).toBe(200);

    // Unused for longer than its lifetime, a refresh token is gone.
    await sleep(5_100);
    const late = await postForm(`${base}/token`, { grant_type: 'refresh_token', refresh_token: second.body.refresh_token, client_id: tokens.clientId });
    expect(late.body.error).toBe('invalid_grant');
  }, 30_000);
});
