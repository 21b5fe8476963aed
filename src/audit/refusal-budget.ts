/**
 * Bounds how many records refusals of nobody in particular add to the audit trail. A bad token, a malformed
 * registration or a forged authorization request costs an attacker one request and the trail one fsync'd record:
 * unbounded, a flood would fill the disk (and slow every real record down). Refusals that name no user are
 * recorded up to PER_MINUTE per action and minute; beyond that they are counted, and the count is recorded once the
 * minute is over, as one `refusals_suppressed` record naming the action, how many, and a few of the clients.
 * Refusals of a known user (a wrong password, a lockout) and every allowed event are always recorded one by one.
 */
import type { SecurityEventInput } from './audit-record.js';
import type { RecordSecurityEvent } from './security-recorder.js';
import type { SecurityEventObserver } from '../telemetry/observers.js';

const PER_MINUTE = 120;
const WINDOW_MS = 60_000;
const CLIENTS_SHOWN = 10;

interface Window {
  readonly started: number;
  recorded: number;
  suppressed: number;
  readonly clients: Set<string>;
}

export interface RefusalBudget {
  readonly record: RecordSecurityEvent;
  /** Records what is still counted (at shutdown); the budget keeps working afterwards. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** The budget's tuning (tests shorten the minute), and who else is told of every event. */
export interface RefusalBudgetOptions {
  readonly perMinute?: number;
  readonly now?: () => number;
  /** Told of every event, suppressed or not (the server's metrics count sign-ins and tokens exactly). */
  readonly observe?: SecurityEventObserver;
}

export function refusalBudget(record: RecordSecurityEvent, options: RefusalBudgetOptions = {}): RefusalBudget {
  const perMinute = options.perMinute ?? PER_MINUTE;
  const now = options.now ?? Date.now;
  const windows = new Map<string, Window>();

  const summarize = (action: string, window: Window): Promise<void> => record({
    kind: 'auth',
    action: 'refusals_suppressed',
    verdict: 'refused',
    reason: `${window.suppressed} more ${action} refusals naming no user within a minute were counted, not recorded one by one`,
    details: {
      action,
      count: window.suppressed,
      since: new Date(window.started).toISOString(),
      clients: [...window.clients].slice(0, CLIENTS_SHOWN),
    },
  });

  const flush = async (expiredOnly: boolean): Promise<void> => {
    const at = now();
    for (const [action, window] of [...windows]) {
      if (expiredOnly && at - window.started < WINDOW_MS) continue;
      windows.delete(action);
      if (window.suppressed > 0) await summarize(action, window);
    }
  };
  const timer = setInterval(() => void flush(true), WINDOW_MS);
  timer.unref();

  return {
    async record(input: SecurityEventInput) {
      options.observe?.(input);
      if (input.verdict !== 'refused' || input.user) return record(input);
      await flush(true);
      let window = windows.get(input.action);
      if (!window) windows.set(input.action, (window = { started: now(), recorded: 0, suppressed: 0, clients: new Set() }));
      if (window.recorded < perMinute) {
        window.recorded++;
        return record(input);
      }
      window.suppressed++;
      if (input.client_id && window.clients.size < CLIENTS_SHOWN) window.clients.add(input.client_id);
    },
    flush: () => flush(false),
    async stop() {
      clearInterval(timer);
      await flush(false);
    },
  };
}
