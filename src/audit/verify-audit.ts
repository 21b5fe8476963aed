/**
 * Checks the audit trail's chain from the first record to the newest: every record in its place (no gap in the
 * sequence), following the one before it (its previous hash is that record's hash), unchanged (its hash is the
 * hash of its own content), and its filter columns true to its content. Stops at the first record that fails.
 *
 * Once retention has pruned the oldest records, the chain starts at the anchor they left (the last pruned record's
 * seq and hash) instead of at record 1 with the genesis hash: the first record kept must follow the anchor, so
 * deleting more of the oldest records without moving the anchor, or editing the anchor, still shows.
 *
 * A chain cannot show that its newest records were cut off: the report gives the newest hash, to be kept elsewhere
 * (a ticket, a SIEM) and compared later. Nor can it show that the anchor was moved on together with the records it
 * stands for: the report says through which record and time retention pruned, to compare with audit.retention.
 */
import type { AuditAnchor, AuditLogStore, AuditRow } from '../store/audit-log-store.js';
import { chainHash, GENESIS_HASH } from './audit-record.js';

/** What verification found: how many records hold, the newest, where pruning left off, and the first problem. */
export interface AuditVerification {
  /** How many records were checked (those left after pruning). */
  readonly records: number;
  readonly newest: { readonly seq: number; readonly hash: string } | null;
  /** Where the chain was checked from when retention pruned records up to `pruned.seq`; null when none were. */
  readonly pruned: AuditAnchor | null;
  /** The first record that fails, and how; null when the whole chain holds. */
  readonly problem: { readonly seq: number; readonly reason: string } | null;
}

const PAGE = 1_000;

/** How often verification starts over when retention pruned the very records it was reading (a server pruning). */
const ATTEMPTS = 3;

/** What verification holds the anchor to: it may not have pruned a record younger than the retention. */
export interface VerifyOptions {
  /** audit.retention in seconds; unset: the anchor's age is not checked. */
  readonly retentionSeconds?: number;
  readonly now?: Date;
}

export async function verifyAudit(store: AuditLogStore, options: VerifyOptions = {}): Promise<AuditVerification> {
  for (let attempt = 1; ; attempt++) {
    const anchor = await store.anchor();
    const anchorProblem = anchor && problemOfAnchor(anchor, options);
    if (anchorProblem) return { records: 0, newest: null, pruned: anchor, problem: { seq: anchor.seq, reason: anchorProblem } };
    const result = await verifyFrom(store, anchor);
    if (!result.problem || attempt === ATTEMPTS) return result;
    // A prune between the anchor read and the pages looks like deleted records; a moved anchor says it was one.
    const now = await store.anchor();
    if (now?.seq === anchor?.seq && now?.hash === anchor?.hash) return result;
  }
}

async function verifyFrom(store: AuditLogStore, anchor: AuditAnchor | null): Promise<AuditVerification> {
  let previous: { seq: number; hash: string } = anchor ? { seq: anchor.seq, hash: anchor.hash } : { seq: 0, hash: GENESIS_HASH };
  let records = 0;
  // From the very first row there is, not from the anchor: a record left at or before the anchor is itself a sign.
  let afterSeq = Number.MIN_SAFE_INTEGER;
  const report = (problem: AuditVerification['problem']): AuditVerification => ({ records, newest: records > 0 ? previous : null, pruned: anchor, problem });
  for (;;) {
    const rows = await store.page(afterSeq, PAGE);
    for (const row of rows) {
      const reason = problemOf(row, previous, anchor);
      if (reason) return report({ seq: row.seq, reason });
      previous = { seq: row.seq, hash: row.hash };
      afterSeq = row.seq;
      records++;
    }
    if (rows.length < PAGE) return report(null);
  }
}

/**
 * The anchor is the last pruned record, kept whole: it must hash to what it says (else its time could be made up),
 * and that record must be older than the retention (else records were deleted by hand and the anchor moved on).
 */
function problemOfAnchor(anchor: AuditAnchor, options: VerifyOptions): string | undefined {
  if (chainHash(anchor.prevHash, anchor.payload) !== anchor.hash) {
    return 'the anchor retention left (the last pruned record) was changed: it no longer hashes to what it says';
  }
  let time: unknown;
  try {
    time = (JSON.parse(anchor.payload) as { time?: unknown }).time;
  } catch {
    return 'the anchor retention left is not the JSON it was written as';
  }
  if (time !== anchor.time) return `the anchor's time was changed (it says ${anchor.time}, its record ${String(time)})`;
  if (options.retentionSeconds === undefined) return undefined;
  const limitMs = (options.now ?? new Date()).getTime() - options.retentionSeconds * 1_000;
  if (Date.parse(String(time)) > limitMs) {
    return `retention cannot have pruned it: it is from ${String(time)}, younger than audit.retention, so records up to it were deleted by other means`;
  }
  return undefined;
}

function problemOf(row: AuditRow, previous: { seq: number; hash: string }, anchor: AuditAnchor | null): string | undefined {
  if (anchor && row.seq <= anchor.seq) return `it is still there, yet retention pruned every record up to ${anchor.seq} (the anchor was moved)`;
  if (row.seq <= previous.seq) return `it is out of sequence (it comes after record ${previous.seq})`;
  if (row.seq !== previous.seq + 1) {
    const missing = row.seq - previous.seq - 1;
    return `record${missing > 1 ? `s ${previous.seq + 1} to ${row.seq - 1} are` : ` ${previous.seq + 1} is`} missing (deleted)`;
  }
  if (row.prevHash !== previous.hash) {
    return previous.seq === anchor?.seq
      ? `it does not follow record ${previous.seq}, the last one pruned by retention (the anchor or this record was changed)`
      : `it does not follow record ${previous.seq} (records were reordered, replaced or deleted)`;
  }
  if (chainHash(row.prevHash, row.payload) !== row.hash) return 'its content was changed after it was written (its hash does not match)';
  let content: Record<string, unknown>;
  try {
    content = JSON.parse(row.payload) as Record<string, unknown>;
  } catch {
    return 'its content is not the JSON it was written as';
  }
  for (const [column, field] of [['time', 'time'], ['kind', 'kind'], ['environment', 'environment'], ['user', 'user'], ['tool', 'tool'], ['verdict', 'verdict']] as const) {
    if ((content[field] ?? null) !== row[column]) return `its ${column} column was changed (it says ${JSON.stringify(row[column])}, the record ${JSON.stringify(content[field] ?? null)})`;
  }
  return undefined;
}
