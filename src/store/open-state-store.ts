/**
 * Opens the configured state store. The only importer of a store backend folder, as db/registry.ts is for dialects.
 */
import type { StoreConfig } from '../config/schema.js';
import { openSqliteStateStore } from './sqlite/sqlite-state-store.js';
import type { StateStore } from './state-store.js';

/** Async although SQLite opens synchronously: a PostgreSQL backend will connect first. */
export async function openStateStore(config: StoreConfig): Promise<StateStore> {
  switch (config.kind) {
    case 'sqlite':
      return openSqliteStateStore(config.file);
  }
}
