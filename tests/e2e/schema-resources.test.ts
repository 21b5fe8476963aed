/**
 * Issue 13: an environment's tables as MCP resources (their describe_table text) and the starter prompts, through
 * the official client in both protocol eras; the table/column policy holds for resources as for the tools, reads are
 * audited as the tool calls they are, and the 2026-07-28 list results carry cache hints.
 */
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODERN_PROTOCOL_VERSION } from '../../src/mcp/protocol-versions.js';
import { openAuditLog } from '../../src/store/open-state-store.js';
import { fixtureStatements } from '../support/fixture/index.js';
import { startApp, type RunningApp } from '../support/start-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-databases.js';

let db: TestDatabase;
let app: RunningApp;

beforeAll(async () => {
  db = await createTestDatabase('sqlite', fixtureStatements('sqlite'));
  app = await startApp({
    log: { level: 'warn' },
    environments: { shop: { database: db.url, policy: { deny: ['type_samples', 'customers.email'] } } },
  });
});
afterAll(async () => {
  await app?.stop();
  await db?.drop();
});

const eras = {
  '2025-11-25': {},
  '2026-07-28': { versionNegotiation: { mode: { pin: MODERN_PROTOCOL_VERSION } } },
};

describe.each(Object.entries(eras))('schema resources and prompts (%s)', (era, options) => {
  let client: Client;
  beforeAll(async () => {
    client = new Client({ name: 'resources-test', version: '1' }, options);
    await client.connect(new StreamableHTTPClientTransport(new URL(`${app.baseUrl}/shop/mcp`)));
  });
  afterAll(async () => {
    await client?.close();
  });

  it('lists a resource per table the caller may see, and none the policy hides', async () => {
    const { resources } = await client.listResources();
    const names = resources.filter((r) => r.uri.startsWith('sqlgate://')).map((r) => r.name);
    expect(names).toEqual(['customers', 'numbers', 'orders']);
    expect(names).not.toContain('type_samples');
    expect(resources.find((r) => r.name === 'orders')).toMatchObject({ uri: 'sqlgate://shop/tables/orders', mimeType: 'text/plain' });
  });

  it('reads a table as describe_table describes it, without the columns the policy denies', async () => {
    const { contents } = await client.readResource({ uri: 'sqlgate://shop/tables/customers' });
    const text = (contents[0] as { text: string }).text;
    expect(text.split('\n')[0]).toBe('table customers');
    expect(text).toContain('  name ');
    expect(text).not.toContain('email');
  });

  it('records a read in the audit trail as the describe_table it is', async () => {
    await client.readResource({ uri: 'sqlgate://shop/tables/orders' });
    const audit = await openAuditLog({ kind: 'sqlite', file: path.join(app.dir, 'data', 'sqlgate-audit.sqlite') });
    try {
      const records = (await audit.list({}, 10_000)).map((row) => JSON.parse(row.payload) as Record<string, unknown>);
      expect(records.filter((r) => r.tool === 'describe_table' && JSON.stringify(r).includes('"orders"')).length).toBeGreaterThan(0);
      expect(records.some((r) => r.tool === 'list_tables')).toBe(true);
    } finally {
      await audit.close();
    }
  });

  it('reads a hidden or unknown table as not found', async () => {
    for (const uri of ['sqlgate://shop/tables/type_samples', 'sqlgate://shop/tables/no_such_table']) {
      await expect(client.readResource({ uri })).rejects.toThrow(/not found/i);
    }
  });

  it('gives 2026-07-28 clients cache hints: the caller\'s own resources briefly, the same prompts for longer', async () => {
    const resources = (await client.listResources()) as { ttlMs?: number; cacheScope?: string };
    const prompts = (await client.listPrompts()) as { ttlMs?: number; cacheScope?: string };
    if (era === '2026-07-28') {
      expect([resources.ttlMs, resources.cacheScope]).toEqual([60_000, 'private']);
      expect([prompts.ttlMs, prompts.cacheScope]).toEqual([300_000, 'public']);
    } else {
      expect([resources.ttlMs, prompts.ttlMs]).toEqual([undefined, undefined]);
    }
  });

  it('links the tools that answer rows to the MCP Apps result view, and serves the view', async () => {
    const { tools } = await client.listTools();
    const linked = tools.filter((t) => (t._meta as { ui?: { resourceUri?: string } } | undefined)?.ui?.resourceUri === 'ui://sqlgate/result').map((t) => t.name);
    expect(linked).toEqual(['execute_sql', 'get_table_sample']);
    const { contents } = await client.readResource({ uri: 'ui://sqlgate/result' });
    const view = contents[0] as { mimeType: string; text: string };
    expect(view.mimeType).toBe('text/html;profile=mcp-app');
    expect(view.text).toContain('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; script-src \'sha256-');
  });

  it('offers the starter prompts, the business question filled in', async () => {
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['explore_database', 'answer_business_question']);
    const { messages } = await client.getPrompt({ name: 'answer_business_question', arguments: { question: 'Which state orders most?' } });
    const text = (messages[0]!.content as { text: string }).text;
    expect(text).toContain('Answer this question from the shop database (SQLite, read-only): Which state orders most?');
    expect(text).toContain('execute_sql');
  });
});

describe('the demo', () => {
  it('offers its own sample questions as a prompt', async () => {
    const demo = await startApp();
    const client = new Client({ name: 'demo-prompts', version: '1' });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(`${demo.baseUrl}/demo/mcp`)));
      const { prompts } = await client.listPrompts();
      expect(prompts.map((p) => p.name)).toContain('demo_questions');
      const { messages } = await client.getPrompt({ name: 'demo_questions', arguments: { question: 'top 10 customers by revenue' } });
      expect((messages[0]!.content as { text: string }).text).toContain('answer: top 10 customers by revenue');
    } finally {
      await client.close();
      await demo.stop();
    }
  });
});
