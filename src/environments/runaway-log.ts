/**
 * The operator's line for every statement a caller was answered without (db/stop-runaway.ts): a warning, unless it
 * stopped right after the cancel, since work the database goes on doing after the caller got SG_TIMEOUT costs
 * the server and is invisible to everyone else. Never the statement text: it may carry data.
 */
import type { RunawayObserver, RunawayReport } from '../db/stop-runaway.js';
import type { Logger } from '../telemetry/logger.js';

export function logRunaway(log: Logger): RunawayObserver {
  return (report) => {
    const fields = { database: report.database, reason: report.reason, stoppedBy: report.stoppedBy,
      isTerminateDelivered: report.isTerminateDelivered, isStopped: report.isStopped, afterMs: report.afterMs, detail: report.detail };
    if (report.stoppedBy === 'cancel') log.info(fields, `a statement answered as ${report.reason} stopped ${report.afterMs} ms later, after its cancel`);
    else log.warn(fields, runawayMessage(report));
  };
}

function runawayMessage(report: RunawayReport): string {
  const answered = `a statement answered as ${report.reason} ignored its cancel; its connection was terminated and destroyed`;
  if (report.isStopped === true) return `${answered}, and ${report.database} stopped it ${report.afterMs} ms after the answer`;
  if (report.isStopped === false) {
    return `${answered}, but ${report.database} still runs it ${report.afterMs} ms after the answer: work inside a function that never checks for interrupts runs to its end (docs/read-only.md)`;
  }
  return `${answered}; whether ${report.database} stopped it could not be checked${report.detail ? ` (${report.detail})` : ''}`;
}
