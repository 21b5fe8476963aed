/**
 * metrics.listen: /metrics on a listener of its own (e.g. 127.0.0.1:9464), so the scrape port can stay off the
 * public proxy and out of the main port's Host and Origin rules. It serves /metrics and nothing else.
 */
import { Hono } from 'hono';
import type { MetricsListenAddress } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { listen, type Listening } from './listen.js';
import { metricsEndpoint } from './metrics-endpoint.js';
import { errorResponse } from './on-error.js';
import { isLoopbackHost } from './request-guards.js';

export async function listenForMetrics(metrics: Metrics, address: MetricsListenAddress, token: string | undefined, logger: Logger): Promise<Listening> {
  const app = new Hono();
  app.get('/metrics', metricsEndpoint(metrics, token));
  app.notFound((c) => c.text('This listener serves only /metrics.\n', 404));
  app.onError((err, c) => errorResponse(err, c, logger));
  if (!token && !isLoopbackHost(address.host)) {
    logger.warn({ listen: `${address.host}:${address.port}` }, 'metrics.listen is not a loopback address and metrics.token is not set: anyone who can reach it reads the metrics (environment and tool names, traffic). Set metrics.token, or keep the port on a private network.');
  }
  try {
    const listening = await listen(app, address.host, address.port);
    logger.info({ listen: `${address.host}:${listening.port}` }, 'metrics served at /metrics on their own listener');
    return listening;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new ConfigError(`metrics.listen (${address.host}:${address.port}): ${err.message}`, {
      hint: 'Choose another address or port for metrics.listen (it must differ from server.port).',
    });
  }
}
