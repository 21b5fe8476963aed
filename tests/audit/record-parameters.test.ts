/**
 * environments.<name>.audit.record_parameters: one trail, three environments; the one that turns it off records no
 * arguments for its calls, the one that turns it on records them, and the third follows audit.record_parameters.
 * Driven through the MCP server as a client calls it.
 */
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditTrail } from '../../src/audit/audit-trail.js';
import type { Environment } from '../../src/environments/environment.js';
import { createMcpServerFactory } from '../../src/mcp/create-mcp-server.js';
import { openAuditLog } from '../../src/store/open-state-store.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { toolsForEnvironment } from '../../src/tools/environment-tools.js';
import { createTestDatabase, openEnvironment, type TestDatabase } from '../support/test-databases.js';

let database: TestDatabase;
let dir: string;
/** hr turns record_parameters off, ops on; sales follows audit.record_parameters. */
const environments: Environment[] = [];

beforeAll(async () => {
  database = await createTestDatabase('sqlite', ['CREATE TABLE t (x INTEGER)', 'INSERT INTO t VALUES (1), (2)']);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-record-parameters-'));
  const tools = { above: { description: 'Rows above a number', parameters: { n: { type: 'integer', description: 'N' } }, sql: 'SELECT x FROM t WHERE x > :n' } };
  environments.push(await openEnvironment('hr', database.url, { tools, audit: { record_parameters: false } }));
  environments.push(await openEnvironment('sales', database.url, { tools }));
  environments.push(await openEnvironment('ops', database.url, { tools, audit: { record_parameters: true } }));
});

afterAll(async () => {
  for (const environment of environments) await environment.dialect.close();
  await database?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function call(environment: Environment, audit: AuditTrail, name: string, args: Record<string, unknown>): Promise<void> {
  const factory = createMcpServerFactory(environment, toolsForEnvironment(environment), createLogger('silent'), audit);
  const server = await factory({ era: 'legacy' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'record-parameters-test', version: '1.0.0' });
  await client.connect(clientSide);
  await client.callTool({ name, arguments: args });
  await client.close();
}

/** Calls a configured tool and execute_sql in every environment, on a trail with this audit.record_parameters. */
async function recordedParameters(recordParameters: boolean): Promise<unknown[][]> {
  const file = path.join(dir, `audit-${recordParameters}.sqlite`);
  const trail = new AuditTrail(await openAuditLog({ kind: 'sqlite', file }), recordParameters);
  try {
    for (const environment of environments) {
      await call(environment, trail, 'above', { n: 1 });
      await call(environment, trail, 'execute_sql', { query: 'SELECT x FROM t WHERE x = ?', params: [2] });
    }
  } finally {
    await trail.close();
  }
  const store = await openAuditLog({ kind: 'sqlite', file });
  try {
    return (await store.list({}, 10)).map((r) => JSON.parse(r.payload) as Record<string, unknown>).map((r) => [r.environment, r.tool, r.verdict, r.sql, r.parameters]);
  } finally {
    await store.close();
  }
}

describe('environments.<name>.audit.record_parameters', () => {
  it('keeps one environment\'s arguments out of the trail while the others record them (audit.record_parameters: true)', async () => {
    expect(await recordedParameters(true)).toEqual([
      ['hr', 'above', 'allowed', 'SELECT x FROM t WHERE x > ?', null],
      ['hr', 'execute_sql', 'allowed', 'SELECT x FROM t WHERE x = ?', null],
      ['sales', 'above', 'allowed', 'SELECT x FROM t WHERE x > ?', { n: 1 }],
      ['sales', 'execute_sql', 'allowed', 'SELECT x FROM t WHERE x = ?', { params: [2] }],
      ['ops', 'above', 'allowed', 'SELECT x FROM t WHERE x > ?', { n: 1 }],
      ['ops', 'execute_sql', 'allowed', 'SELECT x FROM t WHERE x = ?', { params: [2] }],
    ]);
  });

  it('records one environment\'s arguments while the others keep them out (audit.record_parameters: false)', async () => {
    expect((await recordedParameters(false)).map(([environment, tool, , , parameters]) => [environment, tool, parameters])).toEqual([
      ['hr', 'above', null],
      ['hr', 'execute_sql', null],
      ['sales', 'above', null],
      ['sales', 'execute_sql', null],
      ['ops', 'above', { n: 1 }],
      ['ops', 'execute_sql', { params: [2] }],
    ]);
  });
});
