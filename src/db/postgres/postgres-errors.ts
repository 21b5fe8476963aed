/**
 * PostgreSQL SQLSTATEs and driver/socket failures → sqlgate errors.
 *
 * The server's own message is kept where it talks about the statement (classes 22, 23, 42 …): that is what lets a
 * model fix its SQL. Connection failures get our own sentences, because driver and socket messages name hosts,
 * ports and users (`connect ECONNREFUSED 10.0.0.5:5432`); the original goes to `detail`, which is only logged.
 */
import pg from 'pg';
import {
  BusyError,
  CancelledError,
  InternalError,
  LoginRefusedError,
  QueryFailedError,
  ReadOnlyError,
  SqlgateError,
  TimeoutError,
  UnavailableError,
} from '../../errors.js';
import { PoolClosedError } from '../../util/resource-pool.js';
import { adviseOnFunction } from '../sql-equivalents.js';

const CHECK_NAMES = 'Check table and column names with list_tables and describe_table.';

/** Hints for whole SQLSTATE classes or single codes, when PostgreSQL gives none of its own. */
const HINTS: Record<string, string> = {
  '42P01': 'Check table names with list_tables; names in double quotes are case-sensitive.',
  '42703': 'Check column names with describe_table; names in double quotes are case-sensitive.',
  '42601': 'Check the SQL syntax; send exactly one statement per call.',
  '42501': 'The database login of this environment lacks that privilege; ask the operator if you need it.',
  '40001': 'The statement conflicted with a concurrent transaction; retry it.',
  '40P01': 'The statement was chosen as a deadlock victim; retry it.',
  '55P03': 'A lock the statement needs is held by another session; retry later.',
  '22': 'A value is out of range or malformed: check literals, casts and parameters.',
  '23': 'The statement violates a constraint of the table; describe_table shows keys and nullability.',
};

/** True for a server error raised because the session's statement_timeout fired. */
export function isStatementTimeout(err: unknown): boolean {
  return err instanceof pg.DatabaseError && err.code === '57014' && /statement timeout/i.test(err.message);
}

/**
 * True when the connection itself failed (socket gone, server shutting down, protocol broken), as opposed to the
 * server rejecting one statement: such a connection must not be used again.
 */
export function isConnectionFailure(err: unknown): boolean {
  if (err instanceof pg.DatabaseError) return /^(08|57P)/.test(err.code ?? '') && parameterCount(err) === null;
  return !(err instanceof SqlgateError);
}

/**
 * True when a failure on a reused connection may only mean that it died while idle: the socket's error, or the
 * backend's goodbye (57P01 terminated by an administrator, 57P02/57P03 shutdown, 08xxx) read before the socket's close.
 * Another connection gets the real answer.
 */
export function mayMeanDeadConnection(err: unknown): boolean {
  return !(err instanceof pg.DatabaseError) || /^(57P0|08)/.test(err.code ?? '');
}

/**
 * The server's answer to a Bind with a different number of values than the statement's highest $n: SQLSTATE 08P01
 * (protocol violation), although nothing is wrong with the connection (the server skips to the next Sync and
 * the connection stays usable). Null for any other error.
 */
function parameterCount(err: pg.DatabaseError): { given: number; used: number } | null {
  if (err.code !== '08P01') return null;
  const match = /^bind message supplies (\d+) parameters?, but prepared statement "[^"]*" requires (\d+)$/.exec(err.message);
  return match ? { given: Number(match[1]), used: Number(match[2]) } : null;
}

function parameterCountError({ given, used }: { given: number; used: number }, detail: string): QueryFailedError {
  const placeholders = used === 0 ? 'no placeholder' : used === 1 ? 'the placeholder $1' : `placeholders up to $${used}`;
  const values = (n: number) => (n === 1 ? '1 value was' : `${n} values were`);
  return new QueryFailedError(`The statement uses ${placeholders}, but ${values(given)} given in params.`, {
    hint: used === 0
      ? 'Leave params out (or empty), or write $1, $2 … where the values belong.'
      : `Pass exactly ${used} value${used === 1 ? '' : 's'} in params, in order: params[0] is $1${used > 1 ? ', params[1] is $2' : ''}.`,
    detail,
  });
}

/** The one translation of anything pg or the socket throws; SqlgateErrors pass through unchanged. */
export function postgresToError(err: unknown): SqlgateError {
  if (err instanceof SqlgateError) return err;
  if (err instanceof pg.DatabaseError) return fromSqlState(err);
  return fromDriverFailure(err);
}

function fromSqlState(err: pg.DatabaseError): SqlgateError {
  const code = err.code ?? '';
  const cls = code.slice(0, 2);
  const detail = `SQLSTATE ${code}: ${err.message}${err.detail ? ` (${err.detail})` : ''}`;
  if (code === '57014') {
    // run-query turns these into the request's own timeout/cancel errors; these are fallbacks (catalog queries).
    return isStatementTimeout(err)
      ? new TimeoutError('The statement ran longer than the statement timeout and was cancelled in the database.', { detail })
      : new CancelledError('The statement was cancelled in the database.', { detail });
  }
  if (code === '25006') {
    return new ReadOnlyError('This environment is read-only; the statement would write.', {
      hint: 'Only reading statements (SELECT, WITH … SELECT, EXPLAIN) run here.',
      detail,
    });
  }
  if (code === '53300') {
    return new BusyError('PostgreSQL has no free connection slot for this environment.', {
      hint: 'Retry in a few seconds; if this persists, ask the operator to check max_connections and the role\'s connection limit.',
      detail,
    });
  }
  if (cls === '28') {
    // 28P01 wrong password, 28000 unknown role or no pg_hba.conf entry: the server is up, the login is wrong.
    return new LoginRefusedError('authentication', 'PostgreSQL refused the login of this environment: authentication failed.', {
      hint: 'Ask the operator to check the user name, password and pg_hba.conf entry for this environment.',
      detail,
    });
  }
  if (code === '3D000') {
    return new LoginRefusedError('database', 'The database named in this environment\'s URL does not exist.', { hint: 'Ask the operator to check the URL.', detail });
  }
  if (code === '42501' && /CONNECT privilege/.test(err.detail ?? '')) {
    // Raised while connecting ("User does not have CONNECT privilege"), not by a statement such as CREATE SCHEMA.
    return new LoginRefusedError('database', 'The login of this environment may not connect to the database named in its URL (no CONNECT privilege).', {
      hint: 'Ask the operator to GRANT CONNECT ON DATABASE … to the login of this environment.',
      detail,
    });
  }
  const mismatch = parameterCount(err);
  if (mismatch) return parameterCountError(mismatch, detail);
  if (cls === '08' || cls === '57') {
    return new UnavailableError('The PostgreSQL server closed or refused the connection.', {
      hint: 'The server may be restarting or shutting down; retry in a moment.',
      detail,
    });
  }
  if (cls === '53' || cls === '54') {
    return new QueryFailedError(`PostgreSQL ran out of resources for this statement (SQLSTATE ${code}).`, {
      hint: 'Narrow it: filter with WHERE, aggregate instead of listing rows, or add LIMIT.',
      detail,
    });
  }
  if (cls === '58' || cls === 'XX' || cls === 'F0') {
    // System and internal errors name data files and server internals: not for the model.
    return new InternalError(`PostgreSQL reported an internal error (SQLSTATE ${code}).`, { detail });
  }
  const isMultiStatement = /cannot insert multiple commands into a prepared statement/.test(err.message);
  return new QueryFailedError(`PostgreSQL: ${err.message}`, {
    hint: isMultiStatement
      ? 'Send one statement per call: several statements in one string are refused.'
      : (otherDialectAdvice(code, err.message) ?? err.hint ?? HINTS[code] ?? HINTS[cls] ?? CHECK_NAMES),
    detail,
  });
}

/**
 * 42883 for another dialect's function that the environment allowed, or one this server is too old for
 * (`function date_format(timestamp without time zone, unknown) does not exist`): what PostgreSQL writes instead.
 */
function otherDialectAdvice(code: string, message: string): string | undefined {
  const name = code === '42883' ? /^function (?:[\w$]+\.)?([\w$]+)\(/.exec(message)?.[1] : undefined;
  return name === undefined ? undefined : adviseOnFunction({ name: 'postgres', displayName: 'PostgreSQL' }, name);
}

/** Errors from the socket, TLS or the driver: none of their messages may be shown. */
function fromDriverFailure(err: unknown): SqlgateError {
  const message = err instanceof Error ? err.message : String(err);
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : '';
  const unavailable = (text: string, hint: string) => new UnavailableError(text, { hint, detail: code ? `${code}: ${message}` : message, cause: err });
  const askOperator = 'Ask the operator to check the host and port in the database URL and that the server runs.';
  if (err instanceof PoolClosedError) return unavailable('This environment is closed.', 'Retry once the server has restarted.');
  switch (code) {
    case 'ECONNREFUSED':
      return unavailable('The PostgreSQL server refused the connection (nothing accepts connections at the configured address).', askOperator);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return unavailable('The PostgreSQL host name of this environment does not resolve.', askOperator);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ECONNRESET':
    case 'EPIPE':
      return unavailable(`The PostgreSQL server cannot be reached (${code}).`, askOperator);
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO_|ERR_TLS|ERR_SSL/.test(code)) {
    return unavailable(`The PostgreSQL server's TLS certificate was not accepted (${code}).`,
      'Ask the operator to check tls.ca_file, tls.servername and sslmode for this environment.');
  }
  if (message === 'The server does not support SSL connections') {
    return unavailable('The PostgreSQL server does not offer TLS, but this environment requires it.',
      'Ask the operator to enable TLS on the server, or to set sslmode=prefer or disable if plaintext is acceptable.');
  }
  if (/timeout expired|connection timeout/i.test(message)) {
    return unavailable('The PostgreSQL server did not accept the connection within the connect timeout.', askOperator);
  }
  if (/^SASL|password/i.test(message)) {
    return new LoginRefusedError('authentication', 'PostgreSQL asked for a password that this environment does not provide correctly.', {
      hint: 'Ask the operator to check the password (or password_file) of this environment.',
      detail: code ? `${code}: ${message}` : message,
      cause: err,
    });
  }
  if (code === 'ERR_STRING_TOO_LONG') {
    // Only reachable with max_result_bytes above V8's longest string (512 MiB): one value could not be decoded.
    return new QueryFailedError('One value of the result is larger than sqlgate can hold (about 512 MiB of text).', {
      hint: 'Select a part of it (substr, left) or its length instead of the whole value.',
      detail: message,
      cause: err,
    });
  }
  if (/Connection terminated|not queryable|Client was closed|read ECONNRESET/i.test(message)) {
    return unavailable('The connection to PostgreSQL was lost.', 'Retry; if this persists, ask the operator to check the server.');
  }
  return new InternalError('Unexpected failure in the PostgreSQL driver.', { detail: message, cause: err });
}
