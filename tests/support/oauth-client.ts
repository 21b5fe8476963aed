/**
 * OAuth test helpers: an OAuthClientProvider for the official MCP client (what Claude Desktop/Code do), and a
 * form-filling "browser" (fetch + a cookie jar, redirects followed by hand) that signs in and consents on
 * sqlgate's pages the way a person would. The real-browser test (tests/e2e/oauth-browser.test.ts) covers what
 * this cannot: rendering, CSP and a real browser's cookie rules.
 */
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

/** A minimal browser: keeps cookies per host, follows redirects within the server, stops at any other origin. */
export class FormBrowser {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly serverOrigin: string) {}

  /** GET (or POST a form) and follow redirects on the server; returns the last response, or the foreign redirect. */
  async open(url: string, form?: Record<string, string>, extraHeaders: Record<string, string> = {}): Promise<PageResponse> {
    let method = form ? 'POST' : 'GET';
    let body: string | undefined = form ? new URLSearchParams(form).toString() : undefined;
    let current = url;
    for (let hop = 0; hop < 10; hop++) {
      const response = await fetch(current, {
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
