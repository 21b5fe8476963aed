/**
 * DBHub (bytebase/dbhub), the MCP database server sqlgate is compared with. It is never a project dependency: the
 * pinned version is installed on demand into bench/.work/dbhub/ (ignored by git) and reused by later runs.
 *
 * How 1.4.0 is run (read from its dist/: src/server.ts, src/config/*, src/tools/*):
 *   node dist/index.js --transport http --host 127.0.0.1 --port 0 --config dbhub.toml
 * It prints "HTTP server listening on 127.0.0.1:<port>" to stderr once it listens (after connecting the source),
 * serves MCP at POST /mcp (SDK v2 `createMcpHandler`: 2025-era requests without initialize or session are served
 * statelessly, as sqlgate is asked) and GET /healthz. Auth is off unless --auth-token is given. Read-only and a row
 * cap are per tool in the TOML file (the --readonly and --max-rows flags were removed): read-only execute_sql runs
 * each statement in BEGIN READ ONLY on PostgreSQL and under PRAGMA query_only on SQLite, after a keyword check.
 * Tools, with a single source named as they are: execute_sql { sql } and search_objects { object_type, pattern,
 * detail_level, … }. A result is one text content holding JSON: { success, data } with data.statements[i] =
 * { rows (objects), count, truncated? } for execute_sql and data.results = [{ name, schema }] for search_objects.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { mcpTarget } from './load.mjs';
import { startNodeProcess } from './procs.mjs';

export const DBHUB_PACKAGE = '@bytebase/dbhub';
export const DBHUB_DEFAULT_VERSION = '1.4.0';
/** DBHub uses the built-in node:sqlite (its engines field: node >= 22.5.0). */
const MIN_NODE = [22, 5];

/**
 * Makes sure the pinned version is installed under `<work>/dbhub`. Resolves with { version, entry, cached } or
 * { skipped: reason }: DBHub missing must not stop the benchmark, only leave its column empty.
 */
export async function prepareDbhub({ work, version, log }) {
  if (!version || version === 'none') return { skipped: 'turned off (BENCH_DBHUB=none)' };
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
    return { skipped: `needs Node ≥ ${MIN_NODE.join('.')} (this is ${process.version})` };
  }
  const prefix = path.join(work, 'dbhub');
  const packageDir = path.join(prefix, 'node_modules', ...DBHUB_PACKAGE.split('/'));
  const entry = path.join(packageDir, 'dist', 'index.js');
  if (installedVersion(packageDir) === version && fs.existsSync(entry)) return { version, entry, cached: true };
  log(`DBHub: installing ${DBHUB_PACKAGE}@${version} into ${path.relative(process.cwd(), prefix)}/ …`);
  try {
    // --ignore-scripts: its native extras (ssh2's cpu-features, oracledb) are not needed for PostgreSQL and SQLite.
    await promisify(execFile)('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', `${DBHUB_PACKAGE}@${version}`], { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const detail = `${err.stderr ?? ''}`.trim().split('\n').filter(Boolean).slice(-3).join(' / ') || err.message;
    return { skipped: `npm install ${DBHUB_PACKAGE}@${version} failed: ${detail}` };
  }
  const found = installedVersion(packageDir);
  if (found !== version || !fs.existsSync(entry)) return { skipped: `npm install left ${found ?? 'nothing'} instead of ${DBHUB_PACKAGE}@${version}` };
  return { version, entry, cached: false };
}

function installedVersion(packageDir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/**
 * Starts DBHub on the engine's database: one source, execute_sql read-only with max_rows 1000 (sqlgate's default
 * cap), search_objects, and for PostgreSQL a pool of `poolMax` (sqlgate's default) instead of pg's 10.
 * `database` is a postgres:// URL or `sqlite:<absolute path>`. It runs in its own folder so that it reads no .env.
 */
export async function startDbhub({ install, work, engine, title, database, poolMax, maxRows }) {
  const dir = path.join(work, 'dbhub');
  const configFile = path.join(dir, `dbhub-${engine}.toml`);
  const source = { id: 'bench', dsn: dbhubDsn(database) };
  if (engine === 'postgres') source.pool_max_connections = poolMax;
  fs.writeFileSync(configFile, [
    '[[sources]]', ...tomlPairs(source), '',
    '[[tools]]', ...tomlPairs({ name: 'execute_sql', source: 'bench', readonly: true, max_rows: maxRows }), '',
    '[[tools]]', ...tomlPairs({ name: 'search_objects', source: 'bench' }), '',
  ].join('\n'));
  const label = `DBHub ${install.version}`;
  const server = await startNodeProcess(`${label} (${title})`, [install.entry, '--transport', 'http', '--host', '127.0.0.1', '--port', '0', '--config', configFile], {
    readyPattern: /HTTP server listening on 127\.0\.0\.1:(\d+)/,
    cwd: dir,
  });
  return Object.assign(server, { key: 'dbhub', label, configFile, healthPath: '/healthz', target: (request) => dbhubTarget(server.port, request) });
}

/** DBHub's DSNs: postgres://… with sslmode spelled out (its parser's default), sqlite:///<absolute path>. */
function dbhubDsn(database) {
  if (database.startsWith('sqlite:')) {
    const file = database.slice('sqlite:'.length);
    if (!path.isAbsolute(file)) throw new Error(`DBHub needs an absolute SQLite path, got ${file}`);
    return `sqlite://${file}`;
  }
  const url = new URL(database);
  if (!url.searchParams.has('sslmode')) url.searchParams.set('sslmode', 'disable');
  return url.toString();
}

function tomlPairs(object) {
  return Object.entries(object).map(([key, value]) => `${key} = ${JSON.stringify(value)}`);
}

/** execute_sql { sql } for SQL; search_objects for tables (its default detail level, names) for list tables. */
function dbhubTarget(port, request) {
  return request.sql
    ? mcpTarget({ port, path: '/mcp', tool: 'execute_sql', args: { sql: request.sql }, unwrap: (result) => statementOf(dataOf(result)) })
    : mcpTarget({ port, path: '/mcp', tool: 'search_objects', args: { object_type: 'table' }, unwrap: (result) => ({ tables: dataOf(result).results }) });
}

/** The JSON in DBHub's text content; `success: false` is an error even when isError is not set. */
function dataOf(result) {
  const text = result.content?.[0]?.text;
  if (typeof text !== 'string') throw new Error('no text content');
  const payload = JSON.parse(text);
  if (payload.success !== true) throw new Error(`DBHub ${payload.code ?? 'error'}: ${String(payload.error).slice(0, 200)}`);
  return payload.data;
}

/** One statement's rows as arrays in column order (JSON keeps the object's key order, which is the column order). */
function statementOf(data) {
  const statements = data?.statements;
  if (!Array.isArray(statements) || statements.length !== 1) throw new Error(`expected one statement result, got ${JSON.stringify(data).slice(0, 200)}`);
  const [statement] = statements;
  return { rows: statement.rows.map((row) => Object.values(row)), row_count: statement.count, truncated: statement.truncated === true };
}
