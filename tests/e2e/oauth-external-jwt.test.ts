/**
 * Resource-server mode: environments that accept JWT access tokens from an existing identity provider (here a
 * local one: a discovery document and a JWKS on loopback), with roles from a claim.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpCall, pkcePair, postJson } from '../support/oauth-client.js';
import { freePort, startApp, type RunningApp } from '../support/start-app.js';

let app: RunningApp;
let idp: http.Server;
let issuer: string;
let signingKey: CryptoKey;
let otherKey: CryptoKey;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-extjwt-'));
const KID = 'idp-key-1';

beforeAll(async () => {
  ({ privateKey: signingKey } = await generateKeyPair('ES256', { extractable: true }).then(async (pair) => {
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'ES256', use: 'sig' };
    return pair;
  }));
  ({ privateKey: otherKey } = await generateKeyPair('ES256'));
  idp = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/keys` }));
    else if (req.url === '/keys') res.end(JSON.stringify({ keys: [publicJwk] }));
    else res.writeHead(404).end('{}');
  });
  await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
  fs.writeFileSync(path.join(dir, 'scratch.sqlite'), '');
  const port = await freePort();
  app = await startApp({
    // The default audience is <public_url>/<env>/mcp, never built from a request's Host.
    auth: { mode: 'oauth', public_url: `http://127.0.0.1:${port}` },
    environments: {
      analytics: { database: `sqlite:${path.join(dir, 'demo.sqlite')}`, demo: true, external_auth: { issuer, roles_claim: 'groups', read_roles: ['analysts'] } },
      scratch: { database: `sqlite:${path.join(dir, 'scratch.sqlite')}`, read_only: false, allow_ddl: true, external_auth: { issuer, roles_claim: 'groups', read_roles: ['analysts'], write_roles: ['writers'] } },
    },
  }, { port });
}, 60_000);

let publicJwk: Record<string, unknown>;

afterAll(async () => {
  await app?.stop();
  idp?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function token(claims: Record<string, unknown>, options: { key?: CryptoKey; aud?: string; iss?: string; exp?: number | string; alg?: string } = {}) {
  return new SignJWT({ sub: 'dana@example.com', groups: ['analysts'], ...claims })
    .setProtectedHeader({ alg: options.alg ?? 'ES256', kid: KID })
    .setIssuer(options.iss ?? issuer)
    .setAudience(options.aud ?? `${app.baseUrl}/analytics/mcp`)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? '10m')
    .sign(options.key ?? signingKey);
}

const listTables = { name: 'list_tables', arguments: {} };

describe('external identity provider (resource-server mode)', () => {
  it('names the identity provider in the resource metadata', async () => {
    const metadata = await (await fetch(`${app.baseUrl}/.well-known/oauth-protected-resource/analytics/mcp`)).json() as Record<string, unknown>;
    expect(metadata).toMatchObject({ resource: `${app.baseUrl}/analytics/mcp`, authorization_servers: [issuer] });
  });

  it('accepts a valid token from the provider', async () => {
    const result = await mcpCall(`${app.baseUrl}/analytics/mcp`, await token({}), 'tools/call', listTables);
    expect(result.status).toBe(200);
    expect(result.body.result?.isError).toBeFalsy();
  });

  it('takes the audience from the public URL, not from the Host a request names', async () => {
    // A token the provider issued for another server whose environment has the same name.
    const foreign = await token({}, { aud: 'http://staging.example/analytics/mcp' });
    const response = await fetch(`${app.baseUrl}/analytics/mcp`, {
      method: 'POST',
      headers: { host: 'staging.example', authorization: `Bearer ${foreign}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect([401, 403]).toContain(response.status);
    const direct = await mcpCall(`${app.baseUrl}/analytics/mcp`, foreign, 'tools/list');
    expect(direct.status).toBe(401);
  });

  it.each([
    ['another audience', async () => token({}, { aud: `${app.baseUrl}/scratch/mcp` })],
    ['another issuer', async () => token({}, { iss: 'https://evil.example' })],
    ['an expired token', async () => token({}, { exp: Math.floor(Date.now() / 1000) - 120 })],
    ['a key the provider does not publish', async () => token({}, { key: otherKey })],
    ['alg none', async () => unsigned({ sub: 'dana', aud: `${app.baseUrl}/analytics/mcp`, iss: issuer, exp: Math.floor(Date.now() / 1000) + 600, groups: ['analysts'] })],
    ['HS256 made with the public key', async () => hs256WithPublicKey()],
    ['a token without a user claim', async () => token({ sub: undefined })],
    ['a user claim with a NUL (it would break the audit record)', async () => token({ sub: 'mallory\u0000admin' })],
    ['a user claim with a line break (it would forge log lines)', async () => token({ sub: 'mallory\nuser=admin' })],
    ['a user claim longer than any name', async () => token({ sub: 'x'.repeat(321) })],
    ['an ID token (it has a nonce)', async () => token({ nonce: 'n-0S6_WzA2Mj' })],
  ])('refuses %s with 401', async (_name, make) => {
    const result = await mcpCall(`${app.baseUrl}/analytics/mcp`, await make(), 'tools/list');
    expect(result.status).toBe(401);
    expect(result.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('refuses a user without a role that may read with 403', async () => {
    const result = await mcpCall(`${app.baseUrl}/analytics/mcp`, await token({ groups: ['sales'] }), 'tools/list');
    expect(result.status).toBe(403);
    expect(result.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  it('lets writers write and readers only read in a writable environment', async () => {
    const url = `${app.baseUrl}/scratch/mcp`;
    const writer = await token({ sub: 'wes', groups: 'writers' }, { aud: url });
    const created = await mcpCall(url, writer, 'tools/call', { name: 'execute_sql', arguments: { query: 'CREATE TABLE t (x INTEGER)' } });
    expect(created.body.result?.isError, JSON.stringify(created.body)).toBeFalsy();
    const reader = await token({}, { aud: url });
    const refused = await mcpCall(url, reader, 'tools/call', { name: 'execute_sql', arguments: { query: 'INSERT INTO t VALUES (1)' } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  it("does not issue sqlgate's own tokens for it", async () => {
    const redirectUri = 'http://127.0.0.1:8765/callback';
    const registration = await postJson(`${app.baseUrl}/register`, { redirect_uris: [redirectUri], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] });
    const { challenge } = pkcePair();
    const query = new URLSearchParams({ response_type: 'code', client_id: registration.body.client_id, redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: 'S256', state: 's' });
    const response = await fetch(`${app.baseUrl}/analytics/authorize?${query}`, { redirect: 'manual' });
    const location = new URL(response.headers.get('location') ?? '', app.baseUrl);
    expect(location.origin + location.pathname).toBe(redirectUri);
    expect(location.searchParams.get('error')).toBe('invalid_target');
    expect(location.searchParams.get('error_description')).toContain(`accepts tokens from ${issuer}`);
  });
});

function unsigned(payload: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.`;
}

async function hs256WithPublicKey(): Promise<string> {
  const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
  return new SignJWT({ sub: 'mallory', groups: ['analysts', 'writers'] })
    .setProtectedHeader({ alg: 'HS256', kid: KID })
    .setIssuer(issuer)
    .setAudience(`${app.baseUrl}/analytics/mcp`)
    .setExpirationTime('10m')
    .sign(secret);
}
