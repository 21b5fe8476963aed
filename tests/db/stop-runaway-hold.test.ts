/**
 * The pool slot of work the server still runs after a terminate stays taken until the server no longer shows it:
 * a check that goes unanswered while the slot is held (a control connection refused or slow under load) is asked
 * again, and does not hand the slot to the next caller while the work may still run. (The real engines are in
 * stop-runaway.test.ts; here a scripted session answers the checks.)
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Session } from '../../src/db/dialect.js';
import { stopRunaway, type RunawayReport } from '../../src/db/stop-runaway.js';

/** A session whose statement never ends; `answers` are what isRunningInDatabase says, in order, then `true`. */
function runawaySession(answers: (boolean | 'fails')[]): { session: Session; released: () => boolean } {
  let releasedAt: Promise<unknown> | null = null;
  let isReleased = false;
  const session = {
    execute: () => {
      throw new Error('not used');
    },
    cancel: async () => undefined,
    finish: async () => undefined,
    terminate: async () => undefined,
    destroy: (after?: Promise<unknown>) => {
      releasedAt = after ?? Promise.resolve();
      void releasedAt.then(() => (isReleased = true));
    },
    isRunningInDatabase: async () => {
      const answer = answers.shift() ?? true;
      if (answer === 'fails') throw new Error('control connection refused');
      return answer;
    },
  } as unknown as Session;
  return { session, released: () => isReleased };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('stopRunaway while the slot is held', () => {
  it('asks again after a check that went unanswered, and releases the slot only once the work is gone', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    // Seen running through the first watch (5 s at 500 ms), then two unanswered checks, then running, then gone.
    const answers: (boolean | 'fails')[] = [...Array(11).fill(true), 'fails', 'fails', true, false];
    const { session, released } = runawaySession(answers);
    const reports: RunawayReport[] = [];
    const stopped = stopRunaway(session, { database: 'MariaDB', reason: 'timeout', cancel: false, settled: new Promise(() => undefined), report: (r) => reports.push(r) });
    for (let i = 0; i < 40 && reports.length < 2; i++) await vi.advanceTimersByTimeAsync(1_000);
    await stopped;
    expect(reports.map((r) => [r.stage, r.isStopped])).toEqual([['escalated', false], ['released', true]]);
    expect(answers).toEqual([]); // every answer was asked for: the unanswered ones did not end the hold
    expect(released()).toBe(true);
  });

  it('ends the hold when the server cannot be asked, again and again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const answers: (boolean | 'fails')[] = [...Array(11).fill(true), ...Array(6).fill('fails')];
    const { session, released } = runawaySession(answers);
    const reports: RunawayReport[] = [];
    const stopped = stopRunaway(session, { database: 'MariaDB', reason: 'timeout', cancel: false, settled: new Promise(() => undefined), report: (r) => reports.push(r) });
    for (let i = 0; i < 60 && reports.length < 2; i++) await vi.advanceTimersByTimeAsync(1_000);
    await stopped;
    expect(reports.map((r) => [r.stage, r.isStopped])).toEqual([['escalated', false], ['released', null]]);
    expect(released()).toBe(true);
  });
});
