/**
 * The one place an error becomes an MCP tool result. A SqlgateError shows its code, message and hint; anything
 * else is logged in full and shown only as "internal error" with a request id (driver messages can carry host
 * names, roles or file paths, and the SDK would forward them verbatim).
 */
import { randomUUID } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { SqlgateError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';

export function toToolErrorResult(err: unknown, logger: Logger, context: Record<string, unknown>): CallToolResult {
  if (err instanceof SqlgateError) {
    logger.info({ ...context, code: err.code, detail: err.detail }, 'tool call failed');
    return {
      isError: true,
      content: [{ type: 'text', text: `${err.code}: ${err.publicText}` }],
    };
  }
  // The call's own id when the caller has one (the audit record carries it too), so the user's message finds both.
  const requestId = typeof context.requestId === 'string' ? context.requestId : randomUUID();
  logger.error({ ...context, err, requestId }, 'tool call failed unexpectedly');
  return {
    isError: true,
    content: [{ type: 'text', text: `SG_INTERNAL: Internal error (request id ${requestId}). The operator can find it in the server log.` }],
  };
}
