/**
 * Local users: who may sign in to sqlgate, their password hash and which environments they may use: roles of
 * their own (environment + write), and named roles from the configuration's `roles` section.
 * The store keeps only what it is given: hashing and the password policy live in auth/password-hash.ts, and the
 * environment and role names are checked against the configuration by the caller. A named role the configuration
 * no longer has stays stored and gives nothing (auth/scopes.ts).
 */
import { EVERY_ENVIRONMENT } from '../config/roles-schema.js';
import { InvalidInputError } from '../errors.js';

/** Access to one environment, or to every environment when `environment` is `'*'`. */
export interface UserRole {
  readonly environment: string;
  /** May run statements that write (where the environment itself allows writes). */
  readonly canWrite: boolean;
}

/** A user as stored. `passwordHash` is a PHC string (argon2id); the password itself is never stored. */
export interface StoredUser {
  readonly name: string;
  readonly passwordHash: string;
  readonly roles: readonly UserRole[];
  /** Names of named roles (the configuration's `roles`), in name order. */
  readonly namedRoles: readonly string[];
  readonly createdAt: Date;
  /** Later slices revoke sessions issued before this instant. */
  readonly passwordChangedAt: Date;
}

export interface NewUser {
  readonly name: string;
  readonly passwordHash: string;
  readonly roles: readonly UserRole[];
  /** Absent: none. */
  readonly namedRoles?: readonly string[];
}

/**
 * Persistent local users. Names are unique regardless of letter case (`Alice` and `alice` are one user, so one
 * cannot pose as the other), and lookups ignore case too.
 *
 * Contract, for every backend: `add` throws InvalidInputError for a malformed name or one that is taken;
 * `remove`, `setPasswordHash` and `setRoles` throw NotFoundError for an unknown name; `setRoles` replaces both
 * lists, the roles and the named roles (absent: none), in one transaction; `list` is ordered by name. Every call is
 * durable once its promise resolves.
 */
export interface UserStore {
  add(user: NewUser): Promise<StoredUser>;
  get(name: string): Promise<StoredUser | undefined>;
  list(): Promise<StoredUser[]>;
  remove(name: string): Promise<void>;
  setPasswordHash(name: string, passwordHash: string): Promise<void>;
  setRoles(name: string, roles: readonly UserRole[], namedRoles?: readonly string[]): Promise<void>;
}

/** 1–64 letters, digits, `.`, `_`, `-` or `@` (room for an e-mail address as a name). */
export const USER_NAME_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;

/** The role environment that stands for every environment: the configuration's own "*". */
export const ALL_ENVIRONMENTS = EVERY_ENVIRONMENT;

/** Throws InvalidInputError unless `name` is a valid user name. */
export function assertUserName(name: string): void {
  if (!USER_NAME_PATTERN.test(name)) {
    throw new InvalidInputError(`"${name.slice(0, 80)}" is not a valid user name.`, {
      hint: 'Use 1 to 64 letters, digits, ".", "_", "-" or "@".',
    });
  }
}

/** Throws InvalidInputError for a role list a backend must not store: empty names or the same environment twice. */
export function assertRoles(roles: readonly UserRole[]): void {
  assertDistinctNames(roles.map((r) => r.environment), (name) => `"${name}" is not an environment name.`, (name) => `Environment "${name}" is named twice.`);
}

/** Throws InvalidInputError for named roles a backend must not store: empty or overlong names, or one named twice. */
export function assertNamedRoles(names: readonly string[]): void {
  assertDistinctNames(names, (name) => `"${name.slice(0, 80)}" is not a role name.`, (name) => `Role "${name}" is named twice.`);
}

/** Names of 1 to 64 characters, each once; the messages say which kind of name is wrong. */
function assertDistinctNames(names: readonly string[], invalid: (name: string) => string, twice: (name: string) => string): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (name.length === 0 || name.length > 64) throw new InvalidInputError(invalid(name));
    if (seen.has(name)) throw new InvalidInputError(twice(name));
    seen.add(name);
  }
}
