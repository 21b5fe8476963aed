/**
 * The oauth_records row both backends store, and its mapping to an OAuthRecord: the same columns in SQLite and
 * PostgreSQL (where bigint arrives as text).
 */
import type { OAuthRecord } from './oauth-store.js';

export interface OAuthRecordRow {
  model: string;
  id_hash: string;
  payload: string;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  account_id: string | null;
  client_id: string | null;
  expires_at: number | string | null;
  consumed_at: number | string | null;
}

export function recordFromRow(row: OAuthRecordRow): OAuthRecord {
  return {
    model: row.model,
    key: row.id_hash,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    grantId: row.grant_id ?? undefined,
    uid: row.uid ?? undefined,
    userCode: row.user_code ?? undefined,
    accountId: row.account_id ?? undefined,
    clientId: row.client_id ?? undefined,
    expiresAt: row.expires_at === null ? undefined : Number(row.expires_at),
    consumedAt: row.consumed_at === null ? undefined : Number(row.consumed_at),
  };
}
