/**
 * The audit trail: appends records to the store, each chained to the one before, and resolves only once it is
 * committed, so a caller that waits for it never answers a call whose record could still be lost.
 */
import type { AuditLogStore, AuditRow } from '../store/audit-log-store.js';
import { canonicalJson, chainHash, GENESIS_HASH, type AuditEvent } from './audit-record.js';

export class AuditTrail {
  constructor(
    private readonly store: AuditLogStore,
    /** audit.record_parameters: whether a call's arguments go into its record. */
    readonly recordsParameters: boolean,
  ) {}

  /** Appends the event; throws UnavailableError when it could not be committed. */
  async record(event: AuditEvent): Promise<AuditRow> {
    const payload = canonicalJson(event);
    return this.store.append((previous) => {
      const prevHash = previous?.hash ?? GENESIS_HASH;
      return {
        time: event.time,
        kind: event.kind,
        environment: event.environment,
        user: event.user,
        tool: event.tool,
        verdict: event.verdict,
        payload,
        prevHash,
        hash: chainHash(prevHash, payload),
      };
    });
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
