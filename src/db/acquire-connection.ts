/**
 * Takes a connection from a dialect's pool, written once for every dialect: a full pool answers "busy, retry"
 * after the bounded wait instead of queueing without end (or "unavailable" when every connection it counts was
 * still being opened: nothing was busy, the database did not answer), and a pooled connection that `isUsable` rejects (it died
 * while idle: server restart, failover, an idle timeout on the way) is destroyed and replaced.
 */
import { BusyError, UnavailableError, type SqlgateError } from '../errors.js';
import { PoolTimeoutError, type ResourcePool } from '../util/resource-pool.js';

export async function acquireConnection<T>(
  pool: ResourcePool<T>,
  maxConnections: number,
  toError: (err: unknown) => SqlgateError,
  isUsable: (connection: T) => boolean = () => true,
): Promise<T> {
  for (;;) {
    const connection = await acquireOne(pool, maxConnections, toError);
    if (isUsable(connection)) return connection;
    pool.release(connection, { destroy: true });
  }
}

async function acquireOne<T>(pool: ResourcePool<T>, maxConnections: number, toError: (err: unknown) => SqlgateError): Promise<T> {
  try {
    return await pool.acquire();
  } catch (err) {
    if (err instanceof PoolTimeoutError && err.isStillCreating) {
      // Not one connection busy: every one of them was still being opened (a database that is slow to accept, or hangs).
      throw new UnavailableError(`The database did not accept a connection within ${err.waitedMs} ms.`, {
        hint: 'Retry in a moment; if this persists, ask the operator to check the database (and pool.acquire_timeout_ms, connect_timeout_ms).',
      });
    }
    if (err instanceof PoolTimeoutError) {
      throw new BusyError(
        `All ${maxConnections} connections of this environment stayed busy for ${err.waitedMs} ms.`,
        { hint: 'Retry in a few seconds; if this persists, ask the operator to raise pool.max for the environment.' },
      );
    }
    throw toError(err);
  }
}

/** How a dialect begins a session on a pooled connection (beginPooledSession). */
export interface PooledSessionSteps<T, S> {
  readonly maxConnections: number;
  readonly toError: (err: unknown) => SqlgateError;
  /** A pooled connection known to be dead before it is used (see acquireConnection). */
  readonly isUsable?: (connection: T) => boolean;
  /** The engine's own begin; on failure the connection is destroyed here. */
  readonly begin: (connection: T) => Promise<S>;
  /**
   * The failure may only mean that a reused connection died while idle (or kept a state its reuse cannot clear):
   * the begin is tried again on another connection, which gets the real answer. `attempt` counts from 1.
   */
  readonly mayBeStale: (err: unknown, connection: T, attempt: number) => boolean;
}

/**
 * Takes a connection and begins a session on it, written once above the dialects: a begin that fails destroys the
 * connection and, when the failure may be a stale connection's, is retried on the next one.
 */
export async function beginPooledSession<T, S>(pool: ResourcePool<T>, steps: PooledSessionSteps<T, S>): Promise<S> {
  for (let attempt = 1; ; attempt++) {
    const connection = await acquireConnection(pool, steps.maxConnections, steps.toError, steps.isUsable);
    try {
      return await steps.begin(connection);
    } catch (err) {
      pool.release(connection, { destroy: true });
      if (!steps.mayBeStale(err, connection, attempt)) throw steps.toError(err);
    }
  }
}
