/**
 * The `metrics` section: whether and where Prometheus metrics are served. Part of the schema in schema.ts, kept apart
 * to keep each file about one thing. docs/operations/metrics.md says what is measured.
 *
 * Nothing is served unless one of the two keys is set: metrics name environments, tools and error codes, and a
 * scrape endpoint that anyone can read tells a stranger what the server is for and how busy it is.
 */
import { z } from 'zod';

/** `host:port` or `[v6]:port`; the port is required (a scrape job needs to know it, so 0 is refused). */
const LISTEN_ADDRESS = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;

const listenSchema = z
  .string()
  .trim()
  .regex(LISTEN_ADDRESS, 'must be "host:port" such as "127.0.0.1:9464" (an IPv6 address in brackets: "[::1]:9464")')
  .transform((text) => {
    const [, v6, host, port] = LISTEN_ADDRESS.exec(text)!;
    return { host: (v6 ?? host)!, port: Number(port) };
  })
  .refine((address) => address.port >= 1 && address.port <= 65_535, 'must name a port from 1 to 65535');

export const metricsSchema = z
  .strictObject({
    /**
     * A bearer token every scrape must send (`Authorization: Bearer …`), compared in constant time. Alone, it serves
     * /metrics on the main port; with `listen`, it guards the separate listener. Write `${METRICS_TOKEN}` to keep it
     * out of the file.
     */
    token: z
      .string()
      .min(32, 'must be at least 32 characters (generate one with: openssl rand -hex 32)')
      .max(512, 'must be at most 512 characters')
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces (it travels in an HTTP header)')
      .optional(),
    /**
     * Serve /metrics on a listener of its own instead of the main port, e.g. "127.0.0.1:9464": reachable only where
     * the scraper runs (loopback, a pod network), never through the public proxy.
     */
    listen: listenSchema.optional(),
  })
  .transform((m) => ({ token: m.token, listen: m.listen }));

export type MetricsConfig = z.output<typeof metricsSchema>;
/** metrics.listen, parsed. */
export type MetricsListenAddress = NonNullable<MetricsConfig['listen']>;

/** Whether /metrics is served at all (one of the keys is set); otherwise nothing is measured either. */
export function isMetricsEnabled(config: MetricsConfig): boolean {
  return config.token !== undefined || config.listen !== undefined;
}
