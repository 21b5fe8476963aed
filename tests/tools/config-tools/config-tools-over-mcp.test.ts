/**
 * Configured tools as an MCP client sees them, on a real sqlgate (in-process, auth none) serving the demo made with
 * a fixed clock: tools/list with their input schemas and annotations, tools/call with structured rows and the
 * trend summary, and an environment that switched execute_sql off.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoToolsRaw } from '../../../src/config/demo-tools.js';
import { ensureDemoDatabase } from '../../../src/demo/ensure-demo.js';
import { startApp, type RunningApp } from '../../support/start-app.js';

const NOW_MS = Date.UTC(2026, 11, 7, 11, 31, 0);

let dataDir: string;
let app: RunningApp;
const clients: Client[] = [];

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-config-tools-mcp-'));
  const file = path.join(dataDir, 'demo.sqlite');
  expect(await ensureDemoDatabase(file, { nowMs: NOW_MS })).toBe(true);
  app = await startApp({
    log: { level: 'silent' },
    environments: {
      demo: { database: `sqlite:${file}`, demo: true, read_only: true, tools: demoToolsRaw() },
      locked: { database: `sqlite:${file}`, read_only: true, tools: { execute_sql: false } },
    },
  });
});
afterAll(async () => {
  for (const client of clients) await client.close();
  await app?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

async function connect(environment: string): Promise<Client> {
  const client = new Client({ name: 'config-tools-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${app.baseUrl}/${environment}/mcp`)));
  clients.push(client);
  return client;
}

function textOf(result: { content?: unknown }): string {
  return ((result.content ?? []) as { type: string; text?: string }[]).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

describe('configured tools over MCP', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connect('demo');
  });

  it('lists them with their input schemas and read-only annotations', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['list_tables', 'describe_table', 'execute_sql', 'get_table_sample', 'revenue_by_category', 'analyze_trends']);

    const revenue = tools.find((t) => t.name === 'revenue_by_category')!;
    const configured = demoToolsRaw() as Record<string, { description: string; parameters: Record<string, { description: string }> }>;
    expect(revenue.description).toBe(configured.revenue_by_category!.description);
    expect(revenue.title).toBe('Revenue by category');
    expect(revenue.annotations).toEqual({ readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false });
    const revenueSchema = revenue.inputSchema as { properties: Record<string, { type?: string; description?: string }>; required?: string[] };
    expect(Object.keys(revenueSchema.properties)).toEqual(['from', 'to']);
    expect(revenueSchema.properties.from).toMatchObject({ type: 'string', description: configured.revenue_by_category!.parameters.from!.description });
    expect(revenueSchema.properties.to).toMatchObject({ type: 'string', description: configured.revenue_by_category!.parameters.to!.description });
    expect([...(revenueSchema.required ?? [])].sort()).toEqual(['from', 'to']);

    const trends = tools.find((t) => t.name === 'analyze_trends')!;
    const trendsSchema = trends.inputSchema as { properties: Record<string, { type?: string; default?: unknown; description?: string; minimum?: number; maximum?: number }>; required?: string[] };
    expect(Object.keys(trendsSchema.properties)).toEqual(['table', 'date_column', 'value_column', 'days', 'from', 'to']);
    expect(trendsSchema.properties.days).toMatchObject({ type: 'integer', default: 90, minimum: 2, maximum: 1000 });
    const trendParameters = configured.analyze_trends!.parameters;
    expect(trendsSchema.properties.days!.description).toBe(trendParameters.days!.description);
    expect(trendsSchema.properties.table!.description).toBe(`${trendParameters.table!.description} (a table name)`);
    expect(trendsSchema.properties.date_column!.description).toBe(`${trendParameters.date_column!.description} (a column of table)`);
    expect([...(trendsSchema.required ?? [])].sort()).toEqual(['date_column', 'table', 'value_column']);
    expect(trends.annotations).toMatchObject({ readOnlyHint: true });
    expect(trends.outputSchema).toBeDefined();
  });

  it('answers revenue_by_category with structured rows', async () => {
    const result = await client.callTool({ name: 'revenue_by_category', arguments: { from: '2024-10-01', to: '2025-01-01' } });
    expect(result.isError).toBeFalsy();
    const structured = result.structuredContent as { columns: { name: string }[]; rows: unknown[][]; row_count: number };
    expect(structured.columns.map((c) => c.name)).toEqual(['category', 'revenue', 'orders']);
    expect(structured.rows[0]).toEqual(['Electronics', 344033.55, 981]);
    expect(structured.rows.at(-1)).toEqual(['Books', 19467.27, 665]);
    expect(structured.row_count).toBe(8);
  });

  it('answers analyze_trends with rows and the summary, in structured content and in the text', async () => {
    const result = await client.callTool({ name: 'analyze_trends', arguments: { table: 'orders', date_column: 'ordered_at', value_column: 'total_amount', days: 30 } });
    expect(result.isError).toBeFalsy();
    const structured = result.structuredContent as { rows: [string, number][]; summary: { days: number; first_day: string; last_day: string; total: number } };
    expect(structured.rows).toHaveLength(30);
    expect(structured.summary).toMatchObject({ days: 30, first_day: '2026-11-07', last_day: '2026-12-06' });
    expect(Math.round(structured.summary.total * 100)).toBe(structured.rows.reduce((s, r) => s + Math.round(r[1] * 100), 0));
    expect(textOf(result)).toMatch(/^Summary of total over 30 days \(2026-11-07 to 2026-12-06\)/);
  });

  it('answers a table that does not exist as a tool error naming the closest tables', async () => {
    const result = await client.callTool({ name: 'analyze_trends', arguments: { table: 'order', date_column: 'ordered_at', value_column: 'total_amount' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('SG_TABLE_NOT_FOUND');
    expect(textOf(result)).toContain('Closest existing tables: orders, order_items.');
  });

  it('refuses arguments outside the input schema', async () => {
    const outcome = await client.callTool({ name: 'analyze_trends', arguments: { table: 'orders', date_column: 'ordered_at', value_column: 'total_amount', days: 1 } }).then(
      (result) => (result.isError ? textOf(result) : 'no error'),
      (err: Error) => err.message,
    );
    expect(outcome).toContain('Invalid arguments for tool analyze_trends: days: Too small: expected number to be >=2');
  });
});

describe('an environment with execute_sql switched off', () => {
  it('does not list it, and refuses a call to it', async () => {
    const client = await connect('locked');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['list_tables', 'describe_table', 'get_table_sample']);
    const outcome = await client.callTool({ name: 'execute_sql', arguments: { query: 'SELECT 1' } }).then(
      (result) => (result.isError ? textOf(result) : 'no error'),
      (err: Error) => err.message,
    );
    expect(outcome).toContain('Tool execute_sql not found');
    expect(app.sqlgate.tools('locked').map((t) => t.name)).toEqual(['list_tables', 'describe_table', 'get_table_sample']);
  });

  it('is what /health lists for each environment', async () => {
    const health = (await (await fetch(`${app.baseUrl}/health`)).json()) as { environments: Record<string, { tools: string[] }> };
    expect(health.environments.locked!.tools).toEqual(['list_tables', 'describe_table', 'get_table_sample']);
    expect(health.environments.demo!.tools).toEqual(['list_tables', 'describe_table', 'execute_sql', 'get_table_sample', 'revenue_by_category', 'analyze_trends']);
  });
});
