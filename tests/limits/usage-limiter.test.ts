/**
 * The per-user limits of tool calls, counted in memory and in a real Redis (the same suite for both): which call is
 * refused, with which message and retry time; rows counted from what a call returned; concurrency slots taken and
 * given back; the stricter of several limit sets; and what a store that does not answer does under each policy.
 * The "work" of a call is a plain function here; tests/e2e/limits.test.ts runs real queries through real servers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { limitsSchema, type LimitSet } from '../../src/config/limits-schema.js';
import { LimitsUnavailableError, RateLimitedError } from '../../src/errors.js';
import type { LimitScope } from '../../src/limits/limit-scope.js';
import { openLimits, type Limits } from '../../src/limits/open-limits.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { freePort } from '../support/start-app.js';
import { deleteKeysUnder, keysUnder, REDIS_URL, uniqueKeyPrefix } from '../support/test-redis.js';

const NO_LIMITS: LimitSet = { callsPerMinute: undefined, concurrentQueries: undefined, rowsPerHour: undefined };

function scopeOf(limits: Partial<LimitSet>, more: Partial<LimitScope> = {}): LimitScope {
  return { environment: 'sales', user: 'alice', limitSets: [{ ...NO_LIMITS, ...limits }], maxCallSeconds: 60, ...more };
}

const rows = (count: number) => async () => ({ structured: { row_count: count } });

/** The RateLimitedError a promise rejects with (fails the test when it resolves or rejects otherwise). */
async function refusal(promise: Promise<unknown>): Promise<RateLimitedError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RateLimitedError);
  return err as RateLimitedError;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function capturingLogger() {
  const lines: Record<string, any>[] = [];
  return { lines, logger: createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) }) };
}

for (const backend of ['memory', 'redis'] as const) {
  describe(`tool call limits counted in ${backend}`, () => {
    let prefix: string;
    let limits: Limits;

    beforeEach(async () => {
      prefix = uniqueKeyPrefix('usage');
      limits = await openLimits(limitsSchema.parse({ key_prefix: prefix, ...(backend === 'redis' ? { store: REDIS_URL } : {}) }), createLogger('silent'));
    });

    afterEach(async () => {
      await limits.close();
      if (backend === 'redis') await deleteKeysUnder(prefix);
    });

    it('refuses the (N+1)th call of a minute, saying which limit and when to retry', async () => {
      const scope = scopeOf({ callsPerMinute: 3 });
      for (let call = 0; call < 3; call++) await limits.usage.run(scope, rows(1));
      const err = await refusal(limits.usage.run(scope, rows(1)));
      expect(err.code).toBe('SG_RATE_LIMITED');
      expect(err.status).toBe(429);
      expect(err.limit).toBe('calls_per_minute');
      expect(err.retryAfterSeconds).toBeGreaterThanOrEqual(59);
      expect(err.retryAfterSeconds).toBeLessThanOrEqual(60);
      expect(err.message).toBe(`Limit reached: calls_per_minute is 3 for alice in environment "sales". Retry in ${err.retryAfterSeconds} s.`);
      expect(err.publicText).toContain('make fewer, larger calls');
      // refuseIfSpent (http/'s early answer) agrees, and counts nothing of its own.
      expect((await refusal(limits.usage.refuseIfSpent(scope))).limit).toBe('calls_per_minute');
      if (backend === 'redis') expect(await keysUnder(prefix)).toEqual([`${prefix}:calls:sales:alice`]);
    });

    it('gives every user of every environment a budget of their own', async () => {
      const scope = scopeOf({ callsPerMinute: 1 });
      await limits.usage.run(scope, rows(0));
      await refusal(limits.usage.run(scope, rows(0)));
      await limits.usage.run({ ...scope, user: 'bob' }, rows(0));
      await limits.usage.run({ ...scope, environment: 'hr' }, rows(0));
    });

    it('counts the rows calls returned and refuses once the hour\'s budget is spent', async () => {
      const scope = scopeOf({ rowsPerHour: 10 });
      await limits.usage.refuseIfSpent(scope);
      await limits.usage.run(scope, rows(7));
      await limits.usage.run(scope, async () => ({ structured: { columns: [] } })); // no row_count: nothing counted
      // A call that starts within the budget returns its rows in full; the budget is then overdrawn.
      await limits.usage.run(scope, rows(7));
      const err = await refusal(limits.usage.run(scope, rows(1)));
      expect(err.limit).toBe('rows_per_hour');
      expect(err.retryAfterSeconds).toBeGreaterThan(3_500);
      expect(err.message).toBe(`Limit reached: rows_per_hour is 10 for alice in environment "sales" (14 rows returned in this hour). Retry in ${err.retryAfterSeconds} s.`);
      await refusal(limits.usage.refuseIfSpent(scope));
    });

    it('refuses a second concurrent call, and allows it once the first has finished', async () => {
      const scope = scopeOf({ concurrentQueries: 1 });
      const gate = deferred();
      let isFirstRunning = false;
      const first = limits.usage.run(scope, async () => {
        isFirstRunning = true;
        await gate.promise;
        return { structured: { row_count: 1 } };
      });
      await expect.poll(() => isFirstRunning).toBe(true);
      const err = await refusal(limits.usage.run(scope, rows(1)));
      expect(err.limit).toBe('concurrent_queries');
      expect(err.message).toBe('Limit reached: concurrent_queries is 1 for alice in environment "sales", and that many of their calls are running. Retry when one of them has finished.');
      // Concurrency is not something to refuse early: http/ lets the call through to this check.
      await limits.usage.refuseIfSpent(scope);
      gate.resolve();
      await first;
      await expect(limits.usage.run(scope, rows(2))).resolves.toEqual({ structured: { row_count: 2 } });
      if (backend === 'redis') expect(await keysUnder(prefix)).toEqual([]);
    });

    it('runs N calls at once, and gives a slot back however the call ends', async () => {
      const scope = scopeOf({ concurrentQueries: 2 });
      const gate = deferred();
      const running = [0, 1].map(() => limits.usage.run(scope, async () => {
        await gate.promise;
        return { structured: {} };
      }));
      await expect.poll(async () => (await limits.usage.run(scope, rows(0)).then(() => 'ran', (e: RateLimitedError) => e.limit))).toBe('concurrent_queries');
      gate.resolve();
      await Promise.all(running);
      await expect(limits.usage.run(scope, async () => { throw new Error('the query failed'); })).rejects.toThrow('the query failed');
      await Promise.all([limits.usage.run(scope, rows(0)), limits.usage.run(scope, rows(0))]);
    });

    it('applies the stricter value of each limit when several sets apply', async () => {
      const scope: LimitScope = {
        ...scopeOf({}),
        limitSets: [
          { ...NO_LIMITS, callsPerMinute: 600, rowsPerHour: 5 },
          { ...NO_LIMITS, callsPerMinute: 2 },
        ],
      };
      await limits.usage.run(scope, rows(1));
      await limits.usage.run(scope, rows(1));
      expect((await refusal(limits.usage.run(scope, rows(1)))).message).toContain('calls_per_minute is 2 ');
    });
  });
}

describe('a limits store that does not answer', () => {
  let limits: Limits | undefined;

  afterEach(async () => {
    await limits?.close();
    limits = undefined;
  });

  async function openDown(onStoreError: Record<string, string> = {}) {
    const { lines, logger } = capturingLogger();
    const url = `redis://127.0.0.1:${await freePort()}`;
    limits = await openLimits(limitsSchema.parse({ store: url, key_prefix: uniqueKeyPrefix('down'), on_store_error: onStoreError }), logger);
    return { lines, url };
  }

  it('lets tool calls through uncounted by default, and says so loudly', async () => {
    const { lines, url } = await openDown();
    expect(lines.find((l) => l.msg.startsWith('!!! LIMITS STORE UNREACHABLE at start'))).toMatchObject({
      level: 50,
      limitsStore: url,
      msg: `!!! LIMITS STORE UNREACHABLE at start (${url}): until it answers, tool calls pass UNCOUNTED (limits.on_store_error.tool_calls: open) and sign-ins and registrations are REFUSED (limits.on_store_error.sign_in: closed)`,
    });
    const scope = scopeOf({ callsPerMinute: 1, concurrentQueries: 1, rowsPerHour: 1 });
    for (let call = 0; call < 3; call++) await expect(limits!.usage.run(scope, rows(5))).resolves.toEqual({ structured: { row_count: 5 } });
    const outage = lines.filter((l) => l.msg.startsWith('!!! LIMITS STORE UNREACHABLE (')); // reported once a minute, not per call
    expect(outage).toEqual([expect.objectContaining({
      level: 50,
      policy: 'open',
      msg: `!!! LIMITS STORE UNREACHABLE (${url}): tool calls pass UNCOUNTED (no limit applies) until it answers (limits.on_store_error.tool_calls: open)`,
    })]);
  });

  it('refuses tool calls with SG_LIMITS_UNAVAILABLE when tool_calls is closed', async () => {
    const { lines } = await openDown({ tool_calls: 'closed' });
    const err = await limits!.usage.run(scopeOf({ callsPerMinute: 100 }), rows(1)).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(LimitsUnavailableError);
    expect((err as LimitsUnavailableError).message).toBe('The limits store is not answering, so tool calls are refused for now. Try again in a minute.');
    expect(lines.some((l) => l.level === 50 && l.msg.includes('tool calls are REFUSED'))).toBe(true);
    // An environment without limits never asks the store.
    await expect(limits!.usage.run(scopeOf({}), rows(1))).resolves.toBeDefined();
  });
});
