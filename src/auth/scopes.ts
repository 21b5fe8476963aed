/**
 * sqlgate's two scopes and what a user may be granted. `sql:read` lets a client use an environment's tools for
 * reading; `sql:write` also lets it run statements that write — only where the environment is writable and the
 * user's role allows writing.
 */
import type { StoredUser } from '../store/user-store.js';
import { ALL_ENVIRONMENTS } from '../store/user-store.js';

export const SCOPE_READ = 'sql:read';
export const SCOPE_WRITE = 'sql:write';
export const SQL_SCOPES = [SCOPE_READ, SCOPE_WRITE] as const;

/** The scopes `user` may hold for an environment (none when they have no role for it). */
export function allowedScopes(user: StoredUser, environment: string, environmentIsWritable: boolean): string[] {
  const role = user.roles.find((r) => r.environment === environment) ?? user.roles.find((r) => r.environment === ALL_ENVIRONMENTS);
  if (!role) return [];
  return role.canWrite && environmentIsWritable ? [SCOPE_READ, SCOPE_WRITE] : [SCOPE_READ];
}
