/**
 * SQL Server through tedious, on our own ResourcePool of single connections (see mssql-connection.ts for why not
 * mssql's pool), so a saturated environment answers SG_BUSY the same way as every other dialect.
 *
 * open() only builds the pool: connections are made on demand, so a server that is down at start shows up in
 * ping() and as SG_DB_UNAVAILABLE per request, never as a failed start. Wrong URL parameters or unreadable TLS
 * files are configuration errors, raised when the dialect is built.
 */
import type { ConnectionConfiguration } from 'tedious';
import { UnavailableError, type SqlgateError } from '../../errors.js';
import { ResourcePool } from '../../util/resource-pool.js';
import { beginPooledSession } from '../acquire-connection.js';
import { pingDialect } from '../ping-dialect.js';
import type { ConnectionStatus, Dialect, Introspector, PoolStats, PrivilegeReport, Session, SessionOptions, TableRef } from '../dialect.js';
import { MssqlConnection } from './mssql-connection.js';
import { mssqlConnectionOptions, type MssqlEnvironmentConfig } from './mssql-connection-options.js';
import { firstServerError, mssqlToError, MssqlConnectError } from './mssql-errors.js';
import { MssqlIntrospector } from './mssql-introspector.js';
import { mssqlPrivileges } from './mssql-privileges.js';
import { MssqlSession, SESSION_KEY_READ_ONLY } from './mssql-session.js';
import { killSession, readSessionId } from './mssql-session-id.js';


export class MssqlDialect implements Dialect {
  readonly name = 'mssql' as const;
  readonly displayName = 'SQL Server';
  private pool: ResourcePool<MssqlConnection> | null = null;
  private readonly connectionOptions: ConnectionConfiguration;
  private readonly catalog = new MssqlIntrospector(this);
  /** Each pooled connection's @@SPID, read when it opened. */
  private readonly sessionIds = new WeakMap<MssqlConnection, number>();

  constructor(private readonly config: MssqlEnvironmentConfig) {
    this.connectionOptions = mssqlConnectionOptions(config);
  }

  async open(): Promise<void> {
    const { pool } = this.config;
    this.pool = new ResourcePool<MssqlConnection>({
      create: async () => {
        const connection = await MssqlConnection.open(this.connectionOptions);
        // For KILL, should a statement on it ever need terminating; without it, dropping the socket is what is left.
        const sessionId = await readSessionId(connection.client).catch(() => null);
        if (sessionId !== null) this.sessionIds.set(connection, sessionId);
        return connection;
      },
      destroy: (connection) => connection.close(),
      ...pool, // max, acquireTimeoutMs, idleTimeoutMs
    });
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = null;
  }

  ping(): Promise<ConnectionStatus> {
    return pingDialect(this);
  }

  poolStats(): PoolStats {
    return this.pool?.stats() ?? { size: 0, inUse: 0, waiting: 0, max: this.config.pool.max };
  }

  async session(options: SessionOptions): Promise<Session> {
    const pool = this.pool;
    if (!pool) throw new UnavailableError('This environment is closed.');
    return beginPooledSession(pool, {
      maxConnections: this.config.pool.max,
      toError: (err) => this.toError(err),
      isUsable: (connection) => !connection.isBroken,
      begin: (connection) => {
        const sessionId = this.sessionIds.get(connection);
        const kill = sessionId === undefined ? undefined : () => killSession(this.connectionOptions, sessionId);
        return MssqlSession.begin(connection, options, (destroy) => pool.release(connection, { destroy }), kill);
      },
      // A reused connection may have died silently while idle, or kept a read-only session-context key that its
      // reset did not drop; a fresh one gets the real answer.
      mayBeStale: (err, connection) => {
        const serverError = firstServerError(err);
        return connection.sessionCount > 0 && (serverError === null || serverError.number === SESSION_KEY_READ_ONLY) && !(err instanceof MssqlConnectError);
      },
    });
  }

  /** SQL Server's estimated plan needs SET SHOWPLAN_XML in a batch of its own around the statement: not built yet. */
  readonly planner = null;

  introspector(): Introspector {
    return this.catalog;
  }

  /** @p1 … @pN: the names the cursor declares its parameters under (mssql-cursor.ts). */
  placeholder(position: number): string {
    return `@p${position}`;
  }

  /** [name] with `]` doubled: the one quoting that works whatever QUOTED_IDENTIFIER says. */
  quoteIdentifier(name: string): string {
    return `[${name.replaceAll(']', ']]')}]`;
  }

  sampleSql(table: TableRef, limit: number, columns?: readonly string[]): string {
    const list = columns ? columns.map((c) => this.quoteIdentifier(c)).join(', ') : '*';
    const name = this.quoteIdentifier(table.name);
    const qualified = table.schema === null ? name : `${this.quoteIdentifier(table.schema)}.${name}`;
    return `SELECT TOP (${Math.max(0, Math.trunc(limit))}) ${list} FROM ${qualified}`;
  }

  privileges(): Promise<PrivilegeReport> {
    return mssqlPrivileges(this);
  }

  toError(err: unknown): SqlgateError {
    return mssqlToError(err, { readOnly: this.config.readOnly });
  }
}
