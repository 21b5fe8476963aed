/**
 * Issue 12: a start loads the libraries of what is configured, and nothing else. A real `sqlgate serve` (the built
 * dist/) runs with a resolve hook (support/record-resolved-modules.mjs) that writes down every module it resolves;
 * the packages behind them must be those of the configured dialects, sign-in and metrics only. Without SQL Server
 * tedious is never loaded, without OAuth oidc-provider is not, without metrics prom-client is not, and a parser is
 * loaded for the configured dialects only. With OAuth on, the sign-in libraries wait for their first use: MCP calls
 * with a bearer token need none of them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { mcpCall, TEST_PASSWORD } from '../support/oauth-client.js';
import { runSqlgate } from '../support/run-sqlgate.js';
import { startServerProcess, type ServerProcess } from '../support/start-server.js';

const HOOK = pathToFileURL(path.resolve(import.meta.dirname, '../support/record-resolved-modules.mjs')).href;
const PG_URL = process.env.SQLGATE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Nothing listens on port 1: the server starts anyway (a database that is down does not stop it), as it would. */
const MSSQL_URL = 'sqlserver://reader:secret@127.0.0.1:1/Sales';
const METRICS_TOKEN = 'lazy-loading-token-0123456789abcdef0123456789';

/** What each optional feature brings in: none of these may be loaded unless its feature is configured. */
const SQL_SERVER = ['tedious', 'mssql', '@azure/identity'];
const MYSQL = ['mysql2'];
const POSTGRES = ['pg', 'libpg-query'];
const OAUTH = ['oidc-provider', 'koa', 'openid-client', '@node-rs/argon2', 'jose'];
const METRICS = ['prom-client'];
/** Tracing's SDK (not @opentelemetry/api: SQL Server's Azure libraries bring that one in themselves). */
const TRACING = ['@opentelemetry/sdk-trace', '@opentelemetry/exporter-trace-otlp-http'];
const REDIS = ['ioredis'];

const running: { server: ServerProcess; dir: string }[] = [];
afterAll(async () => {
  for (const { server, dir } of running) {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

interface Started {
  readonly server: ServerProcess;
  /** The packages the process resolved a module of, e.g. "pg", "@azure/identity", "node-sql-parser/build/sqlite.js". */
  packages(): Set<string>;
}

/**
 * Starts `serve` on `config` (YAML text) with the hook, and waits for /health. `prepare` runs first in the
 * server's directory (CLI commands: processes of their own, whose modules the record does not see).
 */
async function serveRecorded(config: string, args: readonly string[], prepare?: (dir: string) => Promise<void>): Promise<Started> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-lazy-'));
  const record = path.join(dir, 'resolved.txt');
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), config);
  await prepare?.(dir);
  const server = await startServerProcess({
    args: ['serve', '--config', 'sqlgate.yaml', ...args],
    cwd: dir,
    env: { NODE_OPTIONS: `--import=${HOOK}`, SQLGATE_TEST_RESOLVED_MODULES: record, METRICS_TOKEN },
  });
  running.push({ server, dir });
  expect((await fetch(`${server.url}/health`)).status).toBe(200);
  return {
    server,
    packages: () => {
      const found = new Set<string>();
      for (const url of fs.readFileSync(record, 'utf8').split('\n')) {
        // The last node_modules segment names the package: a scoped one has two parts.
        const match = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)(\/.*)?$/.exec(url);
        if (!match) continue;
        found.add(match[1]!);
        if (match[1] === 'node-sql-parser') found.add(`node-sql-parser${match[2]}`);
      }
      return found;
    },
  };
}

const loaded = (packages: Set<string>, names: readonly string[]) => names.filter((name) => packages.has(name));

describe('what a start loads', () => {
  it('PostgreSQL only, auth none, no metrics: no other driver, no OAuth, no prom-client, no other parser', async () => {
    const { server, packages } = await serveRecorded(`environments:\n  pg:\n    database: ${JSON.stringify(PG_URL)}\n`, ['--auth', 'none']);
    // A query too: answering one must not load anything of the others either.
    const { status, body } = await mcpCall(`${server.url}/pg/mcp`, undefined, 'tools/call', { name: 'execute_sql', arguments: { query: 'SELECT 1 AS one' } });
    expect(status, JSON.stringify(body)).toBe(200);
    const found = packages();
    // The hook saw the start: the PostgreSQL driver and parser are there.
    expect(loaded(found, POSTGRES)).toEqual(POSTGRES);
    // piscina (the statement gate's worker thread) starts with the first long statement only.
    expect(loaded(found, [...SQL_SERVER, ...MYSQL, ...OAUTH, ...METRICS, ...TRACING, ...REDIS, 'node-sql-parser', 'piscina'])).toEqual([]);
  });

  it('SQL Server with OAuth and metrics: tedious, oidc-provider, prom-client and the T-SQL grammar alone', async () => {
    const config = `metrics:\n  token: \${METRICS_TOKEN}\nenvironments:\n  warehouse:\n    database: ${MSSQL_URL}\n    connect_timeout_ms: 1000\n`;
    const { server, packages } = await serveRecorded(config, ['--auth', 'oauth']);
    const metrics = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(metrics.status).toBe(200);
    // oidc-provider loads with the first request to the authorization server (the case below checks it waits).
    expect((await fetch(`${server.url}/.well-known/oauth-authorization-server`)).status).toBe(200);
    const found = packages();
    expect(loaded(found, ['tedious', 'oidc-provider', 'prom-client', 'node-sql-parser/build/transactsql.js'])).toEqual(['tedious', 'oidc-provider', 'prom-client', 'node-sql-parser/build/transactsql.js']);
    // One grammar, not node-sql-parser's bundle of every dialect's (the package's main entry).
    expect([...found].filter((name) => name.startsWith('node-sql-parser/'))).toEqual(['node-sql-parser/build/transactsql.js']);
    expect(loaded(found, [...POSTGRES, ...MYSQL, ...TRACING, ...REDIS])).toEqual([]);
  });

  it('PostgreSQL with OAuth on: a personal-token MCP call loads no sign-in library; the first authorization-server request loads oidc-provider', async () => {
    const config = `store:\n  url: "sqlite:./state.sqlite"\nenvironments:\n  pg:\n    database: ${JSON.stringify(PG_URL)}\n`;
    let token = '';
    const { server, packages } = await serveRecorded(config, ['--auth', 'oauth'], async (dir) => {
      const cli = async (args: readonly string[], input?: string) => {
        const result = await runSqlgate([...args, '--config', 'sqlgate.yaml'], { cwd: dir, input });
        expect(result.code, `sqlgate ${args.join(' ')}\n${result.stdout}${result.stderr}`).toBe(0);
        return result.stdout.trim();
      };
      await cli(['users', 'add', 'alice', '--env', 'pg', '--password-stdin'], `${TEST_PASSWORD}\n`);
      // The server's keys exist before it starts, as on every start but a store's first: making them needs jose.
      await cli(['keys', 'rotate']);
      token = await cli(['tokens', 'create', '--user', 'alice', '--env', 'pg']);
    });
    const { status, body } = await mcpCall(`${server.url}/pg/mcp`, token, 'tools/call', { name: 'execute_sql', arguments: { query: 'SELECT 1 AS one' } });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(JSON.stringify(body)).toContain('one');
    expect(body.result?.isError, JSON.stringify(body)).not.toBe(true);
    expect(loaded(packages(), OAUTH)).toEqual([]);

    const metadata = await fetch(`${server.url}/.well-known/oauth-authorization-server`);
    expect(metadata.status).toBe(200);
    expect(((await metadata.json()) as { issuer?: string }).issuer).toBe(server.url);
    expect(loaded(packages(), ['oidc-provider', 'koa'])).toEqual(['oidc-provider', 'koa']);
  });
});
