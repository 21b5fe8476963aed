/**
 * The audit trail's chain, on each store backend (a SQLite file, a PostgreSQL database): records are appended in one
 * chain (by two writers too), listed by filter, and verification finds the first record that was changed, deleted,
 * reordered or re-labelled behind sqlgate's back.
 */
import fs from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { chainHash, type ToolCallEvent } from '../../src/audit/audit-record.js';
import { AuditTrail } from '../../src/audit/audit-trail.js';
import { verifyAudit } from '../../src/audit/verify-audit.js';
import { AUDIT_BACKENDS, sqliteAuditBackend } from '../store/audit-log-backends.js';

function event(n: number, overrides: Partial<ToolCallEvent> = {}): ToolCallEvent {
  return {
    kind: 'tool_call', time: `2026-12-07T10:00:${String(n).padStart(2, '0')}.000Z`, request_id: `r${n}`, environment: 'demo',
    user: n % 2 === 0 ? 'alice' : 'bob', via: 'oauth', client_id: n % 3 === 0 ? 'cursor' : 'claude', tool: 'execute_sql', sql: `SELECT ${n}`,
    sql_sha256: null, parameters: {}, verdict: 'allowed', code: null, reason: null, rows: 1, result_chars: 10, truncated: false, ms: 1,
    ...overrides,
  };
}

describe.each(AUDIT_BACKENDS)('the audit trail on $name', ({ setUp }) => {
  const backend = setUp();

  async function writeRecords(count: number): Promise<void> {
    const trail = new AuditTrail(await backend.open(), true);
    for (let n = 1; n <= count; n++) await trail.record(event(n));
  }

  const verify = async () => verifyAudit(await backend.open());

  it('chains every record to the one before and verifies whole', async () => {
    await writeRecords(5);
    const result = await verify();
    expect(result.records).toBe(5);
    expect(result.problem).toBeNull();
    expect(result.newest?.seq).toBe(5);
    expect(result.newest?.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('finds a record whose content was edited', async () => {
    await writeRecords(5);
    await backend.tamper("UPDATE audit_records SET payload = replace(payload, 'SELECT 3', 'SELECT 33') WHERE seq = 3");
    expect((await verify()).problem).toEqual({ seq: 3, reason: 'its content was changed after it was written (its hash does not match)' });
  });

  it('finds an edit that was re-hashed, at the record after it', async () => {
    await writeRecords(5);
    const [row] = await backend.tamper('SELECT payload, prev_hash FROM audit_records WHERE seq = 3') as { payload: string; prev_hash: string }[];
    const payload = row!.payload.replace('SELECT 3', 'SELECT 33');
    await backend.tamper('UPDATE audit_records SET payload = ?, hash = ? WHERE seq = 3', payload, chainHash(row!.prev_hash, payload));
    expect((await verify()).problem).toEqual({ seq: 4, reason: 'it does not follow record 3 (records were reordered, replaced or deleted)' });
  });

  it('finds a deleted record', async () => {
    await writeRecords(5);
    await backend.tamper('DELETE FROM audit_records WHERE seq = 2');
    expect((await verify()).problem).toEqual({ seq: 3, reason: 'record 2 is missing (deleted)' });
  });

  it('finds records put in another order', async () => {
    await writeRecords(5);
    // Swap the contents of records 2 and 3, keeping the sequence numbers.
    const [two, three] = await backend.tamper('SELECT * FROM audit_records WHERE seq IN (2, 3) ORDER BY seq');
    const update = 'UPDATE audit_records SET time = ?, user_name = ?, payload = ?, prev_hash = ?, hash = ? WHERE seq = ?';
    await backend.tamper(update, three!.time, three!.user_name, three!.payload, three!.prev_hash, three!.hash, 2);
    await backend.tamper(update, two!.time, two!.user_name, two!.payload, two!.prev_hash, two!.hash, 3);
    expect((await verify()).problem).toEqual({ seq: 2, reason: 'it does not follow record 1 (records were reordered, replaced or deleted)' });
  });

  it('finds a filter column that no longer says what its record says', async () => {
    await writeRecords(3);
    await backend.tamper("UPDATE audit_records SET user_name = 'mallory' WHERE seq = 2");
    expect((await verify()).problem).toEqual({ seq: 2, reason: 'its user column was changed (it says "mallory", the record "alice")' });
  });

  it('keeps one chain when two writers append to one trail at once', async () => {
    const first = new AuditTrail(await backend.open(), true);
    const second = new AuditTrail(await backend.open(), true);
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? first : second).record(event(i % 60))));
    expect(await verify()).toMatchObject({ records: 40, problem: null });
  });

  it('lists oldest first, the newest N, by each filter', async () => {
    await writeRecords(6);
    const trail = new AuditTrail(await backend.open(), true);
    await trail.record({
      kind: 'auth', time: '2026-12-07T10:00:07.000Z', action: 'sign_in_failed', verdict: 'refused', user: 'carol', client_id: 'claude',
      environment: null, actor: '127.0.0.1', reason: 'wrong password', details: {},
    });
    const store = await backend.open();
    const seqs = async (filter: Parameters<typeof store.list>[0], limit = 100) => (await store.list(filter, limit)).map((r) => r.seq);
    expect(await seqs({})).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await seqs({}, 2)).toEqual([6, 7]);
    expect(await seqs({ user: 'alice' })).toEqual([2, 4, 6]);
    expect(await seqs({ user: 'alice' }, 2)).toEqual([4, 6]);
    expect(await seqs({ kind: 'auth' })).toEqual([7]);
    expect(await seqs({ environment: 'demo' })).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await seqs({ tool: 'execute_sql' })).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await seqs({ verdict: 'refused' })).toEqual([7]);
    expect(await seqs({ client: 'cursor' })).toEqual([3, 6]);
    expect(await seqs({ client: 'claude', user: 'bob' })).toEqual([1, 5]);
    expect(await seqs({ since: '2026-12-07T10:00:03.000Z', until: '2026-12-07T10:00:05.000Z' })).toEqual([3, 4]);
    expect(await seqs({ since: '2026-12-07T10:00:06.000Z' })).toEqual([6, 7]);
    expect(await seqs({ verdict: 'failed' })).toEqual([]);
    const [row] = await store.list({ kind: 'auth' }, 1);
    expect(row).toMatchObject({ seq: 7, kind: 'auth', environment: null, user: 'carol', tool: null, verdict: 'refused' });
  });

  it('reads the chain in pages after a given record', async () => {
    await writeRecords(5);
    const store = await backend.open();
    expect((await store.page(0, 2)).map((r) => r.seq)).toEqual([1, 2]);
    expect((await store.page(3, 100)).map((r) => [r.seq, r.user])).toEqual([[4, 'alice'], [5, 'bob']]);
    expect((await store.page(Number.MIN_SAFE_INTEGER, 1))[0]).toMatchObject({ seq: 1, prevHash: '0'.repeat(64) });
    expect(await store.page(5, 10)).toEqual([]);
  });
});

describe('the audit trail on SQLite', () => {
  const backend = sqliteAuditBackend();

  it('is readable by its owner only', async () => {
    await new AuditTrail(await backend.open(), true).record(event(1));
    expect(fs.statSync(backend.location).mode & 0o077).toBe(0);
  });

  it('answers a record only after the WAL holding it was synced to disk, one sync for the records of one turn', async () => {
    const trail = new AuditTrail(await backend.open(), true);
    const syncs: number[] = [];
    const spy = vi.spyOn(fs, 'fdatasync').mockImplementation(((fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => {
      syncs.push(fd);
      // The sync finishes later: nothing may be answered before it does.
      setTimeout(() => callback(null), 30);
    }) as typeof fs.fdatasync);
    try {
      let answered = 0;
      const records = Array.from({ length: 5 }, (_, i) => trail.record(event(i + 1)).then(() => answered++));
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(syncs).toHaveLength(1);
      expect(answered).toBe(0);
      await Promise.all(records);
      expect(answered).toBe(5);
      expect(syncs).toHaveLength(1);
      expect(fs.readlinkSync(`/proc/self/fd/${syncs[0]}`)).toBe(`${backend.location}-wal`);
    } finally {
      spy.mockRestore();
    }
    expect(await verifyAudit(await backend.open())).toMatchObject({ records: 5, problem: null });
  });

  it('withholds the records of a group whose sync failed', async () => {
    const trail = new AuditTrail(await backend.open(), true);
    const spy = vi.spyOn(fs, 'fdatasync').mockImplementation(((_fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => {
      callback(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    }) as typeof fs.fdatasync);
    try {
      await expect(trail.record(event(1))).rejects.toMatchObject({ code: 'SG_DB_UNAVAILABLE' });
    } finally {
      spy.mockRestore();
    }
  });
});
