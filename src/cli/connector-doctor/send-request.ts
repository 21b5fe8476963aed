/**
 * How the connector doctor talks HTTP to the server, and reads what it answers. `sendRequest` never throws: a
 * failure to get an answer comes back as a `Reply` with a readable reason (a timeout, ECONNREFUSED), so each check
 * turns it into a finding that says what to fix. Redirects are reported rather than followed unless asked (the
 * metadata GETs), so a check sees the redirect an MCP client would be given.
 */
import { SQLGATE_VERSION } from '../../version.js';
import type { ConnectorContext } from './connector-context.js';

/** How the doctor names itself to the server: the MCP client name and the name of the OAuth clients it registers. */
export const CLIENT_NAME = 'sqlgate doctor';

/** What came back: the status, headers and body, or why nothing did. */
export type Reply = { readonly ok: true; readonly status: number; readonly headers: Headers; readonly body: string } | { readonly ok: false; readonly error: string };

/** One request: a JSON or form body makes it a POST unless `method` says otherwise. */
export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly json?: unknown;
  readonly form?: Record<string, string>;
  /** Follow redirects (GET of metadata) or report them (everything else). */
  readonly isFollowingRedirects?: boolean;
}

/** Sends one request with the doctor's user agent and the context's timeout; resolves with the reply, never rejects. */
export async function sendRequest(ctx: ConnectorContext, url: string, options: RequestOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'user-agent': `sqlgate-doctor/${SQLGATE_VERSION}`, ...options.headers };
  let body: string | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  } else if (options.form) {
    body = new URLSearchParams(options.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  try {
    const response = await ctx.probes.fetch(url, {
      method: options.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      body,
      redirect: options.isFollowingRedirects ? 'follow' : 'manual',
      signal: AbortSignal.timeout(ctx.timeoutMs),
    });
    return { ok: true, status: response.status, headers: response.headers, body: await response.text() };
  } catch (err) {
    return { ok: false, error: describeFetchError(err, ctx.timeoutMs) };
  }
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  const error = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = error.cause;
  if (cause?.code) return `${cause.code}${cause.message && !cause.message.includes(cause.code) ? ` (${cause.message})` : ''}`;
  return cause?.message ?? error.message ?? String(err);
}

/** The reply's body as a JSON object, or undefined (no reply, not JSON, or not an object). */
export function jsonOf(reply: Reply): Record<string, unknown> | undefined {
  if (!reply.ok) return undefined;
  try {
    const value: unknown = JSON.parse(reply.body);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}


/** sqlgate's own JSON errors carry an SG_* code; anything else answering means a proxy or another server. */
export function isSqlgateError(reply: Reply, code: string): boolean {
  return jsonOf(reply)?.error === code;
}

/** `url` without the public base, for messages (`/register`, not the whole URL). */
export function pathOf(ctx: ConnectorContext, url: string): string {
  return url.startsWith(ctx.base) ? url.slice(ctx.base.length) || '/' : url;
}

/** An OAuth error reply as "400 invalid_request: …", or the status, or why there was no reply. */
export function oauthErrorOf(reply: Reply): string {
  if (!reply.ok) return reply.error;
  const body = jsonOf(reply);
  if (typeof body?.error === 'string') return `${reply.status} ${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}`;
  return `${reply.status}`;
}
