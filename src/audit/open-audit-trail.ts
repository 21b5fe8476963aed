/**
 * Opens the configured audit trail: its store, its stream (audit.stream) and, for a server, its pruning schedule
 * (audit.retention), which the trail stops when it is closed.
 */
import type { AuditConfig } from '../config/schema.js';
import { openAuditLog } from '../store/open-state-store.js';
import type { Logger } from '../telemetry/logger.js';
import type { AuditWriteObserver } from '../telemetry/observers.js';
import { scheduleAuditPruning } from './audit-retention.js';
import { openAuditStream } from './audit-stream.js';
import { AuditTrail } from './audit-trail.js';

/** The defaults suit a server; a one-shot command passes `{ stdout: null, isPruning: false }`. */
export interface OpenAuditTrailOptions {
  /**
   * Where `audit.stream: stdout` writes (default: process.stdout). null: not from this process (an admin command's
   * standard output is its own output), so its records reach a stdout stream only through the trail itself.
   */
  readonly stdout?: NodeJS.WritableStream | null;
  /** Prune at start and then hourly (default true). One-shot commands leave it to the server and `audit prune`. */
  readonly isPruning?: boolean;
  /** Told of every append (the server's metrics: audit write latency). */
  readonly observeWrite?: AuditWriteObserver;
}

/**
 * Throws ConfigError when the store cannot be opened (UnavailableError when its PostgreSQL server cannot be reached);
 * a stream that cannot be written is only logged.
 */
export async function openAuditTrail(config: AuditConfig, logger: Logger, options: OpenAuditTrailOptions = {}): Promise<AuditTrail> {
  const auditLogger = logger.child({ component: 'audit' });
  const store = await openAuditLog(config.store);
  return new AuditTrail(store, config.recordParameters, {
    stream: config.stream && openAuditStream(config.stream, auditLogger, options.stdout === undefined ? process.stdout : options.stdout),
    pruning: options.isPruning === false ? undefined : scheduleAuditPruning(store, { retentionSeconds: config.retentionSeconds, logger: auditLogger }),
    observeWrite: options.observeWrite,
  });
}
