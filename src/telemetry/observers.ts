/**
 * What the instrumented layers tell the metrics, as plain callbacks: db/, audit/ and mcp/ take one of these (optional:
 * absent when metrics are off) and never see prom-client. telemetry/metrics.ts implements them; app.ts hands them in.
 */

/** How one statement ended: it returned, failed, ran into its timeout, or was cancelled by the caller. */
export type StatementOutcome = 'ok' | 'failed' | 'timeout' | 'cancelled';

/** Told once per statement db/run-query.ts ran on a pooled session (the wait for the pool is not part of it). */
export type StatementObserver = (statement: { readonly seconds: number; readonly outcome: StatementOutcome }) => void;

/** Told once per record audit/audit-trail.ts appended: how long the commit took, and whether it committed. */
export type AuditWriteObserver = (write: { readonly seconds: number; readonly isCommitted: boolean }) => void;

/** One tool call as it was answered (mcp/create-mcp-server.ts), after its audit record. */
export interface ObservedToolCall {
  readonly environment: string;
  readonly tool: string;
  /** ok: a result; refused: a rule stopped it before anything ran; failed: it was attempted and went wrong. */
  readonly outcome: 'ok' | 'refused' | 'failed';
  /** The SG_* code of a refused or failed call; null for ok. */
  readonly code: string | null;
  /** From the call's start to its answer, audit write included. */
  readonly seconds: number;
  /** Rows returned, for a call that returns rows. */
  readonly rows: number | null;
  /** Characters of the result (text for the model plus structured content). */
  readonly resultChars: number | null;
}

export type ToolCallObserver = (call: ObservedToolCall) => void;

/**
 * Told of every event the authorization server records (audit/refusal-budget.ts), before the budget suppresses any:
 * the counts stay exact even while a flood of refusals is summarized in the audit trail.
 */
export type SecurityEventObserver = (event: { readonly action: string; readonly verdict: 'allowed' | 'refused' }) => void;

/** One environment's connection pool, read when metrics are scraped. */
export interface PoolReading {
  readonly environment: string;
  /** Connections that exist: in use, idle, or being opened. */
  readonly size: number;
  readonly inUse: number;
  /** Requests waiting for a connection (each gives up after pool.acquire_timeout_ms). */
  readonly waiting: number;
  /** pool.max. */
  readonly max: number;
}
