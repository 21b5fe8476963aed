/**
 * The authorization server's public surface and the protected resources: discovery documents (root and the
 * seed's per-environment forms), resource metadata, the 401 challenge, environment binding, scopes and step-up,
 * refresh rotation, revocation and personal access tokens.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/hash-secret.js';
import { hashPassword } from '../../src/auth/password-hash.js';
import { generatePersonalToken } from '../../src/auth/personal-token.js';
import { csrfOf, FormBrowser, mcpCall, obtainTokens, pkcePair, postForm, TEST_PASSWORD } from '../support/oauth-client.js';
import { startApp, type RunningApp } from '../support/start-app.js';

let app: RunningApp;
let base: string;
const scratchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-oauth-'));
const scratchFile = path.join(scratchDir, 'scratch.sqlite');

beforeAll(async () => {
  fs.writeFileSync(scratchFile, '');
  app = await startApp({
    auth: { mode: 'oauth' },
    environments: {
      demo: { database: 'sqlite:./demo.sqlite', demo: true },
      scratch: { database: `sqlite:${scratchFile}`, read_only: false, allow_ddl: true },
    },
  });
  base = app.baseUrl;
  const passwordHash = await hashPassword(TEST_PASSWORD);
  await app.sqlgate.store!.users.add({ name: 'alice', passwordHash, roles: [{ environment: 'demo', canWrite: false }] });
  await app.sqlgate.store!.users.add({ name: 'bob', passwordHash, roles: [{ environment: '*', canWrite: true }] });
  const setup = await obtainTokens(base, { user: 'bob', resource: `${base}/scratch/mcp` });
  const created = await mcpCall(`${base}/scratch/mcp`, setup.access_token, 'tools/call', { name: 'execute_sql', arguments: { query: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)' } });
  expect(created.body.result?.isError, JSON.stringify(created.body)).toBeFalsy();
}, 60_000);

afterAll(async () => {
  await app?.stop();
  fs.rmSync(scratchDir, { recursive: true, force: true });
});

describe('discovery', () => {
  it('serves one authorization server at the origin root, under both well-known names and the per-environment forms', async () => {
    const documents = await Promise.all(
      ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', '/demo/.well-known/oauth-authorization-server', '/scratch/.well-known/openid-configuration']
        .map(async (path) => (await fetch(`${base}${path}`)).json() as Promise<Record<string, any>>),
    );
    for (const document of documents) expect(document).toEqual(documents[0]);
    const metadata = documents[0]!;
    expect(metadata).toMatchObject({
      issuer: base,
      authorization_endpoint: `${base}/authorize`,
      token_endpoint: `${base}/token`,
      registration_endpoint: `${base}/register`,
      revocation_endpoint: `${base}/revoke`,
      jwks_uri: `${base}/jwks`,
      code_challenge_methods_supported: ['S256'],
      client_id_metadata_document_supported: true,
      authorization_response_iss_parameter_supported: true,
      response_types_supported: ['code'],
    });
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['none', 'client_secret_post', 'client_secret_basic']));
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['sql:read', 'sql:write']));
    expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
  });

  it('describes each environment as a protected resource named by exactly the URL a user pastes', async () => {
    for (const [path, resource] of [
      ['/.well-known/oauth-protected-resource/demo/mcp', `${base}/demo/mcp`],
      ['/.well-known/oauth-protected-resource/demo/sse', `${base}/demo/sse`],
      ['/demo/.well-known/oauth-protected-resource', `${base}/demo/mcp`],
      ['/.well-known/oauth-protected-resource/scratch/mcp', `${base}/scratch/mcp`],
    ] as const) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      const document = await response.json() as Record<string, any>;
      expect(document.resource, path).toBe(resource);
      expect(document.authorization_servers).toEqual([base]);
    }
    const demo = await (await fetch(`${base}/.well-known/oauth-protected-resource/demo/mcp`)).json() as Record<string, any>;
    const scratch = await (await fetch(`${base}/.well-known/oauth-protected-resource/scratch/mcp`)).json() as Record<string, any>;
    expect(demo.scopes_supported).toEqual(['sql:read']); // read-only: writing is never offered
    expect(scratch.scopes_supported).toEqual(['sql:read', 'sql:write']);
  });

  it('answers a request without a token with 401 and the resource metadata URL', async () => {
    for (const env of ['demo', 'scratch']) {
      const response = await mcpCall(`${base}/${env}/mcp`, undefined, 'tools/list');
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/${env}/mcp", scope="sql:read"`);
      expect(response.body.error).toBe('SG_UNAUTHORIZED');
    }
    const sse = await fetch(`${base}/demo/sse`);
    expect(sse.status).toBe(401);
    expect(sse.headers.get('www-authenticate')).toContain(`resource_metadata="${base}/.well-known/oauth-protected-resource/demo/sse"`);
  });
});

describe('tokens', () => {
  it('binds /<env>/authorize to its environment and gives the user their default scopes when none is asked for', async () => {
    const tokens = await obtainTokens(base, { user: 'alice', authorizePath: '/demo/authorize' });
    expect(tokens.scope).toBe('sql:read');
    expect((await mcpCall(`${base}/demo/mcp`, tokens.access_token, 'tools/list')).status).toBe(200);
    expect((await mcpCall(`${base}/scratch/mcp`, tokens.access_token, 'tools/list')).status).toBe(401);
  });

  it('grants sql:write only where the environment is writable and the user may write', async () => {
    const bobScratch = await obtainTokens(base, { user: 'bob', resource: `${base}/scratch/mcp` });
    expect(bobScratch.scope?.split(' ').sort()).toEqual(['sql:read', 'sql:write']);
    const bobDemo = await obtainTokens(base, { user: 'bob', resource: `${base}/demo/mcp` });
    expect(bobDemo.scope).toBe('sql:read');
  });

  it('answers a write with a read-only token with 403 insufficient_scope, and runs it with sql:write (step-up)', async () => {
    const insert = { name: 'execute_sql', arguments: { query: "INSERT INTO notes (body) VALUES ('hello')" } };
    const readOnly = await obtainTokens(base, { user: 'bob', resource: `${base}/scratch/mcp`, scope: 'sql:read' });
    expect(readOnly.scope).toBe('sql:read');
    const refused = await mcpCall(`${base}/scratch/mcp`, readOnly.access_token, 'tools/call', insert);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(refused.headers.get('www-authenticate')).toContain('scope="sql:read sql:write"');
    expect(refused.body.error).toBe('SG_INSUFFICIENT_SCOPE');
    const reads = await mcpCall(`${base}/scratch/mcp`, readOnly.access_token, 'tools/call', { name: 'execute_sql', arguments: { query: 'SELECT count(*) AS n FROM notes' } });
    expect(reads.body.result?.isError).toBeFalsy();

    const writer = await obtainTokens(base, { user: 'bob', resource: `${base}/scratch/mcp`, scope: 'sql:read sql:write' });
    const inserted = await mcpCall(`${base}/scratch/mcp`, writer.access_token, 'tools/call', insert);
    expect(inserted.status).toBe(200);
    expect(inserted.body.result?.isError, JSON.stringify(inserted.body)).toBeFalsy();
  });

  it('rotates the refresh token on every use and keeps the new one working', async () => {
    const tokens = await obtainTokens(base, { user: 'alice', resource: `${base}/demo/mcp` });
    const refreshed = await postForm(`${base}/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: tokens.clientId });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).toBeTruthy();
    expect(refreshed.body.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.body.scope).toBe('sql:read');
    expect((await mcpCall(`${base}/demo/mcp`, refreshed.body.access_token, 'tools/list')).status).toBe(200);
    const again = await postForm(`${base}/token`, { grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token, client_id: tokens.clientId });
    expect(again.status).toBe(200);
  });

  it('revoking the refresh token (RFC 7009) stops the access tokens of its grant at once', async () => {
    const tokens = await obtainTokens(base, { user: 'alice', resource: `${base}/demo/mcp` });
    expect((await mcpCall(`${base}/demo/mcp`, tokens.access_token, 'tools/list')).status).toBe(200);
    const revoked = await postForm(`${base}/revoke`, { token: tokens.refresh_token!, token_type_hint: 'refresh_token', client_id: tokens.clientId });
    expect(revoked.status).toBe(200);
    expect((await mcpCall(`${base}/demo/mcp`, tokens.access_token, 'tools/list')).status).toBe(401);
    const refresh = await postForm(`${base}/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: tokens.clientId });
    expect(refresh.body.error).toBe('invalid_grant');
  });

  it('stops the tokens of a client that was removed', async () => {
    const tokens = await obtainTokens(base, { user: 'alice', resource: `${base}/demo/mcp` });
    expect((await mcpCall(`${base}/demo/mcp`, tokens.access_token, 'tools/list')).status).toBe(200);
    await app.sqlgate.store!.oauth.destroy('Client', hashSecret(tokens.clientId));
    const refused = await mcpCall(`${base}/demo/mcp`, tokens.access_token, 'tools/list');
    expect(refused.status).toBe(401);
    expect(refused.body.message).toBe('The client this token was issued to no longer exists.');
  });

  it('remembers consent for the same user and client in the same browser', async () => {
    const first = await obtainTokens(base, { user: 'alice', resource: `${base}/demo/mcp` });
    // Same browser session, same client: no sign-in and no consent page the second time.
    const { verifier, challenge } = pkcePair();
    const query = new URLSearchParams({ response_type: 'code', client_id: first.clientId, redirect_uri: 'http://127.0.0.1:8765/callback', code_challenge: challenge, code_challenge_method: 'S256', state: 's', resource: `${base}/demo/mcp` });
    const page = await first.browser.open(`${base}/authorize?${query}`);
    const callback = new URL(page.url);
    expect(callback.origin).toBe('http://127.0.0.1:8765');
    const code = callback.searchParams.get('code')!;
    const token = await postForm(`${base}/token`, { grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:8765/callback', code_verifier: verifier, client_id: first.clientId });
    expect(token.status).toBe(200);
  });
});

describe('remembered consent', () => {
  it('outlives the browser session: the same user and client sign in again without a consent page', async () => {
    const first = await obtainTokens(base, { user: 'alice', resource: `${base}/demo/mcp` });
    const { challenge } = pkcePair();
    const query = new URLSearchParams({ response_type: 'code', client_id: first.clientId, redirect_uri: 'http://127.0.0.1:8765/callback', code_challenge: challenge, code_challenge_method: 'S256', state: 's', resource: `${base}/demo/mcp` });
    const otherBrowser = new FormBrowser(base);
    const login = await otherBrowser.open(`${base}/authorize?${query}`);
    const uid = /\/interaction\/([^/"]+)\/login"/.exec(login.body)![1]!;
    const after = await otherBrowser.open(`${base}/interaction/${uid}/login`, { csrf: csrfOf(login.body), username: 'alice', password: TEST_PASSWORD });
    expect(new URL(after.url).searchParams.get('code')).toBeTruthy(); // straight back to the client: no consent page
  });
});

describe('personal access tokens', () => {
  it('work with the Authorization header for their environment only, and stop when revoked', async () => {
    const { token, id, tokenHash } = generatePersonalToken();
    await app.sqlgate.store!.personalTokens.add({ id, tokenHash, userName: 'alice', environment: 'demo', canWrite: false });
    const listed = await mcpCall(`${base}/demo/mcp`, token, 'tools/call', { name: 'list_tables', arguments: {} });
    expect(listed.status).toBe(200);
    expect(listed.body.result?.isError).toBeFalsy();
    expect((await mcpCall(`${base}/scratch/mcp`, token, 'tools/list')).status).toBe(401);
    await app.sqlgate.store!.personalTokens.revoke(id);
    expect((await mcpCall(`${base}/demo/mcp`, token, 'tools/list')).status).toBe(401);
  });
});

describe("the seed's proxy layout (X-Environment-Path)", () => {
  it('puts a prefix-stripped request back under its environment, for trusted proxies only', async () => {
    const proxied = await startApp({
      auth: { mode: 'oauth', public_url: 'https://data.example.com', trusted_proxies: ['127.0.0.1'] },
      environments: { production: { database: 'sqlite:./demo.sqlite', demo: true } },
    });
    try {
      // nginx: location /production/ { rewrite ^/production(/.*)$ $1 break; proxy_set_header X-Environment-Path /production; }
      const metadata = await fetch(`${proxied.baseUrl}/.well-known/oauth-protected-resource`, { headers: { 'x-environment-path': '/production' } });
      expect(((await metadata.json()) as Record<string, unknown>).resource).toBe('https://data.example.com/production/mcp');
      const mcp = await fetch(`${proxied.baseUrl}/mcp`, {
        method: 'POST',
        headers: { 'x-environment-path': '/production', 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(mcp.status).toBe(401);
      expect(mcp.headers.get('www-authenticate')).toContain('resource_metadata="https://data.example.com/.well-known/oauth-protected-resource/production/mcp"');
      // With a token, the body still reaches the tool.
      await proxied.sqlgate.store!.users.add({ name: 'pat', passwordHash: 'x', roles: [{ environment: 'production', canWrite: false }] });
      const { token, id, tokenHash } = generatePersonalToken();
      await proxied.sqlgate.store!.personalTokens.add({ id, tokenHash, userName: 'pat', environment: 'production', canWrite: false });
      const listed = await fetch(`${proxied.baseUrl}/mcp`, {
        method: 'POST',
        headers: { 'x-environment-path': '/production', authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_tables', arguments: {} } }),
      });
      expect(listed.status).toBe(200);
      expect(await listed.text()).toContain('customers');
    } finally {
      await proxied.stop();
    }
    // Not from a trusted proxy: the header is ignored.
    const ignored = await fetch(`${base}/mcp`, { method: 'POST', headers: { 'x-environment-path': '/demo', 'content-type': 'application/json' }, body: '{}' });
    expect(ignored.status).toBe(404);
  });
});
