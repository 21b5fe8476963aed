/**
 * Checks the audit trail's chain from the first record to the newest: every record in its place (no gap in the
 * sequence), following the one before it (its previous hash is that record's hash), unchanged (its hash is the
 * hash of its own content), and its filter columns true to its content. Stops at the first record that fails.
 *
 * A chain cannot show that its newest records were cut off: the report gives the newest hash, to be kept elsewhere
 * (a ticket, a SIEM) and compared later.
 */
import type { AuditLogStore, AuditRow } from '../store/audit-log-store.js';
import { chainHash, GENESIS_HASH } from './audit-record.js';

export interface AuditVerification {
  readonly records: number;
  readonly newest: { readonly seq: number; readonly hash: string } | null;
  /** The first record that fails, and how; null when the whole chain holds. */
  readonly problem: { readonly seq: number; readonly reason: string } | null;
}

const PAGE = 1_000;

export async function verifyAudit(store: AuditLogStore): Promise<AuditVerification> {
  let previous: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH };
  let records = 0;
  for (;;) {
    const rows = await store.page(previous.seq, PAGE);
    for (const row of rows) {
      const reason = problemOf(row, previous);
      if (reason) return { records, newest: records > 0 ? previous : null, problem: { seq: row.seq, reason } };
      previous = { seq: row.seq, hash: row.hash };
      records++;
    }
    if (rows.length < PAGE) return { records, newest: records > 0 ? previous : null, problem: null };
  }
}

function problemOf(row: AuditRow, previous: { seq: number; hash: string }): string | undefined {
  if (row.seq !== previous.seq + 1) {
    const missing = row.seq - previous.seq - 1;
    return `record${missing > 1 ? `s ${previous.seq + 1} to ${row.seq - 1} are` : ` ${previous.seq + 1} is`} missing (deleted)`;
  }
  if (row.prevHash !== previous.hash) return `it does not follow record ${previous.seq} (records were reordered, replaced or deleted)`;
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
