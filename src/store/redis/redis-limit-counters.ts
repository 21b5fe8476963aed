/**
 * Limit counters in Redis (limits.store), shared by every sqlgate instance that names the same Redis and key
 * prefix. rate-limiter-flexible's RateLimiterRedis does each count in one Lua script (INCRBY + expiry), so
 * instances counting the same key at once never lose a point.
 */
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { LimitsStoreConfig } from '../../config/schema.js';
import { cachedCounters, type LimitCounterStore } from '../limit-counters.js';

/** How long opening waits for Redis before going on without it (what then is limits.on_store_error's business). */
const FIRST_CONNECT_WAIT_MS = 2_000;

/**
 * Never rejects: a Redis that is down at start must not stop the server (tool calls may fail open). The client
 * keeps reconnecting in the background; meanwhile every count rejects at once instead of waiting.
 */
export async function openRedisLimitCounters(config: LimitsStoreConfig, keyPrefix: string): Promise<LimitCounterStore> {
  const client = new Redis(config.url, {
    // A limit check is on the path of every tool call and sign-in: while Redis is away, fail now (and let the
    // on_store_error policy decide) rather than queue the command until a reconnect that may never come.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: FIRST_CONNECT_WAIT_MS,
    // A Redis that accepts the connection but does not answer must not hold a call either.
    commandTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 250, 5_000),
  });
  // Connection errors surface as failed counts, which limits/guarded-counter.ts logs; without a listener ioredis
  // would print each reconnect failure to the console.
  client.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, FIRST_CONNECT_WAIT_MS);
    client.once('ready', done);
    client.once('error', done);
    function done() {
      clearTimeout(timer);
      client.off('ready', done);
      client.off('error', done);
      resolve();
    }
  });
  return {
    location: config.maskedUrl,
    isShared: true,
    counter: cachedCounters((name, durationSeconds) => new RateLimiterRedis({
      storeClient: client,
      keyPrefix: `${keyPrefix}:${name}`,
      points: 1,
      duration: durationSeconds,
      rejectIfRedisNotReady: true,
    })),
    ping: async () => void (await client.ping()),
    close: async () => client.disconnect(),
  };
}
