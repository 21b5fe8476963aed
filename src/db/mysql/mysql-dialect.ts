/**
 * MySQL and MariaDB through mysql2: one dialect, one driver, and a `flavor` field. The URL scheme
 * (`mysql://`, `mariadb://`) is only the first guess; the server's VERSION() decides at the first connection,
 * and the flavor picks the statement-timeout variable and names the server in messages.
 */
import type { ConnectionOptions } from 'mysql2';
import { UnavailableError, type SqlgateError } from '../../errors.js';
import { ResourcePool } from '../../util/resource-pool.js';
import { beginPooledSession } from '../acquire-connection.js';
import { pingDialect } from '../ping-dialect.js';
import type { ConnectionStatus, Dialect, Introspector, PoolStats, PrivilegeReport, Session, SessionOptions, TableRef } from '../dialect.js';
import { mysqlConnectionOptions, type MysqlEnvironmentConfig } from './mysql-connection-options.js';
import { killQuery, MysqlConnection, type MysqlFlavor } from './mysql-connection.js';
import { mysqlToError } from './mysql-errors.js';
import { MysqlIntrospector } from './mysql-introspector.js';
import { mysqlPrivileges } from './mysql-privileges.js';
import { isThreadRunning } from './mysql-process-list.js';
import { MysqlSession, type MysqlSessionHooks } from './mysql-session.js';
import { mysqlPlanner } from './mysql-plan.js';


export class MysqlDialect implements Dialect {
  readonly name = 'mysql' as const;
  private flavor: MysqlFlavor;
  private pool: ResourcePool<MysqlConnection> | null = null;
  private readonly connectionOptions: ConnectionOptions;
  private readonly catalog = new MysqlIntrospector(this, () => this.flavor === 'mariadb');

  /** Throws ConfigError for TLS settings the driver cannot honour or certificate files it cannot read. */
  constructor(private readonly config: MysqlEnvironmentConfig) {
    this.flavor = config.target.flavor === 'mariadb' ? 'mariadb' : 'mysql';
    this.connectionOptions = mysqlConnectionOptions(config);
  }

  get displayName(): string {
    return this.flavor === 'mariadb' ? 'MariaDB' : 'MySQL';
  }

  /** Creates the pool only: no connection is made, so a server that is down does not stop sqlgate from starting. */
  async open(): Promise<void> {
    const { pool } = this.config;
    this.pool = new ResourcePool<MysqlConnection>({
      create: async () => {
        const connection = await MysqlConnection.open(this.connectionOptions);
        this.flavor = connection.flavor;
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
    if (!pool) throw new UnavailableError('The environment is closed.');
    const hooks: MysqlSessionHooks = {
      kill: (threadId, isStillRunning, scope) => killQuery(this.connectionOptions, threadId, isStillRunning, scope),
      release: (connection, destroy) => pool.release(connection, { destroy }),
      isThreadRunning: (threadId) => isThreadRunning(this.connectionOptions, threadId),
    };
    return beginPooledSession(pool, {
      maxConnections: this.config.pool.max,
      toError: (err) => this.toError(err),
      isUsable: (connection) => !connection.isBroken && !connection.isRetired,
      begin: (connection) => MysqlSession.start(connection, options, hooks),
      // An idle connection can die unnoticed; one fresh attempt tells a dead socket from a dead server.
      mayBeStale: (err, _connection, attempt) => attempt === 1 && (err as { fatal?: unknown }).fatal === true,
    });
  }

  readonly planner = mysqlPlanner;

  introspector(): Introspector {
    return this.catalog;
  }

  placeholder(_position: number): string {
    return '?';
  }

  quoteIdentifier(name: string): string {
    return `\`${name.replaceAll('`', '``')}\``;
  }

  sampleSql(table: TableRef, limit: number, columns?: readonly string[]): string {
    const list = columns ? columns.map((c) => this.quoteIdentifier(c)).join(', ') : '*';
    const name = this.quoteIdentifier(table.name);
    return `SELECT ${list} FROM ${table.schema === null ? name : `${this.quoteIdentifier(table.schema)}.${name}`} LIMIT ${Math.trunc(limit)}`;
  }

  privileges(): Promise<PrivilegeReport> {
    return mysqlPrivileges(this, { isMariaDb: () => this.flavor === 'mariadb', connectionOptions: this.connectionOptions });
  }

  toError(err: unknown): SqlgateError {
    return mysqlToError(err, this.displayName);
  }
}
