/**
 * Issue 9: a JSON body nested a few thousand levels deep (10 KB of `[`, well under every size limit) overflowed the
 * stack in what runs after JSON.parse: a 500 from oidc-provider on /register, "Maximum call stack size exceeded"
 * echoed by the MCP SDK. Every endpoint that parses JSON now refuses such a body with 400 before anything parses it
 * (src/http/json-depth-limit.ts): OAuth endpoints with RFC 6749's invalid_request, MCP endpoints with the JSON-RPC
 * parse error they give malformed JSON. Each endpoint is tried with sign-in off and on, is shown to keep serving
 * afterwards, and to still serve a legitimately nested body (20 levels).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, bearer, READ_DEMO, REDIRECT_URI, refresh, signIn, startSecurityApp, type Tokens } from '../support/oauth-attack.js';
import { startApp, type RunningApp } from '../support/start-app.js';

const DEEP = 5_000;
const DESCRIPTION = 'the JSON body is nested too deeply (more than 64 levels)';
const MCP_TOO_DEEP = { jsonrpc: '2.0', id: null, error: { code: -32700, message: `Parse error: ${DESCRIPTION}` } };
const OAUTH_TOO_DEEP = { error: 'invalid_request', error_description: DESCRIPTION };
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** `leaf` inside `depth` arrays, as JSON text (two bytes a level). */
const nestedArrays = (depth: number, leaf = '"x"') => `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;
/** `leaf` inside `depth` objects and arrays, alternating, an object outermost. */
const nestedMixed = (depth: number, leaf = '"x"') =>
  Array.from({ length: depth }).reduceRight<string>((inner, _, i) => (i % 2 ? `[${inner}]` : `{"level${i}":${inner}}`), leaf);

/** JSON-RPC messages, as text, that carry `value` (JSON text) somewhere a client may put nested data. */
const messagesWith = (value: string) => ({
  'a tools/call argument': `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"execute_sql","arguments":{"query":"SELECT 1","params":${value}}}}`,
  'initialize capabilities': `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{"experimental":{"x":${value}}},"clientInfo":{"name":"deep","version":"1"}}}`,
  'a response to the server': `{"jsonrpc":"2.0","id":3,"result":{"x":${value}}}`,
  'a bare batch': value,
});

const initializeWith = (experimental: string) =>
  `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{"experimental":{"x":${experimental}}},"clientInfo":{"name":"nested","version":"1"}}}`;

/** A query whose string literal holds 200 brackets and escaped quotes: nesting inside strings is not nesting. */
const BRACKETS_IN_A_STRING = `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"execute_sql","arguments":{"query":"SELECT '${'[{'.repeat(100)}\\"' AS s, 1 AS n"}}}`;

async function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string; json: unknown }> {
  const response = await fetch(url, { method: 'POST', headers, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

/** A legacy SSE session: GET /<env>/sse, its endpoint event, and the events after it. */
async function openLegacySession(base: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(`${base}/demo/sse`, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  expect(response.status).toBe(200);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  const nextEvent = async (): Promise<{ event: string; data: string }> => {
    for (;;) {
      const end = buffered.indexOf('\n\n');
      if (end >= 0) {
        const lines = buffered.slice(0, end).split('\n');
        buffered = buffered.slice(end + 2);
        if (lines.every((line) => line.startsWith(':'))) continue; // keep-alive
        const field = (name: string) => lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2) ?? '';
        return { event: field('event'), data: field('data') };
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('the SSE stream ended');
      buffered += value;
    }
  };
  const endpoint = await nextEvent();
  expect(endpoint.event).toBe('endpoint');
  return { messagesUrl: new URL(endpoint.data, base).toString(), nextEvent, close: () => controller.abort() };
}

describe('MCP endpoints, sign-in off', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  for (const path of ['/demo/mcp', '/demo/sse']) {
    it(`POST ${path}: a message nested ${DEEP} deep is a JSON-RPC parse error (400); the server keeps serving, nesting of 20 too`, async () => {
      for (const [where, body] of [...Object.entries(messagesWith(nestedArrays(DEEP))), ...Object.entries(messagesWith(nestedMixed(DEEP)))]) {
        const refused = await post(`${app.baseUrl}${path}`, body, MCP_HEADERS);
        expect({ where, status: refused.status, body: refused.json }).toEqual({ where, status: 400, body: MCP_TOO_DEEP });
      }
      const served = await post(`${app.baseUrl}${path}`, initializeWith('{}'), MCP_HEADERS);
      expect(served.status).toBe(200);
      expect(served.text).toContain('"serverInfo"');
      expect((await fetch(`${app.baseUrl}/health`)).status).toBe(200);

      // Legitimate nesting is served, and brackets inside strings are not nesting.
      const initialized = await post(`${app.baseUrl}${path}`, initializeWith(nestedMixed(20)), MCP_HEADERS);
      expect(initialized.status).toBe(200);
      expect(initialized.text).toContain('"serverInfo"');
      const query = await post(`${app.baseUrl}${path}`, BRACKETS_IN_A_STRING, { ...MCP_HEADERS, 'mcp-protocol-version': '2025-06-18' });
      expect(query.status).toBe(200);
      expect(query.text).toContain('[{[{');
      expect(query.text).not.toContain('"isError":true');
    });
  }

  it(`POST /demo/messages: a message nested ${DEEP} deep is a JSON-RPC parse error (400); the session keeps working, nesting of 20 is served`, async () => {
    const session = await openLegacySession(app.baseUrl);
    try {
      for (const [where, body] of Object.entries(messagesWith(nestedArrays(DEEP)))) {
        const refused = await post(session.messagesUrl, body, { 'content-type': 'application/json' });
        expect({ where, status: refused.status, body: refused.json }).toEqual({ where, status: 400, body: MCP_TOO_DEEP });
      }
      // The legacy endpoint parses any body as JSON, whatever its Content-Type says: the check does too.
      const untyped = await post(session.messagesUrl, nestedArrays(DEEP), { 'content-type': 'text/plain' });
      expect({ status: untyped.status, body: untyped.json }).toEqual({ status: 400, body: MCP_TOO_DEEP });

      const accepted = await post(session.messagesUrl, initializeWith(nestedMixed(20)), { 'content-type': 'application/json' });
      expect(accepted.status).toBe(202);
      const answer = await session.nextEvent();
      expect(answer.event).toBe('message');
      expect(JSON.parse(answer.data)).toMatchObject({ id: 1, result: { serverInfo: { name: expect.any(String) } } });
    } finally {
      session.close();
    }
  });
});

describe('with sign-in on', () => {
  let app: RunningApp;
  let tokens: Tokens;
  beforeAll(async () => {
    app = await startSecurityApp();
    tokens = await signIn(app, await addUser(app, READ_DEMO, 'deep'));
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  const registration = (redirectUris: string, extra = '') =>
    `{"client_name":"deep",${extra}"redirect_uris":${redirectUris},"grant_types":["authorization_code"],"response_types":["code"],"token_endpoint_auth_method":"none"}`;

  for (const path of ['/register', '/demo/register']) {
    it(`POST ${path}: redirect_uris nested ${DEEP} deep is invalid_request (400), not a 500; registration keeps working, nesting of 20 too`, async () => {
      const refused = await post(`${app.baseUrl}${path}`, registration(nestedArrays(DEEP, JSON.stringify(REDIRECT_URI))), { 'content-type': 'application/json' });
      expect({ status: refused.status, body: refused.json }).toEqual({ status: 400, body: OAUTH_TOO_DEEP });
      const registered = await post(`${app.baseUrl}${path}`, registration(JSON.stringify([REDIRECT_URI])), { 'content-type': 'application/json' });
      expect(registered.status).toBe(201);
      expect((registered.json as { client_id?: string }).client_id).toBeTruthy();
      // oidc-provider ignores members it does not know: this one only has to pass the check.
      const nested = await post(`${app.baseUrl}${path}`, registration(JSON.stringify([REDIRECT_URI]), `"x_vendor_extension":${nestedMixed(20)},`), { 'content-type': 'application/json; charset=utf-8' });
      expect(nested.status).toBe(201);
      expect(nested.json).toMatchObject({ client_name: 'deep', redirect_uris: [REDIRECT_URI] });
    });
  }

  for (const path of ['/token', '/revoke', '/demo/token', '/demo/revoke']) {
    it(`POST ${path}: a JSON body nested ${DEEP} deep is invalid_request (400); nested 20 deep it reaches the provider, and forms still work`, async () => {
      const refused = await post(`${app.baseUrl}${path}`, `{"grant_type":"refresh_token","x":${nestedArrays(DEEP)}}`, { 'content-type': 'application/json' });
      expect({ status: refused.status, body: refused.json }).toEqual({ status: 400, body: OAUTH_TOO_DEEP });
      // Nested 20 deep, the body passes the check, and oidc-provider answers it as it answers any JSON here.
      const passed = await post(`${app.baseUrl}${path}`, `{"grant_type":"refresh_token","x":${nestedMixed(20)}}`, { 'content-type': 'application/json' });
      expect(passed.status).toBe(400);
      expect(passed.json).toEqual({ error: 'invalid_request', error_description: `only application/x-www-form-urlencoded content-type bodies are supported on POST ${path.replace('/demo', '')}` });

      // The endpoint's own requests (forms, which the check leaves to the provider) are served as before.
      const fresh = await signIn(app, await addUser(app, READ_DEMO, 'form'));
      const form = (fields: Record<string, string>) => post(`${app.baseUrl}${path}`, new URLSearchParams(fields).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
      if (path.endsWith('/token')) {
        const refreshed = await form({ grant_type: 'refresh_token', refresh_token: fresh.refreshToken, client_id: fresh.clientId });
        expect(refreshed.status).toBe(200);
        expect((refreshed.json as { access_token?: string }).access_token).toBeTruthy();
      } else {
        expect((await form({ token: fresh.refreshToken, client_id: fresh.clientId })).status).toBe(200);
        expect((await refresh(app.baseUrl, fresh)).body.error).toBe('invalid_grant');
      }
    });
  }

  for (const path of ['/demo/mcp', '/demo/sse']) {
    it(`POST ${path}: with a token, a message nested ${DEEP} deep is a parse error (400); without one, 401 comes first`, async () => {
      const withToken = { ...MCP_HEADERS, authorization: bearer(tokens.accessToken) };
      for (const [where, body] of Object.entries(messagesWith(nestedArrays(DEEP)))) {
        const refused = await post(`${app.baseUrl}${path}`, body, withToken);
        expect({ where, status: refused.status, body: refused.json }).toEqual({ where, status: 400, body: MCP_TOO_DEEP });
      }
      expect((await post(`${app.baseUrl}${path}`, nestedArrays(DEEP), MCP_HEADERS)).status).toBe(401);
      const served = await post(`${app.baseUrl}${path}`, initializeWith(nestedMixed(20)), withToken);
      expect(served.status).toBe(200);
      expect(served.text).toContain('"serverInfo"');
    });
  }

  it(`POST /demo/messages: with a token, a message nested ${DEEP} deep is a parse error (400); nesting of 20 is served`, async () => {
    const authorization = bearer(tokens.accessToken);
    const session = await openLegacySession(app.baseUrl, { authorization });
    try {
      const refused = await post(session.messagesUrl, messagesWith(nestedArrays(DEEP))['a response to the server'], { 'content-type': 'application/json', authorization });
      expect({ status: refused.status, body: refused.json }).toEqual({ status: 400, body: MCP_TOO_DEEP });
      const accepted = await post(session.messagesUrl, initializeWith(nestedMixed(20)), { 'content-type': 'application/json', authorization });
      expect(accepted.status).toBe(202);
      expect(JSON.parse((await session.nextEvent()).data)).toMatchObject({ id: 1, result: { serverInfo: { name: expect.any(String) } } });
    } finally {
      session.close();
    }
  });
});
