/**
 * Users keep the names of their named roles in the state store, while the roles themselves live in the
 * configuration: a role deleted from (or renamed in) the configuration leaves its name on its users, where it gives
 * nothing (auth/scopes.ts reads only configured roles) but would come back to life if a role of that name were
 * configured again. Found at start, so the operator hears of it once rather than never.
 */
import type { NamedRoles } from '../config/schema.js';
import type { UserStore } from '../store/user-store.js';

/** Role name → the users that hold it although the configuration no longer defines it; empty when none. */
export async function staleNamedRoles(users: UserStore, roles: NamedRoles): Promise<Map<string, string[]>> {
  const stale = new Map<string, string[]>();
  for (const user of await users.list()) {
    for (const role of user.namedRoles) {
      if (roles.has(role)) continue;
      stale.set(role, [...(stale.get(role) ?? []), user.name]);
    }
  }
  return stale;
}

/** The start-up warning for `stale`, naming roles and (a few of) their users and what to do. */
export function staleNamedRolesWarning(stale: ReadonlyMap<string, readonly string[]>): string {
  const listed = [...stale].map(([role, names]) => `${role} (${names.slice(0, 5).join(', ')}${names.length > 5 ? ` and ${names.length - 5} more` : ''})`);
  return `users hold named roles the configuration no longer defines: ${listed.join('; ')}. They give nothing now, `
    + 'and would give again whatever a role of that name is configured to give. Replace those users\' roles with '
    + '"sqlgate users roles NAME …", or define the roles again.';
}
