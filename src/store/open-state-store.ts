/**
 * Opens the configured state store, audit log and limit counters. The only importer of a store backend folder, as db/registry.ts is
 * for dialects.
 *
 * Each backend (and its driver) is imported only when it is configured: a server whose stores are SQLite files
 * never loads pg for them, and one without limits.store never loads ioredis (issue 12).
 */
import type { LimitsConfig, StoreConfig } from '../config/schema.js';
import type { AuditLogStore } from './audit-log-store.js';
import { memoryLimitCounters, type LimitCounterStore } from './limit-counters.js';
import type { StateStore } from './state-store.js';

/** Throws ConfigError (or UnavailableError, when the PostgreSQL server cannot be reached) with a masked location. */
export async function openStateStore(config: StoreConfig): Promise<StateStore> {
  switch (config.kind) {
    case 'sqlite':
      return (await import('./sqlite/sqlite-state-store.js')).openSqliteStateStore(config.file);
    case 'postgres':
      return (await import('./postgres/postgres-state-store.js')).openPostgresStateStore(config.target, config.maskedUrl);
  }
}

/**
 * The audit trail's store (audit.url): a SQLite file, or a PostgreSQL database several instances share. Throws
 * ConfigError when it cannot be opened (UnavailableError when the PostgreSQL server cannot be reached).
 */
export async function openAuditLog(config: StoreConfig): Promise<AuditLogStore> {
  switch (config.kind) {
    case 'sqlite':
      return (await import('./sqlite/sqlite-audit-log.js')).openSqliteAuditLog(config.file);
    case 'postgres':
      return (await import('./postgres/postgres-audit-log.js')).openPostgresAuditLog(config.target, config.maskedUrl);
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
  if (!config.store) return memoryLimitCounters(config.keyPrefix);
  return (await import('./redis/redis-limit-counters.js')).openRedisLimitCounters(config.store, config.keyPrefix);
}

/** `sqlgate backup` / `restore`: SQLite stores copied into, and put back from, one file. Loaded when those run. */
export const loadBackupBundle = () => import('./sqlite/sqlite-backup-bundle.js');
export type { BackupSource } from './sqlite/sqlite-backup-bundle.js';
