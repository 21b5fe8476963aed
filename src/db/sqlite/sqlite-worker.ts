/**
 * One SQLite connection living in a child process.
 *
 * better-sqlite3 is synchronous: a long statement on the main thread would stall every other request and no
 * timer could fire to stop it. Here it blocks only this process. Neither better-sqlite3 nor node:sqlite exposes
 * sqlite3_interrupt, and terminating a worker thread cannot stop native code that never returns to JavaScript,
 * so a runaway statement is stopped by killing the process (SIGKILL); SQLite rolls back any open transaction
 * from its journal on the next open.
 *
 * This file imports nothing from src/ so that Node can load it directly (type stripping) in tests and compiled
 * in dist/. Protocol: one request at a time, answered by exactly one reply (see sqlite-connection.ts).
 */
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';

interface WorkerOptions {
  file: string;
  readonly: boolean;
  busyTimeoutMs: number;
  /** Create the file when it does not exist (only the demo generator asks for this). */
  createIfMissing: boolean;
}

/** The caller of the current statement (db/dialect.ts SessionContext), or null when none was passed. */
interface CallerContext {
  user: string;
  roles: string;
  client: string | null;
}

type Request =
  // `maxRows`: a reading statement answers its first batch in the same reply (one IPC round trip less).
  // `maxResultBytes`: what the statement's rows may add up to (null: no limit), see countRow.
  | {
      op: 'execute'; sql: string; params: unknown[]; queryOnly: boolean; transaction: boolean; maxRows: number;
      context: CallerContext | null; maxResultBytes: number | null;
    }
  | { op: 'read'; maxRows: number }
  | { op: 'closeCursor' }
  | { op: 'finish'; commit: boolean };

const options = JSON.parse(process.argv[2] ?? '{}') as WorkerOptions;
const port = {
  postMessage: (message: unknown) => process.send!(message),
  on: (event: 'message', listener: (request: Request) => void) => process.on(event, listener),
};
// The parent went away (crash or kill): nothing will ever ask for this connection again.
process.on('disconnect', () => process.exit(0));
// Ctrl-C in a terminal, and systemd's default stop, signal the whole process group, this worker included. The
// server decides when its connections end (after the shutdown grace let the calls in flight finish); the worker
// goes when it is killed or when the server is gone (disconnect, above).
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);

let db: Database.Database;
try {
  db = new Database(options.file, { readonly: options.readonly, fileMustExist: !options.createIfMissing, timeout: options.busyTimeoutMs });
  db.pragma('foreign_keys = ON');
  if (options.readonly) db.pragma('query_only = ON');
  port.postMessage({ ok: true, ready: true });
} catch (err) {
  port.postMessage({ ok: false, ready: true, error: describe(err) });
  process.disconnect();
  process.exit(0);
}

/**
 * sqlgate_user(), sqlgate_roles() and sqlgate_client() return the caller of the statement running now, for views
 * that filter rows by user. Every `execute` replaces the value (with null when it carries none), so it never
 * outlives its statement into the next caller's. SQL cannot define or replace a function (only load_extension
 * could, and the gate refuses it), and these take no arguments; not deterministic, so SQLite never reuses a value
 * across statements.
 */
let caller: CallerContext | null = null;
db.function('sqlgate_user', { deterministic: false }, () => caller?.user ?? null);
db.function('sqlgate_roles', { deterministic: false }, () => caller?.roles ?? null);
db.function('sqlgate_client', { deterministic: false }, () => caller?.client ?? null);

/**
 * The error code of a statement stopped for max_result_bytes; the session turns it into ResultTooLargeError.
 * Shared with sqlite-session.ts by value (this file imports nothing).
 */
const RESULT_TOO_LARGE = 'SQLGATE_RESULT_TOO_LARGE';

/** The running statement's max_result_bytes, and what its rows came to so far. */
let maxResultBytes = Infinity;
let resultBytes = 0;

function resultTooLarge(): Error {
  return Object.assign(new Error('the result is larger than max_result_bytes'), { code: RESULT_TOO_LARGE });
}

/**
 * Adds one row to the statement's count, before it is kept for the reply: a reply over the limit is never built,
 * so it never crosses to sqlgate's process. Strings count as UTF-8 (what a network database would send).
 */
function countRow(row: unknown[]): void {
  for (const value of row) {
    if (typeof value === 'string') resultBytes += Buffer.byteLength(value, 'utf8');
    else if (value instanceof Uint8Array) resultBytes += value.byteLength;
    else if (value !== null) resultBytes += 8;
  }
  if (resultBytes > maxResultBytes) throw resultTooLarge();
}

/**
 * SQLite's own limit on one value, SQLITE_LIMIT_LENGTH, is what better-sqlite3 fixes at open: V8's string limit,
 * 2^29 - 24 bytes (src/objects/database.cpp), with no call to lower it. So the functions that build a value of a
 * size given by a number — randomblob(N), zeroblob(N), printf/format widths and precisions — are replaced by
 * guarded ones that refuse to build one past max_result_bytes. Other growth (||, replace, group_concat) stays
 * bounded by SQLite's limit, runs in this process only, and is stopped by countRow before it is sent.
 */
function guardValueBuilders(database: Database.Database): void {
  database.function('randomblob', { deterministic: false, safeIntegers: true }, (n: unknown) => {
    const size = Math.max(1, sqlInteger(n));
    if (size > maxResultBytes) throw resultTooLarge();
    return randomBytes(size);
  });
  database.function('zeroblob', { deterministic: true, safeIntegers: true }, (n: unknown) => {
    const size = Math.max(0, sqlInteger(n));
    if (size > maxResultBytes) throw resultTooLarge();
    return Buffer.alloc(size);
  });
  // The real printf runs on a private in-memory connection that has no guard: same output, same errors.
  const builtins = new Database(':memory:');
  const printfs = new Map<number, Database.Statement>();
  const guardedPrintf = (...args: unknown[]) => {
    if (printfBound(args) > maxResultBytes) throw resultTooLarge();
    let statement = printfs.get(args.length);
    if (!statement) {
      statement = builtins.prepare(`SELECT printf(${args.map(() => '?').join(', ')})`).pluck().safeIntegers(true);
      printfs.set(args.length, statement);
    }
    return statement.get(...args.map((arg) => (typeof arg === 'boolean' ? Number(arg) : arg)));
  };
  for (const name of ['printf', 'format']) database.function(name, { deterministic: true, safeIntegers: true, varargs: true }, guardedPrintf);
}

/** sqlite3_value_int64 of a value, as the built-ins read their size argument (text → its leading number, else 0). */
function sqlInteger(value: unknown): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : 0;
  if (typeof value === 'string') return Math.trunc(Number.parseFloat(value)) || 0;
  return 0;
}

/**
 * More than printf can output for these arguments: the format, each argument's length twice over (%q doubles
 * quotes), and per conversion its width or precision, written in the format or taken from an argument (`*`: the
 * largest number among the arguments stands in, so which argument it takes does not matter).
 */
function printfBound(args: readonly unknown[]): number {
  const [format, ...values] = args;
  if (typeof format !== 'string') return 0;
  let bound = format.length + 64;
  let largest = 0;
  for (const value of values) {
    if (typeof value === 'string' || value instanceof Uint8Array) bound += 2 * value.length + 2;
    if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string') largest = Math.max(largest, Math.abs(sqlInteger(value)));
  }
  for (const [, width, precision] of format.matchAll(/%[-+ 0#,!]*(\*|\d+)?(?:\.(\*|\d*))?/g)) {
    const w = width === '*' ? largest : Number(width ?? 0);
    const p = precision === '*' ? largest : Number(precision || 0);
    bound += Math.max(w, p) + 32;
  }
  return bound;
}

guardValueBuilders(db);

let rows: IterableIterator<unknown[]> | null = null;
/**
 * The step taken after a full batch to learn whether the cursor is exhausted: its row is sent first in the next
 * batch, and an error it raised is thrown by the next read, exactly where it would have surfaced without the peek.
 */
let peeked: { row: unknown[] } | { error: unknown } | null = null;
let inTransaction = false;

port.on('message', (request: Request) => {
  try {
    port.postMessage({ ok: true, ...handle(request) });
  } catch (err) {
    // Also ends a cursor stopped mid-way (countRow): an unfinished iterator would keep the connection busy.
    closeRows();
    port.postMessage({ ok: false, error: { ...describe(err), isStatementError: true } });
  }
});

/**
 * Statements by their text, the most recently used kept: the same statement comes again and again (a dashboard's
 * query, sqlgate's own catalog statements for list_tables), and compiling it cost more than running it (issue 12).
 * Safe to reuse: closeRows() ends any iteration before the next execute. A changed schema (this connection's DDL or
 * another's) empties the cache: SQLite would compile a kept statement again by itself when it runs, but its columns
 * (`SELECT *` after ALTER TABLE … ADD COLUMN) are read before it runs. Long texts are not kept.
 */
const MAX_KEPT_STATEMENTS = 64;
const MAX_KEPT_TEXT = 10_000;
const keptStatements = new Map<string, Database.Statement>();
let keptSchemaVersion: unknown = null;
let schemaVersion: Database.Statement | null = null;

function prepared(sql: string): Database.Statement {
  schemaVersion ??= db.prepare('PRAGMA schema_version').pluck();
  const version = schemaVersion.get();
  if (version !== keptSchemaVersion) {
    keptStatements.clear();
    keptSchemaVersion = version;
  }
  const kept = keptStatements.get(sql);
  if (kept) {
    keptStatements.delete(sql); // to the end: the most recently used
    keptStatements.set(sql, kept);
    return kept;
  }
  const statement = db.prepare(sql);
  if (sql.length <= MAX_KEPT_TEXT) {
    if (keptStatements.size >= MAX_KEPT_STATEMENTS) keptStatements.delete(keptStatements.keys().next().value!);
    keptStatements.set(sql, statement);
  }
  return statement;
}

function handle(request: Request): Record<string, unknown> {
  switch (request.op) {
    case 'execute': {
      closeRows();
      caller = request.context;
      maxResultBytes = request.maxResultBytes ?? Infinity;
      resultBytes = 0;
      if (!options.readonly) db.pragma(`query_only = ${request.queryOnly ? 'ON' : 'OFF'}`);
      if (request.transaction && !inTransaction) {
        db.exec('BEGIN');
        inTransaction = true;
      }
      const statement = prepared(request.sql);
      const params = request.params.map(toSqliteParam);
      // The engine's own verdict: `readonly` is false for anything that would write, including
      // INSERT … RETURNING (which is also a `reader`). Refuse before the first step runs.
      if (request.queryOnly && !statement.readonly) {
        throw Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' });
      }
      if (statement.reader) {
        statement.raw(true).safeIntegers(true);
        const columns = statement.columns().map((c) => ({ name: c.name, type: (c.type ?? '').toLowerCase() }));
        rows = statement.iterate(...params) as IterableIterator<unknown[]>;
        return { columns, rowsAffected: null, readonly: statement.readonly, ...readBatch(request.maxRows) };
      }
      const info = statement.run(...params);
      return { columns: [], rowsAffected: Number(info.changes), done: true, readonly: statement.readonly };
    }
    case 'read':
      return readBatch(request.maxRows);
    case 'closeCursor':
      closeRows();
      return {};
    case 'finish':
      closeRows();
      if (inTransaction) {
        inTransaction = false;
        db.exec(request.commit ? 'COMMIT' : 'ROLLBACK');
      }
      return {};
  }
}

/**
 * Up to `maxRows` rows. After a full batch one more row is stepped and kept, so that a result of exactly
 * `maxRows` rows (or a multiple) reports `done` now instead of costing one more request that returns nothing.
 */
function readBatch(maxRows: number): { rows: unknown[][]; done: boolean } {
  const batch: unknown[][] = [];
  if (peeked && maxRows > 0) {
    const step = peeked;
    peeked = null;
    if ('error' in step) throw step.error;
    countRow(step.row);
    batch.push(step.row);
  }
  if (!rows) return { rows: batch, done: true };
  while (batch.length < maxRows) {
    const next = rows.next();
    if (next.done) {
      rows = null;
      return { rows: batch, done: true };
    }
    countRow(next.value);
    batch.push(next.value);
  }
  if (peeked) return { rows: batch, done: false };
  try {
    const next = rows.next();
    if (next.done) {
      rows = null;
      return { rows: batch, done: true };
    }
    peeked = { row: next.value };
  } catch (error) {
    rows = null; // a statement that failed is finished
    peeked = { error };
  }
  return { rows: batch, done: false };
}

function closeRows(): void {
  rows?.return?.();
  rows = null;
  peeked = null;
}

/** better-sqlite3 binds numbers, bigints, strings, Buffers and null; booleans become 1/0 as SQLite stores them. */
function toSqliteParam(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) return JSON.stringify(value);
  return value;
}

function describe(err: unknown): { message: string; code?: string } {
  const e = err as { message?: unknown; code?: unknown };
  return {
    message: typeof e?.message === 'string' ? e.message : String(err),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
  };
}
