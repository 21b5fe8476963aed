/**
 * OAuthRecordStore and SecretStore on the state store's SQLite file (tables from migration 2). Synchronous
 * statements on the main thread: sqlite-state-store.ts says why that is acceptable for sqlgate's own state.
 */
import type Database from 'better-sqlite3';
import { recordFromRow, type OAuthRecordRow } from '../oauth-record-row.js';
import type { OAuthRecord, OAuthRecordStore, SecretStore } from '../oauth-store.js';
import { cachedStatements } from './statement-cache.js';

const epochSeconds = (): number => Math.floor(Date.now() / 1000);
const LIVE = '(expires_at IS NULL OR expires_at > ?)';

export class SqliteOAuthRecordStore implements OAuthRecordStore {
  private readonly statement: (sql: string) => Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.statement = cachedStatements(db);
  }

  async upsert(record: OAuthRecord): Promise<void> {
    const now = epochSeconds();
    this
      .statement(
        `INSERT INTO oauth_records (model, id_hash, payload, grant_id, uid, user_code, account_id, client_id, expires_at, consumed_at, created_at, last_used_at)
         VALUES (@model, @key, @payload, @grantId, @uid, @userCode, @accountId, @clientId, @expiresAt, @consumedAt, @now, @now)
         ON CONFLICT (model, id_hash) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid,
           user_code = excluded.user_code, account_id = excluded.account_id, client_id = excluded.client_id,
           expires_at = excluded.expires_at, consumed_at = excluded.consumed_at, last_used_at = excluded.last_used_at`,
      )
      .run({
        model: record.model,
        key: record.key,
        payload: JSON.stringify(record.payload),
        grantId: record.grantId ?? null,
        uid: record.uid ?? null,
        userCode: record.userCode ?? null,
        accountId: record.accountId ?? null,
        clientId: record.clientId ?? null,
        expiresAt: record.expiresAt ?? null,
        consumedAt: record.consumedAt ?? null,
        now,
      });
  }

  async find(model: string, key: string): Promise<OAuthRecord | undefined> {
    return this.one(`model = ? AND id_hash = ?`, model, key);
  }

  async findByUid(model: string, uid: string): Promise<OAuthRecord | undefined> {
    return this.one(`model = ? AND uid = ?`, model, uid);
  }

  async findByUserCode(model: string, userCode: string): Promise<OAuthRecord | undefined> {
    return this.one(`model = ? AND user_code = ?`, model, userCode);
  }

  async consume(model: string, key: string): Promise<boolean> {
    // SQLite runs one writer at a time, so the check and the change cannot be split by another process.
    return this.statement('UPDATE oauth_records SET consumed_at = ? WHERE model = ? AND id_hash = ? AND consumed_at IS NULL').run(epochSeconds(), model, key).changes === 1;
  }

  async destroy(model: string, key: string): Promise<void> {
    this.statement('DELETE FROM oauth_records WHERE model = ? AND id_hash = ?').run(model, key);
  }

  async revokeByGrantId(grantId: string): Promise<number> {
    // The Grant record's own grant_id column holds its id too (see auth/oidc-adapter.ts), so it goes as well.
    return this.statement('DELETE FROM oauth_records WHERE grant_id = ?').run(grantId).changes;
  }

  async revokeByAccount(accountId: string): Promise<number> {
    return this.db.transaction(() => {
      const grants = this.statement('SELECT DISTINCT grant_id FROM oauth_records WHERE account_id = ? AND grant_id IS NOT NULL').all(accountId) as { grant_id: string }[];
      let removed = 0;
      for (const { grant_id } of grants) removed += this.statement('DELETE FROM oauth_records WHERE grant_id = ?').run(grant_id).changes;
      removed += this.statement('DELETE FROM oauth_records WHERE account_id = ?').run(accountId).changes;
      return removed;
    }).immediate();
  }

  async touchClient(clientKey: string): Promise<void> {
    this.statement("UPDATE oauth_records SET last_used_at = ? WHERE model = 'Client' AND id_hash = ?").run(epochSeconds(), clientKey);
  }

  async collectGarbage(now: number, unusedSince: number): Promise<number> {
    return this.db.transaction(() => {
      let removed = this.statement('DELETE FROM oauth_records WHERE expires_at IS NOT NULL AND expires_at <= ?').run(now).changes;
      // A client is in use while any live record (grant, token, session authorisation) names it.
      removed += this
        .statement(
          `DELETE FROM oauth_records AS c WHERE c.model = 'Client' AND c.last_used_at < ?
             AND NOT EXISTS (SELECT 1 FROM oauth_records r WHERE r.client_id = c.client_id AND r.model <> 'Client')`,
        )
        .run(unusedSince).changes;
      return removed;
    }).immediate();
  }

  async list(model: string, filter: { accountId?: string; clientId?: string } = {}): Promise<OAuthRecord[]> {
    const rows = this
      .statement(
        `SELECT * FROM oauth_records WHERE model = ? AND ${LIVE}
           AND (? IS NULL OR account_id = ?) AND (? IS NULL OR client_id = ?) ORDER BY created_at`,
      )
      .all(model, epochSeconds(), filter.accountId ?? null, filter.accountId ?? null, filter.clientId ?? null, filter.clientId ?? null) as OAuthRecordRow[];
    return rows.map(recordFromRow);
  }

  private one(where: string, ...params: string[]): OAuthRecord | undefined {
    const row = this.statement(`SELECT * FROM oauth_records WHERE ${where} AND ${LIVE}`).get(...params, epochSeconds()) as OAuthRecordRow | undefined;
    return row && recordFromRow(row);
  }
}

export class SqliteSecretStore implements SecretStore {
  private readonly statement: (sql: string) => Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.statement = cachedStatements(db);
  }

  async get(name: string): Promise<string | undefined> {
    return (this.statement('SELECT value FROM server_secrets WHERE name = ?').get(name) as { value: string } | undefined)?.value;
  }

  async putIfAbsent(name: string, value: string): Promise<string> {
    this.statement('INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING')
      .run(name, value, new Date().toISOString());
    return (await this.get(name))!;
  }

  async set(name: string, value: string): Promise<void> {
    this.statement('INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value, created_at = excluded.created_at')
      .run(name, value, new Date().toISOString());
  }
}
