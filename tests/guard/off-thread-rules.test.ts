/**
 * Long statements are classified and shaped off the main thread (src/guard/off-thread-rules.ts): the verdicts,
 * refusals and shapes must be exactly those of the same rules on the main thread, and anything that goes wrong
 * with the worker must leave the decision to the main thread, never to an error of the worker's own.
 * The job runs in this thread here (runGateJob, what the worker runs); the worker itself is exercised against the
 * built server in tests/e2e/long-statements.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import { BusyError, InvalidInputError, ReadOnlyError } from '../../src/errors.js';
import { loadRules, runGateJob, type GateJob } from '../../src/guard/gate-job.js';
import { OFF_THREAD_MIN_CHARS, QueueFullError, withOffThreadParsing } from '../../src/guard/off-thread-rules.js';
import type { StatementRules } from '../../src/guard/statement-gate.js';

const OPTIONS = { allowedFunctions: [] as string[] };
const longRead = `SELECT id, total FROM orders WHERE id IN (${Array.from({ length: 1_500 }, (_, i) => i).join(', ')})`;
/** Refused by the gate itself (classify throws); a plain write is not, it is classified `write`. */
const longRefused = `${longRead}; DELETE FROM orders`;
const longGarbage = `SELECT FROM WHERE ${'x '.repeat(3_000)}`;

/** The real SQLite rules, counting the calls that reach them (on "the main thread"). */
async function countedRules() {
  const rules = await loadRules('sqlite');
  const onMainThread = { classify: 0, shape: 0 };
  const counted: StatementRules = {
    classify: (sql, options) => (onMainThread.classify++, rules.classify(sql, options)),
    shape: (sql) => (onMainThread.shape++, rules.shape(sql)),
  };
  return { rules, counted, onMainThread };
}

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a refusal');
}

describe('off-thread parsing of long statements', () => {
  it('answers classify and shape of a long statement from the job, exactly as the rules on the main thread would', async () => {
    expect(longRead.length).toBeGreaterThanOrEqual(OFF_THREAD_MIN_CHARS);
    const { rules, counted, onMainThread } = await countedRules();
    const jobs: GateJob[] = [];
    const gate = withOffThreadParsing(counted, 'sqlite', async (job) => (jobs.push(job), runGateJob(rules, job)), () => undefined);
    await gate.prepare!(longRead, OPTIONS);
    expect(gate.classify(longRead, OPTIONS)).toEqual(rules.classify(longRead, OPTIONS));
    expect(gate.shape(longRead)).toEqual(rules.shape(longRead));
    expect(onMainThread).toEqual({ classify: 0, shape: 0 });
    expect(jobs).toEqual([{ rules: 'sqlite', sql: longRead, options: OPTIONS }]);
    // Prepared once: asking again (the HTTP scope check, then the tool) sends nothing new.
    await gate.prepare!(longRead, OPTIONS);
    expect(jobs).toHaveLength(1);
  });

  it('rebuilds a refusal as the same error, with the same message and hint', async () => {
    const { rules, counted, onMainThread } = await countedRules();
    const gate = withOffThreadParsing(counted, 'sqlite', async (job) => runGateJob(rules, job), () => undefined);
    for (const [sql, type] of [[longRefused, ReadOnlyError], [longGarbage, InvalidInputError]] as const) {
      const direct = caught(() => rules.classify(sql, OPTIONS)) as ReadOnlyError;
      await gate.prepare!(sql, OPTIONS);
      const offThread = caught(() => gate.classify(sql, OPTIONS)) as ReadOnlyError;
      expect(direct).toBeInstanceOf(type);
      expect(offThread).toBeInstanceOf(type);
      expect({ message: offThread.message, hint: offThread.hint, code: offThread.code }).toEqual({ message: direct.message, hint: direct.hint, code: direct.code });
    }
    expect(onMainThread.classify).toBe(0);
  });

  it('keeps short statements on the main thread', async () => {
    const { counted, onMainThread } = await countedRules();
    const run = vi.fn();
    const gate = withOffThreadParsing(counted, 'sqlite', run, () => undefined);
    await gate.prepare!('SELECT 1', OPTIONS);
    expect(gate.classify('SELECT 1', OPTIONS).kind).toBe('read');
    expect(run).not.toHaveBeenCalled();
    expect(onMainThread.classify).toBe(1);
  });

  it('leaves the statement to the main thread when the worker fails, and says so', async () => {
    const { counted, onMainThread } = await countedRules();
    const failures: unknown[] = [];
    const gate = withOffThreadParsing(counted, 'sqlite', () => Promise.reject(new Error('worker died')), (err) => failures.push(err));
    await gate.prepare!(longRefused, OPTIONS);
    expect(caught(() => gate.classify(longRefused, OPTIONS))).toBeInstanceOf(ReadOnlyError);
    expect(onMainThread.classify).toBe(1);
    expect(failures).toHaveLength(1);
  });

  it('never reports the worker\'s own error as a verdict: the main thread decides', async () => {
    const { counted, onMainThread } = await countedRules();
    const gate = withOffThreadParsing(counted, 'sqlite', async () => ({ error: { kind: 'other', message: 'Cannot read properties of undefined' } }), () => undefined);
    await gate.prepare!(longRead, OPTIONS);
    expect(gate.classify(longRead, OPTIONS).kind).toBe('read');
    expect(onMainThread.classify).toBe(1);
  });

  it('asks the main thread when the allowed functions differ from the prepared ones', async () => {
    const { rules, counted, onMainThread } = await countedRules();
    const gate = withOffThreadParsing(counted, 'sqlite', async (job) => runGateJob(rules, job), () => undefined);
    await gate.prepare!(longRead, OPTIONS);
    gate.classify(longRead, { allowedFunctions: ['my_udf'] });
    expect(onMainThread.classify).toBe(1);
  });

  it('refuses as busy when too many long statements wait, instead of parsing them on the main thread', async () => {
    const { counted, onMainThread } = await countedRules();
    const gate = withOffThreadParsing(counted, 'sqlite', () => Promise.reject(new QueueFullError()), () => undefined);
    await expect(gate.prepare!(longRead, OPTIONS)).rejects.toBeInstanceOf(BusyError);
    expect(onMainThread.classify).toBe(0);
  });
});
