/**
 * PersonalTokenStore on the state store's SQLite file: one `personal_access_tokens` row per token, keyed by its
 * public id and found by the SHA-256 of the token. Dates are ISO 8601 text (UTC), which sorts as it reads.
 * Synchronous statements on the main thread; sqlite-state-store.ts says why that is acceptable here.
 */
import type Database from 'better-sqlite3';
import { InvalidInputError, NotFoundError } from '../../errors.js';
import type { NewPersonalToken, PersonalTokenStore, StoredPersonalToken } from '../personal-token-store.js';
import { cachedStatements } from './statement-cache.js';

interface TokenRow {
  id: string;
  user_name: string;
  environment: string;
  can_write: number;
  description: string | null;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** Every column but token_hash, which never leaves the store. */
const COLUMNS = 'id, user_name, environment, can_write, description, created_at, expires_at, last_used_at, revoked_at';

export class SqlitePersonalTokenStore implements PersonalTokenStore {
  private readonly statement: (sql: string) => Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.statement = cachedStatements(db);
  }

  async add(token: NewPersonalToken): Promise<StoredPersonalToken> {
    if (token.environment.length === 0) throw new InvalidInputError('A personal access token needs an environment.');
    const createdAt = new Date().toISOString();
    this.db.transaction(() => {
      // users.name is COLLATE NOCASE, so "Alice" finds alice; the token records the name as the user has it.
      const user = this.statement('SELECT name FROM users WHERE name = ?').get(token.userName) as { name: string } | undefined;
      if (!user) {
        throw new NotFoundError(`There is no user named "${token.userName.slice(0, 80)}".`, { hint: 'Run "sqlgate users list" to see them.' });
      }
      const taken = this.statement('SELECT id FROM personal_access_tokens WHERE id = ? OR token_hash = ?').get(token.id, token.tokenHash);
      if (taken) throw new InvalidInputError(`A personal access token with id "${token.id}" or the same hash already exists.`);
      this.statement(`INSERT INTO personal_access_tokens (id, token_hash, user_name, environment, can_write, description, created_at, expires_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(token.id, token.tokenHash, user.name, token.environment, token.canWrite ? 1 : 0, token.description ?? null, createdAt,
          token.expiresAt?.toISOString() ?? null);
    }).immediate();
    return this.get(token.id)!;
  }

  async findByHash(tokenHash: string): Promise<StoredPersonalToken | undefined> {
    const row = this.statement(`SELECT ${COLUMNS} FROM personal_access_tokens WHERE token_hash = ?`).get(tokenHash) as TokenRow | undefined;
    return row && toToken(row);
  }

  async list(userName?: string): Promise<StoredPersonalToken[]> {
    // user_name is COLLATE NOCASE, so the filter ignores letter case as user lookups do.
    const rows = userName === undefined
      ? this.statement(`SELECT ${COLUMNS} FROM personal_access_tokens ORDER BY created_at, id`).all()
      : this.statement(`SELECT ${COLUMNS} FROM personal_access_tokens WHERE user_name = ? ORDER BY created_at, id`).all(userName);
    return (rows as TokenRow[]).map(toToken);
  }

  async revoke(id: string): Promise<void> {
    // COALESCE keeps the first revocation time when a token is revoked again.
    const { changes } = this.statement('UPDATE personal_access_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?')
      .run(new Date().toISOString(), id);
    if (changes === 0) {
      throw new NotFoundError(`There is no personal access token with id "${id.slice(0, 80)}".`, { hint: 'Run "sqlgate tokens list" to see them.' });
    }
  }

  async touch(id: string, at: Date): Promise<void> {
    // A token revoked or removed since it was checked simply records nothing: the caller has already decided.
    this.statement('UPDATE personal_access_tokens SET last_used_at = ? WHERE id = ?').run(at.toISOString(), id);
  }

  private get(id: string): StoredPersonalToken | undefined {
    const row = this.statement(`SELECT ${COLUMNS} FROM personal_access_tokens WHERE id = ?`).get(id) as TokenRow | undefined;
    return row && toToken(row);
  }
}

function toToken(row: TokenRow): StoredPersonalToken {
  return {
    id: row.id,
    userName: row.user_name,
    environment: row.environment,
    canWrite: row.can_write === 1,
    description: row.description ?? undefined,
    createdAt: new Date(row.created_at),
    expiresAt: toDate(row.expires_at),
    lastUsedAt: toDate(row.last_used_at),
    revokedAt: toDate(row.revoked_at),
  };
}

function toDate(text: string | null): Date | undefined {
  return text === null ? undefined : new Date(text);
}
