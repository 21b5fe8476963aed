/**
 * Sign-in through an upstream OpenID Connect provider. The provider here is oidc-provider itself with its
 * development login pages (any user name signs in), on loopback; its users' groups decide their roles.
 */
import http from 'node:http';
import net from 'node:net';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UPSTREAM_PASSWORD_MARK } from '../../src/auth/upstream-sign-in.js';
import { hashPassword } from '../../src/auth/password-hash.js';
import { csrfOf, FormBrowser, mcpCall, pkcePair, postForm, postJson, TEST_PASSWORD } from '../support/oauth-client.js';
import { freePort, startApp, type RunningApp } from '../support/start-app.js';

let app: RunningApp;
let upstreamServer: http.Server;
let upstreamBase: string;
const GROUPS: Record<string, string[]> = {
  dana: ['analysts'], wes: ['engineers'], eve: ['sales'], alice: ['analysts'], mallory: ['analysts'], uma: ['analysts'], rita: ['readers', 'sales'],
};
/** mallory's provider profile claims dana's address; uma's address is not verified. */
const EMAILS: Record<string, string> = { mallory: 'dana@example.com' };

beforeAll(async () => {
  const sqlgatePort = await freePort();
  let handler: http.RequestListener = () => undefined;
  upstreamServer = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => upstreamServer.listen(0, '127.0.0.1', resolve));
  upstreamBase = `http://127.0.0.1:${(upstreamServer.address() as net.AddressInfo).port}`;
  const upstream = new Provider(upstreamBase, {
    clients: [{
      client_id: 'sqlgate',
      client_secret: 'an-upstream-client-secret-of-some-length',
      redirect_uris: [`http://127.0.0.1:${sqlgatePort}/interaction/upstream/callback`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }],
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, email: EMAILS[sub] ?? `${sub}@example.com`, email_verified: sub !== 'uma', groups: GROUPS[sub] ?? [] }),
    }),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
    scopes: ['openid', 'email', 'groups'],
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['upstream-test-cookie-key'] },
  });
  handler = upstream.callback();
  app = await startApp({
    auth: {
      mode: 'oauth',
      upstream: {
        issuer: upstreamBase,
        client_id: 'sqlgate',
        client_secret: 'an-upstream-client-secret-of-some-length',
        display_name: 'Example SSO',
        scopes: ['openid', 'email', 'groups'],
        role_mappings: [
          { group: 'analysts', environments: ['demo'] },
          { group: 'engineers', environments: ['*'], write: true },
          { group: 'readers', roles: ['demo-reader'] },
        ],
        allow_insecure_http: true,
      },
    },
    roles: { 'demo-reader': { environments: { demo: 'read' } } },
    environments: { demo: { database: 'sqlite:./demo.sqlite', demo: true } },
  }, { port: sqlgatePort });
  await app.sqlgate.store!.users.add({ name: 'alice@example.com', passwordHash: await hashPassword(TEST_PASSWORD), roles: [{ environment: 'demo', canWrite: false }] });
}, 60_000);

afterAll(async () => {
  await app?.stop();
  upstreamServer?.close();
});

/** Authorize at sqlgate choosing "Sign in with Example SSO" as `login` at the provider; returns the last sqlgate page or the client redirect. */
async function signInUpstream(login: string, options: { callbackInAnotherBrowser?: boolean } = {}) {
  const base = app.baseUrl;
  const redirectUri = 'http://127.0.0.1:8765/callback';
  const registration = await postJson(`${base}/register`, { redirect_uris: [redirectUri], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] });
  const clientId = registration.body.client_id as string;
  const { verifier, challenge } = pkcePair();
  const query = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: 'S256', state: 's', resource: `${base}/demo/mcp` });
  const browser = new FormBrowser(base);
  const loginPage = await browser.open(`${base}/authorize?${query}`);
  expect(loginPage.body).toContain('Sign in with Example SSO');
  const uid = /\/interaction\/([^/"]+)\/upstream"/.exec(loginPage.body)![1]!;
  const toUpstream = await browser.open(`${base}/interaction/${uid}/upstream`, { csrf: csrfOf(loginPage.body) });
  expect(toUpstream.url.startsWith(upstreamBase)).toBe(true);

  const idp = new FormBrowser(upstreamBase);
  let page = await idp.open(toUpstream.url);
  for (let step = 0; step < 4 && page.url.startsWith(upstreamBase); step++) {
    const action = new URL(/action="([^"]+)"/.exec(page.body)![1]!, upstreamBase).toString();
    const prompt = /name="prompt" value="([^"]+)"/.exec(page.body)![1]!;
    page = await idp.open(action, prompt === 'login' ? { prompt, login, password: 'anything' } : { prompt });
  }
  expect(page.url).toContain('/interaction/upstream/callback');
  // A victim's browser finishing a link someone else started has no binding cookie.
  const back = await (options.callbackInAnotherBrowser ? new FormBrowser(base) : browser).open(page.url);
  return { back, browser, clientId, verifier, redirectUri };
}

describe('single sign-on with an upstream OpenID Connect provider', () => {
  it('signs a user in through the provider, maps their groups to roles and issues a working token', async () => {
    const { back, browser, clientId, verifier, redirectUri } = await signInUpstream('dana');
    expect(back.status).toBe(200);
    expect(back.body).toContain('Signed in as <strong>dana@example.com</strong>');
    const uid = /\/interaction\/([^/"]+)\/confirm"/.exec(back.body)![1]!;
    const done = await browser.open(`${app.baseUrl}/interaction/${uid}/confirm`, { csrf: csrfOf(back.body) });
    const code = new URL(done.url).searchParams.get('code')!;
    const tokens = await postForm(`${app.baseUrl}/token`, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, client_id: clientId });
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(tokens.body.scope).toBe('sql:read');
    const listed = await mcpCall(`${app.baseUrl}/demo/mcp`, tokens.body.access_token, 'tools/call', { name: 'list_tables', arguments: {} });
    expect(listed.body.result?.isError).toBeFalsy();

    const user = await app.sqlgate.store!.users.get('dana@example.com');
    expect(user?.passwordHash.startsWith(UPSTREAM_PASSWORD_MARK)).toBe(true);
    expect(user?.roles).toEqual([{ environment: 'demo', canWrite: false }]);
  }, 60_000);

  it('maps a group to a named role: the user gets the role, and the role gives the environment', async () => {
    const { back, browser, clientId, verifier, redirectUri } = await signInUpstream('rita');
    expect(back.status).toBe(200);
    const uid = /\/interaction\/([^/"]+)\/confirm"/.exec(back.body)![1]!;
    const done = await browser.open(`${app.baseUrl}/interaction/${uid}/confirm`, { csrf: csrfOf(back.body) });
    const code = new URL(done.url).searchParams.get('code')!;
    const tokens = await postForm(`${app.baseUrl}/token`, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, client_id: clientId });
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(tokens.body.scope).toBe('sql:read');
    const listed = await mcpCall(`${app.baseUrl}/demo/mcp`, tokens.body.access_token, 'tools/call', { name: 'list_tables', arguments: {} });
    expect(listed.body.result?.isError).toBeFalsy();
    expect(await app.sqlgate.store!.users.get('rita@example.com')).toMatchObject({ roles: [], namedRoles: ['demo-reader'] });

    // Rewritten at every sign-in: a role the store holds but the groups no longer give is gone after the next one.
    await app.sqlgate.store!.users.setRoles('rita@example.com', [], ['demo-reader', 'stale']);
    expect((await signInUpstream('rita')).back.status).toBe(200);
    expect((await app.sqlgate.store!.users.get('rita@example.com'))!.namedRoles).toEqual(['demo-reader']);
  }, 60_000);

  it('refuses a user whose groups map to no role', async () => {
    const { back } = await signInUpstream('eve');
    expect(back.status).toBe(403);
    expect(back.body).toContain('eve@example.com is in none of the groups that may use sqlgate.');
    expect(await app.sqlgate.store!.users.get('eve@example.com')).toBeUndefined();
  }, 60_000);

  it('never lets an upstream identity take over a local user of the same name', async () => {
    const { back } = await signInUpstream('alice');
    expect(back.status).toBe(403);
    expect(back.body).toContain('A local sqlgate user named alice@example.com exists');
  }, 60_000);

  it('gives upstream users no password sign-in', async () => {
    await signInUpstream('wes');
    const stored = await app.sqlgate.store!.users.get('wes@example.com');
    expect(stored?.roles).toEqual([{ environment: '*', canWrite: true }]);
    const browser = new FormBrowser(app.baseUrl);
    await expect(signInWithPassword(browser, 'wes@example.com', stored!.passwordHash)).resolves.toContain('Wrong user name or password.');
  }, 60_000);

  it('binds a user to the provider account that first signed in under that name', async () => {
    await signInUpstream('dana');
    const { back } = await signInUpstream('mallory');
    expect(back.status).toBe(403);
    expect(back.body).toContain('dana@example.com is already taken by another Example SSO account');
  }, 60_000);

  it('refuses an e-mail address the provider has not verified', async () => {
    const { back } = await signInUpstream('uma');
    expect(back.status).toBe(403);
    expect(back.body).toContain('Example SSO has not verified the address uma@example.com.');
  }, 60_000);

  it('finishes a sign-in only in the browser that started it', async () => {
    const { back } = await signInUpstream('dana', { callbackInAnotherBrowser: true });
    expect(back.status).toBe(400);
    expect(back.body).toContain('interaction_expired');
  }, 60_000);

  it('refuses a callback with an unknown state', async () => {
    const response = await fetch(`${app.baseUrl}/interaction/upstream/callback?code=abc&state=forged`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('interaction_expired');
  });
});

async function signInWithPassword(browser: FormBrowser, user: string, password: string): Promise<string> {
  const registration = await postJson(`${app.baseUrl}/register`, { redirect_uris: ['http://127.0.0.1:8765/callback'], token_endpoint_auth_method: 'none' });
  const { challenge } = pkcePair();
  const query = new URLSearchParams({ response_type: 'code', client_id: registration.body.client_id, redirect_uri: 'http://127.0.0.1:8765/callback', code_challenge: challenge, code_challenge_method: 'S256', resource: `${app.baseUrl}/demo/mcp` });
  const login = await browser.open(`${app.baseUrl}/authorize?${query}`);
  const uid = /\/interaction\/([^/"]+)\/login"/.exec(login.body)![1]!;
  const page = await browser.open(`${app.baseUrl}/interaction/${uid}/login`, { csrf: csrfOf(login.body), username: user, password });
  return page.body;
}
