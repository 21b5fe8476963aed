/**
 * `sqlgate users add|list|remove|passwd|roles|signout`: local users in the state store. Passwords come from a hidden
 * prompt or --password-stdin, are checked against the policy and stored as argon2id hashes; nothing here prints one.
 * What a user may use (--env/--all-envs/--write, --role) is read in user-access.ts.
 */
import type { Command } from 'commander';
import type { Config, NamedRoles } from '../config/schema.js';
import { InvalidInputError } from '../errors.js';
import { assertUserName, type StoredUser } from '../store/user-store.js';
import { readNewPassword, type CliStdin } from './read-password.js';
import { accessFromOptions, describeAccess, type AccessOptions } from './user-access.js';
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
    .option('--role <names>', 'comma-separated named roles (the configuration\'s "roles"), besides or instead of --env')
    .option('--password-stdin', 'read the password from standard input (for scripts)')
    .action(deps.guard(async (name: string, options: ConfigOptions & AccessOptions & { passwordStdin?: boolean }) => {
      assertUserName(name);
      const config = deps.loadConfig(options);
      const { roles, namedRoles } = accessFromOptions(config, options);
      return withStore(config, async (store, recordAdmin) => {
        if (await store.users.get(name)) {
          throw new InvalidInputError(`A user named "${name}" already exists.`, { hint: 'Use "sqlgate users passwd" to change a password.' });
        }
        const passwordHash = await newPasswordHash(deps, name, options.passwordStdin === true);
        const user = await store.users.add({ name, passwordHash, roles, namedRoles });
        deps.stdout(`Added user ${user.name}: ${describeAccess(user, config.roles)}.\n`);
        await recordAdmin('users add', { user: user.name, details: { roles: user.roles, named_roles: user.namedRoles } });
      });
    }));

  withConfig(users.command('list'))
    .description('List the users and what they may use (never their password hashes).')
    .option('--json', 'print the users as JSON')
    .action(deps.guard(async (options: ConfigOptions & { json?: boolean }) => {
      const config = deps.loadConfig(options);
      return withStore(config, async (store) => {
        const all = await store.users.list();
        deps.stdout(options.json ? `${JSON.stringify({ users: all.map((u) => toJson(u, config.roles)) }, null, 2)}\n` : toText(all, config.roles));
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
    .description('Replace what a user may use: environments and named roles (their existing tokens follow at once).')
    .option('--env <names>', 'comma-separated environments the user may use')
    .option('--all-envs', 'the user may use every environment, including ones added later')
    .option('--write', 'the user may write where the environment allows writes (default: read only)')
    .option('--role <names>', 'comma-separated named roles (the configuration\'s "roles"), besides or instead of --env')
    .action(deps.guard(async (name: string, options: ConfigOptions & AccessOptions) => {
      const config = deps.loadConfig(options);
      const access = accessFromOptions(config, options);
      return withStore(config, async (store, recordAdmin) => {
        const user = await requireUser(store, name);
        await store.users.setRoles(user.name, access.roles, access.namedRoles);
        await recordAdmin('users roles', {
          user: user.name,
          details: { before: user.roles, after: access.roles, named_roles_before: user.namedRoles, named_roles_after: access.namedRoles },
        });
        deps.stdout(`${user.name} may now use: ${describeAccess(access, config.roles)}.\n`);
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
  // argon2 is a native addon: loaded when a password is set, not each time the command line starts (issue 12).
  const { assertPasswordPolicy, hashPassword } = await import('../auth/password-hash.js');
  assertPasswordPolicy(password, name);
  return hashPassword(password);
}

function toJson(user: StoredUser, roles: NamedRoles) {
  return {
    name: user.name,
    roles: user.roles.map((r) => ({ environment: r.environment, canWrite: r.canWrite })),
    namedRoles: user.namedRoles.map((name) => ({ name, isConfigured: roles.has(name) })),
    createdAt: user.createdAt.toISOString(),
    passwordChangedAt: user.passwordChangedAt.toISOString(),
  };
}

function toText(users: readonly StoredUser[], roles: NamedRoles): string {
  if (users.length === 0) return 'No users yet. Add one with: sqlgate users add NAME --env ENVIRONMENT (or --role ROLE)\n';
  const width = Math.max(4, ...users.map((u) => u.name.length)) + 2;
  const lines = users.map((u) => `${u.name.padEnd(width)}${describeAccess(u, roles)}`);
  return `${'NAME'.padEnd(width)}ACCESS\n${lines.join('\n')}\n`;
}
