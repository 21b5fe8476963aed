/**
 * Stopping `sqlgate serve` on SIGTERM/SIGINT without dropping work (docs/operations/shutdown-and-timeouts.md):
 *
 * 1. Drain: the listening socket closes, idle connections are closed, and every new request is answered 503 with
 *    Retry-After and `Connection: close` (http/create-http-app.ts).
 * 2. The tool calls in flight, over every transport, run on for up to server.shutdown_grace; their answers go out.
 * 3. Those still running then are cancelled in the database, and their callers get SG_SHUTTING_DOWN.
 * 4. Legacy SSE streams get a last `shutdown` event and are closed; the connections left are closed.
 * 5. The pools, the stores and the audit trail are closed (every record was committed before its answer left).
 *
 * A second signal exits at once, with the usual 128 + the signal's number. So does a shutdown that hangs well
 * past its grace (a database or store that does not answer its close), with exit code 1.
 */
import os from 'node:os';
import type { Listening } from '../http/listen.js';
import type { Logger } from '../telemetry/logger.js';
import type { Drain } from '../util/drain.js';

/** After the grace: how long cancelled calls get to give their answer (a cancel is one round trip to the database). */
const CANCEL_WAIT_MS = 5_000;
/** How long answers already on their way (a Streamable HTTP call's event stream) get to be written out. */
const ANSWER_FLUSH_MS = 2_000;
/** How long closed streams get to send their last event before their connections are cut. */
const STREAM_CLOSE_MS = 1_000;
/** Past the grace and the waits above, a shutdown that has not finished is given up on: the process exits. */
const HANG_MARGIN_MS = CANCEL_WAIT_MS + ANSWER_FLUSH_MS + STREAM_CLOSE_MS + 7_000;

export interface ServeShutdown {
  readonly drain: Drain;
  readonly listening: Listening;
  /** Closes the transports' streams (legacy SSE with its last event). */
  readonly closeStreams: () => Promise<void>;
  /** Closes everything else: pools, stores, the audit trail. */
  readonly closeRest: () => Promise<void>;
  readonly graceMs: number;
  readonly logger: Logger;
}

/** The drain and close of `sqlgate serve`, steps 1 to 5 above. Resolves once everything is closed. */
export async function drainAndClose(parts: ServeShutdown): Promise<void> {
  const { drain, listening, graceMs, logger } = parts;
  const started = performance.now();
  drain.start();
  listening.stopAccepting();
  logger.info({ graceMs, callsInFlight: drain.calls.size }, 'draining: new requests are refused, calls in flight may finish');
  const [isCallsDone] = await Promise.all([drain.calls.settled(graceMs), listening.responsesSettled(graceMs, 'plain')]);
  if (!isCallsDone) {
    logger.warn({ calls: drain.calls.size, graceMs }, 'shutdown grace over: cancelling the statements still running');
    drain.cancelRemaining(graceMs);
    if (!(await drain.calls.settled(CANCEL_WAIT_MS))) {
      logger.error({ calls: drain.calls.size }, 'tool calls did not end after their cancellation; closing anyway');
    }
  }
  await listening.responsesSettled(ANSWER_FLUSH_MS, 'answers');
  await parts.closeStreams();
  await listening.responsesSettled(STREAM_CLOSE_MS, 'all');
  await listening.close();
  await parts.closeRest();
  logger.info({ ms: Math.round(performance.now() - started), cancelled: !isCallsDone }, 'shut down');
}

/**
 * Runs `shutDown` on the first SIGTERM or SIGINT and exits 0 once it is done (1 if it failed or hung for
 * `hangAfterMs`); a second signal exits at once.
 */
export function onShutdownSignals(logger: Logger, shutDown: () => Promise<void>, hangAfterMs: number): void {
  let isShuttingDown = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (isShuttingDown) {
      logger.warn({ signal }, 'second signal: exiting at once, without waiting for the calls in flight');
      process.exit(128 + (os.constants.signals[signal] ?? 0));
    }
    isShuttingDown = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error({ ms: hangAfterMs }, 'shutdown did not finish in time: exiting');
      process.exit(1);
    }, hangAfterMs).unref();
    shutDown().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** How long `serve` may take to shut down before it is given up on. */
export function serveHangAfterMs(graceMs: number): number {
  return graceMs + HANG_MARGIN_MS;
}
