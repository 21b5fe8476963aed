/**
 * Fixed-window counters behind every limit sqlgate keeps: tool calls, concurrent queries and rows per user, failed
 * sign-ins, registrations. In this process's memory, or in Redis (store/redis/) so that every instance counts
 * together. Both are rate-limiter-flexible limiters; this file adapts them to the one small interface the limits
 * use. A counter never refuses anything itself: it counts, and the caller compares the count with its limit (so
 * one counter serves users whose limits differ).
 */
import { RateLimiterMemory, type RateLimiterAbstract, type RateLimiterRes } from 'rate-limiter-flexible';

/** A key's count in its current window. */
export interface WindowCount {
  /** Points counted in the window; 0 when no window is open. */
  readonly count: number;
  /** Milliseconds until the window closes and counting starts again from 0; 0 when no window is open. */
  readonly msBeforeReset: number;
}

/**
 * Counts per key in fixed windows of the counter's duration; a window opens with the first point added to a key
 * that has none. Every method rejects when the store does not answer (limits/guarded-counter.ts decides what then).
 */
export interface WindowCounter {
  /** Adds `points` (negative takes some back) to the key's window and returns the new count. */
  add(key: string, points?: number): Promise<WindowCount>;
  /** The key's count, without changing it. */
  peek(key: string): Promise<WindowCount>;
  /** Ends the key's window: its count is 0 again. */
  clear(key: string): Promise<void>;
}

/** Where counters live. Every key is under the store's prefix and the counter's name. */
export interface LimitCounterStore {
  /** "memory", or the Redis URL with its password masked: for logs and messages. */
  readonly location: string;
  /** True when other instances that open the same store see the same counts. */
  readonly isShared: boolean;
  /** The counter `name` with windows of `durationSeconds`; the same arguments give the same counts. */
  counter(name: string, durationSeconds: number): WindowCounter;
  /** Resolves when the store answers; rejects with the reason when it does not. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Counters in this process's memory: a single instance, or tests. */
export function memoryLimitCounters(keyPrefix: string): LimitCounterStore {
  return {
    location: 'memory',
    isShared: false,
    counter: cachedCounters((name, durationSeconds) => new RateLimiterMemory({ keyPrefix: `${keyPrefix}:${name}`, points: 1, duration: durationSeconds })),
    ping: async () => undefined,
    close: async () => undefined,
  };
}

/**
 * One limiter per (name, duration), built on first use. Memory limiters must be shared (each holds its own
 * counts); Redis ones are cheap, but each defines its Lua command on the connection again.
 */
export function cachedCounters(build: (name: string, durationSeconds: number) => RateLimiterAbstract): LimitCounterStore['counter'] {
  const counters = new Map<string, WindowCounter>();
  return (name, durationSeconds) => {
    const id = `${name}:${durationSeconds}`;
    let counter = counters.get(id);
    if (!counter) counters.set(id, (counter = rateLimiterCounter(build(name, durationSeconds))));
    return counter;
  };
}

/** `penalty` adds points without refusing (consume would refuse past the limiter's own points, which we do not use). */
function rateLimiterCounter(limiter: RateLimiterAbstract): WindowCounter {
  return {
    add: async (key, points = 1) => countOf(await limiter.penalty(key, points)),
    peek: async (key) => countOf(await limiter.get(key)),
    clear: async (key) => void (await limiter.delete(key)),
  };
}

function countOf(res: RateLimiterRes | null): WindowCount {
  // A window past its end (expiry not yet applied) counts as closed; a key without expiry (-1) never is one of ours.
  if (!res || res.msBeforeNext <= 0) return { count: 0, msBeforeReset: 0 };
  return { count: res.consumedPoints, msBeforeReset: res.msBeforeNext };
}
