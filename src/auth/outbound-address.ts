/**
 * Where the authorization server may connect when a client makes it fetch something (a Client ID Metadata
 * Document, a jwks_uri): the host is vetted before any connection, and the connection goes to the vetted address
 * only. Checking the socket's peer after connecting (oidc-provider's own SSRF check) is too late: the TCP and TLS
 * handshakes have already happened, so the time an error takes tells an attacker which internal ports are open.
 */
import { promises as dns, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { ForbiddenError } from '../errors.js';

/** Resolves a host name to all of its addresses, as `dns.lookup(name, { all: true })` does. */
export type Resolver = (hostname: string) => Promise<readonly LookupAddress[]>;

/** An address that passed `isAllowedAddress`, and the only one a connection to its host may use. */
export interface VettedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** How a fetch's address is vetted: which addresses pass, how names are looked up, and when to give up. */
export interface VetOptions {
  /** Whether a connection to this IP address is allowed (false for special-use addresses outside development). */
  readonly isAllowedAddress: (address: string) => boolean;
  readonly resolve: Resolver;
  /** Gives up waiting for the resolver (the fetch's timeout). */
  readonly signal?: AbortSignal | null;
}

/** The system resolver (hosts file, then DNS), every address in the order it gives them. */
export const resolveAll: Resolver = (hostname) => dns.lookup(hostname, { all: true, order: 'verbatim' });

/**
 * The address to connect to for `url`'s host, or a ForbiddenError before any connection is made. The host comes
 * from the WHATWG URL parser, which already wrote every IPv4 spelling (`127.1`, `2130706433`, `0x7f000001`,
 * `0177.0.0.1` …) as a dotted quad and IPv6 in brackets; an IP literal is judged as it is, never resolved. A name
 * is resolved once and refused if ANY of its addresses is not allowed: the connection would pick one of them, and
 * a name that mixes a public and an internal address is a rebinding setup.
 */
export async function vetOutboundHost(url: URL, options: VetOptions): Promise<VettedAddress> {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const literalFamily = isIP(host);
  const addresses = literalFamily ? [{ address: host, family: literalFamily }] : await abortable(options.resolve(host), options.signal);
  const refused = addresses.find((a) => !options.isAllowedAddress(a.address));
  if (addresses.length === 0 || refused) {
    throw new ForbiddenError('the host is not an address this server may connect to', {
      detail: `${url.host} → ${addresses.map((a) => a.address).join(', ') || 'no address'}`,
    });
  }
  const [first] = addresses as [LookupAddress];
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

/**
 * A `lookup` for net/tls/http that answers every question with the vetted address, so the connection cannot
 * resolve the name a second time and be sent elsewhere (DNS rebinding between check and use).
 */
export function pinnedLookup(vetted: VettedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: vetted.address, family: vetted.family }]);
    else callback(null, vetted.address, vetted.family);
  };
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | null | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
