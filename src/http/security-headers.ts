/**
 * The security headers every response carries, in one list: the Hono middleware sets them on the responses the app
 * builds, and `setSecurityHeaders` puts them on the Node response first where another framework writes it itself
 * (oidc-provider, a Koa app, answers the authorization server's routes). Pages that render HTML set their own
 * Content-Security-Policy (auth/pages.ts: it carries a per-page nonce); every other response gets one that allows
 * nothing (a redirect's or an error's bit of HTML has no business loading or framing anything).
 *
 * The values are hono/secure-headers' defaults, with framing refused outright (nothing of sqlgate is meant to be
 * embedded) and resources kept to this origin.
 */
import type { OutgoingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Origin-Agent-Cluster': '?1',
  'Referrer-Policy': 'no-referrer',
  'Strict-Transport-Security': 'max-age=15552000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-DNS-Prefetch-Control': 'off',
  'X-Download-Options': 'noopen',
  'X-Frame-Options': 'DENY',
  'X-Permitted-Cross-Domain-Policies': 'none',
  'X-XSS-Protection': '0',
};

/** For responses that set none of their own. */
const DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'";

/** Sets the headers on every response once it is built (error responses included: on-error.ts builds those first). */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
    if (!c.res.headers.has('Content-Security-Policy')) c.res.headers.set('Content-Security-Policy', DEFAULT_CSP);
    c.res.headers.delete('X-Powered-By');
  };
}

/** For a response written to Node directly: set before the writer runs, whose own headers (its CSP) win. */
export function setSecurityHeaders(response: OutgoingMessage): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
  response.setHeader('Content-Security-Policy', DEFAULT_CSP);
}
