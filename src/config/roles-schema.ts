/**
 * Named roles (the top-level `roles` section): what a role gives in each environment, and limits of its own. Users
 * (`sqlgate users add NAME --role R`) and upstream groups (`auth.upstream.role_mappings[].roles`) get roles by name.
 * Part of the schema in schema.ts, kept apart to keep each file about one thing; schema.ts checks the environment
 * names against the configured environments, since only it sees both sections.
 */
import { z } from 'zod';
import { limitSetSchema, type LimitSet } from './limits-schema.js';

/** A role name: lower-case, as environment names are, so that `--role Analyst` cannot name a second role. */
export const ROLE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The environment key that stands for every environment, as in a user's own roles. */
export const EVERY_ENVIRONMENT = '*';

const roleName = z
  .string()
  .regex(ROLE_NAME_PATTERN, 'lower-case letters, digits, "-" and "_", starting with a letter or digit')
  // session_context passes "read" or "write" in front of the role names: a role so named would pass for that access.
  .refine((name) => name !== 'read' && name !== 'write', 'is reserved: "read" and "write" name the access level; choose another name');

/** What a role gives in one environment. */
const accessSchema = z.enum(['read', 'write']);

const namedRoleSchema = z
  .strictObject({
    /** Environment name (or "*" for every environment) → read or write. An environment named here beats "*". */
    environments: z
      .record(z.string(), accessSchema)
      .refine((environments) => Object.keys(environments).length > 0, 'must name at least one environment ("*" for every one)'),
    /** Limits of the role's users where the role gives access; the stricter of these and the environment's wins. */
    limits: limitSetSchema.optional(),
  })
  // Maps, not records: names come from the store and the upstream provider, and a record would answer
  // "constructor" with Object's own property.
  .transform((r) => ({ environments: new Map(Object.entries(r.environments)) as ReadonlyMap<string, RoleAccess>, limits: r.limits }));

export const rolesSchema = z
  .record(roleName, namedRoleSchema)
  .transform((roles) => new Map(Object.entries(roles)) as ReadonlyMap<string, NamedRole>);

export type RoleAccess = z.output<typeof accessSchema>;

/** One named role: its access per environment ("*" for every one) and its limits (absent: none of its own). */
export interface NamedRole {
  readonly environments: ReadonlyMap<string, RoleAccess>;
  readonly limits?: LimitSet;
}

/** Every named role of the configuration, by name (empty when there is no `roles` section). */
export type NamedRoles = ReadonlyMap<string, NamedRole>;

/**
 * What `role` gives in `environment`: its entry for that environment, else its "*" entry, else nothing. The one
 * reading of a role's environments: access (auth/scopes.ts) and limits (limits/limit-scope.ts) both use it.
 */
export function roleAccessIn(role: NamedRole, environment: string): RoleAccess | undefined {
  return role.environments.get(environment) ?? role.environments.get(EVERY_ENVIRONMENT);
}
