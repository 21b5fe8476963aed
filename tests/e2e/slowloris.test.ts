/**
 * Slow and hostile clients cannot hold the server, end to end on the built server: 500 connections that open a
 * request and then trickle its headers byte by byte, stall after a partial header, or send nothing at all, while
 * normal MCP tool calls keep succeeding in normal time; server.headers_timeout then closes every one of them.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../support/start-server.js';
import { createTestDatabase, type TestDatabase } from '../support/test-databases.js';

const HEADERS_TIMEOUT_S = 2;
/** Node looks for connections past the timeout once a second (http/listen.ts), and the machine is busy. */
const CLOSE_MARGIN_MS = 2_500;
const CONNECTIONS = { trickle: 200, stall: 200, silent: 100 };

let dir: string;
let db: TestDatabase;
let server: ServerProcess;

beforeAll(async () => {
  db = await createTestDatabase('sqlite', ['CREATE TABLE customers (id INTEGER PRIMARY KEY)', 'INSERT INTO customers VALUES (1), (2), (3)']);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-slowloris-'));
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), stringify({
    server: { headers_timeout: `${HEADERS_TIMEOUT_S}s` },
    environments: { demo: { database: db.url } },
  }));
  server = await startServerProcess({ args: ['serve', '--config', 'sqlgate.yaml'], cwd: dir, env: { SQLGATE_CONFIG: undefined } });
});
afterAll(async () => {
  await server?.stop();
  await db?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

interface Attacker {
  readonly kind: keyof typeof CONNECTIONS;
  readonly openedAt: number;
  /** When the server closed the connection, and what it said before (Node answers 408 to a request it gave up on). */
  readonly closed: Promise<{ at: number; answer: string }>;
  stop(): void;
}

async function attack(port: number, kind: keyof typeof CONNECTIONS): Promise<Attacker> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const openedAt = Date.now();
  let answer = '';
  let trickle: NodeJS.Timeout | undefined;
  socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<{ at: number; answer: string }>((resolve) => socket.once('close', () => {
    clearInterval(trickle);
    resolve({ at: Date.now(), answer });
  }));
  if (kind !== 'silent') socket.write('POST /demo/mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
  if (kind === 'trickle') trickle = setInterval(() => socket.write('a'), 200);
  return { kind, openedAt, closed, stop: () => socket.destroy() };
}

async function timedCall(client: Client): Promise<number> {
  const started = performance.now();
  const result = await client.callTool({ name: 'execute_sql', arguments: { query: 'SELECT COUNT(*) FROM customers' } });
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('slowloris', () => {
  it('keeps serving tool calls while 500 connections dribble, and closes them at the headers timeout', { timeout: 30_000 }, async () => {
    const client = new Client({ name: 'slowloris-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/demo/mcp`)));
    const attackers: Attacker[] = [];
    try {
      const baseline: number[] = [];
      for (let i = 0; i < 10; i++) baseline.push(await timedCall(client));

      for (const kind of Object.keys(CONNECTIONS) as (keyof typeof CONNECTIONS)[]) {
        attackers.push(...(await Promise.all(Array.from({ length: CONNECTIONS[kind] }, () => attack(server.port, kind)))));
      }
      // Tool calls during the whole attack, until every attacking connection has been closed.
      let isAttacked = true;
      const allClosed = Promise.all(attackers.map((a) => a.closed)).then((closings) => {
        isAttacked = false;
        return closings;
      });
      const during: number[] = [];
      while (isAttacked) {
        during.push(await timedCall(client));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const closings = await allClosed;

      expect(during.length).toBeGreaterThan(10);
      expect(median(during)).toBeLessThan(median(baseline) * 3 + 50);
      expect(Math.max(...during)).toBeLessThan(1_000);
      for (const [i, attacker] of attackers.entries()) {
        const heldMs = closings[i]!.at - attacker.openedAt;
        expect(heldMs, attacker.kind).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_S * 1_000 - 100);
        expect(heldMs, attacker.kind).toBeLessThan(HEADERS_TIMEOUT_S * 1_000 + CLOSE_MARGIN_MS);
      }
      // A partial request is answered 408 before its connection is closed.
      expect(closings.filter((c, i) => attackers[i]!.kind !== 'silent').every((c) => c.answer.startsWith('HTTP/1.1 408'))).toBe(true);
      // The server is as it was.
      expect(await timedCall(client)).toBeLessThan(1_000);
    } finally {
      for (const attacker of attackers) attacker.stop();
      await client.close();
    }
  });
});
