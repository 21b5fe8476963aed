/**
 * A client that gives up on a long query makes the database stop it: the official client aborts the call, and
 * the statement disappears from PostgreSQL's pg_stat_activity, over each HTTP protocol era and stdio-free.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODERN_PROTOCOL_VERSION } from '../../src/mcp/protocol-versions.js';
import { fixtureStatements } from '../support/fixture/index.js';
import { startApp, type RunningApp } from '../support/start-app.js';
import { createTestDatabase, PG_ADMIN_URL, withPgClient, type TestDatabase } from '../support/test-databases.js';

let db: TestDatabase;
let app: RunningApp;
const SLOW = 'SELECT count(*) FROM generate_series(1, 20000000000) AS cancel_probe';

beforeAll(async () => {
  db = await createTestDatabase('postgres', fixtureStatements('postgres'));
  app = await startApp({ environments: { pg: { database: db.url, statement_timeout_ms: 60_000 } } });
});
afterAll(async () => {
  await app?.stop();
  await db?.drop();
});

async function runningProbes(): Promise<number> {
  return withPgClient(PG_ADMIN_URL, async (c) => {
    const result = await c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%cancel_probe%' AND pid <> pg_backend_pid() AND state = 'active'");
    return result.rows[0].n as number;
  });
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

describe.each([
  ['2025 initialize', {}],
  ['2026-07-28', { versionNegotiation: { mode: { pin: MODERN_PROTOCOL_VERSION } } }],
])('cancelling a long query (%s)', (_era, options) => {
  it('stops the statement in the database when the client aborts', { timeout: 60_000 }, async () => {
    const client = new Client({ name: 'cancel-test', version: '1' }, options);
    await client.connect(new StreamableHTTPClientTransport(new URL(`${app.baseUrl}/pg/mcp`)));
    try {
      const controller = new AbortController();
      const call = client.callTool({ name: 'execute_sql', arguments: { query: SLOW } }, { signal: controller.signal }).catch((err: Error) => err);
      expect(await waitFor(async () => (await runningProbes()) === 1, 15_000)).toBe(true);
      controller.abort();
      expect(String(await call)).toContain('AbortError');
      // Well before the 60 s statement timeout, even on a loaded machine.
      expect(await waitFor(async () => (await runningProbes()) === 0, 15_000)).toBe(true);
    } finally {
      await client.close();
    }
  });
});
