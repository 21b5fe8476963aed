/**
 * The one interface every database dialect implements, and the catalog and result types they share.
 *
 * A dialect supplies primitives — a pooled session that streams rows, an introspector, identifier quoting and
 * error translation. Everything the dialects have in common (row cap, truncation, timeout backstop, value
 * serialization) is written once above them, in run-query.ts. No driver is imported here.
 */
import type { DialectName } from '../config/database-url.js';
import type { SqlgateError } from '../errors.js';
import type { QueryPlanner } from './query-plan.js';

export type { DialectName };

/** A table or view reference. `schema` is null where the engine has none (SQLite's main database). */
export interface TableRef {
  readonly schema: string | null;
  readonly name: string;
}

export interface TableSummary extends TableRef {
  readonly kind: 'table' | 'view';
  /** The engine's estimate from its statistics (never a COUNT(*)); null when it has none. */
  readonly estimatedRows: number | null;
}

export interface ColumnInfo {
  readonly name: string;
  /** The engine's type name as a user would write it, e.g. `numeric(12,2)`, `varchar(255)`. */
  readonly type: string;
  readonly nullable: boolean;
  readonly default: string | null;
  /** Maximum length in characters for character types, bytes for binary types; null otherwise. */
  readonly maxLength: number | null;
}

export interface ForeignKeyInfo {
  readonly name: string;
  /** Columns of the referencing table. */
  readonly columns: readonly string[];
  readonly fromTable: TableRef;
  readonly toTable: TableRef;
  /** Columns of the referenced table, in the same order as `columns`. */
  readonly toColumns: readonly string[];
}

export interface IndexInfo {
  readonly name: string;
  readonly columns: readonly string[];
  readonly unique: boolean;
  readonly primary: boolean;
}

export interface TableDetail extends TableRef {
  readonly kind: 'table' | 'view';
  readonly columns: readonly ColumnInfo[];
  readonly primaryKey: readonly string[];
  /** Foreign keys of this table pointing at others. */
  readonly foreignKeys: readonly ForeignKeyInfo[];
  /** Foreign keys of other tables pointing at this one. */
  readonly referencedBy: readonly ForeignKeyInfo[];
  readonly indexes: readonly IndexInfo[];
}

export interface ListTablesFilter {
  readonly schema?: string;
  /** Case-insensitive substring of the table name. */
  readonly nameContains?: string;
}

/** What the table/column policy needs to know about one relation a statement names. */
export interface RelationFacts {
  /** Where the name resolved: the real schema (null for SQLite's main database) and name as the catalog spells them. */
  readonly schema: string | null;
  readonly name: string;
  /**
   * 'table' (incl. partitioned and foreign tables), 'view' (incl. materialized views), 'system' (a catalog/system
   * view or table: pg_catalog, information_schema, mysql, performance_schema, sys, sqlite_master/sqlite_schema/
   * sqlite_stat*, SQL Server sys.*).
   */
  readonly kind: 'table' | 'view' | 'system';
  /** Column names in table order (may be empty for 'system' when it is costly to read). */
  readonly columns: readonly string[];
  /**
   * For a view or materialized view: the SQL text of its definition (a SELECT, or the CREATE VIEW statement), as
   * the engine stores it; null when the login cannot read it.
   */
  readonly definition: string | null;
  /** Tables this one inherits from or is a partition of (PostgreSQL; transitively, nearest first). Empty elsewhere. */
  readonly parents: readonly TableRef[];
}

/** Reads the catalog. Implementations query the engine's catalog views; they never scan user tables. */
export interface Introspector {
  /** Tables and views visible to the login, system schemas excluded, ordered by schema then name. */
  listTables(filter: ListTablesFilter): Promise<TableSummary[]>;
  /** The table's full description, or null when no table or view of that name exists. */
  describeTable(ref: TableRef): Promise<TableDetail | null>;
  /** The schema a bare table name resolves to (`public`, the current MySQL database, `dbo`, null for SQLite). */
  defaultSchema(): Promise<string | null>;
  /**
   * Facts about the relation `ref` names, resolved as the engine would resolve it in a statement (search_path,
   * current database, default schema); null when there is none.
   */
  relationFacts(ref: TableRef): Promise<RelationFacts | null>;
}

/**
 * A result column as reported by the driver. `type` is the engine's type name, lower-case, and never empty: where the
 * engine has none for a column (a SQLite expression), the dialect names it from the values it returned.
 */
export interface ResultColumn {
  readonly name: string;
  readonly type: string;
}

/**
 * One read from a running statement. Values are in the dialect's *canonical* form: null, boolean, number (only
 * when exact), bigint, string (exact decimals, ISO 8601 temporal values), Uint8Array/Buffer (binary), or
 * plain JSON objects/arrays. run-query.ts turns these into JSON.
 */
export interface RowBatch {
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly (readonly unknown[])[];
  /** True when the statement has no more rows. */
  readonly done: boolean;
  /** Rows inserted, updated or deleted, for a statement that changes data; null for reads. */
  readonly rowsAffected: number | null;
}

/** A running statement. Reading stops early when the caller has what it needs: the rest is never fetched. */
export interface Cursor {
  /** Up to `maxRows` more rows (fewer only at the end). The first call also starts the statement. */
  read(maxRows: number): Promise<RowBatch>;
  /** Stops the statement (if still running) and frees driver resources. Idempotent. */
  close(): Promise<void>;
}

/**
 * The caller, handed to the database for row-level security (the environment's `session_context: true`). Every
 * dialect makes these values readable by the statement and unchangeable by it (docs/session-context.md):
 * PostgreSQL `current_setting('sqlgate.user', true)`, SQL Server `SESSION_CONTEXT(N'user')` (read-only keys),
 * MySQL/MariaDB `@sqlgate_user`, SQLite `sqlgate_user()` — and likewise `roles` and `client`. Nothing of it
 * outlives the session: the next caller on the same pooled connection never sees it.
 *
 * run-query.ts checks the values once (assertSessionContext in session-context.ts) before a dialect sees them:
 * no NUL character, at most 4,000 characters each.
 */
export interface SessionContext {
  /** The signed-in user's name; `anonymous` on a server without sign-in. */
  readonly user: string;
  /** Comma-separated: the caller's access here, `read` or `write`, then the named roles that give it. */
  readonly roles: string;
  /** The OAuth client acting for the user; null when there is none (PostgreSQL shows it as ''). */
  readonly client: string | null;
}

export interface SessionOptions {
  /** Open the session read-only in the engine itself (read-only transaction or connection). */
  readonly readOnly: boolean;
  /** Statement timeout enforced in the database. */
  readonly timeoutMs: number;
  /** The caller, made visible to the session's statement; absent: nothing is set (catalog queries, no session_context). */
  readonly sessionContext?: SessionContext;
  /**
   * Bytes of row data the statement may send, counted on the wire before rows are decoded; past it the statement is
   * stopped, its connection discarded, and the cursor fails with ResultTooLargeError. Absent: no limit (catalog).
   */
  readonly maxResultBytes?: number;
  /**
   * The session runs only sqlgate's own catalog statements (fixed text, reading by construction): a dialect may run
   * them outside a transaction to save its round trips (SQL Server: one instead of three).
   */
  readonly isCatalog?: boolean;
}

/**
 * One pooled connection, held for one tool call. Exactly one statement runs at a time.
 * `finish` must be called exactly once, on every path; it returns the connection to the pool.
 */
export interface Session {
  /** Starts one statement with driver-bound positional parameters. Multi-statement text is refused by the driver. */
  execute(sql: string, params: readonly unknown[]): Cursor;
  /**
   * Cancels the running statement in the database (e.g. pg_cancel_backend, KILL QUERY, tedious cancel).
   * Safe to call at any time, also when nothing runs.
   */
  cancel(): Promise<void>;
  /** Commits or rolls back, then returns the connection to the pool (or destroys it when it is unhealthy). */
  finish(outcome: 'commit' | 'rollback'): Promise<void>;
  /**
   * For a statement that cancel() did not stop (work the engine never interrupts, a server or network that went
   * silent): tells the server, from another connection, to end this session's connection — PostgreSQL
   * pg_terminate_backend, MySQL/MariaDB KILL CONNECTION, SQL Server KILL, SQLite ends the worker process. Only the
   * server is told; destroy() drops our side. May reject or take as long as opening a connection: run-query.ts
   * bounds the wait and destroys the connection whatever happened.
   */
  terminate(): Promise<void>;
  /**
   * Drops the connection at once, whatever runs on it: the socket is destroyed (never a polite goodbye that could
   * wait on a silent server), the connection never goes back to the pool, and the session is over — finish() does
   * nothing afterwards. Its pool slot stays taken until `releaseSlotAfter` settles (work the server still runs for
   * it counts against pool.max); without it, the slot is free at once. Idempotent; never throws.
   */
  destroy(releaseSlotAfter?: Promise<unknown>): void;
  /**
   * After terminate(): whether the server still runs work for this session's connection (pg_stat_activity,
   * information_schema.PROCESSLIST …), asked from another connection; null when it cannot tell (no connection,
   * no permission to see it). Never rejects.
   */
  isRunningInDatabase(): Promise<boolean | null>;
}

export interface ConnectionStatus {
  readonly connected: boolean;
  readonly latencyMs: number | null;
  /** Safe to show: no host names or passwords. */
  readonly error?: string;
  /**
   * Why there is no connection; absent when connected. The server answered but refused the login
   * (`login-refused`: wrong user or password …) or the database it names (`database-refused`: it does not exist or
   * the login may not use it) — both a LoginRefusedError — or it could not be reached or used at all (`unreachable`:
   * nothing listening, a timeout, DNS, TLS, a server shutting down, an unreadable SQLite file).
   */
  readonly failure?: 'login-refused' | 'database-refused' | 'unreachable';
}

/**
 * How much a privilege finding matters: `danger` (the login can write or reach server files where it should not),
 * `warning` (a power sqlgate does not need), `info` (a power the environment's mode expects: writing, in a writable
 * environment) or `ok` (the all-clear).
 */
export type PrivilegeSeverity = 'danger' | 'warning' | 'info' | 'ok';

export interface PrivilegeFinding {
  readonly severity: PrivilegeSeverity;
  /**
   * What was found and what to do about it, naming the login and, for danger and warning, the least-privilege
   * setup section of docs/dialects/<dialect>.md. Meant for the operator (doctor output, start-up log): it may name
   * tables, schemas and files, never a password or a host.
   */
  readonly message: string;
}

/**
 * What the environment's login could do beyond reading, whatever sqlgate's own read-only settings say: those stop
 * statements, the login's privileges are what is left when a statement gets past them.
 */
export interface PrivilegeReport {
  /** Who the checked identity is: the role or user name (MySQL `user@host`, SQLite the OS user). Never a password. */
  readonly login: string;
  /** The login could change data or schema (write privileges, ownership, admin roles, a writable SQLite file). */
  readonly canWrite: boolean;
  /** The login could read or write files on the database server, or run programs there. */
  readonly canReachServerFiles: boolean;
  /**
   * The findings as they stand for a read-only environment. Dangers first, then warnings; a login that can neither
   * write nor reach server files also has one `ok` finding saying so. A `danger` finding always sets `canWrite` or
   * `canReachServerFiles`; a `warning` may (SQLite).
   */
  readonly findings: readonly PrivilegeFinding[];
  /**
   * The same findings for a writable environment, where changing data and schema is the point: a finding that only
   * lets the login write is `info` ("expected: the environment is writable"); one that lets it do more (server
   * files, other accounts) is a `warning` with a fix that keeps the environment writable. Never a `danger`.
   */
  readonly findingsWhenWritable: readonly PrivilegeFinding[];
}

/** A dialect's connection pool at one moment, for metrics. */
export interface PoolStats {
  /** Connections that exist: in use, idle, or being opened. */
  readonly size: number;
  readonly inUse: number;
  /** Sessions waiting for a free connection (each gives up after pool.acquire_timeout_ms with SG_BUSY). */
  readonly waiting: number;
  /** pool.max. */
  readonly max: number;
}

/** A database engine. Built by db/registry.ts from an EnvironmentConfig; owns its connection pool. */
export interface Dialect {
  readonly name: DialectName;
  /** Human name of the server family, e.g. "PostgreSQL", "MariaDB". */
  readonly displayName: string;
  /** Creates the pool. Does not fail when the database is down: `ping` reports that. */
  open(): Promise<void>;
  close(): Promise<void>;
  /** Round-trip to the database. Never throws. */
  ping(): Promise<ConnectionStatus>;
  /** The connection pool as it stands (all zero but `max` before open() and after close()). Cheap: read per scrape. */
  poolStats(): PoolStats;
  /** Takes a connection from the pool (waiting up to the pool's acquire timeout, then BusyError). */
  session(options: SessionOptions): Promise<Session>;
  introspector(): Introspector;
  quoteIdentifier(name: string): string;
  /** The positional parameter marker for the `position`-th value (1-based): `$1`, `?`, `@p1`. */
  placeholder(position: number): string;
  /**
   * A statement that returns the first `limit` rows of a table in no particular order. `table` is already resolved.
   * `columns` (non-empty, names as the catalog spells them) selects only those, quoted; absent: every column (`*`).
   */
  sampleSql(table: TableRef, limit: number, columns?: readonly string[]): string;
  /** Translates a driver error into ours; the database's own message is kept, connection details are not. */
  toError(err: unknown): SqlgateError;
  /**
   * Reads the login's privileges from the catalog (SQLite: the database file's permissions) through an ordinary
   * read-only session: nothing is written and no privilege is exercised. Throws the dialect's SqlgateError, e.g.
   * UnavailableError when the database cannot be reached; callers that must not fail ping() first.
   */
  privileges(): Promise<PrivilegeReport>;
  /** How to ask this engine for a statement's estimated plan (execute_sql's explain); null where sqlgate cannot yet. */
  readonly planner: QueryPlanner | null;
}
