/**
 * The audit record of one tool call, from what mcp/ knows when the call ends: who, which tool with which
 * arguments, the statement it checked, and how it ended. Error messages here are SqlgateError messages, written to
 * be shown; anything else is recorded as an internal error without its text (which may name hosts or files).
 */
import type { Identity } from '../environments/identity.js';
import { SqlgateError, type ErrorCode } from '../errors.js';
import { sha256Hex, type ToolCallEvent } from './audit-record.js';

/** Codes of calls that a rule stopped before anything ran: the request was refused, not attempted. */
const REFUSALS: ReadonlySet<ErrorCode> = new Set([
  'SG_READ_ONLY', 'SG_FORBIDDEN', 'SG_INSUFFICIENT_SCOPE', 'SG_UNAUTHORIZED', 'SG_INVALID_INPUT', 'SG_ROW_LIMIT',
  'SG_TABLE_NOT_FOUND', 'SG_NOT_FOUND', 'SG_RATE_LIMITED', 'SG_POLICY_DENIED',
]);

/** What mcp/ knows about a tool call when it ends: its caller, arguments, statement and result or error. */
export interface ToolCallOutcome {
  readonly requestId: string;
  readonly environment: string;
  readonly identity: Identity | undefined;
  readonly tool: string;
  readonly input: Readonly<Record<string, unknown>>;
  /** The statement the tool built and checked, when it reported one; else execute_sql's `query`. */
  readonly statement: string | undefined;
  readonly recordsParameters: boolean;
  readonly ms: number;
  /**
   * What the call returned, or the error it ended with; `started` for the record a change of data is given before it
   * runs (its outcome follows in a second record with the same request id).
   */
  readonly result:
    | { readonly structured: unknown; readonly text: string; readonly rowsJsonChars?: number }
    | { readonly error: unknown }
    | { readonly started: true };
}

export function toolCallEvent(outcome: ToolCallOutcome, now = new Date()): ToolCallEvent {
  const { input, identity } = outcome;
  // execute_sql's query is the statement itself: recorded as sql, not again among the parameters. A configured
  // tool's parameter that happens to be named query is a parameter like any other.
  const isExecuteSql = outcome.tool === 'execute_sql';
  const sql = outcome.statement ?? (isExecuteSql && typeof input.query === 'string' ? input.query : null);
  const { query: _query, ...withoutQuery } = input;
  const parameters = isExecuteSql ? withoutQuery : input;
  const base = {
    kind: 'tool_call' as const,
    time: now.toISOString(),
    request_id: outcome.requestId,
    environment: outcome.environment,
    user: identity?.user ?? 'anonymous',
    via: identity ? identity.via : null,
    client_id: identity?.clientId ?? null,
    tool: outcome.tool,
    sql,
    sql_sha256: sql === null ? null : sha256Hex(sql),
    parameters: outcome.recordsParameters ? parameters : null,
    ms: outcome.ms,
  };
  if ('started' in outcome.result) {
    return { ...base, verdict: 'started', code: null, reason: null, rows: null, result_chars: null, truncated: null };
  }
  if ('error' in outcome.result) {
    const { error } = outcome.result;
    const known = error instanceof SqlgateError ? error : undefined;
    return {
      ...base,
      verdict: known && REFUSALS.has(known.code) ? 'refused' : 'failed',
      code: known?.code ?? 'SG_INTERNAL',
      reason: known?.message ?? 'internal error',
      rows: null,
      result_chars: null,
      truncated: null,
    };
  }
  const structured = (outcome.result.structured ?? {}) as { row_count?: unknown; truncated?: unknown };
  return {
    ...base,
    verdict: 'allowed',
    code: null,
    reason: null,
    rows: typeof structured.row_count === 'number' ? structured.row_count : null,
    result_chars: outcome.result.text.length + structuredJsonChars(outcome.result.structured, outcome.result.rowsJsonChars),
    truncated: typeof structured.truncated === 'boolean' ? structured.truncated : null,
  };
}

/**
 * `JSON.stringify(structured).length` without serialising its rows again when their JSON length is known: an
 * object's JSON is its members' joined by commas, in any order the same length, so the rows member adds
 * `,"rows":` and the rows' JSON to the rest.
 */
function structuredJsonChars(structured: unknown, rowsJsonChars: number | undefined): number {
  if (rowsJsonChars === undefined || typeof structured !== 'object' || structured === null || !Array.isArray((structured as { rows?: unknown }).rows)) {
    return JSON.stringify(structured ?? null).length;
  }
  const { rows: _rows, ...rest } = structured as Record<string, unknown>;
  const restJson = JSON.stringify(rest).length;
  return restJson === 2 ? 9 + rowsJsonChars : restJson + 8 + rowsJsonChars;
}
