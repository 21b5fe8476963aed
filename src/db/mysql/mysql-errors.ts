/**
 * mysql2 and server errors → sqlgate errors. The server's message is kept for SQL errors (it names the
 * statement's own objects); connection failures get a fixed sentence, and the driver's text — which names the
 * host, port or user — goes only into `detail`. Passwords never appear in either.
 */
import {
  BusyError,
  InternalError,
  LoginRefusedError,
  QueryFailedError,
  ReadOnlyError,
  SqlgateError,
  TimeoutError,
  UnavailableError,
} from '../../errors.js';
import { PoolClosedError } from '../../util/resource-pool.js';
import { adviseOnConstruct, adviseOnFunction, adviseOnMiscountedCall } from '../sql-equivalents.js';
import { MysqlConnectError } from './mysql-connection.js';

/** Server error numbers we treat specially (see the MySQL and MariaDB error references). */
const ER = {
  DBACCESS_DENIED: 1044,
  ACCESS_DENIED: 1045,
  ACCESS_DENIED_NO_PASSWORD: 1698,
  BAD_DB: 1049,
  TOO_MANY_CONNECTIONS: 1040,
  TOO_MANY_USER_CONNECTIONS: 1203,
  LOCK_WAIT_TIMEOUT: 1205,
  LOCK_DEADLOCK: 1213,
  CANT_EXECUTE_IN_READ_ONLY_TRANSACTION: 1792,
  STATEMENT_TIMEOUT: 1969,
  QUERY_TIMEOUT: 3024,
  SERVER_SHUTDOWN: 1053,
} as const;

/** Driver and socket codes that mean "no working connection to the server". */
const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'the connection was refused',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
  ETIMEDOUT: 'the connection timed out',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  EPIPE: 'the connection was closed',
  PROTOCOL_CONNECTION_LOST: 'the server closed the connection',
  PROTOCOL_SEQUENCE_TIMEOUT: 'the server stopped answering',
  HANDSHAKE_NO_SSL_SUPPORT: 'the server does not offer TLS',
  HANDSHAKE_SSL_ERROR: 'the TLS handshake failed',
};

/** Node's TLS failures: ERR_TLS_CERT_ALTNAME_INVALID, DEPTH_ZERO_SELF_SIGNED_CERT, UNABLE_TO_VERIFY_LEAF_SIGNATURE … */
const TLS_CODE = /^ERR_(TLS|SSL)_|CERT|SIGNATURE|SELF_SIGNED/;

interface DriverError {
  code?: unknown;
  errno?: unknown;
  sqlState?: unknown;
  sqlMessage?: unknown;
  fatal?: unknown;
  message?: unknown;
}

/** `serverName` is "MySQL" or "MariaDB", the family the connected server reported. */
export function mysqlToError(err: unknown, serverName: string): SqlgateError {
  if (err instanceof SqlgateError) return err;
  if (err instanceof MysqlConnectError) return connectError(err.cause, serverName);
  const e = driverError(err);
  const detail = typeof e.message === 'string' ? e.message : String(err);
  const code = typeof e.code === 'string' ? e.code : '';
  const serverMessage = typeof e.sqlMessage === 'string' ? e.sqlMessage : null;
  const errno = serverMessage !== null && typeof e.errno === 'number' ? e.errno : null;

  if (err instanceof PoolClosedError) return new UnavailableError('The environment is shutting down.', { detail });
  if (errno === null) return connectionError(err, code, detail, serverName, e.fatal === true);

  // Privilege errors name the login and sqlgate's own address ('reader'@'10.0.0.5'): those stay in the detail.
  const fromServer = `${serverName}: ${serverMessage!.replace(/'[^']*'@'[^']*'/g, "(sqlgate's login)")}`;
  const withDetail = { detail: `${code} (${errno}, SQLSTATE ${String(e.sqlState)}): ${detail}`, cause: err };
  switch (errno) {
    case ER.CANT_EXECUTE_IN_READ_ONLY_TRANSACTION:
      return new ReadOnlyError('This environment is read-only; the statement would write.', {
        hint: 'Only reading statements (SELECT, SHOW, EXPLAIN, WITH … SELECT) run here.',
        ...withDetail,
      });
    case ER.TOO_MANY_CONNECTIONS:
    case ER.TOO_MANY_USER_CONNECTIONS:
      return new BusyError(`The ${serverName} server has no free connections for this login.`, {
        hint: 'Retry in a few seconds; if this persists, ask the operator to lower pool.max or raise the server limit.',
        ...withDetail,
      });
    case ER.STATEMENT_TIMEOUT:
    case ER.QUERY_TIMEOUT:
      return new TimeoutError('The statement ran longer than the statement timeout and was cancelled in the database.', withDetail);
    case ER.SERVER_SHUTDOWN:
      return new UnavailableError(`The ${serverName} server is shutting down.`, withDetail);
  }
  return new QueryFailedError(fromServer, { hint: otherDialectAdvice(errno, serverMessage!, serverName) ?? queryHint(errno, serverName), ...withDetail });
}

/**
 * What the server writes instead, when it rejects another dialect's function (one the environment allowed, or a
 * MariaDB-only one on MySQL), a function called the other dialect's way (`ISNULL(a, b)`), or the `::` cast, which
 * the gate's parser accepts but the server does not.
 */
function otherDialectAdvice(errno: number, message: string, serverName: string): string | undefined {
  const target = { name: 'mysql', displayName: serverName } as const;
  // 1305: "FUNCTION shop.nvl does not exist"; 1582: "Incorrect parameter count in the call to native function 'isnull'".
  const missing = errno === 1305 ? /^FUNCTION (?:\S+\.)?([\w$]+) does not exist/.exec(message)?.[1] : undefined;
  if (missing !== undefined) return adviseOnFunction(target, missing);
  const miscounted = errno === 1582 ? /native function '([\w$]+)'/.exec(message)?.[1] : undefined;
  const callAdvice = miscounted === undefined ? undefined : adviseOnMiscountedCall(target, miscounted);
  if (callAdvice !== undefined) return callAdvice;
  return errno === 1064 && /near '::/.test(message) ? adviseOnConstruct(target, 'cast-operator') : undefined;
}

/** A new connection failed: the login, the database or the network. Server messages here name user and host. */
function connectError(cause: unknown, serverName: string): SqlgateError {
  const e = driverError(cause);
  const errno = typeof e.sqlMessage === 'string' && typeof e.errno === 'number' ? e.errno : null;
  const options = { detail: `${String(e.code)} (${String(errno)}): ${String(e.message)}`, cause };
  switch (errno) {
    case null:
      return connectionError(cause, typeof e.code === 'string' ? e.code : '', String(e.message), serverName, true);
    case ER.ACCESS_DENIED:
    case ER.ACCESS_DENIED_NO_PASSWORD:
      return new LoginRefusedError('authentication', `The ${serverName} server refused the login: authentication failed.`, {
        hint: 'Ask the operator to check the user and password configured for this environment.',
        ...options,
      });
    case ER.BAD_DB:
    case ER.DBACCESS_DENIED:
      return new LoginRefusedError('database', `The ${serverName} database named in the configuration does not exist or may not be used by this login.`, {
        hint: 'Ask the operator to check the database name in the URL and the grants of the login.',
        ...options,
      });
    case ER.TOO_MANY_CONNECTIONS:
    case ER.TOO_MANY_USER_CONNECTIONS:
      return mysqlToError(cause, serverName);
    default:
      return new UnavailableError(`The ${serverName} server did not accept the connection.`, {
        hint: 'Ask the operator to check that sqlgate may connect from its address with this login.',
        ...options,
      });
  }
}

function driverError(err: unknown): DriverError {
  return (typeof err === 'object' && err !== null ? err : {}) as DriverError;
}

function connectionError(err: unknown, code: string, detail: string, serverName: string, isFatal: boolean): SqlgateError {
  const isCertificate = TLS_CODE.test(code) || (code === 'HANDSHAKE_SSL_ERROR' && /certificate|self[- ]signed|altname/i.test(detail));
  const reason = isCertificate ? "the server's TLS certificate was not accepted" : (NETWORK_CODES[code] ?? null);
  if (reason !== null || isFatal) {
    return new UnavailableError(`The ${serverName} server cannot be reached: ${reason ?? 'the connection failed'}.`, {
      hint: 'Retry later; if this persists, ask the operator to check that the database is up and reachable from sqlgate.',
      detail: code ? `${code}: ${detail}` : detail,
      cause: err,
    });
  }
  return new InternalError(`Unexpected failure in the ${serverName} driver.`, { detail, cause: err });
}

function queryHint(errno: number, serverName: string): string {
  switch (errno) {
    case 1064:
      return `Check the statement against ${serverName}'s SQL syntax (identifiers are quoted with backticks).`;
    case 1054:
    case 1146:
      return 'Check table and column names with list_tables and describe_table.';
    case 1142:
    case 1143:
    case 1227:
    case 1044:
      return "The environment's database login lacks the privilege for this.";
    case ER.LOCK_WAIT_TIMEOUT:
    case ER.LOCK_DEADLOCK:
      return 'Another transaction holds the rows; retry in a moment.';
    default:
      return 'Check the statement; list_tables and describe_table show what exists.';
  }
}
