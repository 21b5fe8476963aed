/**
 * A real Prometheus (Debian's) scrapes two real sqlgate processes (the built dist/), one per exposure: /metrics on
 * the main port behind metrics.token (given as ${METRICS_TOKEN}), and metrics.listen's own listener. The tool calls
 * made on each must become queryable through Prometheus's HTTP API; a job with the wrong token must stay down.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpCall } from '../support/oauth-client.js';
import { hasPrometheusTools, startPrometheus, waitFor, type RunningPrometheus } from '../support/prometheus.js';
import { freePort } from '../support/start-app.js';
import { startServerProcess, type ServerProcess } from '../support/start-server.js';
import { createTestDatabase, type TestDatabase } from '../support/test-databases.js';

const TOKEN = 'scrape-token-0123456789abcdef0123456789abcdef';

describe.skipIf(!hasPrometheusTools())('Prometheus scraping sqlgate', () => {
  let database: TestDatabase;
  let withToken: ServerProcess;
  let withListener: ServerProcess;
  let listenerPort: number;
  let prometheus: RunningPrometheus;
  const dirs: string[] = [];

  /** A working directory with a sqlgate.yaml whose metrics section is `metrics`. */
  function configDir(metrics: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-scrape-'));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), `metrics:\n${metrics}\nenvironments:\n  shop:\n    database: ${JSON.stringify(database.url)}\n`);
    return dir;
  }

  beforeAll(async () => {
    database = await createTestDatabase('sqlite', ['CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)', "INSERT INTO items VALUES (1, 'a'), (2, 'b')"]);
    listenerPort = await freePort();
    [withToken, withListener] = await Promise.all([
      startServerProcess({ cwd: configDir('  token: ${METRICS_TOKEN}'), env: { METRICS_TOKEN: TOKEN } }),
      startServerProcess({ cwd: configDir(`  listen: 127.0.0.1:${listenerPort}`) }),
    ]);
    for (const server of [withToken, withListener]) {
      const { status, body } = await mcpCall(`${server.url}/shop/mcp`, undefined, 'tools/call', { name: 'execute_sql', arguments: { query: 'SELECT * FROM items' } });
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body.result.isError, JSON.stringify(body)).toBeFalsy();
    }
    prometheus = await startPrometheus([
      { name: 'main_port', target: `127.0.0.1:${withToken.port}`, token: TOKEN },
      { name: 'own_listener', target: `127.0.0.1:${listenerPort}` },
      { name: 'wrong_token', target: `127.0.0.1:${withToken.port}`, token: `${TOKEN}-not` },
    ]);
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await withToken?.stop();
    await withListener?.stop();
    await database?.drop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sees each server\'s tool calls, through the bearer token and through the separate listener', async () => {
    const calls = async () => Object.fromEntries((await prometheus.query('sqlgate_tool_calls_total')).map((r) => [r.metric.job, r]));
    let found: Awaited<ReturnType<typeof calls>> = {};
    // The first sample is queryable only a few seconds after the first scrape: poll, with a deadline.
    await waitFor(async () => {
      found = await calls();
      return found.main_port !== undefined && found.own_listener !== undefined;
    }, 60_000, async () => `sqlgate_tool_calls_total never appeared for both jobs: ${JSON.stringify(found)}\ntargets: ${JSON.stringify(await prometheus.targets())}\n${prometheus.output()}`);
    for (const job of ['main_port', 'own_listener']) {
      expect(found[job]!.metric).toMatchObject({ environment: 'shop', tool: 'execute_sql', outcome: 'ok' });
      expect(Number(found[job]!.value[1])).toBe(1);
    }
    expect(found.wrong_token).toBeUndefined();

    // Each job's first `up` sample shows after its own first scrape: poll for all three, as above.
    let up: Record<string, number> = {};
    await waitFor(async () => {
      up = Object.fromEntries((await prometheus.query('up')).map((r) => [r.metric.job, Number(r.value[1])]));
      return ['main_port', 'own_listener', 'wrong_token'].every((job) => job in up);
    }, 30_000, () => `up never appeared for every job: ${JSON.stringify(up)}`);
    expect(up).toMatchObject({ main_port: 1, own_listener: 1, wrong_token: 0 });
    // The process metrics come along, and the pool gauges are read at each scrape.
    expect((await prometheus.query('process_resident_memory_bytes{job="own_listener"}')).length).toBe(1);
    expect((await prometheus.query('sqlgate_db_pool_max_connections{job="main_port",environment="shop"}'))[0]?.value[1]).toBe('5');
  }, 90_000);
});
