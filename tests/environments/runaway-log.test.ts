/**
 * The operator's log lines for statements answered without them: a warning while the database works on or could
 * not be asked, info when the work stopped; never the statement text.
 */
import { describe, expect, it } from 'vitest';
import type { RunawayReport } from '../../src/db/stop-runaway.js';
import { logRunaway } from '../../src/environments/runaway-log.js';
import { createLogger } from '../../src/telemetry/logger.js';

function capture() {
  const lines: { level: number; msg: string; [key: string]: unknown }[] = [];
  const log = logRunaway(createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) }));
  return { lines, log };
}

const terminated: RunawayReport = {
  database: 'PostgreSQL', reason: 'timeout', stoppedBy: 'terminate', stage: 'escalated', isTerminateDelivered: true, isStopped: false, afterMs: 6_000,
};

describe('logRunaway', () => {
  it('warns while the database still runs what it was told to stop, and says when its pool slot is free again', () => {
    const { lines, log } = capture();
    log(terminated);
    log({ ...terminated, stage: 'released', isStopped: true, afterMs: 16_000 });
    log({ ...terminated, stage: 'released', isStopped: false, afterMs: 900_000 });
    expect(lines.map((l) => l.level)).toEqual([40, 30, 40]);
    expect(lines[0]!.msg).toContain('PostgreSQL still runs it 6000 ms after the answer');
    expect(lines[0]).toMatchObject({ stoppedBy: 'terminate', stage: 'escalated', isStopped: false, isTerminateDelivered: true });
    expect(lines[1]!.msg).toContain('its pool slot is free again');
    expect(lines[2]!.msg).toContain('its pool slot is given back anyway');
  });

  it('tells a statement stopped by its cancel or its terminate from one nobody could check', () => {
    const { lines, log } = capture();
    log({ ...terminated, stoppedBy: 'cancel', isTerminateDelivered: null, isStopped: true, afterMs: 40 });
    log({ ...terminated, isStopped: true, afterMs: 1_500 });
    log({ ...terminated, database: 'SQL Server', isTerminateDelivered: false, isStopped: null, detail: 'User does not have permission to use the KILL statement.' });
    expect(lines.map((l) => l.level)).toEqual([30, 40, 40]);
    expect(lines[0]!.msg).toContain('stopped 40 ms later, after its cancel');
    expect(lines[1]!.msg).toContain('PostgreSQL stopped it 1500 ms after the answer');
    expect(lines[2]!.msg).toContain('could not be checked (User does not have permission to use the KILL statement.)');
  });
});
