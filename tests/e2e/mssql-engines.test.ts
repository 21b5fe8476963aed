/**
 * Issue 11, as a new user met it: a read-only `sqlserver://` environment served over MCP, against a TDS engine that
 * is not Microsoft's. Babelfish (Aurora PostgreSQL's SQL Server compatibility) reports transactions only for
 * transaction-manager requests and answers errors it cannot map as 33557097 with PostgreSQL's wording; before,
 * every list_tables, describe_table, get_table_sample and execute_sql failed there with SG_INTERNAL. The same four
 * tools, and the errors, on a scripted server of each kind (tests/db/mssql/tds-wire-peer.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUSTOMERS_ROWS, serveCatalog } from '../db/mssql/catalog-fixture.js';
import { TdsWirePeer, type TdsScriptError } from '../db/mssql/tds-wire-peer.js';
import { mcpCall } from '../support/oauth-client.js';
import { startApp, type RunningApp } from '../support/start-app.js';

const ENGINES = ['sql-server', 'babelfish'] as const;
const peers = new Map<string, TdsWirePeer>();
let app: RunningApp;

beforeAll(async () => {
  for (const engine of ENGINES) {
    const peer = await TdsWirePeer.start({ engine });
    serveCatalog(peer, {
      listed: () => [
        { schema: 'dbo', name: 'customers', kind: 'table', rows: 1_200 },
        { schema: 'dbo', name: 'orders', kind: 'table', rows: null }, // never analysed: Babelfish's -1, made NULL
      ],
      detailRows: () => CUSTOMERS_ROWS,
    });
    peer
      .answer(/^SELECT TOP \(\d+\) .* FROM \[dbo\]\.\[customers\]/, async (reply) => {
        await reply.columns({ name: 'id', type: 'int' }, { name: 'name', type: 'nvarchar(max)' });
        await reply.row(1, 'Alice Adams');
        await reply.row(2, 'Bob Brown');
      })
      .answer(/^SELECT COUNT\(\*\) AS n FROM customers/, async (reply) => {
        await reply.columns({ name: 'n', type: 'int' });
        await reply.row(1_200);
      })
      .answer(/^SELECT nme FROM customers/, async () => {
        throw Object.assign(new Error('column "nme" does not exist'), { number: 33557097, rollsBack: true }) satisfies TdsScriptError;
      });
    peers.set(engine, peer);
  }
  app = await startApp({
    environments: Object.fromEntries(ENGINES.map((engine) => [
      engine,
      { database: `sqlserver://sa:secret@127.0.0.1:${peers.get(engine)!.port}/master?encrypt=false`, read_only: true },
    ])),
  });
}, 60_000);
afterAll(async () => {
  await app?.stop();
  for (const peer of peers.values()) await peer.close();
});

async function call(environment: string, name: string, args: Record<string, unknown>): Promise<{ isError: boolean; text: string; structured: any }> {
  const response = await mcpCall(`${app.baseUrl}/${environment}/mcp`, undefined, 'tools/call', { name, arguments: args });
  expect(response.status, JSON.stringify(response.body).slice(0, 500)).toBe(200);
  const result = response.body.result;
  return { isError: result?.isError === true, text: String(result?.content?.[0]?.text ?? ''), structured: result?.structuredContent };
}

describe.each(ENGINES)('a read-only SQL Server environment on %s', (engine) => {
  it('lists tables, an unknown estimate never negative', async () => {
    const result = await call(engine, 'list_tables', {});
    expect(result.isError, result.text).toBe(false);
    expect(result.text).toContain('dbo.customers');
    expect(result.text).toContain('dbo.orders');
    expect(result.text).not.toMatch(/-1\b/);
  });

  it('describes a table', async () => {
    const result = await call(engine, 'describe_table', { table: 'customers' });
    expect(result.isError, result.text).toBe(false);
    expect(result.text).toContain('email');
    expect(result.text).toContain('nvarchar(255)');
  });

  it('samples a table', async () => {
    const result = await call(engine, 'get_table_sample', { table: 'customers' });
    expect(result.isError, result.text).toBe(false);
    expect(result.text).toContain('Alice Adams');
  });

  it('runs a query', async () => {
    const result = await call(engine, 'execute_sql', { query: 'SELECT COUNT(*) AS n FROM customers' });
    expect(result.isError, result.text).toBe(false);
    expect(result.text).toContain('1200');
  });

  it("reports the database's error with its number, not a read-only violation, and goes on", async () => {
    const result = await call(engine, 'execute_sql', { query: 'SELECT nme FROM customers' });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/^SG_QUERY_FAILED: SQL Server error 33557097: column "nme" does not exist/);
    expect((await call(engine, 'execute_sql', { query: 'SELECT COUNT(*) AS n FROM customers' })).isError).toBe(false);
  });

  it('refuses a write before it reaches the server', async () => {
    const peer = peers.get(engine)!;
    const received = peer.received.length;
    const result = await call(engine, 'execute_sql', { query: 'DELETE FROM customers' });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/^SG_READ_ONLY: /);
    expect(peer.received.slice(received)).not.toContain('DELETE FROM customers');
  });
});
