/**
 * Issue 12: a server's memory does not spike when its PostgreSQL statement gate gets hot. By default V8 recompiles
 * libpg-query's WebAssembly (the PostgreSQL parser) with TurboFan once it is hot, and that compile alone took ~500 MB
 * for a moment: a server idling at ~115 MB peaked at ~690 MB on its first hundred 1000-row queries. sqlgate keeps
 * WebAssembly on Liftoff (src/cli/v8-settings.ts). VmHWM is the process's peak resident memory, whenever it was.
 *
 * And a server starts with a small young generation: V8 grew it to 2 × 16 MB during start-up, resident at idle for
 * good; sqlgate keeps V8 from growing it until the server is ready, and lets it grow with the load from then on.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpCall } from '../support/oauth-client.js';
import { startServerProcess, type ServerProcess } from '../support/start-server.js';
import { createTestDatabase, type TestDatabase } from '../support/test-databases.js';

const METRICS_TOKEN = 'a-metrics-token-for-this-test-only-0123456789';
let database: TestDatabase;
let server: ServerProcess;
let dir: string;

beforeAll(async () => {
  database = await createTestDatabase('postgres', [
    "CREATE TABLE sales AS SELECT g AS id, (ARRAY['north','south','east','west'])[g % 4 + 1] AS region, g * 1.25 AS amount, timestamp '2024-01-01' + g * interval '1 minute' AS sold_at FROM generate_series(1, 5000) g",
  ]);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-memory-'));
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), `metrics: { token: "${METRICS_TOKEN}" }\nenvironments:\n  pg:\n    database: ${JSON.stringify(database.url)}\n`);
  server = await startServerProcess({ args: ['serve', '--config', 'sqlgate.yaml'], cwd: dir });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await database?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const peakRssMb = () => Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${server.process.pid}/status`, 'utf8'))![1]) / 1024;

/** V8's young generation (both semi-spaces), as the server's own metrics report it. */
async function newSpaceMb(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  return Number(/^nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)$/m.exec(text)![1]) / 1_048_576;
}

describe('server memory', () => {
  it('starts with a small young generation', async () => {
    expect(await newSpaceMb()).toBeLessThanOrEqual(4);
  });

  it('stays near its idle size while the PostgreSQL gate gets hot', async () => {
    const queries = ['SELECT * FROM sales ORDER BY id LIMIT 1000', 'SELECT region, count(*), sum(amount) FROM sales GROUP BY region ORDER BY region', 'SELECT * FROM sales WHERE id IN (SELECT id FROM sales WHERE amount > 100) ORDER BY sold_at DESC LIMIT 500'];
    for (let i = 0; i < 150; i++) {
      const { status, body } = await mcpCall(`${server.url}/pg/mcp`, undefined, 'tools/call', { name: 'execute_sql', arguments: { query: queries[i % queries.length] } });
      expect(status).toBe(200);
      expect(body.result.isError, JSON.stringify(body).slice(0, 300)).not.toBe(true);
    }
    expect(peakRssMb()).toBeLessThan(350);
    // Ready, the server sizes its young generation for the load again.
    expect(await newSpaceMb()).toBeGreaterThan(4);
  }, 120_000);
});
