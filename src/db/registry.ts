/**
 * Builds the Dialect for an environment. The only module that imports the dialect folders: everything else
 * reaches a database through the Dialect interface.
 */
import type { EnvironmentConfig } from '../config/schema.js';
import type { Dialect } from './dialect.js';
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
    default:
      throw new Error(`dialect ${target.dialect} is not built yet`);
  }
}
