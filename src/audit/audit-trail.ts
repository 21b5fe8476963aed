/**
 * The audit trail: appends records to the store, each chained to the one before, and resolves only once it is
 * committed, so a caller that waits for it never answers a call whose record could still be lost. Once committed,
 * a record is also copied to the stream (audit.stream), if there is one.
 */
import type { AuditLogStore, AuditRow } from '../store/audit-log-store.js';
import { auditJsonLine } from './audit-json-line.js';
import { canonicalJson, chainHash, GENESIS_HASH, type AuditEvent } from './audit-record.js';
import type { AuditPruning } from './audit-retention.js';
import type { AuditStream } from './audit-stream.js';
import type { AuditWriteObserver } from '../telemetry/observers.js';

/** What a running trail has besides its store; all optional (the CLI and tests append without them). */
export interface AuditTrailOptions {
  /** Where each committed record is copied as a JSON line. */
  readonly stream?: AuditStream;
  /** The retention schedule, stopped when the trail is closed. */
  readonly pruning?: AuditPruning;
  /** Told how long each append took and whether it committed (the server's metrics). */
  readonly observeWrite?: AuditWriteObserver;
}

/** Appends audit records in one chain, then copies each to the stream when there is one. */
export class AuditTrail {
  constructor(
    private readonly store: AuditLogStore,
    /** audit.record_parameters: whether a call's arguments go into its record, where the environment does not say. */
    readonly recordsParameters: boolean,
    private readonly options: AuditTrailOptions = {},
  ) {}

  /**
   * Whether a tool call in this environment records its arguments: environments.<name>.audit.record_parameters when
   * set (an environment whose arguments carry personal data keeps them out while others keep them), else the
   * trail's own setting.
   */
  recordsParametersIn(environment: { readonly audit?: { readonly recordParameters?: boolean | undefined } }): boolean {
    return environment.audit?.recordParameters ?? this.recordsParameters;
  }

  /**
   * Appends the event; throws UnavailableError when it could not be committed. The stream gets it only after the
   * commit (a SIEM never holds a record the trail lacks), and a stream that fails does not fail the call.
   */
  async record(event: AuditEvent): Promise<AuditRow> {
    const payload = canonicalJson(event);
    const started = performance.now();
    const observe = (isCommitted: boolean) => this.options.observeWrite?.({ seconds: (performance.now() - started) / 1000, isCommitted });
    const row = await this.store.append((previous) => {
      const prevHash = previous?.hash ?? GENESIS_HASH;
      return {
        time: event.time,
        kind: event.kind,
        environment: event.environment,
        user: event.user,
        tool: event.kind === 'tool_call' ? event.tool : null,
        verdict: event.verdict,
        payload,
        prevHash,
        hash: chainHash(prevHash, payload),
      };
    }).catch((err: unknown) => {
      observe(false);
      throw err;
    });
    observe(true);
    this.options.stream?.write(auditJsonLine(row), row.seq);
    return row;
  }

  /** Resolves when the store answers (readiness); rejects when it cannot be reached. Writes nothing. */
  ping(): Promise<void> {
    return this.store.ping();
  }

  async close(): Promise<void> {
    await this.options.pruning?.stop();
    await this.store.close();
  }
}
