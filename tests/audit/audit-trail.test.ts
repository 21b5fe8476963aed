/**
 * The audit trail's chain on a real SQLite file: records are appended in one chain (by two writers too), and
 * verification finds the first record that was changed, deleted, reordered or re-labelled behind sqlgate's back.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ToolCallEvent } from '../../src/audit/audit-record.js';
import { AuditTrail } from '../../src/audit/audit-trail.js';
import { verifyAudit } from '../../src/audit/verify-audit.js';
import { openAuditLog } from '../../src/store/open-state-store.js';

let dir: string;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-audit-'));
  file = path.join(dir, 'audit.sqlite');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function event(n: number, overrides: Partial<ToolCallEvent> = {}): ToolCallEvent {
  return {
    kind: 'tool_call', time: `2026-12-07T10:00:${String(n).padStart(2, '0')}.000Z`, request_id: `r${n}`, environment: 'demo',
    user: n % 2 === 0 ? 'alice' : 'bob', via: 'oauth', client_id: 'claude', tool: 'execute_sql', sql: `SELECT ${n}`,
    sql_sha256: null, parameters: {}, verdict: 'allowed', code: null, reason: null, rows: 1, result_chars: 10, truncated: false, ms: 1,
    ...overrides,
  };
}

async function writeRecords(count: number): Promise<void> {
  const trail = new AuditTrail(openAuditLog({ file, recordParameters: true }), true);
  for (let n = 1; n <= count; n++) await trail.record(event(n));
  await trail.close();
}

async function verify() {
  const store = openAuditLog({ file, recordParameters: true });
  try {
    return await verifyAudit(store);
  } finally {
    await store.close();
  }
}

/** Changes the file as someone with write access to it would, outside sqlgate. */
function tamper(sql: string, ...params: unknown[]): void {
  const db = new Database(file);
  db.prepare(sql).run(...params);
  db.close();
}

describe('the audit trail', () => {
  it('chains every record to the one before and verifies whole', async () => {
    await writeRecords(5);
    const result = await verify();
    expect(result.records).toBe(5);
    expect(result.problem).toBeNull();
    expect(result.newest?.seq).toBe(5);
    expect(result.newest?.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is readable by its owner only', async () => {
    await writeRecords(1);
    expect(fs.statSync(file).mode & 0o077).toBe(0);
  });

  it('finds a record whose content was edited', async () => {
    await writeRecords(5);
    tamper("UPDATE audit_records SET payload = replace(payload, 'SELECT 3', 'SELECT 33') WHERE seq = 3");
    expect((await verify()).problem).toEqual({ seq: 3, reason: 'its content was changed after it was written (its hash does not match)' });
  });

  it('finds an edit that was re-hashed, at the record after it', async () => {
    await writeRecords(5);
    const db = new Database(file);
    const row = db.prepare('SELECT payload, prev_hash FROM audit_records WHERE seq = 3').get() as { payload: string; prev_hash: string };
    const { chainHash } = await import('../../src/audit/audit-record.js');
    const payload = row.payload.replace('SELECT 3', 'SELECT 33');
    db.prepare('UPDATE audit_records SET payload = ?, hash = ? WHERE seq = 3').run(payload, chainHash(row.prev_hash, payload));
    db.close();
    expect((await verify()).problem).toEqual({ seq: 4, reason: 'it does not follow record 3 (records were reordered, replaced or deleted)' });
  });

  it('finds a deleted record', async () => {
    await writeRecords(5);
    tamper('DELETE FROM audit_records WHERE seq = 2');
    expect((await verify()).problem).toEqual({ seq: 3, reason: 'record 2 is missing (deleted)' });
  });

  it('finds records put in another order', async () => {
    await writeRecords(5);
    // Swap the contents of records 2 and 3, keeping the sequence numbers.
    const db = new Database(file);
    const [two, three] = db.prepare('SELECT * FROM audit_records WHERE seq IN (2, 3) ORDER BY seq').all() as Record<string, unknown>[];
    const update = db.prepare('UPDATE audit_records SET time = @time, user_name = @user_name, payload = @payload, prev_hash = @prev_hash, hash = @hash WHERE seq = @seq');
    update.run({ ...three, seq: 2 });
    update.run({ ...two, seq: 3 });
    db.close();
    expect((await verify()).problem).toEqual({ seq: 2, reason: 'it does not follow record 1 (records were reordered, replaced or deleted)' });
  });

  it('finds a filter column that no longer says what its record says', async () => {
    await writeRecords(3);
    tamper("UPDATE audit_records SET user_name = 'mallory' WHERE seq = 2");
    expect((await verify()).problem).toEqual({ seq: 2, reason: 'its user column was changed (it says "mallory", the record "alice")' });
  });

  it('keeps one chain when two writers append to one file at once', async () => {
    const first = new AuditTrail(openAuditLog({ file, recordParameters: true }), true);
    const second = new AuditTrail(openAuditLog({ file, recordParameters: true }), true);
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? first : second).record(event(i % 60))));
    await first.close();
    await second.close();
    const result = await verify();
    expect(result).toMatchObject({ records: 40, problem: null });
  });

  it('lists by user, verdict and time, oldest first, the newest N', async () => {
    await writeRecords(6);
    const store = openAuditLog({ file, recordParameters: true });
    try {
      expect((await store.list({ user: 'alice' }, 100)).map((r) => r.seq)).toEqual([2, 4, 6]);
      expect((await store.list({}, 2)).map((r) => r.seq)).toEqual([5, 6]);
      expect((await store.list({ since: '2026-12-07T10:00:03.000Z', until: '2026-12-07T10:00:05.000Z' }, 100)).map((r) => r.seq)).toEqual([3, 4]);
      expect(await store.list({ verdict: 'refused' }, 100)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
