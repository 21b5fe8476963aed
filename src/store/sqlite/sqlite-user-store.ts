/**
 * UserStore on the state store's SQLite file: `users`, one `user_roles` row per environment and one
 * `user_named_roles` row per named role (migration 4).
 * Synchronous statements on the main thread; sqlite-state-store.ts says why that is acceptable here.
 */
import type Database from 'better-sqlite3';
import { InvalidInputError, NotFoundError } from '../../errors.js';
import { assertNamedRoles, assertRoles, assertUserName, type NewUser, type StoredUser, type UserRole, type UserStore } from '../user-store.js';
import { cachedStatements } from './statement-cache.js';

interface UserRow {
  name: string;
  password_hash: string;
  created_at: string;
  password_changed_at: string;
}

interface RoleRow {
  user_name: string;
  environment: string;
  can_write: number;
}

interface NamedRoleRow {
  user_name: string;
  role: string;
}

export class SqliteUserStore implements UserStore {
  private readonly statement: (sql: string) => Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.statement = cachedStatements(db);
  }

  async add(user: NewUser): Promise<StoredUser> {
    assertUserName(user.name);
    assertRoles(user.roles);
    assertNamedRoles(user.namedRoles ?? []);
    const now = new Date().toISOString();
    this.db.transaction(() => {
      const taken = this.statement('SELECT name FROM users WHERE name = ?').get(user.name) as { name: string } | undefined;
      if (taken) {
        throw new InvalidInputError(`A user named "${taken.name}" already exists.`, {
          hint: 'Names ignore letter case. Use "sqlgate users passwd" to change a password, or choose another name.',
        });
      }
      this.statement('INSERT INTO users (name, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, ?)')
        .run(user.name, user.passwordHash, now, now);
      this.insertRoles(user.name, user.roles, user.namedRoles ?? []);
    }).immediate();
    return (await this.get(user.name))!;
  }

  async get(name: string): Promise<StoredUser | undefined> {
    const row = this.statement('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined;
    if (!row) return undefined;
    // The parameter's COLLATE NOCASE is the column's own: without it, SQLite recompiles these two statements at every
    // run (an ORDER BY next to an equality whose collation comes from one side only), and this runs on every call
    // that carries a token (issue 12).
    const roles = this.statement('SELECT * FROM user_roles WHERE user_name = ? COLLATE NOCASE ORDER BY environment').all(row.name) as RoleRow[];
    const named = this.statement('SELECT * FROM user_named_roles WHERE user_name = ? COLLATE NOCASE ORDER BY role').all(row.name) as NamedRoleRow[];
    return toUser(row, roles, named);
  }

  async list(): Promise<StoredUser[]> {
    const rows = this.statement('SELECT * FROM users ORDER BY name').all() as UserRow[];
    const roles = this.statement('SELECT * FROM user_roles ORDER BY environment').all() as RoleRow[];
    const named = this.statement('SELECT * FROM user_named_roles ORDER BY role').all() as NamedRoleRow[];
    const isOf = (row: UserRow) => (r: { user_name: string }) => r.user_name.toLowerCase() === row.name.toLowerCase();
    return rows.map((row) => toUser(row, roles.filter(isOf(row)), named.filter(isOf(row))));
  }

  async remove(name: string): Promise<void> {
    // user_roles and user_named_roles rows go with it (ON DELETE CASCADE, foreign_keys is on).
    const { changes } = this.statement('DELETE FROM users WHERE name = ?').run(name);
    if (changes === 0) throw unknownUser(name);
  }

  async setPasswordHash(name: string, passwordHash: string): Promise<void> {
    const { changes } = this.statement('UPDATE users SET password_hash = ?, password_changed_at = ? WHERE name = ?')
      .run(passwordHash, new Date().toISOString(), name);
    if (changes === 0) throw unknownUser(name);
  }

  async setRoles(name: string, roles: readonly UserRole[], namedRoles: readonly string[] = []): Promise<void> {
    assertRoles(roles);
    assertNamedRoles(namedRoles);
    this.db.transaction(() => {
      const row = this.statement('SELECT name FROM users WHERE name = ?').get(name) as { name: string } | undefined;
      if (!row) throw unknownUser(name);
      this.statement('DELETE FROM user_roles WHERE user_name = ?').run(row.name);
      this.statement('DELETE FROM user_named_roles WHERE user_name = ?').run(row.name);
      this.insertRoles(row.name, roles, namedRoles);
    }).immediate();
  }

  private insertRoles(name: string, roles: readonly UserRole[], namedRoles: readonly string[]): void {
    const insert = this.statement('INSERT INTO user_roles (user_name, environment, can_write) VALUES (?, ?, ?)');
    for (const role of roles) insert.run(name, role.environment, role.canWrite ? 1 : 0);
    const insertNamed = this.statement('INSERT INTO user_named_roles (user_name, role) VALUES (?, ?)');
    for (const role of namedRoles) insertNamed.run(name, role);
  }
}

function toUser(row: UserRow, roles: RoleRow[], named: NamedRoleRow[]): StoredUser {
  return {
    name: row.name,
    passwordHash: row.password_hash,
    roles: roles.map((r) => ({ environment: r.environment, canWrite: r.can_write === 1 })),
    namedRoles: named.map((r) => r.role),
    createdAt: new Date(row.created_at),
    passwordChangedAt: new Date(row.password_changed_at),
  };
}

function unknownUser(name: string): NotFoundError {
  return new NotFoundError(`There is no user named "${name.slice(0, 80)}".`, { hint: 'Run "sqlgate users list" to see them.' });
}
