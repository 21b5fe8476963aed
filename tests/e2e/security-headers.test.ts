/**
 * Every HTML and JSON response carries the security headers, whichever part of the server wrote it: Hono's routes,
 * the errors, the MCP transports, the authorization server (oidc-provider writes its own responses), the sign-in
 * pages, and the refusals of a server that is shutting down. The main routes are walked one by one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/password-hash.js';
import { obtainTokens, pkcePair, postJson, TEST_PASSWORD } from '../support/oauth-client.js';
import { startApp, type RunningApp } from '../support/start-app.js';

let app: RunningApp;
let base: string;
let token: string;
let clientId: string;

const REDIRECT_URI = 'http://127.0.0.1:8765/callback';

beforeAll(async () => {
  app = await startApp({ auth: { mode: 'oauth' }, environments: { demo: { database: 'sqlite:./demo.sqlite', demo: true } } });
  base = app.baseUrl;
  await app.sqlgate.store!.users.add({ name: 'alice', passwordHash: await hashPassword(TEST_PASSWORD), roles: [{ environment: 'demo', canWrite: false }] });
  const tokens = await obtainTokens(base, { user: 'alice', resource: `${base}/demo/mcp` });
  token = tokens.access_token;
  clientId = tokens.clientId;
}, 60_000);
afterAll(async () => {
  await app?.stop();
});

/** The headers every response needs (hono/secure-headers' set as create-http-app.ts configures it). */
function expectSecurityHeaders(name: string, response: Response): void {
  const h = response.headers;
  expect.soft(h.get('x-content-type-options'), name).toBe('nosniff');
  expect.soft(h.get('x-frame-options'), name).toBe('DENY');
  expect.soft(h.get('referrer-policy'), name).toBe('no-referrer');
  expect.soft(h.get('cross-origin-resource-policy'), name).toBe('same-origin');
  expect.soft(h.get('strict-transport-security'), name).toMatch(/^max-age=\d+/);
  // HTML pages bring their own policy (with a nonce for their styles); everything else gets one that allows nothing.
  expect.soft(h.get('content-security-policy') ?? '(none)', name).toMatch(/^default-src 'none'/);
  expect.soft(h.get('x-powered-by'), name).toBeNull();
}

const mcpHeaders = (extra: Record<string, string> = {}) => ({
  'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18', ...extra,
});
const rpc = (method: string) => JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: {} });

describe('security headers', () => {
  it('are on every route the server answers', async () => {
    const { challenge } = pkcePair();
    const authorizeQuery = new URLSearchParams({
      response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URI, code_challenge: challenge, code_challenge_method: 'S256', state: 's',
    });
    const routes: [string, () => Promise<Response>][] = [
      ['GET /health', () => fetch(`${base}/health`)],
      ['GET unknown path (404)', () => fetch(`${base}/nothing-here`)],
      ['POST /demo/mcp without a token (401)', () => fetch(`${base}/demo/mcp`, { method: 'POST', headers: mcpHeaders(), body: rpc('tools/list') })],
      ['POST /demo/mcp tools/list', () => fetch(`${base}/demo/mcp`, { method: 'POST', headers: mcpHeaders({ authorization: `Bearer ${token}` }), body: rpc('tools/list') })],
      ['POST /demo/mcp from a foreign Origin (403)', () => fetch(`${base}/demo/mcp`, { method: 'POST', headers: mcpHeaders({ authorization: `Bearer ${token}`, origin: 'https://evil.example' }), body: rpc('tools/list') })],
      ['POST /demo/mcp too large (413)', () => fetch(`${base}/demo/mcp`, { method: 'POST', headers: mcpHeaders({ authorization: `Bearer ${token}` }), body: `{"x":"${'a'.repeat(2 * 1_048_576)}"}` })],
      ['POST /demo/messages unknown session (404)', () => fetch(`${base}/demo/messages?sessionId=nope`, { method: 'POST', headers: mcpHeaders({ authorization: `Bearer ${token}` }), body: rpc('ping') })],
      ['GET /.well-known/oauth-authorization-server', () => fetch(`${base}/.well-known/oauth-authorization-server`)],
      ['GET /.well-known/oauth-protected-resource/demo/mcp', () => fetch(`${base}/.well-known/oauth-protected-resource/demo/mcp`)],
      ['GET /jwks', () => fetch(`${base}/jwks`)],
      ['POST /register', async () => {
        const body = JSON.stringify({ client_name: 'headers', redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'] });
        return fetch(`${base}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      }],
      ['POST /token with a bad grant (400)', () => fetch(`${base}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=authorization_code&code=nope&client_id=x' })],
      ['GET /authorize (redirect to sign-in)', () => fetch(`${base}/authorize?${authorizeQuery}&resource=${encodeURIComponent(`${base}/demo/mcp`)}`, { redirect: 'manual' })],
      ['GET /authorize for an unknown client (error page)', () => fetch(`${base}/authorize?${authorizeQuery.toString().replace(clientId, 'unknown-client')}`, { redirect: 'manual' })],
      ['GET /interaction/<uid> (sign-in page)', async () => {
        const redirect = await fetch(`${base}/authorize?${authorizeQuery}&resource=${encodeURIComponent(`${base}/demo/mcp`)}`, { redirect: 'manual' });
        const cookie = redirect.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
        return fetch(new URL(redirect.headers.get('location')!, base), { headers: { cookie } });
      }],
      ['GET /interaction/<unknown> (error page)', () => fetch(`${base}/interaction/unknown-uid`)],
    ];
    const seen = new Set<string>();
    for (const [name, request] of routes) {
      const response = await request();
      await response.body?.cancel();
      expectSecurityHeaders(`${name} → ${response.status}`, response);
      seen.add(`${response.status} ${response.headers.get('content-type')?.split(';')[0]}`);
    }
    // The walk reached what it means to: JSON answers and errors, a redirect, the sign-in page and an error page.
    expect([...seen]).toEqual(expect.arrayContaining(['200 application/json', '201 application/json', '401 application/json', '403 application/json', '404 application/json', '413 application/json', '303 text/html', '200 text/html', '400 text/html']));
  });

  it('are on the legacy SSE stream', async () => {
    const controller = new AbortController();
    const response = await fetch(`${base}/demo/sse`, { headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` }, signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expectSecurityHeaders('GET /demo/sse', response);
    controller.abort();
  });

  it('are on the refusals of a server that is shutting down', async () => {
    const registration = await postJson(`${base}/register`, { client_name: 'x', redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' });
    expect(registration.status).toBe(201);
    app.sqlgate.drain.start();
    for (const path of ['/health', '/demo/mcp', '/token', '/.well-known/oauth-authorization-server']) {
      const response = await fetch(`${base}${path}`, { method: path === '/health' || path.startsWith('/.well') ? 'GET' : 'POST' });
      expect(response.status, path).toBe(503);
      expect(response.headers.get('retry-after'), path).toBe('5');
      expect(await response.json(), path).toMatchObject({ error: 'SG_SHUTTING_DOWN' });
      expectSecurityHeaders(`${path} while draining`, response);
    }
  });
});
