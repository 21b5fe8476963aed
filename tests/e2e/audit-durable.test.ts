/**
 * A tool call's audit record is committed before its answer leaves the server: a sqlgate process killed with
 * SIGKILL right after answering still has the record on disk, chained and verifiable. A real server process
 * (dist/main.js serve) and the official client.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolCallEvent } from '../../src/audit/audit-record.js';
import { AuditTrail } from '../../src/audit/audit-trail.js';
import { verifyAudit } from '../../src/audit/verify-audit.js';
import { openAuditLog } from '../../src/store/open-state-store.js';
import { assertBuilt, startServerProcess, type ServerProcess } from '../support/start-server.js';

let dir: string;
let server: ServerProcess;

beforeAll(async () => {
  assertBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-audit-kill-'));
  server = await startServerProcess({ cwd: dir });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the audit trail and a killed server', () => {
  it('keeps the record of every call whose answer was received', async () => {
    const client = new Client({ name: 'audit-kill', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/demo/mcp`)));
    const marker = `kill_${Date.now()}`;
    const answer = await client.callTool({ name: 'execute_sql', arguments: { query: `SELECT COUNT(*) AS ${marker} FROM customers` } });
    expect(answer.isError).toBeFalsy();
    const refused = await client.callTool({ name: 'execute_sql', arguments: { query: 'DROP TABLE customers' } });
    expect(refused.isError).toBe(true);
    // No shutdown, no flush: the process is gone the moment the answers are in.
    process.kill(-server.process.pid!, 'SIGKILL');
    await new Promise((resolve) => server.process.once('exit', resolve));

    const store = await openAuditLog({ kind: 'sqlite', file: path.join(dir, 'data', 'sqlgate-audit.sqlite') });
    try {
      const records = (await store.list({}, 100)).map((row) => JSON.parse(row.payload) as Record<string, unknown>);
      expect(records).toEqual([
        expect.objectContaining({ tool: 'execute_sql', user: 'anonymous', verdict: 'allowed', rows: 1, sql: `SELECT COUNT(*) AS ${marker} FROM customers` }),
        expect.objectContaining({ tool: 'execute_sql', verdict: 'refused', code: 'SG_READ_ONLY', sql: 'DROP TABLE customers' }),
      ]);
      expect(await verifyAudit(store)).toMatchObject({ records: 2, problem: null });
      // The chain goes on where the killed process left it.
      await new AuditTrail(store, true).record({ ...(records[0] as unknown as ToolCallEvent), request_id: 'after-restart' });
      expect(await verifyAudit(store)).toMatchObject({ records: 3, problem: null });
    } finally {
      await store.close();
      await client.close().catch(() => undefined);
    }
  }, 60_000);
});
