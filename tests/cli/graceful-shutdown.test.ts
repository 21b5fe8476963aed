/**
 * The order of a graceful shutdown (cli/graceful-shutdown.ts), with stand-ins for the server and the app: drain
 * first, wait for the calls up to the grace, cancel what is left, then close the streams, the connections and the
 * rest. tests/e2e/graceful-shutdown.test.ts runs it for real, signals and exit codes included.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { drainAndClose } from '../../src/cli/graceful-shutdown.js';
import type { Listening, ResponseKinds } from '../../src/http/listen.js';
import { Drain } from '../../src/util/drain.js';

function standIns() {
  const steps: string[] = [];
  const listening: Listening = {
    port: 0,
    stopAccepting: () => void steps.push('stop accepting'),
    responsesSettled: async (_ms: number, which: ResponseKinds) => {
      steps.push(`responses settled: ${which}`);
      return true;
    },
    close: async () => void steps.push('close connections'),
  };
  return { steps, listening, closeStreams: async () => void steps.push('close streams'), closeRest: async () => void steps.push('close the rest') };
}

const logger = pino({ level: 'silent' });

describe('drainAndClose', () => {
  it('waits for a call that ends within the grace, and cancels nothing', async () => {
    const { steps, listening, closeStreams, closeRest } = standIns();
    const drain = new Drain();
    let signal: AbortSignal | undefined;
    const call = drain.count(async () => {
      signal = drain.signalFor(new AbortController().signal);
      await new Promise((resolve) => setTimeout(resolve, 50));
      steps.push('call ended');
    });
    await drainAndClose({ drain, listening, closeStreams, closeRest, graceMs: 2_000, logger });
    await call;
    expect(drain.isDraining).toBe(true);
    expect(signal!.aborted).toBe(false);
    expect(steps).toEqual([
      'stop accepting', 'responses settled: plain', 'call ended', 'responses settled: answers', 'close streams', 'responses settled: all', 'close connections', 'close the rest',
    ]);
  });

  it('cancels a call still running when the grace is over, and closes once it has ended', async () => {
    const { steps, listening, closeStreams, closeRest } = standIns();
    const drain = new Drain();
    const call = drain.count(async () => {
      const signal = drain.signalFor(new AbortController().signal);
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      steps.push(`call cancelled: ${(signal.reason as Error).message.slice(0, 31)}`);
    });
    const started = Date.now();
    await drainAndClose({ drain, listening, closeStreams, closeRest, graceMs: 100, logger });
    await call;
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    expect(steps).toEqual([
      'stop accepting', 'responses settled: plain', 'call cancelled: The server is shutting down: th',
      'responses settled: answers', 'close streams', 'responses settled: all', 'close connections', 'close the rest',
    ]);
  });
});
