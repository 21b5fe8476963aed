/**
 * audit.retention on each store backend (a SQLite file, a PostgreSQL database): pruning deletes the oldest records
 * and leaves an anchor, so what is left still verifies and the next record follows on; and every way of deleting or
 * editing around the anchor behind sqlgate's back is still found.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { chainHash, GENESIS_HASH, type ToolCallEvent } from '../../src/audit/audit-record.js';
import { pruneExpiredRecords, scheduleAuditPruning } from '../../src/audit/audit-retention.js';
import { AuditTrail } from '../../src/audit/audit-trail.js';
import { verifyAudit } from '../../src/audit/verify-audit.js';
import type { AuditRow } from '../../src/store/audit-log-store.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { AUDIT_BACKENDS } from '../store/audit-log-backends.js';

/** Record n happened on day n of December 2026. */
const dayOf = (n: number) => `2026-12-${String(n).padStart(2, '0')}T10:00:00.000Z`;

function event(n: number, time = dayOf(n)): ToolCallEvent {
  return {
    kind: 'tool_call', time, request_id: `r${n}`, environment: 'demo', user: 'alice', via: 'oauth', client_id: 'claude',
    tool: 'execute_sql', sql: `SELECT ${n}`, sql_sha256: null, parameters: {}, verdict: 'allowed', code: null, reason: null,
    rows: 1, result_chars: 10, truncated: false, ms: 1,
  };
}

const days = (count: number) => Array.from({ length: count }, (_, i) => event(i + 1));

describe.each(AUDIT_BACKENDS)('audit.retention on $name', ({ setUp }) => {
  const backend = setUp();

  async function writeRecords(events: ToolCallEvent[]): Promise<void> {
    const trail = new AuditTrail(await backend.open(), true);
    for (const e of events) await trail.record(e);
  }

  const verify = async () => verifyAudit(await backend.open());
  const prune = async (beforeTime: string) => (await backend.open()).prune(beforeTime);
  const list = async () => (await backend.open()).list({}, 100);
  const hashOf = async (seq: number) => ((await backend.tamper('SELECT hash FROM audit_records WHERE seq = ?', seq))[0] as { hash: string }).hash;
  /** Record `seq` as it is stored, as the anchor table's columns. */
  const anchorColumnsOf = async (seq: number) => (await backend.tamper('SELECT seq, hash, time, prev_hash, payload FROM audit_records WHERE seq = ?', seq))[0]!;
  const setAnchorTo = (row: Record<string, unknown>) =>
    backend.tamper('UPDATE audit_anchor SET seq = ?, hash = ?, time = ?, prev_hash = ?, payload = ?', row.seq, row.hash, row.time, row.prev_hash, row.payload);

  describe('pruning', () => {
    it('deletes the records older than the cut-off, keeps an anchor, and the rest still verifies', async () => {
      await writeRecords(days(6));
      const third = await hashOf(3);
      const result = await prune(dayOf(4));
      expect(result).toMatchObject({ pruned: 3, anchor: { seq: 3, hash: third, time: dayOf(3) } });
      const verification = await verify();
      expect(verification).toMatchObject({ records: 3, problem: null, pruned: { seq: 3, hash: third, time: dayOf(3) } });
      expect(verification.newest?.seq).toBe(6);
      expect((await list()).map((r) => r.seq)).toEqual([4, 5, 6]);
    });

    it('prunes nothing, and keeps no anchor, when no record is old enough', async () => {
      await writeRecords(days(3));
      expect(await prune(dayOf(1))).toEqual({ pruned: 0, anchor: null });
      expect(await verify()).toMatchObject({ records: 3, pruned: null, problem: null });
    });

    it('moves the anchor on at each prune', async () => {
      await writeRecords(days(6));
      const fourth = await hashOf(4);
      expect((await prune(dayOf(3))).anchor?.seq).toBe(2);
      expect((await prune(dayOf(5))).anchor).toMatchObject({ seq: 4, hash: fourth, time: dayOf(4) });
      expect(await verify()).toMatchObject({ records: 2, problem: null, pruned: { seq: 4, hash: fourth } });
    });

    it('stops at the first record it keeps, even when a later one is older (clocks of two processes differ)', async () => {
      await writeRecords([event(1), event(2), event(3, dayOf(9)), event(4, dayOf(1)), event(5)]);
      expect((await prune(dayOf(5))).pruned).toBe(2);
      expect(await verify()).toMatchObject({ records: 3, problem: null, pruned: { seq: 2 } });
    });

    it('can prune every record; the next one follows the anchor, and the chain verifies', async () => {
      await writeRecords(days(3));
      const third = await hashOf(3);
      expect(await prune(dayOf(30))).toMatchObject({ pruned: 3, anchor: { seq: 3, hash: third } });
      expect(await verify()).toMatchObject({ records: 0, newest: null, pruned: { seq: 3 }, problem: null });
      await writeRecords([event(4, dayOf(20))]);
      const [row] = await list();
      expect(row).toMatchObject({ seq: 4, prevHash: third });
      expect(await verify()).toMatchObject({ records: 1, newest: { seq: 4 }, problem: null });
    });

    it('prunes in batches, a long trail whole', async () => {
      // Written directly, in one transaction: 12,001 durable commits would make a slow test.
      await writeRecords([event(1)]);
      let previous = await hashOf(1);
      const rows: AuditRow[] = [];
      for (let seq = 2; seq <= 12_001; seq++) {
        const time = seq <= 12_000 ? dayOf(1) : dayOf(2);
        const payload = JSON.stringify({ ...event(1, time), request_id: `r${seq}` }, Object.keys(event(1)).sort());
        const hash = chainHash(previous, payload);
        rows.push({ seq, time, kind: 'tool_call', environment: 'demo', user: 'alice', tool: 'execute_sql', verdict: 'allowed', payload, prevHash: previous, hash });
        previous = hash;
      }
      await backend.insertDirectly(rows);
      expect(await prune(dayOf(2))).toMatchObject({ pruned: 12_000, anchor: { seq: 12_000 } });
      expect(await verify()).toMatchObject({ records: 1, problem: null, pruned: { seq: 12_000 } });
    });
  });

  describe('verification after pruning', () => {
    beforeEach(async () => {
      await writeRecords(days(6));
      await prune(dayOf(3)); // records 1 and 2 go; the anchor is record 2
    });

    it('finds a kept record whose content was edited', async () => {
      await backend.tamper("UPDATE audit_records SET payload = replace(payload, 'SELECT 4', 'SELECT 44') WHERE seq = 4");
      expect((await verify()).problem).toEqual({ seq: 4, reason: 'its content was changed after it was written (its hash does not match)' });
    });

    it('finds a record deleted in the middle', async () => {
      await backend.tamper('DELETE FROM audit_records WHERE seq = 5');
      expect((await verify()).problem).toEqual({ seq: 6, reason: 'record 5 is missing (deleted)' });
    });

    it('finds the record right after the anchor deleted (oldest records deleted without moving the anchor)', async () => {
      await backend.tamper('DELETE FROM audit_records WHERE seq = 3');
      const result = await verify();
      expect(result.problem).toEqual({ seq: 4, reason: 'record 3 is missing (deleted)' });
      expect(result.pruned?.seq).toBe(2);
    });

    it('finds the anchor edited: it no longer hashes to what it says', async () => {
      await backend.tamper(`UPDATE audit_anchor SET hash = '${'f'.repeat(64)}'`);
      expect((await verify()).problem).toEqual({ seq: 2, reason: 'the anchor retention left (the last pruned record) was changed: it no longer hashes to what it says' });
    });

    it('finds the anchor given another time than its record has', async () => {
      await backend.tamper("UPDATE audit_anchor SET time = '2000-01-01T00:00:00.000Z'");
      expect((await verify()).problem).toEqual({ seq: 2, reason: `the anchor's time was changed (it says 2000-01-01T00:00:00.000Z, its record ${dayOf(2)})` });
    });

    it('finds the anchor moved back: records it says were kept are missing', async () => {
      await backend.tamper('UPDATE audit_anchor SET seq = 1');
      expect((await verify()).problem).toEqual({ seq: 3, reason: 'record 2 is missing (deleted)' });
    });

    it('finds the anchor deleted: the records it stood for show as deleted', async () => {
      await backend.tamper('DELETE FROM audit_anchor');
      expect((await verify()).problem).toEqual({ seq: 3, reason: 'records 1 to 2 are missing (deleted)' });
    });

    it('finds the anchor moved on over records that are still there (verify would skip them)', async () => {
      // A faithful copy of record 4 as the anchor: it hashes right, yet records 3 and 4 are still there.
      await setAnchorTo(await anchorColumnsOf(4));
      expect((await verify()).problem).toEqual({ seq: 3, reason: 'it is still there, yet retention pruned every record up to 4 (the anchor was moved)' });
    });

    it('finds recent records deleted by hand behind an anchor moved onto the last of them', async () => {
      // Records 3 and 4 are recent: deleting them and moving the anchor onto record 4, as retention would, is
      // only caught by the anchor's own (re-hashed) time against audit.retention.
      const four = await anchorColumnsOf(4);
      await backend.tamper('DELETE FROM audit_records WHERE seq <= 4');
      await setAnchorTo(four);
      const store = await backend.open();
      // Without the retention, the chain itself holds.
      expect((await verifyAudit(store)).problem).toBeNull();
      const withRetention = await verifyAudit(store, { retentionSeconds: 86_400, now: new Date(Date.parse(dayOf(4)) + 12 * 3_600_000) });
      expect(withRetention.problem).toEqual({ seq: 4, reason: `retention cannot have pruned it: it is from ${dayOf(4)}, younger than audit.retention, so records up to it were deleted by other means` });
    });

    it('finds a record after the anchor re-hashed onto the genesis hash (a forged new start)', async () => {
      const [row] = await backend.tamper('SELECT payload FROM audit_records WHERE seq = 3') as { payload: string }[];
      await backend.tamper('UPDATE audit_records SET prev_hash = ?, hash = ? WHERE seq = 3', GENESIS_HASH, chainHash(GENESIS_HASH, row!.payload));
      expect((await verify()).problem?.seq).toBe(3);
    });
  });

  describe('the pruning schedule', () => {
    it('prunes at start and again at each tick, logs what it pruned, and stops', async () => {
      await writeRecords(days(6));
      const lines: Record<string, unknown>[] = [];
      const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
      const store = await backend.open();
      let now = new Date(dayOf(3));
      const pruning = scheduleAuditPruning(store, { retentionSeconds: 86_400, logger, intervalMs: 10, now: () => now });
      try {
        await expect.poll(() => store.anchor()).toMatchObject({ seq: 1 });
        now = new Date(dayOf(6));
        await expect.poll(() => store.anchor(), { timeout: 2_000 }).toMatchObject({ seq: 4 });
        expect(lines).toContainEqual(expect.objectContaining({ msg: 'audit: pruned records older than audit.retention', pruned: 1, prunedThroughSeq: 1 }));
      } finally {
        await pruning.stop();
      }
      // Records 5 and 6, and the two `audit prune` records the schedule added.
      expect(await verify()).toMatchObject({ records: 4, problem: null });
    });

    it('counts the retention back from now', async () => {
      await writeRecords(days(6));
      const result = await pruneExpiredRecords(await backend.open(), 2 * 86_400, new Date(dayOf(5)));
      expect(result).toMatchObject({ pruned: 2, anchor: { seq: 2 } });
    });

    it('logs a prune that fails, and goes on', async () => {
      const lines: Record<string, unknown>[] = [];
      const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
      const store = await backend.open();
      await store.close(); // every prune now fails
      const pruning = scheduleAuditPruning(store, { retentionSeconds: 86_400, logger, intervalMs: 10 });
      await expect.poll(() => lines.filter((l) => l.msg === 'audit: pruning old records failed; it is tried again within the hour').length).toBeGreaterThan(1);
      await pruning.stop();
    });
  });
});
