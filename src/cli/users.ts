/**
 * `sqlgate users add|list|remove|passwd`: local users in the state store. Passwords come from a hidden prompt or
 * --password-stdin, are checked against the policy and stored as argon2id hashes; nothing here prints one.
 */
import type { Command } from 'commander';
import { assertPasswordPolicy, hashPassword } from '../auth/password-hash.js';
import type { Config } from '../config/schema.js';
import { ConfigError, InvalidInputError } from '../errors.js';
import { ALL_ENVIRONMENTS, assertUserName, type StoredUser, type UserRole } from '../store/user-store.js';
import { readNewPassword, type CliStdin } from './read-password.js';
import { requireUser, withConfigOptions, withStore } from './with-store.js';

export interface UsersCommandDeps {
  readonly stdin: CliStdin | undefined;
  readonly stdout: (text: string) => void;
  /** Prompts go to stderr, so that stdout stays clean for scripts. */
  readonly stderr: (text: string) => void;
  /** Loads the configuration for --config/--dir, as the other commands do. */
  readonly loadConfig: (options: ConfigOptions) => Config;
  /** Runs an action and records its exit code (run-cli.ts's error guard). */
  readonly guard: (action: (...args: any[]) => Promise<number | void>) => (...args: any[]) => Promise<void>;
}

interface ConfigOptions {
  config?: string;
  dir?: string;
}

export function addUsersCommand(program: Command, deps: UsersCommandDeps): void {
  const users = program.command('users').description('Manage the local users who may sign in (kept in the state store, store.url).');
  const withConfig = withConfigOptions;

  withConfig(users.command('add').argument('<name>', 'user name: 1-64 letters, digits, ".", "_", "-" or "@"'))
    .description('Add a user, asking for the password (twice, hidden) unless --password-stdin is given.')
    .option('--env <names>', 'comma-separated environments the user may use')
    .option('--all-envs', 'the user may use every environment, including ones added later')
    .option('--write', 'the user may write where the environment allows writes (default: read only)')
    .option('--password-stdin', 'read the password from standard input (for scripts)')
    .action(deps.guard(async (name: string, options: ConfigOptions & { env?: string; allEnvs?: boolean; write?: boolean; passwordStdin?: boolean }) => {
      assertUserName(name);
      const config = deps.loadConfig(options);
      const roles = rolesFromOptions(config, options);
      return withStore(config, async (store, recordAdmin) => {
        if (await store.users.get(name)) {
          throw new InvalidInputError(`A user named "${name}" already exists.`, { hint: 'Use "sqlgate users passwd" to change a password.' });
        }
        const passwordHash = await newPasswordHash(deps, name, options.passwordStdin === true);
        const user = await store.users.add({ name, passwordHash, roles });
        deps.stdout(`Added user ${user.name}: ${describeRoles(user.roles)}.\n`);
        await recordAdmin('users add', { user: user.name, details: { roles: user.roles } });
      });
    }));

  withConfig(users.command('list'))
    .description('List the users and what they may use (never their password hashes).')
    .option('--json', 'print the users as JSON')
    .action(deps.guard(async (options: ConfigOptions & { json?: boolean }) => {
      return withStore(deps.loadConfig(options), async (store) => {
        const all = await store.users.list();
        deps.stdout(options.json ? `${JSON.stringify({ users: all.map(toJson) }, null, 2)}\n` : toText(all));
      });
    }));

  withConfig(users.command('remove').argument('<name>', 'user name'))
    .description('Remove a user.')
    .action(deps.guard(async (name: string, options: ConfigOptions) => {
      return withStore(deps.loadConfig(options), async (store, recordAdmin) => {
        const user = await requireUser(store, name);
        const revoked = await store.oauth.revokeByAccount(user.name);
        await store.users.remove(user.name);
        await recordAdmin('users remove', { user: user.name, details: { revoked_oauth_records: revoked } });
        deps.stdout(`Removed user ${user.name}${revoked ? `; revoked ${revoked} OAuth record(s) (their clients are signed out)` : ''}.\n`);
      });
    }));

  withConfig(users.command('passwd').argument('<name>', 'user name'))
    .description("Change a user's password, asking for it (twice, hidden) unless --password-stdin is given.")
    .option('--password-stdin', 'read the password from standard input (for scripts)')
    .action(deps.guard(async (name: string, options: ConfigOptions & { passwordStdin?: boolean }) => {
      return withStore(deps.loadConfig(options), async (store, recordAdmin) => {
        const user = await requireUser(store, name);
        await store.users.setPasswordHash(user.name, await newPasswordHash(deps, user.name, options.passwordStdin === true));
        // A new password is usually a response to a leak: every client signed in as this user signs in again.
        const revoked = await store.oauth.revokeByAccount(user.name);
        await recordAdmin('users passwd', { user: user.name, details: { revoked_oauth_records: revoked } });
        deps.stdout(`Changed the password of ${user.name}; their OAuth clients must sign in again.\n`);
      });
    }));

  withConfig(users.command('roles').argument('<name>', 'user name'))
    .description('Replace which environments a user may use (their existing tokens follow the new roles at once).')
    .option('--env <names>', 'comma-separated environments the user may use')
    .option('--all-envs', 'the user may use every environment, including ones added later')
    .option('--write', 'the user may write where the environment allows writes (default: read only)')
    .action(deps.guard(async (name: string, options: ConfigOptions & { env?: string; allEnvs?: boolean; write?: boolean }) => {
      const config = deps.loadConfig(options);
      const roles = rolesFromOptions(config, options);
      return withStore(config, async (store, recordAdmin) => {
        const user = await requireUser(store, name);
        await store.users.setRoles(user.name, roles);
        await recordAdmin('users roles', { user: user.name, details: { before: user.roles, after: roles } });
        deps.stdout(`${user.name} may now use: ${describeRoles(roles)}.\n`);
      });
    }));

  withConfig(users.command('signout').argument('<name>', 'user name'))
    .description("Revoke every OAuth grant, token and browser session of a user (personal access tokens stay; see sqlgate tokens).")
    .action(deps.guard(async (name: string, options: ConfigOptions) => {
      return withStore(deps.loadConfig(options), async (store, recordAdmin) => {
        const user = await requireUser(store, name);
        const revoked = await store.oauth.revokeByAccount(user.name);
        await recordAdmin('users signout', { user: user.name, details: { revoked_oauth_records: revoked } });
        deps.stdout(`Signed ${user.name} out everywhere (${revoked} OAuth record(s) revoked).\n`);
      });
    }));
}

async function newPasswordHash(deps: UsersCommandDeps, name: string, isFromStdin: boolean): Promise<string> {
  const password = await readNewPassword({ stdin: deps.stdin, isFromStdin, prompt: deps.stderr });
  assertPasswordPolicy(password, name);
  return hashPassword(password);
}

/** --env a,b or --all-envs (exactly one), with --write for every role; unknown environments are refused. */
function rolesFromOptions(config: Config, options: { env?: string; allEnvs?: boolean; write?: boolean }): UserRole[] {
  const canWrite = options.write === true;
  const configured = config.configuredEnvironments.map((e) => e.name);
  if (options.allEnvs && options.env !== undefined) throw new InvalidInputError('Give either --env or --all-envs, not both.');
  if (options.allEnvs) return [{ environment: ALL_ENVIRONMENTS, canWrite }];
  if (options.env === undefined) {
    throw new InvalidInputError('Say which environments the user may use: --env NAME[,NAME…] or --all-envs.', {
      hint: `Configured environments: ${configured.join(', ')}.`,
    });
  }
  const names = [...new Set(options.env.split(',').map((n) => n.trim()).filter((n) => n !== ''))];
  if (names.length === 0) throw new InvalidInputError('--env names no environment.', { hint: `Configured environments: ${configured.join(', ')}.` });
  const unknown = names.filter((n) => !configured.includes(n));
  if (unknown.length > 0) {
    throw new ConfigError(`There is no environment named ${unknown.map((n) => `"${n}"`).join(', ')}.`, {
      hint: `Configured environments: ${configured.join(', ')}.`,
    });
  }
  return names.map((environment) => ({ environment, canWrite }));
}

function describeRoles(roles: readonly UserRole[]): string {
  if (roles.length === 0) return 'no environments';
  return roles
    .map((r) => `${r.environment === ALL_ENVIRONMENTS ? 'every environment' : r.environment} (${r.canWrite ? 'read, write' : 'read'})`)
    .join(', ');
}

function toJson(user: StoredUser) {
  return {
    name: user.name,
    roles: user.roles.map((r) => ({ environment: r.environment, canWrite: r.canWrite })),
    createdAt: user.createdAt.toISOString(),
    passwordChangedAt: user.passwordChangedAt.toISOString(),
  };
}

function toText(users: readonly StoredUser[]): string {
  if (users.length === 0) return 'No users yet. Add one with: sqlgate users add NAME --env ENVIRONMENT\n';
  const width = Math.max(4, ...users.map((u) => u.name.length)) + 2;
  const lines = users.map((u) => `${u.name.padEnd(width)}${describeRoles(u.roles)}`);
  return `${'NAME'.padEnd(width)}ACCESS\n${lines.join('\n')}\n`;
}
