/**
 * SQLite through better-sqlite3, one connection per worker thread (see sqlite-worker.ts for why).
 * A read-only environment opens its file read-only with `PRAGMA query_only`; a statement that outlives the
 * timeout is stopped by terminating its worker, and the pool replaces it.
 */
import type { EnvironmentConfig } from '../../config/schema.js';
import type { SqliteTarget } from '../../config/database-url.js';
import type { SqlgateError } from '../../errors.js';
import { ResourcePool } from '../../util/resource-pool.js';
import { acquireConnection } from '../acquire-connection.js';
import { pingDialect } from '../ping-dialect.js';
import type { ConnectionStatus, Dialect, Introspector, PoolStats, PrivilegeReport, Session, SessionOptions, TableRef } from '../dialect.js';
import { SqliteConnection } from './sqlite-connection.js';
import { sqliteToError } from './sqlite-errors.js';
import { SqliteIntrospector } from './sqlite-introspector.js';
import { sqlitePrivileges } from './sqlite-privileges.js';
import { SqliteSession } from './sqlite-session.js';
import { sqlitePlanner } from './sqlite-plan.js';

export class SqliteDialect implements Dialect {
  readonly name = 'sqlite' as const;
  readonly displayName = 'SQLite';
  private pool: ResourcePool<SqliteConnection> | null = null;
  private readonly catalog = new SqliteIntrospector(this);

  constructor(
    private readonly config: EnvironmentConfig & { target: SqliteTarget },
    private readonly options: { createIfMissing?: boolean } = {},
  ) {}

  async open(): Promise<void> {
    const { target, readOnly, pool } = this.config;
    this.pool = new ResourcePool<SqliteConnection>({
      create: async () => {
        const connection = new SqliteConnection({
          file: target.file,
          readonly: readOnly,
          busyTimeoutMs: Math.min(pool.acquireTimeoutMs, 5_000),
          createIfMissing: this.options.createIfMissing === true && !readOnly,
        });
        await connection.ready;
        return connection;
      },
      destroy: (connection) => connection.kill(),
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
    if (!this.pool) throw this.toError(new Error('the environment is closed'));
    const pool = this.pool;
    const connection = await acquireConnection(pool, this.config.pool.max, (err) => this.toError(err));
    return new SqliteSession(connection, options, !this.config.readOnly, (destroy) => pool.release(connection, { destroy }));
  }

  readonly planner = sqlitePlanner;

  introspector(): Introspector {
    return this.catalog;
  }

  placeholder(_position: number): string {
    return '?';
  }

  quoteIdentifier(name: string): string {
    return `"${name.replaceAll('"', '""')}"`;
  }

  sampleSql(table: TableRef, limit: number, columns?: readonly string[]): string {
    const list = columns ? columns.map((c) => this.quoteIdentifier(c)).join(', ') : '*';
    return `SELECT ${list} FROM ${this.quoteIdentifier(table.name)} LIMIT ${Math.trunc(limit)}`;
  }

  /** The file's permissions for sqlgate's own process (a few stat calls: no worker needed). */
  async privileges(): Promise<PrivilegeReport> {
    return sqlitePrivileges(this.config.target.file);
  }

  toError(err: unknown): SqlgateError {
    return sqliteToError(err);
  }
}
