/**
 * prom-client's default process and Node.js metrics (CPU, memory, heap, event-loop lag, GC, file descriptors), in
 * sqlgate's own registry, less the three gauges that break the exposition format's naming rule.
 */
import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * Gauges whose names end in `_total`, which the exposition format reserves for counters: `promtool check metrics`
 * rejects them (exit 3), and so would every CI lint of our output. They carry nothing of their own: each is the sum
 * of `nodejs_active_handles`, `nodejs_active_requests` and `nodejs_active_resources` over their `type` label, which
 * stay (`sum(nodejs_active_handles)` gives the same number).
 */
export const MISNAMED_DEFAULT_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_DEFAULT_GAUGES) registry.removeSingleMetric(name);
}
