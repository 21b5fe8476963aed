/**
 * The one error hierarchy of sqlgate.
 *
 * Every failure that may reach a user or the model is a `SqlgateError` with a stable `code`, a `message` that is
 * safe to show (no host names, passwords or stack traces), an optional `hint` saying what to do next, and a
 * `detail` that is only ever logged. Errors are thrown anywhere and converted in exactly three places:
 * `mcp/error-result.ts`, `http/on-error.ts` and `cli/exit.ts`. Anything that is not a `SqlgateError` is
 * answered as an internal error and logged in full.
 *
 * Leaf module: imports nothing from src/.
 */

/** Every error code sqlgate can produce, with what it means and the HTTP status it maps to. */
export const ERROR_CATALOGUE = {
  SG_CONFIG: { status: 500, summary: 'The configuration is invalid; the server does not start.' },
  SG_INVALID_INPUT: { status: 400, summary: 'A tool argument or request parameter is malformed or out of range.' },
  SG_TABLE_NOT_FOUND: { status: 404, summary: 'The named table or view does not exist (the error lists close matches).' },
  SG_NOT_FOUND: { status: 404, summary: 'The named environment, route or object does not exist.' },
  SG_UNAUTHORIZED: { status: 401, summary: 'The request carries no valid access token (missing, expired, revoked, or for another environment).' },
  SG_INSUFFICIENT_SCOPE: { status: 403, summary: 'The access token is valid but lacks the scope this request needs (sql:write to write).' },
  SG_FORBIDDEN: { status: 403, summary: 'The request is not allowed (origin, host or policy).' },
  SG_POLICY_DENIED: { status: 403, summary: 'The environment\'s table/column policy refuses the statement: it reads a denied table or column, or uses a masked column other than by selecting it.' },
  SG_READ_ONLY: { status: 403, summary: 'The environment is read-only and the statement would write.' },
  SG_RESULT_TOO_LARGE: { status: 400, summary: 'The statement would return more bytes than the environment\'s max_result_bytes; it was stopped before the rows were held in memory.' },
  SG_ROW_LIMIT: { status: 400, summary: 'A requested limit exceeds what the environment allows.' },
  SG_TIMEOUT: { status: 504, summary: 'The statement ran longer than the environment\'s statement timeout and was cancelled in the database.' },
  SG_CANCELLED: { status: 499, summary: 'The client cancelled the request; the running statement was cancelled.' },
  SG_BUSY: { status: 503, summary: 'Every connection of the environment is in use; retry shortly.' },
  SG_DB_UNAVAILABLE: { status: 503, summary: 'The environment\'s database cannot be reached.' },
  SG_SHUTTING_DOWN: { status: 503, summary: 'The server is shutting down: a new request is refused, and a statement still running when the shutdown grace ends is cancelled in the database.' },
  SG_QUERY_FAILED: { status: 400, summary: 'The database rejected the statement (syntax, missing column, type error …).' },
  SG_RATE_LIMITED: { status: 429, summary: 'The caller is over one of the environment\'s limits (calls per minute, concurrent queries, rows per hour); the message says which and when to retry.' },
  SG_LIMITS_UNAVAILABLE: { status: 503, summary: 'The shared limits store (Redis) cannot be reached and limits.on_store_error says to refuse rather than go uncounted.' },
  SG_PAYLOAD_TOO_LARGE: { status: 413, summary: 'The request body exceeds the configured limit.' },
  SG_INTERNAL: { status: 500, summary: 'An unexpected failure; details are in the server log under the request id.' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface SqlgateErrorOptions {
  /** What the user or model can do next. Safe to show. */
  hint?: string;
  /** Diagnostic detail for the log only: may name hosts, roles or files. Never shown. */
  detail?: string;
  cause?: unknown;
}

/** Base of every error that sqlgate shows to a user or a model. */
export class SqlgateError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, message: string, options: SqlgateErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.detail = options.detail;
  }

  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }

  /** Message plus hint, as shown to a person or a model. */
  get publicText(): string {
    return this.hint ? `${this.message}\n${this.hint}` : this.message;
  }
}

export class ConfigError extends SqlgateError {
  constructor(message: string, options?: SqlgateErrorOptions) {
    super('SG_CONFIG', message, options);
  }
}

export class InvalidInputError extends SqlgateError {
  constructor(message: string, options?: SqlgateErrorOptions) {
    super('SG_INVALID_INPUT', message, options);
  }
}

export class TableNotFoundError extends SqlgateError {
  constructor(message: string, options?: SqlgateErrorOptions) {
    super('SG_TABLE_NOT_FOUND', message, options);
  }
}

export class NotFoundError extends SqlgateError {
  constructor(message: string, options?: SqlgateErrorOptions) {
    super('SG_NOT_FOUND', message, options);
  }
}

/**
 * No valid access token. `challenge` is the WWW-Authenticate value (RFC 6750 + RFC 9728 resource_metadata) that
 * tells the client where to get one; http/on-error.ts sends it.
 */
export class UnauthorizedError extends SqlgateError {
  readonly challenge: string;
  constructor(message: string, challenge: string, options?: SqlgateErrorOptions) {
    super('SG_UNAUTHORIZED', message, options);
    this.challenge = challenge;
  }
}

/** A valid token without the needed scope: the client may ask the user for more (step-up authorization). */
export class InsufficientScopeError extends SqlgateError {
  readonly challenge: string;
  constructor(message: string, challenge: string, options?: SqlgateErrorOptions) {
    super('SG_INSUFFICIENT_SCOPE', message, options);
    this.challenge = challenge;
  }
}

export class ForbiddenError extends SqlgateError {
  constructor(message: string, options?: SqlgateErrorOptions) {
    super('SG_FORBIDDEN', message, options);
  }
}

/** The table/column policy (environments.<env>.policy) refuses a statement or names no such table for this caller. */
export class PolicyDeniedError extends SqlgateError {
  constructor(message: string, options?: SqlgateErrorOptions) {
    super('SG_POLICY_DENIED', message, options);
  }
}

export class ReadOnlyError extends SqlgateError {
  constructor(message: string, options?: SqlgateErrorOptions) {
    super('SG_READ_ONLY', message, options);
  }
}

/** The rows (or one value) of a statement exceed max_result_bytes: stopped on the wire, before they were decoded. */
export class ResultTooLargeError extends SqlgateError {
  constructor(limitBytes: number, options?: SqlgateErrorOptions) {
    super('SG_RESULT_TOO_LARGE', `The result is larger than this environment's limit of ${formatBytes(limitBytes)}; the statement was stopped before the rows were held in memory.`, {
      hint: 'Select fewer rows or columns, or shorter values: cut long text with left(col, 200) or substr, aggregate instead of listing, add LIMIT.',
      ...options,
    });
  }
}

function formatBytes(bytes: number): string {
  return bytes % 1_048_576 === 0 ? `${bytes / 1_048_576} MiB` : `${bytes} bytes`;
}

export class RowLimitError extends SqlgateError {
  constructor(message: string, options?: SqlgateErrorOptions) {
    super('SG_ROW_LIMIT', message, options);
  }
}

export class TimeoutError extends SqlgateError {
  constructor(message: string, options?: SqlgateErrorOptions) {
    super('SG_TIMEOUT', message, options);
  }
}

export class CancelledError extends SqlgateError {
  constructor(message: string, options?: SqlgateErrorOptions) {
    super('SG_CANCELLED', message, options);
  }
}

export class BusyError extends SqlgateError {
  constructor(message: string, options?: SqlgateErrorOptions) {
    super('SG_BUSY', message, options);
  }
}

export class UnavailableError extends SqlgateError {
  constructor(message: string, options?: SqlgateErrorOptions) {
    super('SG_DB_UNAVAILABLE', message, options);
  }
}

/**
 * The server is stopping (SIGTERM/SIGINT): a request that arrives during the drain is refused, and a statement still
 * running when server.shutdown_grace ends is cancelled with this. `retryAfterSeconds` goes out as Retry-After.
 */
export class ShuttingDownError extends SqlgateError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: SqlgateErrorOptions,
  ) {
    super('SG_SHUTTING_DOWN', message, options);
  }
}

/**
 * The database server answered, but refused this environment's login (`authentication`: wrong user or password, no
 * pg_hba.conf entry, a disabled or locked login) or the database it names (`database`: it does not exist, or the
 * login may not use it). Clients see SG_DB_UNAVAILABLE as for any database they cannot use; the subclass lets ping
 * (ConnectionStatus.failure) and `sqlgate doctor` tell a configuration to fix from a database that is down. It
 * refines a code rather than adding one, so it is not named after a code.
 */
export class LoginRefusedError extends UnavailableError {
  constructor(
    readonly refused: 'authentication' | 'database',
    message: string,
    options?: SqlgateErrorOptions,
  ) {
    super(message, options);
  }
}

export class QueryFailedError extends SqlgateError {
  constructor(message: string, options?: SqlgateErrorOptions) {
    super('SG_QUERY_FAILED', message, options);
  }
}

/** The limits a caller can run into; each names the configuration key that sets it. */
export type LimitName = 'calls_per_minute' | 'concurrent_queries' | 'rows_per_hour';

/**
 * Over a limit. `retryAfterSeconds` is when trying again can succeed (http/on-error.ts sends it as Retry-After);
 * for concurrent_queries it is a guess, since nobody knows when a running call ends.
 */
export class RateLimitedError extends SqlgateError {
  constructor(
    readonly limit: LimitName,
    readonly retryAfterSeconds: number,
    message: string,
    options?: SqlgateErrorOptions,
  ) {
    super('SG_RATE_LIMITED', message, options);
  }
}

/** The limits store did not answer and its on_store_error setting says to refuse (fail closed). */
export class LimitsUnavailableError extends SqlgateError {
  constructor(message: string, options?: SqlgateErrorOptions) {
    super('SG_LIMITS_UNAVAILABLE', message, options);
  }
}

export class PayloadTooLargeError extends SqlgateError {
  constructor(message: string, options?: SqlgateErrorOptions) {
    super('SG_PAYLOAD_TOO_LARGE', message, options);
  }
}

export class InternalError extends SqlgateError {
  constructor(message: string, options?: SqlgateErrorOptions) {
    super('SG_INTERNAL', message, options);
  }
}

/** True for errors whose message may be shown as-is. */
export function isSqlgateError(err: unknown): err is SqlgateError {
  return err instanceof SqlgateError;
}
