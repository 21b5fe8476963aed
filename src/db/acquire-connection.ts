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
