import { describe, expect, it } from 'vitest';
import { settleWithin } from '../../src/util/settle-within.js';

describe('settleWithin', () => {
  it('reports a value or a rejection that comes in time', async () => {
    expect(await settleWithin(Promise.resolve(7), 1_000)).toEqual({ status: 'fulfilled', value: 7 });
    const reason = new Error('no');
    expect(await settleWithin(Promise.reject(reason), 1_000)).toEqual({ status: 'rejected', reason });
  });

  it('stops waiting after the limit, and a later rejection stays handled', async () => {
    let reject!: (err: Error) => void;
    const late = new Promise<never>((_, r) => (reject = r));
    const started = Date.now();
    expect(await settleWithin(late, 30)).toEqual({ status: 'pending' });
    expect(Date.now() - started).toBeLessThan(1_000);
    // Vitest fails the run on an unhandled rejection: this one must already have a handler.
    reject(new Error('too late'));
    await new Promise((resolve) => setTimeout(resolve, 10));
  });
});
