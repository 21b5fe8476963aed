import { describe, expect, it } from 'vitest';
import { PoolClosedError, PoolTimeoutError, ResourcePool } from '../../src/util/resource-pool.js';

function counterPool(max: number, acquireTimeoutMs = 100) {
  let created = 0;
  const destroyed: number[] = [];
  const pool = new ResourcePool<number>({
    create: async () => ++created,
    destroy: async (n) => void destroyed.push(n),
    max,
    acquireTimeoutMs,
    idleTimeoutMs: 60_000,
  });
  return { pool, destroyed, created: () => created };
}

describe('ResourcePool', () => {
  it('reuses released resources and never exceeds max', async () => {
    const { pool, created } = counterPool(2);
    const a = await pool.acquire();
    const b = await pool.acquire();
    pool.release(a);
    expect(await pool.acquire()).toBe(a);
    expect(created()).toBe(2);
    expect(pool.inUse).toBe(2);
    pool.release(b);
  });

  it('makes a waiter wait for a release, then hands it over', async () => {
    const { pool } = counterPool(1, 1_000);
    const a = await pool.acquire();
    const waiting = pool.acquire();
    setTimeout(() => pool.release(a), 20);
    expect(await waiting).toBe(a);
  });

  it('reports its size, resources in use, waiting acquires and limit (the pool metrics read these)', async () => {
    const { pool } = counterPool(1, 1_000);
    expect(pool.stats()).toEqual({ size: 0, inUse: 0, waiting: 0, max: 1 });
    const a = await pool.acquire();
    const waiting = pool.acquire();
    expect(pool.stats()).toEqual({ size: 1, inUse: 1, waiting: 1, max: 1 });
    pool.release(a);
    await waiting;
    expect(pool.stats()).toEqual({ size: 1, inUse: 1, waiting: 0, max: 1 });
    pool.release(a);
    expect(pool.stats()).toEqual({ size: 1, inUse: 0, waiting: 0, max: 1 });
    await pool.close();
  });

  it('fails with PoolTimeoutError after the bounded wait', async () => {
    const { pool } = counterPool(1, 50);
    await pool.acquire();
    const started = Date.now();
    await expect(pool.acquire()).rejects.toBeInstanceOf(PoolTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('replaces a destroyed resource for the next waiter', async () => {
    const { pool, destroyed } = counterPool(1, 1_000);
    const a = await pool.acquire();
    const waiting = pool.acquire();
    pool.release(a, { destroy: true });
    expect(await waiting).toBe(2);
    expect(destroyed).toEqual([1]);
  });

  it('does not count a resource whose creation failed', async () => {
    let attempts = 0;
    const pool = new ResourcePool<number>({
      create: async () => {
        if (++attempts === 1) throw new Error('down');
        return attempts;
      },
      destroy: async () => undefined,
      max: 1,
      acquireTimeoutMs: 50,
      idleTimeoutMs: 60_000,
    });
    await expect(pool.acquire()).rejects.toThrow('down');
    expect(pool.total).toBe(0);
    expect(await pool.acquire()).toBe(2);
  });

  it('fails the callers queued behind a failed creation at once when nothing the pool made works', async () => {
    let attempts = 0;
    const pool = new ResourcePool<number>({
      create: () => new Promise((_resolve, reject) => setTimeout(() => reject(new Error(`down ${++attempts}`)), 30)),
      destroy: async () => undefined,
      max: 1,
      acquireTimeoutMs: 1_000,
      idleTimeoutMs: 60_000,
    });
    const started = Date.now();
    const results = await Promise.allSettled([pool.acquire(), pool.acquire(), pool.acquire()]);
    expect(results.map((r) => (r as PromiseRejectedResult).reason.message)).toEqual(['down 1', 'down 1', 'down 1']);
    expect(Date.now() - started).toBeLessThan(500); // one creation attempt, not one per caller
    expect(pool.total).toBe(0);
  });

  it('lets a waiter try again after a failed creation while other resources work', async () => {
    let attempts = 0;
    const pool = new ResourcePool<number>({
      create: async () => {
        if (++attempts === 2) throw new Error('flaky');
        return attempts;
      },
      destroy: async () => undefined,
      max: 2,
      acquireTimeoutMs: 1_000,
      idleTimeoutMs: 60_000,
    });
    expect(await pool.acquire()).toBe(1);
    const [second, third] = await Promise.allSettled([pool.acquire(), pool.acquire()]);
    expect((second as PromiseRejectedResult).reason.message).toBe('flaky');
    expect((third as PromiseFulfilledResult<number>).value).toBe(3);
  });

  it('says when the bounded wait ended with every resource still being created', async () => {
    const pool = new ResourcePool<number>({
      create: () => new Promise(() => undefined), // a database that never answers
      destroy: async () => undefined,
      max: 1,
      acquireTimeoutMs: 30,
      idleTimeoutMs: 60_000,
    });
    void pool.acquire().catch(() => undefined);
    const error = await pool.acquire().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PoolTimeoutError);
    expect((error as PoolTimeoutError).isStillCreating).toBe(true);
    const { pool: busy } = counterPool(1, 30);
    await busy.acquire();
    expect(((await busy.acquire().catch((err: unknown) => err)) as PoolTimeoutError).isStillCreating).toBe(false);
  });

  it('rejects waiters and new acquisitions once closed, destroying idle resources', async () => {
    const { pool, destroyed } = counterPool(1, 1_000);
    const a = await pool.acquire();
    const waiting = pool.acquire();
    await pool.close();
    await expect(waiting).rejects.toBeInstanceOf(PoolClosedError);
    await expect(pool.acquire()).rejects.toBeInstanceOf(PoolClosedError);
    pool.release(a);
    expect(destroyed).toEqual([1]);
  });
});
