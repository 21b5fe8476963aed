/**
 * The public base URL of a request (the OAuth issuer and the base of every resource URL) and the client's real
 * address. X-Forwarded-* headers are believed only from a configured trusted proxy: anyone else could send them
 * to make sqlgate name an attacker's host as its issuer, or to dodge the sign-in throttle.
 */
import { BlockList, isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { AuthConfig } from '../config/schema.js';

export interface PublicBaseResolver {
  base(c: Context): string;
  clientAddress(c: Context): string;
  /**
   * The client as rate limits count it: its IPv4 address, or its IPv6 /64 network (one subscriber usually holds a
   * whole /64, so counting single IPv6 addresses would give them 2^64 tries).
   */
  rateLimitKey(c: Context): string;
  /** True when `address` (a socket's remote address) is a configured trusted proxy. */
  isTrustedProxy(address: string): boolean;
}

export function publicBaseResolver(auth: AuthConfig): PublicBaseResolver {
  const trusted = trustedProxyList(auth.trustedProxies);
  const remoteOf = (c: Context) => normalize(getConnInfo(c).remote.address ?? '');
  const isTrusted = (address: string) => address !== '' && trusted.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  return {
    isTrustedProxy: (address) => isTrusted(normalize(address)),
    base(c) {
      if (auth.publicUrl) return auth.publicUrl;
      const url = new URL(c.req.url);
      if (isTrusted(remoteOf(c))) {
        // The value our proxy added is the last one: earlier ones may have come from the client.
        const host = lastValue(c.req.header('x-forwarded-host'));
        const proto = lastValue(c.req.header('x-forwarded-proto'));
        if (host && /^[A-Za-z0-9.[\]:-]+$/.test(host)) return `${proto === 'http' ? 'http' : 'https'}://${host.toLowerCase()}`;
      }
      return url.origin;
    },
    rateLimitKey(c) {
      return networkOf(this.clientAddress(c));
    },
    clientAddress(c) {
      const remote = remoteOf(c);
      if (!isTrusted(remote)) return remote;
      // The right-most address that is not one of our proxies is the client (left ones are client-supplied).
      const chain = (c.req.header('x-forwarded-for') ?? '').split(',').map((a) => normalize(a.trim())).filter(Boolean);
      for (let i = chain.length - 1; i >= 0; i--) if (!isTrusted(chain[i]!)) return chain[i]!;
      return remote;
    },
  };
}

function trustedProxyList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

function networkOf(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) is `10.0.0.1`. */
function normalize(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function lastValue(header: string | undefined): string | undefined {
  return header?.split(',').at(-1)?.trim() || undefined;
}
