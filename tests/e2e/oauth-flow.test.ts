/**
 * The whole OAuth flow as Claude does it, with the official MCP client against a running sqlgate:
 * 401 → protected resource metadata → authorization server metadata → registration → authorize (sign-in and
 * consent) → token → tools → refresh → revoke.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/password-hash.js';
import { FormBrowser, TEST_PASSWORD, TestOAuthProvider } from '../support/oauth-client.js';
import { startApp, type RunningApp } from '../support/start-app.js';
import { createTestCertificate, type TestCertificate } from '../support/tls-test-endpoint.js';

let app: RunningApp;
let certificate: TestCertificate;
let metadataServer: https.Server;
let metadataUrl: string;
const defaultCas = tls.getCACertificates('default');

beforeAll(async () => {
  // A Client ID Metadata Document served over HTTPS from this machine (as https://claude.ai/oauth/… is for Claude).
  certificate = createTestCertificate('sqlgate-cimd-');
  tls.setDefaultCACertificates([...defaultCas, certificate.cert.toString()]);
  metadataServer = https.createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({
      client_id: metadataUrl,
      client_name: 'Metadata document client',
      redirect_uris: ['http://127.0.0.1:8765/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }));
  });
  await new Promise<void>((resolve) => metadataServer.listen(0, '127.0.0.1', resolve));
  metadataUrl = `https://localhost:${(metadataServer.address() as AddressInfo).port}/oauth/client.json`;
  app = await startApp({
    // The document above is on loopback, which sqlgate refuses to fetch unless told it is a development setup.
    auth: { mode: 'oauth', allow_private_metadata_fetch: true },
    environments: {
      demo: { database: 'sqlite:./demo.sqlite', demo: true },
    },
  });
  await app.sqlgate.store!.users.add({ name: 'alice', passwordHash: await hashPassword(TEST_PASSWORD), roles: [{ environment: 'demo', canWrite: false }] });
}, 60_000);

afterAll(async () => {
  await app?.stop();
  metadataServer?.close();
  certificate?.remove();
  tls.setDefaultCACertificates(defaultCas);
});

/** Connect → 401 → discovery → registration → sign-in and consent in the "browser" → token → a connected client. */
async function connectWithOAuth(provider: TestOAuthProvider, user = 'alice'): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const url = new URL(`${app.baseUrl}/demo/mcp`);
  await expect(new Client({ name: 'oauth-test', version: '1.0.0' }).connect(new StreamableHTTPClientTransport(url, { authProvider: provider })))
    .rejects.toBeInstanceOf(UnauthorizedError);
  const callback = await new FormBrowser(app.baseUrl).authorize(provider.authorizationUrl!, user);
  expect(callback.searchParams.get('state')).toBe(provider.lastState);
  expect(callback.searchParams.get('iss')).toBe(app.baseUrl);
  const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
  await transport.finishAuth(callback.searchParams);
  const client = new Client({ name: 'oauth-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

describe('OAuth with the official MCP client', () => {
  it('discovers, registers, signs in, consents, calls a tool, refreshes and revokes', async () => {
    const provider = new TestOAuthProvider();
    const { client } = await connectWithOAuth(provider);
    expect(provider.information?.client_id).toBeTruthy(); // registered by DCR: this client has no metadata document
    expect(provider.savedTokens?.scope).toBe('sql:read');
    const result = await client.callTool({ name: 'execute_sql', arguments: { query: 'SELECT count(*) AS n FROM customers' } });
    expect(result.isError).toBeFalsy();

    // The access token "expires": the client gets 401, refreshes with its refresh token and retries by itself.
    const firstRefresh = provider.savedTokens!.refresh_token!;
    provider.savedTokens = { ...provider.savedTokens!, access_token: 'no-longer-valid' };
    expect((await client.callTool({ name: 'list_tables', arguments: {} })).isError).toBeFalsy();
    expect(provider.savedTokens!.access_token).not.toBe('no-longer-valid');
    expect(provider.savedTokens!.refresh_token).not.toBe(firstRefresh); // rotated

    // Revoking the refresh token ends the grant: the current access token stops, and refreshing fails.
    const revoked = await fetch(`${app.baseUrl}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: provider.savedTokens!.refresh_token!, client_id: provider.information!.client_id }),
    });
    expect(revoked.status).toBe(200);
    await expect(client.callTool({ name: 'list_tables', arguments: {} })).rejects.toThrow();
    await client.close();
  }, 60_000);

  it('uses a Client ID Metadata Document when the client has one (as Claude does), without registering', async () => {
    const provider = new TestOAuthProvider({ clientMetadataUrl: metadataUrl });
    const { client } = await connectWithOAuth(provider);
    expect(provider.information?.client_id).toBe(metadataUrl);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain('execute_sql');
    await client.close();
    const registered = await app.sqlgate.store!.oauth.list('Client');
    expect(registered.map((r) => r.clientId)).not.toContain(metadataUrl);
  }, 60_000);

  it('registers confidential clients (client_secret_post and client_secret_basic) and authenticates them at /token', async () => {
    for (const authMethod of ['client_secret_post', 'client_secret_basic'] as const) {
      const provider = new TestOAuthProvider({ authMethod });
      const { client } = await connectWithOAuth(provider);
      expect(provider.information).toMatchObject({ token_endpoint_auth_method: authMethod });
      expect((provider.information as { client_secret?: string }).client_secret).toBeTruthy();
      const result = await client.callTool({ name: 'list_tables', arguments: {} });
      expect(result.isError).toBeFalsy();
      await client.close();
    }
  }, 60_000);
});
