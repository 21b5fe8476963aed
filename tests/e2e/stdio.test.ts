/**
 * `sqlgate stdio --env demo` with the official client, as Claude Desktop launches it: a real child process
 * built from dist/ (npm test builds before running tests).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = path.resolve(import.meta.dirname, '../../dist/main.js');
let dir: string;
let client: Client;
let stderr = '';

beforeAll(async () => {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" (npm test does) before this test.`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-stdio-'));
  client = new Client({ name: 'sqlgate-test', version: '1.0.0' });
  const transport = new StdioClientTransport({ command: process.execPath, args: [MAIN, 'stdio', '--env', 'demo'], cwd: dir, stderr: 'pipe' });
  transport.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  await client.connect(transport);
});
afterAll(async () => {
  await client?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('stdio transport', () => {
  it('lists the tools and answers a query', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['list_tables', 'describe_table', 'execute_sql', 'get_table_sample', 'revenue_by_category', 'analyze_trends']);
    const result = await client.callTool({ name: 'execute_sql', arguments: { query: "SELECT COUNT(*) AS n FROM customers WHERE state = 'CA'" } });
    // The demo's data ends when it is made, so its counts follow the clock: compare with the file itself.
    const file = new Database(path.join(dir, 'data', 'demo.sqlite'), { readonly: true });
    const expected = file.prepare("SELECT COUNT(*) FROM customers WHERE state = 'CA'").pluck().get() as number;
    file.close();
    expect(expected).toBeGreaterThan(300);
    expect(result.structuredContent).toMatchObject({ rows: [[expected]], row_count: 1, truncated: false });
  });

  it('says on stderr that it created the demo database', () => {
    expect(stderr).toContain(`sqlgate: created the demo database ${path.join(dir, 'data', 'demo.sqlite')}`);
  });

  it('keeps stdout clean for the protocol (logs go to stderr)', async () => {
    const result = await client.callTool({ name: 'describe_table', arguments: { table: 'nope' } });
    expect(result.isError).toBe(true);
    expect(client.getServerVersion()?.name).toBe('sqlgate');
  });
});
