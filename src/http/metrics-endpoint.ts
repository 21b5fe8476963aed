/**
 * GET /metrics: the Prometheus text of the server's registry, behind metrics.token when one is set. Served on the main
 * port (metrics.token alone) or on a listener of its own (metrics.listen: http/metrics-listener.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { UnauthorizedError } from '../errors.js';
import type { Metrics } from '../telemetry/metrics.js';

const CHALLENGE = 'Bearer realm="sqlgate-metrics"';

export function metricsEndpoint(metrics: Metrics, token: string | undefined): (c: Context) => Promise<Response> {
  // Compared as SHA-256 digests: equal lengths always, so neither the comparison's time nor an early length check
  // tells a guesser how much of the token (or how long a token) they have right.
  const expected = token === undefined ? undefined : digest(token);
  return async (c) => {
    if (expected && !isBearer(c.req.header('authorization'), expected)) {
      throw new UnauthorizedError('The metrics need the bearer token set in metrics.token.', CHALLENGE, {
        hint: 'Give the scrape job `authorization: { credentials: <metrics.token> }` (Prometheus), or send "Authorization: Bearer <token>".',
      });
    }
    return c.body(await metrics.render(), 200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' });
  };
}

function isBearer(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!), expected);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
