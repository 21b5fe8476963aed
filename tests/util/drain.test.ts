/**
 * The pieces of a graceful shutdown: counting work in flight (and waiting for it, for a bounded time), and the
 * drain that refuses new work and, once the grace is over, aborts the calls still running with a reason that says so.
 */
import { describe, expect, it } from 'vitest';
import { ShuttingDownError } from '../../src/errors.js';
import { Drain } from '../../src/util/drain.js';
import { InFlight } from '../../src/util/in-flight.js';

describe('InFlight', () => {
  it('is settled at once when nothing runs, and as soon as the last piece of work ends', async () => {
    const work = new InFlight();
    expect(await work.settled(10)).toBe(true);
    const endA = work.begin();
    const endB = work.begin();
    const settled = work.settled(1_000);
    endA();
    endA(); // a second call does nothing
    expect(work.size).toBe(1);
    setTimeout(endB, 20);
    const started = Date.now();
    expect(await settled).toBe(true);
    expect(Date.now() - started).toBeLessThan(500);
    expect(work.size).toBe(0);
  });

  it('gives up waiting after the time given', async () => {
    const work = new InFlight();
    const end = work.begin();
    expect(await work.settled(30)).toBe(false);
    end();
  });
});

describe('Drain', () => {
  it('counts a call until it has ended, whatever its outcome', async () => {
    const drain = new Drain();
    let finish!: () => void;
    const call = drain.count(() => new Promise<void>((resolve) => (finish = resolve)));
    const failing = drain.count(async () => {
      throw new Error('boom');
    }).catch((err: Error) => err.message);
    expect(await failing).toBe('boom');
    expect(drain.calls.size).toBe(1);
    finish();
    await call;
    expect(drain.calls.size).toBe(0);
  });

  it('refuses new work once started, and cancels what runs when the grace is over, saying why', () => {
    const drain = new Drain();
    const client = new AbortController();
    const signal = drain.signalFor(client.signal);
    expect(drain.isDraining).toBe(false);
    drain.start();
    expect(drain.isDraining).toBe(true);
    expect(drain.refusal()).toMatchObject({ code: 'SG_SHUTTING_DOWN', status: 503, retryAfterSeconds: 5 });
    expect(signal.aborted).toBe(false);
    drain.cancelRemaining(10_000);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(ShuttingDownError);
    expect((signal.reason as ShuttingDownError).message).toContain('the 10 s shutdown grace ended');
  });

  it('still lets the client cancel its own call', () => {
    const drain = new Drain();
    const client = new AbortController();
    const signal = drain.signalFor(client.signal);
    client.abort(new Error('the user gave up'));
    expect(signal.aborted).toBe(true);
    expect(signal.reason).not.toBeInstanceOf(ShuttingDownError);
  });
});
