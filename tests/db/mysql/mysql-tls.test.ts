/**
 * TLS: URL parameters and the `tls` block → what mysql2 does, checked against a real TLS endpoint. The test server
 * has no TLS, so a small proxy offers it: it sets CLIENT_SSL in the server's greeting, terminates TLS after the
 * client's SSLRequest with a throw-away certificate for "localhost", and hands the plaintext login on (one packet
 * fewer, so the sequence numbers of the login exchange are shifted by one).
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptSelectOne, createTestCertificate, urlVia as urlViaPort, type TestCertificate } from '../../support/tls-test-endpoint.js';
import { parseEnvironmentConfig } from '../../../src/config/load.js';
import type { NetworkTarget } from '../../../src/config/database-url.js';
import { mysqlConnectionOptions } from '../../../src/db/mysql/mysql-connection-options.js';
import { ConfigError } from '../../../src/errors.js';
import { MYSQL_ADMIN_URL, openEnvironment } from '../../support/test-databases.js';

const CLIENT_SSL = 0x0800;

let certificate: TestCertificate;
let certFile: string;
let proxy: net.Server;
let proxyPort: number;
let tlsSessions = 0;

/** Reads whole MySQL packets (3-byte length, sequence number, payload) from a stream until detached. */
function packetReader(stream: Duplex) {
  let pending = Buffer.alloc(0);
  let wake: (() => void) | null = null;
  const onData = (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    wake?.();
  };
  stream.on('data', onData);
  return {
    async next(): Promise<Buffer> {
      for (;;) {
        if (pending.length >= 4 && pending.length >= 4 + pending.readUIntLE(0, 3)) {
          const packet = Buffer.from(pending.subarray(0, 4 + pending.readUIntLE(0, 3)));
          pending = pending.subarray(packet.length);
          return packet;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    detach(): Buffer {
      stream.off('data', onData);
      return pending;
    },
  };
}

/** `socket` as a stream that first yields `prefix` (bytes already read from it). */
function withPrefix(socket: net.Socket, prefix: Buffer): Duplex {
  const stream = new Duplex({
    read: () => socket.resume(),
    write: (chunk, _encoding, callback) => socket.write(chunk, callback),
    final: (callback) => socket.end(callback),
  });
  stream.push(prefix);
  socket.on('data', (chunk) => stream.push(chunk) || socket.pause());
  socket.on('end', () => stream.push(null));
  socket.on('close', () => stream.destroy());
  return stream;
}

async function relay(client: net.Socket, cert: Buffer, key: Buffer): Promise<void> {
  const server = new URL(MYSQL_ADMIN_URL);
  const upstream = net.connect(Number(server.port || 3306), server.hostname);
  for (const end of [client, upstream]) end.on('error', () => (client.destroy(), upstream.destroy()));
  const fromServer = packetReader(upstream);
  const greeting = await fromServer.next();
  // Greeting: header, protocol 10, version NUL, thread id (4), scramble (8), filler (1), capability flags.
  const flagsAt = greeting.indexOf(0, 5) + 1 + 4 + 8 + 1;
  greeting.writeUInt16LE(greeting.readUInt16LE(flagsAt) | CLIENT_SSL, flagsAt);
  client.write(greeting);
  const fromClient = packetReader(client);
  await fromClient.next(); // the SSLRequest: TLS starts right after it, often in the same TCP segment
  const secure = new tls.TLSSocket(withPrefix(client, fromClient.detach()), { isServer: true, cert, key });
  secure.on('error', () => (client.destroy(), upstream.destroy()));
  secure.once('secure', () => tlsSessions++);
  const fromSecure = packetReader(secure);
  const login = await fromSecure.next();
  login[3] = login[3]! - 1;
  login.writeUInt32LE(login.readUInt32LE(4) & ~CLIENT_SSL, 4);
  upstream.write(login);
  const answer = await fromServer.next();
  answer[3] = answer[3]! + 1;
  secure.write(answer);
  // From here on every command restarts its own sequence: plain piping.
  upstream.write(fromSecure.detach());
  secure.write(fromServer.detach());
  secure.pipe(upstream).pipe(secure);
}

beforeAll(async () => {
  certificate = createTestCertificate('sqlgate-mysql-tls-');
  certFile = certificate.certFile;
  const { cert, key } = certificate;
  proxy = net.createServer((client) => void relay(client, cert, key).catch(() => client.destroy()));
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
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
