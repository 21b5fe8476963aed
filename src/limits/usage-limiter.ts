/**
 * The per-user limits of tool calls (environments.<name>.limits): calls_per_minute, concurrent_queries and
 * rows_per_hour. mcp/ runs every tool call through `run`, which checks before the call, counts its rows after and
 * frees its concurrency slot however it ends; http/ asks `refuseIfSpent` first, to answer 429 before any work.
 *
 * Counting (docs/limits.md): fixed windows that open with a user's first call (a minute) and first counted row (an
 * hour). A concurrent call holds one of N slot keys, each its own counter that expires after the longest a call
 * can take: a count consumed at the start and given back at the end would, with one shared expiry, drop to zero
 * under calls still running and then let more than N run; a slot expires only under a call that is long gone.
 */
import type { LimitSet } from '../config/schema.js';
import { RateLimitedError } from '../errors.js';
import type { LimitCounterStore } from '../store/limit-counters.js';
import type { GuardedCounter, StoreGuard } from './guarded-counter.js';
import { strictestLimits, type LimitScope } from './limit-scope.js';

/** What a tool call returns, as far as limits care: rows_per_hour counts `structured.row_count`. */
export interface LimitedOutput {
  readonly structured: unknown;
}

export class UsageLimiter {
  private readonly calls: GuardedCounter;
  private readonly rows: GuardedCounter;
  private readonly slotCounters = new Map<number, GuardedCounter>();

  /** `guard` applies limits.on_store_error.tool_calls to every count. */
  constructor(
    private readonly counters: LimitCounterStore,
    private readonly guard: StoreGuard,
  ) {
    this.calls = guard.wrap(counters.counter('calls', 60));
    this.rows = guard.wrap(counters.counter('rows', 3_600));
  }

  /**
   * Throws RateLimitedError when the caller has already spent their calls of this minute or rows of this hour,
   * counting nothing: http/ asks before handing a tools/call to the MCP handler, and `run` counts the call.
   */
  async refuseIfSpent(scope: LimitScope): Promise<void> {
    const limits = strictestLimits(scope.limitSets);
    const key = keyOf(scope);
    if (limits.rowsPerHour !== undefined) this.refuseSpentRows(scope, limits.rowsPerHour, await this.rows.peek(key));
    if (limits.callsPerMinute !== undefined) {
      const calls = await this.calls.peek(key);
      if (calls && calls.count >= limits.callsPerMinute) throw callsRefusal(scope, limits.callsPerMinute, calls.msBeforeReset);
    }
  }

  /** Runs `work` within the caller's limits, or throws RateLimitedError (or LimitsUnavailableError) before it starts. */
  async run<T extends LimitedOutput>(scope: LimitScope, work: () => Promise<T>): Promise<T> {
    const limits = strictestLimits(scope.limitSets);
    if (limits.callsPerMinute === undefined && limits.concurrentQueries === undefined && limits.rowsPerHour === undefined) return work();
    const key = keyOf(scope);
    if (limits.rowsPerHour !== undefined) this.refuseSpentRows(scope, limits.rowsPerHour, await this.rows.peek(key));
    if (limits.callsPerMinute !== undefined) {
      const calls = await this.calls.add(key);
      if (calls && calls.count > limits.callsPerMinute) throw callsRefusal(scope, limits.callsPerMinute, calls.msBeforeReset);
    }
    const slot = limits.concurrentQueries === undefined ? undefined : await this.takeSlot(scope, key, limits);
    try {
      const output = await work();
      const rows = rowsOf(output);
      // After the answer exists, a store failure must not lose it: the guard logs, and the call is not counted.
      if (limits.rowsPerHour !== undefined && rows > 0) await this.rows.add(key, rows).catch(() => undefined);
      return output;
    } finally {
      if (slot) await slot.counter.clear(slot.key).catch(() => undefined);
    }
  }

  /** Takes a free slot of the caller's N, or throws. Undefined: the store failed open, there is nothing to free. */
  private async takeSlot(scope: LimitScope, key: string, limits: LimitSet): Promise<{ counter: GuardedCounter; key: string } | undefined> {
    const counter = this.slotCounter(scope.maxCallSeconds);
    const slots = limits.concurrentQueries!;
    for (let slot = 0; slot < slots; slot++) {
      const slotKey = `${key}:${slot}`;
      // The first point in a slot's window takes it; a busy slot just counts one more, which its holder's clear()
      // removes with the rest.
      const taken = await counter.add(slotKey);
      if (!taken) return undefined;
      if (taken.count === 1) return { counter, key: slotKey };
    }
    throw new RateLimitedError(
      'concurrent_queries',
      1,
      `Limit reached: concurrent_queries is ${slots} for ${scope.user} in environment "${scope.environment}", and that many of their calls are running. Retry when one of them has finished.`,
      { hint: 'Run these calls one after another instead of at the same time.' },
    );
  }

  private slotCounter(maxCallSeconds: number): GuardedCounter {
    let counter = this.slotCounters.get(maxCallSeconds);
    if (!counter) this.slotCounters.set(maxCallSeconds, (counter = this.guard.wrap(this.counters.counter('slots', maxCallSeconds))));
    return counter;
  }

  private refuseSpentRows(scope: LimitScope, rowsPerHour: number, rows: { count: number; msBeforeReset: number } | undefined): void {
    if (!rows || rows.count < rowsPerHour) return;
    const seconds = retryAfterSeconds(rows.msBeforeReset);
    throw new RateLimitedError(
      'rows_per_hour',
      seconds,
      `Limit reached: rows_per_hour is ${rowsPerHour} for ${scope.user} in environment "${scope.environment}" (${rows.count} rows returned in this hour). Retry in ${seconds} s.`,
      { hint: 'Then ask for fewer rows: aggregate in SQL, or add LIMIT.' },
    );
  }
}

function callsRefusal(scope: LimitScope, callsPerMinute: number, msBeforeReset: number): RateLimitedError {
  const seconds = retryAfterSeconds(msBeforeReset);
  return new RateLimitedError(
    'calls_per_minute',
    seconds,
    `Limit reached: calls_per_minute is ${callsPerMinute} for ${scope.user} in environment "${scope.environment}". Retry in ${seconds} s.`,
    { hint: 'Then make fewer, larger calls: one query that aggregates instead of one per item.' },
  );
}

/** The user's counters in an environment. Environment names never contain ":", so the key cannot be forged by a user name. */
function keyOf(scope: LimitScope): string {
  return `${scope.environment}:${scope.user}`;
}

function retryAfterSeconds(msBeforeReset: number): number {
  return Math.max(1, Math.ceil(msBeforeReset / 1000));
}

function rowsOf(output: LimitedOutput): number {
  const count = (output.structured as { row_count?: unknown } | null | undefined)?.row_count;
  return typeof count === 'number' && Number.isFinite(count) && count > 0 ? Math.floor(count) : 0;
}
