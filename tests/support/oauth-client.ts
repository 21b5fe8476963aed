/**
 * OAuth test helpers: an OAuthClientProvider for the official MCP client (what Claude Desktop/Code do), and a
 * form-filling "browser" (fetch + a cookie jar, redirects followed by hand) that signs in and consents on
 * sqlgate's pages the way a person would. The real-browser test (tests/e2e/oauth-browser.test.ts) covers what
 * this cannot: rendering, CSP and a real browser's cookie rules.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthClientProvider, OAuthTokens } from '@modelcontextprotocol/client';

export const TEST_PASSWORD = 'correct horse battery staple';

export class TestOAuthProvider implements OAuthClientProvider {
  authorizationUrl: URL | undefined;
  savedTokens: OAuthTokens | undefined;
  information: OAuthClientInformationMixed | undefined;
  private verifier = '';

  constructor(
    private readonly options: {
      redirectUrl?: string;
      clientName?: string;
      authMethod?: 'none' | 'client_secret_post' | 'client_secret_basic';
      clientMetadataUrl?: string;
      scope?: string;
    } = {},
  ) {}

  get redirectUrl(): string {
    return this.options.redirectUrl ?? 'http://127.0.0.1:8765/callback';
  }

  get clientMetadataUrl(): string | undefined {
    return this.options.clientMetadataUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.options.clientName ?? 'sqlgate test client',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: this.options.authMethod ?? 'none',
      ...(this.options.scope ? { scope: this.options.scope } : {}),
    };
  }

  /** The last `state` sent; a client checks the callback echoes it. */
  lastState = '';

  state() {
    this.lastState = randomBytes(12).toString('base64url');
    return this.lastState;
  }

  clientInformation() {
    return this.information;
  }

  saveClientInformation(information: OAuthClientInformationMixed) {
    this.information = information;
  }

  tokens() {
    return this.savedTokens;
  }

  saveTokens(tokens: OAuthTokens) {
    this.savedTokens = tokens;
  }

  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }

  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }

  codeVerifier() {
    return this.verifier;
  }
}

export interface PageResponse {
  readonly status: number;
  readonly url: string;
  readonly body: string;
  readonly headers: Headers;
}

/**
 * A minimal browser: keeps cookies per host, follows redirects within the server, stops at any other origin.
 * With `via`, every request for the server goes to that origin instead (a proxy of the test's that forwards to the
 * server), while URLs, redirects and cookies stay the server's.
 */
export class FormBrowser {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly serverOrigin: string, private readonly via?: string) {}

  /** GET (or POST a form) and follow redirects on the server; returns the last response, or the foreign redirect. */
  async open(url: string, form?: Record<string, string>, extraHeaders: Record<string, string> = {}): Promise<PageResponse> {
    let method = form ? 'POST' : 'GET';
    let body: string | undefined = form ? new URLSearchParams(form).toString() : undefined;
    let current = url;
    for (let hop = 0; hop < 10; hop++) {
      const response = await fetch(routed(current, this.serverOrigin, this.via), {
        method,
        body,
        redirect: 'manual',
        headers: {
          ...(body ? { 'content-type': 'application/x-www-form-urlencoded', origin: this.serverOrigin } : {}),
          ...(this.cookieHeader() ? { cookie: this.cookieHeader() } : {}),
          ...extraHeaders,
        },
      });
      for (const cookie of response.headers.getSetCookie()) this.store(cookie);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        const next = new URL(location, current);
        if (next.origin !== this.serverOrigin) return { status: response.status, url: next.toString(), body: '', headers: response.headers };
        current = next.toString();
        method = 'GET';
        body = undefined;
        continue;
      }
      return { status: response.status, url: current, body: await response.text(), headers: response.headers };
    }
    throw new Error('too many redirects');
  }

  /** Signs in (when asked) and allows; returns the redirect to the client's callback. */
  async authorize(authorizationUrl: URL | string, user: string, password = TEST_PASSWORD, decision: 'confirm' | 'abort' = 'confirm'): Promise<URL> {
    let page = await this.open(String(authorizationUrl));
    for (let step = 0; step < 3; step++) {
      if (!page.url.startsWith(this.serverOrigin)) return new URL(page.url);
      if (page.status !== 200) throw new Error(`unexpected page ${page.status} at ${page.url}: ${page.body.slice(0, 500)}`);
      const csrf = csrfOf(page.body);
      const uid = /\/interaction\/([^/"]+)\//.exec(page.body)?.[1];
      if (!uid) throw new Error(`no interaction form on ${page.url}: ${page.body.slice(0, 500)}`);
      if (page.body.includes('/login"')) {
        page = await this.open(`${this.serverOrigin}/interaction/${uid}/login`, { csrf, username: user, password });
      } else {
        page = await this.open(`${this.serverOrigin}/interaction/${uid}/${decision}`, { csrf });
      }
    }
    if (!page.url.startsWith(this.serverOrigin)) return new URL(page.url);
    throw new Error(`the flow did not finish: ${page.status} ${page.url} ${page.body.slice(0, 500)}`);
  }

  cookieHeader(): string {
    return [...this.cookies.entries()].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private store(setCookie: string): void {
    const [pair] = setCookie.split(';');
    const index = pair!.indexOf('=');
    const name = pair!.slice(0, index).trim();
    const value = pair!.slice(index + 1).trim();
    if (value === '' || /expires=Thu, 01 Jan 1970/i.test(setCookie)) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}

export function csrfOf(html: string): string {
  return /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
}

/** PKCE pair (RFC 7636, S256). */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface RawTokens {
  readonly access_token: string;
  readonly refresh_token?: string;
  readonly scope?: string;
  readonly expires_in?: number;
  readonly token_type: string;
}

/** `url` sent to `via` instead of `origin` (unchanged without `via`, or for another origin). */
function routed(url: string, origin: string, via: string | undefined): string {
  return via !== undefined && url.startsWith(`${origin}/`) ? `${via}${url.slice(origin.length)}` : url;
}

export interface AuthorizationCodeOptions {
  user: string;
  password?: string;
  resource?: string;
  scope?: string;
  authorizePath?: string;
  redirectUri?: string;
  /** An origin that forwards to `base` (a proxy port of the test's): every request goes there (see FormBrowser). */
  via?: string;
}

/**
 * The authorization code flow by hand (no MCP client) up to the code: registers a public client by DCR and
 * authorizes through sqlgate's pages as `user`. `authorizePath` lets a test use /<env>/authorize.
 */
export async function obtainAuthorizationCode(base: string, options: AuthorizationCodeOptions): Promise<{
  code: string; verifier: string; clientId: string; redirectUri: string; browser: FormBrowser;
}> {
  const redirectUri = options.redirectUri ?? 'http://127.0.0.1:8765/callback';
  const registration = await postJson(routed(`${base}/register`, base, options.via), {
    client_name: 'raw test client', redirect_uris: [redirectUri], grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'], token_endpoint_auth_method: 'none',
  });
  if (registration.status !== 201) throw new Error(`registration failed: ${registration.status} ${JSON.stringify(registration.body)}`);
  const clientId = registration.body.client_id as string;
  const { verifier, challenge } = pkcePair();
  const query = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: 'S256', state: 'state-1' });
  if (options.resource) query.set('resource', options.resource);
  if (options.scope) query.set('scope', options.scope);
  const browser = new FormBrowser(base, options.via);
  const callback = await browser.authorize(`${base}${options.authorizePath ?? '/authorize'}?${query}`, options.user, options.password);
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code: ${callback}`);
  return { code, verifier, clientId, redirectUri, browser };
}

/** The authorization code flow by hand (no MCP client): obtainAuthorizationCode, then the code exchanged. */
export async function obtainTokens(base: string, options: AuthorizationCodeOptions & {
  /** Where to exchange the code; default `${base}/token`. A test of several instances pins it to one of them. */
  tokenUrl?: string;
}): Promise<RawTokens & { clientId: string; browser: FormBrowser }> {
  const { code, verifier, clientId, redirectUri, browser } = await obtainAuthorizationCode(base, options);
  const tokenUrl = options.tokenUrl ?? routed(`${base}/token`, base, options.via);
  const tokens = await postForm(tokenUrl, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, client_id: clientId });
  if (tokens.status !== 200) throw new Error(`token request failed: ${tokens.status} ${JSON.stringify(tokens.body)}`);
  return { ...(tokens.body as unknown as RawTokens), clientId, browser };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, any>; headers: Headers }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, any>, headers: response.headers };
}

export async function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, any>; headers: Headers }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });
  return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, any>, headers: response.headers };
}

/** One JSON-RPC call to an MCP endpoint (stateless 2025 era), with an optional bearer token. */
export async function mcpCall(url: string, token: string | undefined, method: string, params: Record<string, unknown> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const text = await response.text();
  const data = text.startsWith('{') ? text : /^data: (.*)$/m.exec(text)?.[1];
  return { status: response.status, body: data ? JSON.parse(data) : text, headers: response.headers };
}
