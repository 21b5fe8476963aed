/**
 * Opens the configured state store, audit log and limit counters. The only importer of a store backend folder, as db/registry.ts is
 * for dialects.
 */
import type { LimitsConfig, StoreConfig } from '../config/schema.js';
import type { AuditLogStore } from './audit-log-store.js';
import { memoryLimitCounters, type LimitCounterStore } from './limit-counters.js';
import { openRedisLimitCounters } from './redis/redis-limit-counters.js';
import { openPostgresAuditLog } from './postgres/postgres-audit-log.js';
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

/**
 * The audit trail's store (audit.url): a SQLite file, or a PostgreSQL database several instances share. Throws
 * ConfigError when it cannot be opened (UnavailableError when the PostgreSQL server cannot be reached).
 */
export async function openAuditLog(config: StoreConfig): Promise<AuditLogStore> {
  switch (config.kind) {
    case 'sqlite':
      return openSqliteAuditLog(config.file);
    case 'postgres':
      return openPostgresAuditLog(config.target, config.maskedUrl);
  }
}

/** Where a store is, for messages: its file, or its URL with the password masked. */
export function storeLocation(config: StoreConfig): string {
  return config.kind === 'sqlite' ? config.file : config.maskedUrl;
}

/**
 * The limit counters: in memory without limits.store, else in Redis. Never rejects for a Redis that is down (the
 * caller pings it and says so; each count then follows limits.on_store_error).
 */
export async function openLimitCounters(config: Pick<LimitsConfig, 'store' | 'keyPrefix'>): Promise<LimitCounterStore> {
  return config.store ? openRedisLimitCounters(config.store, config.keyPrefix) : memoryLimitCounters(config.keyPrefix);
}

/** `sqlgate backup` / `restore`: SQLite stores copied into, and put back from, one file. */
export { readBackupBundle, restorePart, writeBackupBundle, type BackupSource } from './sqlite/sqlite-backup-bundle.js';
