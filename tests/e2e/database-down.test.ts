/**
 * A database that is down at start does not stop the server: its environment reports down in /health and its
 * tools answer "database unavailable" until it comes back; the other environments keep working.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/start-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-databases.js';

let app: RunningApp;
let missingFile: string;
let spare: TestDatabase;

beforeAll(async () => {
  spare = await createTestDatabase('sqlite', ['CREATE TABLE t (id INTEGER PRIMARY KEY)', 'INSERT INTO t VALUES (1), (2)']);
  missingFile = path.join(path.dirname(spare.url.slice('sqlite:'.length)), 'later.sqlite');
  app = await startApp({
    environments: {
      demo: { database: 'sqlite:./data/demo.sqlite', demo: true },
      later: { database: `sqlite:${missingFile}`, description: 'not there yet' },
      closed_pg: { database: 'postgres://reader:topsecret@127.0.0.1:1/sales', connect_timeout_ms: 1000 },
    },
  });
});
afterAll(async () => {
  await app?.stop();
  await spare?.drop();
});

async function connect(env: string): Promise<Client> {
  const client = new Client({ name: 'down-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${app.baseUrl}/${env}/mcp`)));
  return client;
}

describe('a database that is down', () => {
  it('is reported down in /health while the others are connected, without secrets', async () => {
    const response = await fetch(`${app.baseUrl}/health`);
    const body = (await response.json()) as Record<string, any>;
    expect(body.status).toBe('degraded');
    expect(body.environments.demo.database.status).toBe('connected');
    expect(body.environments.later.database.status).toBe('down');
    expect(body.environments.later.database.error).toContain('cannot be opened');
    expect(body.environments.closed_pg.database.status).toBe('down');
    expect(body.environments.closed_pg.database.failure).toBe('unreachable');
    expect(body.environments.demo.database.failure).toBeUndefined();
    expect(JSON.stringify(body)).not.toContain('topsecret');
    expect(JSON.stringify(body)).not.toContain(missingFile);
  });

  it('answers its tools with SG_DB_UNAVAILABLE and a hint', async () => {
    const client = await connect('later');
    try {
      const result = await client.callTool({ name: 'list_tables', arguments: {} });
      expect(result.isError).toBe(true);
      const text = (result.content as { text: string }[])[0]!.text;
      expect(text).toMatch(/^SG_DB_UNAVAILABLE: /);
      expect(text).not.toContain(missingFile);
    } finally {
      await client.close();
    }
  });

  it('serves again as soon as the database is back', async () => {
    fs.copyFileSync(spare.url.slice('sqlite:'.length), missingFile);
    const client = await connect('later');
    try {
      const result = await client.callTool({ name: 'execute_sql', arguments: { query: 'SELECT COUNT(*) FROM t' } });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ rows: [[2]] });
    } finally {
      await client.close();
    }
  });
});
