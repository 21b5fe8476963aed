/**
 * Opens the configured state store and audit log. The only importer of a store backend folder, as db/registry.ts is
 * for dialects.
 */
import type { AuditConfig, StoreConfig } from '../config/schema.js';
import type { AuditLogStore } from './audit-log-store.js';
import { openPostgresStateStore } from './postgres/postgres-state-store.js';
import { openSqliteAuditLog } from './sqlite/sqlite-audit-log.js';
import { openSqliteStateStore } from './sqlite/sqlite-state-store.js';
import type { StateStore } from './state-store.js';

/** Throws ConfigError (or UnavailableError, when the PostgreSQL server cannot be reached) with a masked location. */
export async function openStateStore(config: StoreConfig): Promise<StateStore> {
  switch (config.kind) {
    case 'sqlite':
      return openSqliteStateStore(config.file);
    case 'postgres':
      return openPostgresStateStore(config.target, config.maskedUrl);
  }
}

/** The audit trail's store (a SQLite file). Throws ConfigError when it cannot be opened. */
export function openAuditLog(config: AuditConfig): AuditLogStore {
  return openSqliteAuditLog(config.file);
}
