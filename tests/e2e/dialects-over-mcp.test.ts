/**
 * One sqlgate serving every available dialect at once, driven by the official MCP client over Streamable HTTP:
 * list, describe, sample and query each environment, as a real client would.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialectName } from '../../src/db/dialect.js';
import { startApp, type RunningApp } from '../support/start-app.js';
import { createTestDatabase, TEST_DIALECTS, type TestDatabase } from '../support/test-databases.js';
import { fixtureStatements } from '../support/fixture/index.js';

const databases = new Map<DialectName, TestDatabase>();
let app: RunningApp;

beforeAll(async () => {
  for (const dialect of TEST_DIALECTS) databases.set(dialect, await createTestDatabase(dialect, fixtureStatements(dialect)));
  app = await startApp({
    environments: Object.fromEntries([...databases].map(([dialect, db]) => [dialect, { database: db.url, read_only: true, max_rows: 50 }])),
  });
});
afterAll(async () => {
  await app?.stop();
  for (const db of databases.values()) await db.drop();
});

describe.each(TEST_DIALECTS)('MCP client against %s', (dialect) => {
  let client: Client;
  beforeAll(async () => {
    client = new Client({ name: 'dialect-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${app.baseUrl}/${dialect}/mcp`)));
  });
  afterAll(async () => {
    await client?.close();
  });

  it('lists, describes, samples and queries', async () => {
    const tables = await client.callTool({ name: 'list_tables', arguments: { name_contains: 'customer' } });
    expect((tables.structuredContent as { tables: { name: string }[] }).tables.map((t) => t.name)).toEqual(['customer_totals', 'customers']);

    const described = await client.callTool({ name: 'describe_table', arguments: { table: 'orders' } });
    expect((described.structuredContent as { foreign_keys: { other_columns: string[] }[] }).foreign_keys[0]!.other_columns).toEqual(['id']);

    const sample = await client.callTool({ name: 'get_table_sample', arguments: { table: 'customers', limit: 2 } });
    expect((sample.structuredContent as { row_count: number }).row_count).toBe(2);

    const total = await client.callTool({
      name: 'execute_sql',
      arguments: { query: "SELECT COUNT(*) AS n FROM orders WHERE status = 'completed'" },
    });
    expect(total.structuredContent).toMatchObject({ rows: [[3]], truncated: false });

    const capped = await client.callTool({ name: 'execute_sql', arguments: { query: 'SELECT n FROM numbers ORDER BY n' } });
    expect(capped.structuredContent).toMatchObject({ row_count: 50, truncated: true });
  });

  it('reports each environment connected in /health', async () => {
    const health = (await (await fetch(`${app.baseUrl}/health`)).json()) as Record<string, any>;
    expect(health.environments[dialect].database.status).toBe('connected');
  });
});
