/**
 * The local PostgreSQL speaks no TLS: this proxy answers the SSLRequest, terminates TLS with a test certificate and
 * forwards the plaintext protocol to the real server, counting the TLS sessions it made.
 */
import net from 'node:net';
import tls from 'node:tls';
import { PG_ADMIN_URL } from '../../support/test-databases.js';

const SSL_REQUEST_CODE = 80877103;

export interface PostgresTlsProxy {
  readonly port: number;
  /** TLS sessions made so far. */
  sessions(): number;
  close(): void;
}

export async function startPostgresTlsProxy(certificate: { readonly cert: string | Buffer; readonly key: string | Buffer }): Promise<PostgresTlsProxy> {
  const { cert, key } = certificate;
  const server = new URL(PG_ADMIN_URL);
  let sessions = 0;
  const proxy = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.once('data', (first) => {
      if (first.length !== 8 || first.readInt32BE(4) !== SSL_REQUEST_CODE) return socket.destroy();
      socket.write('S');
      const secure = new tls.TLSSocket(socket, { isServer: true, cert, key });
      const upstream = net.connect(Number(server.port || 5432), server.hostname);
      secure.once('secure', () => sessions++);
      for (const end of [secure, upstream]) end.on('error', () => (secure.destroy(), upstream.destroy()));
      secure.on('close', () => upstream.destroy());
      upstream.on('close', () => secure.destroy());
      secure.pipe(upstream).pipe(secure);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return { port: (proxy.address() as net.AddressInfo).port, sessions: () => sessions, close: () => void proxy.close() };
}
