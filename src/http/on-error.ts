/**
 * The one place an error becomes an HTTP response: a SqlgateError answers with its status and a JSON body
 * `{ error: code, message, hint }`; anything else is logged and answered with a bare internal error.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { InsufficientScopeError, PayloadTooLargeError, RateLimitedError, ShuttingDownError, SqlgateError, UnauthorizedError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';

export function errorResponse(err: unknown, c: Context, logger: Logger): Response {
  const error = err instanceof HTTPException && err.status === 413
    ? new PayloadTooLargeError('The request body is larger than this server accepts.', { hint: 'Send a smaller request, or raise server.max_body_bytes.' })
    : err;
  if (error instanceof PayloadTooLargeError) {
    // The rest of the body was never read: this connection cannot carry another request.
    c.header('Connection', 'close');
  }
  if (error instanceof UnauthorizedError || error instanceof InsufficientScopeError) {
    c.header('WWW-Authenticate', error.challenge);
  }
  if (error instanceof RateLimitedError) c.header('Retry-After', String(error.retryAfterSeconds));
  if (error instanceof ShuttingDownError) {
    // The server is going away: the client should take its next request elsewhere, not down this connection.
    c.header('Retry-After', String(error.retryAfterSeconds));
    c.header('Connection', 'close');
  }
  if (error instanceof SqlgateError) {
    logger.info({ path: c.req.path, code: error.code, detail: error.detail }, 'request failed');
    return c.json({ error: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) }, error.status as 400);
  }
  if (error instanceof HTTPException) return error.getResponse();
  const requestId = randomUUID();
  logger.error({ err: error, path: c.req.path, requestId }, 'request failed unexpectedly');
  return c.json({ error: 'SG_INTERNAL', message: `Internal error (request id ${requestId}).` }, 500);
}
