/**
 * Counts every HTTP request once, as the first middleware: by route template, method and status; the rate-limit and
 * policy refusals the HTTP layer answers itself; and the SSE streams it holds open.
 *
 * The route label is the template Hono matched (`/:env/mcp`, `/interaction/:uid`, `/health`), with each configured
 * environment's name replaced by `:env`, and `unmatched` for a path no route serves: a label taken from the raw path
 * would let anyone grow the metrics without bound by asking for /a, /b, /c ….
 */
import type { Context, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { SqlgateError } from '../errors.js';
import type { Metrics } from '../telemetry/metrics.js';

/** Methods counted by name; anything else (a made-up method) is `other`, for the same reason as the route. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function requestMetrics(metrics: Metrics, environmentNames: ReadonlySet<string>): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    // The most specific route registered for this path (the last one matched), whichever handler answered: a 413 from
    // the body limit on /demo/mcp still counts under /:env/mcp.
    const route = routeTemplate(routePath(c, -1), environmentNames);
    const method = METHODS.has(c.req.method) ? c.req.method : 'other';
    metrics.httpRequest({ route, method, status: statusOf(c), seconds: (performance.now() - started) / 1000 });
    // Hono keeps the error its onError answered (http/on-error.ts): an early 429 from the limits is counted here.
    if (c.error instanceof SqlgateError) metrics.refusal(c.error.code, 'http');
    if (isEventStream(c)) c.res = closingWhenDone(c.res, metrics.sseStreamOpened(route));
  };
}

/** `/demo/mcp` → `/:env/mcp`; `*` (only the catch-all middleware matched) → `unmatched`. */
export function routeTemplate(path: string, environmentNames: ReadonlySet<string>): string {
  if (path === '' || path === '*' || path === '/*') return 'unmatched';
  return path.split('/').map((segment) => (environmentNames.has(segment) ? ':env' : segment)).join('/');
}

/**
 * The status sent: Hono's response's, unless a handler wrote to the Node response itself (the authorization server's
 * routes hand it to oidc-provider, and Hono then holds a placeholder whose status says nothing).
 */
function statusOf(c: Context): number {
  const outgoing = (c.env as { outgoing?: { headersSent: boolean; statusCode: number } } | undefined)?.outgoing;
  return outgoing?.headersSent ? outgoing.statusCode : c.res.status;
}

function isEventStream(c: Context): boolean {
  return c.res.body !== null && (c.res.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream');
}

/** The same response, whose body calls `done` once it has been sent in full or abandoned by the client. */
function closingWhenDone(response: Response, done: () => void): Response {
  const passThrough = new TransformStream<Uint8Array, Uint8Array>();
  // A client that goes away cancels the readable side: pipeTo then rejects (and cancels the stream it reads).
  response.body!.pipeTo(passThrough.writable).then(done, done);
  return new Response(passThrough.readable, { status: response.status, statusText: response.statusText, headers: response.headers });
}
