/**
 * What `sqlgate users add|roles` give a user, read from --env/--all-envs/--write and --role and checked against the
 * configuration, and how `users` commands describe it. A user's access is the union of their own roles and their
 * named roles (auth/scopes.ts); a named role the configuration no longer has is shown as unknown and gives nothing.
 */
import type { Config, NamedRoles } from '../config/schema.js';
import { ConfigError, InvalidInputError } from '../errors.js';
import { ALL_ENVIRONMENTS, type StoredUser, type UserRole } from '../store/user-store.js';
import { closestMatches } from '../util/closest-matches.js';

/** The options of `users add` and `users roles` that say what the user may use. */
export interface AccessOptions {
  env?: string;
  allEnvs?: boolean;
  write?: boolean;
  role?: string;
}

/** A user's whole access: what `UserStore.setRoles` replaces. */
export interface UserAccess {
  readonly roles: UserRole[];
  readonly namedRoles: string[];
}

/**
 * --env a,b or --all-envs (not both) with --write for each, and/or --role r,s; at least one of them. Unknown
 * environments and roles are refused, naming the configured ones.
 */
export function accessFromOptions(config: Config, options: AccessOptions): UserAccess {
  const configured = config.configuredEnvironments.map((e) => e.name);
  const hint = `Configured environments: ${configured.join(', ')}.${config.roles.size > 0 ? ` Configured roles: ${[...config.roles.keys()].join(', ')}.` : ''}`;
  if (options.allEnvs && options.env !== undefined) throw new InvalidInputError('Give either --env or --all-envs, not both.');
  if (options.env === undefined && !options.allEnvs && options.role === undefined) {
    throw new InvalidInputError('Say what the user may use: --env NAME[,NAME…] or --all-envs, --role ROLE[,ROLE…], or both.', { hint });
  }
  if (options.write && options.env === undefined && !options.allEnvs) {
    throw new InvalidInputError('--write applies to the environments of --env or --all-envs; a named role says itself whether it writes.');
  }
  return { roles: rolesFromOptions(configured, options), namedRoles: namedRolesFromOption(config.roles, options.role) };
}

function rolesFromOptions(configured: readonly string[], options: AccessOptions): UserRole[] {
  const canWrite = options.write === true;
  if (options.allEnvs) return [{ environment: ALL_ENVIRONMENTS, canWrite }];
  if (options.env === undefined) return [];
  const names = namesOf(options.env);
  if (names.length === 0) throw new InvalidInputError('--env names no environment.', { hint: `Configured environments: ${configured.join(', ')}.` });
  const unknown = names.filter((n) => !configured.includes(n));
  if (unknown.length > 0) {
    throw new ConfigError(`There is no environment named ${unknown.map((n) => `"${n}"`).join(', ')}.`, {
      hint: `Configured environments: ${configured.join(', ')}.`,
    });
  }
  return names.map((environment) => ({ environment, canWrite }));
}

function namedRolesFromOption(roles: NamedRoles, option: string | undefined): string[] {
  if (option === undefined) return [];
  const names = namesOf(option);
  const known = [...roles.keys()];
  const listed = known.length > 0 ? `Configured roles: ${known.join(', ')}.` : 'No roles are configured: define them under "roles" in the configuration (docs/configuration.md).';
  if (names.length === 0) throw new InvalidInputError('--role names no role.', { hint: listed });
  const unknown = names.filter((n) => !roles.has(n));
  if (unknown.length > 0) {
    const [closest] = closestMatches(unknown[0]!, known, 1);
    throw new ConfigError(`There is no role named ${unknown.map((n) => `"${n.slice(0, 80)}"`).join(', ')}.`, {
      hint: `${closest === undefined ? '' : `Did you mean "${closest}"? `}${listed}`,
    });
  }
  return names.sort();
}

function namesOf(list: string): string[] {
  return [...new Set(list.split(',').map((n) => n.trim()).filter((n) => n !== ''))];
}

/**
 * "analytics (read, write), demo (read); roles analyst, ops", with "(unknown: gives nothing)" after a named role
 * the configuration does not have; "no environments" for a user with neither.
 */
export function describeAccess(user: Pick<StoredUser, 'roles' | 'namedRoles'>, roles: NamedRoles): string {
  const own = user.roles
    .map((r) => `${r.environment === ALL_ENVIRONMENTS ? 'every environment' : r.environment} (${r.canWrite ? 'read, write' : 'read'})`)
    .join(', ');
  const named = user.namedRoles.map((name) => (roles.has(name) ? name : `${name} (unknown: not in the configuration, gives nothing)`)).join(', ');
  const parts = [own, named && `${user.namedRoles.length === 1 ? 'role' : 'roles'} ${named}`].filter((part) => part !== '');
  return parts.length === 0 ? 'no environments' : parts.join('; ');
}
