/**
 * Negative tests of what a browser (or someone posing as one) can do to the authorization server: guess
 * passwords, post the sign-in and consent forms without their CSRF token or from another site, frame the pages,
 * take over another browser's interaction, and name another host with X-Forwarded-Host. Also: an access token
 * past its lifetime, and a state file that must hold no usable secret.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePersonalToken } from '../../src/auth/personal-token.js';
import { csrfOf, FormBrowser, TEST_PASSWORD, type PageResponse } from '../support/oauth-client.js';
import {
  addUser, authorizeUrl, bearer, exchange, mcp, obtainCode, pkce, READ_DEMO, refresh, registerClient, resourceMetadataOf, signIn, startSecurityApp,
  tokenRequest,
} from '../support/oauth-attack.js';
import type { RunningApp } from '../support/start-app.js';

let app: RunningApp;
let locking: RunningApp;
let proxied: RunningApp;
let crowded: RunningApp;
let alice: string;

beforeAll(async () => {
  [app, locking, proxied, crowded] = await Promise.all([
    startSecurityApp({ access_token_ttl: 2 }),
    startSecurityApp({ max_failed_logins: 3 }),
    startSecurityApp({ trusted_proxies: ['127.0.0.1'] }),
    startSecurityApp({ max_failed_logins: 3 }),
  ]);
  alice = await addUser(app, READ_DEMO, 'alice');
}, 60_000);

afterAll(async () => {
  await Promise.all([app?.stop(), locking?.stop(), proxied?.stop(), crowded?.stop()]);
});

interface OpenInteraction {
  readonly browser: FormBrowser;
  readonly page: PageResponse;
  readonly uid: string;
  readonly csrf: string;
}

/** A fresh browser at the sign-in page of a new authorization request on `target`. */
async function openSignIn(target: RunningApp): Promise<OpenInteraction> {
  const { clientId } = await registerClient(target.baseUrl);
  const browser = new FormBrowser(target.baseUrl);
  const page = await browser.open(authorizeUrl(target.baseUrl, { client_id: clientId, code_challenge: pkce().challenge }));
  expect(page.status).toBe(200);
  expect(page.body).toContain('/login"');
  const uid = /\/interaction\/([^/"]+)\//.exec(page.body)![1]!;
  return { browser, page, uid, csrf: csrfOf(page.body) };
}

/** Signs in on an open interaction and returns the consent page that follows. */
async function toConsent(target: RunningApp, interaction: OpenInteraction, user: string): Promise<OpenInteraction> {
  const page = await interaction.browser.open(`${target.baseUrl}/interaction/${interaction.uid}/login`, { csrf: interaction.csrf, username: user, password: TEST_PASSWORD });
  expect(page.status).toBe(200);
  expect(page.body).toContain('/confirm"');
  return { ...interaction, page, uid: /\/interaction\/([^/"]+)\//.exec(page.body)![1]!, csrf: csrfOf(page.body) };
}

const login = (target: RunningApp, i: OpenInteraction, form: Record<string, string>, headers: Record<string, string> = {}) =>
  i.browser.open(`${target.baseUrl}/interaction/${i.uid}/login`, form, headers);

describe('password guessing', () => {
  it('locks a user after max_failed_logins wrong passwords: then even the right one gets 429', async () => {
    const user = await addUser(locking, READ_DEMO, 'victim');
    const interaction = await openSignIn(locking);
    for (let i = 0; i < 3; i++) {
      const wrong = await login(locking, interaction, { csrf: interaction.csrf, username: user, password: `guess ${i}` });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toContain('Wrong user name or password.');
    }
    const right = await login(locking, interaction, { csrf: interaction.csrf, username: user.toUpperCase(), password: TEST_PASSWORD });
    expect(right.status).toBe(429);
    expect(right.body).toContain('Too many failed sign-ins');
    expect(right.url.startsWith(locking.baseUrl)).toBe(true);
    // A new browser and a new authorization request do not reset it.
    const again = await openSignIn(locking);
    const retry = await login(locking, again, { csrf: again.csrf, username: user, password: TEST_PASSWORD });
    expect(retry.status).toBe(429);
  });

  it('locks an address that tries many user names, and X-Forwarded-For from an untrusted client does not dodge it', async () => {
    const user = await addUser(crowded, READ_DEMO, 'bystander');
    const interaction = await openSignIn(crowded);
    // max_failed_logins × 4 failures from one address (users unknown, each "from" another forwarded address).
    for (let i = 0; i < 12; i++) {
      const wrong = await login(crowded, interaction, { csrf: interaction.csrf, username: `nobody${i}`, password: 'x' }, { 'x-forwarded-for': `203.0.113.${i + 1}` });
      expect(wrong.status).toBe(401);
    }
    const right = await login(crowded, interaction, { csrf: interaction.csrf, username: user, password: TEST_PASSWORD }, { 'x-forwarded-for': '198.51.100.7' });
    expect(right.status).toBe(429);
    expect(right.body).toContain('Too many failed sign-ins');
  });
});

describe('forms', () => {
  it('refuses the sign-in form without its CSRF token (403) and does not sign in', async () => {
    const interaction = await openSignIn(app);
    const page = await login(app, interaction, { username: alice, password: TEST_PASSWORD });
    expect(page.status).toBe(403);
    expect(page.body).toContain('security token');
    expect(page.url.startsWith(app.baseUrl)).toBe(true);
  });

  it('refuses the sign-in form with a wrong CSRF token, or the token of another interaction (403)', async () => {
    const interaction = await openSignIn(app);
    const other = await openSignIn(app);
    for (const csrf of ['x'.repeat(interaction.csrf.length), other.csrf, `${interaction.csrf}x`]) {
      const page = await login(app, interaction, { csrf, username: alice, password: TEST_PASSWORD });
      expect(page.status).toBe(403);
      expect(page.body).toContain('security token');
    }
    // Control: the right token signs in.
    expect((await login(app, interaction, { csrf: interaction.csrf, username: alice, password: TEST_PASSWORD })).body).toContain('/confirm"');
  });

  it('refuses the consent form without or with a wrong CSRF token (403), then accepts the right one', async () => {
    const consent = await toConsent(app, await openSignIn(app), alice);
    const confirm = (form: Record<string, string>) => consent.browser.open(`${app.baseUrl}/interaction/${consent.uid}/confirm`, form);
    for (const form of [{ decision: 'allow' }, { csrf: 'x'.repeat(consent.csrf.length) }, { csrf: '' }] as Record<string, string>[]) {
      const page = await confirm(form);
      expect(page.status).toBe(403);
      expect(page.body).toContain('security token');
    }
    const allowed = await confirm({ csrf: consent.csrf });
    expect(new URL(allowed.url).searchParams.get('code')).toBeTruthy();
  });

  it('refuses a cross-site Origin on the sign-in and consent forms (403)', async () => {
    const interaction = await openSignIn(app);
    for (const origin of ['https://evil.example', 'null', app.baseUrl.replace('127.0.0.1', 'localhost')]) {
      const page = await login(app, interaction, { csrf: interaction.csrf, username: alice, password: TEST_PASSWORD }, { origin });
      expect(page.status).toBe(403);
      expect(page.body).toContain('sent from another site');
    }
    const consent = await toConsent(app, interaction, alice);
    const page = await consent.browser.open(`${app.baseUrl}/interaction/${consent.uid}/confirm`, { csrf: consent.csrf }, { origin: 'https://evil.example' });
    expect(page.status).toBe(403);
    expect(page.body).toContain('sent from another site');
  });

  it('refuses a sign-in form a browser marks as cross-site (Sec-Fetch-Site), with or without Origin (403)', async () => {
    const interaction = await openSignIn(app);
    for (const headers of [{ 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { 'sec-fetch-site': 'cross-site', origin: app.baseUrl }] as Record<string, string>[]) {
      const page = await login(app, interaction, { csrf: interaction.csrf, username: alice, password: TEST_PASSWORD }, headers);
      expect(page.status).toBe(403);
      expect(page.body).toContain('sent from another site');
    }
    // Control: the same form marked same-origin signs in.
    const page = await login(app, interaction, { csrf: interaction.csrf, username: alice, password: TEST_PASSWORD }, { 'sec-fetch-site': 'same-origin' });
    expect(page.body).toContain('/confirm"');
  });

  it('forbids framing the sign-in and consent pages', async () => {
    const interaction = await openSignIn(app);
    const consent = await toConsent(app, interaction, alice);
    for (const page of [interaction.page, consent.page]) {
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(page.headers.get('cache-control')).toBe('no-store');
    }
  });
});

describe('interactions belong to one browser', () => {
  it('shows the expired page to a browser without the interaction cookie', async () => {
    const interaction = await openSignIn(app);
    const stranger = new FormBrowser(app.baseUrl);
    const page = await stranger.open(`${app.baseUrl}/interaction/${interaction.uid}`);
    expect(page.status).toBe(400);
    expect(page.body).toContain('interaction_expired');
    expect(page.body).not.toContain('/login"');
  });

  it('does not let another browser sign in on an interaction it did not start, even with its CSRF token', async () => {
    const interaction = await openSignIn(app);
    const stranger = new FormBrowser(app.baseUrl);
    const page = await stranger.open(`${app.baseUrl}/interaction/${interaction.uid}/login`, { csrf: interaction.csrf, username: alice, password: TEST_PASSWORD });
    expect(page.status).toBe(400);
    expect(page.body).toContain('interaction_expired');
  });

  it('does not accept the cookie of one interaction for another uid', async () => {
    const interaction = await openSignIn(app);
    const other = await openSignIn(app);
    const page = await interaction.browser.open(`${app.baseUrl}/interaction/${other.uid}`);
    expect(page.status).toBe(400);
    expect(page.body).toContain('interaction_expired');
  });
});

describe('forwarded headers', () => {
  const metadata = async (target: RunningApp, headers: Record<string, string>) =>
    (await (await fetch(`${target.baseUrl}/.well-known/oauth-authorization-server`, { headers })).json()) as { issuer: string; authorization_endpoint: string };

  it('ignores X-Forwarded-Host/Proto from an address that is not a trusted proxy', async () => {
    const headers = { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' };
    const document = await metadata(app, headers);
    expect(document.issuer).toBe(app.baseUrl);
    expect(document.authorization_endpoint).toBe(`${app.baseUrl}/authorize`);
    const resource = (await (await fetch(`${app.baseUrl}/.well-known/oauth-protected-resource/demo/mcp`, { headers })).json()) as { resource: string };
    expect(resource.resource).toBe(`${app.baseUrl}/demo/mcp`);
    const unauthorized = await fetch(`${app.baseUrl}/demo/mcp`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}' });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('www-authenticate')).toContain(resourceMetadataOf(app.baseUrl, 'demo'));
  });

  it('uses X-Forwarded-Host/Proto from a trusted proxy, but only a bare host', async () => {
    const trusted = await metadata(proxied, { 'x-forwarded-host': 'proxy.example', 'x-forwarded-proto': 'https' });
    expect(trusted.issuer).toBe('https://proxy.example');
    expect(trusted.authorization_endpoint).toBe('https://proxy.example/authorize');
    for (const host of ['proxy.example/evil', 'user@evil.example', 'evil.example?x']) {
      expect((await metadata(proxied, { 'x-forwarded-host': host, 'x-forwarded-proto': 'https' })).issuer).toBe(proxied.baseUrl);
    }
  });

  it('refuses a Host that names another server on a loopback sqlgate (DNS rebinding), and keeps the real issuer', async () => {
    const target = new URL(app.baseUrl);
    const request = (path: string, host: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
      http.get({ host: target.hostname, port: target.port, path, headers: { host } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', reject);
    });
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/oauth-protected-resource/demo/mcp', '/authorize', '/interaction/x']) {
      const spoofed = await request(path, `rebound.evil.example:${target.port}`);
      expect(spoofed.status, path).toBe(403);
      expect(spoofed.body).toContain('Invalid Host');
      expect(spoofed.body).not.toContain('issuer');
    }
    const real = await request('/.well-known/oauth-authorization-server', target.host);
    expect(real.status).toBe(200);
    expect(JSON.parse(real.body).issuer).toBe(app.baseUrl);
  });

  it('does not accept a token issued for another issuer\'s resource (the forwarded base)', async () => {
    const user = await addUser(proxied, READ_DEMO);
    const tokens = await signIn(proxied, user);
    const response = await fetch(`${proxied.baseUrl}/demo/mcp`, {
      method: 'POST',
      headers: { authorization: bearer(tokens.accessToken), 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-forwarded-host': 'proxy.example', 'x-forwarded-proto': 'https' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain(resourceMetadataOf('https://proxy.example', 'demo'));
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });
});

describe('lifetimes and storage', () => {
  it('refuses an access token past access_token_ttl (and the refresh token still gets a new one)', async () => {
    const tokens = await signIn(app, alice);
    expect((await mcp(app.baseUrl, 'demo', bearer(tokens.accessToken))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 3_100));
    const expired = await mcp(app.baseUrl, 'demo', bearer(tokens.accessToken));
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(expired.headers.get('www-authenticate')).toContain('expired');
    const renewed = await refresh(app.baseUrl, tokens);
    expect(renewed.status).toBe(200);
    expect((await mcp(app.baseUrl, 'demo', bearer(String(renewed.body.access_token)))).status).toBe(200);
  });

  it('keeps no token, code or client secret in the clear in the state files', async () => {
    const client = await registerClient(app.baseUrl, { token_endpoint_auth_method: 'client_secret_post' });
    const issued = await obtainCode(app, alice, client);
    const response = await exchange(app.baseUrl, issued, { client_secret: client.clientSecret });
    expect(response.status).toBe(200);
    const rotated = await tokenRequest(app.baseUrl, { grant_type: 'refresh_token', refresh_token: String(response.body.refresh_token), client_id: client.clientId, client_secret: client.clientSecret });
    expect(rotated.status).toBe(200);
    const personal = generatePersonalToken();
    await app.sqlgate.store!.personalTokens.add({ id: personal.id, tokenHash: personal.tokenHash, userName: alice, environment: 'demo', canWrite: false });
    const secrets = {
      accessToken: String(response.body.access_token),
      refreshToken: String(response.body.refresh_token),
      clientSecret: client.clientSecret!,
      code: issued.code,
      personalToken: personal.token,
      rotatedAccessToken: String(rotated.body.access_token),
      rotatedRefreshToken: String(rotated.body.refresh_token),
    };
    for (const value of Object.values(secrets)) expect(value.length).toBeGreaterThan(20);
    const dataDir = path.join(app.dir, 'data');
    const files = fs.readdirSync(dataDir).filter((f) => f.startsWith('sqlgate-state.sqlite'));
    expect(files).toContain('sqlgate-state.sqlite');
    const bytes = Buffer.concat(files.map((f) => fs.readFileSync(path.join(dataDir, f))));
    // Control: the store does hold the client's id, so the file read is the right one.
    expect(bytes.includes(client.clientId)).toBe(true);
    for (const [name, value] of Object.entries(secrets)) expect(bytes.includes(value), name).toBe(false);
  });
});
