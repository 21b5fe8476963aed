/**
 * A TLS front for the test MariaDB, which has no TLS of its own: it sets CLIENT_SSL in the server's greeting,
 * terminates TLS after the client's SSLRequest with a throw-away certificate for "localhost", and hands the
 * plaintext login on (one packet fewer, so the sequence numbers of the login exchange are shifted by one).
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { MYSQL_ADMIN_URL } from '../../support/test-databases.js';

const CLIENT_SSL = 0x0800;

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

/** Serves one client connection; `onSecure` is called when its TLS session is up. */
export async function relay(client: net.Socket, cert: Buffer, key: Buffer, onSecure: () => void = () => undefined): Promise<void> {
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
  secure.once('secure', onSecure);
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

/** A listening TLS front on a free port of 127.0.0.1. */
export async function startTlsProxy(cert: Buffer, key: Buffer, onSecure?: () => void): Promise<net.Server> {
  const proxy = net.createServer((client) => void relay(client, cert, key, onSecure).catch(() => client.destroy()));
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return proxy;
}
