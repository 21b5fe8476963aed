/**
 * deploy/nginx/ and deploy/setup-letsencrypt.sh for real: Debian's nginx in front of a running sqlgate, its
 * certificate issued over HTTP-01 by pebble (Let's Encrypt's test CA) to certbot --webroot, exactly as
 * docs/operations/https.md does it on a host — and then, over HTTPS through nginx and trusting pebble's root: the
 * OAuth discovery as clients see it, a sign-in and MCP session with the official client, SSE streamed through
 * as sqlgate writes it and outliving nginx's server-wide read timeout, the edge rate limits, and a renewal.
 *
 * Ports: nginx listens on 80 and 443, as in production: pebble's validator fetches the challenge from port 80, and
 * the URLs sqlgate names carry no port. The test stops at once when either is taken. pebble, sqlgate and the
 * comparison server listen on free loopback ports. The host name below resolves to 127.0.0.1 through /etc/hosts
 * while this file runs (tests/support/etc-hosts.ts). It needs root, and nginx, certbot and pebble from Debian
 * (.ci/run installs them).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHostsEntry } from '../support/etc-hosts.js';
import { openEventStream, type EventStream } from '../support/event-stream.js';
import { renderNginxSite, type NginxSite } from '../support/nginx-site.js';
import { FormBrowser, TEST_PASSWORD, TestOAuthProvider } from '../support/oauth-client.js';
import { startPebble, type Pebble } from '../support/pebble.js';
import { freePort } from '../support/start-app.js';
import { REPO_ROOT, SQLGATE_MAIN, startServerProcess, type ServerProcess } from '../support/start-server.js';

const DOMAIN = 'sqlgate-acme.test';
const ORIGIN = `https://${DOMAIN}`;
/** The test's server-wide proxy_read_timeout (nginx's own default is 60 s): the sqlgate location must override it. */
const SERVER_WIDE_READ_TIMEOUT_S = 3;
const SCRIPT = path.join(REPO_ROOT, 'deploy', 'setup-letsencrypt.sh');

let dir: string;
let removeHostsEntry: (() => void) | undefined;
let pebble: Pebble | undefined;
let sqlgate: ServerProcess | undefined;
let site: NginxSite | undefined;
let controlPort: number;
let setup: { output: string; seconds: number };
let accessToken = '';
const defaultCas = tls.getCACertificates('default');

beforeAll(async () => {
  await preflight();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-nginx-acme-'));
  fs.chmodSync(dir, 0o755); // nginx's workers (nobody) read the webroot below it
  removeHostsEntry = addHostsEntry(DOMAIN, 'tests/deploy/nginx-acme.test.ts');
  pebble = await startPebble({ dir, httpPort: 80 });

  // sqlgate as on a host behind nginx, with no auth.public_url on purpose: the https://<host> URLs it names can
  // then only come from nginx's X-Forwarded-Proto and X-Forwarded-Host. Two environments, one nginx location.
  const sqlgateDir = path.join(dir, 'sqlgate');
  fs.mkdirSync(sqlgateDir);
  fs.writeFileSync(path.join(sqlgateDir, 'sqlgate.yaml'), [
    'server: { host: 127.0.0.1, allowed_hosts: [sqlgate-acme.test] }',
    'auth: { mode: oauth, trusted_proxies: [127.0.0.1] }',
    'environments:',
    '  demo: { database: "sqlite:./demo.sqlite", demo: true }',
    '  archive: { database: "sqlite:./archive.sqlite", demo: true }',
    '',
  ].join('\n'));
  execFileSync(process.execPath, [SQLGATE_MAIN, 'users', 'add', 'alice', '--env', 'demo', '--config', 'sqlgate.yaml', '--password-stdin'], { cwd: sqlgateDir, input: `${TEST_PASSWORD}\n`, stdio: ['pipe', 'ignore', 'pipe'] });
  sqlgate = await startServerProcess({ args: ['serve', '--config', 'sqlgate.yaml', '--auth', 'oauth'], cwd: sqlgateDir });

  // For comparison, a server with nginx's defaults (buffering on, the server-wide read timeout) in front of the same
  // sqlgate: what the sqlgate location's settings replace.
  controlPort = await freePort();
  const nginxDir = path.join(dir, 'nginx');
  fs.mkdirSync(nginxDir);
  site = renderNginxSite({
    dir: nginxDir,
    domain: DOMAIN,
    upstream: `127.0.0.1:${sqlgate.port}`,
    http: `    proxy_read_timeout ${SERVER_WIDE_READ_TIMEOUT_S}s;
    server {
        listen 127.0.0.1:${controlPort};
        location / {
            proxy_pass http://127.0.0.1:${sqlgate.port};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host ${DOMAIN};
            proxy_set_header X-Forwarded-Host ${DOMAIN};
            proxy_set_header X-Forwarded-Proto https;
        }
    }`,
  });

  // The bootstrap, as docs/operations/https.md runs it on a host; only the paths and the CA differ.
  const started = performance.now();
  const result = spawnSync('sh', [SCRIPT, '--host'], {
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      PATH: process.env.PATH,
      SQLGATE_DOMAIN: DOMAIN,
      LETSENCRYPT_EMAIL: 'ops@example.com',
      ACME_SERVER: pebble.directoryUrl,
      LETSENCRYPT_DIR: site.letsencryptDir,
      WEBROOT: site.webroot,
      NGINX_CMD: site.command,
      CERTBOT_CMD: `certbot --work-dir ${dir}/certbot-work --logs-dir ${dir}/certbot-logs`,
      REQUESTS_CA_BUNDLE: pebble.listenerCaFile,
    },
  });
  setup = { output: `${result.stdout}${result.stderr}`, seconds: (performance.now() - started) / 1_000 };
  if (result.status !== 0) {
    throw new Error(`setup-letsencrypt.sh --host failed (${result.status}):\n${setup.output}\nnginx:\n${site.errorLog()}\npebble:\n${pebble.output()}`);
  }
  tls.setDefaultCACertificates([...defaultCas, await pebble.rootCertificate()]);
  // nginx's reload is graceful: for a moment, an old worker may still take a new connection with the placeholder
  // certificate. Wait until ten handshakes in a row see the issued one.
  const deadline = Date.now() + 30_000;
  for (let inARow = 0; inARow < 10;) {
    const { authorized } = await handshake().catch(() => ({ authorized: false }));
    inARow = authorized ? inARow + 1 : 0;
    if (Date.now() > deadline) throw new Error(`nginx still served the placeholder certificate 30 s after the reload:\n${site.errorLog()}`);
    if (!authorized) await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 180_000);

afterAll(async () => {
  tls.setDefaultCACertificates(defaultCas);
  await site?.stop();
  await sqlgate?.stop();
  await pebble?.stop();
  removeHostsEntry?.();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** Fails with what to do instead of a confusing error later. */
async function preflight(): Promise<void> {
  const missing = ['nginx', 'certbot', 'pebble', 'openssl', 'envsubst'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
  if (missing.length > 0) {
    throw new Error(`tests/deploy/nginx-acme.test.ts needs ${missing.join(', ')}: sudo apt-get install -y nginx certbot pebble openssl gettext-base (.ci/run does this).`);
  }
  if (process.getuid?.() !== 0) throw new Error('tests/deploy/nginx-acme.test.ts needs root: nginx listens on ports 80 and 443, and the test adds a line to /etc/hosts.');
  for (const port of [80, 443]) {
    await new Promise<void>((resolve, reject) => {
      const probe = net.createServer().once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(`port ${port} is taken (${err.code}): this test runs nginx on 80 and 443, as in production. Stop what listens there.`)));
      probe.listen(port, '0.0.0.0', () => probe.close(() => resolve()));
    });
  }
}

/** The certificate nginx presents for DOMAIN, and the TLS version agreed, with the given client limits. */
function handshake(options: tls.ConnectionOptions = {}): Promise<{ certificate: tls.PeerCertificate; protocol: string | null; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: 443, servername: DOMAIN, ...options }, () => {
      resolve({ certificate: socket.getPeerCertificate(), protocol: socket.getProtocol(), authorized: socket.authorized });
      socket.end();
    });
    socket.once('error', reject);
  });
}

/** A plain-HTTP request with a Host of our choosing (fetch does not let a caller set Host). */
function plainGet(pathname: string, host: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: 80, path: pathname, headers: { host } }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    }).on('error', reject);
  });
}

function expectEdgeHeaders(headers: Headers): void {
  // Exactly one of each (fetch joins repeated headers with ", ").
  expect(headers.get('strict-transport-security')).toBe('max-age=63072000; includeSubDomains');
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
}

describe('nginx with a certificate from an ACME CA (pebble)', () => {
  it('gets the certificate over HTTP-01 with setup-letsencrypt.sh --host, and serves it', async () => {
    expect(setup.output).toContain(`Done: https://${DOMAIN}/ has a certificate from ${pebble!.directoryUrl}`);
    expect(setup.seconds).toBeLessThan(60);
    const { certificate, authorized } = await handshake();
    expect(authorized).toBe(true); // chains to pebble's root: the placeholder certificate is gone
    expect(certificate.issuer.CN).toMatch(/^Pebble Intermediate CA/);
    expect(certificate.subjectaltname).toBe(`DNS:${DOMAIN}`);
    expect(site!.errorLog()).not.toMatch(/\[(emerg|alert|crit)\]/);
  });

  it('speaks TLS 1.2 and 1.3, and refuses older versions', async () => {
    await expect(handshake()).resolves.toMatchObject({ protocol: 'TLSv1.3' });
    await expect(handshake({ maxVersion: 'TLSv1.2' })).resolves.toMatchObject({ protocol: 'TLSv1.2' });
    // The client offers TLS 1.1 (allowed on its side by SECLEVEL=0): the alert comes from nginx.
    await expect(handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).rejects.toMatchObject({ code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
  });

  it('answers the ACME challenge on port 80 and sends everything else to HTTPS on the configured host', async () => {
    fs.mkdirSync(path.join(site!.webroot, '.well-known', 'acme-challenge'), { recursive: true });
    fs.writeFileSync(path.join(site!.webroot, '.well-known', 'acme-challenge', 'probe-token'), 'probe-token.thumbprint');
    const challenge = await plainGet('/.well-known/acme-challenge/probe-token', DOMAIN);
    expect(challenge).toMatchObject({ status: 200, body: 'probe-token.thumbprint' });
    expect(challenge.headers['content-type']).toBe('text/plain');
    await expect(plainGet('/demo/mcp?x=1', DOMAIN)).resolves.toMatchObject({ status: 301, headers: { location: `${ORIGIN}/demo/mcp?x=1` } });
    // Another Host gets the same redirect to the configured name, never to a name the client chose.
    await expect(plainGet('/demo/mcp', 'evil.example')).resolves.toMatchObject({ status: 301, headers: { location: `${ORIGIN}/demo/mcp` } });
  });

  it('shows clients https://<host> in every discovery document, for every environment through one location', async () => {
    for (const environment of ['demo', 'archive']) {
      const challenge = await fetch(`${ORIGIN}/${environment}/mcp`, { method: 'POST' });
      expect(challenge.status).toBe(401);
      expect(challenge.headers.get('www-authenticate')).toContain(`resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource/${environment}/mcp"`);
      expectEdgeHeaders(challenge.headers);
      const resource = await (await fetch(`${ORIGIN}/.well-known/oauth-protected-resource/${environment}/mcp`)).json() as Record<string, unknown>;
      expect(resource).toMatchObject({ resource: `${ORIGIN}/${environment}/mcp`, authorization_servers: [ORIGIN] });
    }
    const metadataResponse = await fetch(`${ORIGIN}/.well-known/oauth-authorization-server`);
    expectEdgeHeaders(metadataResponse.headers); // a route sqlgate answers without these headers
    const metadata = await metadataResponse.json() as Record<string, unknown>;
    expect(metadata.issuer).toBe(ORIGIN);
    const endpoints = Object.entries(metadata).filter(([key]) => key.endsWith('_endpoint') || key === 'jwks_uri');
    expect(endpoints.length).toBeGreaterThanOrEqual(5);
    for (const [key, value] of endpoints) expect(value, key).toMatch(new RegExp(`^${ORIGIN}/`));
  });

  it('keeps what must not pass the edge: /metrics, and a client-sent X-Environment-Path', async () => {
    const metrics = await fetch(`${ORIGIN}/metrics`);
    expect(metrics.status).toBe(404);
    expect(await metrics.text()).toContain('<center>nginx</center>');
    // sqlgate moves /sse into /demo when a trusted proxy (nginx, here) sends this header; nginx drops the client's.
    const header = { 'x-environment-path': '/demo' };
    expect((await fetch(`${sqlgate!.url}/sse`, { headers: { ...header, host: DOMAIN } })).status).toBe(401);
    expect((await fetch(`${ORIGIN}/sse`, { headers: header })).status).toBe(404);
  });

  it('signs in through nginx and runs a tool with the official MCP client', async () => {
    const provider = new TestOAuthProvider();
    const url = new URL(`${ORIGIN}/demo/mcp`);
    await expect(new Client({ name: 'nginx-acme-test', version: '1.0.0' }).connect(new StreamableHTTPClientTransport(url, { authProvider: provider })))
      .rejects.toBeInstanceOf(UnauthorizedError);
    expect(provider.authorizationUrl?.origin).toBe(ORIGIN);
    const callback = await new FormBrowser(ORIGIN).authorize(provider.authorizationUrl!, 'alice');
    expect(callback.searchParams.get('iss')).toBe(ORIGIN);
    const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
    await transport.finishAuth(callback.searchParams);
    const client = new Client({ name: 'nginx-acme-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('execute_sql');
      const result = await client.callTool({ name: 'execute_sql', arguments: { query: 'SELECT count(*) AS n FROM customers' } });
      expect(result.isError).toBeFalsy();
      expect((result.structuredContent as { rows: unknown[][] }).rows[0]![0]).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
    accessToken = provider.savedTokens!.access_token;
  });

  it(`streams legacy SSE event by event, and keeps an idle stream open past the server-wide ${SERVER_WIDE_READ_TIMEOUT_S} s read timeout`, async () => {
    expect(accessToken, 'the sign-in test runs first').not.toBe('');
    const headers = { authorization: `Bearer ${accessToken}` };
    let ours: EventStream | undefined;
    let control: EventStream | undefined;
    try {
      ours = await openEventStream(`${ORIGIN}/demo/sse`, headers);
      control = await openEventStream(`http://127.0.0.1:${controlPort}/demo/sse`, headers);
      // The first event arrives while the response goes on: nothing waits for the end of the stream.
      const endpoint = await ours.nextEvent(2_000);
      expect(endpoint.event).toBe('endpoint');
      expect(ours.isEnded()).toBe(false);
      expect((await control.nextEvent(2_000)).event).toBe('endpoint');

      // Quiet for twice the server-wide timeout (sqlgate's keep-alive comes every 15 s): nginx's default location
      // closes its stream, the sqlgate location keeps ours.
      await new Promise((resolve) => setTimeout(resolve, 2 * SERVER_WIDE_READ_TIMEOUT_S * 1_000));
      expect(control.isEnded()).toBe(true);
      expect(control.endedAfterMs()).toBeGreaterThanOrEqual(SERVER_WIDE_READ_TIMEOUT_S * 1_000 - 100);
      expect(ours.isEnded()).toBe(false);

      // Each answer arrives on its own, as soon as sqlgate writes it.
      for (const id of [1, 2]) {
        const posted = await fetch(`${ORIGIN}${endpoint.data}`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' }),
        });
        expect(posted.status).toBe(202);
        const message = await ours.nextEvent(2_000);
        expect(message.event).toBe('message');
        expect(JSON.parse(message.data)).toMatchObject({ jsonrpc: '2.0', id });
      }
      expect(ours.isEnded()).toBe(false);
    } finally {
      ours?.close();
      control?.close();
    }
  }, 30_000);

  it('limits request rates at the edge, with a JSON 429 and Retry-After', async () => {
    // The OAuth endpoints' zone: 10 a second per address after a burst of 50. Batches of 20 at once, until nginx
    // refuses one (at 10 a second refilled, only a machine slower than that would never get there).
    const passed: number[] = [];
    let limited: Response | undefined;
    for (let batch = 0; batch < 15 && !limited; batch++) {
      const responses = await Promise.all(Array.from({ length: 20 }, () => fetch(`${ORIGIN}/token`, { method: 'POST' })));
      for (const response of responses) {
        if (response.status === 429 && !limited) limited = response;
        else await response.body?.cancel();
        if (response.status !== 429) passed.push(response.status);
      }
    }
    expect(limited, 'a 429 from nginx').toBeDefined();
    expect(passed.length).toBeGreaterThanOrEqual(50);
    expect(new Set(passed)).toEqual(new Set([400])); // sqlgate's answer to a token request without a grant
    expect(limited!.headers.get('retry-after')).toBe('1');
    expect(limited!.headers.get('content-type')).toBe('application/json');
    expectEdgeHeaders(limited!.headers);
    expect(await limited!.json()).toMatchObject({ error: 'rate_limited' });
  });

  // Last: the reload closes the idle connections that fetch keeps for the tests above.
  it('renews with certbot renew, which reloads nginx with the new certificate', async () => {
    const before = (await handshake()).certificate.serialNumber;
    // --no-random-sleep-on-renew: without a terminal, certbot renew first waits up to 8 minutes (to spread the load
    // on Let's Encrypt); Debian's certbot.timer passes it too.
    const renewal = spawnSync('certbot', ['renew', '--force-renewal', '--no-random-sleep-on-renew', '--config-dir', site!.letsencryptDir,
      '--work-dir', `${dir}/certbot-work`, '--logs-dir', `${dir}/certbot-logs`], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { PATH: process.env.PATH, REQUESTS_CA_BUNDLE: pebble!.listenerCaFile },
    });
    expect(renewal.status, `${renewal.stdout}${renewal.stderr}`).toBe(0);
    // The bootstrap saved nginx's reload as the deploy hook; it has run once a new handshake sees the new certificate.
    const renewalConf = fs.readFileSync(path.join(site!.letsencryptDir, 'renewal', `${DOMAIN}.conf`), 'utf8');
    expect(renewalConf).toContain(`renew_hook = ${site!.command} -s reload`);
    let after = before;
    for (let i = 0; i < 50 && after === before; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = (await handshake()).certificate.serialNumber;
    }
    expect(after).not.toBe(before);
  }, 120_000);
});
