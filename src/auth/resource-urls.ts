/**
 * Resource URLs (RFC 8707, RFC 9728): each environment is one protected resource, named by exactly the URL a user
 * pastes into a client — `<public base>/<env>/mcp` (or `/sse` for the legacy transport), no trailing slash.
 */

export type McpTransportPath = 'mcp' | 'sse';

export function resourceUrl(base: string, environment: string, transport: McpTransportPath = 'mcp'): string {
  return `${base}/${environment}/${transport}`;
}

/** Where the resource's metadata lives (RFC 9728 §3.1: the well-known segment goes between host and path). */
export function resourceMetadataUrl(base: string, environment: string, transport: McpTransportPath = 'mcp'): string {
  return `${base}/.well-known/oauth-protected-resource/${environment}/${transport}`;
}

/**
 * The environment a resource URL names, when it is one of this server's (same public base; `/<env>/mcp`,
 * `/<env>/sse` or `/<env>`); undefined otherwise.
 */
export function environmentOfResource(resource: string, base: string, environments: ReadonlySet<string>): string | undefined {
  if (!resource.startsWith(`${base}/`)) return undefined;
  const match = /^([^/]+)(?:\/(?:mcp|sse))?$/.exec(resource.slice(base.length + 1));
  return match && environments.has(match[1]!) ? match[1] : undefined;
}
