/**
 * Everything the connector checks do to the network, and the clock, behind one injectable interface: DNS lookups,
 * a TLS handshake, fetch and now(). The tests pass fakes, so they need neither the internet nor a real certificate,
 * and no check imports node:dns or node:tls itself. `NETWORK_PROBES` is the real thing, used unless told otherwise.
 */
import dns from 'node:dns/promises';
import { isIP } from 'node:net';
import tls from 'node:tls';

/** What one TLS handshake showed about the certificate (see `probeTls`). */
export interface TlsProbe {
  /** The chain verifies against the system's trusted CAs and the certificate names the host. */
  readonly authorized: boolean;
  /** OpenSSL's or Node's code when not authorized, e.g. CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID. */
  readonly error?: string;
  readonly validTo?: Date;
  /** The names the certificate is for (subjectAltName, else its CN). */
  readonly names?: string;
  readonly issuer?: string;
}

/** Everything the checks do to the network, injectable. */
export interface ConnectorProbes {
  resolve4(host: string): Promise<string[]>;
  resolve6(host: string): Promise<string[]>;
  probeTls(host: string, port: number, timeoutMs: number): Promise<TlsProbe>;
  fetch: typeof globalThis.fetch;
  now(): Date;
}

/** The real network and clock, used unless the options pass other probes. */
export const NETWORK_PROBES: ConnectorProbes = {
  resolve4: (host) => dns.resolve4(host),
  resolve6: (host) => dns.resolve6(host),
  probeTls,
  fetch: (input, init) => globalThis.fetch(input, init),
  now: () => new Date(),
};

/** One TLS handshake: what the certificate is and whether Node's default trust store accepts it for `host`. */
export function probeTls(host: string, port: number, timeoutMs: number): Promise<TlsProbe> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, servername: isIP(host) ? undefined : host, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    socket.setTimeout(timeoutMs, () => socket.destroy(Object.assign(new Error(`no TLS handshake within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })));
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const error = socket.authorizationError as unknown;
      const issuer = cert.issuer ? (cert.issuer.O ?? cert.issuer.CN) : undefined;
      const names = cert.subjectaltname ?? cert.subject?.CN;
      resolve({
        authorized: socket.authorized,
        ...(error ? { error: typeof error === 'string' ? error : ((error as { code?: string }).code ?? String(error)) } : {}),
        ...(cert.valid_to ? { validTo: new Date(cert.valid_to) } : {}),
        ...(names ? { names: String(names) } : {}),
        ...(issuer ? { issuer: String(issuer) } : {}),
      });
      socket.end();
    });
  });
}
