/**
 * The `fetch` that oidc-provider uses for whatever it fetches on a client's behalf (Client ID Metadata Documents,
 * and jwks_uri or sector_identifier_uri should those ever be enabled). It is built on node:http(s) rather than the
 * global fetch because a connection's `lookup` can be pinned there: the host is vetted first and the socket then
 * goes to the vetted address and nowhere else (outbound-address.ts). TLS still verifies the certificate against the
 * host name, and the Host header and SNI still carry it.
 *
 * oidc-provider keeps its own limits around this: its 2.5 s timeout arrives as `init.signal` (and bounds the name
 * lookup, the connection and the body), and its response size limit and document cache apply to the Response
 * returned here. Redirects are never followed, whatever `init.redirect` says: each hop would need vetting again,
 * and oidc-provider asks for `redirect: 'manual'` where it matters (a 3xx then fails as any non-200 does).
 */
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { ForbiddenError } from '../errors.js';
import { pinnedLookup, resolveAll, vetOutboundHost, type Resolver, type VettedAddress } from './outbound-address.js';

/** The signature oidc-provider's `fetch` configuration expects (the WHATWG fetch). */
export type OutboundFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** What the fetch may reach (a vetting rule for addresses) and how it looks names up. */
export interface OutboundFetchOptions {
  /** Whether a connection to this IP address is allowed; asked for every address a host has, before connecting. */
  readonly isAllowedAddress: (address: string) => boolean;
  /** Name resolution; the system resolver by default. */
  readonly resolve?: Resolver;
}

/** Responses that have no body by definition (the Response constructor refuses one). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * A fetch that refuses, before opening any connection, a URL whose host is (or resolves to) an address that
 * `isAllowedAddress` rejects, and connects only to the address it vetted. A refusal is a ForbiddenError; oidc-provider
 * answers it, like any failed fetch, with its usual `invalid_client` "client_id metadata document fetch failed".
 */
export function createOutboundFetch(options: OutboundFetchOptions): OutboundFetch {
  const resolve = options.resolve ?? resolveAll;
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ForbiddenError(`${url.protocol} URLs are not fetched`);
    const vetted = await vetOutboundHost(url, { isAllowedAddress: options.isAllowedAddress, resolve, signal: request.signal });
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    return send(url, request, vetted, body);
  };
}

function send(url: URL, request: Request, vetted: VettedAddress, body: Buffer | undefined): Promise<Response> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const outgoing = transport.request(
      {
        hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: request.method,
        headers: outgoingHeaders(request.headers),
        lookup: pinnedLookup(vetted),
        // No pooled socket: every request connects to the address it vetted itself.
        agent: false,
        signal: request.signal,
      },
      (incoming) => {
        try {
          resolve(toResponse(incoming, request.method));
        } catch (err) {
          incoming.destroy();
          reject(err);
        }
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function outgoingHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    // oidc-provider sets an empty user-agent to drop undici's default; node:http sends none unless told to.
    if (name === 'user-agent' && value === '') return;
    out[name] = value;
  });
  return out;
}

function toResponse(incoming: http.IncomingMessage, method: string): Response {
  const status = incoming.statusCode ?? 0;
  const headers = new Headers();
  for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2) headers.append(incoming.rawHeaders[i]!, incoming.rawHeaders[i + 1]!);
  if (NULL_BODY_STATUSES.has(status) || method === 'HEAD') {
    incoming.resume();
    return new Response(null, { status, headers });
  }
  // A status outside 200–599 makes the constructor throw, and the caller rejects with it.
  return new Response(Readable.toWeb(incoming) as ReadableStream<Uint8Array>, { status, headers });
}
