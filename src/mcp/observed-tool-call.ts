/**
 * A tool call as the metrics see it, read from its audit event: the metrics and the audit trail then classify a call
 * the same way (audit/tool-call-event.ts decides what is a refusal and what a failure, once).
 */
import type { ToolCallEvent } from '../audit/audit-record.js';
import type { ObservedToolCall } from '../telemetry/observers.js';

export function observedToolCall(event: ToolCallEvent, seconds: number): ObservedToolCall {
  return {
    environment: event.environment,
    tool: event.tool,
    outcome: event.verdict === 'allowed' ? 'ok' : event.verdict === 'refused' ? 'refused' : 'failed',
    code: event.code,
    seconds,
    rows: event.rows,
    resultChars: event.result_chars,
  };
}
