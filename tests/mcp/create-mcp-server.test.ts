/** Every tool call leaves one audit line naming who ran what: the user and client from the token, or anonymous. */
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditTrail } from '../../src/audit/audit-trail.js';
import { openAuditLog } from '../../src/store/open-state-store.js';
import type { Environment } from '../../src/environments/environment.js';
import type { Identity } from '../../src/environments/identity.js';
import { runQuery } from '../../src/db/run-query.js';
import { createMcpServerFactory } from '../../src/mcp/create-mcp-server.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { parseEnvironmentConfig } from '../../src/config/load.js';
import { ALL_TOOLS } from '../../src/tools/all-tools.js';
import { toolsForEnvironment } from '../../src/tools/environment-tools.js';
import type { ToolDefinition } from '../../src/tools/tool.js';
import { createTestDatabase, openEnvironment, type TestDatabase } from '../support/test-databases.js';

let database: TestDatabase;
let environment: Environment; // reassigned by the tests of a writable environment

beforeAll(async () => {
  database = await createTestDatabase('sqlite', ['CREATE TABLE t (x INTEGER)', 'INSERT INTO t VALUES (1), (2)']);
  environment = await openEnvironment('audit', database.url);
});

afterAll(async () => {
  await environment?.dialect.close();
  await database?.drop();
});

async function callAndCapture(identity: Identity | undefined, query: string): Promise<Record<string, unknown>[]> {
  return callToolAndCapture(identity, ALL_TOOLS, 'execute_sql', { query });
}

async function callToolAndCapture(identity: Identity | undefined, tools: readonly ToolDefinition[], name: string, args: Record<string, unknown>, audit?: AuditTrail): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
  const factory = createMcpServerFactory(environment, tools, logger.child({ environment: 'audit' }), audit);
  const authInfo = identity ? { token: 't', clientId: identity.clientId ?? identity.user, scopes: [...identity.scopes], extra: { identity } } : undefined;
  const server = await factory({ era: 'legacy' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  // As http/ does for each request: every message carries the caller's verified authInfo.
  const send = clientSide.send.bind(clientSide);
  clientSide.send = (message, options) => send(message, { ...options, authInfo });
  await server.connect(serverSide);
  const client = new Client({ name: 'audit-test', version: '1.0.0' });
  await client.connect(clientSide);
  await client.callTool({ name, arguments: args });
  await client.close();
  return lines.filter((l) => l.audit === true);
}

describe('audit', () => {
  it('names the user, their client and how they signed in, with the SQL, for a call that succeeds and one that fails', async () => {
    const identity: Identity = { user: 'alice', clientId: 'claude-client', via: 'oauth', environment: 'audit', canWrite: false, scopes: ['sql:read'] };
    const [ok] = await callAndCapture(identity, 'SELECT count(*) FROM t');
    expect(ok).toMatchObject({ environment: 'audit', tool: 'execute_sql', user: 'alice', client: 'claude-client', via: 'oauth', outcome: 'ok', input: { query: 'SELECT count(*) FROM t' } });
    const [failed] = await callAndCapture(identity, 'DELETE FROM t');
    expect(failed).toMatchObject({ user: 'alice', outcome: 'error', code: 'SG_READ_ONLY', input: { query: 'DELETE FROM t' } });
  });

  it('records the statement a configured tool ran, with its markers, besides its arguments', async () => {
    const config = parseEnvironmentConfig('audit', {
      database: database.url,
      tools: {
        above: { description: 'Rows above a number', parameters: { n: { type: 'integer', description: 'N' } }, sql: 'SELECT x FROM t WHERE x > :n' },
        broken: { description: 'Names a column t lacks', parameters: { n: { type: 'integer', description: 'N' } }, sql: 'SELECT nope FROM t WHERE x > :n' },
      },
    }, process.cwd());
    const tools = toolsForEnvironment({ ...environment, config });
    const [ok] = await callToolAndCapture(undefined, tools, 'above', { n: 1 });
    expect(ok).toMatchObject({ tool: 'above', outcome: 'ok', input: { n: 1 }, sql: 'SELECT x FROM t WHERE x > ?' });
    const [failed] = await callToolAndCapture(undefined, tools, 'broken', { n: 1 });
    expect(failed).toMatchObject({ tool: 'broken', outcome: 'error', code: 'SG_QUERY_FAILED', sql: 'SELECT nope FROM t WHERE x > ?' });
  });

  it('gives the log line and the audit record one request id, and keeps a configured tool\'s query parameter', async () => {
    const config = parseEnvironmentConfig('audit', {
      database: database.url,
      tools: { search: { description: 'Rows equal to a number', parameters: { query: { type: 'integer', description: 'Q' } }, sql: 'SELECT x FROM t WHERE x = :query' } },
    }, process.cwd());
    const tools = toolsForEnvironment({ ...environment, config });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-mcp-audit-'));
    const trail = new AuditTrail(await openAuditLog({ kind: 'sqlite', file: path.join(dir, 'audit.sqlite') }), true);
    try {
      const [line] = await callToolAndCapture(undefined, tools, 'search', { query: 2 }, trail);
      const store = await openAuditLog({ kind: 'sqlite', file: path.join(dir, 'audit.sqlite') });
      const [record] = (await store.list({}, 10)).map((r) => JSON.parse(r.payload) as Record<string, unknown>);
      await store.close();
      expect(line!.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(record).toMatchObject({ request_id: line!.requestId, tool: 'search', sql: 'SELECT x FROM t WHERE x = ?', parameters: { query: 2 } });
    } finally {
      await trail.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('records a change of data before it runs (started), then its outcome under the same request id; a read gets one record', async () => {
    const writable = await openEnvironment('audit', database.url, { read_only: false });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-mcp-audit-'));
    const file = path.join(dir, 'audit.sqlite');
    const trail = new AuditTrail(await openAuditLog({ kind: 'sqlite', file }), true);
    const previous = environment;
    environment = writable;
    try {
      await callToolAndCapture(undefined, ALL_TOOLS, 'execute_sql', { query: 'UPDATE t SET x = x WHERE x = 1' }, trail);
      await callToolAndCapture(undefined, ALL_TOOLS, 'execute_sql', { query: 'SELECT count(*) FROM t' }, trail);
      const store = await openAuditLog({ kind: 'sqlite', file });
      const records = (await store.list({}, 10)).map((r) => JSON.parse(r.payload) as Record<string, unknown>);
      await store.close();
      expect(records.map((r) => [r.verdict, r.sql])).toEqual([
        ['started', 'UPDATE t SET x = x WHERE x = 1'],
        ['allowed', 'UPDATE t SET x = x WHERE x = 1'],
        ['allowed', 'SELECT count(*) FROM t'],
      ]);
      expect(records[0]!.request_id).toBe(records[1]!.request_id);
    } finally {
      environment = previous;
      await trail.close();
      await writable.dialect.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs no change of data whose started record cannot be written', async () => {
    const writable = await openEnvironment('audit', database.url, { read_only: false });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-mcp-audit-'));
    const trail = new AuditTrail(await openAuditLog({ kind: 'sqlite', file: path.join(dir, 'audit.sqlite') }), true);
    await trail.close(); // every record now fails
    const previous = environment;
    environment = writable;
    try {
      const [line] = await callToolAndCapture(undefined, ALL_TOOLS, 'execute_sql', { query: 'DELETE FROM t WHERE x = 2' }, trail);
      expect(line).toMatchObject({ outcome: 'error' });
      const count = await callToolAndCapture(undefined, ALL_TOOLS, 'execute_sql', { query: 'SELECT count(*) AS n FROM t WHERE x = 2' });
      expect(count[0]).toMatchObject({ outcome: 'ok' });
      const check = await openEnvironment('audit', database.url);
      const rows = await runQuery(check.dialect, { sql: 'SELECT count(*) FROM t WHERE x = 2', params: [], readOnly: true, maxRows: 1, timeoutMs: 5_000, maxBinaryBytes: 0 });
      await check.dialect.close();
      expect(rows.rows).toEqual([[1]]);
    } finally {
      environment = previous;
      await writable.dialect.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says anonymous where nobody signs in', async () => {
    const [line] = await callAndCapture(undefined, 'SELECT 1');
    expect(line).toMatchObject({ user: 'anonymous', outcome: 'ok' });
  });
});
