/**
 * Real test databases: each call creates a fresh, uniquely named database (a temp file for SQLite), loads the
 * shared fixture for that dialect, and returns a ready Environment plus a cleanup. Test support may use the
 * drivers directly for administration; the code under test reaches them only through the Dialect.
 *
 * Servers: SQLGATE_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres), SQLGATE_TEST_MYSQL_URL
 * (default mysql://root@127.0.0.1:3306/mysql), SQLGATE_TEST_MSSQL_URL (no default: SQL Server tests skip).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import mssql from 'mssql';
import pg from 'pg';
import { parseEnvironmentConfig } from '../../src/config/load.js';
import type { DialectName } from '../../src/db/dialect.js';
import { createDialect } from '../../src/db/registry.js';
import type { Environment } from '../../src/environments/environment.js';
import { StatementRulesCache } from '../../src/guard/create-statement-rules.js';
import type { StatementRules } from '../../src/guard/statement-gate.js';
import { fixtureStatements } from './fixture/index.js';

export const PG_ADMIN_URL = process.env.SQLGATE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const MYSQL_ADMIN_URL = process.env.SQLGATE_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/mysql';
export const MSSQL_ADMIN_URL = process.env.SQLGATE_TEST_MSSQL_URL;

/** Dialects whose server is available here. SQL Server joins only when SQLGATE_TEST_MSSQL_URL is set. */
export const TEST_DIALECTS: DialectName[] = ['sqlite', 'postgres', 'mysql', ...(MSSQL_ADMIN_URL ? (['mssql'] as const) : [])];

// Without SQLGATE_TEST_MSSQL_URL the SQL Server runs are skipped; global-setup.ts says so once per run.

export interface TestDatabase {
  /** URL of the new database, for an environment's `database` key. */
  readonly url: string;
  /** The database's name (for MySQL, also the schema its tables are in). */
  readonly name: string;
  drop(): Promise<void>;
}

function uniqueName(): string {
  return `sqlgate_t_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Creates an empty database and runs `statements` in it (one statement per entry). */
export async function createTestDatabase(dialect: DialectName, statements: readonly string[]): Promise<TestDatabase> {
  const name = uniqueName();
  switch (dialect) {
    case 'sqlite': {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-test-'));
      const file = path.join(dir, `${name}.sqlite`);
      const db = new Database(file);
      for (const statement of statements) db.exec(statement);
      db.close();
      return { url: `sqlite:${file}`, name, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
    }
    case 'postgres': {
      await withPgClient(PG_ADMIN_URL, (c) => c.query(`CREATE DATABASE ${name}`));
      const url = withDatabase(PG_ADMIN_URL, name);
      await withPgClient(url, async (c) => {
        for (const statement of statements) await c.query(statement);
      });
      return {
        url,
        name,
        drop: () => withPgClient(PG_ADMIN_URL, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
      };
    }
    case 'mysql': {
      await withMysql(MYSQL_ADMIN_URL, (c) => c.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`));
      const url = withDatabase(MYSQL_ADMIN_URL, name);
      await withMysql(url, async (c) => {
        for (const statement of statements) await c.query(statement);
      });
      return { url, name, drop: () => withMysql(MYSQL_ADMIN_URL, (c) => c.query(`DROP DATABASE IF EXISTS ${name}`)).then(() => undefined) };
    }
    case 'mssql': {
      const admin = MSSQL_ADMIN_URL!;
      await withMssql(admin, (p) => p.request().batch(`CREATE DATABASE ${name}`));
      const url = withDatabase(admin, name);
      await withMssql(url, async (p) => {
        for (const statement of statements) await p.request().batch(statement);
      });
      return {
        url,
        name,
        drop: () =>
          withMssql(admin, (p) => p.request().batch(`ALTER DATABASE ${name} SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE ${name}`)).then(() => undefined),
      };
    }
  }
}

export interface TestEnvironment {
  readonly environment: Environment;
  readonly database: TestDatabase;
  close(): Promise<void>;
}

/** A fresh database with the shared fixture, opened as an Environment (read-only unless overridden). */
export async function createFixtureEnvironment(
  dialect: DialectName,
  overrides: Record<string, unknown> = {},
  name = 'fixture',
  rules?: StatementRules,
): Promise<TestEnvironment> {
  const database = await createTestDatabase(dialect, fixtureStatements(dialect));
  const environment = await openEnvironment(name, database.url, overrides, rules);
  return {
    environment,
    database,
    close: async () => {
      await environment.dialect.close();
      await database.drop();
    },
  };
}

const rulesCache = new StatementRulesCache();

/**
 * The statement gate switched off, for tests that prove the database backstop holds on its own. It exists only
 * in tests: production code always builds the real rules (app.ts).
 */
export const GATE_SWITCHED_OFF_FOR_TESTS: StatementRules = {
  classify: () => ({ kind: 'read', isDestructive: false }),
  shape: () => ({ kind: 'opaque', what: 'a statement (the gate is switched off)' }),
};

/**
 * Opens an Environment on an existing database URL with the given config keys (snake_case, as in YAML), with the
 * real statement gate unless `rules` replaces it.
 */
export async function openEnvironment(
  name: string,
  url: string,
  overrides: Record<string, unknown> = {},
  rules?: StatementRules,
): Promise<Environment> {
  const config = parseEnvironmentConfig(name, { database: url, read_only: true, ...overrides }, process.cwd());
  const dialect = await createDialect(config);
  await dialect.open();
  return { name, config, dialect, rules: rules ?? (await rulesCache.rulesFor(config.target)), description: config.description, namedRoleLimits: new Map() };
}

export async function withPgClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

export async function withMysql<T>(url: string, use: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  const connection = await mysql.createConnection({ uri: url, multipleStatements: false });
  try {
    return await use(connection);
  } finally {
    await connection.end();
  }
}

export async function withMssql<T>(url: string, use: (pool: mssql.ConnectionPool) => Promise<T>): Promise<T> {
  const parsed = new URL(url);
  const pool = new mssql.ConnectionPool({
    server: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 1433,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: parsed.pathname.slice(1) || 'master',
    options: {
      encrypt: parsed.searchParams.get('encrypt') !== 'false',
      trustServerCertificate: parsed.searchParams.get('trustServerCertificate') === 'true',
    },
  });
  await pool.connect();
  try {
    return await use(pool);
  } finally {
    await pool.close();
  }
}
