/**
 * PersonalTokenStore on PostgreSQL: one `personal_access_tokens` row per token (migration 3), keyed by its public
 * id and found by the SHA-256 of the token. The row names its user as the user has it, and goes with the user
 * (ON DELETE CASCADE).
 */
import { InvalidInputError, NotFoundError } from '../../errors.js';
import type { NewPersonalToken, PersonalTokenStore, StoredPersonalToken } from '../personal-token-store.js';
import type { PostgresStateDatabase } from './postgres-state-database.js';

interface TokenRow {
  id: string;
  user_name: string;
  environment: string;
  can_write: boolean;
  description: string | null;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

/** Every column but token_hash, which never leaves the store. */
const COLUMNS = 'id, user_name, environment, can_write, description, created_at, expires_at, last_used_at, revoked_at';

export class PostgresPersonalTokenStore implements PersonalTokenStore {
  constructor(private readonly db: PostgresStateDatabase) {}

  async add(token: NewPersonalToken): Promise<StoredPersonalToken> {
    if (token.environment.length === 0) throw new InvalidInputError('A personal access token needs an environment.');
    return this.db.transaction(async (tx) => {
      // FOR KEY SHARE keeps the user from being removed between this look-up and the insert.
      const user = await tx.query<{ name: string }>('SELECT name FROM users WHERE lower(name) = lower($1) FOR KEY SHARE', [token.userName]);
      if (!user.rows[0]) {
        throw new NotFoundError(`There is no user named "${token.userName.slice(0, 80)}".`, { hint: 'Run "sqlgate users list" to see them.' });
      }
      // DO NOTHING covers the id and the token_hash: a repeat is refused without aborting the transaction.
      const { rows } = await tx.query<TokenRow>(
        `INSERT INTO personal_access_tokens (id, token_hash, user_name, environment, can_write, description, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
        [token.id, token.tokenHash, user.rows[0].name, token.environment, token.canWrite, token.description ?? null, new Date(),
          token.expiresAt ?? null],
      );
      if (!rows[0]) throw new InvalidInputError(`A personal access token with id "${token.id}" or the same hash already exists.`);
      return toToken(rows[0]);
    });
  }

  async findByHash(tokenHash: string): Promise<StoredPersonalToken | undefined> {
    const { rows } = await this.db.query<TokenRow>(`SELECT ${COLUMNS} FROM personal_access_tokens WHERE token_hash = $1`, [tokenHash]);
    return rows[0] && toToken(rows[0]);
  }

  async list(userName?: string): Promise<StoredPersonalToken[]> {
    // The filter ignores letter case, as user look-ups do.
    const { rows } = userName === undefined
      ? await this.db.query<TokenRow>(`SELECT ${COLUMNS} FROM personal_access_tokens ORDER BY created_at, id`)
      : await this.db.query<TokenRow>(
        `SELECT ${COLUMNS} FROM personal_access_tokens WHERE lower(user_name) = lower($1) ORDER BY created_at, id`,
        [userName],
      );
    return rows.map(toToken);
  }

  async revoke(id: string): Promise<void> {
    // COALESCE keeps the first revocation time when a token is revoked again.
    const { rowCount } = await this.db.query('UPDATE personal_access_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2', [new Date(), id]);
    if (rowCount === 0) {
      throw new NotFoundError(`There is no personal access token with id "${id.slice(0, 80)}".`, { hint: 'Run "sqlgate tokens list" to see them.' });
    }
  }

  async touch(id: string, at: Date): Promise<void> {
    // A token revoked or removed since it was checked simply records nothing: the caller has already decided.
    await this.db.query('UPDATE personal_access_tokens SET last_used_at = $1 WHERE id = $2', [at, id]);
  }
}

function toToken(row: TokenRow): StoredPersonalToken {
  return {
    id: row.id,
    userName: row.user_name,
    environment: row.environment,
    canWrite: row.can_write,
    description: row.description ?? undefined,
    createdAt: row.created_at,
    expiresAt: row.expires_at ?? undefined,
    lastUsedAt: row.last_used_at ?? undefined,
    revokedAt: row.revoked_at ?? undefined,
  };
}
