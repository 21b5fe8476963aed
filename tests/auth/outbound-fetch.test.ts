/**
 * The fetch oidc-provider uses for client-supplied URLs, against servers on this machine only. Refusals are shown
 * by connection counts on loopback listeners (zero means nothing was even attempted); where a test needs an
 * address that stands for "internal", it is ::1 or 127.0.0.1 under an `isAllowedAddress` that refuses it, so
 * that a missing check would connect to loopback and be counted, never to a real private address.
 */
import type { LookupAddress } from 'node:dns';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resolver } from '../../src/auth/outbound-address.js';
import { createOutboundFetch } from '../../src/auth/outbound-fetch.js';
import { ForbiddenError } from '../../src/errors.js';
import { isSpecialUseAddress } from '../../src/util/special-use-address.js';
import { createTestCertificate, type TestCertificate } from '../support/tls-test-endpoint.js';

interface Listener {
  readonly port: number;
  /** TCP connections accepted. */
  connections: number;
  /** Request lines and headers of the HTTPS requests served. */
  readonly requests: { url: string; headers: Record<string, string | string[] | undefined> }[];
  close(): Promise<void>;
}

let certificate: TestCertificate;
const defaultCas = tls.getCACertificates('default');

/** An HTTPS server for "localhost" on `host` that answers by path: /doc.json, /redirect, /stall-body, /hang. */
async function httpsListener(host: string, port = 0): Promise<Listener> {
  const server = https.createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    listener.requests.push({ url: req.url ?? '', headers: req.headers });
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/doc.json?followed' }).end();
    } else if (req.url === '/stall-body') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":');
    } else if (req.url !== '/hang') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' }).end(JSON.stringify({ served: req.url }));
    }
  });
  server.on('connection', () => listener.connections++);
  await listen(server, host, port);
  const listener: Listener = {
    port: (server.address() as net.AddressInfo).port,
    connections: 0,
    requests: [],
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  return listener;
}

/** A plain TCP listener that only counts connections. */
async function countingListener(host: string, port = 0): Promise<Listener> {
  const server = net.createServer((socket) => {
    listener.connections++;
    socket.destroy();
  });
  await listen(server, host, port);
  const listener: Listener = {
    port: (server.address() as net.AddressInfo).port,
    connections: 0,
    requests: [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return listener;
}

function listen(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

/** A resolver that answers every name with `addresses` and counts its calls. */
function resolverOf(...addresses: string[]): Resolver & { calls: number } {
  const resolve = async (): Promise<LookupAddress[]> => {
    resolve.calls++;
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  resolve.calls = 0;
  return resolve;
}

const allowAll = () => true;
const isPublic = (address: string) => !isSpecialUseAddress(address);

let v4: Listener;
/** HTTPS on ::1 (undefined without IPv6 loopback here) and a counter on 127.0.0.1 at the same port. */
let v6: Listener | undefined;
let v4SamePort: Listener | undefined;

beforeAll(async () => {
  certificate = createTestCertificate('sqlgate-outbound-');
  tls.setDefaultCACertificates([...defaultCas, certificate.cert.toString()]);
  v4 = await httpsListener('127.0.0.1');
  try {
    v6 = await httpsListener('::1');
    v4SamePort = await countingListener('127.0.0.1', v6.port);
  } catch {
    console.warn('outbound-fetch: no ::1 (or its port is taken on 127.0.0.1): the pinning test is skipped');
  }
});

afterAll(async () => {
  await Promise.all([v4?.close(), v6?.close(), v4SamePort?.close()]);
  certificate?.remove();
  tls.setDefaultCACertificates(defaultCas);
});

describe('createOutboundFetch', () => {
  it('fetches from an allowed address like fetch does: status, headers, body, Host, and no empty user-agent', async () => {
    const fetch = createOutboundFetch({ isAllowedAddress: allowAll });
    const response = await fetch(`https://localhost:${v4.port}/doc.json?q=1`, {
      method: 'GET',
      headers: new Headers({ accept: 'application/json', 'user-agent': '' }),
      redirect: 'manual',
      signal: AbortSignal.timeout(2_500),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('max-age=60');
    expect(await response.json()).toEqual({ served: '/doc.json?q=1' });
    const request = v4.requests.at(-1)!;
    expect(request.headers.host).toBe(`localhost:${v4.port}`);
    expect(request.headers.accept).toBe('application/json');
    expect(request.headers['user-agent']).toBeUndefined();
  });

  it('refuses a special-use address in any spelling before connecting (zero connections)', async () => {
    const fetch = createOutboundFetch({ isAllowedAddress: isPublic });
    const before = v4.connections;
    for (const host of ['127.0.0.1', '127.1', '2130706433', '0x7f000001', '0177.0.0.1', '[::ffff:127.0.0.1]', '0.0.0.0', 'localhost']) {
      await expect(fetch(`https://${host}:${v4.port}/doc.json`), host).rejects.toBeInstanceOf(ForbiddenError);
    }
    expect(v4.connections).toBe(before);
  });

  it('refuses a name when any one of its addresses is refused, and connects to none of them', async () => {
    // 127.0.0.1 stands for a public address here and ::1 for an internal one.
    const fetch = createOutboundFetch({ isAllowedAddress: (address) => address === '127.0.0.1', resolve: resolverOf('127.0.0.1', '::1') });
    const before = v4.connections;
    await expect(fetch(`https://localhost:${v4.port}/doc.json`)).rejects.toBeInstanceOf(ForbiddenError);
    expect(v4.connections).toBe(before);
  });

  it('connects only to the vetted address: the name is not looked up again (no DNS rebinding)', async (context) => {
    if (!v6 || !v4SamePort) return context.skip();
    // The resolver vets "localhost" as ::1; a second lookup by the system would give 127.0.0.1 here, where a
    // listener on the same port counts it.
    const resolve = resolverOf('::1');
    const fetch = createOutboundFetch({ isAllowedAddress: allowAll, resolve });
    const response = await fetch(`https://localhost:${v6.port}/pinned.json`, { redirect: 'manual' });
    expect(await response.json()).toEqual({ served: '/pinned.json' });
    expect(resolve.calls).toBe(1);
    expect(v4SamePort.connections).toBe(0);
    expect(v6.requests.at(-1)?.url).toBe('/pinned.json');
  });

  it('never follows a redirect, whatever redirect mode is asked for', async () => {
    const fetch = createOutboundFetch({ isAllowedAddress: allowAll });
    for (const redirect of ['manual', 'follow'] as const) {
      const response = await fetch(`https://localhost:${v4.port}/redirect`, { redirect });
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/doc.json?followed');
    }
    expect(v4.requests.filter((r) => r.url.includes('followed'))).toEqual([]);
  });

  it('gives up on a server that does not answer, or stops sending the body, when the signal fires', async () => {
    const fetch = createOutboundFetch({ isAllowedAddress: allowAll });
    let started = Date.now();
    await expect(fetch(`https://localhost:${v4.port}/hang`, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2_000);
    started = Date.now();
    const response = await fetch(`https://localhost:${v4.port}/stall-body`, { signal: AbortSignal.timeout(300) });
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('refuses schemes other than http and https', async () => {
    const fetch = createOutboundFetch({ isAllowedAddress: allowAll });
    await expect(fetch('file:///etc/passwd')).rejects.toBeDefined();
  });
});
