/**
 * SQL Server error numbers and tedious/socket failures → sqlgate errors.
 *
 * The server's own message is kept where it talks about the statement (syntax, names, conversions): that is what
 * lets a model fix its T-SQL. Connection and login failures get our own sentences, because tedious messages name
 * the host and port (`Failed to connect to db.internal:1433`) and SQL Server's login message names the login; the
 * original goes to `detail`, which is only logged.
 *
 * Babelfish for PostgreSQL speaks T-SQL and TDS but runs on PostgreSQL: an error it has a SQL Server number for comes
 * with that number, any other as 33557097 in PostgreSQL's words. Those words are read back to the SQL Server error
 * they stand for (`column "nme" does not exist` is 207), so both engines get the same hints and the same codes.
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
const CHECK_TYPES = 'The operands\' types do not match: convert one with CAST or TRY_CAST (describe_table shows column types).';
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
  206: CHECK_TYPES, 402: CHECK_TYPES,
};

/** Babelfish's number for an error it has no SQL Server number for; the message is PostgreSQL's (or its own). */
const BABELFISH_UNMAPPED = 33557097;

/**
 * PostgreSQL's wording of an error → the SQL Server error for the same failure; the first match wins. The patterns
 * are PostgreSQL's message formats (names in double quotes, `relation` for a table or view).
 */
const POSTGRES_WORDINGS: readonly (readonly [RegExp, number])[] = [
  [/^column reference "[^"]*" is ambiguous/, 209],
  [/^column \S.* does not exist/, 207],
  [/^(?:relation|table|view|schema) "[^"]*" does not exist/, 208],
  [/^missing FROM-clause entry for table /, 4104],
  [/^function \S.* does not exist/, 195],
  [/^procedure \S.* does not exist/, 2812],
  [/^syntax error at or near |^syntax error at end of input/, 102],
  [/^operator does not exist: /, 402],
  [/^invalid input syntax for /, 245],
  [/^date\/time field value out of range/, 242],
  [/^(?:smallint|integer|bigint) out of range|^numeric field overflow|^value "[^"]*" is out of range for type /, 8115],
  [/^value too long for type /, 8152],
  [/^division by zero/, 8134],
  [/^duplicate key value violates unique constraint /, 2627],
  [/^null value in column "[^"]*" (?:of relation "[^"]*" )?violates not-null constraint/, 515],
  [/ violates (?:foreign key|check) constraint /, 547],
  [/^permission denied for |^must be owner of /, 229],
  [/^cannot execute \w+ in a read-only transaction/, 3906],
  [/^deadlock detected/, 1205],
  [/^canceling statement due to lock timeout|^could not obtain lock on /, 1222],
  [/^could not serialize access due to /, 3960],
];

/** Babelfish's own refusal of T-SQL it does not implement ("'UNPIVOT' is not currently supported in Babelfish"). */
const BABELFISH_UNSUPPORTED = /is not (?:currently |yet )?supported in Babelfish/i;
const REWRITE_FOR_BABELFISH = 'Babelfish (SQL Server on PostgreSQL) does not support this T-SQL; write the statement without it.';

/** The SQL Server error number `number` and `message` stand for: Babelfish's unmapped errors read by their wording. */
function sqlServerEquivalent(number: number, message: string): number {
  if (number !== BABELFISH_UNMAPPED) return number;
  return POSTGRES_WORDINGS.find(([wording]) => wording.test(message))?.[1] ?? number;
}

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

/** Decided by the SQL Server error the server's number and words stand for; shown with the number it really sent. */
function fromServerError(number: number, message: string, context: MssqlErrorContext, cause: unknown): SqlgateError {
  // The number leads the message: it is what the documentation, forums and the operator's logs are searched by.
  const detail = `SQL Server error ${number}: ${message}`;
  const kind = sqlServerEquivalent(number, message);
  if (kind === 3906 || (context.readOnly && TRANSACTION_REFUSALS.has(kind))) {
    return new ReadOnlyError(READ_ONLY_MESSAGE, { hint: READ_ONLY_HINT, detail, cause });
  }
  if (PERMISSION_DENIED.has(kind)) return permissionDenied(message, context, detail, cause);
  if (BUSY.has(kind)) {
    const text =
      kind === 1205 ? 'SQL Server chose the statement as a deadlock victim.'
      : kind === 1222 ? 'A lock the statement needs is held by another session (lock timeout).'
      : kind === 3960 || kind === 3961 ? 'The statement conflicted with a concurrent transaction.'
      : 'SQL Server has no resources free for the statement right now.';
    return new BusyError(text, { hint: RETRY, detail, cause });
  }
  if (UNAVAILABLE.has(kind)) return unavailableByNumber(kind, detail, cause);
  return new QueryFailedError(detail, { hint: queryHint(kind, message), detail, cause });
}

function queryHint(kind: number, message: string): string {
  if (TRANSACTION_REFUSALS.has(kind)) {
    return 'sqlgate runs each statement in its own transaction: leave out BEGIN/COMMIT/ROLLBACK TRANSACTION and statements that cannot run in a transaction.';
  }
  if (BABELFISH_UNSUPPORTED.test(message)) return REWRITE_FOR_BABELFISH;
  return otherDialectAdvice(kind, message) ?? QUERY_HINTS[kind] ?? 'Check the statement against describe_table; send one statement per call.';
}

const SQL_SERVER: AdviceTarget = { name: 'mssql', displayName: 'SQL Server' };

/**
 * What T-SQL writes instead, when SQL Server rejects another dialect's function (one the environment allowed, or
 * one this version lacks, such as DATETRUNC before 2022), a function called another dialect's way, or `::` and
 * `LIMIT`, which the gate's parser accepts but SQL Server does not.
 */
function otherDialectAdvice(number: number, message: string): string | undefined {
  // 195: "'now' is not a recognized built-in function name." (Babelfish: "function now() does not exist");
  // 174: "The datediff function requires 3 argument(s)."
  const missing = number === 195 ? missingFunction(message) : undefined;
  if (missing !== undefined) return adviseOnFunction(SQL_SERVER, missing);
  const miscounted = number === 174 ? /^The ([\w$]+) function requires/.exec(message)?.[1] : undefined;
  const callAdvice = miscounted === undefined ? undefined : adviseOnMiscountedCall(SQL_SERVER, miscounted);
  if (callAdvice !== undefined) return callAdvice;
  if (number !== 102) return undefined;
  // SQL Server: "Incorrect syntax near 'LIMIT'."; PostgreSQL's words, from Babelfish: 'syntax error at or near "LIMIT"'.
  const near = /^(?:Incorrect syntax near '([^']*)'|syntax error at or near "([^"]*)")/.exec(message);
  const token = near?.[1] ?? near?.[2];
  if (token === '::') return adviseOnConstruct(SQL_SERVER, 'cast-operator');
  if (token?.toUpperCase() === 'LIMIT') return adviseOnConstruct(SQL_SERVER, 'limit');
  return undefined;
}

/** The function SQL Server's (or PostgreSQL's, schema-qualified or not) message says is missing. */
function missingFunction(message: string): string | undefined {
  return /^'([\w$]+)' is not a recognized built-in function name/.exec(message)?.[1]
    ?? /^function (?:"?[\w$]+"?\.)*"?([\w$]+)"?\(/.exec(message)?.[1];
}

/**
 * A denied write permission in a read-only environment is its read-only rule at work (SG_READ_ONLY); anything else is
 * the login's lack (SG_FORBIDDEN). PostgreSQL's `permission denied for table orders` (Babelfish) does not say which
 * permission. In a read-only environment the statement passed the gate as a read, so a denied read is much the likelier
 * cause; SG_READ_ONLY would then tell the model its SELECT writes, while SG_FORBIDDEN is true either way (the login
 * lacks a permission the statement needs). So it is SG_FORBIDDEN, as for a denied SELECT.
 */
function permissionDenied(message: string, context: MssqlErrorContext, detail: string, cause: unknown): SqlgateError {
  if (context.readOnly && WRITE_PERMISSION.test(deniedPermission(message))) {
    return new ReadOnlyError(READ_ONLY_MESSAGE, { hint: READ_ONLY_HINT, detail, cause });
  }
  return new ForbiddenError(detail, {
    hint: 'The database login of this environment lacks that permission; ask the operator if you need it.',
    detail,
    cause,
  });
}

/**
 * The permission a refusal names: "The INSERT permission was denied on the object …" (229/230), "CREATE TABLE
 * permission denied in database …" (262), or ALTER for PostgreSQL's "must be owner of table t" (ownership is what
 * ALTER and DROP need there). Empty when the message does not say.
 */
function deniedPermission(message: string): string {
  return /^The ([A-Z ]+?) permission was denied/.exec(message)?.[1]
    ?? /^([A-Z ]+?) permission denied/.exec(message)?.[1]
    ?? (/^must be owner of /.test(message) ? 'ALTER' : '');
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
