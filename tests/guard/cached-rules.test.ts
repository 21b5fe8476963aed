import { describe, expect, it } from 'vitest';
import { withVerdictCache } from '../../src/guard/cached-rules.js';
import type { GateOptions, StatementRules } from '../../src/guard/statement-gate.js';
import { ReadOnlyError } from '../../src/errors.js';

function countingRules(): StatementRules & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    classify(sql: string, options: GateOptions) {
      calls.push(`${options.allowedFunctions.join(',')}|${sql}`);
      if (sql.startsWith('DELETE')) throw new ReadOnlyError('refused');
      return { kind: 'read', isDestructive: false };
    },
    shape(sql: string) {
      calls.push(`shape|${sql}`);
      return { kind: 'opaque', what: sql };
    },
  };
}

describe('withVerdictCache', () => {
  const none: GateOptions = { allowedFunctions: [] };

  it('classifies an exact text once per allowed-functions list', () => {
    const inner = countingRules();
    const rules = withVerdictCache(inner);
    expect(rules.classify('SELECT 1', none)).toEqual({ kind: 'read', isDestructive: false });
    rules.classify('SELECT 1', none);
    rules.classify('SELECT 1 ', none);
    rules.classify('SELECT 1', { allowedFunctions: ['f'] });
    expect(inner.calls).toEqual(['|SELECT 1', '|SELECT 1 ', 'f|SELECT 1']);
  });

  it('never keeps a refusal', () => {
    const inner = countingRules();
    const rules = withVerdictCache(inner);
    expect(() => rules.classify('DELETE FROM t', none)).toThrow(ReadOnlyError);
    expect(() => rules.classify('DELETE FROM t', none)).toThrow(ReadOnlyError);
    expect(inner.calls).toHaveLength(2);
  });

  it('classifies very long statements every time', () => {
    const inner = countingRules();
    const rules = withVerdictCache(inner);
    const long = `SELECT ${'1 + '.repeat(3_000)}1`;
    rules.classify(long, none);
    rules.classify(long, none);
    expect(inner.calls).toHaveLength(2);
  });

  it('builds a text\'s shape once, and a different text afresh', () => {
    const inner = countingRules();
    const rules = withVerdictCache(inner);
    expect(rules.shape('SELECT 1')).toEqual({ kind: 'opaque', what: 'SELECT 1' });
    rules.shape('SELECT 1');
    rules.shape('SELECT 2');
    expect(inner.calls).toEqual(['shape|SELECT 1', 'shape|SELECT 2']);
  });
});
