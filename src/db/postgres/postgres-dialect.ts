/**
 * PostgreSQL through pg (statements read from a portal, postgres-portal.ts), on our own ResourcePool of pg.Clients
 * (one bounded pool type for every dialect, so a saturated environment answers SG_BUSY the same way everywhere).
 *
 * open() only builds the pool: connections are made on demand, so a server that is down at start shows up in
 * ping() and as SG_DB_UNAVAILABLE per request, never as a failed start.
 */
import pg from 'pg';
import type { NetworkTarget } from '../../config/database-url.js';
import type { EnvironmentConfig } from '../../config/schema.js';
import { UnavailableError, type SqlgateError } from '../../errors.js';
import { ResourcePool } from '../../util/resource-pool.js';
import { acquireConnection, beginPooledSession } from '../acquire-connection.js';
import { pingDialect } from '../ping-dialect.js';
import type { ConnectionStatus, Dialect, Introspector, PoolStats, PrivilegeReport, Session, SessionOptions, TableRef } from '../dialect.js';
import { PostgresConnection, withSideConnection } from './postgres-connection.js';
import { postgresConnectionOptions, resolveSslMode, type PostgresConnectionOptions } from './postgres-connection-options.js';
import { mayMeanDeadConnection, postgresToError } from './postgres-errors.js';
import { PostgresIntrospector } from './postgres-introspector.js';
import { postgresPrivileges } from './postgres-privileges.js';
import { PostgresSession } from './postgres-session.js';
import { PostgresTypeNames } from './postgres-type-names.js';
import { postgresPlanner } from './postgres-plan.js';


export class PostgresDialect implements Dialect {
  readonly name = 'postgres' as const;
  readonly displayName = 'PostgreSQL';
  private pool: ResourcePool<PostgresConnection> | null = null;
  private connectionOptions: PostgresConnectionOptions | null = null;
  private readonly catalog = new PostgresIntrospector(this);
  private readonly typeNames = new PostgresTypeNames((sql, params) =>
    this.onSideConnection(async (client) => (await client.query<{ oid: number; name: string }>(sql, params)).rows),
  );

  constructor(private readonly config: EnvironmentConfig & { target: NetworkTarget }) {
    // A wrong sslmode is a configuration error: report it when the configuration is built, not at first use.
    resolveSslMode(config);
  }

  async open(): Promise<void> {
    const options = postgresConnectionOptions(this.config);
    const { pool } = this.config;
    this.connectionOptions = options;
    this.pool = new ResourcePool<PostgresConnection>({
      create: async () => {
        const connection = await PostgresConnection.open(options);
        await this.typeNames.loadOnce(connection.client);
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
    const isUsable = (connection: PostgresConnection) => !connection.isBroken;
    return beginPooledSession(pool, {
      maxConnections: this.config.pool.max,
      toError: (err) => this.toError(err),
      isUsable,
      begin: (connection) => PostgresSession.begin(connection, options, {
        typeNames: this.typeNames,
        cancelBackend: (processId) => this.cancelBackend(processId),
        terminateBackend: (processId) => this.terminateBackend(processId),
        isBackendRunning: (processId, backendStart) => this.isBackendRunning(processId, backendStart),
        acquire: () => acquireConnection(pool, this.config.pool.max, (err) => this.toError(err), isUsable),
        release: (released, destroy) => pool.release(released, { destroy }),
      }),
      // A reused connection may have died silently while idle; a fresh one gets the real answer.
      mayBeStale: (err, connection) => connection.sessionCount > 0 && mayMeanDeadConnection(err),
    });
  }

  readonly planner = postgresPlanner;

  introspector(): Introspector {
    return this.catalog;
  }

  placeholder(position: number): string {
    return `$${position}`;
  }

  quoteIdentifier(name: string): string {
    return `"${name.replaceAll('"', '""')}"`;
  }

  sampleSql(table: TableRef, limit: number, columns?: readonly string[]): string {
    const list = columns ? columns.map((c) => this.quoteIdentifier(c)).join(', ') : '*';
    const name = this.quoteIdentifier(table.name);
    const qualified = table.schema === null ? name : `${this.quoteIdentifier(table.schema)}.${name}`;
    return `SELECT ${list} FROM ${qualified} LIMIT ${Math.trunc(limit)}`;
  }

  privileges(): Promise<PrivilegeReport> {
    return postgresPrivileges(this);
  }

  toError(err: unknown): SqlgateError {
    return postgresToError(err);
  }

  /**
   * pg_cancel_backend from a separate short-lived connection: the session's own connection is busy with the
   * statement. Same login, so no extra privilege is needed. Behind a transaction-pooling proxy the process id is
   * not the backend's; the statement_timeout still bounds the statement there.
   */
  private async cancelBackend(processId: number): Promise<void> {
    await this.onSideConnection((client) => client.query('SELECT pg_cancel_backend($1)', [processId]));
  }

  /**
   * pg_terminate_backend, for a statement that ignored the cancel (docs/read-only.md): the backend ends at its next
   * interrupt check. The same login may signal its own backends, so no extra privilege is needed.
   */
  private async terminateBackend(processId: number): Promise<string | null> {
    return this.onSideConnection(async (client) => {
      const { rows } = await client.query<{ started: string }>(
        'SELECT backend_start::text AS started, pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1',
        [processId],
      );
      return rows[0]?.started ?? null;
    });
  }

  private async isBackendRunning(processId: number, backendStart: string | null): Promise<boolean> {
    return this.onSideConnection(async (client) => {
      const { rows } = await client.query(
        'SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND ($2::timestamptz IS NULL OR backend_start = $2::timestamptz)',
        [processId, backendStart],
      );
      return rows.length > 0;
    });
  }

  private async onSideConnection<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
    if (!this.connectionOptions) throw new UnavailableError('This environment is closed.');
    return withSideConnection(this.connectionOptions, use);
  }
}
