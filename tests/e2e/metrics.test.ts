/**
 * /metrics and /ready of a real sqlgate (sign-in on, metrics.token set): tool calls that answer, are refused (the
 * read-only gate, the table policy, the rate limit) and sign-ins that fail show up as the series
 * docs/operations/metrics.md describes; the output passes `promtool check metrics`; strangers learn only whether
 * the server is ready. Where metrics are served (main port, own listener, nowhere) is checked last.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/password-hash.js';
import { FormBrowser, mcpCall, obtainTokens, pkcePair, postJson, TEST_PASSWORD } from '../support/oauth-client.js';
import { hasPrometheusTools, promtoolCheckMetrics, sampleValue } from '../support/prometheus.js';
import { freePort, startApp, type RunningApp } from '../support/start-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-databases.js';

const TOKEN = 'metrics-token-0123456789abcdef0123456789';
const CALLS_PER_MINUTE = 6;

let app: RunningApp;
let accessToken: string;
/** A small SQLite database for the servers that only show where metrics are served (the demo takes seconds to make). */
let small: TestDatabase;

beforeAll(async () => {
  app = await startApp({
    auth: { mode: 'oauth', trusted_proxies: ['127.0.0.1'] },
    metrics: { token: TOKEN },
    environments: {
      demo: {
        database: 'sqlite:./demo.sqlite', demo: true,
        policy: { deny: ['payment_transactions'] },
        limits: { calls_per_minute: CALLS_PER_MINUTE },
      },
    },
  });
  small = await createTestDatabase('sqlite', ['CREATE TABLE t (id INTEGER PRIMARY KEY)']);
  await app.sqlgate.store!.users.add({ name: 'alice', passwordHash: await hashPassword(TEST_PASSWORD), roles: [{ environment: 'demo', canWrite: false }] });
  const resource = `${app.baseUrl}/demo/mcp`;
  // A wrong password first: a failed sign-in.
  const client = await postJson(`${app.baseUrl}/register`, { client_name: 'wrong password', redirect_uris: ['http://127.0.0.1:8765/callback'], token_endpoint_auth_method: 'none' });
  const query = new URLSearchParams({ response_type: 'code', client_id: client.body.client_id, redirect_uri: 'http://127.0.0.1:8765/callback', code_challenge: pkcePair().challenge, code_challenge_method: 'S256', resource });
  await new FormBrowser(app.baseUrl).authorize(`${app.baseUrl}/authorize?${query}`, 'alice', 'not-the-password').catch(() => undefined);
  accessToken = (await obtainTokens(app.baseUrl, { user: 'alice', resource })).access_token;
}, 60_000);

afterAll(async () => {
  await app?.stop();
  await small?.drop();
});

async function callTool(name: string, args: Record<string, unknown>): Promise<{ status: number; text: string }> {
  const { status, body } = await mcpCall(`${app.baseUrl}/demo/mcp`, accessToken, 'tools/call', { name, arguments: args });
  return { status, text: body?.result?.content?.[0]?.text ?? JSON.stringify(body) };
}

async function scrape(): Promise<string> {
  const response = await fetch(`${app.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(response.status).toBe(200);
  return response.text();
}

describe('metrics of a real server', () => {
  it('count tool calls, refusals, statements, sign-ins, tokens and requests', async () => {
    expect((await callTool('list_tables', {})).status).toBe(200);
    expect((await callTool('execute_sql', { query: 'SELECT * FROM regions' })).text).not.toMatch(/^SG_/);
    expect((await callTool('execute_sql', { query: 'SELECT abs(-9223372036854775807 - 1) AS overflow' })).text).toMatch(/^SG_QUERY_FAILED: /);
    expect((await callTool('execute_sql', { query: 'DROP TABLE customers' })).text).toMatch(/^SG_READ_ONLY: /);
    expect((await callTool('execute_sql', { query: 'SELECT * FROM payment_transactions' })).text).toMatch(/^SG_POLICY_DENIED: /);
    // The rest of this minute's calls, then one more: refused with 429 by the HTTP layer before any call runs.
    for (let i = 5; i < CALLS_PER_MINUTE; i++) await callTool('list_tables', {});
    expect((await callTool('list_tables', {})).status).toBe(429);

    const text = await scrape();
    const tool = (tool: string, outcome: string, code?: string) =>
      sampleValue(text, 'sqlgate_tool_calls_total', { environment: 'demo', tool, outcome, ...(code ? { code } : {}) });
    expect(tool('list_tables', 'ok')).toBe(CALLS_PER_MINUTE - 4);
    expect(tool('execute_sql', 'ok')).toBe(1);
    expect(tool('execute_sql', 'failed', 'SG_QUERY_FAILED')).toBe(1);
    expect(tool('execute_sql', 'refused', 'SG_READ_ONLY')).toBe(1);
    expect(tool('execute_sql', 'refused', 'SG_POLICY_DENIED')).toBe(1);
    expect(sampleValue(text, 'sqlgate_tool_call_duration_seconds_count', { environment: 'demo', tool: 'execute_sql', outcome: 'ok' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_tool_result_rows_total', { environment: 'demo', tool: 'execute_sql' })).toBeGreaterThan(0);
    expect(sampleValue(text, 'sqlgate_tool_result_chars_total', { environment: 'demo', tool: 'execute_sql' })).toBeGreaterThan(0);
    expect(sampleValue(text, 'sqlgate_refusals_total', { code: 'SG_POLICY_DENIED', stage: 'tool_call' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_refusals_total', { code: 'SG_RATE_LIMITED', stage: 'http' })).toBe(1);
    // Only the two SELECTs on regions reached the database (list_tables reads the catalog, not through run-query).
    expect(sampleValue(text, 'sqlgate_db_statement_duration_seconds_count', { environment: 'demo', outcome: 'ok' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_db_statement_duration_seconds_count', { environment: 'demo', outcome: 'failed' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_db_pool_max_connections', { environment: 'demo' })).toBe(5);
    expect(sampleValue(text, 'sqlgate_db_pool_connections', { environment: 'demo' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'sqlgate_db_pool_waiting_requests', { environment: 'demo' })).toBe(0);
    expect(sampleValue(text, 'sqlgate_sign_ins_total', { outcome: 'failed' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_sign_ins_total', { outcome: 'ok' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_oauth_tokens_total', { outcome: 'issued' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_oauth_tokens_total', { outcome: 'refused' })).toBe(0);
    // Tool calls and the sign-in events, each one audit record.
    expect(sampleValue(text, 'sqlgate_audit_write_duration_seconds_count', { outcome: 'committed' })).toBeGreaterThanOrEqual(CALLS_PER_MINUTE);
    expect(sampleValue(text, 'sqlgate_http_requests_total', { route: '/:env/mcp', method: 'POST', status: '200' })).toBe(CALLS_PER_MINUTE);
    expect(sampleValue(text, 'sqlgate_http_requests_total', { route: '/:env/mcp', method: 'POST', status: '429' })).toBe(1);
    // The sign-in pages, and the authorization server's own answers (oidc-provider writes those itself).
    expect(sampleValue(text, 'sqlgate_http_requests_total', { route: '/interaction/:uid/login', method: 'POST', status: '401' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_http_requests_total', { route: '/interaction/:uid/login', method: 'POST', status: '303' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_http_requests_total', { route: '/register', method: 'POST', status: '201' })).toBe(2);
    expect(sampleValue(text, 'sqlgate_http_requests_total', { route: '/token', method: 'POST', status: '200' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_build_info')).toBe(1);
    expect(sampleValue(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    // No raw path, user or client in any label.
    expect(text).not.toMatch(/alice|\/demo\/|interaction\/[A-Za-z0-9_-]{10,}/);
  });

  it.skipIf(!hasPrometheusTools())('pass promtool check metrics', async () => {
    const checked = await promtoolCheckMetrics(await scrape());
    expect(checked, checked.output).toEqual({ code: 0, output: '' });
  });

  it('need the token: 401 with a challenge without it or with another', async () => {
    for (const headers of [{}, { authorization: `Bearer ${TOKEN.slice(0, -1)}x` }, { authorization: `Bearer ${accessToken}` }] as Record<string, string>[]) {
      const response = await fetch(`${app.baseUrl}/metrics`, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="sqlgate-metrics"');
      expect(await response.text()).not.toContain('sqlgate_');
    }
  });
});

describe('/ready of a real server', () => {
  it('is 200 with both stores and the databases on loopback, and only the status for other machines', async () => {
    const local = await fetch(`${app.baseUrl}/ready`);
    expect(local.status).toBe(200);
    expect(await local.json()).toMatchObject({
      status: 'ready',
      stores: { audit_store: { status: 'ok' }, state_store: { status: 'ok' } },
      environments: { demo: { status: 'connected' } },
    });
    const outside = await fetch(`${app.baseUrl}/ready`, { headers: { 'x-forwarded-for': '203.0.113.5' } });
    expect(outside.status).toBe(200);
    expect(await outside.json()).toEqual({ status: 'ready' });
  });
});

describe('where metrics are served', () => {
  it('on a listener of their own with metrics.listen (and not on the main port); nowhere without either key', async () => {
    const port = await freePort();
    const listened = await startApp({ metrics: { listen: `127.0.0.1:${port}` }, environments: { small: { database: small.url } } });
    try {
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('sqlgate_build_info');
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(404);
      expect((await fetch(`${listened.baseUrl}/metrics`)).status).toBe(404);
    } finally {
      await listened.stop();
    }
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();

    const off = await startApp({ environments: { small: { database: small.url } } });
    try {
      expect((await fetch(`${off.baseUrl}/metrics`)).status).toBe(404);
      expect((await fetch(`${off.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    } finally {
      await off.stop();
    }
  });

  it('with a token and a listener, the listener wants the token', async () => {
    const port = await freePort();
    const both = await startApp({ metrics: { listen: `127.0.0.1:${port}`, token: TOKEN }, environments: { small: { database: small.url } } });
    try {
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
      expect((await fetch(`${both.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    } finally {
      await both.stop();
    }
  });
});
