/**
 * The operator's line for every statement a caller was answered without (db/stop-runaway.ts): a warning, unless it
 * stopped right after the cancel, since work the database goes on doing after the caller got SG_TIMEOUT costs the
 * server and is invisible to everyone else. Never the statement text: it may carry data.
 */
import type { RunawayObserver, RunawayReport } from '../db/stop-runaway.js';
import type { Logger } from '../telemetry/logger.js';

export function logRunaway(log: Logger): RunawayObserver {
  return (report) => {
    const fields = {
      database: report.database, reason: report.reason, stoppedBy: report.stoppedBy, stage: report.stage,
      isTerminateDelivered: report.isTerminateDelivered, isStopped: report.isStopped, afterMs: report.afterMs, detail: report.detail,
    };
    if (report.stoppedBy === 'cancel' || (report.stage === 'released' && report.isStopped === true)) log.info(fields, runawayMessage(report));
    else log.warn(fields, runawayMessage(report));
  };
}

function runawayMessage(report: RunawayReport): string {
  const subject = `a statement answered as ${report.reason}`;
  if (report.stoppedBy === 'cancel') return `${subject} stopped ${report.afterMs} ms later, after its cancel`;
  if (report.stage === 'released') {
    return report.isStopped === true
      ? `${subject} has ended in ${report.database} ${report.afterMs} ms after the answer; its pool slot is free again`
      : `${subject} still runs in ${report.database} ${report.afterMs} ms after the answer; its pool slot is given back anyway`;
  }
  const answered = `${subject} ignored its cancel; its connection was terminated and destroyed`;
  if (report.isStopped === true) return `${answered}, and ${report.database} stopped it ${report.afterMs} ms after the answer`;
  if (report.isStopped === false) {
    return `${answered}, but ${report.database} still runs it ${report.afterMs} ms after the answer: work inside a function that never checks for interrupts runs to its end (docs/read-only.md). Its pool slot stays taken until it does`;
  }
  return `${answered}; whether ${report.database} stopped it could not be checked${report.detail ? ` (${report.detail})` : ''}`;
}
