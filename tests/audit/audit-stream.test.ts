/**
 * audit.stream: each committed record goes out as one JSON line — the line `audit list --format jsonl` prints, with
 * the stored seq and hash — to an owner-only file or to standard output; a stream that cannot be written is logged
 * and never fails the call, whose record is safe in the trail.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditJsonLine } from '../../src/audit/audit-json-line.js';
import type { ToolCallEvent } from '../../src/audit/audit-record.js';
import { openAuditStream } from '../../src/audit/audit-stream.js';
import { AuditTrail } from '../../src/audit/audit-trail.js';
import { openAuditTrail } from '../../src/audit/open-audit-trail.js';
import type { AuditConfig } from '../../src/config/schema.js';
import { openAuditLog } from '../../src/store/open-state-store.js';
import { createLogger } from '../../src/telemetry/logger.js';

let dir: string;
let file: string;
let logLines: Record<string, unknown>[];
const logger = () => createLogger('info', { write: (line: string) => void logLines.push(JSON.parse(line)) });

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-audit-stream-'));
  file = path.join(dir, 'audit.sqlite');
  logLines = [];
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function event(n: number): ToolCallEvent {
  return {
    kind: 'tool_call', time: new Date().toISOString(), request_id: `r${n}`, environment: 'demo', user: 'alice', via: 'oauth',
    client_id: 'claude', tool: 'execute_sql', sql: `SELECT ${n} -- a "quoted"\nsecond line`, sql_sha256: null, parameters: { n },
    verdict: 'allowed', code: null, reason: null, rows: 1, result_chars: 10, truncated: false, ms: 1,
  };
}

const config = (stream: AuditConfig['stream']): AuditConfig => ({ store: { kind: 'sqlite', file }, recordParameters: true, retentionSeconds: 365 * 86_400, stream });

async function storedRows() {
  const store = await openAuditLog({ kind: 'sqlite', file });
  try {
    return await store.list({}, 100);
  } finally {
    await store.close();
  }
}

describe('audit.stream to a file', () => {
  it('gets exactly one JSON line per record, with the seq and hash the trail stored', async () => {
    const streamFile = path.join(dir, 'audit.jsonl');
    const trail = await openAuditTrail(config({ kind: 'file', file: streamFile }), logger(), { isPruning: false });
    for (let n = 1; n <= 3; n++) await trail.record(event(n));
    await trail.close();
    const lines = fs.readFileSync(streamFile, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(3);
    const rows = await storedRows();
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>).map((r) => [r.seq, r.hash, r.request_id]))
      .toEqual(rows.map((row) => [row.seq, row.hash, `r${row.seq}`]));
    // The very line `audit list --format jsonl` prints.
    expect(lines.map((l) => `${l}\n`)).toEqual(rows.map(auditJsonLine));
    expect(logLines.filter((l) => (l.level as number) >= 40)).toEqual([]);
  });

  it('creates the file owner-only (0600), and appends to one that exists', async () => {
    const streamFile = path.join(dir, 'audit.jsonl');
    fs.writeFileSync(streamFile, '{"earlier":true}\n', { mode: 0o600 });
    const trail = new AuditTrail(await openAuditLog({ kind: 'sqlite', file }), true, { stream: openAuditStream({ kind: 'file', file: streamFile }, logger(), null) });
    await trail.record(event(1));
    await trail.close();
    expect(fs.readFileSync(streamFile, 'utf8').split('\n')).toHaveLength(3);
    const fresh = path.join(dir, 'fresh.jsonl');
    openAuditStream({ kind: 'file', file: fresh }, logger(), null)!.write('{}\n', 1);
    expect(fs.statSync(fresh).mode & 0o777).toBe(0o600);
  });

  it('logs a file it cannot write, at start and at each record, and the call still succeeds', async () => {
    const nowhere = path.join(dir, 'no-such-folder', 'audit.jsonl');
    const trail = await openAuditTrail(config({ kind: 'file', file: nowhere }), logger(), { isPruning: false });
    expect(logLines).toContainEqual(expect.objectContaining({ level: 50, file: nowhere, msg: 'audit.stream: cannot write the file; records are only in the audit trail until it can' }));
    const row = await trail.record(event(1));
    await trail.close();
    expect(row.seq).toBe(1);
    expect(logLines).toContainEqual(expect.objectContaining({ level: 50, file: nowhere, seq: 1, msg: 'audit.stream: could not write a record (it is in the audit trail)' }));
    expect(fs.existsSync(nowhere)).toBe(false);
    expect((await storedRows()).map((r) => r.seq)).toEqual([1]);
  });

  it('logs a path that is a folder, and the call still succeeds', async () => {
    const trail = await openAuditTrail(config({ kind: 'file', file: dir }), logger(), { isPruning: false });
    await expect(trail.record(event(1))).resolves.toMatchObject({ seq: 1 });
    await trail.close();
    expect(logLines.filter((l) => l.msg === 'audit.stream: could not write a record (it is in the audit trail)')).toHaveLength(1);
  });

  it('gets nothing for a record the trail could not commit', async () => {
    const streamFile = path.join(dir, 'audit.jsonl');
    const store = await openAuditLog({ kind: 'sqlite', file });
    await store.close();
    const trail = new AuditTrail(store, true, { stream: openAuditStream({ kind: 'file', file: streamFile }, logger(), null) });
    await expect(trail.record(event(1))).rejects.toMatchObject({ code: 'SG_DB_UNAVAILABLE' });
    expect(fs.readFileSync(streamFile, 'utf8')).toBe('');
  });
});

describe('audit.stream to standard output', () => {
  it('writes one line per record to the stream it is given', async () => {
    const stdout = new PassThrough();
    let text = '';
    stdout.on('data', (chunk: Buffer) => void (text += chunk.toString()));
    const trail = await openAuditTrail(config({ kind: 'stdout' }), logger(), { stdout, isPruning: false });
    await trail.record(event(1));
    await trail.record(event(2));
    await trail.close();
    expect(text.split('\n').slice(0, -1).map((l) => JSON.parse(l).seq)).toEqual([1, 2]);
  });

  it('logs a broken pipe instead of taking the server down', async () => {
    const stdout = new PassThrough();
    const trail = await openAuditTrail(config({ kind: 'stdout' }), logger(), { stdout, isPruning: false });
    stdout.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    await expect(trail.record(event(1))).resolves.toMatchObject({ seq: 1 });
    await trail.close();
    expect(logLines).toContainEqual(expect.objectContaining({ level: 50, msg: 'audit.stream: cannot write to standard output; records are still in the audit trail' }));
  });

  it('is left out where standard output is not the stream’s (an admin command)', () => {
    expect(openAuditStream({ kind: 'stdout' }, logger(), null)).toBeUndefined();
  });
});
