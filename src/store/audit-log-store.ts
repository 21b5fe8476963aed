/**
 * Where the audit trail's records are kept: an append-only, hash-chained log. The store keeps rows and does the one
 * thing the chain needs from it — reading the last record and appending the next in one transaction, so that two
 * processes appending at once still make one chain. What a record holds and how it is hashed is audit/'s business.
 */

/** One stored record: its place in the chain, a few columns to filter on, and the hashed payload. */
export interface AuditRow {
  /** 1, 2, 3 … with no gaps: a deleted record shows as a gap. */
  readonly seq: number;
  /** ISO 8601, UTC. */
  readonly time: string;
  readonly kind: string;
  readonly environment: string | null;
  readonly user: string | null;
  readonly tool: string | null;
  readonly verdict: string | null;
  /** The record as hashed (canonical JSON); the columns above are copies of its fields. */
  readonly payload: string;
  readonly prevHash: string;
  readonly hash: string;
}

/** What to select: every field optional; `since`/`until` are ISO times (inclusive, exclusive). */
export interface AuditFilter {
  readonly kind?: string;
  readonly environment?: string;
  readonly user?: string;
  readonly tool?: string;
  readonly verdict?: string;
  readonly since?: string;
  readonly until?: string;
}

export interface AuditLogStore {
  /**
   * Appends one record in a transaction that first reads the newest one: `next` gets it (undefined for the first)
   * and returns the row to write, with its hash. Resolves once the record is committed to disk.
   */
  append(next: (previous: Pick<AuditRow, 'seq' | 'hash'> | undefined) => Omit<AuditRow, 'seq'>): Promise<AuditRow>;
  /** The records that match, oldest first, at most `limit` of the newest ones. */
  list(filter: AuditFilter, limit: number): Promise<AuditRow[]>;
  /** Every record from `afterSeq` on (exclusive), oldest first, at most `limit`: verification reads in pages. */
  page(afterSeq: number, limit: number): Promise<AuditRow[]>;
  readonly location: string;
  close(): Promise<void>;
}
