/**
 * Helpers for the OAuth negative tests (tests/e2e/oauth-security-*.test.ts): a sqlgate with two environments
 * (`demo`, read-only, and `scratch`, a writable SQLite file), users made per test, and the authorization code flow
 * driven by hand — registration, /authorize, sign-in and consent (FormBrowser), /token — so each test can break
 * exactly one step and assert the precise refusal.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hashPassword } from '../../src/auth/password-hash.js';
import type { UserRole } from '../../src/store/user-store.js';
import { FormBrowser, pkcePair, TEST_PASSWORD } from './oauth-client.js';
import { startApp, type RunningApp } from './start-app.js';

export const REDIRECT_URI = 'http://127.0.0.1:8765/callback';

/** The app every security test file starts: `demo` (read-only demo data) and `scratch` (writable), OAuth on. */
export function startSecurityApp(auth: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<RunningApp> {
  return startApp({
    ...extra,
    auth: { mode: 'oauth', registrations_per_hour: 10_000, ...auth },
    environments: {
      demo: { database: 'sqlite:./demo.sqlite', demo: true },
      scratch: { database: 'sqlite:./scratch.sqlite', read_only: false },
    },
  });
}

let users = 0;
let passwordHash: Promise<string> | undefined;

/** A fresh user with these roles (its own name, so tests that remove or change users do not disturb others). */
export async function addUser(app: RunningApp, roles: UserRole[], prefix = 'user'): Promise<string> {
  const name = `${prefix}${++users}`;
  passwordHash ??= hashPassword(TEST_PASSWORD);
  await app.sqlgate.store!.users.add({ name, passwordHash: await passwordHash, roles });
  return name;
}

export const READ_DEMO: UserRole[] = [{ environment: 'demo', canWrite: false }];
export const WRITE_SCRATCH: UserRole[] = [{ environment: 'scratch', canWrite: true }];
export const READ_SCRATCH: UserRole[] = [{ environment: 'scratch', canWrite: false }];

/** PKCE pair (S256); the one in oauth-client.ts under the name these tests use. */
export const pkce = pkcePair;

export interface JsonResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
}

async function jsonOf(response: Response): Promise<JsonResponse> {
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { text };
  }
  return { status: response.status, body, headers: response.headers };
}

/** POST /register with `metadata` (defaults: a public client with the loopback redirect URI). */
export async function register(base: string, metadata: Record<string, unknown> = {}): Promise<JsonResponse> {
  return jsonOf(await fetch(`${base}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'attack test',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...metadata,
    }),
  }));
}

/** A registered client's id (and secret, for confidential ones); fails the test when registration is refused. */
export async function registerClient(base: string, metadata: Record<string, unknown> = {}): Promise<{ clientId: string; clientSecret?: string }> {
  const response = await register(base, metadata);
  if (response.status !== 201) throw new Error(`registration refused: ${response.status} ${JSON.stringify(response.body)}`);
  return { clientId: String(response.body.client_id), clientSecret: response.body.client_secret as string | undefined };
}

/** An /authorize URL; a parameter given as undefined is left out. */
export function authorizeUrl(base: string, params: Record<string, string | undefined>, path = '/authorize'): string {
  const url = new URL(`${base}${path}`);
  const all: Record<string, string | undefined> = {
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
    resource: `${base}/demo/mcp`,
    scope: 'sql:read',
    ...params,
  };
  for (const [key, value] of Object.entries(all)) if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}

export interface IssuedCode {
  readonly code: string;
  readonly verifier: string;
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly redirectUri: string;
}

/** Runs /authorize, sign-in and consent for `user`; returns the code the client's callback receives. */
export async function obtainCode(app: RunningApp, user: string, options: { environment?: string; scope?: string; clientId?: string; clientSecret?: string } = {}): Promise<IssuedCode> {
  const base = app.baseUrl;
  const client = options.clientId ? { clientId: options.clientId, clientSecret: options.clientSecret } : await registerClient(base);
  const { verifier, challenge } = pkce();
  const state = randomBytes(8).toString('hex');
  const callback = await new FormBrowser(base).authorize(authorizeUrl(base, {
    client_id: client.clientId,
    code_challenge: challenge,
    state,
    resource: `${base}/${options.environment ?? 'demo'}/mcp`,
    scope: options.scope ?? 'sql:read',
  }), user);
  const code = callback.searchParams.get('code');
  if (!code || callback.searchParams.get('state') !== state) throw new Error(`no code in ${callback.toString()}`);
  return { code, verifier, clientId: client.clientId, clientSecret: client.clientSecret, redirectUri: REDIRECT_URI };
}

/** POST /token with a form (and optional headers, e.g. Basic client authentication). */
export async function tokenRequest(base: string, form: Record<string, string | undefined>, headers: Record<string, string> = {}): Promise<JsonResponse> {
  const body = new URLSearchParams(Object.entries(form).filter((e): e is [string, string] => e[1] !== undefined));
  return jsonOf(await fetch(`${base}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body }));
}

/** The authorization_code exchange for an issued code (override any field). */
export function exchange(base: string, issued: IssuedCode, overrides: Record<string, string | undefined> = {}): Promise<JsonResponse> {
  return tokenRequest(base, {
    grant_type: 'authorization_code',
    code: issued.code,
    redirect_uri: issued.redirectUri,
    code_verifier: issued.verifier,
    client_id: issued.clientId,
    ...overrides,
  });
}

export interface Tokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly clientId: string;
}

/** The whole flow: tokens for `user` on `environment`; fails when anything along the way is refused. */
export async function signIn(app: RunningApp, user: string, options: { environment?: string; scope?: string } = {}): Promise<Tokens> {
  const issued = await obtainCode(app, user, options);
  const response = await exchange(app.baseUrl, issued);
  if (response.status !== 200) throw new Error(`token request refused: ${response.status} ${JSON.stringify(response.body)}`);
  return { accessToken: String(response.body.access_token), refreshToken: String(response.body.refresh_token), clientId: issued.clientId };
}

export function refresh(base: string, tokens: Pick<Tokens, 'refreshToken' | 'clientId'>): Promise<JsonResponse> {
  return tokenRequest(base, { grant_type: 'refresh_token', refresh_token: tokens.refreshToken, client_id: tokens.clientId });
}

export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'attack-test', version: '1' } },
};

export function executeSql(query: string) {
  return { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'execute_sql', arguments: { query } } };
}

/**
 * POST a JSON-RPC message to `/<environment>/mcp`. `authorization` is the whole header value (undefined: none);
 * `query` is appended to the URL as is.
 */
export async function mcp(base: string, environment: string, authorization: string | undefined, body: unknown = INITIALIZE, query = ''): Promise<JsonResponse & { text: string }> {
  const response = await fetch(`${base}/${environment}/mcp${query}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(authorization === undefined ? {} : { authorization }),
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // an event stream: the text is enough
  }
  return { status: response.status, body: parsed, headers: response.headers, text };
}

export const bearer = (token: string) => `Bearer ${token}`;

/** The challenge sqlgate sends with every 401 of an environment. */
export function resourceMetadataOf(base: string, environment: string): string {
  return `resource_metadata="${base}/.well-known/oauth-protected-resource/${environment}/mcp"`;
}
