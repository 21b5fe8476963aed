/**
 * Negative tests of the MCP endpoints' bearer check: tokens that are forged, signed by nobody, tampered with,
 * for another environment, sent the wrong way, expired, or belonging to a user who was removed, changed their
 * password or lost their role; personal access tokens that are revoked, expired or for another environment;
 * a read-only token that tries to write. Every 401 must carry the environment's resource_metadata challenge.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/password-hash.js';
import { generatePersonalToken } from '../../src/auth/personal-token.js';
import { TEST_PASSWORD } from '../support/oauth-client.js';
import {
  addUser, bearer, exchange, executeSql, mcp, obtainCode, READ_DEMO, READ_SCRATCH, resourceMetadataOf, signIn, startSecurityApp, tokenRequest, WRITE_SCRATCH,
  type JsonResponse,
} from '../support/oauth-attack.js';
import type { RunningApp } from '../support/start-app.js';

let app: RunningApp;
let base: string;
/** A user with a role in both environments: refusals for the wrong one are then about the token, not the user. */
let both: string;
let bothDemo: string;

beforeAll(async () => {
  app = await startSecurityApp();
  base = app.baseUrl;
  both = await addUser(app, [...READ_DEMO, ...WRITE_SCRATCH], 'both');
  bothDemo = (await signIn(app, both)).accessToken;
  const scratch = new Database(path.join(app.dir, 'scratch.sqlite'));
  scratch.exec('CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)');
  scratch.close();
}, 60_000);

afterAll(async () => {
  await app?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The 401 of an environment for a token it refuses: status, challenge with its metadata URL, error code. */
function expectInvalidToken(response: JsonResponse, environment = 'demo', description?: string) {
  expect(response.status).toBe(401);
  const challenge = response.headers.get('www-authenticate') ?? '';
  expect(challenge).toMatch(/^Bearer /);
  expect(challenge).toContain(resourceMetadataOf(base, environment));
  expect(challenge).toContain('error="invalid_token"');
  if (description) expect(challenge).toContain(description);
  expect(response.body.error).toBe('SG_UNAUTHORIZED');
}

function notesCount(): number {
  const db = new Database(path.join(app.dir, 'scratch.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM notes').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('the challenge', () => {
  it('answers a request without a token with 401 and the environment\'s resource_metadata', async () => {
    for (const environment of ['demo', 'scratch']) {
      const response = await mcp(base, environment, undefined);
      expect(response.status).toBe(401);
      const challenge = response.headers.get('www-authenticate') ?? '';
      expect(challenge).toContain(`Bearer ${resourceMetadataOf(base, environment)}`);
      expect(challenge).not.toContain('error=');
    }
  });

  it('control: the token the refusals below are measured against works', async () => {
    expect((await mcp(base, 'demo', bearer(bothDemo))).status).toBe(200);
  });
});

describe('forged and misused tokens', () => {
  it('refuses a token issued for /demo at /scratch', async () => {
    expectInvalidToken(await mcp(base, 'scratch', bearer(bothDemo)), 'scratch', 'not issued for scratch');
  });

  it('refuses a random token', async () => {
    expectInvalidToken(await mcp(base, 'demo', bearer(randomBytes(32).toString('base64url'))), 'demo', 'unknown, expired or revoked');
  });

  it('refuses a valid token with one character changed', async () => {
    const last = bothDemo.at(-1) === 'A' ? 'B' : 'A';
    expectInvalidToken(await mcp(base, 'demo', bearer(`${bothDemo.slice(0, -1)}${last}`)));
  });

  it('refuses a personal-token-shaped string that was never issued', async () => {
    expectInvalidToken(await mcp(base, 'demo', bearer(generatePersonalToken().token)), 'demo', 'personal access token is unknown');
  });

  const claims = () => ({ sub: both, iss: base, aud: `${base}/demo/mcp`, scope: 'sql:read sql:write', client_id: 'x', exp: Math.floor(Date.now() / 1000) + 600 });

  it('refuses an unsigned JWT (alg: none)', async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${encode({ alg: 'none', typ: 'at+jwt' })}.${encode(claims())}.`;
    expectInvalidToken(await mcp(base, 'demo', bearer(unsigned)));
  });

  it('refuses a well-formed JWT signed by a key that is not the server\'s', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const jwt = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' }).sign(privateKey);
    expectInvalidToken(await mcp(base, 'demo', bearer(jwt)));
  });

  it('refuses the server\'s own signed ID token, as issued and with its claims tampered', async () => {
    const tokens = await tokenResponse(both, 'openid sql:read');
    const idToken = String(tokens.body.id_token);
    expect(idToken.split('.')).toHaveLength(3);
    expectInvalidToken(await mcp(base, 'demo', bearer(idToken)));
    const [header, payload, signature] = idToken.split('.') as [string, string, string];
    const tampered = { ...JSON.parse(Buffer.from(payload, 'base64url').toString()), aud: `${base}/demo/mcp`, scope: 'sql:read' };
    expectInvalidToken(await mcp(base, 'demo', bearer(`${header}.${Buffer.from(JSON.stringify(tampered)).toString('base64url')}.${signature}`)));
  });

  it('refuses an access token in the query string, even a valid one and even next to a valid header', async () => {
    for (const authorization of [undefined, bearer(bothDemo)]) {
      const response = await mcp(base, 'demo', authorization, undefined, `?access_token=${encodeURIComponent(bothDemo)}`);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_request"');
      expect(response.body.error).toBe('SG_UNAUTHORIZED');
    }
  });

  it('refuses an Authorization header that is not "Bearer <token>"', async () => {
    const basic = `Basic ${Buffer.from(`${both}:${TEST_PASSWORD}`).toString('base64')}`;
    for (const header of [basic, 'Bearer', 'Bearer ', `Bearer ${bothDemo} extra`, `Token ${bothDemo}`, `Bearer "${bothDemo}"`]) {
      const response = await mcp(base, 'demo', header);
      expectInvalidToken(response, 'demo');
    }
  });
});

/** Sign-in and code exchange, returning the raw token response (for the ID token and the granted scope). */
async function tokenResponse(user: string, scope: string, environment = 'demo'): Promise<JsonResponse> {
  const issued = await obtainCode(app, user, { scope, environment });
  const response = await exchange(base, issued);
  expect(response.status).toBe(200);
  return response;
}

describe('the user behind a token changes', () => {
  it('refuses the tokens of a user removed the way the CLI does it (revokeByAccount, then remove)', async () => {
    const user = await addUser(app, READ_DEMO);
    const tokens = await signIn(app, user);
    expect((await mcp(base, 'demo', bearer(tokens.accessToken))).status).toBe(200);
    await app.sqlgate.store!.oauth.revokeByAccount(user);
    await app.sqlgate.store!.users.remove(user);
    expectInvalidToken(await mcp(base, 'demo', bearer(tokens.accessToken)));
    const refreshed = await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: tokens.refreshToken, client_id: tokens.clientId });
    expect(refreshed.status).toBe(400);
    expect(refreshed.body.error).toBe('invalid_grant');
  });

  it('refuses an access token whose grant is gone while the token record is still there (grant expired)', async () => {
    const user = await addUser(app, READ_DEMO);
    const tokens = await signIn(app, user);
    const grants = await app.sqlgate.store!.oauth.list('Grant', { accountId: user });
    expect(grants).toHaveLength(1);
    await app.sqlgate.store!.oauth.destroy('Grant', grants[0]!.key);
    expect(await app.sqlgate.store!.oauth.list('AccessToken', { accountId: user })).not.toHaveLength(0);
    expectInvalidToken(await mcp(base, 'demo', bearer(tokens.accessToken)), 'demo', 'authorization behind this token was revoked');
  });

  it('refuses the token of a user removed without revoking anything, because the user is gone', async () => {
    const user = await addUser(app, READ_DEMO);
    const tokens = await signIn(app, user);
    await app.sqlgate.store!.users.remove(user);
    expectInvalidToken(await mcp(base, 'demo', bearer(tokens.accessToken)), 'demo', 'no longer exists');
  });

  it('does not hand a removed user\'s token to a new user who gets the same name', async () => {
    const user = await addUser(app, READ_DEMO);
    const tokens = await signIn(app, user);
    await app.sqlgate.store!.users.remove(user);
    await sleep(1_100); // iat has one-second resolution
    await app.sqlgate.store!.users.add({ name: user, passwordHash: await hashPassword(TEST_PASSWORD), roles: READ_DEMO });
    expectInvalidToken(await mcp(base, 'demo', bearer(tokens.accessToken)), 'demo', 'password changed');
  });

  it('refuses a token issued before the user\'s password changed', async () => {
    const user = await addUser(app, READ_DEMO);
    const tokens = await signIn(app, user);
    expect((await mcp(base, 'demo', bearer(tokens.accessToken))).status).toBe(200);
    await sleep(1_100); // iat has one-second resolution: change it in a later second than the token's
    await app.sqlgate.store!.users.setPasswordHash(user, await hashPassword('another password entirely'));
    expectInvalidToken(await mcp(base, 'demo', bearer(tokens.accessToken)), 'demo', 'password changed');
  });

  it('refuses a token whose user lost their role for the environment (403 insufficient_scope)', async () => {
    const user = await addUser(app, READ_DEMO);
    const tokens = await signIn(app, user);
    await app.sqlgate.store!.users.setRoles(user, WRITE_SCRATCH);
    const response = await mcp(base, 'demo', bearer(tokens.accessToken));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(response.body.error).toBe('SG_INSUFFICIENT_SCOPE');
  });

  it('stops writes for a token whose user was downgraded to read-only', async () => {
    const user = await addUser(app, WRITE_SCRATCH);
    const tokens = await signIn(app, user, { environment: 'scratch', scope: 'sql:read sql:write' });
    const before = notesCount();
    expect((await mcp(base, 'scratch', bearer(tokens.accessToken), executeSql("INSERT INTO notes (body) VALUES ('allowed')"))).status).toBe(200);
    expect(notesCount()).toBe(before + 1);
    await app.sqlgate.store!.users.setRoles(user, READ_SCRATCH);
    const response = await mcp(base, 'scratch', bearer(tokens.accessToken), executeSql("INSERT INTO notes (body) VALUES ('refused')"));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(notesCount()).toBe(before + 1);
  });
});

describe('scopes', () => {
  it('answers a write with a read-only user\'s token with 403 insufficient_scope, and writes nothing', async () => {
    const reader = await addUser(app, READ_SCRATCH, 'reader');
    const tokens = await signIn(app, reader, { environment: 'scratch', scope: 'sql:read sql:write' });
    const before = notesCount();
    const response = await mcp(base, 'scratch', bearer(tokens.accessToken), executeSql("INSERT INTO notes (body) VALUES ('nope')"));
    expect(response.status).toBe(403);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain('scope="sql:read sql:write"');
    expect(challenge).toContain(resourceMetadataOf(base, 'scratch'));
    expect(response.body.error).toBe('SG_INSUFFICIENT_SCOPE');
    expect(notesCount()).toBe(before);
    // The same token may still read.
    expect((await mcp(base, 'scratch', bearer(tokens.accessToken), executeSql('SELECT count(*) FROM notes'))).status).toBe(200);
  });

  it('grants a read-only user only sql:read, even when sql:write is asked for', async () => {
    const reader = await addUser(app, READ_SCRATCH, 'reader');
    const response = await tokenResponse(reader, 'sql:read sql:write', 'scratch');
    expect(String(response.body.scope).split(' ')).toEqual(['sql:read']);
  });

  it('gives a user without a role for the environment no code at all', async () => {
    const outsider = await addUser(app, READ_DEMO, 'outsider');
    await expect(signIn(app, outsider, { environment: 'scratch' })).rejects.toThrow(/unexpected page 403/);
  });
});

describe('personal access tokens', () => {
  async function personalToken(user: string, options: { environment?: string; expiresAt?: Date } = {}) {
    const generated = generatePersonalToken();
    await app.sqlgate.store!.personalTokens.add({
      id: generated.id, tokenHash: generated.tokenHash, userName: user, environment: options.environment ?? 'demo', canWrite: false, expiresAt: options.expiresAt,
    });
    return generated;
  }

  it('refuses a revoked personal token (which worked before)', async () => {
    const token = await personalToken(both);
    expect((await mcp(base, 'demo', bearer(token.token))).status).toBe(200);
    await app.sqlgate.store!.personalTokens.revoke(token.id);
    expectInvalidToken(await mcp(base, 'demo', bearer(token.token)), 'demo', 'unknown, expired or revoked');
  });

  it('refuses a personal token revoked by another process (as the CLI does) at its very next use', async () => {
    const token = await personalToken(both);
    expect((await mcp(base, 'demo', bearer(token.token))).status).toBe(200);
    expect((await mcp(base, 'demo', bearer(token.token))).status).toBe(200);
    const otherProcess = new Database(app.sqlgate.store!.location);
    try {
      otherProcess.prepare('UPDATE personal_access_tokens SET revoked_at = ? WHERE id = ?').run(new Date().toISOString(), token.id);
    } finally {
      otherProcess.close();
    }
    expectInvalidToken(await mcp(base, 'demo', bearer(token.token)), 'demo', 'unknown, expired or revoked');
  });

  it('refuses a personal token from the instant it expires, though it worked a moment before', async () => {
    const token = await personalToken(both, { expiresAt: new Date(Date.now() + 1_500) });
    expect((await mcp(base, 'demo', bearer(token.token))).status).toBe(200);
    await sleep(1_600);
    expectInvalidToken(await mcp(base, 'demo', bearer(token.token)), 'demo', 'unknown, expired or revoked');
  });

  it('refuses an expired personal token', async () => {
    const token = await personalToken(both, { expiresAt: new Date(Date.now() - 1_000) });
    expectInvalidToken(await mcp(base, 'demo', bearer(token.token)), 'demo', 'unknown, expired or revoked');
  });

  it('refuses a personal token created for another environment', async () => {
    const token = await personalToken(both, { environment: 'scratch' });
    expectInvalidToken(await mcp(base, 'demo', bearer(token.token)), 'demo', 'created for scratch');
    expect((await mcp(base, 'scratch', bearer(token.token))).status).toBe(200);
  });

  it('refuses a personal token whose user was removed', async () => {
    const user = await addUser(app, READ_DEMO);
    const token = await personalToken(user);
    await app.sqlgate.store!.users.remove(user);
    expectInvalidToken(await mcp(base, 'demo', bearer(token.token)));
  });

  it('lets a read-only personal token of a writer not write (403 insufficient_scope)', async () => {
    const token = await personalToken(both, { environment: 'scratch' });
    const before = notesCount();
    const response = await mcp(base, 'scratch', bearer(token.token), executeSql("INSERT INTO notes (body) VALUES ('pat')"));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(notesCount()).toBe(before);
  });
});
