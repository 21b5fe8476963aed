/**
 * Opens the limit counters (limits.store: Redis, or this process's memory) and puts each failure policy of
 * limits.on_store_error in front of the counters it covers: tool calls' limits on one side, the authorization
 * server's (sign-in lockout, registrations) on the other. Says at start where the counts live, and loudly when
 * Redis does not answer.
 */
import type { LimitsConfig } from '../config/schema.js';
import type { LimitCounterStore } from '../store/limit-counters.js';
import { openLimitCounters } from '../store/open-state-store.js';
import type { Logger } from '../telemetry/logger.js';
import { StoreGuard, type GuardedCounterFactory } from './guarded-counter.js';
import { UsageLimiter } from './usage-limiter.js';

export interface Limits {
  /** Where the counts live: "memory", or the masked Redis URL. */
  readonly location: string;
  /** The per-user limits of tool calls, failing as limits.on_store_error.tool_calls says. */
  readonly usage: UsageLimiter;
  /** Counters of the authorization server's limits, failing as limits.on_store_error.sign_in says. */
  readonly signInCounter: GuardedCounterFactory;
  close(): Promise<void>;
}

/** Never rejects for a Redis that is down: the server starts, and each count follows its policy until Redis answers. */
export async function openLimits(config: LimitsConfig, logger: Logger): Promise<Limits> {
  const log = logger.child({ component: 'limits' });
  const counters = await openLimitCounters(config);
  const guard = (subject: string, key: keyof LimitsConfig['onStoreError'], setting: string) =>
    new StoreGuard({ policy: config.onStoreError[key], subject, setting: `limits.on_store_error.${setting}`, location: counters.location, logger: log });
  const toolCalls = guard('tool calls', 'toolCalls', 'tool_calls');
  const signIn = guard('sign-ins and client registrations', 'signIn', 'sign_in');
  await reportStore(counters, config, log);
  return {
    location: counters.location,
    usage: new UsageLimiter(counters, toolCalls),
    signInCounter: (name, durationSeconds) => signIn.wrap(counters.counter(name, durationSeconds)),
    close: () => counters.close(),
  };
}

async function reportStore(counters: LimitCounterStore, config: LimitsConfig, log: Logger): Promise<void> {
  if (!counters.isShared) {
    log.info({ limitsStore: counters.location }, 'limits are counted in memory: each instance counts on its own (set limits.store to a Redis URL to share the counts)');
    return;
  }
  try {
    await counters.ping();
    log.info({ limitsStore: counters.location }, 'limits are counted in Redis, shared with every instance that uses it');
  } catch (err) {
    const { toolCalls, signIn } = config.onStoreError;
    log.error(
      { limitsStore: counters.location, reason: err instanceof Error ? err.message : String(err) },
      `!!! LIMITS STORE UNREACHABLE at start (${counters.location}): until it answers, tool calls ${toolCalls === 'open' ? 'pass UNCOUNTED' : 'are REFUSED'} `
        + `(limits.on_store_error.tool_calls: ${toolCalls}) and sign-ins and registrations ${signIn === 'open' ? 'pass UNCOUNTED' : 'are REFUSED'} (limits.on_store_error.sign_in: ${signIn})`,
    );
  }
}
