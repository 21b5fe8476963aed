/**
 * Holes a security review found, each closed and held here: a legacy SSE session keeping rights taken away,
 * unbounded sign-in form bodies, the session cookie in stored interactions, parallel guesses past the lockout,
 * per-caller SSE slots, and cacheable metadata without Vary.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePersonalToken } from '../../src/auth/personal-token.js';
import { csrfOf, FormBrowser, obtainTokens, pkcePair, postJson } from '../support/oauth-client.js';
import { addUser, READ_DEMO, startSecurityApp, WRITE_SCRATCH } from '../support/oauth-attack.js';
import type { RunningApp } from '../support/start-app.js';

let app: RunningApp;
let base: string;

beforeAll(async () => {
  app = await startSecurityApp({ max_failed_logins: 3 });
  base = app.baseUrl;
  const scratch = new Database(path.join(app.dir, 'scratch.sqlite'));
  scratch.exec('CREATE TABLE IF NOT EXISTS notes (body TEXT)');
  scratch.close();
}, 60_000);

afterAll(async () => {
  await app?.stop();
});

async function personalToken(user: string, environment: string, canWrite: boolean): Promise<string> {
  const { token, id, tokenHash } = generatePersonalToken();
  await app.sqlgate.store!.personalTokens.add({ id, tokenHash, userName: user, environment, canWrite });
  return token;
}

/** Opens a legacy SSE session; returns where to post and a reader of the JSON-RPC messages it receives. */
async function openSse(url: string, token: string) {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: controller.signal });
  if (response.status !== 200) return { status: response.status, close: () => controller.abort() };
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const nextEvent = async (): Promise<{ event: string; data: string }> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.startsWith(':')) continue;
        return { event: /^event: (.*)$/m.exec(block)?.[1] ?? '', data: /^data: (.*)$/m.exec(block)?.[1] ?? '' };
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buffer += decoder.decode(value, { stream: true });
    }
  };
  const endpoint = (await nextEvent()).data;
  return { status: 200, endpoint: new URL(endpoint, url).toString(), nextEvent, close: () => controller.abort() };
}

describe('legacy SSE sessions', () => {
  it('run each message with the rights the caller has now, not those the stream opened with', async () => {
    const user = await addUser(app, WRITE_SCRATCH, 'sse');
    const token = await personalToken(user, 'scratch', true);
    const sse = await openSse(`${base}/scratch/sse`, token);
    try {
      const post = (id: number, method: string, params: Record<string, unknown>) =>
        fetch(sse.endpoint!, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id, method, params }) });
      await post(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } });
      await sse.nextEvent!();
      await app.sqlgate.store!.users.setRoles(user, [{ environment: 'scratch', canWrite: false }]);
      expect((await post(2, 'tools/call', { name: 'execute_sql', arguments: { query: "INSERT INTO notes VALUES ('after downgrade')" } })).status).toBe(202);
      const answer = JSON.parse((await sse.nextEvent!()).data);
      expect(answer.result.isError).toBe(true);
      expect(answer.result.content[0].text).toContain('may only read');
    } finally {
      sse.close();
    }
  });

  it('give one caller at most 10 open sessions', async () => {
    const token = await personalToken(await addUser(app, READ_DEMO, 'slots'), 'demo', false);
    const sessions = [];
    try {
      for (let i = 0; i < 10; i++) sessions.push(await openSse(`${base}/demo/sse`, token));
      expect(sessions.every((s) => s.status === 200)).toBe(true);
      const eleventh = await openSse(`${base}/demo/sse`, token);
      sessions.push(eleventh);
      expect(eleventh.status).toBe(503);
      const someoneElse = await openSse(`${base}/demo/sse`, await personalToken(await addUser(app, READ_DEMO, 'slots'), 'demo', false));
      sessions.push(someoneElse);
      expect(someoneElse.status).toBe(200);
    } finally {
      for (const session of sessions) session.close();
    }
  });
});

describe('sign-in pages', () => {
  it('refuse a form body larger than a sign-in form can be', async () => {
    const response = await fetch(`${base}/interaction/whatever/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `username=x&password=${'a'.repeat(64 * 1024)}`,
    });
    expect(response.status).toBe(413);
  });

  it('keep no session cookie value in stored interactions', async () => {
    const user = await addUser(app, READ_DEMO, 'cookie');
    const tokens = await obtainTokens(base, { user, resource: `${base}/demo/mcp` });
    // Start a second authorization in the same browser: its interaction is stored with the signed-in session.
    const query = new URLSearchParams({ response_type: 'code', client_id: tokens.clientId, redirect_uri: 'http://127.0.0.1:8765/callback', code_challenge: pkcePair().challenge, code_challenge_method: 'S256', resource: `${base}/demo/mcp`, prompt: 'consent' });
    await tokens.browser.open(`${base}/authorize?${query}`);
    const sessionCookie = /(?:^|; )sqlgate_session=([^;]+)/.exec(tokens.browser.cookieHeader())?.[1];
    expect(sessionCookie).toBeTruthy();
    const interactions = await app.sqlgate.store!.oauth.list('Interaction');
    expect(interactions.length).toBeGreaterThan(0);
    expect(JSON.stringify(interactions.map((r) => r.payload))).not.toContain(sessionCookie);
    const file = fs.readFileSync(path.join(app.dir, 'data', 'sqlgate-state.sqlite'));
    expect(file.includes(Buffer.from(sessionCookie!))).toBe(false);
  });
});

describe('/health', () => {
  it('tells other machines only whether the server is healthy', async () => {
    const proxied = await startSecurityApp({ trusted_proxies: ['127.0.0.1'] });
    try {
      const outside = await (await fetch(`${proxied.baseUrl}/health`, { headers: { 'x-forwarded-for': '203.0.113.5' } })).json() as Record<string, unknown>;
      expect(Object.keys(outside).sort()).toEqual(['status', 'version']);
      const local = await (await fetch(`${proxied.baseUrl}/health`)).json() as Record<string, unknown>;
      expect(Object.keys(local.environments as object).sort()).toEqual(['demo', 'scratch']);
    } finally {
      await proxied.stop();
    }
  });
});

describe('metadata', () => {
  it('says which request headers it depends on, for caches', async () => {
    const response = await fetch(`${base}/.well-known/oauth-protected-resource/demo/mcp`);
    expect(response.headers.get('vary')).toBe('Host, X-Forwarded-Host, X-Forwarded-Proto, X-Environment-Path');
  });
});

// Last: it uses up this address's sign-in attempts.
describe('lockout', () => {
  it('count parallel guesses before checking them: no more than max_failed_logins get a verdict', async () => {
    const user = await addUser(app, READ_DEMO, 'parallel');
    const registration = await postJson(`${base}/register`, { redirect_uris: ['http://127.0.0.1:8765/callback'], token_endpoint_auth_method: 'none' });
    const query = new URLSearchParams({ response_type: 'code', client_id: registration.body.client_id, redirect_uri: 'http://127.0.0.1:8765/callback', code_challenge: pkcePair().challenge, code_challenge_method: 'S256', resource: `${base}/demo/mcp` });
    const browser = new FormBrowser(base);
    const login = await browser.open(`${base}/authorize?${query}`);
    const uid = /\/interaction\/([^/"]+)\/login"/.exec(login.body)![1]!;
    const attempts = await Promise.all(Array.from({ length: 12 }, (_, i) =>
      browser.open(`${base}/interaction/${uid}/login`, { csrf: csrfOf(login.body), username: user, password: `wrong password ${i}` })));
    const statuses = attempts.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(9);
  });
});
