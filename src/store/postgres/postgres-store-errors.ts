/**
 * What the PostgreSQL state store throws when its server fails: our own sentences, because driver and socket
 * messages name hosts, ports and users. At open the message names the store by its masked URL (the operator reads
 * it at start, as the SQLite store names its file); once serving, a failure may reach a signing-in user through
 * http/on-error.ts, so the URL goes to `detail`, which is only logged.
 */
import pg from 'pg';
import { ConfigError, SqlgateError, UnavailableError } from '../../errors.js';
import type { PostgresTarget } from '../../config/schema.js';

/** pg's message when the server answers the TLS request with "no". */
export const TLS_REFUSED_MESSAGE = 'The server does not support SSL connections';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE']);

/** The error for a failure while connecting to the store or migrating it, at start. */
export function storeOpenError(err: unknown, target: PostgresTarget, location: string): SqlgateError {
  if (err instanceof SqlgateError) return err;
  const detail = describe(err);
  const reachHint = `Check that PostgreSQL runs at ${target.host}:${target.port} and accepts connections from here, or correct store.url.`;
  if (err instanceof pg.DatabaseError) {
    const code = err.code ?? '';
    if (code.startsWith('28')) {
      return new ConfigError(`PostgreSQL refused the login of the state store ${location} (${code}).`, {
        hint: 'Check the user name and password in store.url, and the server\'s pg_hba.conf entry for this host.',
        detail,
      });
    }
    if (code === '3D000') {
      return new ConfigError(`The database of the state store ${location} does not exist (3D000).`, {
        hint: `Create it first, e.g. CREATE DATABASE "${target.database}" OWNER "${target.user}";`,
        detail,
      });
    }
    if (code === '42501') {
      return new ConfigError(`The state store ${location} cannot create its tables: permission denied (42501).`, {
        hint: `sqlgate creates and migrates its tables at start: GRANT CREATE ON SCHEMA public TO "${target.user}"; (or the schema first on its search_path).`,
        detail,
      });
    }
    if (/^(08|57P|53)/.test(code)) {
      return new UnavailableError(`Cannot connect to the state store ${location} (${code}).`, { hint: reachHint, detail });
    }
    return new ConfigError(`The state store ${location} cannot be used (SQLSTATE ${code}).`, {
      hint: 'Is it a database that sqlgate created? Point store.url at an empty database of its own.',
      detail,
    });
  }
  const code = errorCode(err);
  if (/CERT|SELF_SIGNED|UNABLE_TO_|ERR_TLS|ERR_SSL/.test(code)) {
    return new ConfigError(`The TLS certificate of the state store ${location} was not accepted (${code}).`, {
      hint: 'Check the sslmode in store.url; a private CA is trusted through NODE_EXTRA_CA_CERTS.',
      detail,
    });
  }
  if (errorMessage(err) === TLS_REFUSED_MESSAGE) {
    return new ConfigError(`The state store ${location} does not offer TLS, but its sslmode requires it.`, {
      hint: 'Enable TLS on the server, or set sslmode=prefer or disable in store.url if plaintext is acceptable on this network.',
      detail,
    });
  }
  if (/^SASL|password/i.test(errorMessage(err))) {
    return new ConfigError(`PostgreSQL asked for a password that store.url does not provide (${location}).`, {
      hint: 'Put the password in store.url: postgres://user:${PASSWORD}@host/db.',
      detail,
    });
  }
  return new UnavailableError(`Cannot connect to the state store ${location} (${code || 'connection failed'}).`, { hint: reachHint, detail });
}

/** The error for a connection the pool could not open once serving: whatever the cause, the store is out of reach. */
export function storeUnavailableError(err: unknown, location: string): UnavailableError {
  return new UnavailableError(`sqlgate's state store cannot be reached (${errorCode(err) || 'connection failed'}).`, {
    hint: 'Retry in a moment; if this persists, the operator should check the state store\'s PostgreSQL server.',
    detail: `${location}: ${describe(err)}`,
    cause: err,
  });
}

/** True when the connection itself failed (socket gone, server shutting down), not one statement. */
export function isConnectionLost(err: unknown): boolean {
  if (err instanceof SqlgateError) return false;
  if (err instanceof pg.DatabaseError) return /^(08|57P|53)/.test(err.code ?? '');
  return isDriverFailure(err);
}

/**
 * The error for a statement that failed once serving. A lost connection becomes UnavailableError; anything else
 * (a bug of ours, a revoked privilege) passes through, to be logged in full.
 */
export function storeQueryError(err: unknown, location: string): unknown {
  return isConnectionLost(err) ? storeUnavailableError(err, location) : err;
}

function isDriverFailure(err: unknown): boolean {
  const message = errorMessage(err);
  return NETWORK_CODES.has(errorCode(err)) || /timeout|Connection terminated|not queryable|Client was closed/i.test(message);
}

function errorCode(err: unknown): string {
  if (err instanceof pg.DatabaseError) return err.code ?? '';
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return /timeout/i.test(errorMessage(err)) ? 'timed out' : '';
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function describe(err: unknown): string {
  const code = errorCode(err);
  return code ? `${code}: ${errorMessage(err)}` : errorMessage(err);
}
