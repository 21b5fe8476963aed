import type { DialectName } from '../../../src/db/dialect.js';
import { mssqlExpectations } from './mssql.js';
import { mysqlExpectations } from './mysql.js';
import { postgresExpectations } from './postgres.js';
import { sqliteExpectations } from './sqlite.js';
import type { DialectExpectations } from './types.js';

/** Each dialect's expectations; a dialect joins the contract suite by adding its entry here. */
export const EXPECTATIONS: Partial<Record<DialectName, DialectExpectations>> = {
  sqlite: sqliteExpectations,
  mssql: mssqlExpectations,
  postgres: postgresExpectations,
  mysql: mysqlExpectations,
};
