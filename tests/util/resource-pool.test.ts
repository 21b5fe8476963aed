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
