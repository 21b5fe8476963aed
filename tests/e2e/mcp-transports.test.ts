/**
 * MCP-level tests with the official client against a real sqlgate serving the demo: Streamable HTTP in both
 * protocol eras, the legacy HTTP+SSE transport, JSON-RPC POSTed to /sse, and the HTTP edge (Origin, Host, size).
 */
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODERN_PROTOCOL_VERSION } from '../../src/mcp/protocol-versions.js';
import { startApp, type RunningApp } from '../support/start-app.js';

let app: RunningApp;

beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app?.stop();
});

type Connect = () => Promise<Client>;

const connections: Record<string, Connect> = {
  'streamable HTTP (2025 initialize)': async () => {
    const client = new Client({ name: 'sqlgate-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${app.baseUrl}/demo/mcp`)));
    expect(client.getNegotiatedProtocolVersion()).toBe('2025-11-25');
    return client;
  },
  'streamable HTTP (2026-07-28 stateless)': async () => {
    const client = new Client({ name: 'sqlgate-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN_PROTOCOL_VERSION } } });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${app.baseUrl}/demo/mcp`)));
    expect(client.getNegotiatedProtocolVersion()).toBe(MODERN_PROTOCOL_VERSION);
    return client;
  },
  'legacy HTTP+SSE (2024-11-05)': async () => {
    const client = new Client({ name: 'sqlgate-test', version: '1.0.0' });
    await client.connect(new SSEClientTransport(new URL(`${app.baseUrl}/demo/sse`)));
    return client;
  },
};

function text(result: { content?: unknown }): string {
  return ((result.content as { type: string; text: string }[]) ?? []).map((c) => c.text).join('\n');
}

describe.each(Object.entries(connections))('%s', (_name, connect) => {
  let client: Client;
  beforeAll(async () => {
    client = await connect();
  });
  afterAll(async () => {
    await client?.close();
  });

  it('lists the built-in tools and the demo\'s own, with schemas and annotations, within budget', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['list_tables', 'describe_table', 'execute_sql', 'get_table_sample', 'revenue_by_category', 'analyze_trends']);
    // Every tools/list costs the model context: the four built-ins stay under 6,000 characters, all six under 11,000.
    expect(JSON.stringify(tools.slice(0, 4)).length).toBeLessThan(6_000);
    expect(JSON.stringify(tools).length).toBeLessThan(11_000);
    for (const tool of tools) {
      expect(tool.description!.length).toBeGreaterThan(20);
      expect(tool.outputSchema).toBeDefined();
      expect(tool.annotations?.readOnlyHint).toBe(true); // the demo is read-only
      expect(tool.annotations?.openWorldHint).toBe(false);
    }
  });

  it('calls every tool', async () => {
    const tables = await client.callTool({ name: 'list_tables', arguments: {} });
    expect(tables.isError).toBeFalsy();
    expect((tables.structuredContent as { count: number }).count).toBe(8);

    const described = await client.callTool({ name: 'describe_table', arguments: { table: 'orders' } });
    expect((described.structuredContent as { primary_key: string[] }).primary_key).toEqual(['order_id']);

    const query = await client.callTool({
      name: 'execute_sql',
      arguments: { query: 'SELECT COUNT(*) AS n FROM customers WHERE state = ?', params: ['CA'] },
    });
    expect(query.isError).toBeFalsy();
    expect((query.structuredContent as { rows: unknown[][] }).rows[0]![0]).toBeGreaterThan(0);

    const sample = await client.callTool({ name: 'get_table_sample', arguments: { table: 'products', limit: 3 } });
    expect((sample.structuredContent as { row_count: number }).row_count).toBe(3);
  });

  it('answers bad arguments with a clear tool error', async () => {
    const result = await client.callTool({ name: 'get_table_sample', arguments: { table: 'products', limit: 5000 } });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/limit/i);

    const missing = await client.callTool({ name: 'execute_sql', arguments: {} });
    expect(missing.isError).toBe(true);
    expect(text(missing)).toMatch(/query/);
  });

  it('answers database errors as tool errors with code and hint', async () => {
    const result = await client.callTool({ name: 'describe_table', arguments: { table: 'custmers' } });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('SG_TABLE_NOT_FOUND');
    expect(text(result)).toContain('customers');

    const write = await client.callTool({ name: 'execute_sql', arguments: { query: 'DELETE FROM orders' } });
    expect(write.isError).toBe(true);
    expect(text(write)).toContain('SG_READ_ONLY');
  });

  it('refuses an unknown tool', async () => {
    const call = client.callTool({ name: 'drop_everything', arguments: {} }).then(
      (result) => (result.isError ? text(result) : 'no error'),
      (err: Error) => err.message,
    );
    expect(await call).toMatch(/drop_everything/);
  });
});

describe('HTTP edge', () => {
  const initialize = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  };
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

  it('serves JSON-RPC POSTed to the seed URL /<env>/sse like Streamable HTTP', async () => {
    const response = await fetch(`${app.baseUrl}/demo/sse`, { method: 'POST', headers, body: JSON.stringify(initialize) });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('"protocolVersion":"2025-06-18"');
  });

  it('refuses a browser Origin that is not allowed (DNS rebinding)', async () => {
    const response = await fetch(`${app.baseUrl}/demo/mcp`, {
      method: 'POST',
      headers: { ...headers, origin: 'http://evil.example' },
      body: JSON.stringify(initialize),
    });
    expect(response.status).toBe(403);
    const allowed = await fetch(`${app.baseUrl}/demo/mcp`, {
      method: 'POST',
      headers: { ...headers, origin: 'http://localhost:6274' },
      body: JSON.stringify(initialize),
    });
    expect(allowed.status).toBe(200);
  });

  it('refuses a Host header that does not name this server', async () => {
    const { request } = await import('node:http');
    const url = new URL(`${app.baseUrl}/demo/mcp`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...headers, host: 'attacker.example' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(initialize));
    });
    expect(status).toBe(403);
  });

  it('refuses an oversized body with 413 and a clear message', async () => {
    const huge = { ...initialize, params: { ...initialize.params, padding: 'x'.repeat(2 * 1_048_576) } };
    const response = await fetch(`${app.baseUrl}/demo/mcp`, { method: 'POST', headers, body: JSON.stringify(huge) });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: 'SG_PAYLOAD_TOO_LARGE' });
  });

  it('limits a body sent without Content-Length (chunked) too, and serves one within the limit', async () => {
    const chunked = (body: string) => new Promise<{ status: number; text: string }>((resolve, reject) => {
      const url = new URL(`${app.baseUrl}/demo/mcp`);
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      });
      req.on('error', (err) => (err.message.includes('EPIPE') || err.message.includes('ECONNRESET') ? resolve({ status: 413, text: '{"error":"SG_PAYLOAD_TOO_LARGE"}' }) : reject(err)));
      const half = Math.floor(body.length / 2);
      req.write(body.slice(0, half));
      req.end(body.slice(half));
    });
    const call = JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'execute_sql', arguments: { query: 'SELECT COUNT(*) AS n FROM customers' } } });
    const served = await chunked(call);
    expect(served.status).toBe(200);
    expect(JSON.parse(served.text).result.structuredContent.row_count).toBe(1);
    const refused = await chunked(JSON.stringify({ ...initialize, params: { ...initialize.params, padding: 'x'.repeat(2 * 1_048_576) } }));
    expect(refused.status).toBe(413);
  });

  it('answers an unknown path with 404 naming the endpoints', async () => {
    const response = await fetch(`${app.baseUrl}/production/mcp`);
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: string; hint: string };
    expect(body.error).toBe('SG_NOT_FOUND');
    expect(body.hint).toContain('/demo/mcp');
  });

  it('answers a browser\'s /favicon.ico with "no icon" (204), not a 404 in its console', async () => {
    const response = await fetch(`${app.baseUrl}/favicon.ico`);
    expect(response.status).toBe(204);
    expect(response.headers.get('cache-control')).toBe('public, max-age=86400');
  });

  it('reports health without secrets', async () => {
    const response = await fetch(`${app.baseUrl}/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, any>;
    expect(body.status).toBe('ok');
    expect(body.protocol_versions).toEqual(expect.arrayContaining([MODERN_PROTOCOL_VERSION, '2025-11-25', '2025-06-18', '2025-03-26']));
    expect(body.environments.demo).toMatchObject({
      dialect: 'SQLite',
      read_only: true,
      database: { status: 'connected' },
      tools: ['list_tables', 'describe_table', 'execute_sql', 'get_table_sample', 'revenue_by_category', 'analyze_trends'],
    });
  });

  it('rejects a legacy SSE post for an unknown session', async () => {
    const response = await fetch(`${app.baseUrl}/demo/messages?sessionId=nope`, { method: 'POST', headers, body: '{}' });
    expect(response.status).toBe(404);
  });
});
