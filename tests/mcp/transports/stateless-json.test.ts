/**
 * 2025-era stateless requests are answered with one JSON body when the client accepts JSON (MCP Streamable HTTP
 * allows either), and with the SDK's SSE stream where one is wanted: a caller that asks for progress.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../support/start-app.js';

let app: RunningApp;
beforeAll(async () => {
  app = await startApp();
}, 60_000);
afterAll(async () => {
  await app?.stop();
});

function post(body: unknown, accept = 'application/json, text/event-stream') {
  return fetch(`${app.baseUrl}/demo/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept, 'mcp-protocol-version': '2025-06-18' },
    body: JSON.stringify(body),
  });
}

const countCustomers = (meta?: Record<string, unknown>) => ({
  jsonrpc: '2.0', id: 7, method: 'tools/call',
  params: { name: 'execute_sql', arguments: { query: 'SELECT COUNT(*) AS n FROM customers' }, ...(meta && { _meta: meta }) },
});

describe('answers as JSON', () => {
  it('a tool call from a client that accepts JSON: one JSON-RPC response, no event stream', async () => {
    const response = await post(countCustomers());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { id: number; result: { isError?: boolean; structuredContent: { row_count: number } } };
    expect(body.id).toBe(7);
    expect(body.result.isError).not.toBe(true);
    expect(body.result.structuredContent.row_count).toBe(1);
  });

  it('initialize and tools/list too', async () => {
    const initialize = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } } });
    expect(initialize.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await initialize.json()) as { result: { serverInfo: { name: string } } }).result.serverInfo.name).toBe('sqlgate');
    const list = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(((await list.json()) as { result: { tools: { name: string }[] } }).result.tools.map((t) => t.name)).toContain('execute_sql');
  });

  it('not for a caller that asked for progress, which keeps its stream', async () => {
    const response = await post(countCustomers({ progressToken: 'p1' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await response.text()).toMatch(/^data: .*"row_count":1/m);
  });

  it('refuses, as before, a client that does not accept an event stream', async () => {
    const response = await post(countCustomers(), 'application/json');
    expect(response.status).toBe(406);
  });

  it('ends a call cancelled with notifications/cancelled with 204 and no JSON-RPC response, at once', async () => {
    const started = Date.now();
    const call = post({
      jsonrpc: '2.0', id: 42, method: 'tools/call',
      params: { name: 'execute_sql', arguments: { query: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c' } },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const cancel = await post({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 42, reason: 'stop' } });
    expect(cancel.status).toBe(202);
    const response = await call;
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reads a body that starts with a UTF-8 byte order mark as JSON, as Request#json() does', async () => {
    const response = await fetch(`${app.baseUrl}/demo/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
      body: `\uFEFF${JSON.stringify(countCustomers())}`,
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { result: { structuredContent: { row_count: number } } }).result.structuredContent.row_count).toBe(1);
  });
});
