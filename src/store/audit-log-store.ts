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
  /** The OAuth client (the record's client_id). */
  readonly client?: string;
  readonly since?: string;
  readonly until?: string;
}

/**
 * Where the chain picks up after retention pruned its oldest records: the last pruned record's place and hash (the
 * next record's previous hash), and its time. Written in the same transaction as the deletion it stands for.
 */
/**
 * Where the chain starts once retention pruned its oldest records: the last pruned record, kept whole (its payload
 * and previous hash), so that verification can re-hash it and trust the time it holds — an anchor moved onto a
 * recent record, to hide deleting it with its predecessors, then shows as pruned too young.
 */
export interface AuditAnchor {
  readonly seq: number;
  readonly hash: string;
  /** ISO 8601, UTC: the last pruned record's time (a copy of its payload's). */
  readonly time: string;
  readonly prevHash: string;
  readonly payload: string;
}

/** What one prune did: how many records went, and the anchor as it now stands (null: nothing was ever pruned). */
export interface AuditPruneResult {
  readonly pruned: number;
  readonly anchor: AuditAnchor | null;
}

/** The audit trail's storage: append in a chain, read back by filter or in order, and prune by age. */
export interface AuditLogStore {
  /**
   * Appends one record in a transaction that first reads the newest one: `next` gets it (or, when every record was
   * pruned, the anchor; undefined for the very first) and returns the row to write, with its hash. Resolves once
   * the record is committed to disk.
   */
  append(next: (previous: Pick<AuditRow, 'seq' | 'hash'> | undefined) => Omit<AuditRow, 'seq'>): Promise<AuditRow>;
  /**
   * Deletes the oldest records, in sequence order, up to the first one whose time is at or after `beforeTime`
   * (ISO), so that what is left is always one unbroken chain; and moves the anchor to the last one deleted, in
   * the same transaction. Works in batches so that appenders wait only briefly; stops between batches once
   * `signal` is aborted. Throws UnavailableError when the store cannot be written.
   */
  prune(beforeTime: string, options?: { readonly signal?: AbortSignal }): Promise<AuditPruneResult>;
  /** The anchor left by pruning; null when nothing was ever pruned (the chain starts at record 1). */
  anchor(): Promise<AuditAnchor | null>;
  /** The records that match, oldest first, at most `limit` of the newest ones. */
  list(filter: AuditFilter, limit: number): Promise<AuditRow[]>;
  /** Every record from `afterSeq` on (exclusive), oldest first, at most `limit`: verification reads in pages. */
  page(afterSeq: number, limit: number): Promise<AuditRow[]>;
  readonly location: string;
  /** Resolves once the store answered a trivial read (readiness); rejects with UnavailableError when it cannot. Writes nothing. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
