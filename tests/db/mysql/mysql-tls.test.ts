/**
 * TLS: URL parameters and the `tls` block → what mysql2 does, checked against a real TLS endpoint. The test server
 * has no TLS, so a small proxy offers it (mysql-tls-proxy.ts).
 */
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptSelectOne, createTestCertificate, urlVia as urlViaPort, type TestCertificate } from '../../support/tls-test-endpoint.js';
import { parseEnvironmentConfig } from '../../../src/config/load.js';
import type { NetworkTarget } from '../../../src/config/database-url.js';
import { mysqlConnectionOptions } from '../../../src/db/mysql/mysql-connection-options.js';
import { ConfigError } from '../../../src/errors.js';
import { MYSQL_ADMIN_URL, openEnvironment } from '../../support/test-databases.js';
import { startTlsProxy } from './mysql-tls-proxy.js';

let certificate: TestCertificate;
let certFile: string;
let proxy: net.Server;
let proxyPort: number;
let tlsSessions = 0;

beforeAll(async () => {
  certificate = createTestCertificate('sqlgate-mysql-tls-');
  certFile = certificate.certFile;
  const { cert, key } = certificate;
  proxy = await startTlsProxy(cert, key, () => tlsSessions++);
  proxyPort = (proxy.address() as net.AddressInfo).port;
});
afterAll(() => {
  proxy?.close();
  certificate?.remove();
});

function urlVia(port: number, query: string): string {
  return urlViaPort(MYSQL_ADMIN_URL, port, query);
}

const attempt = attemptSelectOne;

const REFUSED_CERTIFICATE = "SG_DB_UNAVAILABLE: The MySQL server cannot be reached: the server's TLS certificate was not accepted.";

describe('TLS against a real endpoint', () => {
  it('ssl-mode=REQUIRED encrypts without checking the certificate', async () => {
    const before = tlsSessions;
    expect(await attempt(urlVia(proxyPort, '?ssl-mode=REQUIRED'))).toBe('ok');
    expect(tlsSessions).toBeGreaterThan(before);
  });

  it('VERIFY_IDENTITY refuses an untrusted certificate and a name that does not match, and accepts both when right', async () => {
    const named = (servername: string, overrides: Record<string, unknown> = {}) => ({ tls: { servername, ...overrides } });
    expect(await attempt(urlVia(proxyPort, '?ssl-mode=VERIFY_IDENTITY'), named('localhost'))).toBe(REFUSED_CERTIFICATE);
    expect(await attempt(urlVia(proxyPort, '?ssl=true'), named('db.example', { ca_file: certFile }))).toBe(REFUSED_CERTIFICATE);
    expect(await attempt(urlVia(proxyPort, '?sslmode=verify-full'), named('localhost', { ca_file: certFile }))).toBe('ok');
  });

  it('refuses identity verification against an IP address, which the driver would check against "localhost"', async () => {
    await expect(openEnvironment('tls', urlVia(proxyPort, '?ssl=true'), { tls: { ca_file: certFile } })).rejects.toThrow(
      'the driver cannot verify a TLS certificate against an IP address',
    );
  });

  it('VERIFY_CA checks the chain but not the name', async () => {
    expect(await attempt(urlVia(proxyPort, '?ssl-mode=VERIFY_CA'))).toBe(REFUSED_CERTIFICATE);
    expect(await attempt(urlVia(proxyPort, '?ssl-mode=VERIFY_CA'), { tls: { ca_file: certFile } })).toBe('ok');
  });

  it('tls.enabled: true verifies fully unless reject_unauthorized is false', async () => {
    expect(await attempt(urlVia(proxyPort, ''), { tls: { enabled: true, servername: 'localhost' } })).toBe(REFUSED_CERTIFICATE);
    expect(await attempt(urlVia(proxyPort, ''), { tls: { enabled: true, reject_unauthorized: false } })).toBe('ok');
    expect(await attempt(urlVia(proxyPort, '?ssl-mode=VERIFY_IDENTITY'), { tls: { reject_unauthorized: false } })).toBe('ok');
  });

  it('is off by default, and tls.enabled: false wins over the URL', async () => {
    const before = tlsSessions;
    expect(await attempt(MYSQL_ADMIN_URL)).toBe('ok');
    expect(await attempt(urlVia(Number(new URL(MYSQL_ADMIN_URL).port || 3306), '?ssl-mode=REQUIRED'), { tls: { enabled: false } })).toBe('ok');
    expect(tlsSessions).toBe(before);
  });
});

describe('connection options', () => {
  const options = (params: Record<string, string>, tlsBlock?: Record<string, unknown>) => {
    const query = new URLSearchParams(params).toString();
    const config = parseEnvironmentConfig('e', { database: `mysql://u:p@db.example/d${query ? `?${query}` : ''}`, ...(tlsBlock ? { tls: tlsBlock } : {}) }, '/');
    return mysqlConnectionOptions({ ...config, target: config.target as NetworkTarget });
  };

  it('maps the URL modes to the verification mysql2 performs', () => {
    expect(options({}).ssl).toBeUndefined();
    expect(options({ 'ssl-mode': 'DISABLED' }).ssl).toBeUndefined();
    expect(options({ 'ssl-mode': 'REQUIRED' }).ssl).toMatchObject({ rejectUnauthorized: false, verifyIdentity: false });
    expect(options({ sslmode: 'verify-ca' }).ssl).toMatchObject({ rejectUnauthorized: true, verifyIdentity: false });
    expect(options({ 'ssl-mode': 'VERIFY_IDENTITY' }).ssl).toMatchObject({ rejectUnauthorized: true, verifyIdentity: true });
    expect(options({ ssl: 'true' }).ssl).toMatchObject({ rejectUnauthorized: true, verifyIdentity: true });
  });

  it('lets the tls block switch TLS on or off, lower verification, and check the chain of a given CA', () => {
    expect(options({ 'ssl-mode': 'REQUIRED' }, { enabled: false }).ssl).toBeUndefined();
    expect(options({}, { enabled: true }).ssl).toMatchObject({ rejectUnauthorized: true, verifyIdentity: true });
    expect(options({ 'ssl-mode': 'VERIFY_IDENTITY' }, { reject_unauthorized: false }).ssl).toMatchObject({ rejectUnauthorized: false });
    expect(options({ 'ssl-mode': 'REQUIRED' }, { ca_file: certFile }).ssl).toMatchObject({ rejectUnauthorized: true, verifyIdentity: false });
  });

  it('never sends local files, never runs several statements, and dials the real host when servername differs', () => {
    const plain = options({});
    expect(plain).toMatchObject({ multipleStatements: false, flags: ['-LOCAL_FILES'], host: 'db.example' });
    const named = options({ ssl: 'true' }, { servername: 'cert.example' });
    expect(named.host).toBe('cert.example');
    expect(typeof named.stream).toBe('function');
  });

  it('refuses modes the driver cannot honour and files it cannot read, naming the key', () => {
    expect(() => options({ 'ssl-mode': 'PREFERRED' })).toThrow(ConfigError);
    expect(() => options({ 'ssl-mode': 'PREFERRED' })).toThrow('environments.e.database: ssl-mode=preferred');
    expect(() => options({ sslmode: 'sometimes' })).toThrow(ConfigError);
    expect(() => options({ ssl: 'true' }, { ca_file: '/nonexistent/ca.pem' })).toThrow('environments.e.tls.ca_file');
  });
});
