/**
 * The composition root: builds the environments (one Dialect each), the tools, the MCP server factories and the
 * HTTP app from a Config, and passes each its dependencies. No module-level singletons anywhere else.
 */
import type { McpServerFactory } from '@modelcontextprotocol/server';
import type { Config, EnvironmentConfig } from './config/schema.js';
import { createDialect } from './db/registry.js';
import { ensureDemoDatabase } from './demo/ensure-demo.js';
import { checkPrivileges, reasonOf, type PrivilegeCheck } from './environments/check-privileges.js';
import { EnvironmentRegistry, type Environment } from './environments/environment.js';
import { ConfigError } from './errors.js';
import { StatementRulesCache } from './guard/create-statement-rules.js';
import { createHttpApp, type HttpApp } from './http/create-http-app.js';
import { createMcpServerFactory } from './mcp/create-mcp-server.js';
import type { Logger } from './telemetry/logger.js';
import { ALL_TOOLS } from './tools/all-tools.js';
import { AuthorizationServer } from './auth/authorization-server.js';
import { BearerVerifier } from './auth/bearer-verifier.js';
import { InteractionHandler } from './auth/interactions.js';
import { UpstreamSignIn } from './auth/upstream-sign-in.js';
import { publicBaseResolver } from './http/public-base.js';
import type { AuthorizationRoutes } from './http/authorization-routes.js';
import { openStateStore } from './store/open-state-store.js';
import type { StateStore } from './store/state-store.js';

export interface Sqlgate {
  readonly config: Config;
  readonly environments: EnvironmentRegistry;
  readonly http: HttpApp;
  /** The state store (users, tokens, OAuth records); absent when auth.mode is none. */
  readonly store?: StateStore;
  /** The authorization server; absent when auth.mode is none. */
  readonly authorizationServer?: AuthorizationServer;
  /** The MCP server factory of one environment (stdio serves it directly). */
  serverFactory(environmentName: string): McpServerFactory;
  close(): Promise<void>;
}

export async function createSqlgate(config: Config, logger: Logger): Promise<Sqlgate> {
  await ensureDemoDatabases(config.environments, logger);
  const built: Environment[] = [];
  const rulesCache = new StatementRulesCache();
  try {
    for (const environmentConfig of config.environments) {
      const dialect = createDialect(environmentConfig);
      await dialect.open();
      built.push({ name: environmentConfig.name, config: environmentConfig, dialect, rules: await rulesCache.rulesFor(environmentConfig.target) });
    }
    await checkPrivilegesAtStart(built, logger);
  } catch (err) {
    await Promise.all(built.map((e) => e.dialect.close()));
    throw err;
  }
  const environments = new EnvironmentRegistry(built);
  const factories = new Map(
    environments.list().map((e) => [e.name, createMcpServerFactory(e, ALL_TOOLS, logger.child({ environment: e.name }))]),
  );
  // resolve() throws the NotFoundError for an unknown name; every known name has a factory.
  const serverFactory = (name: string): McpServerFactory => factories.get(environments.resolve(name).name)!;
  let authorization: AuthorizationRoutes | undefined;
  let store: StateStore | undefined;
  try {
    if (config.auth.mode === 'oauth') {
      store = await openStateStore(config.store);
      authorization = await createAuthorization(config, environments, store, logger);
    }
  } catch (err) {
    await store?.close();
    await environments.close();
    throw err;
  }
  const http = createHttpApp({ server: config.server, environments, tools: ALL_TOOLS, serverFactory, logger, authorization });
  return {
    config,
    environments,
    http,
    serverFactory,
    store,
    authorizationServer: authorization?.authorizationServer,
    close: async () => {
      await http.close();
      authorization?.authorizationServer.close();
      await environments.close();
      await store?.close();
    },
  };
}

async function createAuthorization(config: Config, environments: EnvironmentRegistry, store: StateStore, logger: Logger): Promise<AuthorizationRoutes> {
  const authLogger = logger.child({ component: 'auth' });
  const authorizationServer = await AuthorizationServer.create({
    auth: config.auth,
    store,
    environments: environments.list().map((e) => ({ name: e.name, readOnly: e.config.readOnly, externalAuth: e.config.externalAuth })),
    logger: authLogger,
  });
  await authorizationServer.collectGarbage();
  return {
    authorizationServer,
    interactions: new InteractionHandler(authorizationServer, store.users, config.auth, authLogger,
      config.auth.upstream && new UpstreamSignIn(config.auth.upstream, store.users, store.oauth)),
    verifier: new BearerVerifier(authorizationServer, store),
    auth: config.auth,
    publicBase: publicBaseResolver(config.auth),
  };
}

/**
 * For `sqlgate doctor`: opens each environment's database on its own (no tools, no HTTP), checks its login's
 * privileges and closes it again. A demo database is generated first, as `serve` would.
 */
export async function checkEnvironmentPrivileges(environments: readonly EnvironmentConfig[], logger: Logger): Promise<PrivilegeCheck[]> {
  await ensureDemoDatabases(environments, logger);
  return Promise.all(
    environments.map(async (config) => {
      const dialect = createDialect(config);
      await dialect.open();
      try {
        return await checkPrivileges({ name: config.name, config, dialect });
      } finally {
        await dialect.close();
      }
    }),
  );
}

async function ensureDemoDatabases(environments: readonly EnvironmentConfig[], logger: Logger): Promise<void> {
  for (const environment of environments) {
    if (environment.isDemo && environment.target.dialect === 'sqlite' && (await ensureDemoDatabase(environment.target.file))) {
      logger.info({ environment: environment.name, file: environment.target.file }, 'created the demo database');
    }
  }
}

/**
 * Least privilege at start. Each read-only environment's login is checked (in parallel, once): one that could write
 * or reach the server's files is a loud warning, or with strict_privileges a refusal to start. A database that is
 * down is not checked and does not stop the server: availability of the others matters more, and doctor can
 * check it later.
 */
async function checkPrivilegesAtStart(environments: readonly Environment[], logger: Logger): Promise<void> {
  const checks = await Promise.all(environments.filter((e) => e.config.readOnly && !e.config.isDemo).map((e) => checkPrivileges(e)));
  const refusals: string[] = [];
  for (const check of checks) {
    const log = logger.child({ environment: check.environment });
    const name = `"${check.environment}"`;
    if (!check.database.connected) {
      log.warn({ reason: check.error, strictPrivileges: check.strictPrivileges },
        `database of environment ${name} unreachable at start: its login's privileges were not checked; run "sqlgate doctor" once it is up`);
    } else if (check.report === null) {
      if (check.strictPrivileges) refusals.push(`Environment ${name}: ${check.error}`);
      else log.warn({ reason: check.error }, `could not check the privileges of environment ${name}'s login`);
    } else if (check.isOverPrivileged) {
      const { login, canWrite, canReachServerFiles, findings } = check.report;
      const can = [canWrite && 'write', canReachServerFiles && "reach the server's files"].filter(Boolean).join(' and ');
      const what = `read-only environment ${name} is served by login ${login}, which can ${can}: ${reasonOf(check.report)}`;
      if (check.strictPrivileges) refusals.push(`The ${what}`);
      else log.warn({ login, canWrite, canReachServerFiles, findings }, `!!! LEAST PRIVILEGE: ${what}`);
    }
  }
  if (refusals.length > 0) {
    throw new ConfigError(`Refusing to start (strict_privileges: true).\n${refusals.join('\n')}`, {
      hint: 'Serve it with a login that can only read (the finding says what to take away), check with "sqlgate doctor", '
        + 'or set strict_privileges: false for the environment to serve it with a warning.',
    });
  }
}
