/**
 * Builds the Dialect for an environment. The only module that imports the dialect folders: everything else
 * reaches a database through the Dialect interface.
 */
import type { EnvironmentConfig } from '../config/schema.js';
import type { Dialect } from './dialect.js';
import { MssqlDialect } from './mssql/mssql-dialect.js';
import { PostgresDialect } from './postgres/postgres-dialect.js';
import { MysqlDialect } from './mysql/mysql-dialect.js';
import { SqliteDialect } from './sqlite/sqlite-dialect.js';

export interface CreateDialectOptions {
  /** SQLite only: create the database file when missing (the demo generator). Otherwise a missing file is "down". */
  createIfMissing?: boolean;
}

export function createDialect(config: EnvironmentConfig, options: CreateDialectOptions = {}): Dialect {
  const target = config.target;
  switch (target.dialect) {
    case 'sqlite':
      return new SqliteDialect({ ...config, target }, options);
    case 'postgres':
      return new PostgresDialect({ ...config, target });
    case 'mysql':
      return new MysqlDialect({ ...config, target });
    case 'mssql':
      return new MssqlDialect({ ...config, target });
    default:
      throw new Error(`dialect ${(target as { dialect: string }).dialect} is not built yet`);
  }
}
