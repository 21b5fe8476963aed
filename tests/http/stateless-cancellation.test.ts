import { describe, expect, it } from 'vitest';
import { cancelledIds, toolCallIds } from '../../src/http/json-rpc-body.js';
import { StatelessCancellation } from '../../src/http/stateless-cancellation.js';

describe('StatelessCancellation', () => {
  it('aborts the matching call of the same client only', () => {
    const registry = new StatelessCancellation();
    const mine = registry.track('10.0.0.1|claude', 7);
    const theirs = registry.track('10.0.0.2|claude', 7);
    const stringId = registry.track('10.0.0.1|claude', '7');
    expect(registry.cancel('10.0.0.1|claude', 7)).toBe(true);
    expect(mine.signal.aborted).toBe(true);
    expect(theirs.signal.aborted).toBe(false);
    expect(stringId.signal.aborted).toBe(false);
  });

  it('forgets released calls', () => {
    const registry = new StatelessCancellation();
    const call = registry.track('a', 1);
    call.release();
    expect(registry.size).toBe(0);
    expect(registry.cancel('a', 1)).toBe(false);
    expect(call.signal.aborted).toBe(false);
  });

  it('finds tool calls and cancellations in single messages and batches', () => {
    expect(toolCallIds({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: {} })).toEqual([3]);
    expect(toolCallIds([{ id: 'a', method: 'tools/call' }, { id: 4, method: 'tools/list' }, { method: 'tools/call' }])).toEqual(['a']);
    expect(cancelledIds({ method: 'notifications/cancelled', params: { requestId: 3, reason: 'user' } })).toEqual([3]);
    expect(cancelledIds([null, 'x', { method: 'notifications/cancelled', params: {} }])).toEqual([]);
  });
});
