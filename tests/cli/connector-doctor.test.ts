/**
 * `sqlgate doctor --public-url` as an operator runs it, against real in-process sqlgate servers: a healthy one, one
 * without authentication and one whose allowed_redirects leave Claude out; the full sign-in/token/refresh/revoke run
 * with a user; and the DNS and TLS checks with injected resolvers and probes (no internet needed).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/password-hash.js';
import { connectorContext } from '../../src/cli/connector-doctor/connector-context.js';
import { checkDns, checkHttps, classifyAddress } from '../../src/cli/connector-doctor/network-checks.js';
import { probeTls, NETWORK_PROBES, type ConnectorProbes, type TlsProbe } from '../../src/cli/connector-doctor/network-probes.js';
import { formatFindings, type Finding } from '../../src/cli/connector-doctor/report.js';
import { runConnectorChecks } from '../../src/cli/connector-doctor/run-connector-doctor.js';
import { EXIT_FAILURE } from '../../src/cli/exit.js';
import { runCli } from '../../src/cli/run-cli.js';
import { startApp, type RunningApp } from '../support/start-app.js';

const PASSWORD = 'correct horse battery staple';
const DEMO = { demo: { database: 'sqlite:./demo.sqlite', demo: true } };

async function doctor(args: string[], stdin?: string) {
  let stdout = '';
  let stderr = '';
  const code = await runCli({
    argv: ['node', 'sqlgate', 'doctor', ...args],
    env: {},
    cwd: os.tmpdir(),
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    ...(stdin === undefined ? {} : { stdin: Readable.from([Buffer.from(stdin)]) }),
  });
  return { code, stdout, stderr };
}

/** The report line of one check: "✓ demo: 401 challenge: …" (and its fix line, when there is one). */
function line(stdout: string, check: string): string {
  const lines = stdout.split('\n');
  const index = lines.findIndex((l) => l.slice(2).startsWith(`${check}:`));
  if (index < 0) throw new Error(`no "${check}" line in:\n${stdout}`);
  return lines[index + 1]?.startsWith('    fix: ') ? `${lines[index]}\n${lines[index + 1]}` : lines[index]!;
}

describe('sqlgate doctor --public-url against a healthy server', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ log: { level: 'silent' }, auth: { mode: 'oauth' }, environments: DEMO });
    const users = app.sqlgate.store!.users;
    await users.add({ name: 'alice', passwordHash: await hashPassword(PASSWORD), roles: [{ environment: 'demo', canWrite: false }] });
    await users.add({ name: 'bob', passwordHash: await hashPassword(PASSWORD), roles: [{ environment: 'elsewhere', canWrite: false }] });
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('passes every check it can make over loopback HTTP, and says what it skipped', async () => {
    const { code, stdout, stderr } = await doctor(['--public-url', app.baseUrl, '--insecure-allow-http']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`can Claude.ai connect to ${app.baseUrl}?`);
    expect(line(stdout, 'DNS')).toMatch(/^! DNS: skipped: 127\.0\.0\.1 is an IP address/);
    expect(line(stdout, 'HTTPS')).toMatch(/^! HTTPS: plain HTTP: Claude\.ai requires HTTPS/);
    expect(line(stdout, 'environments')).toBe('✓ environments: demo (from /health)');
    expect(line(stdout, 'demo: 401 challenge')).toBe(`✓ demo: 401 challenge: POST /demo/mcp without a token: 401 with resource_metadata="${app.baseUrl}/.well-known/oauth-protected-resource/demo/mcp"`);
    expect(line(stdout, 'demo: resource metadata')).toBe(`✓ demo: resource metadata: resource ${app.baseUrl}/demo/mcp, authorization server ${app.baseUrl}, scopes sql:read`);
    expect(line(stdout, 'authorization server metadata')).toMatch(/^✓ /);
    expect(line(stdout, 'registration (claude.ai callback)')).toMatch(/^✓ .*https:\/\/claude\.ai\/api\/mcp\/auth_callback/);
    expect(line(stdout, 'registration (claude.com callback)')).toMatch(/^✓ .*https:\/\/claude\.com\/api\/mcp\/auth_callback/);
    expect(line(stdout, 'sign-in, token and refresh')).toBe('! sign-in, token and refresh: skipped: pass --user NAME and --password-stdin to test sign-in, token and refresh');
    expect(stdout).not.toContain('✗');
    expect(stdout).toContain('No problems found');
  });

  it('signs in, gets a token, calls the MCP endpoint, refreshes and revokes with --user', async () => {
    const { code, stdout } = await doctor(['--public-url', app.baseUrl, '--insecure-allow-http', '--env', 'demo', '--user', 'alice', '--password-stdin'], `${PASSWORD}\n`);
    expect(code).toBe(0);
    expect(stdout).not.toContain('environments:'); // --env given: nothing to discover
    expect(line(stdout, 'sign-in (alice → demo)')).toMatch(/^✓ .*signed in as alice/);
    expect(line(stdout, 'token')).toMatch(/^✓ token: exchanged the code \(PKCE\) for an access token \(expires in \d+ s\) and a refresh token/);
    expect(line(stdout, 'demo: MCP with the token')).toBe('✓ demo: MCP with the token: initialize with the access token: 200');
    expect(line(stdout, 'refresh')).toBe('✓ refresh: got a new access token and a rotated refresh token');
    expect(line(stdout, 'revocation')).toBe('✓ revocation: revoked the refresh token; using it again is refused');
    expect(stdout).not.toContain(PASSWORD);
  });

  it('fails the sign-in with a wrong password, and says what to check', async () => {
    const { code, stdout } = await doctor(['--public-url', app.baseUrl, '--insecure-allow-http', '--user', 'alice', '--password-stdin'], 'not the password at all');
    expect(code).toBe(EXIT_FAILURE);
    expect(line(stdout, 'sign-in (alice → demo)')).toMatch(/^✗ .*sign-in refused: Wrong user name or password\.\n {4}fix: check the user name and password \(sqlgate users passwd alice\)/);
    expect(stdout).not.toContain('refresh:');
  });

  it('fails the sign-in of a user without a role for the environment, naming the role to add', async () => {
    const { code, stdout } = await doctor(['--public-url', app.baseUrl, '--insecure-allow-http', '--user', 'bob', '--password-stdin'], PASSWORD);
    expect(code).toBe(EXIT_FAILURE);
    expect(line(stdout, 'sign-in (bob → demo)')).toMatch(/^✗ .*bob may not use the environment demo\.\n {4}fix: give bob a role for demo: sqlgate users roles bob --env demo/);
  });

  it('fails clearly for an environment the server does not have', async () => {
    const { code, stdout } = await doctor(['--public-url', app.baseUrl, '--insecure-allow-http', '--env', 'nope']);
    expect(code).toBe(EXIT_FAILURE);
    expect(line(stdout, 'nope: 401 challenge')).toBe(`✗ nope: 401 challenge: there is no environment "nope" on this server.\n    fix: use one of: demo (the connector URL is ${app.baseUrl}/NAME/mcp)`);
    expect(line(stdout, 'nope: resource metadata')).toMatch(/^! .*skipped/);
    expect(stdout).toMatch(/1 check failed/);
  });

  it('prints the findings as JSON with --json', async () => {
    const { code, stdout } = await doctor(['--public-url', `${app.baseUrl}/`, '--insecure-allow-http', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { ok: boolean; publicUrl: string; findings: Finding[] };
    expect(report.ok).toBe(true);
    expect(report.publicUrl).toBe(app.baseUrl);
    expect(report.findings.find((f) => f.check === 'demo: 401 challenge')?.status).toBe('pass');
    expect(report.findings.find((f) => f.check === 'HTTPS')).toMatchObject({ status: 'warn', fix: expect.stringContaining('TLS') });
  });
});

describe('sqlgate doctor --public-url against misconfigured servers', () => {
  it('fails the 401 check of a server without authentication, telling to enable auth.mode: oauth', async () => {
    const app = await startApp({ log: { level: 'silent' }, environments: DEMO });
    try {
      const { code, stdout } = await doctor(['--public-url', app.baseUrl, '--insecure-allow-http']);
      expect(code).toBe(EXIT_FAILURE);
      expect(line(stdout, 'demo: 401 challenge')).toMatch(/^✗ demo: 401 challenge: POST \/demo\/mcp without a token answered 200: .*\n {4}fix: enable auth\.mode: oauth/);
      expect(line(stdout, 'authorization server metadata')).toMatch(/^! .*skipped/);
      expect(line(stdout, 'registration (claude.ai callback)')).toMatch(/^! .*skipped/);
    } finally {
      await app.stop();
    }
  }, 60_000);

  it("fails registration when auth.allowed_redirects leaves out Claude's callbacks, naming the setting", async () => {
    const app = await startApp({ log: { level: 'silent' }, auth: { mode: 'oauth', allowed_redirects: ['https://example.org/callback'] }, environments: DEMO });
    try {
      const { code, stdout } = await doctor(['--public-url', app.baseUrl, '--insecure-allow-http']);
      expect(code).toBe(EXIT_FAILURE);
      for (const host of ['claude.ai', 'claude.com']) {
        expect(line(stdout, `registration (${host} callback)`)).toMatch(new RegExp(
          `^✗ .*https://${host.replace('.', '\\.')}/api/mcp/auth_callback was refused \\(400 invalid_redirect_uri: .*\\)\\.\\n {4}fix: add https://${host.replace('.', '\\.')}/api/mcp/auth_callback to auth\\.allowed_redirects`));
      }
      expect(line(stdout, 'demo: 401 challenge')).toMatch(/^✓ /);
    } finally {
      await app.stop();
    }
  }, 60_000);

  it('fails the 401 check when sqlgate names another public URL, telling to set auth.public_url', async () => {
    const app = await startApp({ log: { level: 'silent' }, auth: { mode: 'oauth', public_url: 'https://elsewhere.example.com' }, environments: DEMO });
    try {
      // Only this server is reachable: the elsewhere.example.com it names does not answer.
      const probes: ConnectorProbes = {
        ...NETWORK_PROBES,
        fetch: (input, init) => (String(input).startsWith(app.baseUrl) ? fetch(input, init) : Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } }))),
      };
      const findings = await runConnectorChecks({ publicUrl: app.baseUrl, allowHttp: true, environments: ['demo'], probes });
      const report = formatFindings(app.baseUrl, findings);
      expect(line(report, 'demo: 401 challenge')).toContain(`fix: sqlgate believes its URL is https://elsewhere.example.com: set auth.public_url to ${app.baseUrl}`);
      expect(line(report, 'demo: resource metadata')).toContain(`resource is "https://elsewhere.example.com/demo/mcp"; it must be exactly "${app.baseUrl}/demo/mcp"`);
      expect(line(report, 'authorization server metadata')).toBe('✗ authorization server metadata: GET https://elsewhere.example.com/.well-known/oauth-authorization-server failed: ENOTFOUND.\n'
        + `    fix: sqlgate names https://elsewhere.example.com as its authorization server: set auth.public_url to ${app.baseUrl} (or list the reverse proxy in auth.trusted_proxies so sqlgate believes its X-Forwarded-Host and X-Forwarded-Proto), then restart sqlgate`);
    } finally {
      await app.stop();
    }
  }, 60_000);

  it('passes a production-shaped setup (https public URL, DNS and TLS injected) without --insecure-allow-http', async () => {
    const publicUrl = 'https://data.example.com';
    const app = await startApp({ log: { level: 'silent' }, auth: { mode: 'oauth', public_url: publicUrl }, environments: DEMO });
    try {
      await app.sqlgate.store!.users.add({ name: 'alice', passwordHash: await hashPassword(PASSWORD), roles: [{ environment: 'demo', canWrite: false }] });
      // The "internet": data.example.com is this server; its TLS is terminated by a proxy we pretend is there.
      const probes: ConnectorProbes = {
        ...fakeProbes({ a: ['198.41.0.4'] }),
        fetch: (input, init) => fetch(String(input instanceof Request ? input.url : input).replace(publicUrl, app.baseUrl), init),
      };
      const findings = await runConnectorChecks({ publicUrl, allowHttp: false, user: { name: 'alice', password: PASSWORD }, probes });
      expect(findings.filter((f) => f.status !== 'pass')).toEqual([]);
      expect(findings.map((f) => f.check)).toEqual([
        'DNS', 'HTTPS', 'environments', 'demo: 401 challenge', 'demo: resource metadata', 'authorization server metadata',
        'registration (claude.ai callback)', 'registration (claude.com callback)', 'sign-in (alice → demo)', 'token', 'demo: MCP with the token', 'refresh', 'revocation',
      ]);
    } finally {
      await app.stop();
    }
  }, 60_000);
});

describe('sqlgate doctor --public-url: usage', () => {
  it('refuses a URL with a path, naming what it wants', async () => {
    const { code, stderr } = await doctor(['--public-url', 'https://data.example.com/demo/mcp']);
    expect(code).toBe(EXIT_FAILURE);
    expect(stderr).toContain('must be the origin only');
  });

  it('refuses --user without --password-stdin, and the connector options without --public-url', async () => {
    const user = await doctor(['--public-url', 'https://data.example.com', '--user', 'alice']);
    expect(user.code).toBe(EXIT_FAILURE);
    expect(user.stderr).toContain('--user and --password-stdin go together');
    const http = await doctor(['--insecure-allow-http']);
    expect(http.code).toBe(EXIT_FAILURE);
    expect(http.stderr).toContain('only go with --public-url');
  });

  it('documents --public-url in --help', async () => {
    const { stdout } = await doctor(['--help']);
    expect(stdout).toContain('--public-url <url>');
    expect(stdout).toContain('With --public-url, check instead');
  });
});

// ─── DNS and TLS, without the internet ───────────────────────────────────────────────────────────────────────────

function fakeProbes(options: { a?: string[]; aaaa?: string[]; aError?: string; tls?: TlsProbe | Error; now?: Date } = {}): ConnectorProbes {
  const dnsError = (code: string) => Object.assign(new Error(code), { code });
  return {
    resolve4: async () => {
      if (options.aError) throw dnsError(options.aError);
      if (!options.a?.length) throw dnsError('ENODATA');
      return options.a;
    },
    resolve6: async () => options.aaaa ?? [],
    probeTls: async () => {
      if (options.tls instanceof Error) throw options.tls;
      return options.tls ?? { authorized: true, validTo: new Date('2031-01-01T00:00:00Z'), names: 'DNS:data.example.com', issuer: "Let's Encrypt" };
    },
    fetch: () => Promise.reject(new Error('no network in this test')),
    now: () => options.now ?? new Date('2030-01-01T00:00:00Z'),
  };
}

function context(publicUrl: string, probes: ConnectorProbes, allowHttp = false) {
  return connectorContext({ publicUrl, allowHttp, probes });
}

describe('address classification', () => {
  it.each([
    ['93.184.216.34', 'public'], ['1.1.1.1', 'public'], ['172.32.0.1', 'public'], ['100.128.0.1', 'public'],
    ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.10', 'private'],
    ['127.0.0.1', 'loopback'], ['127.8.8.8', 'loopback'], ['169.254.169.254', 'link-local'], ['100.64.0.1', 'shared'],
    ['0.0.0.0', 'reserved'], ['192.0.2.5', 'reserved'], ['203.0.113.9', 'reserved'], ['224.0.0.1', 'reserved'], ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'], ['[::1]', 'loopback'], ['fd12::1', 'private'], ['fe80::1', 'link-local'], ['::ffff:10.0.0.1', 'private'],
    ['2606:4700::1111', 'public'], ['2001:db8::1', 'reserved'],
  ] as const)('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it('refuses what is not an address', () => {
    expect(() => classifyAddress('data.example.com')).toThrow(/not an IP address/);
  });
});

describe('the DNS check', () => {
  const dnsOf = (a: Parameters<typeof fakeProbes>[0], url = 'https://data.example.com', allowHttp = false) => checkDns(context(url, fakeProbes(a), allowHttp));

  it('passes a host with public A records', async () => {
    expect(await dnsOf({ a: ['198.41.0.4', '199.9.14.201'] })).toEqual({ check: 'DNS', status: 'pass', message: 'data.example.com resolves to 198.41.0.4, 199.9.14.201 (public IPv4)' });
  });

  it('fails a host that resolves only to private addresses, saying Claude.ai cannot reach them', async () => {
    const finding = await dnsOf({ a: ['10.0.0.5'] });
    expect(finding.status).toBe('fail');
    expect(finding.message).toBe("data.example.com resolves only to 10.0.0.5 (private). Claude.ai connects from Anthropic's servers, which cannot reach 10.x, 172.16-31.x, 192.168.x, 100.64.x, loopback or link-local addresses.");
    expect(finding.fix).toContain('(an A record)');
  });

  it('warns when some of the addresses are private', async () => {
    const finding = await dnsOf({ a: ['198.41.0.4', '192.168.1.4'] });
    expect(finding).toMatchObject({ status: 'warn', fix: 'remove the A records for 192.168.1.4' });
  });

  it('fails a host with only AAAA records, and one that does not exist', async () => {
    const only6 = await dnsOf({ aaaa: ['2606:4700::1111'] });
    expect(only6).toMatchObject({ status: 'fail', fix: 'add an A record for data.example.com pointing at the server\'s public IPv4 address' });
    expect(only6.message).toContain('only AAAA records: 2606:4700::1111');
    expect(await dnsOf({ aError: 'ENOTFOUND' })).toMatchObject({ status: 'fail', message: 'data.example.com does not exist in DNS (NXDOMAIN).' });
  });

  it('skips loopback and IP literals under --insecure-allow-http, and fails them without it', async () => {
    expect(await dnsOf({}, 'http://localhost:8080', true)).toMatchObject({ status: 'warn', message: expect.stringMatching(/^skipped: localhost is localhost/) });
    expect(await dnsOf({}, 'http://127.0.0.1:8080', true)).toMatchObject({ status: 'warn', message: expect.stringMatching(/^skipped: 127\.0\.0\.1 is an IP address/) });
    expect(await dnsOf({}, 'http://[::1]:8080', true)).toMatchObject({ status: 'warn' });
    expect(await dnsOf({}, 'https://127.0.0.1')).toMatchObject({ status: 'fail', message: expect.stringContaining('loopback') });
    expect(await dnsOf({}, 'https://localhost')).toMatchObject({ status: 'fail' });
    expect(await dnsOf({}, 'https://192.168.0.2')).toMatchObject({ status: 'fail', message: expect.stringContaining('private') });
  });
});

describe('the HTTPS check', () => {
  const httpsOf = (options: Parameters<typeof fakeProbes>[0], url = 'https://data.example.com', allowHttp = false) => checkHttps(context(url, fakeProbes(options), allowHttp));

  it('passes a valid certificate that lasts', async () => {
    expect(await httpsOf({})).toEqual({ check: 'HTTPS', status: 'pass', message: "certificate valid for data.example.com until 2031-01-01, issued by Let's Encrypt" });
  });

  it('warns when the certificate expires within 14 days', async () => {
    const finding = await httpsOf({ tls: { authorized: true, validTo: new Date('2030-01-06T12:00:00Z') } });
    expect(finding).toMatchObject({ status: 'warn', message: 'the certificate for data.example.com expires in 5 days (2030-01-06)' });
  });

  it('fails a certificate for another host, a self-signed one, and a port that does not answer', async () => {
    const other = await httpsOf({ tls: { authorized: false, error: 'ERR_TLS_CERT_ALTNAME_INVALID', names: 'DNS:other.example.com' } });
    expect(other).toMatchObject({ status: 'fail', message: 'the certificate on data.example.com:443 is not accepted: it is not valid for data.example.com (it is for DNS:other.example.com).' });
    expect(await httpsOf({ tls: { authorized: false, error: 'DEPTH_ZERO_SELF_SIGNED_CERT' } })).toMatchObject({ status: 'fail', fix: expect.stringContaining('public CA') });
    const refused = await httpsOf({ tls: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }, 'https://data.example.com:8443');
    expect(refused).toMatchObject({ status: 'fail', message: 'nothing answered TLS on data.example.com:8443 (ECONNREFUSED).' });
  });

  it('warns about plain HTTP under --insecure-allow-http, and fails it without', async () => {
    expect(await httpsOf({}, 'http://127.0.0.1:8080', true)).toMatchObject({ status: 'warn', message: 'plain HTTP: Claude.ai requires HTTPS (accepted here because of --insecure-allow-http)' });
    expect(await httpsOf({}, 'http://data.example.com')).toMatchObject({ status: 'fail', message: 'plain HTTP: Claude.ai requires HTTPS.' });
  });

  it('probes a real TLS server: a self-signed certificate is not authorized', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-doctor-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    const server = tls.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const probe = await probeTls('127.0.0.1', port, 5_000);
      expect(probe).toMatchObject({ authorized: false, error: 'DEPTH_ZERO_SELF_SIGNED_CERT', names: 'DNS:localhost' });
      expect(probe.validTo!.getTime()).toBeGreaterThan(Date.now());
      const finding = await checkHttps(context(`https://localhost:${port}`, { ...NETWORK_PROBES, probeTls: (_host, p, t) => probeTls('127.0.0.1', p, t) }));
      expect(finding).toMatchObject({ status: 'fail', message: `the certificate on localhost:${port} is not accepted: it is self-signed.` });
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
