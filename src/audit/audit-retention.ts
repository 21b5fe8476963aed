/**
 * audit.retention: records older than the retention are pruned — at start, then hourly — and the store keeps an
 * anchor (the last pruned record's seq and hash) so that the records left still verify as one chain.
 */
import { ForbiddenError } from '../errors.js';
import type { AuditLogStore, AuditPruneResult } from '../store/audit-log-store.js';
import type { Logger } from '../telemetry/logger.js';
import { securityEvent } from './audit-record.js';
import { AuditTrail } from './audit-trail.js';

export const PRUNE_INTERVAL_MS = 3_600_000;

/**
 * Prunes every record older than `retentionSeconds` before `now`, and says so in the chain itself (an `audit prune`
 * record naming how many records went and through which one), so that pruning is never silent. `actor` is who
 * pruned: "retention" for a server's schedule, the account that ran `sqlgate audit prune`.
 */
export async function pruneExpiredRecords(store: AuditLogStore, retentionSeconds: number, now: Date, signal?: AbortSignal, actor = 'retention'): Promise<AuditPruneResult> {
  const result = await store.prune(new Date(now.getTime() - retentionSeconds * 1_000).toISOString(), { signal });
  if (result.pruned > 0 && result.anchor) {
    await new AuditTrail(store, false).record(securityEvent({
      kind: 'admin', action: 'audit prune', verdict: 'allowed', actor,
      details: { pruned: result.pruned, through_seq: result.anchor.seq, through_time: result.anchor.time, retention_seconds: retentionSeconds },
    }, now));
  }
  return result;
}

/** The pruning schedule of one running trail. */
export interface AuditPruning {
  /** Stops the schedule and waits for a prune under way to finish its batch. */
  stop(): Promise<void>;
}

/** How often and how far back a server prunes: audit.retention, and a clock tests can set. */
export interface AuditPruningOptions {
  readonly retentionSeconds: number;
  readonly logger: Logger;
  readonly intervalMs?: number;
  readonly now?: () => Date;
}

/**
 * Prunes now, in the background (a start is not held up by a first prune of a large trail), and then every
 * `intervalMs`, one prune at a time. The timer is unref'd: it never keeps a process alive that is done otherwise.
 * A failed prune is logged and tried again at the next tick; it never touches the calls being recorded. A store that
 * this instance may not prune (a PostgreSQL login without DELETE, as docs/audit.md advises for instances that only
 * append) is said once, and the schedule stops: another instance, or `sqlgate audit prune`, prunes.
 */
export function scheduleAuditPruning(store: AuditLogStore, options: AuditPruningOptions): AuditPruning {
  const now = options.now ?? (() => new Date());
  const stopping = new AbortController();
  let running: Promise<void> | undefined;
  const run = () => {
    if (running || stopping.signal.aborted) return;
    running = pruneExpiredRecords(store, options.retentionSeconds, now(), stopping.signal)
      .then(({ pruned, anchor }) => {
        if (pruned > 0) options.logger.info({ pruned, prunedThroughSeq: anchor?.seq }, 'audit: pruned records older than audit.retention');
      }, (err: unknown) => {
        if (err instanceof ForbiddenError) {
          stopping.abort();
          clearInterval(timer);
          options.logger.warn({ err }, 'audit: this instance may not prune the trail, so it leaves audit.retention to one that may');
          return;
        }
        options.logger.error({ err }, 'audit: pruning old records failed; it is tried again within the hour');
      })
      .finally(() => {
        running = undefined;
      });
  };
  run();
  const timer = setInterval(run, options.intervalMs ?? PRUNE_INTERVAL_MS);
  timer.unref();
  return {
    async stop() {
      stopping.abort();
      clearInterval(timer);
      await running;
    },
  };
}
