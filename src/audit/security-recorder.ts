/**
 * Records the authorization server's events and the admin commands in the audit trail. These happen beside a
 * request rather than as its answer, so a record that cannot be written does not undo them: it is logged as an
 * error, loudly, for the operator to act on (a tool call, by contrast, is withheld — see mcp/create-mcp-server.ts).
 */
import type { Logger } from '../telemetry/logger.js';
import { securityEvent, type SecurityEventInput } from './audit-record.js';
import type { AuditTrail } from './audit-trail.js';

/** Records one event; resolves once it is committed, or once the failure is logged. Never rejects. */
export type RecordSecurityEvent = (input: SecurityEventInput) => Promise<void>;

export function securityRecorder(trail: AuditTrail, logger: Logger): RecordSecurityEvent {
  return async (input) => {
    try {
      await trail.record(securityEvent(input));
    } catch (err) {
      logger.error({ err: (err as Error).message, kind: input.kind, action: input.action, user: input.user }, '!!! AUDIT: an event could not be recorded in the audit trail');
    }
  };
}

/** For servers and tests without an audit trail: records nothing. */
export const RECORD_NOTHING: RecordSecurityEvent = async () => undefined;
