/**
 * `sqlgate tokens create|list|revoke`: personal access tokens for scripts and for clients configured with a
 * header. `create` prints the token once, alone on stdout (so `TOKEN=$(sqlgate tokens create …)` works) and
 * everything else on stderr; nothing else ever prints a token or its hash.
 */
import type { Command } from 'commander';
import { describeTokenState, generatePersonalToken, parseTtl } from '../auth/personal-token.js';
import { allowedScopes, SCOPE_WRITE } from '../auth/scopes.js';
import type { Config, ConfiguredEnvironment } from '../config/schema.js';
import { ConfigError, InvalidInputError } from '../errors.js';
import type { StoredPersonalToken } from '../store/personal-token-store.js';
import { ALL_ENVIRONMENTS, type StoredUser } from '../store/user-store.js';
import { requireUser, withConfigOptions, withStore } from './with-store.js';

export interface TokensCommandDeps {
  readonly stdout: (text: string) => void;
  /** Everything but the token itself, so that stdout stays clean for scripts. */
  readonly stderr: (text: string) => void;
  /** Loads the configuration for --config/--dir, as the other commands do. */
  readonly loadConfig: (options: ConfigOptions) => Config;
  /** Runs an action and records its exit code (run-cli.ts's error guard). */
  readonly guard: (action: (...args: any[]) => Promise<number | void>) => (...args: any[]) => Promise<void>;
  /** The clock, for expiry and state; tests fix it. */
  readonly now?: () => Date;
}

interface ConfigOptions {
  config?: string;
  dir?: string;
}

interface CreateOptions extends ConfigOptions {
  user: string;
  env: string;
  ttl: string;
  write?: boolean;
  description?: string;
}

const DEFAULT_TTL = '90d';
const MAX_DESCRIPTION_CHARS = 200;

export function addTokensCommand(program: Command, deps: TokensCommandDeps): void {
  const now = deps.now ?? (() => new Date());
  const tokens = program.command('tokens').description('Manage personal access tokens: bearer tokens for scripts and header-configured clients.');
  const withConfig = withConfigOptions;

  withConfig(tokens.command('create'))
    .description('Create a token for one user and one environment. Prints the token once, alone on stdout.')
    .requiredOption('-u, --user <name>', 'the user the token acts as')
    .requiredOption('-e, --env <name>', 'the one environment the token may use')
    .option('--ttl <duration>', 'lifetime: 90s, 15m, 12h, 30d, 1y … or "never" (at most 5y)', DEFAULT_TTL)
    .option('--write', "the token may write (needs the user's write role and a writable environment; default: read only)")
    .option('--description <text>', 'what the token is for, shown in listings (e.g. "nightly report job")')
    .action(deps.guard(async (options: CreateOptions) => {
      const ttlSeconds = parseTtl(options.ttl);
      const description = checkDescription(options.description);
      const config = deps.loadConfig(options);
      const environment = requireEnvironment(config, options.env);
      return withStore(config, async (store, recordAdmin) => {
        const user = await requireUser(store, options.user);
        const canWrite = options.write === true;
        assertMayUse(user, environment, canWrite, config);
        const created = now();
        const { token, id, tokenHash } = generatePersonalToken();
        const stored = await store.personalTokens.add({
          id, tokenHash, userName: user.name, environment: environment.name, canWrite, description,
          expiresAt: ttlSeconds === undefined ? undefined : new Date(created.getTime() + ttlSeconds * 1_000),
        });
        // The token itself is printed once, here, and recorded nowhere: the record names it by its id.
        await recordAdmin('tokens create', { user: user.name, environment: environment.name, details: { token_id: stored.id, can_write: canWrite, expires_at: stored.expiresAt?.toISOString() ?? null } });
        deps.stdout(`${token}\n`);
        deps.stderr(createdNotice(stored, mcpUrl(config, environment.name)));
      });
    }));

  withConfig(tokens.command('list'))
    .description('List tokens: id, user, environment, access, dates and state (never the token or its hash).')
    .option('-u, --user <name>', "only this user's tokens")
    .option('--json', 'print the tokens as JSON')
    .action(deps.guard(async (options: ConfigOptions & { user?: string; json?: boolean }) => {
      return withStore(deps.loadConfig(options), async (store) => {
        const userName = options.user === undefined ? undefined : (await requireUser(store, options.user)).name;
        const all = await store.personalTokens.list(userName);
        const at = now();
        deps.stdout(options.json ? `${JSON.stringify({ tokens: all.map((t) => toJson(t, at)) }, null, 2)}\n` : toText(all, at));
      });
    }));

  withConfig(tokens.command('revoke').argument('<id>', 'token id, as "sqlgate tokens list" shows it (pat_…)'))
    .description('Revoke a token. It stays listed, as revoked; revoking it again is harmless.')
    .action(deps.guard(async (id: string, options: ConfigOptions) => {
      return withStore(deps.loadConfig(options), async (store, recordAdmin) => {
        await store.personalTokens.revoke(id);
        await recordAdmin('tokens revoke', { details: { token_id: id } });
        deps.stdout(`Revoked personal access token ${id}.\n`);
      });
    }));
}

function requireEnvironment(config: Config, name: string): ConfiguredEnvironment {
  const environment = config.configuredEnvironments.find((e) => e.name === name);
  if (!environment) {
    throw new ConfigError(`There is no environment named "${name.slice(0, 80)}".`, {
      hint: `Configured environments: ${config.configuredEnvironments.map((e) => e.name).join(', ')}.`,
    });
  }
  return environment;
}

function checkDescription(description: string | undefined): string | undefined {
  if (description === undefined) return undefined;
  const trimmed = description.trim();
  if (trimmed === '') return undefined;
  // Listings print it as-is: no control characters that could forge lines or move the terminal cursor.
  if (trimmed.length > MAX_DESCRIPTION_CHARS || /\p{Cc}/u.test(trimmed)) {
    throw new InvalidInputError(`--description must be one line of at most ${MAX_DESCRIPTION_CHARS} characters.`);
  }
  return trimmed;
}

/**
 * A token never gets more than its user has: the user needs a role for the environment (or for every one), and a
 * write token needs a write role there and an environment that is not read-only. The role is resolved by the rule
 * the server applies to every request (auth/scopes.ts), so a token is never created with rights it would not get.
 */
function assertMayUse(user: StoredUser, environment: ConfiguredEnvironment, canWrite: boolean, config: Config): void {
  // The user's own rights, before the environment's read_only (which has its own message below).
  const scopes = allowedScopes(user, environment.name, true, config.roles);
  if (scopes.length === 0) {
    const allowed = [...user.roles.map((r) => r.environment), ...user.namedRoles.filter((r) => config.roles.has(r)).map((r) => `role ${r}`)];
    throw new InvalidInputError(`${user.name} may not use the environment "${environment.name}", so no token of theirs can.`, {
      hint: `${user.name} may use: ${allowed.length > 0 ? allowed.join(', ') : 'no environment'}. To grant "${environment.name}", `
        + `${grantCommand(user, environment.name, canWrite, config.roles)}.`,
    });
  }
  if (!canWrite) return;
  if (environment.readOnly) {
    throw new InvalidInputError(`The environment "${environment.name}" is read-only, so a token cannot write there.`, {
      hint: 'Leave out --write for a read-only token, or set read_only: false for the environment in the configuration if writes are intended.',
    });
  }
  if (!scopes.includes(SCOPE_WRITE)) {
    throw new InvalidInputError(`${user.name} may only read "${environment.name}", so a token of theirs cannot write there.`, {
      hint: `Leave out --write for a read-only token, or ${grantCommand(user, environment.name, true, config.roles)}.`,
    });
  }
}

/**
 * The `sqlgate users roles` command that grants `environment` on top of what the user has. It replaces the user's
 * named roles too, so it names the ones they have that are still configured (a removed one would be refused). Its
 * --write covers every environment it lists, so where the user reads some and writes others the hint says what
 * the command would change instead of silently making read-only roles writable (or the reverse).
 */
function grantCommand(user: StoredUser, environment: string, canWrite: boolean, roles: Config['roles']): string {
  const names = [...new Set([...user.roles.map((r) => r.environment), environment])];
  const access = names.includes(ALL_ENVIRONMENTS) ? '--all-envs' : `--env ${names.join(',')}`;
  const kept = user.namedRoles.filter((role) => roles.has(role));
  const named = kept.length > 0 ? ` --role ${kept.join(',')}` : '';
  const changed = user.roles.filter((r) => r.environment !== environment && r.canWrite !== canWrite).map((r) => r.environment);
  const caution = changed.length === 0 ? ''
    : ` (it would also make ${changed.join(', ')} ${canWrite ? 'writable' : 'read-only'} for ${user.name}: one command gives every listed environment the same access, so leave ${changed.length > 1 ? 'them' : 'it'} out or give the access through a named role)`;
  return `run: sqlgate users roles ${user.name} ${access}${canWrite ? ' --write' : ''}${named}${caution}`;
}

/** The environment's MCP URL: auth.public_url when set, else the address serve binds (a wildcard as localhost). */
function mcpUrl(config: Config, environment: string): string {
  const { host, port } = config.server;
  const reachable = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `${config.auth.publicUrl ?? `http://${reachable}:${port}`}/${environment}/mcp`;
}

function createdNotice(token: StoredPersonalToken, url: string): string {
  const initialize = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}';
  return [
    `Created personal access token ${token.id} for ${token.userName} on ${token.environment} (${token.canWrite ? 'read, write' : 'read only'}), `
      + `${token.expiresAt ? `expires ${formatDate(token.expiresAt)}` : 'never expires'}.`,
    'The token went to standard output and cannot be shown again: keep it like a password.',
    'Revoke it with: sqlgate tokens revoke ' + token.id,
    '',
    'With the token in $TOKEN (e.g. TOKEN=$(sqlgate tokens create …)):',
    `  curl -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' -d '${initialize}' ${url}`,
    'Claude Code:',
    `  claude mcp add --transport http sqlgate-${token.environment} ${url} --header "Authorization: Bearer $TOKEN"`,
    '',
  ].join('\n');
}

/** Minutes are precise enough for a listing, and UTC with a Z reads the same on every machine. */
function formatDate(date: Date): string {
  return `${date.toISOString().slice(0, 16)}Z`;
}

function toJson(token: StoredPersonalToken, now: Date) {
  return {
    id: token.id,
    user: token.userName,
    environment: token.environment,
    canWrite: token.canWrite,
    description: token.description ?? null,
    createdAt: token.createdAt.toISOString(),
    expiresAt: token.expiresAt?.toISOString() ?? null,
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    revokedAt: token.revokedAt?.toISOString() ?? null,
    state: describeTokenState(token, now),
  };
}

function toText(tokens: readonly StoredPersonalToken[], now: Date): string {
  if (tokens.length === 0) return 'No personal access tokens. Create one with: sqlgate tokens create --user NAME --env ENVIRONMENT\n';
  const header = ['ID', 'USER', 'ENV', 'ACCESS', 'CREATED', 'EXPIRES', 'LAST USED', 'STATE', 'DESCRIPTION'];
  const rows = tokens.map((t) => [
    t.id, t.userName, t.environment, t.canWrite ? 'read/write' : 'read', formatDate(t.createdAt),
    t.expiresAt ? formatDate(t.expiresAt) : 'never', t.lastUsedAt ? formatDate(t.lastUsedAt) : '-', describeTokenState(t, now), t.description ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)) + 2);
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('').trimEnd();
  return `${[header, ...rows].map(line).join('\n')}\n`;
}
