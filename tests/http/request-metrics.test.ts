/**
 * The HTTP layer's metrics on their own, in a Hono app driven through app.request(): route templates instead of raw
 * paths, bounded methods, refusals answered by the HTTP layer, open SSE streams, and /metrics behind its bearer token.
 * The same from a real server: tests/e2e/metrics.test.ts.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { PolicyDeniedError, RateLimitedError } from '../../src/errors.js';
import { metricsEndpoint } from '../../src/http/metrics-endpoint.js';
import { errorResponse } from '../../src/http/on-error.js';
import { requestMetrics, routeTemplate } from '../../src/http/request-metrics.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createMetrics, type Metrics } from '../../src/telemetry/metrics.js';
import { sampleValue } from '../support/prometheus.js';

const logger = createLogger('silent');
const ENVIRONMENTS = new Set(['demo', 'pg']);

function appWith(metrics: Metrics): Hono {
  const app = new Hono();
  app.use('*', requestMetrics(metrics, ENVIRONMENTS));
  for (const env of ENVIRONMENTS) {
    app.use(`/${env}/*`, (_c, next) => next());
    app.post(`/${env}/mcp`, (c) => c.json({ ok: true }));
    app.get(`/${env}/sse`, () => new Response(new ReadableStream({ start: (controller) => controller.enqueue(new TextEncoder().encode('event: endpoint\n\n')) }), { headers: { 'content-type': 'text/event-stream' } }));
  }
  app.get('/interaction/:uid', (c) => c.text('sign in'));
  app.get('/limited', () => {
    throw new RateLimitedError('calls_per_minute', 30, 'Too many calls.');
  });
  app.get('/denied', () => {
    throw new PolicyDeniedError('Not yours.');
  });
  app.notFound((c) => c.text('no', 404));
  app.onError((err, c) => errorResponse(err, c, logger));
  return app;
}

describe('routeTemplate', () => {
  it('names each environment :env and a path no route serves "unmatched"', () => {
    expect(routeTemplate('/demo/mcp', ENVIRONMENTS)).toBe('/:env/mcp');
    expect(routeTemplate('/.well-known/oauth-protected-resource/pg/sse', ENVIRONMENTS)).toBe('/.well-known/oauth-protected-resource/:env/sse');
    expect(routeTemplate('/interaction/:uid/login', ENVIRONMENTS)).toBe('/interaction/:uid/login');
    expect(routeTemplate('*', ENVIRONMENTS)).toBe('unmatched');
    expect(routeTemplate('/*', ENVIRONMENTS)).toBe('unmatched');
  });
});

describe('requestMetrics', () => {
  it('counts by route template, method and status: never the raw path, never a made-up method', async () => {
    const metrics = createMetrics({ version: '1', withoutProcessMetrics: true });
    const app = appWith(metrics);
    await app.request('/demo/mcp', { method: 'POST' });
    await app.request('/pg/mcp', { method: 'POST' });
    await app.request('/interaction/abc123');
    await app.request('/interaction/def456');
    for (let i = 0; i < 5; i++) await app.request(`/no-such-path-${i}`);
    await app.request('/demo/no-such-page');
    await app.request('/demo/mcp', { method: 'BREW' });
    const text = await metrics.render();
    expect(sampleValue(text, 'sqlgate_http_requests_total', { route: '/:env/mcp', method: 'POST', status: '200' })).toBe(2);
    expect(sampleValue(text, 'sqlgate_http_requests_total', { route: '/interaction/:uid', method: 'GET', status: '200' })).toBe(2);
    expect(sampleValue(text, 'sqlgate_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' })).toBe(5);
    expect(sampleValue(text, 'sqlgate_http_requests_total', { route: '/:env/*', method: 'GET', status: '404' })).toBe(1);
    // No route takes BREW at /demo/mcp: it counts under the one that matched, the environment's catch-all.
    expect(sampleValue(text, 'sqlgate_http_requests_total', { route: '/:env/*', method: 'other', status: '404' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_http_request_duration_seconds_count', { route: '/:env/mcp', method: 'POST' })).toBe(2);
    expect(text).not.toMatch(/abc123|no-such|demo\/|BREW/);
  });

  it('counts the rate-limit and policy refusals the HTTP layer answers', async () => {
    const metrics = createMetrics({ version: '1', withoutProcessMetrics: true });
    const app = appWith(metrics);
    expect((await app.request('/limited')).status).toBe(429);
    expect((await app.request('/denied')).status).toBe(403);
    const text = await metrics.render();
    expect(sampleValue(text, 'sqlgate_refusals_total', { code: 'SG_RATE_LIMITED', stage: 'http' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_refusals_total', { code: 'SG_POLICY_DENIED', stage: 'http' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_http_requests_total', { route: '/limited', status: '429' })).toBe(1);
  });

  it('counts an SSE stream as open until the client goes away', async () => {
    const metrics = createMetrics({ version: '1', withoutProcessMetrics: true });
    const app = appWith(metrics);
    const response = await app.request('/demo/sse');
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('event: endpoint\n\n');
    expect(sampleValue(await metrics.render(), 'sqlgate_sse_streams_open', { route: '/:env/sse' })).toBe(1);
    await reader.cancel();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sampleValue(await metrics.render(), 'sqlgate_sse_streams_open', { route: '/:env/sse' })).toBe(0);
  });
});

describe('metricsEndpoint', () => {
  const TOKEN = 'f'.repeat(40);

  function endpointApp(token: string | undefined) {
    const metrics = createMetrics({ version: '1', withoutProcessMetrics: true });
    const app = new Hono();
    app.get('/metrics', metricsEndpoint(metrics, token));
    app.onError((err, c) => errorResponse(err, c, logger));
    return app;
  }

  it('answers the Prometheus text to the bearer of the token, and 401 with a challenge to anyone else', async () => {
    const app = endpointApp(TOKEN);
    const ok = await app.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await ok.text()).toContain('# TYPE sqlgate_tool_calls_total counter');
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, TOKEN, `Bearer ${TOKEN} extra`]) {
      const refused = await app.request('/metrics', { headers: authorization === undefined ? {} : { authorization } });
      expect(refused.status, String(authorization)).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="sqlgate-metrics"');
      expect(await refused.json()).toMatchObject({ error: 'SG_UNAUTHORIZED' });
    }
    expect((await app.request('/metrics', { headers: { authorization: `bearer\t${TOKEN}` } })).status).toBe(200);
  });

  it('answers anyone when no token is set (the separate listener without metrics.token)', async () => {
    expect((await endpointApp(undefined).request('/metrics')).status).toBe(200);
  });
});
