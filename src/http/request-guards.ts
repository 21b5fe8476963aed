/**
 * DNS-rebinding protection for the MCP endpoints: the Host header must name this server, and a browser's
 * Origin must be allowed. Without it, a web page could make a browser on the same machine call a
 * loopback-bound sqlgate. The checks are the SDK's; this file decides the allow-lists from the config.
 */
import { hostHeaderValidationResponse, localhostAllowedHostnames, localhostAllowedOrigins, originValidationResponse } from '@modelcontextprotocol/server';
import type { MiddlewareHandler } from 'hono';
import type { ServerConfig } from '../config/schema.js';

const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '[::]']);

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The Host check alone, for the authorization server's routes: they must answer cross-origin calls (browser-based
 * clients fetch /token and the metadata with CORS), but only under this server's own names.
 */
export function hostGuard(server: ServerConfig): MiddlewareHandler {
  const { checkHost, allowedHosts } = allowLists(server);
  return async (c, next) => {
    const rejected = checkHost ? hostHeaderValidationResponse(c.req.raw, allowedHosts) : undefined;
    if (rejected) return rejected;
    await next();
  };
}

export function requestGuards(server: ServerConfig): MiddlewareHandler {
  const { checkHost, allowedHosts } = allowLists(server);
  const allowedOrigins = [
    ...localhostAllowedOrigins(),
    ...server.allowedHosts,
    ...server.allowedOrigins.map((origin) => new URL(origin).hostname),
  ];
  return async (c, next) => {
    const rejected =
      (checkHost ? hostHeaderValidationResponse(c.req.raw, allowedHosts) : undefined) ??
      originValidationResponse(c.req.raw, allowedOrigins);
    if (rejected) return rejected;
    await next();
  };
}

function allowLists(server: ServerConfig): { checkHost: boolean; allowedHosts: string[] } {
  const bindHost = server.host.includes(':') && !server.host.startsWith('[') ? `[${server.host}]` : server.host;
  // A loopback server only answers to loopback names; a public one checks Host only when told which names are its own.
  const checkHost = isLoopbackHost(server.host) || server.allowedHosts.length > 0;
  const allowedHosts = [...localhostAllowedHostnames(), ...server.allowedHosts, ...(WILDCARD_ADDRESSES.has(server.host) ? [] : [bindHost])];
  return { checkHost, allowedHosts };
}
