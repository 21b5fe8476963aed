/**
 * Client ID Metadata Document fetches must not touch the network behind sqlgate (SSRF). It is not enough that
 * the document is refused: a connection that is opened and then dropped (oidc-provider's own check ran after the
 * TLS handshake) lets anyone map internal ports by timing the error. So these tests count TCP connections, not
 * HTTP requests: a plain TCP listener on loopback counts every connection it accepts, a client_id names it in
 * every spelling of a loopback address, and a refusal must leave the count at zero. A second sqlgate with
 * allow_private_metadata_fetch reaches the same listener through the same spelling, which shows that the spelling
 * really leads there (so a zero is the check's doing, not an unreachable address).
 */
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormBrowser } from '../support/oauth-client.js';
import { authorizeUrl, pkce, REDIRECT_URI, startSecurityApp } from '../support/oauth-attack.js';
import type { RunningApp } from '../support/start-app.js';
import { createTestCertificate, type TestCertificate } from '../support/tls-test-endpoint.js';

/** A loopback TCP listener that counts the connections it accepts and closes each at once. */
interface CountingListener {
  readonly port: number;
  connections: number;
  close(): Promise<void>;
}

async function countingListener(host: string, port = 0): Promise<CountingListener> {
  const server = net.createServer((socket) => {
    listener.connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const listener: CountingListener = {
    port: (server.address() as net.AddressInfo).port,
    connections: 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return listener;
}

let app: RunningApp;
let permissive: RunningApp;
let ipv4: CountingListener;
let ipv6: CountingListener | undefined;
let certificate: TestCertificate;
let documentServer: https.Server;
let documentOrigin: string;
/** Paths the HTTPS document server was asked for. */
const requested: string[] = [];
const defaultCas = tls.getCACertificates('default');

beforeAll(async () => {
  // An HTTPS server for "localhost" whose certificate this process trusts: /big.json is over oidc-provider's 5 KB
  // limit, /hang never answers, anything else is a valid metadata document.
  certificate = createTestCertificate('sqlgate-cimd-limits-');
  tls.setDefaultCACertificates([...defaultCas, certificate.cert.toString()]);
  documentServer = https.createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    requested.push(req.url ?? '');
    if (req.url === '/hang.json') return;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({
      client_id: `${documentOrigin}${req.url}`,
      client_name: 'metadata document client',
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'none',
      ...(req.url === '/big.json' ? { padding: 'x'.repeat(6 * 1024) } : {}),
    }));
  });
  await new Promise<void>((resolve) => documentServer.listen(0, '127.0.0.1', resolve));
  documentOrigin = `https://localhost:${(documentServer.address() as net.AddressInfo).port}`;
  ipv4 = await countingListener('127.0.0.1');
  try {
    ipv6 = await countingListener('::1');
  } catch {
    console.warn('oauth-metadata-fetch: no ::1 on this machine, the IPv6 loopback spellings are skipped');
  }
  [app, permissive] = await Promise.all([startSecurityApp(), startSecurityApp({ allow_private_metadata_fetch: true })]);
}, 60_000);

afterAll(async () => {
  documentServer?.closeAllConnections();
  documentServer?.close();
  await Promise.all([app?.stop(), permissive?.stop(), ipv4?.close(), ipv6?.close()]);
  certificate?.remove();
  tls.setDefaultCACertificates(defaultCas);
});

/** Opens /authorize on `target` with `clientId` as the client and returns the page it ends on. */
const authorizeAs = (target: RunningApp, clientId: string) =>
  new FormBrowser(target.baseUrl).open(authorizeUrl(target.baseUrl, { client_id: clientId, code_challenge: pkce().challenge }));

/** The answer for a metadata document that cannot be fetched, whatever the reason (no hint of why). */
const expectRefused = (page: { status: number; url: string; body: string }, base: string) => {
  expect(page.status).toBe(400);
  expect(page.url.startsWith(base)).toBe(true);
  expect(page.body).toContain('<strong>invalid_client</strong>: client_id metadata document fetch failed');
  expect(page.body).not.toContain('/login"');
};

// The WHATWG URL parser turns all of these into 127.0.0.1 (or a name that resolves to it, or 0.0.0.0, which
// Linux connects to the local host). Not `localhost.`: /etc/hosts may not know it, and then it is a DNS query.
const IPV4_LOOPBACK_SPELLINGS = [
  '127.0.0.1', '127.1', '2130706433', '0x7f000001', '0177.0.0.1', '0x7f.1', '127.0.0.1.',
  '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[0:0:0:0:0:ffff:7f00:1]',
  'localhost', 'LOCALHOST', '0.0.0.0', '0',
];
const IPV6_LOOPBACK_SPELLINGS = ['[::1]', '[0:0:0:0:0:0:0:1]', '[::]'];

describe('a Client ID Metadata Document on a loopback address is refused before any connection', () => {
  const cases = [
    ...IPV4_LOOPBACK_SPELLINGS.map((host) => ({ host, listener: () => ipv4 })),
    ...IPV6_LOOPBACK_SPELLINGS.map((host) => ({ host, listener: () => ipv6 })),
  ];
  let serial = 0;

  for (const { host, listener } of cases) {
    it(`https://${host}:<port>/ opens no connection, and is reachable when private fetches are allowed`, async (context) => {
      const target = listener();
      if (!target) return context.skip();
      const clientId = `https://${host}:${target.port}/client-${++serial}.json`;
      const before = target.connections;
      expectRefused(await authorizeAs(app, clientId), app.baseUrl);
      expect(target.connections).toBe(before);

      // Control: with the protection off the same spelling reaches the listener (which speaks no TLS, so the
      // fetch still fails, with the same answer).
      expectRefused(await authorizeAs(permissive, clientId), permissive.baseUrl);
      expect(target.connections).toBeGreaterThan(before);
    });
  }

  it('answers a refused metadata document at the token endpoint as before, with no connection', async () => {
    const before = ipv4.connections;
    const response = await fetch(`${app.baseUrl}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x', client_id: `https://127.1:${ipv4.port}/token.json` }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_client', error_description: 'client_id metadata document fetch failed' });
    expect(ipv4.connections).toBe(before);
  });
});

describe('oidc-provider\'s limits still apply to metadata document fetches', () => {
  it('fetches a document once and serves the client from its cache afterwards', async () => {
    const clientId = `${documentOrigin}/cached.json`;
    for (let i = 0; i < 2; i++) {
      const page = await authorizeAs(permissive, clientId);
      expect(page.status).toBe(200);
      expect(page.body).toContain('/login"');
    }
    expect(requested.filter((r) => r === '/cached.json')).toHaveLength(1);
  });

  it('refuses a document over the 5 KB size limit', async () => {
    expectRefused(await authorizeAs(permissive, `${documentOrigin}/big.json`), permissive.baseUrl);
    expect(requested).toContain('/big.json');
  });

  // oidc-provider looks the client up twice on this error path (as it did with the global fetch), so 2 × 2.5 s.
  it('gives up on a server that does not answer after oidc-provider\'s 2.5 s timeout', async () => {
    const started = Date.now();
    expectRefused(await authorizeAs(permissive, `${documentOrigin}/hang.json`), permissive.baseUrl);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_400);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
