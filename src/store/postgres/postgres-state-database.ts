/**
 * The connections of a PostgreSQL store (the state store; the audit trail too, which names itself in `subject`): a
 * small pg.Pool (sqlgate's own statements are few and short; several instances share one server, so each keeps its
 * share small), TLS from the URL's sslmode, and one place where statements run, so that every failure of the server
 * is reported the same way (postgres-store-errors.ts).
 */
import pg from 'pg';
import type { PostgresTarget, StoreSslMode } from '../../config/schema.js';
import { InternalError, UnavailableError } from '../../errors.js';
import { STATE_STORE, storeOpenError, storeQueryError, storeUnavailableError, TLS_REFUSED_MESSAGE, type StoreSubject } from './postgres-store-errors.js';

/** Runs one parameterized statement: the pool, or the connection of a transaction. */
export interface StoreQuery {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: readonly unknown[]): Promise<pg.QueryResult<R>>;
}

const MAX_CONNECTIONS = 5;
const CONNECT_TIMEOUT_MS = 10_000;
const IDLE_TIMEOUT_MS = 30_000;
/** Every statement of ours touches a handful of rows; one that runs this long is stuck behind a lock. */
const STATEMENT_TIMEOUT_MS = 30_000;

/**
 * The pool plus the store's masked URL. `open` connects once before returning, so that a wrong URL, password or
 * TLS setting fails at start, and runs the migrations on that first connection.
 */
export class PostgresStateDatabase implements StoreQuery {
  private isClosed = false;

  private constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
    private readonly subject: StoreSubject,
  ) {}

  /** Connects, runs `first` on the connection (the migrations), and returns the ready database. */
  static async open(
    target: PostgresTarget,
    location: string,
    first: (client: pg.PoolClient) => Promise<void>,
    subject: StoreSubject = STATE_STORE,
  ): Promise<PostgresStateDatabase> {
    const mode = (target.params.sslmode?.toLowerCase() ?? 'prefer') as StoreSslMode;
    let pool = createPool(target, mode === 'disable' ? false : sslOptions(mode), subject);
    try {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        // libpq's allow/prefer: a server without TLS is still used, in plaintext.
        if (!((mode === 'allow' || mode === 'prefer') && err instanceof Error && err.message === TLS_REFUSED_MESSAGE)) throw err;
        await pool.end();
        pool = createPool(target, false, subject);
        client = await pool.connect();
      }
      try {
        await first(client);
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw storeOpenError(err, target, location, subject);
    }
    return new PostgresStateDatabase(pool, location, subject);
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: readonly unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.withClient((client) => runOn(client, this.location, this.subject, sql, params));
  }

  /** Runs `work` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  async transaction<T>(work: (tx: StoreQuery) => Promise<T>): Promise<T> {
    return this.transactionOpenedWith([], (tx) => work(tx));
  }

  /**
   * As transaction(), with `opening` — statements without parameters — sent in one message with BEGIN: one round
   * trip instead of one each, where they matter (the audit trail's appends, which every instance takes in turn).
   * `work` gets their results in order. Each still reads what was committed before it ran, as a statement of its own.
   */
  async transactionOpenedWith<T>(opening: readonly string[], work: (tx: StoreQuery, opened: pg.QueryResult[]) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      const tx: StoreQuery = { query: (sql, params = []) => runOn(client, this.location, this.subject, sql, params) };
      try {
        // Without parameters pg sends a simple query, which may hold several statements and answers each.
        const begun: unknown = await tx.query(['BEGIN', ...opening].join(';\n'));
        const result = await work(tx, Array.isArray(begun) ? (begun as pg.QueryResult[]).slice(1) : []);
        await tx.query('COMMIT');
        return result;
      } catch (err) {
        // A ROLLBACK that fails means the connection is lost: report that (withClient then destroys the connection
        // instead of pooling it again).
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          throw storeUnavailableError(rollbackError, this.location, this.subject);
        });
        throw err;
      }
    });
  }

  /**
   * Lends a pooled connection. Failing to get one means the store is out of reach, whatever the cause (server
   * down, database dropped, login refused since start); a connection that failed is destroyed, not pooled again.
   */
  private async withClient<T>(use: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.isClosed) throw new InternalError(`The ${this.subject.name} is closed.`);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw storeUnavailableError(err, this.location, this.subject);
    }
    let lost: Error | undefined;
    try {
      return await use(client);
    } catch (err) {
      if (err instanceof UnavailableError) lost = err;
      throw err;
    } finally {
      client.release(lost);
    }
  }

  /** One `SELECT 1` on a pooled connection: rejects with UnavailableError when the server cannot be reached. */
  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    await this.pool.end();
  }
}

async function runOn<R extends pg.QueryResultRow>(
  client: pg.ClientBase,
  location: string,
  subject: StoreSubject,
  sql: string,
  params: readonly unknown[],
): Promise<pg.QueryResult<R>> {
  try {
    return await client.query<R>(sql, params as unknown[]);
  } catch (err) {
    throw storeQueryError(err, location, subject);
  }
}

function createPool(target: PostgresTarget, ssl: pg.ClientConfig['ssl'], subject: StoreSubject): pg.Pool {
  const pool = new pg.Pool({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    ssl,
    application_name: subject.applicationName,
    max: MAX_CONNECTIONS,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    // Keepalive lets a peer that vanished (a failover, a dropped NAT entry) surface as an error instead of a hang.
    keepAlive: true,
  });
  // A connection that dies emits 'error': without a listener that would end the process. The pool drops an idle
  // one itself; a lent one fails its next statement, and withClient then destroys it.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * libpq's sslmode without certificate files: allow/prefer/require encrypt without checking; verify-ca checks the
 * chain against Node's trusted CAs (NODE_EXTRA_CA_CERTS adds one); verify-full checks the host name as well.
 */
function sslOptions(mode: Exclude<StoreSslMode, 'disable'>): pg.ClientConfig['ssl'] {
  if (mode === 'verify-full') return { rejectUnauthorized: true };
  if (mode === 'verify-ca') return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
  return { rejectUnauthorized: false };
}
