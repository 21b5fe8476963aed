/**
 * Who the database is told is calling, for row-level security: built in this one place from the tool call's
 * identity, for every tool that runs SQL through run-query.ts (execute_sql, get_table_sample, configured tools).
 * Catalog tools read only the engine's catalog, which row-level security does not filter, and pass nothing.
 */
import type { SessionContext } from '../db/dialect.js';
import type { Environment } from '../environments/environment.js';
import { anonymousIdentity, type Identity } from '../environments/identity.js';

/**
 * The caller for environments with `session_context: true`; undefined elsewhere, so nothing is set. A caller
 * without sign-in (stdio, auth.mode none) is `anonymous`, and may write where the environment is writable, as
 * execute_sql lets them. `roles` is the caller's access in the environment, `write` or `read`, then the named
 * roles (config `roles`) that give it, comma-separated: `read,analyst`.
 */
export function sessionContextFor(environment: Environment, identity: Identity | undefined): SessionContext | undefined {
  if (!environment.config.sessionContext) return undefined;
  const caller = identity ?? anonymousIdentity(environment.name, !environment.config.readOnly);
  const roles = [caller.canWrite ? 'write' : 'read', ...(caller.roles ?? [])].join(',');
  return { user: caller.user, roles, client: caller.clientId ?? null };
}
