/**
 * A bulk DELETE asked over stateless HTTP by a 2026-07-28 client (issue 13): the server cannot send it an
 * elicitation in the middle of the call, so the call answers input_required with the question and a sealed state;
 * the official client puts the question to its elicitation handler and calls again with the answer. A client that
 * cannot show a form is refused, as before.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODERN_PROTOCOL_VERSION } from '../../src/mcp/protocol-versions.js';
import { fixtureStatements } from '../support/fixture/index.js';
import { startApp, type RunningApp } from '../support/start-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-databases.js';

let db: TestDatabase;
let app: RunningApp;

beforeAll(async () => {
  db = await createTestDatabase('sqlite', fixtureStatements('sqlite'));
  app = await startApp({ log: { level: 'warn' }, environments: { shop: { database: db.url, read_only: false } } });
});
afterAll(async () => {
  await app?.stop();
  await db?.drop();
});

/** A 2026-07-28 client that answers the question with `answer`, or (without one) one that cannot show forms. */
async function connect(answer?: 'yes' | 'no'): Promise<{ client: Client; questions: string[] }> {
  const questions: string[] = [];
  const client = new Client({ name: 'confirm-modern-test', version: '1' }, {
    versionNegotiation: { mode: { pin: MODERN_PROTOCOL_VERSION } },
    ...(answer ? { capabilities: { elicitation: { form: {} } } } : {}),
  });
  if (answer) {
    client.setRequestHandler('elicitation/create', async (request) => {
      questions.push(String((request.params as { message: string }).message));
      return answer === 'yes' ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
    });
  }
  await client.connect(new StreamableHTTPClientTransport(new URL(`${app.baseUrl}/shop/mcp`)));
  expect(client.getNegotiatedProtocolVersion()).toBe(MODERN_PROTOCOL_VERSION);
  return { client, questions };
}

const text = (result: { content?: unknown }) => ((result.content as { text: string }[]) ?? []).map((c) => c.text).join('\n');

async function ordersLeft(client: Client): Promise<unknown> {
  const result = await client.callTool({ name: 'execute_sql', arguments: { query: 'SELECT COUNT(*) FROM orders' } });
  return (result.structuredContent as { rows: unknown[][] }).rows[0]![0];
}

describe('confirming a destructive statement over stateless HTTP (2026-07-28)', () => {
  it('does nothing when the user says no', async () => {
    const { client, questions } = await connect('no');
    try {
      const result = await client.callTool({ name: 'execute_sql', arguments: { query: 'DELETE FROM orders' } });
      expect(result.isError).toBe(true);
      expect(text(result)).toContain('declined');
      expect(questions).toHaveLength(1);
      expect(questions[0]).toContain('DELETE FROM orders');
      expect(await ordersLeft(client)).toBe(5);
    } finally {
      await client.close();
    }
  });

  it('refuses it when the client cannot show the question, and says that asking failed', async () => {
    const { client } = await connect();
    try {
      const result = await client.callTool({ name: 'execute_sql', arguments: { query: 'DELETE FROM orders' } });
      expect(result.isError).toBe(true);
      expect(text(result)).toContain('but this client could not be asked');
      expect(await ordersLeft(client)).toBe(5);
    } finally {
      await client.close();
    }
  });

  it('runs it after an explicit yes, asking once', async () => {
    const { client, questions } = await connect('yes');
    try {
      const result = await client.callTool({ name: 'execute_sql', arguments: { query: 'DELETE FROM orders' } });
      expect(result.isError, text(result)).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ rows_affected: 5 });
      expect(questions).toHaveLength(1);
      expect(await ordersLeft(client)).toBe(0);
    } finally {
      await client.close();
    }
  });
});
