/**
 * A database that hangs (it accepts connections and never answers: a firewall dropping packets, a server wedged)
 * while the server is under load, end to end on the built server. Its environment's calls answer
 * SG_DB_UNAVAILABLE within its connect timeout, the other environment keeps its normal latency throughout, and the
 * hung one serves again by itself once the database answers (here: the silent listener is replaced by a proxy to
 * the real database on the same port). Both wire protocols: PostgreSQL's client speaks first, MySQL's server does.
 * (tests/e2e/database-down.test.ts covers databases that are down or refuse connections at once.)
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/start-app.js';
import { startServerProcess, type ServerProcess } from '../support/start-server.js';
import { createTestDatabase, MYSQL_ADMIN_URL, PG_ADMIN_URL, type TestDatabase } from '../support/test-databases.js';

const CONNECT_TIMEOUT_MS = 1_000;
/** Calls to the hung environments at once, per round: more than its pool (5), so some wait for a connection. */
const HUNG_CALLS_PER_ROUND = 8;
const ROUNDS = 3;

/** A TCP endpoint on a fixed port that is first a black hole and later a proxy to a real database. */
class SwitchableEndpoint {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();

  constructor(readonly port: number) {}

  /** Accepts connections and never answers. */
  async hang(): Promise<void> {
    await this.listen((socket) => socket.on('error', () => undefined));
  }

  /** Forwards every connection to the real database. */
  async proxyTo(host: string, port: number): Promise<void> {
    await this.close();
    await this.listen((socket) => {
      const upstream = net.connect(port, host);
      this.sockets.add(upstream);
      upstream.on('close', () => this.sockets.delete(upstream));
      socket.pipe(upstream).pipe(socket);
      const end = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('error', end);
      upstream.on('error', end);
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  private async listen(onSocket: (socket: net.Socket) => void): Promise<void> {
    const server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      onSocket(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.server = server;
  }
}

let pgSteady: TestDatabase;
let pgHung: TestDatabase;
let mysqlHung: TestDatabase;
let pgEndpoint: SwitchableEndpoint;
let mysqlEndpoint: SwitchableEndpoint;
let dir: string;
let server: ServerProcess;
const clients: Client[] = [];

const TABLE = ['CREATE TABLE t (id INT PRIMARY KEY)', 'INSERT INTO t VALUES (1), (2), (3)'];

beforeAll(async () => {
  [pgSteady, pgHung, mysqlHung] = await Promise.all([
    createTestDatabase('postgres', TABLE),
    createTestDatabase('postgres', TABLE),
    createTestDatabase('mysql', TABLE),
  ]);
  pgEndpoint = new SwitchableEndpoint(await freePort());
  mysqlEndpoint = new SwitchableEndpoint(await freePort());
  await pgEndpoint.hang();
  await mysqlEndpoint.hang();
  const through = (url: string, port: number) => {
    const parsed = new URL(url);
    parsed.port = String(port);
    return parsed.toString();
  };
  const hung = { connect_timeout_ms: CONNECT_TIMEOUT_MS, pool: { acquire_timeout_ms: 2_000 } };
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-hang-'));
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), stringify({
    environments: {
      steady: { database: pgSteady.url },
      hung_pg: { database: through(pgHung.url, pgEndpoint.port), ...hung },
      hung_mysql: { database: through(mysqlHung.url, mysqlEndpoint.port), ...hung },
    },
  }));
  server = await startServerProcess({ args: ['serve', '--config', 'sqlgate.yaml'], cwd: dir, env: { SQLGATE_CONFIG: undefined } });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await server?.stop();
  await pgEndpoint?.close();
  await mysqlEndpoint?.close();
  await Promise.all([pgSteady?.drop(), pgHung?.drop(), mysqlHung?.drop()]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function connect(env: string): Promise<Client> {
  const client = new Client({ name: 'hang-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/${env}/mcp`)));
  clients.push(client);
  return client;
}

interface Timed {
  ms: number;
  text: string;
  isError: boolean;
}

async function timedCount(client: Client): Promise<Timed> {
  const started = performance.now();
  const result = await client.callTool({ name: 'execute_sql', arguments: { query: 'SELECT COUNT(*) AS n FROM t' } });
  return { ms: performance.now() - started, isError: result.isError === true, text: (result.content as { text: string }[])[0]!.text };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('a database that hangs during load', () => {
  it('answers unavailable fast, leaves the other environment alone, and recovers by itself', { timeout: 60_000 }, async () => {
    const steady = await connect('steady');
    const baseline: number[] = [];
    for (let i = 0; i < 10; i++) baseline.push((await timedCount(steady)).ms);

    // Load: rounds of calls to both hung environments, and the steady one called one after the other meanwhile.
    const hungClients = [...(await Promise.all(Array.from({ length: HUNG_CALLS_PER_ROUND }, () => connect('hung_pg')))),
      ...(await Promise.all(Array.from({ length: HUNG_CALLS_PER_ROUND }, () => connect('hung_mysql'))))];
    let isLoading = true;
    const during: Timed[] = [];
    const steadyLoop = (async () => {
      while (isLoading) during.push(await timedCount(steady));
    })();
    const hungResults: Timed[] = [];
    for (let round = 0; round < ROUNDS; round++) hungResults.push(...(await Promise.all(hungClients.map((c) => timedCount(c)))));
    isLoading = false;
    await steadyLoop;

    for (const result of hungResults) {
      expect(result.isError).toBe(true);
      expect(result.text).toMatch(/^SG_DB_UNAVAILABLE: /);
      // The connect timeout, once: a caller queued behind a failing attempt is not made to wait for another.
      expect(result.ms).toBeLessThan(CONNECT_TIMEOUT_MS + 1_000);
    }
    expect(during.length).toBeGreaterThan(5);
    expect(during.every((r) => !r.isError)).toBe(true);
    // Normal latency throughout (typically ~20 ms here, the odd one a few hundred on two busy cores): none waited
    // for a connect timeout of the hung environments.
    expect(median(during.map((r) => r.ms))).toBeLessThan(median(baseline) * 3 + 50);
    expect(Math.max(...during.map((r) => r.ms))).toBeLessThan(CONNECT_TIMEOUT_MS);

    // The databases answer again: the next calls are served, with nothing restarted.
    const pg = new URL(PG_ADMIN_URL);
    const mysql = new URL(MYSQL_ADMIN_URL);
    await pgEndpoint.proxyTo(pg.hostname, Number(pg.port || 5432));
    await mysqlEndpoint.proxyTo(mysql.hostname, Number(mysql.port || 3306));
    for (const client of [hungClients[0]!, hungClients[HUNG_CALLS_PER_ROUND]!]) {
      const result = await timedCount(client);
      expect(result.isError, result.text).toBe(false);
      expect(result.ms).toBeLessThan(CONNECT_TIMEOUT_MS);
    }
    const health = (await (await fetch(`${server.url}/health`)).json()) as { status: string };
    expect(health.status).toBe('ok');
  });
});
