/**
 * One audit record as a JSON object — its place in the chain, every field of its payload, its hash — and as one
 * line of JSON Lines: what `sqlgate audit list --format jsonl` prints and what audit.stream writes, so that a SIEM
 * and the stored trail can be compared record for record.
 */
import type { AuditRow } from '../store/audit-log-store.js';

/** `{"seq":…, …payload, "hash":…}`, generic over every kind of event. */
export function auditJsonObject(row: AuditRow): Record<string, unknown> {
  return { seq: row.seq, ...(JSON.parse(row.payload) as Record<string, unknown>), hash: row.hash };
}

/** The record as one line of JSON, newline included (JSON.stringify escapes any line break inside a value). */
export function auditJsonLine(row: AuditRow): string {
  return `${JSON.stringify(auditJsonObject(row))}\n`;
}
