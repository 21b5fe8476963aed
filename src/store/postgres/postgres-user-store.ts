/**
 * UserStore on PostgreSQL: `users` plus one `user_roles` row per environment (migration 1) and one
 * `user_named_roles` row per named role (migration 4). A name is stored as given and found by lower(name), which
 * the unique index users_name_lower keeps unique.
 */
import { InvalidInputError, NotFoundError } from '../../errors.js';
import { assertNamedRoles, assertRoles, assertUserName, type NewUser, type StoredUser, type UserRole, type UserStore } from '../user-store.js';
import type { PostgresStateDatabase, StoreQuery } from './postgres-state-database.js';

interface UserRow {
  name: string;
  password_hash: string;
  created_at: Date;
  password_changed_at: Date;
  roles: { environment: string; can_write: boolean }[];
  named_roles: string[];
}

/**
 * A user with its roles in one row (one statement, one snapshot), so that a reader never sees the user of one
 * moment with the roles of another.
 */
const SELECT_USERS = `
  SELECT u.name, u.password_hash, u.created_at, u.password_changed_at,
         COALESCE(json_agg(json_build_object('environment', r.environment, 'can_write', r.can_write) ORDER BY r.environment)
                  FILTER (WHERE r.environment IS NOT NULL), '[]') AS roles,
         COALESCE((SELECT json_agg(n.role ORDER BY n.role) FROM user_named_roles n WHERE n.user_name = u.name), '[]') AS named_roles
    FROM users u LEFT JOIN user_roles r ON r.user_name = u.name`;

export class PostgresUserStore implements UserStore {
  constructor(private readonly db: PostgresStateDatabase) {}

  async add(user: NewUser): Promise<StoredUser> {
    assertUserName(user.name);
    assertRoles(user.roles);
    assertNamedRoles(user.namedRoles ?? []);
    const now = new Date();
    await this.db.transaction(async (tx) => {
      // DO NOTHING covers both the primary key and the lower(name) index, and waits for a concurrent insert of
      // the same name to commit: of two racing adds, exactly one wins and the other reports the name as taken.
      const inserted = await tx.query(
        'INSERT INTO users (name, password_hash, created_at, password_changed_at) VALUES ($1, $2, $3, $3) ON CONFLICT DO NOTHING',
        [user.name, user.passwordHash, now],
      );
      if (inserted.rowCount === 0) {
        const taken = await tx.query<{ name: string }>('SELECT name FROM users WHERE lower(name) = lower($1)', [user.name]);
        throw new InvalidInputError(`A user named "${taken.rows[0]?.name ?? user.name}" already exists.`, {
          hint: 'Names ignore letter case. Use "sqlgate users passwd" to change a password, or choose another name.',
        });
      }
      await insertRoles(tx, user.name, user.roles, user.namedRoles ?? []);
    });
    return (await this.get(user.name))!;
  }

  async get(name: string): Promise<StoredUser | undefined> {
    const { rows } = await this.db.query<UserRow>(`${SELECT_USERS} WHERE lower(u.name) = lower($1) GROUP BY u.name`, [name]);
    return rows[0] && toUser(rows[0]);
  }

  async list(): Promise<StoredUser[]> {
    // Ordered as SQLite's COLLATE NOCASE orders: by the ASCII-lower-cased name, code point by code point.
    const { rows } = await this.db.query<UserRow>(`${SELECT_USERS} GROUP BY u.name ORDER BY lower(u.name), u.name`);
    return rows.map(toUser);
  }

  async remove(name: string): Promise<void> {
    // user_roles, user_named_roles and personal_access_tokens rows go with it (ON DELETE CASCADE).
    const { rowCount } = await this.db.query('DELETE FROM users WHERE lower(name) = lower($1)', [name]);
    if (rowCount === 0) throw unknownUser(name);
  }

  async setPasswordHash(name: string, passwordHash: string): Promise<void> {
    const { rowCount } = await this.db.query(
      'UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE lower(name) = lower($3)',
      [passwordHash, new Date(), name],
    );
    if (rowCount === 0) throw unknownUser(name);
  }

  async setRoles(name: string, roles: readonly UserRole[], namedRoles: readonly string[] = []): Promise<void> {
    assertRoles(roles);
    assertNamedRoles(namedRoles);
    await this.db.transaction(async (tx) => {
      // FOR UPDATE: two concurrent setRoles on one user run one after the other, so the last one's list wins whole.
      const { rows } = await tx.query<{ name: string }>('SELECT name FROM users WHERE lower(name) = lower($1) FOR UPDATE', [name]);
      if (!rows[0]) throw unknownUser(name);
      await tx.query('DELETE FROM user_roles WHERE user_name = $1', [rows[0].name]);
      await tx.query('DELETE FROM user_named_roles WHERE user_name = $1', [rows[0].name]);
      await insertRoles(tx, rows[0].name, roles, namedRoles);
    });
  }
}

async function insertRoles(tx: StoreQuery, name: string, roles: readonly UserRole[], namedRoles: readonly string[]): Promise<void> {
  if (roles.length > 0) {
    await tx.query(
      'INSERT INTO user_roles (user_name, environment, can_write) SELECT $1, e, w FROM unnest($2::text[], $3::boolean[]) AS r (e, w)',
      [name, roles.map((r) => r.environment), roles.map((r) => r.canWrite)],
    );
  }
  if (namedRoles.length > 0) {
    await tx.query('INSERT INTO user_named_roles (user_name, role) SELECT $1, unnest($2::text[])', [name, [...namedRoles]]);
  }
}

function toUser(row: UserRow): StoredUser {
  return {
    name: row.name,
    passwordHash: row.password_hash,
    roles: row.roles.map((r) => ({ environment: r.environment, canWrite: r.can_write })),
    namedRoles: row.named_roles,
    createdAt: row.created_at,
    passwordChangedAt: row.password_changed_at,
  };
}

function unknownUser(name: string): NotFoundError {
  return new NotFoundError(`There is no user named "${name.slice(0, 80)}".`, { hint: 'Run "sqlgate users list" to see them.' });
}
