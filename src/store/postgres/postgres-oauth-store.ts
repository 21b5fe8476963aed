/**
 * OAuthRecordStore and SecretStore on PostgreSQL (tables from migration 2), with the SQLite store's semantics:
 * times are the calling instance's epoch seconds, account ids match regardless of letter case (they are user
 * names), and a record past its expiry is never returned, even before garbage collection removes it.
 */
import { recordFromRow, type OAuthRecordRow } from '../oauth-record-row.js';
import type { OAuthRecord, OAuthRecordStore, SecretStore } from '../oauth-store.js';
import type { PostgresStateDatabase } from './postgres-state-database.js';

const epochSeconds = (): number => Math.floor(Date.now() / 1000);
const RECORD_COLUMNS = 'model, id_hash, payload, grant_id, uid, user_code, account_id, client_id, expires_at, consumed_at';

export class PostgresOAuthRecordStore implements OAuthRecordStore {
  constructor(private readonly db: PostgresStateDatabase) {}

  async upsert(record: OAuthRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO oauth_records (model, id_hash, payload, grant_id, uid, user_code, account_id, client_id, expires_at, consumed_at, created_at, last_used_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
       ON CONFLICT (model, id_hash) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid,
         user_code = excluded.user_code, account_id = excluded.account_id, client_id = excluded.client_id,
         expires_at = excluded.expires_at, consumed_at = excluded.consumed_at, last_used_at = excluded.last_used_at`,
      [
        record.model,
        record.key,
        JSON.stringify(record.payload),
        record.grantId ?? null,
        record.uid ?? null,
        record.userCode ?? null,
        record.accountId ?? null,
        record.clientId ?? null,
        record.expiresAt ?? null,
        record.consumedAt ?? null,
        epochSeconds(),
      ],
    );
  }

  async find(model: string, key: string): Promise<OAuthRecord | undefined> {
    return this.one('id_hash', model, key);
  }

  async findByUid(model: string, uid: string): Promise<OAuthRecord | undefined> {
    return this.one('uid', model, uid);
  }

  async findByUserCode(model: string, userCode: string): Promise<OAuthRecord | undefined> {
    return this.one('user_code', model, userCode);
  }

  async consume(model: string, key: string): Promise<boolean> {
    // One statement: PostgreSQL re-checks `consumed_at IS NULL` on the row a concurrent UPDATE just changed, so only
    // one of two racing instances updates it.
    const result = await this.db.query('UPDATE oauth_records SET consumed_at = $1 WHERE model = $2 AND id_hash = $3 AND consumed_at IS NULL', [epochSeconds(), model, key]);
    return result.rowCount === 1;
  }

  async destroy(model: string, key: string): Promise<void> {
    await this.db.query('DELETE FROM oauth_records WHERE model = $1 AND id_hash = $2', [model, key]);
  }

  async revokeByGrantId(grantId: string): Promise<number> {
    // The Grant record's own grant_id column holds its id too (see auth/oidc-adapter.ts), so it goes as well.
    return (await this.db.query('DELETE FROM oauth_records WHERE grant_id = $1', [grantId])).rowCount ?? 0;
  }

  async revokeByAccount(accountId: string): Promise<number> {
    // Two statements (each uses an index; one with OR would scan the table) in one transaction: every record of
    // the user's grants, tokens that carry only the grant id included, then every other record naming the user.
    return this.db.transaction(async (tx) => {
      const ofGrants = await tx.query(
        `DELETE FROM oauth_records WHERE grant_id = ANY (ARRAY(
           SELECT DISTINCT grant_id FROM oauth_records WHERE lower(account_id) = lower($1) AND grant_id IS NOT NULL))`,
        [accountId],
      );
      const ofAccount = await tx.query('DELETE FROM oauth_records WHERE lower(account_id) = lower($1)', [accountId]);
      return (ofGrants.rowCount ?? 0) + (ofAccount.rowCount ?? 0);
    });
  }

  async touchClient(clientKey: string): Promise<void> {
    await this.db.query("UPDATE oauth_records SET last_used_at = $1 WHERE model = 'Client' AND id_hash = $2", [epochSeconds(), clientKey]);
  }

  async collectGarbage(now: number, unusedSince: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      const expired = await tx.query('DELETE FROM oauth_records WHERE expires_at IS NOT NULL AND expires_at <= $1', [now]);
      // A client is in use while any live record (grant, token, session authorisation) names it.
      const unused = await tx.query(
        `DELETE FROM oauth_records c WHERE c.model = 'Client' AND c.last_used_at < $1
           AND NOT EXISTS (SELECT 1 FROM oauth_records r WHERE r.client_id = c.client_id AND r.model <> 'Client')`,
        [unusedSince],
      );
      return (expired.rowCount ?? 0) + (unused.rowCount ?? 0);
    });
  }

  async list(model: string, filter: { accountId?: string; clientId?: string } = {}): Promise<OAuthRecord[]> {
    const { rows } = await this.db.query<OAuthRecordRow>(
      `SELECT ${RECORD_COLUMNS} FROM oauth_records
        WHERE model = $1 AND (expires_at IS NULL OR expires_at > $2)
          AND ($3::text IS NULL OR lower(account_id) = lower($3)) AND ($4::text IS NULL OR client_id = $4)
        ORDER BY created_at, id_hash`,
      [model, epochSeconds(), filter.accountId ?? null, filter.clientId ?? null],
    );
    return rows.map(recordFromRow);
  }

  /** `column` is one of ours, never input. */
  private async one(column: 'id_hash' | 'uid' | 'user_code', model: string, value: string): Promise<OAuthRecord | undefined> {
    const { rows } = await this.db.query<OAuthRecordRow>(
      `SELECT ${RECORD_COLUMNS} FROM oauth_records WHERE model = $1 AND ${column} = $2 AND (expires_at IS NULL OR expires_at > $3) LIMIT 1`,
      [model, value, epochSeconds()],
    );
    return rows[0] && recordFromRow(rows[0]);
  }
}

export class PostgresSecretStore implements SecretStore {
  constructor(private readonly db: PostgresStateDatabase) {}

  async get(name: string): Promise<string | undefined> {
    return (await this.db.query<{ value: string }>('SELECT value FROM server_secrets WHERE name = $1', [name])).rows[0]?.value;
  }

  async putIfAbsent(name: string, value: string): Promise<string> {
    // Two statements on purpose: the INSERT waits for a concurrent insert of the same name to commit and then
    // does nothing, and the SELECT, a new statement with a new snapshot, sees whichever value was committed first.
    await this.db.query('INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [
      name,
      value,
      new Date(),
    ]);
    return (await this.get(name))!;
  }

  async set(name: string, value: string): Promise<void> {
    await this.db.query(
      `INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET value = excluded.value, created_at = excluded.created_at`,
      [name, value, new Date()],
    );
  }
}
