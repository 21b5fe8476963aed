/**
 * The state store in a PostgreSQL database, for several sqlgate instances (behind a load balancer) that must
 * share users, personal tokens, OAuth records and signing keys. Opening connects, migrates (postgres-migrations.ts)
 * and fails at start with a ConfigError or UnavailableError that names the masked URL.
 */
import type { PostgresTarget } from '../../config/schema.js';
import type { StateStore } from '../state-store.js';
import { migratePostgresStore } from './postgres-migrations.js';
import { PostgresOAuthRecordStore, PostgresSecretStore } from './postgres-oauth-store.js';
import { PostgresPersonalTokenStore } from './postgres-personal-token-store.js';
import { PostgresStateDatabase } from './postgres-state-database.js';
import { PostgresUserStore } from './postgres-user-store.js';

export async function openPostgresStateStore(target: PostgresTarget, maskedUrl: string): Promise<StateStore> {
  const db = await PostgresStateDatabase.open(target, maskedUrl, async (client) => void (await migratePostgresStore(client, maskedUrl)));
  return {
    users: new PostgresUserStore(db),
    personalTokens: new PostgresPersonalTokenStore(db),
    oauth: new PostgresOAuthRecordStore(db),
    secrets: new PostgresSecretStore(db),
    location: maskedUrl,
    ping: () => db.ping(),
    close: () => db.close(),
  };
}
