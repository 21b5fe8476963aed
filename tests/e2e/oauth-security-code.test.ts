/**
 * Negative tests of the authorization code flow: codes that are replayed, PKCE left out, weakened or wrong,
 * redirect URIs and resources that do not match, client authentication that fails, refresh tokens used twice and
 * tokens revoked. Each asserts the exact refusal (status and OAuth `error`), and where a refusal must also
 * revoke what was issued before, that those tokens stop working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormBrowser } from '../support/oauth-client.js';
import {
  addUser, authorizeUrl, bearer, exchange, mcp, obtainCode, pkce, READ_DEMO, REDIRECT_URI, refresh, registerClient, signIn, startSecurityApp,
  tokenRequest,
} from '../support/oauth-attack.js';
import type { RunningApp } from '../support/start-app.js';

const STATIC_SECRET = 'static-client-secret-0123456789abcdef';
let app: RunningApp;
let base: string;
let alice: string;

beforeAll(async () => {
  app = await startSecurityApp({
    clients: [{ client_id: 'static-confidential', client_secret: STATIC_SECRET, redirect_uris: [REDIRECT_URI] }],
  });
  base = app.baseUrl;
  alice = await addUser(app, READ_DEMO, 'alice');
}, 60_000);

afterAll(async () => {
  await app?.stop();
});

/** Opens an /authorize URL in a fresh browser and returns where it ended (a foreign redirect or a page). */
async function openAuthorize(params: Record<string, string | undefined>, path?: string) {
  return new FormBrowser(base).open(authorizeUrl(base, params, path));
}

describe('authorization codes', () => {
  it('refuses a code used a second time, and revokes the tokens issued for its first use', async () => {
    const issued = await obtainCode(app, alice);
    const first = await exchange(base, issued);
    expect(first.status).toBe(200);
    const accessToken = String(first.body.access_token);
    expect((await mcp(base, 'demo', bearer(accessToken))).status).toBe(200);

    const second = await exchange(base, issued);
    expect(second.status).toBe(400);
    expect(second.body.error).toBe('invalid_grant');
    expect(second.body.access_token).toBeUndefined();

    const afterReplay = await mcp(base, 'demo', bearer(accessToken));
    expect(afterReplay.status).toBe(401);
    expect(afterReplay.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const refreshed = await refresh(base, { refreshToken: String(first.body.refresh_token), clientId: issued.clientId });
    expect(refreshed.status).toBe(400);
    expect(refreshed.body.error).toBe('invalid_grant');
  });

  // oidc-provider hides why a grant is invalid ("grant request is invalid"); each of these tests then redeems the
  // same code correctly, which shows that the one broken parameter was the reason for the refusal.
  it('refuses the wrong code_verifier', async () => {
    const issued = await obtainCode(app, alice);
    const wrong = await exchange(base, issued, { code_verifier: pkce().verifier });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
    expect(wrong.body.access_token).toBeUndefined();
    expect((await exchange(base, issued)).status).toBe(200);
  });

  it('refuses a token request without code_verifier', async () => {
    const issued = await obtainCode(app, alice);
    const missing = await exchange(base, issued, { code_verifier: undefined });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_grant');
    expect((await exchange(base, issued)).status).toBe(200);
  });

  it('refuses a code presented by another client', async () => {
    const issued = await obtainCode(app, alice);
    const other = await registerClient(base);
    const response = await exchange(base, issued, { client_id: other.clientId });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_grant');
    expect((await exchange(base, issued)).status).toBe(200);
  });

  it('redeems a code only once when the same code is sent many times at once', async () => {
    const issued = await obtainCode(app, alice);
    const responses = await Promise.all(Array.from({ length: 8 }, () => exchange(base, issued)));
    const issuedTokens = responses.filter((r) => r.status === 200);
    expect(responses.filter((r) => r.status === 400).every((r) => r.body.error === 'invalid_grant')).toBe(true);
    expect(issuedTokens).toHaveLength(1);
    // The others were replays: the grant is revoked, so even the one winner's token is refused.
    expect((await mcp(base, 'demo', bearer(String(issuedTokens[0]!.body.access_token)))).status).toBe(401);
  });

  it('refuses a redirect_uri at /token that differs from the one of the authorization request', async () => {
    const issued = await obtainCode(app, alice);
    const response = await exchange(base, issued, { redirect_uri: 'http://127.0.0.1:8765/other' });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_grant');
    expect((await exchange(base, issued)).status).toBe(200);
  });
});

describe('/authorize', () => {
  it('refuses an authorization request without PKCE (error sent back to the client)', async () => {
    const { clientId } = await registerClient(base);
    const result = await openAuthorize({ client_id: clientId, code_challenge: undefined, code_challenge_method: undefined, state: 'no-pkce' });
    const callback = new URL(result.url);
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('error_description')).toMatch(/PKCE/);
    expect(callback.searchParams.get('state')).toBe('no-pkce');
    expect(callback.searchParams.has('code')).toBe(false);
  });

  it('refuses the `plain` PKCE method', async () => {
    const { clientId } = await registerClient(base);
    const { verifier } = pkce();
    const result = await openAuthorize({ client_id: clientId, code_challenge: verifier, code_challenge_method: 'plain' });
    const callback = new URL(result.url);
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('error_description')).toMatch(/code_challenge_method/);
    expect(callback.searchParams.has('code')).toBe(false);
  });

  it('refuses a redirect_uri the client did not register, without redirecting to it', async () => {
    const { clientId } = await registerClient(base);
    const result = await openAuthorize({ client_id: clientId, code_challenge: pkce().challenge, redirect_uri: 'https://evil.example/cb' });
    expect(result.status).toBe(400);
    expect(result.url.startsWith(base)).toBe(true);
    expect(result.headers.get('location')).toBeNull();
    expect(result.body).toContain('invalid_redirect_uri');
  });

  it('refuses an unknown client_id with an error page, not a redirect', async () => {
    const result = await openAuthorize({ client_id: 'no-such-client', code_challenge: pkce().challenge });
    expect(result.status).toBe(400);
    expect(result.url.startsWith(base)).toBe(true);
    expect(result.body).toContain('invalid_client');
  });

  it('refuses a resource that names another server (invalid_target)', async () => {
    const { clientId } = await registerClient(base);
    const result = await openAuthorize({ client_id: clientId, code_challenge: pkce().challenge, resource: 'https://evil.example/mcp' });
    const callback = new URL(result.url);
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('error')).toBe('invalid_target');
    expect(callback.searchParams.has('code')).toBe(false);
  });

  it('refuses a resource on this server that is no environment (invalid_target)', async () => {
    const { clientId } = await registerClient(base);
    const result = await openAuthorize({ client_id: clientId, code_challenge: pkce().challenge, resource: `${base}/nope/mcp` });
    expect(new URL(result.url).searchParams.get('error')).toBe('invalid_target');
  });

  it('refuses the root /authorize without resource when there are several environments', async () => {
    const { clientId } = await registerClient(base);
    const result = await openAuthorize({ client_id: clientId, code_challenge: pkce().challenge, resource: undefined });
    expect(result.status).toBe(400);
    expect(result.url.startsWith(base)).toBe(true);
    expect(result.body).toContain('invalid_target');
    expect(result.body).toContain(`${base}/demo/mcp`);
  });

  it('refuses an access_token in the /authorize URL', async () => {
    const { clientId } = await registerClient(base);
    const result = await openAuthorize({ client_id: clientId, code_challenge: pkce().challenge, access_token: 'anything' });
    expect(result.status).toBe(400);
    expect(result.body).toContain('invalid_request');
  });
});

describe('/token client authentication', () => {
  it('refuses an unknown client with 401 invalid_client', async () => {
    const response = await tokenRequest(base, { grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT_URI, code_verifier: pkce().verifier, client_id: 'no-such-client' });
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_client');
  });

  it('refuses a static client with the wrong client_secret', async () => {
    const wrong = Buffer.from(`static-confidential:${'x'.repeat(STATIC_SECRET.length)}`).toString('base64');
    const response = await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: 'x' }, { authorization: `Basic ${wrong}` });
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_client');
    // The same request with the right secret gets past client authentication (and fails on the token instead).
    const right = Buffer.from(`static-confidential:${STATIC_SECRET}`).toString('base64');
    const control = await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: 'x' }, { authorization: `Basic ${right}` });
    expect(control.body.error).toBe('invalid_grant');
  });

  it('refuses a static confidential client that sends no secret at all', async () => {
    const issued = await obtainCode(app, alice, { clientId: 'static-confidential' });
    const response = await exchange(base, issued);
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_client');
  });

  it('refuses a registered client_secret_post client with the wrong secret', async () => {
    const client = await registerClient(base, { token_endpoint_auth_method: 'client_secret_post' });
    expect(client.clientSecret).toBeTruthy();
    const issued = await obtainCode(app, alice, client);
    const wrong = await exchange(base, issued, { client_secret: `${client.clientSecret!.slice(0, -2)}xx` });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
    const right = await exchange(base, issued, { client_secret: client.clientSecret });
    expect(right.status).toBe(200);
  });
});

describe('refresh tokens', () => {
  it('refuses a rotated refresh token used again, and revokes the tokens that replaced it', async () => {
    const tokens = await signIn(app, alice);
    const rotated = await refresh(base, tokens);
    expect(rotated.status).toBe(200);
    const next = { accessToken: String(rotated.body.access_token), refreshToken: String(rotated.body.refresh_token), clientId: tokens.clientId };
    expect(next.refreshToken).not.toBe(tokens.refreshToken);
    expect((await mcp(base, 'demo', bearer(next.accessToken))).status).toBe(200);

    const reuse = await refresh(base, tokens);
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');

    const nextRefresh = await refresh(base, next);
    expect(nextRefresh.status).toBe(400);
    expect(nextRefresh.body.error).toBe('invalid_grant');
    expect((await mcp(base, 'demo', bearer(next.accessToken))).status).toBe(401);
    expect((await mcp(base, 'demo', bearer(tokens.accessToken))).status).toBe(401);
  });

  it('rotates a refresh token only once when it is sent many times at once', async () => {
    const tokens = await signIn(app, alice);
    const responses = await Promise.all(Array.from({ length: 8 }, () => refresh(base, tokens)));
    expect(responses.filter((r) => r.status === 400).every((r) => r.body.error === 'invalid_grant')).toBe(true);
    const rotated = responses.filter((r) => r.status === 200);
    expect(rotated).toHaveLength(1);
    expect((await mcp(base, 'demo', bearer(String(rotated[0]!.body.access_token)))).status).toBe(401);
  });

  it('refuses a refresh token presented by another client', async () => {
    const tokens = await signIn(app, alice);
    const other = await registerClient(base);
    const response = await refresh(base, { refreshToken: tokens.refreshToken, clientId: other.clientId });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_grant');
  });
});

describe('/revoke', () => {
  it('stops a revoked access token at once', async () => {
    const tokens = await signIn(app, alice);
    expect((await mcp(base, 'demo', bearer(tokens.accessToken))).status).toBe(200);
    const revoked = await fetch(`${base}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.accessToken, token_type_hint: 'access_token', client_id: tokens.clientId }),
    });
    expect(revoked.status).toBe(200);
    const after = await mcp(base, 'demo', bearer(tokens.accessToken));
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('revoking the refresh token stops it and the access tokens of its grant', async () => {
    const tokens = await signIn(app, alice);
    const revoked = await fetch(`${base}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.refreshToken, token_type_hint: 'refresh_token', client_id: tokens.clientId }),
    });
    expect(revoked.status).toBe(200);
    const after = await mcp(base, 'demo', bearer(tokens.accessToken));
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const refreshed = await refresh(base, tokens);
    expect(refreshed.status).toBe(400);
    expect(refreshed.body.error).toBe('invalid_grant');
  });

  it('does not let another client revoke a token it was not issued', async () => {
    const tokens = await signIn(app, alice);
    const other = await registerClient(base);
    await fetch(`${base}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.accessToken, client_id: other.clientId }),
    });
    expect((await mcp(base, 'demo', bearer(tokens.accessToken))).status).toBe(200);
  });
});
