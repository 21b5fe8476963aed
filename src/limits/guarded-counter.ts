/**
 * What a limit does when its counter store (Redis) does not answer: limits.on_store_error. `open` lets the request
 * through uncounted, `closed` refuses it with LimitsUnavailableError. Either way it is said loudly: an error line
 * the moment the store stops answering, again every minute while it stays away (with how many requests went
 * uncounted or were refused meanwhile), and a line when it answers again.
 *
 * Why not rate-limiter-flexible's insuranceLimiter: it would silently count in this process's memory instead,
 * which is neither open nor closed (each instance grants the whole limit again) and leaves no trace in the log.
 */
import type { StoreErrorPolicy } from '../config/schema.js';
import { LimitsUnavailableError } from '../errors.js';
import type { WindowCount, WindowCounter } from '../store/limit-counters.js';
import type { Logger } from '../telemetry/logger.js';

/** A WindowCounter whose answers are `undefined` when the store failed and the policy is open: nothing was counted. */
export interface GuardedCounter {
  add(key: string, points?: number): Promise<WindowCount | undefined>;
  peek(key: string): Promise<WindowCount | undefined>;
  clear(key: string): Promise<void>;
}

/** The counter `name` with windows of `durationSeconds`, under one failure policy. */
export type GuardedCounterFactory = (name: string, durationSeconds: number) => GuardedCounter;

/** How often a store that stays away is reported again. */
const REPEAT_MS = 60_000;

export interface StoreGuardOptions {
  readonly policy: StoreErrorPolicy;
  /** What the policy covers, in log lines and the refusal: "tool calls", "sign-in and registration". */
  readonly subject: string;
  /** The setting that chose the policy, named in the log line (limits.on_store_error.tool_calls). */
  readonly setting: string;
  /** Where the counters live (the masked Redis URL). */
  readonly location: string;
  readonly logger: Logger;
}

/** One per policy: it wraps every counter that policy covers and reports their store's outages once for all of them. */
export class StoreGuard {
  private failingSince: number | undefined;
  private lastReportAt = 0;
  private affectedSinceReport = 0;

  constructor(private readonly options: StoreGuardOptions) {}

  wrap(counter: WindowCounter): GuardedCounter {
    return {
      add: (key, points) => this.attempt(() => counter.add(key, points)),
      peek: (key) => this.attempt(() => counter.peek(key)),
      clear: async (key) => void (await this.attempt(() => counter.clear(key))),
    };
  }

  private async attempt<T>(operation: () => Promise<T>): Promise<T | undefined> {
    let result: T;
    try {
      result = await operation();
    } catch (err) {
      this.report(err);
      if (this.options.policy === 'open') return undefined;
      throw new LimitsUnavailableError(`The limits store is not answering, so ${this.options.subject} are refused for now. Try again in a minute.`, {
        hint: 'Operators: check the Redis named by limits.store; the server log says what failed.',
        detail: `${this.options.location}: ${reasonOf(err)}`,
        cause: err,
      });
    }
    if (this.failingSince !== undefined) {
      this.options.logger.warn({ limitsStore: this.options.location, downMs: Date.now() - this.failingSince }, `limits store answers again: ${this.options.subject} are counted again`);
      this.failingSince = undefined;
    }
    return result;
  }

  private report(err: unknown): void {
    const now = Date.now();
    this.affectedSinceReport += 1;
    if (this.failingSince !== undefined && now - this.lastReportAt < REPEAT_MS) return;
    this.failingSince ??= now;
    const { policy, subject, setting, location } = this.options;
    const effect = policy === 'open' ? `${subject} pass UNCOUNTED (no limit applies)` : `${subject} are REFUSED`;
    this.options.logger.error(
      { limitsStore: location, reason: reasonOf(err), policy, affected: this.affectedSinceReport, failingForMs: now - this.failingSince },
      `!!! LIMITS STORE UNREACHABLE (${location}): ${effect} until it answers (${setting}: ${policy})`,
    );
    this.lastReportAt = now;
    this.affectedSinceReport = 0;
  }
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
