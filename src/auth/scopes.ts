/**
 * sqlgate's two scopes and what a user may be granted. `sql:read` lets a client use an environment's tools for
 * reading; `sql:write` also lets it run statements that write — only where the environment is writable and the
 * user's role allows writing.
 *
 * The server's own rule, written once: the bearer verifier (every request), consent and `sqlgate tokens create`
 * all ask `environmentAccess`, so a token is never issued with rights a request would not get.
 */
import { roleAccessIn, type NamedRoles } from '../config/roles-schema.js';
import type { StoredUser } from '../store/user-store.js';
import { ALL_ENVIRONMENTS } from '../store/user-store.js';

export const SCOPE_READ = 'sql:read';
export const SCOPE_WRITE = 'sql:write';
export const SQL_SCOPES = [SCOPE_READ, SCOPE_WRITE] as const;

/** What a user may do in one environment, and through which named roles. */
export interface EnvironmentAccess {
  /** The scopes the user may hold there: none, sql:read, or sql:read and sql:write. */
  readonly scopes: string[];
  /** The named roles that give the environment (their limits apply there too), in the user's order. */
  readonly roles: string[];
}

/**
 * A user's access to an environment: the union of their own role there (one for the environment beats one for
 * every environment) and what each of their named roles gives there (roles.<name>.environments). A named role
 * that `roles` no longer has gives nothing. Writing also needs a writable environment.
 */
export function environmentAccess(user: StoredUser, environment: string, environmentIsWritable: boolean, roles: NamedRoles): EnvironmentAccess {
  const own = user.roles.find((r) => r.environment === environment) ?? user.roles.find((r) => r.environment === ALL_ENVIRONMENTS);
  let canRead = own !== undefined;
  let canWrite = own?.canWrite ?? false;
  const through: string[] = [];
  for (const name of user.namedRoles) {
    const role = roles.get(name);
    const access = role && roleAccessIn(role, environment);
    if (!access) continue;
    through.push(name);
    canRead = true;
    canWrite ||= access === 'write';
  }
  if (!canRead) return { scopes: [], roles: [] };
  return { scopes: canWrite && environmentIsWritable ? [SCOPE_READ, SCOPE_WRITE] : [SCOPE_READ], roles: through };
}

/** The scopes `user` may hold for an environment (none when nothing gives it to them): environmentAccess's scopes. */
export function allowedScopes(user: StoredUser, environment: string, environmentIsWritable: boolean, roles: NamedRoles): string[] {
  return environmentAccess(user, environment, environmentIsWritable, roles).scopes;
}
