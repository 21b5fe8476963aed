/**
 * `sqlgate serve` stopped with SIGTERM while tool calls run, end to end on the built server: a call shorter than
 * server.shutdown_grace finishes and its answer (and audit record) gets out, one longer is cancelled in the
 * database with SG_SHUTTING_DOWN, a request that arrives during the drain gets 503, the legacy SSE stream gets its
 * last event, and the process exits 0 within the grace plus a margin. A second signal exits at once.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../support/start-server.js';
import { createTestDatabase, PG_ADMIN_URL, withPgClient, type TestDatabase } from '../support/test-databases.js';

const GRACE_S = 3;
/** What the process may take beyond the grace: cancelling in the database, closing streams, stores and pools. */
const EXIT_MARGIN_MS = 4_000;

let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  // pg_sleep itself is refused by the statement gate; a function of the database's own, allowed by name, is not.
  db = await createTestDatabase('postgres', [
    'CREATE FUNCTION shutdown_probe(seconds float8) RETURNS float8 LANGUAGE sql AS $$ SELECT seconds FROM (SELECT pg_sleep(seconds)) AS s $$',
  ]);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-shutdown-'));
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), stringify({
    // request_timeout bounds receiving a request, never answering it: the calls below run longer than it.
    server: { shutdown_grace: `${GRACE_S}s`, headers_timeout: '2s', request_timeout: '2s' },
    environments: { pg: { database: db.url, allowed_functions: ['shutdown_probe'], statement_timeout_ms: 60_000 } },
  }));
});
afterAll(async () => {
  await db?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function start(): Promise<ServerProcess> {
  return startServerProcess({ args: ['serve', '--config', 'sqlgate.yaml'], cwd: dir, env: { SQLGATE_CONFIG: undefined } });
}

async function runningProbes(): Promise<number> {
  return withPgClient(PG_ADMIN_URL, async (c) => {
    const result = await c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%shutdown_probe(%' AND pid <> pg_backend_pid() AND state = 'active'");
    return result.rows[0].n as number;
  });
}

async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function exitOf(server: ServerProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const child = server.process;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

async function connect(server: ServerProcess): Promise<Client> {
  const client = new Client({ name: 'shutdown-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/pg/mcp`)));
  return client;
}

/** A legacy SSE session read by hand, to see every event, the last one included. */
async function openLegacySse(server: ServerProcess): Promise<{ post: (message: object) => Promise<number>; events: { event: string; data: string }[]; ended: Promise<void> }> {
  const response = await fetch(`${server.url}/pg/sse`, { headers: { Accept: 'text/event-stream' } });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: { event: string; data: string }[] = [];
  let buffer = '';
  const ended = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const lines = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const field = (name: string) => lines.filter((l) => l.startsWith(`${name}:`)).map((l) => l.slice(name.length + 1).trim()).join('\n');
        if (lines.every((l) => l.startsWith(':'))) continue; // keep-alive comment
        events.push({ event: field('event') || 'message', data: field('data') });
      }
    }
  })();
  await waitFor(() => events.some((e) => e.event === 'endpoint'), 5_000);
  const endpoint = new URL(events.find((e) => e.event === 'endpoint')!.data, server.url);
  const post = async (message: object) => (await fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(message) })).status;
  return { post, events, ended };
}

/** The first half of a request's headers, so that the connection is busy (not idle) when the drain starts. */
async function halfSentRequest(server: ServerProcess): Promise<{ finish: () => Promise<string> }> {
  const socket = net.connect(server.port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk.toString('utf8')));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.write('POST /pg/mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  return {
    finish: async () => {
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
      socket.write(`Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      await closed;
      return answer;
    },
  };
}

describe('graceful shutdown of sqlgate serve', () => {
  it('lets the short call finish, cancels the long one, refuses new work, ends SSE with an event and exits 0', { timeout: 60_000 }, async () => {
    const server = await start();
    try {
      const short = await connect(server);
      const long = await connect(server);
      const sse = await openLegacySse(server);
      expect(await sse.post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'sse', version: '1' } } })).toBe(202);
      await waitFor(() => sse.events.some((e) => e.data.includes('"id":1')), 5_000);
      expect(await sse.post({ jsonrpc: '2.0', method: 'notifications/initialized' })).toBe(202);

      const shortCall = short.callTool({ name: 'execute_sql', arguments: { query: 'SELECT shutdown_probe(1.5) AS short_one' } });
      const longCall = long.callTool({ name: 'execute_sql', arguments: { query: 'SELECT shutdown_probe(30) AS long_one' } });
      expect(await sse.post({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'execute_sql', arguments: { query: 'SELECT shutdown_probe(1) AS sse_one' } } })).toBe(202);
      await waitFor(async () => (await runningProbes()) === 3, 10_000);
      const pending = await halfSentRequest(server);

      const signalled = Date.now();
      const exited = exitOf(server);
      server.process.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 300));

      // A new connection is not accepted any more; a request on a connection already open gets 503.
      await expect(fetch(`${server.url}/health`)).rejects.toThrow();
      const refused = await pending.finish();
      expect(refused).toMatch(/^HTTP\/1\.1 503 /);
      expect(refused).toMatch(/\r\nretry-after: 5\r\n/i);
      expect(refused).toMatch(/\r\nconnection: close\r\n/i);
      expect(refused).toContain('"error":"SG_SHUTTING_DOWN"');

      const shortResult = await shortCall;
      expect(shortResult.isError).toBeFalsy();
      expect(shortResult.structuredContent).toMatchObject({ rows: [[1.5]] });

      const longResult = await longCall;
      expect(longResult.isError).toBe(true);
      const longText = (longResult.content as { text: string }[])[0]!.text;
      expect(longText).toMatch(/^SG_SHUTTING_DOWN: The server is shutting down: the statement was still running when the 3 s shutdown grace ended, and it was cancelled in the database\./);
      expect(Date.now() - signalled).toBeGreaterThanOrEqual(GRACE_S * 1_000 - 100);

      // The legacy SSE call's answer, then the last event, then the end of the stream.
      await sse.ended;
      const afterInit = sse.events.filter((e) => e.event !== 'endpoint');
      const answer = afterInit.find((e) => e.data.includes('"id":2'));
      expect(JSON.parse(answer!.data).result.structuredContent).toMatchObject({ rows: [[1]] });
      expect(afterInit.at(-1)).toEqual({ event: 'shutdown', data: JSON.stringify({ reason: 'sqlgate is shutting down', retry_after_seconds: 5 }) });

      expect(await exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalled).toBeLessThan(GRACE_S * 1_000 + EXIT_MARGIN_MS);
      expect(await runningProbes()).toBe(0);

      // Every call is in the trail, the finished ones with their outcome, the cancelled one with its error.
      const trail = new Database(path.join(dir, 'data', 'sqlgate-audit.sqlite'), { readonly: true });
      const payloads = trail.prepare("SELECT payload FROM audit_records WHERE kind = 'tool_call' ORDER BY seq").all().map((r) => (r as { payload: string }).payload);
      trail.close();
      const recordOf = (marker: string) => payloads.map((p) => JSON.parse(p)).find((p) => JSON.stringify(p).includes(marker));
      expect(recordOf('short_one')).toMatchObject({ code: null, rows: 1 });
      expect(recordOf('sse_one')).toMatchObject({ code: null, rows: 1 });
      expect(recordOf('long_one')).toMatchObject({ code: 'SG_SHUTTING_DOWN' });

      const log = server.output();
      expect(log).toContain('draining: new requests are refused');
      expect(log).toContain('shutdown grace over: cancelling the statements still running');
      expect(log).toContain('"msg":"shut down"');
      await short.close().catch(() => undefined);
      await long.close().catch(() => undefined);
    } finally {
      await server.stop();
    }
  });

  it('exits at once on a second signal (128 + its number)', { timeout: 30_000 }, async () => {
    const server = await start();
    try {
      const client = await connect(server);
      void client.callTool({ name: 'execute_sql', arguments: { query: 'SELECT shutdown_probe(30) AS second_signal' } }).catch(() => undefined);
      await waitFor(async () => (await runningProbes()) >= 1, 10_000);
      const exited = exitOf(server);
      server.process.kill('SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const signalled = Date.now();
      server.process.kill('SIGINT');
      expect(await exited).toEqual({ code: 130, signal: null });
      expect(Date.now() - signalled).toBeLessThan(1_000);
      expect(server.output()).toContain('second signal: exiting at once');
    } finally {
      await server.stop();
      // The statement the process left behind ends with its connection (or its statement timeout).
      await withPgClient(PG_ADMIN_URL, (c) => c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%shutdown_probe(%' AND pid <> pg_backend_pid()"));
    }
  });
});
