/** The round trip behind every dialect's `ping()`, written once: a `SELECT 1` through a normal read-only session. */
import { LoginRefusedError, SqlgateError } from '../errors.js';
import { catalogQuery } from './catalog-query.js';
import type { ConnectionStatus, Dialect } from './dialect.js';

const PING_TIMEOUT_MS = 5_000;

/** Never throws: a database that cannot be reached is reported, with a message that is safe to show. */
export async function pingDialect(dialect: Dialect): Promise<ConnectionStatus> {
  const started = performance.now();
  try {
    await catalogQuery(dialect, 'SELECT 1', [], PING_TIMEOUT_MS);
    return { connected: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (err) {
    const error = err instanceof SqlgateError ? err : dialect.toError(err);
    return { connected: false, latencyMs: null, error: error.message, failure: failureOf(error) };
  }
}

/** A refusal means the server is up and the configuration is wrong; anything else means it could not be used. */
function failureOf(error: SqlgateError): NonNullable<ConnectionStatus['failure']> {
  if (!(error instanceof LoginRefusedError)) return 'unreachable';
  return error.refused === 'authentication' ? 'login-refused' : 'database-refused';
}
