/**
 * Compatibility with the seed's reverse-proxy layout: nginx strips an environment's prefix (`/production/sse` →
 * `/sse`) and says which environment it was in `X-Environment-Path: /production`. sqlgate serves every
 * environment under its own prefix, so such a request is put back under it before routing — only when it comes
 * from a trusted proxy (anyone else could otherwise steer a request into another environment).
 */
import type { IncomingMessage } from 'node:http';

export type FetchHandler = (request: Request, env: { incoming: IncomingMessage }) => Response | Promise<Response>;

export function withEnvironmentPathHeader(
  fetch: FetchHandler,
  environments: ReadonlySet<string>,
  isTrustedProxy: (address: string) => boolean,
): FetchHandler {
  return (request, env) => {
    const header = request.headers.get('x-environment-path');
    if (header === null) return fetch(request, env);
    const name = /^\/([^/]+)\/?$/.exec(header.trim())?.[1];
    const url = new URL(request.url);
    const address = env.incoming.socket?.remoteAddress ?? '';
    if (!name || !environments.has(name) || !isTrustedProxy(address) || url.pathname === `/${name}` || url.pathname.startsWith(`/${name}/`)) {
      return fetch(request, env);
    }
    url.pathname = `/${name}${url.pathname}`;
    env.incoming.url = `${url.pathname}${url.search}`;
    return fetch(new Request(url, request), env);
  };
}
