/**
 * What the PostgreSQL stores (the state store, the audit trail) throw when their server fails: our own sentences,
 * because driver and socket messages name hosts, ports and users. At open the message names the store by its masked
 * URL (the operator reads it at start, as the SQLite store names its file); once serving, a failure may reach a
 * signing-in user through http/on-error.ts, so the URL goes to `detail`, which is only logged.
 */
import pg from 'pg';
import { ConfigError, SqlgateError, UnavailableError } from '../../errors.js';
import type { PostgresTarget } from '../../config/schema.js';

/** pg's message when the server answers the TLS request with "no". */
export const TLS_REFUSED_MESSAGE = 'The server does not support SSL connections';

/** Which of sqlgate's stores a database holds: what its messages call it, and the configuration key of its URL. */
export interface StoreSubject {
  /** "state store", "audit trail": "the <name> postgres://…" in messages. */
  readonly name: string;
  readonly key: string;
  /** application_name of its connections, so that a DBA tells them apart in pg_stat_activity. */
  readonly applicationName: string;
}

export const STATE_STORE: StoreSubject = { name: 'state store', key: 'store.url', applicationName: 'sqlgate-state' };

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE']);

/** The error for a failure while connecting to the store or migrating it, at start. */
export function storeOpenError(err: unknown, target: PostgresTarget, location: string, subject: StoreSubject = STATE_STORE): SqlgateError {
  if (err instanceof SqlgateError) return err;
  const detail = describe(err);
  const { name, key } = subject;
  const reachHint = `Check that PostgreSQL runs at ${target.host}:${target.port} and accepts connections from here, or correct ${key}.`;
  if (err instanceof pg.DatabaseError) {
    const code = err.code ?? '';
    if (code.startsWith('28')) {
      return new ConfigError(`PostgreSQL refused the login of the ${name} ${location} (${code}).`, {
        hint: `Check the user name and password in ${key}, and the server's pg_hba.conf entry for this host.`,
        detail,
      });
    }
    if (code === '3D000') {
      return new ConfigError(`The database of the ${name} ${location} does not exist (3D000).`, {
        hint: `Create it first, e.g. CREATE DATABASE "${target.database}" OWNER "${target.user}";`,
        detail,
      });
    }
    if (code === '42501') {
      return new ConfigError(`The ${name} ${location} cannot create its tables: permission denied (42501).`, {
        hint: `sqlgate creates and migrates its tables at start: GRANT CREATE ON SCHEMA public TO "${target.user}"; (or the schema first on its search_path).`,
        detail,
      });
    }
    if (/^(08|57P|53)/.test(code)) {
      return new UnavailableError(`Cannot connect to the ${name} ${location} (${code}).`, { hint: reachHint, detail });
    }
    return new ConfigError(`The ${name} ${location} cannot be used (SQLSTATE ${code}).`, {
      hint: `Is it a database that sqlgate created? Point ${key} at an empty database of its own.`,
      detail,
    });
  }
  const code = errorCode(err);
  if (/CERT|SELF_SIGNED|UNABLE_TO_|ERR_TLS|ERR_SSL/.test(code)) {
    return new ConfigError(`The TLS certificate of the ${name} ${location} was not accepted (${code}).`, {
      hint: `Check the sslmode in ${key}; a private CA is trusted through NODE_EXTRA_CA_CERTS.`,
      detail,
    });
  }
  if (errorMessage(err) === TLS_REFUSED_MESSAGE) {
    return new ConfigError(`The ${name} ${location} does not offer TLS, but its sslmode requires it.`, {
      hint: `Enable TLS on the server, or set sslmode=prefer or disable in ${key} if plaintext is acceptable on this network.`,
      detail,
    });
  }
  if (/^SASL|password/i.test(errorMessage(err))) {
    return new ConfigError(`PostgreSQL asked for a password that ${key} does not provide (${location}).`, {
      hint: `Put the password in ${key}: postgres://user:\${PASSWORD}@host/db.`,
      detail,
    });
  }
  return new UnavailableError(`Cannot connect to the ${name} ${location} (${code || 'connection failed'}).`, { hint: reachHint, detail });
}

/** The error for a connection the pool could not open once serving: whatever the cause, the store is out of reach. */
export function storeUnavailableError(err: unknown, location: string, subject: StoreSubject = STATE_STORE): UnavailableError {
  return new UnavailableError(`sqlgate's ${subject.name} cannot be reached (${errorCode(err) || 'connection failed'}).`, {
    hint: `Retry in a moment; if this persists, the operator should check the ${subject.name}'s PostgreSQL server.`,
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
export function storeQueryError(err: unknown, location: string, subject: StoreSubject = STATE_STORE): unknown {
  return isConnectionLost(err) ? storeUnavailableError(err, location, subject) : err;
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
