/**
 * Several instances behind a load balancer share one PostgreSQL state store: the same signing keys, a token
 * issued by one accepted and refreshed by the other, a revocation on one seen by the other at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/password-hash.js';
import { mcpCall, obtainTokens, postForm, TEST_PASSWORD } from '../support/oauth-client.js';
import { startApp, type RunningApp } from '../support/start-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-databases.js';

let database: TestDatabase;
let first: RunningApp;
let second: RunningApp;
const PUBLIC_URL = 'http://127.0.0.1:1'; // the load balancer's address; both instances issue for it

beforeAll(async () => {
  database = await createTestDatabase('postgres', []);
  const config = {
    auth: { mode: 'oauth', public_url: PUBLIC_URL },
    store: { url: database.url },
    environments: { demo: { database: 'sqlite:./demo.sqlite', demo: true } },
  };
  first = await startApp(config);
  second = await startApp(config);
  await first.sqlgate.store!.users.add({ name: 'alice', passwordHash: await hashPassword(TEST_PASSWORD), roles: [{ environment: 'demo', canWrite: false }] });
}, 60_000);

afterAll(async () => {
  await first?.stop();
  await second?.stop();
  await database?.drop();
});

describe('two instances on one PostgreSQL store', () => {
  it('share keys, tokens and revocations', async () => {
    expect(await (await fetch(`${first.baseUrl}/jwks`)).json()).toEqual(await (await fetch(`${second.baseUrl}/jwks`)).json());
    // Issued through the first instance…
    const tokens = await obtainTokensVia(first);
    // …accepted by the second.
    const listed = await mcpCall(`${second.baseUrl}/demo/mcp`, tokens.access_token, 'tools/call', { name: 'list_tables', arguments: {} });
    expect(listed.status).toBe(200);
    expect(listed.body.result?.isError).toBeFalsy();
    const refreshed = await postForm(`${second.baseUrl}/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: tokens.clientId });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    // Revoked on the second, refused by the first at once.
    expect((await postForm(`${second.baseUrl}/revoke`, { token: refreshed.body.refresh_token, client_id: tokens.clientId })).status).toBe(200);
    expect((await mcpCall(`${first.baseUrl}/demo/mcp`, refreshed.body.access_token, 'tools/list')).status).toBe(401);
  }, 60_000);
});

/** The flow through one instance, as a browser sees it: every URL is on the public URL, routed to that instance. */
async function obtainTokensVia(app: RunningApp) {
  const realFetch = globalThis.fetch;
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) =>
    realFetch(typeof input === 'string' ? input.replace(PUBLIC_URL, app.baseUrl) : input, init)) as typeof fetch;
  try {
    return await obtainTokens(PUBLIC_URL, { user: 'alice', resource: `${PUBLIC_URL}/demo/mcp` });
  } finally {
    globalThis.fetch = realFetch;
  }
}
