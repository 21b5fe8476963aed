/**
 * SQL Server error numbers and tedious/socket failures → sqlgate errors.
 *
 * The server's own message is kept where it talks about the statement (syntax, names, conversions): that is what
 * lets a model fix its T-SQL. Connection and login failures get our own sentences, because tedious messages name
 * the host and port (`Failed to connect to db.internal:1433`) and SQL Server's login message names the login; the
 * original goes to `detail`, which is only logged.
 */
import tedious from 'tedious';
import {
  BusyError,
  CancelledError,
  ForbiddenError,
  InternalError,
  InvalidInputError,
  LoginRefusedError,
  QueryFailedError,
  ReadOnlyError,
  SqlgateError,
  TimeoutError,
  UnavailableError,
} from '../../errors.js';
import { PoolClosedError } from '../../util/resource-pool.js';
import { adviseOnConstruct, adviseOnFunction, adviseOnMiscountedCall, type AdviceTarget } from '../sql-equivalents.js';

/** What the mapping needs to know about the environment. */
export interface MssqlErrorContext {
  /** A refused write in a read-only environment is SG_READ_ONLY rather than SG_FORBIDDEN / SG_QUERY_FAILED. */
  readonly readOnly: boolean;
}

/**
 * A failed connect or login. tedious reports a failed login as `ELOGIN` without the server's error number, which
 * the connection captured from the login's ERROR token (18456 bad password, 4060 no such database …).
 */
export class MssqlConnectError extends Error {
  constructor(
    readonly code: string | undefined,
    readonly number: number | undefined,
    options: { cause: unknown },
  ) {
    super(options.cause instanceof Error ? options.cause.message : String(options.cause), options);
    this.name = 'MssqlConnectError';
  }
}

export const READ_ONLY_MESSAGE = 'This environment is read-only; the statement would write.';
export const READ_ONLY_HINT = 'Only reading statements (SELECT, WITH … SELECT) run here.';
const CHECK_NAMES = 'Check table and column names with list_tables and describe_table.';
const CHECK_SYNTAX = 'Check the T-SQL syntax: SQL Server writes TOP (n) instead of LIMIT, quotes names with [brackets] and takes parameters as @p1, @p2 …; send one statement per call.';
const CHECK_VALUES = 'A value does not fit its type: check literals and parameters, or convert explicitly with CAST or TRY_CAST.';
const CHECK_CONSTRAINTS = 'The statement violates a constraint of the table; describe_table shows keys and nullability.';
const RETRY = 'Retry in a moment; another session holds what the statement needs.';

/** Hints for server errors about the statement itself, by error number. */
const QUERY_HINTS: Record<number, string> = {
  102: CHECK_SYNTAX, 105: CHECK_SYNTAX, 156: CHECK_SYNTAX, 170: CHECK_SYNTAX, 319: CHECK_SYNTAX, 1018: CHECK_SYNTAX,
  207: CHECK_NAMES, 208: CHECK_NAMES, 209: CHECK_NAMES, 4104: CHECK_NAMES, 4121: CHECK_NAMES, 195: CHECK_NAMES, 2812: CHECK_NAMES,
  137: 'Pass one value in params for each placeholder @p1, @p2 … the statement uses.',
  8114: CHECK_VALUES, 245: CHECK_VALUES, 241: CHECK_VALUES, 242: CHECK_VALUES, 8115: CHECK_VALUES, 8134: CHECK_VALUES,
  8152: CHECK_VALUES, 2628: CHECK_VALUES, 9413: CHECK_VALUES, 13609: CHECK_VALUES,
  515: CHECK_CONSTRAINTS, 547: CHECK_CONSTRAINTS, 2601: CHECK_CONSTRAINTS, 2627: CHECK_CONSTRAINTS,
  8120: 'Every selected column must be aggregated or listed in GROUP BY.',
};

/** Statements SQL Server refuses inside sqlgate's transaction; in a read-only environment they are writes. */
const TRANSACTION_REFUSALS = new Set([226, 266, 574, 3902, 3903]);
const PERMISSION_DENIED = new Set([229, 230, 262, 297, 300, 15247]);
/** Lock and version conflicts with other sessions: retrying later can succeed. */
const BUSY = new Set([1205, 1222, 3960, 3961, 8645, 10928, 10929]);
/** The database or replica cannot serve this login now (offline, recovering, not readable, login refused). */
const UNAVAILABLE = new Set([922, 942, 945, 952, 976, 978, 982, 983, 3908, 4060, 18452, 18456, 18470, 18486, 18487, 18488, 40613]);
/** Permissions that change data or schema: denied in a read-only environment, they are its read-only rule at work. */
const WRITE_PERMISSION = /^(INSERT|UPDATE|DELETE|ALTER|CREATE|DROP|TRUNCATE|MERGE|CONTROL|TAKE OWNERSHIP|BACKUP)\b/;

export function mssqlToError(err: unknown, context: MssqlErrorContext): SqlgateError {
  if (err instanceof SqlgateError) return err;
  const serverError = firstServerError(err);
  if (serverError) return fromServerError(serverError.number, serverError.message, context, err);
  return fromDriverFailure(err);
}

/** The first error that carries a SQL Server error number (tedious wraps several in an AggregateError). */
export function firstServerError(err: unknown): { number: number; message: string } | null {
  const candidates = err instanceof AggregateError ? err.errors : [err];
  for (const candidate of candidates) {
    const number = (candidate as { number?: unknown } | null)?.number;
    if (typeof number === 'number' && number > 0) {
      return { number, message: candidate instanceof Error ? candidate.message : String(candidate) };
    }
  }
  return null;
}

function fromServerError(number: number, message: string, context: MssqlErrorContext, cause: unknown): SqlgateError {
  const detail = `SQL Server error ${number}: ${message}`;
  if (number === 3906 || (context.readOnly && TRANSACTION_REFUSALS.has(number))) {
    return new ReadOnlyError(READ_ONLY_MESSAGE, { hint: READ_ONLY_HINT, detail, cause });
  }
  if (PERMISSION_DENIED.has(number)) return permissionDenied(message, context, detail, cause);
  if (BUSY.has(number)) {
    const text =
      number === 1205 ? 'SQL Server chose the statement as a deadlock victim.'
      : number === 1222 ? 'A lock the statement needs is held by another session (lock timeout).'
      : number === 3960 || number === 3961 ? 'The statement conflicted with a concurrent transaction.'
      : 'SQL Server has no resources free for the statement right now.';
    return new BusyError(text, { hint: RETRY, detail, cause });
  }
  if (UNAVAILABLE.has(number)) return unavailableByNumber(number, detail, cause);
  return new QueryFailedError(`SQL Server: ${message}`, {
    hint: TRANSACTION_REFUSALS.has(number)
      ? 'sqlgate runs each statement in its own transaction: leave out BEGIN/COMMIT/ROLLBACK TRANSACTION and statements that cannot run in a transaction.'
      : (otherDialectAdvice(number, message) ?? QUERY_HINTS[number] ?? 'Check the statement against describe_table; send one statement per call.'),
    detail,
    cause,
  });
}

const SQL_SERVER: AdviceTarget = { name: 'mssql', displayName: 'SQL Server' };

/**
 * What T-SQL writes instead, when SQL Server rejects another dialect's function (one the environment allowed, or
 * one this version lacks, such as DATETRUNC before 2022), a function called another dialect's way, or `::` and
 * `LIMIT`, which the gate's parser accepts but SQL Server does not.
 */
function otherDialectAdvice(number: number, message: string): string | undefined {
  // 195: "'now' is not a recognized built-in function name."; 174: "The datediff function requires 3 argument(s)."
  const missing = number === 195 ? /^'([\w$]+)' is not a recognized built-in function name/.exec(message)?.[1] : undefined;
  if (missing !== undefined) return adviseOnFunction(SQL_SERVER, missing);
  const miscounted = number === 174 ? /^The ([\w$]+) function requires/.exec(message)?.[1] : undefined;
  const callAdvice = miscounted === undefined ? undefined : adviseOnMiscountedCall(SQL_SERVER, miscounted);
  if (callAdvice !== undefined) return callAdvice;
  if (number !== 102) return undefined;
  if (message.startsWith("Incorrect syntax near '::'")) return adviseOnConstruct(SQL_SERVER, 'cast-operator');
  if (/^Incorrect syntax near 'LIMIT'/i.test(message)) return adviseOnConstruct(SQL_SERVER, 'limit');
  return undefined;
}

function permissionDenied(message: string, context: MssqlErrorContext, detail: string, cause: unknown): SqlgateError {
  // "The INSERT permission was denied on the object …" (229/230) or "CREATE TABLE permission denied in database …" (262).
  const permission = /^The ([A-Z ]+?) permission was denied/.exec(message)?.[1] ?? /^([A-Z ]+?) permission denied/.exec(message)?.[1] ?? '';
  if (context.readOnly && WRITE_PERMISSION.test(permission)) {
    return new ReadOnlyError(READ_ONLY_MESSAGE, { hint: READ_ONLY_HINT, detail, cause });
  }
  return new ForbiddenError(`SQL Server: ${message}`, {
    hint: 'The database login of this environment lacks that permission; ask the operator if you need it.',
    detail,
    cause,
  });
}

function unavailableByNumber(number: number, detail: string, cause: unknown): UnavailableError {
  const askOperator = { detail, cause, hint: 'Ask the operator to check the login, password and database of this environment.' };
  switch (number) {
    case 18456:
    case 18452:
      // Never the login name: SQL Server's message names it.
      return new LoginRefusedError('authentication', 'SQL Server refused the login of this environment: authentication failed.', askOperator);
    case 18470:
    case 18486:
    case 18487:
    case 18488:
      return new LoginRefusedError('authentication', 'SQL Server refused the login of this environment: the login is disabled, locked or its password expired.', askOperator);
    case 4060:
      return new LoginRefusedError('database', 'SQL Server cannot open the database of this environment (it does not exist, or the login has no access to it).', askOperator);
    default:
      return new UnavailableError('The SQL Server database of this environment is not available right now (offline, recovering or not readable on this replica).', {
        detail,
        cause,
        hint: 'Retry later; if this persists, ask the operator to check the database state.',
      });
  }
}

/** Socket, TLS, login and driver failures: none of their messages may be shown. */
function fromDriverFailure(err: unknown): SqlgateError {
  const message = err instanceof Error ? err.message : String(err);
  const code = typeof (err as { code?: unknown } | null)?.code === 'string' ? (err as { code: string }).code : '';
  const detail = code ? `${code}: ${message}` : message;
  const unavailable = (text: string, hint: string) => new UnavailableError(text, { hint, detail, cause: err });
  const askOperator = 'Ask the operator to check the host, port and instance in the database URL and that SQL Server runs.';
  if (err instanceof PoolClosedError) return unavailable('This environment is closed.', 'Retry once the server has restarted.');
  const isConnecting = err instanceof MssqlConnectError || err instanceof tedious.ConnectionError;
  switch (code) {
    case 'ECANCEL':
      return new CancelledError('The statement was cancelled in the database.', { detail, cause: err });
    case 'ETIMEOUT':
      if (isConnecting && /cancel/i.test(message)) {
        // The server did not acknowledge a cancel in time (tedious cancelTimeout): the connection was dropped.
        return unavailable('The connection to SQL Server was lost.', 'Retry; if this persists, ask the operator to check the server.');
      }
      return isConnecting
        ? unavailable('SQL Server did not accept the connection within the connect timeout.', askOperator)
        : new TimeoutError('The statement ran longer than the statement timeout and was cancelled in the database.', { detail, cause: err });
    case 'ELOGIN':
      return /^Login failed/i.test(message)
        ? new LoginRefusedError('authentication', 'SQL Server refused the login of this environment: authentication failed.', {
            hint: 'Ask the operator to check the login and password of this environment.', detail, cause: err,
          })
        : new LoginRefusedError('authentication', 'SQL Server refused the login of this environment.', {
            hint: 'Ask the operator to check the login, password and database of this environment.', detail, cause: err,
          });
    case 'EINSTLOOKUP':
      return unavailable('The SQL Server named instance of this environment cannot be found.', 'Ask the operator to check instanceName and that SQL Server Browser (UDP 1434) is reachable, or to use the port instead.');
    case 'EENCRYPT':
      return unavailable('SQL Server and this environment disagree on encryption.', 'Ask the operator to check the encrypt parameter of the database URL and the server\'s Force Encryption setting.');
    case 'EPARAM':
      return new InvalidInputError('A parameter value cannot be sent to SQL Server.', { hint: 'Pass strings, numbers, booleans or null.', detail, cause: err });
    case 'EINVALIDSTATE':
    // The server (or something on the way) closed the socket under a request: tedious fails it with the bare
    // socket error ('socket hang up' is its own ECONNRESET for an orderly close).
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return unavailable('The connection to SQL Server was lost.', 'Retry; if this persists, ask the operator to check the server.');
  }
  if (isTlsFailure(err)) {
    return unavailable('SQL Server\'s TLS certificate was not accepted.',
      'Ask the operator to set tls.ca_file (or hostNameInCertificate) for this environment; trustServerCertificate=true only for development.');
  }
  if (isConnecting || code === 'ESOCKET' || code === 'ECLOSE') {
    return /Connection lost/i.test(message)
      ? unavailable('The connection to SQL Server was lost.', 'Retry; if this persists, ask the operator to check the server.')
      : unavailable('SQL Server cannot be reached.', askOperator);
  }
  return new InternalError('Unexpected failure in the SQL Server driver.', { detail, cause: err });
}

function isTlsFailure(err: unknown): boolean {
  for (let current = err, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_|ERR_TLS|ERR_SSL|HOSTNAME/.test(code)) return true;
  }
  return false;
}
