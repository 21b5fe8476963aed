/**
 * Sign-in and consent in a real browser: Debian's chromium, driven by playwright-core (which never downloads a
 * browser; CI installs chromium with apt, see .ci/run). What the fetch-based FormBrowser of oauth-flow.test.ts
 * cannot check: that the pages render under their own CSP (nonce'd style, form-action that Chrome also applies to
 * the redirect after a form post), that a browser's cookie rules keep the interaction going, that the pages load
 * nothing from elsewhere, and that they cannot be framed.
 *
 * Screenshots go to test-artifacts/oauth-browser/ (ignored by git).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { chromium, type Browser, type BrowserContext, type Locator, type Page, type Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/password-hash.js';
import { TEST_PASSWORD, TestOAuthProvider } from '../support/oauth-client.js';
import { startApp, type RunningApp } from '../support/start-app.js';

const CHROMIUM = '/usr/bin/chromium';
const CLIENT_NAME = 'Browser E2E Client';
const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/oauth-browser');

/** Stands in for the MCP client's loopback redirect listener; also serves a page that tries to frame sqlgate. */
class CallbackServer {
  readonly received: URLSearchParams[] = [];
  private readonly waiters: Array<(query: URLSearchParams) => void> = [];
  private readonly server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/callback') {
      this.received.push(url.searchParams);
      this.waiters.shift()?.(url.searchParams);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!DOCTYPE html><html lang="en"><title>Signed in</title><p>Authorization finished. You can close this window.</p></html>');
      return;
    }
    if (req.method === 'GET' && url.pathname === '/frame') {
      const src = (url.searchParams.get('src') ?? '').replace(/&/g, '&amp;').replace(/"/g, '&quot;');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!DOCTYPE html><html lang="en"><title>Framing attempt</title>
        <body><h1>Another site</h1>
        <iframe id="target" src="${src}" width="600" height="500" onload="document.body.dataset.loaded = 'yes'"></iframe></body></html>`);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/favicon.ico') {
      res.writeHead(204); // as a real client's listener would: the browser asks beside the callback page
      res.end();
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });

  origin = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get redirectUrl(): string {
    return `${this.origin}/callback`;
  }

  /** The query of the next GET /callback; call it before the click that leads there. */
  next(timeoutMs = 30_000): Promise<URLSearchParams> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no request to ${this.redirectUrl} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((query) => {
        clearTimeout(timer);
        resolve(query);
      });
    });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let app: RunningApp;
let callbacks: CallbackServer;
let browser: Browser;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `The real-browser OAuth test needs Debian's chromium at ${CHROMIUM}, and it is not installed. ` +
        'Install it with `sudo apt-get install -y chromium` (CI does this in .ci/run). Do not run `npx playwright install`.',
    );
  }
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  app = await startApp({
    auth: { mode: 'oauth' },
    environments: {
      demo: { database: 'sqlite:./demo.sqlite', demo: true },
    },
  });
  await app.sqlgate.store!.users.add({ name: 'alice', passwordHash: await hashPassword(TEST_PASSWORD), roles: [{ environment: 'demo', canWrite: false }] });
  callbacks = new CallbackServer();
  await callbacks.start();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await callbacks?.stop();
  await app?.stop();
}, 60_000);

/** Registers a client with the official MCP client and returns the authorization URL it would open. */
async function startAuthorization(): Promise<{ provider: TestOAuthProvider; mcpUrl: URL; authorizationUrl: URL }> {
  const provider = new TestOAuthProvider({ redirectUrl: callbacks.redirectUrl, clientName: CLIENT_NAME });
  const mcpUrl = new URL(`${app.baseUrl}/demo/mcp`);
  const client = new Client({ name: 'oauth-browser-test', version: '1.0.0' });
  await expect(client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }))).rejects.toBeInstanceOf(UnauthorizedError);
  expect(provider.authorizationUrl).toBeDefined();
  return { provider, mcpUrl, authorizationUrl: provider.authorizationUrl! };
}

/** A fresh browser profile (no cookies) whose page records every request, document response and console error. */
async function openPage(): Promise<{ context: BrowserContext; page: Page; requests: string[]; documents: Response[]; consoleErrors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 800, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const requests: string[] = [];
  const documents: Response[] = [];
  const consoleErrors: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('response', (response) => {
    if (response.request().resourceType() === 'document') documents.push(response);
  });
  page.on('console', (message) => {
    // With the URL it came from, so a failure names the resource.
    if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  return { context, page, requests, documents, consoleErrors };
}

function expectNoFraming(response: Response | null | undefined): void {
  expect(response, 'a page response').toBeTruthy();
  const headers = response!.headers();
  expect(headers['content-security-policy'], `CSP of ${response!.url()}`).toContain("frame-ancestors 'none'");
  expect(headers['x-frame-options'], `X-Frame-Options of ${response!.url()}`).toBe('DENY');
}

/** The sqlgate pages that were shown (not redirects), in order. */
function shownPages(documents: Response[]): Response[] {
  return documents.filter((r) => r.url().startsWith(app.baseUrl) && (r.status() < 300 || r.status() >= 400));
}

/** An element's computed background colour, read in the page (this project's tsconfig has no DOM lib). */
function backgroundOf(locator: Locator): Promise<string> {
  type Window = { getComputedStyle(element: unknown): { backgroundColor: string } };
  return locator.evaluate((element) => (globalThis as unknown as Window).getComputedStyle(element).backgroundColor);
}

async function signIn(page: Page, password = TEST_PASSWORD): Promise<void> {
  await page.getByLabel('User name').fill('alice');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Waits for the consent page; fails at once with the page's error when sqlgate showed one instead. */
async function waitForConsent(page: Page): Promise<void> {
  const consent = page.getByRole('heading', { name: 'Allow access?' });
  await consent.or(page.getByRole('alert')).first().waitFor();
  if (!(await consent.isVisible())) {
    throw new Error(`expected the consent page, got ${page.url()} saying: ${await page.getByRole('alert').first().textContent()}`);
  }
}

describe('OAuth sign-in and consent in chromium', () => {
  it('signs in (after a wrong password), consents, and the code it returns gets a working token', async () => {
    const { provider, mcpUrl, authorizationUrl } = await startAuthorization();
    const { context, page, requests, documents, consoleErrors } = await openPage();
    try {
      // Sign-in page.
      const loginResponse = await page.goto(authorizationUrl.toString());
      expect(loginResponse?.status()).toBe(200);
      expect(new URL(page.url()).pathname).toMatch(/^\/interaction\/[^/]+$/);
      await expect(page.title()).resolves.toBe('Sign in · sqlgate');
      await expect(page.getByRole('heading', { name: 'Sign in to sqlgate' }).isVisible()).resolves.toBe(true);
      await expect(page.getByLabel('User name').isVisible()).resolves.toBe(true);
      await expect(page.getByLabel('Password').getAttribute('type')).resolves.toBe('password');
      await expect(page.getByText(CLIENT_NAME, { exact: true }).isVisible()).resolves.toBe(true);
      await expect(page.locator('.meta strong').textContent()).resolves.toBe(new URL(callbacks.redirectUrl).host);
      await expect(page.getByText('to use the environment').textContent()).resolves.toContain('demo');
      // The nonce'd style block applies (a CSP that blocked it would leave the button unstyled).
      await expect(backgroundOf(page.getByRole('button', { name: 'Sign in' }))).resolves.toBe('rgb(31, 95, 191)');
      expectNoFraming(loginResponse);
      await page.screenshot({ path: path.join(ARTIFACTS, 'login.png'), fullPage: true });

      // A wrong password: the same form again, with the error announced.
      await signIn(page, 'not the password');
      await page.getByRole('alert').waitFor();
      await expect(page.getByRole('alert').textContent()).resolves.toBe('Wrong user name or password.');
      await expect(page.title()).resolves.toBe('Sign in · sqlgate');
      await expect(page.getByLabel('User name').inputValue()).resolves.toBe('alice');
      const errorResponse = shownPages(documents).at(-1);
      expect(errorResponse?.status()).toBe(401);
      expectNoFraming(errorResponse);
      await page.screenshot({ path: path.join(ARTIFACTS, 'login-wrong-password.png'), fullPage: true });

      // The right password: the consent page.
      await signIn(page);
      await waitForConsent(page);
      await expect(page.title()).resolves.toBe('Allow access · sqlgate');
      await expect(page.locator('.who').textContent()).resolves.toBe('Signed in as alice.');
      await expect(page.getByText('to use the environment').locator('strong').allTextContents()).resolves.toEqual([CLIENT_NAME, 'demo']);
      const scopes = await page.locator('.scopes li strong').allTextContents();
      expect(scopes).toEqual(['sql:read']); // alice may only read demo
      await expect(page.getByText(CLIENT_NAME, { exact: true }).isVisible()).resolves.toBe(true);
      await expect(page.getByRole('button', { name: 'Allow' }).isVisible()).resolves.toBe(true);
      await expect(page.getByRole('button', { name: 'Deny' }).isVisible()).resolves.toBe(true);
      const consentResponse = shownPages(documents).at(-1);
      expect(consentResponse?.status()).toBe(200);
      expect(new URL(consentResponse!.url()).pathname).toMatch(/^\/interaction\/[^/]+$/);
      expectNoFraming(consentResponse);
      await page.screenshot({ path: path.join(ARTIFACTS, 'consent.png'), fullPage: true });

      // Allow: the browser is sent to the client's callback with the code.
      const callback = callbacks.next();
      await page.getByRole('button', { name: 'Allow' }).click();
      const query = await callback;
      await page.waitForURL((url) => url.toString().startsWith(callbacks.redirectUrl));
      expect(query.get('code')).toBeTruthy();
      expect(query.get('state')).toBeTruthy();
      expect(query.get('iss')).toBe(app.baseUrl);
      expect(query.get('error')).toBeNull();

      // Every sqlgate page shown was unframeable; nothing was loaded from anywhere but sqlgate and the callback.
      expect(shownPages(documents).length).toBeGreaterThanOrEqual(3);
      for (const response of shownPages(documents)) expectNoFraming(response);
      const origins = new Set(requests.map((url) => new URL(url).origin));
      expect([...origins].sort()).toEqual([app.baseUrl, callbacks.origin].sort());
      expect(consoleErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);

      // The code is good: exchange it and call a tool.
      const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
      await transport.finishAuth(query);
      expect(provider.savedTokens?.access_token).toBeTruthy();
      const client = new Client({ name: 'oauth-browser-test', version: '1.0.0' });
      await client.connect(transport);
      const result = await client.callTool({ name: 'list_tables', arguments: {} });
      expect(result.isError).toBeFalsy();
      expect(JSON.stringify(result.content)).toContain('customers');
      await client.close();
    } finally {
      await context.close();
    }
  }, 60_000);

  it('Deny on the consent page sends the browser back to the client with access_denied', async () => {
    const { authorizationUrl } = await startAuthorization();
    const { context, page, requests } = await openPage();
    try {
      await page.goto(authorizationUrl.toString());
      await signIn(page);
      await waitForConsent(page);

      const callback = callbacks.next();
      await page.getByRole('button', { name: 'Deny' }).click();
      const query = await callback;
      await page.waitForURL((url) => url.toString().startsWith(callbacks.redirectUrl));
      expect(query.get('error')).toBe('access_denied');
      expect(query.get('code')).toBeNull();
      expect(query.get('state')).toBeTruthy();
      expect(query.get('iss')).toBe(app.baseUrl);
      await page.screenshot({ path: path.join(ARTIFACTS, 'denied-callback.png'), fullPage: true });

      const origins = new Set(requests.map((url) => new URL(url).origin));
      expect([...origins].sort()).toEqual([app.baseUrl, callbacks.origin].sort());
    } finally {
      await context.close();
    }
  }, 60_000);

  it('the sign-in page cannot be framed by another site', async () => {
    const { authorizationUrl } = await startAuthorization();
    const { context, page, documents } = await openPage();
    try {
      // The framing page is on the callback server: same site as sqlgate (127.0.0.1), another origin (port), so
      // the SameSite=Lax interaction cookie is sent and, were it not for the headers, the form would render.
      await page.goto(`${callbacks.origin}/frame?src=${encodeURIComponent(authorizationUrl.toString())}`);
      await page.locator('body[data-loaded="yes"]').waitFor({ state: 'attached' }); // the iframe's load event fired

      // sqlgate did serve the sign-in page into the frame…
      const served = documents.find((r) => r.url().startsWith(`${app.baseUrl}/interaction/`) && r.status() === 200);
      expect(served, 'the framed request reached the sign-in page').toBeTruthy();
      expect(served!.headers()['content-type']).toContain('text/html');
      expectNoFraming(served);
      // (Its body cannot be read back here: chromium discards a response it refused to render.)

      // …and chromium refused to show it: the frame holds an error page, not the form.
      const frame = page.frames().find((f) => f.parentFrame() === page.mainFrame());
      expect(frame, 'the iframe').toBeTruthy();
      await expect(frame!.locator('input[name="password"]').count()).resolves.toBe(0);
      await expect(frame!.content()).resolves.not.toContain('Sign in to sqlgate');
      expect(frame!.url()).not.toMatch(/^http:\/\/127\.0\.0\.1:\d+\/interaction\//);
      await page.screenshot({ path: path.join(ARTIFACTS, 'framing-blocked.png'), fullPage: true });
    } finally {
      await context.close();
    }
  }, 60_000);
});
