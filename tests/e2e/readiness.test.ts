/**
 * /ready of a real server whose state store and audit trail are PostgreSQL databases: ready while both answer, even
 * with one environment's database down; 503 naming the store while either refuses connections, and ready again once
 * it takes them. /health stays liveness: it answers through all of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/prometheus.js';
import { startApp, type RunningApp } from '../support/start-app.js';
import { createTestDatabase, PG_ADMIN_URL, withPgClient, type TestDatabase } from '../support/test-databases.js';

let app: RunningApp;
let stateDatabase: TestDatabase;
let auditDatabase: TestDatabase;

beforeAll(async () => {
  [stateDatabase, auditDatabase] = await Promise.all([createTestDatabase('postgres', []), createTestDatabase('postgres', [])]);
  app = await startApp({
    auth: { mode: 'oauth', trusted_proxies: ['127.0.0.1'] },
    store: { url: stateDatabase.url },
    audit: { url: auditDatabase.url },
    environments: {
      demo: { database: 'sqlite:./demo.sqlite', demo: true },
      closed_pg: { database: 'postgres://reader:topsecret@127.0.0.1:1/sales', connect_timeout_ms: 1000 },
    },
  });
}, 60_000);

afterAll(async () => {
  await app?.stop();
  await stateDatabase?.drop();
  await auditDatabase?.drop();
});

interface Ready {
  readonly code: number;
  readonly body: Record<string, any>;
}

async function ready(headers: Record<string, string> = {}): Promise<Ready> {
  const response = await fetch(`${app.baseUrl}/ready`, { headers });
  return { code: response.status, body: (await response.json()) as Record<string, any> };
}

/** Makes `database` refuse every connection (superusers' too) and ends the ones it has, or lets it take them again. */
async function allowConnections(database: TestDatabase, allowed: boolean): Promise<void> {
  await withPgClient(PG_ADMIN_URL, async (c) => {
    await c.query(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS ${allowed}`);
    if (!allowed) await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database.name]);
  });
}

/** Polls /ready until `check` holds: a pool may first lend a connection that was just ended. */
async function readyUntil(check: (r: Ready) => boolean): Promise<Ready> {
  let last: Ready | undefined;
  await waitFor(async () => check((last = await ready())), 20_000, () => `/ready kept answering ${JSON.stringify(last)}`);
  return last!;
}

describe('/ready', () => {
  it('is ready while the stores answer, with an environment\'s database down (listed, not counted)', async () => {
    const { code, body } = await ready();
    expect(code).toBe(200);
    expect(body).toMatchObject({
      status: 'ready',
      stores: { state_store: { status: 'ok' }, audit_store: { status: 'ok' } },
      environments: { demo: { status: 'connected' }, closed_pg: { status: 'down', failure: 'unreachable' } },
    });
    expect(body.reason).toBeUndefined();
    expect(JSON.stringify(body)).not.toContain('topsecret');
  });

  for (const [name, database] of [['state_store', () => stateDatabase], ['audit_store', () => auditDatabase]] as const) {
    it(`is 503 with the reason while the ${name.replace('_', ' ')} refuses connections, and ready again after`, async () => {
      await allowConnections(database(), false);
      try {
        const { body } = await readyUntil((r) => r.code === 503);
        expect(body.status).toBe('not_ready');
        expect(body.stores[name].status).toBe('down');
        expect(body.reason).toContain(`${name.replace('_', ' ')} unreachable: `);
        expect(JSON.stringify(body)).not.toMatch(/topsecret|password/i);
        // A stranger learns that it is not ready, and nothing else.
        expect(await ready({ 'x-forwarded-for': '203.0.113.5' })).toEqual({ code: 503, body: { status: 'not_ready' } });
        // Liveness is not readiness: the process answers.
        expect((await fetch(`${app.baseUrl}/health`)).status).toBe(200);
      } finally {
        await allowConnections(database(), true);
      }
      expect((await readyUntil((r) => r.code === 200)).body.status).toBe('ready');
    });
  }
});
