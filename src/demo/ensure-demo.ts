/**
 * Creates the demo database file when it is missing. It is written to a temporary file through the SQLite
 * dialect and renamed into place only when complete, so an interrupted start never leaves half a demo behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EnvironmentConfig } from '../config/schema.js';
import { DEFAULT_ENVIRONMENT_TOOLS } from '../config/tool-schema.js';
import type { Dialect, Session } from '../db/dialect.js';
import { createDialect } from '../db/registry.js';
import { generateDemoData, type DemoTable } from './demo-data.js';
import { DEMO_SCHEMA } from './demo-schema.js';

/** SQLite's default limit on bound parameters per statement is 32,766; stay well below it. */
const MAX_PARAMS_PER_INSERT = 30_000;

/** How a missing demo database is made. */
export interface EnsureDemoOptions {
  /** The end of the data window (epoch ms); default: now, so "the last hour" has data when the demo is new. */
  readonly nowMs?: number;
}

/** Returns true when it created the file, false when it already existed. */
export async function ensureDemoDatabase(file: string, options: EnsureDemoOptions = {}): Promise<boolean> {
  if (fs.existsSync(file)) return false;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.rmSync(temporary, { force: true });
  const dialect = await createDialect(writableSqliteEnvironment(temporary), { createIfMissing: true });
  await dialect.open();
  try {
    await writeDemo(dialect, generateDemoData({ nowMs: options.nowMs ?? Date.now() }));
  } catch (err) {
    await dialect.close();
    fs.rmSync(temporary, { force: true });
    throw err;
  }
  await dialect.close();
  fs.renameSync(temporary, file);
  return true;
}

async function writeDemo(dialect: Dialect, tables: DemoTable[]): Promise<void> {
  const session = await dialect.session({ readOnly: false, timeoutMs: 120_000 });
  try {
    for (const statement of DEMO_SCHEMA) await run(session, statement, []);
    for (const table of tables) await insertRows(session, dialect, table);
    await session.finish('commit');
  } catch (err) {
    await session.finish('rollback');
    throw err;
  }
  // ANALYZE gives list_tables its row estimates; it cannot run inside the data transaction's session state.
  const analyze = await dialect.session({ readOnly: false, timeoutMs: 60_000 });
  await run(analyze, 'ANALYZE', []);
  await analyze.finish('commit');
}

async function insertRows(session: Session, dialect: Dialect, table: DemoTable): Promise<void> {
  const rowsPerStatement = Math.floor(MAX_PARAMS_PER_INSERT / table.columns.length);
  const columnList = table.columns.map((c) => dialect.quoteIdentifier(c)).join(', ');
  const rowPlaceholder = `(${table.columns.map(() => '?').join(', ')})`;
  for (let start = 0; start < table.rows.length; start += rowsPerStatement) {
    const chunk = table.rows.slice(start, start + rowsPerStatement);
    const sql = `INSERT INTO ${dialect.quoteIdentifier(table.name)} (${columnList}) VALUES ${chunk.map(() => rowPlaceholder).join(', ')}`;
    await run(session, sql, chunk.flat());
  }
}

async function run(session: Session, sql: string, params: unknown[]): Promise<void> {
  const cursor = session.execute(sql, params);
  await cursor.read(1);
  await cursor.close();
}

function writableSqliteEnvironment(file: string): EnvironmentConfig {
  return {
    name: 'demo-generator',
    target: { dialect: 'sqlite', file },
    maskedUrl: `sqlite:${file}`,
    description: undefined,
    isDemo: false,
    readOnly: false,
    strictPrivileges: false,
    allowDdl: true,
    destructiveStatements: 'allow',
    sessionContext: false,
    allowedFunctions: [],
    policy: undefined,
    maxRows: 1,
    statementTimeoutMs: 120_000,
    connectTimeoutMs: 10_000,
    maxBinaryBytes: 0,
    maxResultChars: 100_000,
    maxCellChars: 4_000,
    maxResultBytes: 64 * 1_048_576,
    pool: { max: 1, acquireTimeoutMs: 10_000, idleTimeoutMs: 60_000 },
    tls: undefined,
    limits: { callsPerMinute: undefined, concurrentQueries: undefined, rowsPerHour: undefined },
    audit: { recordParameters: undefined },
    externalAuth: undefined,
    tools: DEFAULT_ENVIRONMENT_TOOLS,
  };
}
