/**
 * Loads the configuration once, at start: YAML file → `${VAR}` expansion → `*_file` secrets → zod → frozen Config.
 * Only the environments the command opens get their database secrets loaded (see `environmentsToOpen`).
 *
 * Where it comes from, first match wins: `--config FILE`, `SQLGATE_CONFIG`, `./sqlgate.yaml`, the seed's
 * `MSSQL_*` variables (one SQL Server environment), and otherwise the embedded SQLite demo.
 * Every failure is a `ConfigError` naming the key path, the offending value (secrets masked) and what is expected.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { configErrorFromZod, PLAIN_MESSAGES } from './config-error-from-zod.js';
import { maskDatabaseUrl, parseDatabaseUrl } from './database-url.js';
import { demoToolsRaw } from './demo-tools.js';
import {
  configSchema,
  environmentSchema,
  STORE_SSL_MODES,
  type AuditConfig,
  type Config,
  type ConfigSource,
  type ConfiguredEnvironment,
  type EnvironmentConfig,
  type StoreConfig,
} from './schema.js';
import { yamlSyntaxError } from './yaml-syntax-error.js';

export interface LoadConfigOptions {
  /** `--config` from the command line. */
  configPath?: string;
  /** The process environment, passed in by cli/: config never reads it itself. */
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Command-line overrides of `server.*`. */
  overrides?: { host?: string; port?: number; insecureNoAuth?: boolean; authMode?: 'oauth' | 'none'; publicUrl?: string };
  /**
   * The environments whose databases the command opens: `'all'` (the default: serve), or their names (`stdio --env
   * X` and `doctor --env X`: `[X]`; users, tokens, grants and keys: `[]`). A name that is not configured is a
   * ConfigError. The others' database secrets (`database`, `password` and their `_file` forms) are neither expanded
   * nor read nor checked, so a `${VAR}` that only the server's environment sets does not stop an admin command;
   * everything else about them is validated as usual. They are left out of `Config.environments` and listed,
   * like every environment, in `Config.configuredEnvironments`.
   */
  environmentsToOpen?: EnvironmentsToOpen;
}

/** Which environments' databases a command opens: see LoadConfigOptions.environmentsToOpen. */
export type EnvironmentsToOpen = 'all' | readonly string[];

export const DEFAULT_CONFIG_FILE = 'sqlgate.yaml';
export const DEMO_DATABASE_FILE = path.join('data', 'demo.sqlite');

/**
 * Keys whose values are secrets: masked in errors, never read as a number or boolean after `${VAR}` expansion, and
 * (in an environment) loadable from `<key>_file`. `store` is limits.store (a Redis URL); `token` is metrics.token.
 */
const SECRET_KEYS = new Set(['database', 'password', 'url', 'store', 'token']);

/** An environment's database secrets: what a command that does not open its database leaves alone. */
const DATABASE_SECRET_KEYS = ['database', 'password', 'database_file', 'password_file'];

/**
 * Stands in for the database URL of an environment whose database the command does not open, so that the schema
 * still checks the rest of it. It is dropped right after validation and never reaches a Config.
 */
const NOT_LOADED_DATABASE = '(not loaded: this command does not open this database)';

export function loadConfig(options: LoadConfigOptions): Config {
  const { raw, source, baseDir } = readRawConfig(options);
  const toOpen = options.environmentsToOpen ?? 'all';
  const isOpened = (name: string) => toOpen === 'all' || toOpen.includes(name);
  const expanded = expandVariables(withoutUnopenedSecrets(raw, isOpened), options.env, []);
  applyOverrides(expanded, options.overrides);
  loadSecretFiles(expanded, baseDir);
  const parsed = configSchema.safeParse(expanded, PLAIN_MESSAGES);
  if (!parsed.success) {
    throw configErrorFromZod(parsed.error, { schema: configSchema, input: expanded, isSecretKey, hint: describeSource(source) });
  }

  const entries = Object.entries(parsed.data.environments);
  const configuredEnvironments: ConfiguredEnvironment[] = entries.map(([name, env]) => ({ name, readOnly: env.readOnly }));
  const unknown = toOpen === 'all' ? [] : toOpen.filter((name) => !Object.hasOwn(parsed.data.environments, name));
  if (unknown.length > 0) {
    throw new ConfigError(`There is no environment named ${unknown.map((name) => `"${name.slice(0, 80)}"`).join(', ')}.`, {
      hint: `Configured environments: ${configuredEnvironments.map((e) => e.name).join(', ')}.`,
    });
  }
  const environments = entries
    .filter(([name]) => isOpened(name))
    .map(([name, env]) => toEnvironmentConfig(name, env, options.cwd, source));
  const store = toStoreConfig(parsed.data.store.url, options.cwd, source, STATE_STORE_URL);
  const audit = toAuditConfig(parsed.data.audit, options.cwd, source);
  return deepFreeze({
    server: parsed.data.server, auth: parsed.data.auth, log: parsed.data.log, store, audit, limits: parsed.data.limits, metrics: parsed.data.metrics, telemetry: parsed.data.telemetry, roles: parsed.data.roles,
    environments, configuredEnvironments, source,
  });
}

/**
 * Validates one environment on its own (tests and tools that build a single environment use this), with the
 * same rules and defaults as a full configuration file.
 */
export function parseEnvironmentConfig(name: string, raw: Record<string, unknown>, cwd: string): EnvironmentConfig {
  const source: ConfigSource = { kind: 'file', path: `(environment ${name})` };
  const parsed = environmentSchema.safeParse(raw, PLAIN_MESSAGES);
  if (!parsed.success) {
    throw configErrorFromZod(parsed.error, {
      schema: environmentSchema, input: raw, keyPathPrefix: ['environments', name], isSecretKey, hint: describeSource(source),
    });
  }
  return toEnvironmentConfig(name, parsed.data, cwd, source);
}

function toEnvironmentConfig(name: string, env: z.output<typeof environmentSchema>, cwd: string, source: ConfigSource): EnvironmentConfig {
  const result = parseDatabaseUrl(env.databaseUrl, cwd);
  if (!result.ok) {
    throw new ConfigError(`environments.${name}.database ("${maskDatabaseUrl(env.databaseUrl)}") ${result.problem}.`, {
      hint: describeSource(source),
    });
  }
  let target = result.target;
  if (env.isDemo && target.dialect !== 'sqlite') {
    throw new ConfigError(`environments.${name}.demo: true needs a sqlite: database (got ${target.dialect}).`);
  }
  if (env.password !== undefined && target.dialect !== 'sqlite') target = { ...target, password: env.password };
  const { databaseUrl, password: _password, ...rest } = env;
  return deepFreeze({ ...rest, name, target, maskedUrl: maskDatabaseUrl(databaseUrl) });
}

function toAuditConfig(audit: { url: string; recordParameters: boolean; retentionSeconds: number; stream?: string }, cwd: string, source: ConfigSource): AuditConfig {
  const { stream } = audit;
  return {
    store: toStoreConfig(audit.url, cwd, source, AUDIT_TRAIL_URL),
    recordParameters: audit.recordParameters,
    retentionSeconds: audit.retentionSeconds,
    ...(stream === undefined ? {} : { stream: stream === 'stdout' ? { kind: 'stdout' as const } : { kind: 'file' as const, file: path.resolve(cwd, stream) } }),
  };
}

/** The keys whose URL is a store's (SQLite or PostgreSQL), and what the store is called in messages. */
interface StoreUrlKey {
  readonly key: string;
  readonly name: string;
}
const STATE_STORE_URL: StoreUrlKey = { key: 'store.url', name: 'state store' };
const AUDIT_TRAIL_URL: StoreUrlKey = { key: 'audit.url', name: 'audit trail' };

function toStoreConfig(url: string, cwd: string, source: ConfigSource, { key, name }: StoreUrlKey): StoreConfig {
  const maskedUrl = maskDatabaseUrl(url);
  const refuse = (problem: string) => new ConfigError(`${key} ("${maskedUrl}") ${problem}.`, { hint: describeSource(source) });
  const result = parseDatabaseUrl(url, cwd);
  if (!result.ok) throw refuse(result.problem);
  const { target } = result;
  if (target.dialect === 'sqlite') return { kind: 'sqlite', file: target.file };
  if (target.dialect !== 'postgres') throw refuse('must be a sqlite: or postgres:// URL');
  // Only sslmode is read: a parameter we ignored (sslrootcert, ssl=true) would let a reader believe the
  // connection is checked in a way it is not.
  for (const [param, value] of Object.entries(target.params)) {
    if (param !== 'sslmode') throw refuse(`has the parameter "${param}", which the ${name} does not read (only sslmode)`);
    if (!(STORE_SSL_MODES as readonly string[]).includes(value.toLowerCase())) {
      throw refuse(`has sslmode "${value}", which is not one of ${STORE_SSL_MODES.join(', ')}`);
    }
  }
  return { kind: 'postgres', target: { ...target, dialect: 'postgres' }, maskedUrl };
}

interface RawConfig {
  raw: Record<string, unknown>;
  source: ConfigSource;
  baseDir: string;
}

function readRawConfig(options: LoadConfigOptions): RawConfig {
  const explicit = options.configPath ?? options.env.SQLGATE_CONFIG;
  const candidate = explicit ?? path.join(options.cwd, DEFAULT_CONFIG_FILE);
  const file = path.resolve(options.cwd, candidate);
  if (explicit !== undefined || fs.existsSync(file)) {
    return { raw: readYamlFile(file), source: { kind: 'file', path: file }, baseDir: path.dirname(file) };
  }
  if (options.env.MSSQL_HOST) {
    return { raw: legacyEnvironmentConfig(options.env), source: { kind: 'legacy-env' }, baseDir: options.cwd };
  }
  const demoFile = path.join(options.cwd, DEMO_DATABASE_FILE);
  const raw = {
    server: pickLegacyServer(options.env),
    environments: {
      demo: { database: `sqlite:${demoFile}`, demo: true, read_only: true, description: 'Demo sales database (SQLite)', tools: demoToolsRaw() },
    },
  };
  return { raw, source: { kind: 'demo', file: demoFile }, baseDir: options.cwd };
}

function readYamlFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`Cannot read the configuration file ${file} (${code ?? 'unreadable'}).`, {
      hint: 'Check the path given with --config or SQLGATE_CONFIG, or run "sqlgate init" to write one.',
    });
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw yamlSyntaxError(file, text, doc.errors);
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) {
    throw new ConfigError(`${file} is empty.`, { hint: 'Run "sqlgate init" to write a commented example.' });
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`${file} must be a YAML mapping with "server" and "environments" keys.`);
  }
  return value as Record<string, unknown>;
}

/** The seed's variable names: one SQL Server environment configured from the process environment. */
function legacyEnvironmentConfig(env: LoadConfigOptions['env']): Record<string, unknown> {
  const user = encodeURIComponent(env.MSSQL_USER ?? '');
  const password = encodeURIComponent(env.MSSQL_PASSWORD ?? '');
  const database = env.MSSQL_DATABASE ?? 'master';
  const port = env.MSSQL_PORT ?? '1433';
  const trust = isTrue(env.TrustServerCertificate ?? env.MSSQL_TRUST_SERVER_CERTIFICATE);
  const query = new URLSearchParams({ encrypt: 'true', trustServerCertificate: String(trust) });
  const name = database.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[-_]+/, '') || 'default';
  return {
    server: pickLegacyServer(env),
    auth: pickLegacyAuth(env),
    log: env.LOG_LEVEL ? { level: env.LOG_LEVEL.toLowerCase() } : undefined,
    environments: {
      [name]: {
        database: `sqlserver://${user}:${password}@${env.MSSQL_HOST}:${port}/${encodeURIComponent(database)}?${query}`,
        read_only: env.READ_ONLY_MODE === undefined ? true : isTrue(env.READ_ONLY_MODE),
      },
    },
  };
}

function pickLegacyServer(env: LoadConfigOptions['env']): Record<string, unknown> {
  const server: Record<string, unknown> = {};
  if (env.SERVER_HOST) server.host = env.SERVER_HOST;
  if (env.SERVER_PORT) server.port = /^\d+$/.test(env.SERVER_PORT) ? Number(env.SERVER_PORT) : env.SERVER_PORT;
  return server;
}

/** The seed's OAuth variables: ALLOWED_REDIRECT_HOSTS (comma-separated redirect URLs or hosts) and PUBLIC_URL. */
function pickLegacyAuth(env: LoadConfigOptions['env']): Record<string, unknown> {
  const auth: Record<string, unknown> = {};
  if (env.ALLOWED_REDIRECT_HOSTS) auth.allowed_redirects = env.ALLOWED_REDIRECT_HOSTS.split(',').map((h) => h.trim()).filter(Boolean);
  if (env.PUBLIC_URL) auth.public_url = env.PUBLIC_URL;
  return auth;
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Expands `${VAR}` and `${VAR:-default}` in every string value, as the shell does: `${VAR}` is the value, even an
 * empty one (`VAR=` is set), and a variable that is not set is an error; `${VAR:-default}` takes the default when
 * VAR is unset or empty. A value that is exactly one reference is read as a YAML scalar (`max_rows: ${ROWS}` gives
 * a number). A reference inside a database URL is percent-encoded, so a password with `@`, `/` or `:` cannot break
 * the URL.
 */
function expandVariables(value: unknown, env: LoadConfigOptions['env'], keyPath: string[]): any {
  if (typeof value === 'string') {
    const isWholeValue = new RegExp(`^${VARIABLE.source}$`).test(value);
    const isInsideUrl = !isWholeValue && SECRET_KEYS.has(keyPath.at(-1) ?? '') && /^[a-z][a-z0-9+.-]*:/i.test(value);
    const expanded = value.replace(VARIABLE, (_match, name: string, fallback: string | undefined) => {
      const found = env[name];
      const chosen = fallback !== undefined && (found === undefined || found === '') ? fallback : found;
      if (chosen === undefined) {
        throw new ConfigError(`${keyPath.join('.')} uses \${${name}}, but ${name} is not set in the environment.`, {
          hint: `Export ${name}, or write \${${name}:-default} to give a default.`,
        });
      }
      return isInsideUrl ? encodeURIComponent(chosen) : chosen;
    });
    return isWholeValue && !SECRET_KEYS.has(keyPath.at(-1) ?? '') ? parseScalar(expanded) : expanded;
  }
  if (Array.isArray(value)) return value.map((item, i) => expandVariables(item, env, [...keyPath, String(i)]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, expandVariables(item, env, [...keyPath, key])]),
    );
  }
  return value;
}

/** `42` → 42, `true` → true, anything else stays the string it is. */
function parseScalar(text: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  return text;
}

function applyOverrides(raw: Record<string, any>, overrides: LoadConfigOptions['overrides']): void {
  if (!overrides) return;
  const server = (raw.server ??= {});
  if (typeof server !== 'object') return; // the schema reports it
  if (overrides.host !== undefined) server.host = overrides.host;
  if (overrides.port !== undefined) server.port = overrides.port;
  if (overrides.insecureNoAuth) server.insecure_no_auth = true;
  if (overrides.authMode === undefined && overrides.publicUrl === undefined) return;
  const auth = (raw.auth ??= {});
  if (typeof auth !== 'object') return;
  if (overrides.authMode !== undefined) auth.mode = overrides.authMode;
  if (overrides.publicUrl !== undefined) auth.public_url = overrides.publicUrl;
}

/**
 * A copy of the raw configuration in which the environments the command does not open have no database secrets
 * left to expand or read: their password goes, and their database (given directly or as a file) becomes a stand-in.
 * One that names no database at all keeps it missing, so that the schema still says so.
 */
function withoutUnopenedSecrets(raw: Record<string, unknown>, isOpened: (name: string) => boolean): Record<string, unknown> {
  const environments = raw.environments;
  if (environments === null || typeof environments !== 'object' || Array.isArray(environments)) return raw;
  const kept = Object.entries(environments as Record<string, unknown>).map(([name, env]) => {
    if (isOpened(name) || env === null || typeof env !== 'object' || Array.isArray(env)) return [name, env];
    const settings = Object.fromEntries(Object.entries(env).filter(([key]) => !DATABASE_SECRET_KEYS.includes(key)));
    const hasDatabase = 'database' in env || 'database_file' in env;
    return [name, hasDatabase ? { database: NOT_LOADED_DATABASE, ...settings } : settings];
  });
  return { ...raw, environments: Object.fromEntries(kept) };
}

/** `database_file: /run/secrets/x` reads the secret from that file (trailing newline removed). */
function loadSecretFiles(raw: Record<string, any>, baseDir: string): void {
  const environments = raw.environments;
  if (environments === null || typeof environments !== 'object') return;
  for (const [name, env] of Object.entries(environments as Record<string, any>)) {
    if (env === null || typeof env !== 'object') continue;
    for (const key of SECRET_KEYS) {
      const fileKey = `${key}_file`;
      if (!(fileKey in env)) continue;
      const keyPath = `environments.${name}.${fileKey}`;
      if (key in env) throw new ConfigError(`environments.${name} sets both ${key} and ${fileKey}; keep one.`);
      if (typeof env[fileKey] !== 'string') throw new ConfigError(`${keyPath} must be a file path.`);
      const file = path.resolve(baseDir, env[fileKey]);
      try {
        env[key] = fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        throw new ConfigError(`${keyPath}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}).`);
      }
      delete env[fileKey];
    }
  }
}

function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key);
}

function describeSource(source: ConfigSource): string {
  switch (source.kind) {
    case 'file':
      return `Fix ${source.path}; "sqlgate init" writes a commented example.`;
    case 'legacy-env':
      return 'The configuration came from the MSSQL_* and SERVER_* environment variables.';
    case 'demo':
      return 'The configuration is the built-in demo; SERVER_HOST and SERVER_PORT override its address.';
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    // A Map's entries are not its properties (the named roles are Maps: their type is a ReadonlyMap).
    for (const item of value instanceof Map ? value.values() : Object.values(value)) deepFreeze(item);
  }
  return value;
}
