/**
 * A bulk DELETE in a writable environment asks the user through MCP elicitation, as Claude Desktop would show it:
 * over stdio (a session with a channel back to the client), with the official client answering.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureStatements } from '../support/fixture/index.js';
import { createTestDatabase, type TestDatabase } from '../support/test-databases.js';

const MAIN = path.resolve(import.meta.dirname, '../../dist/main.js');
let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" (npm test does) before this test.`);
  db = await createTestDatabase('sqlite', fixtureStatements('sqlite'));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-confirm-'));
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), stringify({ log: { level: 'warn' }, environments: { shop: { database: db.url, read_only: false } } }));
});
afterAll(async () => {
  await db?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A client that answers elicitation with `answer`, or (without one) a client that does not support elicitation. */
async function connect(answer?: 'yes' | 'no'): Promise<{ client: Client; questions: string[] }> {
  const questions: string[] = [];
  const client = new Client({ name: 'confirm-test', version: '1' }, answer ? { capabilities: { elicitation: { form: {} } } } : {});
  if (answer) {
    client.setRequestHandler('elicitation/create', async (request) => {
      questions.push(String((request.params as { message: string }).message));
      return answer === 'yes' ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
    });
  }
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [MAIN, 'stdio', '--env', 'shop'], cwd: dir, stderr: 'pipe' }));
  return { client, questions };
}

const text = (result: { content?: unknown }) => ((result.content as { text: string }[]) ?? []).map((c) => c.text).join('\n');

describe('confirming a destructive statement', () => {
  it('does nothing when the user says no', async () => {
    const { client, questions } = await connect('no');
    try {
      const result = await client.callTool({ name: 'execute_sql', arguments: { query: 'DELETE FROM orders' } });
      expect(result.isError).toBe(true);
      expect(text(result)).toContain('declined');
      expect(questions).toHaveLength(1);
      expect(questions[0]).toContain('DELETE FROM orders');
      const left = await client.callTool({ name: 'execute_sql', arguments: { query: 'SELECT COUNT(*) FROM orders' } });
      expect(left.structuredContent).toMatchObject({ rows: [[5]] });
    } finally {
      await client.close();
    }
  });

  it('refuses it when the client cannot be asked, and says so rather than blaming the setting', async () => {
    const { client } = await connect();
    try {
      const result = await client.callTool({ name: 'execute_sql', arguments: { query: 'DELETE FROM orders' } });
      expect(result.isError).toBe(true);
      expect(text(result)).toContain("SG_FORBIDDEN: This statement would destroy data in bulk (DELETE or UPDATE without WHERE, DROP, TRUNCATE) and needs the user's confirmation (destructive_statements: confirm), but this client could not be asked");
      expect(text(result)).toContain('Add a WHERE clause that selects the rows to change, use a client that supports elicitation, or ask the operator to change destructive_statements (confirm | refuse | allow)');
      const left = await client.callTool({ name: 'execute_sql', arguments: { query: 'SELECT COUNT(*) FROM orders' } });
      expect(left.structuredContent).toMatchObject({ rows: [[5]] });
    } finally {
      await client.close();
    }
  });

  it('runs it after an explicit yes', async () => {
    const { client } = await connect('yes');
    try {
      const result = await client.callTool({ name: 'execute_sql', arguments: { query: 'DELETE FROM orders' } });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ rows_affected: 5 });
    } finally {
      await client.close();
    }
  });
});
