/**
 * TLS: sslmode and the `tls` block → what pg does, checked against a real TLS endpoint. The test server has no
 * TLS, so a small proxy in front of it answers PostgreSQL's SSLRequest, terminates TLS with a throw-away
 * self-signed certificate for "localhost", and forwards the plaintext protocol to the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptSelectOne, createTestCertificate, urlVia as urlViaPort, type TestCertificate } from '../../support/tls-test-endpoint.js';
import { parseEnvironmentConfig } from '../../../src/config/load.js';
import type { NetworkTarget } from '../../../src/config/database-url.js';
import { postgresConnectionOptions, resolveSslMode } from '../../../src/db/postgres/postgres-connection-options.js';
import { createDialect } from '../../../src/db/registry.js';
import { ConfigError } from '../../../src/errors.js';
import { PG_ADMIN_URL } from '../../support/test-databases.js';
import { startPostgresTlsProxy, type PostgresTlsProxy } from './postgres-tls-proxy.js';

let certificate: TestCertificate;
let certFile: string;
let proxy: PostgresTlsProxy;
let proxyPort: number;

beforeAll(async () => {
  certificate = createTestCertificate('sqlgate-tls-');
  certFile = certificate.certFile;
  proxy = await startPostgresTlsProxy(certificate);
  proxyPort = proxy.port;
});
afterAll(() => {
  proxy?.close();
  certificate?.remove();
});

function urlVia(port: number, query: string): string {
  return urlViaPort(PG_ADMIN_URL, port, query);
}

const attempt = attemptSelectOne;

describe('TLS against a real endpoint', () => {
  it('require encrypts without checking the certificate', async () => {
    const before = proxy.sessions();
    expect(await attempt(urlVia(proxyPort, '?sslmode=require'))).toBe('ok');
    expect(proxy.sessions()).toBeGreaterThan(before);
  });

  it('verify-full refuses an untrusted certificate and a name that does not match, and accepts both when right', async () => {
    expect(await attempt(urlVia(proxyPort, '?sslmode=verify-full'))).toMatch(/^SG_DB_UNAVAILABLE: The PostgreSQL server's TLS certificate was not accepted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)/);
    const mismatch = await attempt(urlVia(proxyPort, '?sslmode=verify-full'), { tls: { ca_file: certFile } });
    expect(mismatch).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(mismatch).not.toContain('127.0.0.1');
    expect(await attempt(urlVia(proxyPort, '?sslmode=verify-full'), { tls: { ca_file: certFile, servername: 'localhost' } })).toBe('ok');
  });

  it('verify-ca checks the chain but not the name', async () => {
    expect(await attempt(urlVia(proxyPort, '?sslmode=verify-ca'))).toContain('SG_DB_UNAVAILABLE');
    expect(await attempt(urlVia(proxyPort, '?sslmode=verify-ca'), { tls: { ca_file: certFile } })).toBe('ok');
  });

  it('tls.enabled: true means verify-full unless reject_unauthorized is false', async () => {
    expect(await attempt(urlVia(proxyPort, ''), { tls: { enabled: true } })).toContain('SG_DB_UNAVAILABLE');
    expect(await attempt(urlVia(proxyPort, ''), { tls: { enabled: true, reject_unauthorized: false } })).toBe('ok');
    expect(await attempt(urlVia(proxyPort, '?sslmode=verify-full'), { tls: { reject_unauthorized: false } })).toBe('ok');
  });

  it('prefer (the default) uses TLS when offered and falls back to plaintext when the server has none', async () => {
    const before = proxy.sessions();
    expect(await attempt(urlVia(proxyPort, ''))).toBe('ok');
    expect(proxy.sessions()).toBeGreaterThan(before);
    expect(await attempt(PG_ADMIN_URL)).toBe('ok');
  });

  it('require against a server without TLS is unavailable, and tls.enabled: false wins over the URL', async () => {
    expect(await attempt(urlVia(Number(new URL(PG_ADMIN_URL).port || 5432), '?sslmode=require'))).toBe(
      'SG_DB_UNAVAILABLE: The PostgreSQL server does not offer TLS, but this environment requires it.',
    );
    expect(await attempt(urlVia(Number(new URL(PG_ADMIN_URL).port || 5432), '?sslmode=require'), { tls: { enabled: false } })).toBe('ok');
  });
});

describe('connection options', () => {
  const target = (params: Record<string, string> = {}): NetworkTarget => ({
    dialect: 'postgres', flavor: 'postgres', host: 'db.example', port: 5432, user: 'u', password: 'p', database: 'd', params,
  });
  const tlsBlock = (t: Partial<{ enabled: boolean; rejectUnauthorized: boolean; caFile: string; servername: string }>) => ({
    enabled: undefined, rejectUnauthorized: true, caFile: undefined, certFile: undefined, keyFile: undefined, servername: undefined, ...t,
  });
  const mode = (params: Record<string, string>, t?: Parameters<typeof tlsBlock>[0]) =>
    resolveSslMode({ name: 'e', target: target(params), tls: t && tlsBlock(t), connectTimeoutMs: 1_000 });

  it('resolves the mode: URL sslmode, default prefer, the tls block overriding', () => {
    expect(mode({})).toBe('prefer');
    expect(mode({ sslmode: 'VERIFY-FULL' })).toBe('verify-full');
    expect(mode({ sslmode: 'require' }, { enabled: false })).toBe('disable');
    expect(mode({}, { enabled: true })).toBe('verify-full');
    expect(mode({ sslmode: 'prefer' }, { enabled: true, rejectUnauthorized: false })).toBe('require');
    expect(mode({ sslmode: 'verify-ca' }, { enabled: true })).toBe('verify-ca');
  });

  it('rejects an unknown sslmode and libpq certificate parameters with a ConfigError naming the key', async () => {
    expect(() => mode({ sslmode: 'sometimes' })).toThrow(ConfigError);
    expect(() => mode({ sslmode: 'sometimes' })).toThrow('environments.e.database: sslmode "sometimes"');
    expect(() => mode({ sslrootcert: '/etc/ca.pem' })).toThrow('tls.ca_file');
    // Reported when the environment's dialect is built at start, not at the first query.
    await expect(createDialect(parseEnvironmentConfig('bad', { database: 'postgres://u@h/d?sslmode=nope' }, process.cwd()))).rejects.toThrow(ConfigError);
  });

  it('builds pg options: plaintext fallback only for prefer, files read, no certificate check below verify-ca', () => {
    const prefer = postgresConnectionOptions({ name: 'e', target: target(), connectTimeoutMs: 1_500 });
    expect(prefer.client).toMatchObject({ host: 'db.example', application_name: 'sqlgate', connectionTimeoutMillis: 1_500, ssl: { rejectUnauthorized: false } });
    expect(prefer.plaintextFallback).toMatchObject({ ssl: false });
    const files: string[] = [];
    const full = postgresConnectionOptions(
      { name: 'e', target: target({ sslmode: 'verify-full' }), tls: tlsBlock({ caFile: '/ca.pem', servername: 'db.internal' }), connectTimeoutMs: 1_000 },
      (file) => (files.push(file), Buffer.from('pem')),
    );
    expect(files).toEqual(['/ca.pem']);
    expect(full.plaintextFallback).toBeNull();
    expect(full.client.ssl).toMatchObject({ ca: Buffer.from('pem'), rejectUnauthorized: true, servername: 'db.internal' });
    expect(() =>
      postgresConnectionOptions({ name: 'e', target: target(), tls: tlsBlock({ caFile: '/missing.pem' }), connectTimeoutMs: 1_000 }),
    ).toThrow('environments.e.tls.ca_file: cannot read "/missing.pem"');
  });
});
