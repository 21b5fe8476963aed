/**
 * Builds the Dialect for an environment. The only module that imports the dialect folders: everything else
 * reaches a database through the Dialect interface.
 *
 * Each dialect's module (and so its driver) is imported only when an environment uses it: a deployment without
 * SQL Server never loads tedious (~50 MB resident, ~300 ms to import), one without MySQL never loads mysql2
 * (issue 12). Node caches the import, so the second environment of a dialect pays nothing.
 */
import type { EnvironmentConfig } from '../config/schema.js';
import type { Dialect } from './dialect.js';

export interface CreateDialectOptions {
  /** SQLite only: create the database file when missing (the demo generator). Otherwise a missing file is "down". */
  createIfMissing?: boolean;
}

export async function createDialect(config: EnvironmentConfig, options: CreateDialectOptions = {}): Promise<Dialect> {
  const target = config.target;
  switch (target.dialect) {
    case 'sqlite': {
      const { SqliteDialect } = await import('./sqlite/sqlite-dialect.js');
      return new SqliteDialect({ ...config, target }, options);
    }
    case 'postgres': {
      const { PostgresDialect } = await import('./postgres/postgres-dialect.js');
      return new PostgresDialect({ ...config, target });
    }
    case 'mysql': {
      const { MysqlDialect } = await import('./mysql/mysql-dialect.js');
      return new MysqlDialect({ ...config, target });
    }
    case 'mssql': {
      const { MssqlDialect } = await import('./mssql/mssql-dialect.js');
      return new MssqlDialect({ ...config, target });
    }
    default:
      throw new Error(`dialect ${(target as { dialect: string }).dialect} is not built yet`);
  }
}
