/**
 * Negative tests of how clients come to exist: Dynamic Client Registration with redirect URIs that must be refused,
 * registrations that are too large or too many, and Client ID Metadata Document URLs that point into the network
 * behind sqlgate (SSRF). For the loopback case a real HTTPS server (with a certificate this process trusts) counts
 * the requests it gets: refused means no request arrived, and a second sqlgate with allow_private_metadata_fetch
 * shows that the same document is fetched when the protection is off.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormBrowser } from '../support/oauth-client.js';
import { authorizeUrl, pkce, register, REDIRECT_URI, startSecurityApp } from '../support/oauth-attack.js';
import type { RunningApp } from '../support/start-app.js';

let app: RunningApp;
let limited: RunningApp;
let permissive: RunningApp;
let certDir: string;
let metadataServer: https.Server;
let plainServer: http.Server;
/** Requests the metadata servers received (HTTPS and plain HTTP). */
const received: string[] = [];
let metadataPort: number;
let plainPort: number;

beforeAll(async () => {
  certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-cimd-'));
  const certFile = path.join(certDir, 'cert.pem');
  const keyFile = path.join(certDir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  const cert = fs.readFileSync(certFile, 'utf8');
  // Trust the certificate in this process, so a refused fetch is refused by the SSRF check, not by TLS.
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), cert]);
  const serve = (req: http.IncomingMessage, res: http.ServerResponse, origin: string) => {
    received.push(`${origin}${req.url}`);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({
      client_id: `${origin}${req.url}`,
      client_name: 'metadata document client',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }));
  };
  metadataServer = https.createServer({ cert, key: fs.readFileSync(keyFile) }, (req, res) => serve(req, res, `https://${req.headers.host}`));
  await new Promise<void>((resolve) => metadataServer.listen(0, '127.0.0.1', resolve));
  metadataPort = (metadataServer.address() as AddressInfo).port;
  plainServer = http.createServer((req, res) => serve(req, res, `http://${req.headers.host}`));
  await new Promise<void>((resolve) => plainServer.listen(0, '127.0.0.1', resolve));
  plainPort = (plainServer.address() as AddressInfo).port;

  [app, limited, permissive] = await Promise.all([
    startSecurityApp(),
    startSecurityApp({ registrations_per_hour: 3 }),
    startSecurityApp({ allow_private_metadata_fetch: true }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([app?.stop(), limited?.stop(), permissive?.stop()]);
  metadataServer?.close();
  plainServer?.close();
  if (certDir) fs.rmSync(certDir, { recursive: true, force: true });
});

describe('Dynamic Client Registration refuses redirect URIs', () => {
  const refused: [string, string, string][] = [
    ['an https host not in allowed_redirects', 'https://evil.example/cb', 'is not an allowed redirect'],
    ['a host that only starts like an allowed one', 'https://claude.ai.evil.example/api/mcp/auth_callback', 'is not an allowed redirect'],
    ['javascript:', 'javascript:alert(document.cookie)', 'uses javascript:'],
    ['data:', 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==', 'uses data:'],
    ['data: with markup', 'data:text/html,<script>alert(1)</script>', 'contains characters that are not allowed'],
    ['plain http to a non-loopback host', 'http://evil.example/cb', 'uses http:'],
    ['plain http to a name that merely starts with localhost', 'http://localhost.evil.example/cb', 'uses http:'],
    ['a fragment', 'http://127.0.0.1:8765/callback#fragment', 'has a fragment'],
    ['user information before the real host', 'https://claude.ai@evil.example/', 'contains user information'],
    ['user information with an allowed-looking path', 'https://claude.ai@evil.example/api/mcp/auth_callback', 'contains user information'],
  ];

  for (const [what, uri, reason] of refused) {
    it(`refuses ${what} (${uri})`, async () => {
      const response = await register(app.baseUrl, { redirect_uris: [uri] });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_redirect_uri');
      expect(String(response.body.error_description)).toContain(reason);
      expect(response.body.client_id).toBeUndefined();
    });
  }

  it('refuses a registration when only one of several redirect URIs is bad', async () => {
    const response = await register(app.baseUrl, { redirect_uris: [REDIRECT_URI, 'https://evil.example/cb'] });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_redirect_uri');
    expect(String(response.body.error_description)).toContain('https://evil.example/cb');
  });

  it('accepts what the policy allows (Claude\'s callback and loopback), so the refusals above are the policy', async () => {
    const response = await register(app.baseUrl, { redirect_uris: ['https://claude.ai/api/mcp/auth_callback', 'http://localhost:33418/cb'] });
    expect(response.status).toBe(201);
    expect(response.body.client_id).toBeTruthy();
  });
});

describe('Dynamic Client Registration is bounded', () => {
  it('refuses a registration larger than 16 KB with 413 before parsing it', async () => {
    const response = await register(app.baseUrl, { client_name: 'x'.repeat(17 * 1024) });
    expect(response.status).toBe(413);
    expect(response.body.error).toBe('invalid_client_metadata');
    expect(response.headers.get('connection')).toBe('close');
  });

  // The size check reads Content-Length; a chunked body has none and used to be read up to oidc-provider's 56 KB.
  it('refuses a registration sent without Content-Length (chunked) with 411, so the size limit cannot be dodged', async () => {
    const payload = JSON.stringify({ redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none', client_name: 'x'.repeat(20 * 1024) });
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(`${app.baseUrl}/register`);
      let answered = false;
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        answered = true;
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      // The server may close the connection while the rest of the body is still being sent.
      req.on('error', (err) => (answered ? undefined : reject(err)));
      for (let i = 0; i < payload.length; i += 4_096) req.write(payload.slice(i, i + 4_096));
      req.end();
    });
    expect(response.status).toBe(411);
    expect(JSON.parse(response.body).error).toBe('invalid_request');
  });

  it('refuses registrations over registrations_per_hour from one address with 429, on every registration path', async () => {
    for (let i = 0; i < 3; i++) expect((await register(limited.baseUrl)).status).toBe(201);
    const over = await register(limited.baseUrl);
    expect(over.status).toBe(429);
    expect(over.body.error).toBe('too_many_requests');
    expect(over.headers.get('retry-after')).toBe('3600');
    const viaEnvironment = await fetch(`${limited.baseUrl}/demo/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' }),
    });
    expect(viaEnvironment.status).toBe(429);
  });
});

describe('Client ID Metadata Documents are not fetched from inside the network', () => {
  /** Opens /authorize with `clientId` on `target` and returns the page it ends on. */
  const authorizeAs = (target: RunningApp, clientId: string) =>
    new FormBrowser(target.baseUrl).open(authorizeUrl(target.baseUrl, { client_id: clientId, code_challenge: pkce().challenge }));

  const expectRefused = (page: { status: number; url: string; body: string }, base: string) => {
    expect(page.status).toBe(400);
    expect(page.url.startsWith(base)).toBe(true);
    expect(page.body).toContain('invalid_client');
    expect(page.body).not.toContain('/login"');
  };

  it('refuses a metadata document on a loopback address, and no request reaches it', async () => {
    const clientId = `https://127.0.0.1:${metadataPort}/loopback.json`;
    expectRefused(await authorizeAs(app, clientId), app.baseUrl);
    expect(received.filter((r) => r.includes('/loopback.json'))).toEqual([]);
    // Control: with the protection switched off the same document is fetched and the sign-in page appears.
    const allowed = await authorizeAs(permissive, clientId);
    expect(allowed.status).toBe(200);
    expect(allowed.body).toContain('/login"');
    expect(received.filter((r) => r.includes('/loopback.json'))).toHaveLength(1);
  });

  it('refuses a host name that resolves to loopback (localhost), and no request reaches it', async () => {
    expectRefused(await authorizeAs(app, `https://localhost:${metadataPort}/by-name.json`), app.baseUrl);
    expect(received.filter((r) => r.includes('/by-name.json'))).toEqual([]);
  });

  // Nothing listens on these here, so these show the refusal, not which check made it; the loopback tests above
  // show that the check runs on the address connected to.
  for (const [what, clientId] of [
    ['a private 10.x address', 'https://10.0.0.1/client.json'],
    ['a private 192.168.x address', 'https://192.168.1.1/client.json'],
    ['the link-local cloud metadata address', 'https://169.254.169.254/latest/meta-data/client.json'],
  ] as const) {
    it(`refuses a metadata document on ${what}`, async () => {
      expectRefused(await authorizeAs(app, clientId), app.baseUrl);
    });
  }

  it('treats an http:// client_id as no metadata document at all, and fetches nothing', async () => {
    expectRefused(await authorizeAs(app, `http://127.0.0.1:${plainPort}/plain.json`), app.baseUrl);
    expectRefused(await authorizeAs(permissive, `http://127.0.0.1:${plainPort}/plain.json`), permissive.baseUrl);
    expect(received.filter((r) => r.includes('/plain.json'))).toEqual([]);
  });
});
