/**
 * The whole OAuth flow as Claude does it, with the official MCP client against a running sqlgate:
 * 401 → protected resource metadata → authorization server metadata → registration → authorize (sign-in and
 * consent) → token → tools → refresh → revoke.
 */
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/password-hash.js';
import { FormBrowser, TEST_PASSWORD, TestOAuthProvider } from '../support/oauth-client.js';
import { startApp, type RunningApp } from '../support/start-app.js';

let app: RunningApp;

beforeAll(async () => {
  app = await startApp({
    auth: { mode: 'oauth' },
    environments: {
      demo: { database: 'sqlite:./demo.sqlite', demo: true },
    },
  });
  await app.sqlgate.store!.users.add({ name: 'alice', passwordHash: await hashPassword(TEST_PASSWORD), roles: [{ environment: 'demo', canWrite: false }] });
}, 60_000);

afterAll(async () => {
  await app?.stop();
});

describe('OAuth with the official MCP client', () => {
  it('discovers, registers, signs in, consents, calls a tool, refreshes and revokes', async () => {
    const provider = new TestOAuthProvider();
    const url = new URL(`${app.baseUrl}/demo/mcp`);
    const first = new Client({ name: 'oauth-test', version: '1.0.0' });
    await expect(first.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }))).rejects.toBeInstanceOf(UnauthorizedError);
    expect(provider.authorizationUrl).toBeDefined();
    expect(provider.information?.client_id).toBeTruthy();

    const callback = await new FormBrowser(app.baseUrl).authorize(provider.authorizationUrl!, 'alice');
    expect(callback.origin + callback.pathname).toBe(provider.redirectUrl);
    expect(callback.searchParams.get('iss')).toBe(app.baseUrl);
    const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
    await transport.finishAuth(callback.searchParams);
    expect(provider.savedTokens?.access_token).toBeTruthy();
    expect(provider.savedTokens?.refresh_token).toBeTruthy();

    const client = new Client({ name: 'oauth-test', version: '1.0.0' });
    await client.connect(transport);
    const result = await client.callTool({ name: 'execute_sql', arguments: { query: 'SELECT count(*) AS n FROM customers' } });
    expect(result.isError).toBeFalsy();
    await client.close();
  }, 60_000);
});
