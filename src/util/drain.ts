/**
 * The server's shutdown as the code that serves requests sees it: whether new work is still taken, which tool calls
 * are still running, and the signal that cancels them once the grace is over. cli/graceful-shutdown.ts drives it;
 * http/ refuses new requests while it drains and mcp/ counts every tool call and hands its statement the signal.
 */
import { ShuttingDownError } from '../errors.js';
import { InFlight } from './in-flight.js';

/** What a client refused during the drain is told to wait: a restarted or another instance is up by then. */
const RETRY_AFTER_SECONDS = 5;

export class Drain {
  /** Tool calls from their start until their result (audited) is handed back. */
  readonly calls = new InFlight();
  private readonly cancellation = new AbortController();
  private isStarted = false;

  get isDraining(): boolean {
    return this.isStarted;
  }

  /** Aborted when the grace is over, with a ShuttingDownError as its reason: run-query cancels the statement with it. */
  get signal(): AbortSignal {
    return this.cancellation.signal;
  }

  /** From now on new requests are refused (see `refusal`); the calls in flight run on. */
  start(): void {
    this.isStarted = true;
  }

  /** The grace is over: every statement still running is cancelled in the database, and its caller told why. */
  cancelRemaining(graceMs: number): void {
    this.cancellation.abort(new ShuttingDownError(
      `The server is shutting down: the statement was still running when the ${graceMs / 1_000} s shutdown grace ended, and it was cancelled in the database.`,
      RETRY_AFTER_SECONDS,
      { hint: 'Run it again in a moment (against another instance, or once this one is back); a statement that long may need narrowing.' },
    ));
  }

  /** Runs one tool call, counted until it has ended (its result audited), so the drain can wait for it. */
  async count<T>(work: () => Promise<T>): Promise<T> {
    const end = this.calls.begin();
    try {
      return await work();
    } finally {
      end();
    }
  }

  /** A call's own signal (the client cancels) joined with the drain's (the grace is over). */
  signalFor(callSignal: AbortSignal): AbortSignal {
    return AbortSignal.any([callSignal, this.cancellation.signal]);
  }

  /** What a request that arrives during the drain is answered. */
  refusal(): ShuttingDownError {
    return new ShuttingDownError('The server is shutting down and takes no new requests.', RETRY_AFTER_SECONDS, {
      hint: `Retry in ${RETRY_AFTER_SECONDS} seconds (another instance, or this one once restarted, will answer).`,
    });
  }
}
