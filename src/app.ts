/**
 * The composition root: builds the environments (one Dialect each), the tools, the MCP server factories and the
 * HTTP app from a Config, and passes each its dependencies. No module-level singletons anywhere else.
 *
 * What only some configurations use is imported when they do (issue 12): a dialect's driver and parser
 * (db/registry.ts, guard/create-statement-rules.ts), the stores' backends (store/open-state-store.ts), the
 * authorization server (app-authorization.ts), prom-client and OpenTelemetry. A PostgreSQL-only server without
 * OAuth starts in about half the time and memory it would take with all of them loaded.
 */
import { randomBytes } from 'node:crypto';
import type { AuditTrail } from './audit/audit-trail.js';
import type { AuthorizationServer } from './auth/authorization-server.js';
import { openAuditTrail } from './audit/open-audit-trail.js';
import { refusalBudget } from './audit/refusal-budget.js';
import { securityRecorder } from './audit/security-recorder.js';
import { startTracing } from './telemetry/tracing.js';
import type { Config, EnvironmentConfig } from './config/schema.js';
import type { ConnectionStatus } from './db/dialect.js';
import { createDialect } from './db/registry.js';
import { describeDemo } from './demo/describe-demo.js';
import { ensureDemoDatabase } from './demo/ensure-demo.js';
import { checkPrivileges, reasonOf, type PrivilegeCheck } from './environments/check-privileges.js';
import { EnvironmentRegistry, type Environment } from './environments/environment.js';
import { logRunaway } from './environments/runaway-log.js';
import { ConfigError } from './errors.js';
import { StatementRulesCache } from './guard/create-statement-rules.js';
import { createHttpApp, type HttpApp } from './http/create-http-app.js';
import { createMcpServerFactory, type SqlgateServerFactory } from './mcp/create-mcp-server.js';
import type { Logger } from './telemetry/logger.js';
import { toolsForEnvironment } from './tools/environment-tools.js';
import type { ToolDefinition } from './tools/tool.js';
import { namedRoleLimits } from './limits/limit-scope.js';
import { openLimits } from './limits/open-limits.js';
import type { AuthorizationRoutes } from './http/authorization-routes.js';
import { openStateStore } from './store/open-state-store.js';
import type { StateStore } from './store/state-store.js';
import { Drain } from './util/drain.js';
import { isMetricsEnabled } from './config/metrics-schema.js';
import type { Listening } from './http/listen.js';
import { listenForMetrics } from './http/metrics-listener.js';
import type { StoreProbe } from './http/ready-route.js';
import { SQLGATE_VERSION } from './version.js';
import { InputConfirmations } from './mcp/input-confirmations.js';

export interface Sqlgate {
  readonly config: Config;
  readonly environments: EnvironmentRegistry;
  readonly http: HttpApp;
  /** The shutdown as requests and tool calls see it (cli/graceful-shutdown.ts drives it on SIGTERM/SIGINT). */
  readonly drain: Drain;
  /** The state store (users, tokens, OAuth records); absent when auth.mode is none. */
  readonly store?: StateStore;
  /** The authorization server; absent when auth.mode is none. */
  readonly authorizationServer?: AuthorizationServer;
  /** Demo database files this start created (the CLI says so where logs are quiet, e.g. stdio). */
  readonly createdDemoFiles: readonly string[];
  /** The MCP server factory of one environment (stdio serves it directly). */
  serverFactory(environmentName: string): SqlgateServerFactory;
  /** The tools of one environment (built-ins it keeps, then its configured tools). */
  tools(environmentName: string): readonly ToolDefinition[];
  /**
   * Starts metrics.listen's own listener when it is set, and resolves with its port (undefined: not set). `serve`
   * calls it; stdio never does (several stdio processes would fight over the port). close() stops it.
   */
  serveMetrics(): Promise<number | undefined>;
  close(): Promise<void>;
}

export async function createSqlgate(config: Config, logger: Logger): Promise<Sqlgate> {
  const createdDemoFiles = await ensureDemoDatabases(config.environments, logger);
  const built: Environment[] = [];
  // Measured only when served somewhere (metrics.token, metrics.listen): nobody would read them otherwise, and
  // prom-client is not even loaded then (issue 12).
  const metrics = isMetricsEnabled(config.metrics)
    ? (await import('./telemetry/metrics.js')).createMetrics({ version: SQLGATE_VERSION, pools: () => built.map((e) => ({ environment: e.name, ...e.dialect.poolStats() })) })
    : undefined;
  const rulesCache = new StatementRulesCache(logger);
  try {
    for (const environmentConfig of config.environments) {
      const dialect = await createDialect(environmentConfig);
      await dialect.open();
      const description = environmentConfig.isDemo ? await describeDemo(environmentConfig.description, dialect) : environmentConfig.description;
      built.push({
        name: environmentConfig.name, config: environmentConfig, dialect, rules: await rulesCache.rulesFor(environmentConfig.target), description,
        namedRoleLimits: namedRoleLimits(config.roles, environmentConfig.name),
        observeStatement: metrics?.statementObserver(environmentConfig.name),
        reportRunaway: logRunaway(logger.child({ environment: environmentConfig.name })),
      });
    }
    await checkDatabasesAtStart(built, logger);
  } catch (err) {
    await Promise.all(built.map((e) => e.dialect.close()));
    throw err;
  }
  const environments = new EnvironmentRegistry(built);
  let toolsByEnvironment: Map<string, ToolDefinition[]>;
  try {
    toolsByEnvironment = new Map(environments.list().map((e) => [e.name, toolsForEnvironment(e)]));
  } catch (err) {
    await environments.close();
    throw err;
  }
  let audit: AuditTrail;
  try {
    audit = await openAuditTrail(config.audit, logger, { observeWrite: metrics?.auditWrite });
  } catch (err) {
    await environments.close();
    throw err;
  }
  // Never throws for a Redis that is down (see limits.on_store_error).
  const limits = await openLimits(config.limits, logger);
  const drain = new Drain();
  let authorization: AuthorizationRoutes | undefined;
  let store: StateStore | undefined;
  const refusals = refusalBudget(securityRecorder(audit, logger.child({ component: 'auth' })), { observe: metrics?.securityEvent });
  try {
    if (config.auth.mode === 'oauth') {
      store = await openStateStore(config.store);
      // Loaded only here: the authorization server's libraries are the largest part of sqlgate (app-authorization.ts).
      const { createAuthorization } = await import('./app-authorization.js');
      authorization = await createAuthorization(config, environments, store, refusals.record, limits, logger);
    }
  } catch (err) {
    await refusals.stop();
    await store?.close();
    await limits.close();
    await audit.close();
    await environments.close();
    throw err;
  }
  // One key for every instance that shares the state store (a confirmation may come back to another one).
  const confirmations = new InputConfirmations(store ? await requestStateKey(store) : randomBytes(32).toString('base64url'));
  const factories = new Map(environments.list().map((e) => [e.name, createMcpServerFactory(
    e, toolsByEnvironment.get(e.name)!, logger.child({ environment: e.name }), audit, limits.usage, drain, metrics?.toolCall, confirmations,
  )]));
  // resolve() throws the NotFoundError for an unknown name; every known name has a factory.
  const serverFactory = (name: string): SqlgateServerFactory => factories.get(environments.resolve(name).name)!;
  // Nothing can fail after this but serving: tracing starts last, and close() stops it last.
  const stopTracing = await startTracing(config.telemetry, logger);
  const toolNames = (name: string) => (toolsByEnvironment.get(name) ?? []).map((t) => t.name);
  const http = createHttpApp({
    server: config.server, environments, toolNames, serverFactory, logger, authorization, limits: limits.usage, drain, stores: readinessStores(audit, store),
    metrics: metrics && { metrics, tokenOnMainPort: config.metrics.listen ? undefined : config.metrics.token },
  });
  let metricsListener: Listening | undefined;
  return {
    config,
    environments,
    http,
    drain,
    serverFactory,
    tools: (name) => toolsByEnvironment.get(environments.resolve(name).name)!,
    serveMetrics: async () => {
      if (metrics && config.metrics.listen && !metricsListener) metricsListener = await listenForMetrics(metrics, config.metrics.listen, config.metrics.token, logger);
      return metricsListener?.port;
    },
    store,
    createdDemoFiles,
    authorizationServer: authorization?.authorizationServer,
    close: async () => {
      await http.close();
      authorization?.authorizationServer.close();
      await environments.close();
      await rulesCache.close();
      await store?.close();
      await refusals.stop();
      await audit.close();
      await limits.close();
      // Last: a scrape during the shutdown still sees the final counts.
      await metricsListener?.close();
      await stopTracing();
    },
  };
}

/** The HMAC key of 2026-07-28 confirmation states (mcp/input-confirmations.ts), made once per state store. */
async function requestStateKey(store: StateStore): Promise<string> {
  return (await store.secrets.get(REQUEST_STATE_KEY)) ?? store.secrets.putIfAbsent(REQUEST_STATE_KEY, randomBytes(32).toString('base64url'));
}

const REQUEST_STATE_KEY = 'mcp-request-state-key';

/** What /ready checks: the audit trail always (no call is answered without its record), the state store with sign-in. */
function readinessStores(audit: AuditTrail, store: StateStore | undefined): StoreProbe[] {
  const stores: StoreProbe[] = [{ name: 'audit_store', ping: () => audit.ping() }];
  if (store) stores.push({ name: 'state_store', ping: () => store.ping() });
  return stores;
}

/**
 * For `sqlgate doctor`: opens each environment's database on its own (no tools, no HTTP), checks its login's
 * privileges and closes it again. A demo database is generated first, as `serve` would.
 */
export async function checkEnvironmentPrivileges(environments: readonly EnvironmentConfig[], logger: Logger): Promise<PrivilegeCheck[]> {
  await ensureDemoDatabases(environments, logger);
  return Promise.all(
    environments.map(async (config) => {
      const dialect = await createDialect(config);
      await dialect.open();
      try {
        return await checkPrivileges({ name: config.name, config, dialect });
      } finally {
        await dialect.close();
      }
    }),
  );
}

/** Creates the missing demo databases; returns the files it created. */
async function ensureDemoDatabases(environments: readonly EnvironmentConfig[], logger: Logger): Promise<string[]> {
  const created: string[] = [];
  for (const environment of environments) {
    if (environment.isDemo && environment.target.dialect === 'sqlite' && (await ensureDemoDatabase(environment.target.file))) {
      logger.info({ environment: environment.name, file: environment.target.file }, 'created the demo database');
      created.push(environment.target.file);
    }
  }
  return created;
}

/** What to do about a database that did not answer at start depends on whether it refused the login or is down. */
const UNREACHABLE_ADVICE: Record<NonNullable<ConnectionStatus['failure']>, string> = {
  'login-refused': 'the server refused the login: check the user and password in its database URL (or password_file)',
  'database-refused': 'the server refused the database: check its name and that the login may connect to it',
  unreachable: 'check that the database is up and reachable from here',
};

function warnUnreachable(log: Logger, name: string, status: ConnectionStatus, then: string, fields: Record<string, unknown> = {}): void {
  const advice = UNREACHABLE_ADVICE[status.failure ?? 'unreachable'];
  log.warn({ reason: status.error, failure: status.failure ?? 'unreachable', ...fields },
    `database of environment "${name}" unreachable at start: ${status.error ?? 'no reason given'} (${advice}). Its tools answer "unavailable" until then; ${then}`);
}

/**
 * Every database is reached once at start (in parallel), so a wrong password or a host that is down is said at
 * once, whatever the environment's mode: a writable environment is as unusable as a read-only one when its login
 * is refused. Least privilege too: each read-only environment's login is checked; one that could write or reach
 * the server's files is a loud warning, or with strict_privileges a refusal to start. A database that is down does
 * not stop the server: availability of the others matters more, and doctor can check it later.
 */
async function checkDatabasesAtStart(environments: readonly Environment[], logger: Logger): Promise<void> {
  const needsPrivilegeCheck = (e: Environment) => e.config.readOnly && !e.config.isDemo;
  const [checks] = await Promise.all([
    Promise.all(environments.filter(needsPrivilegeCheck).map((e) => checkPrivileges(e))),
    Promise.all(environments.filter((e) => !needsPrivilegeCheck(e)).map(async (e) => {
      const status = await e.dialect.ping();
      if (!status.connected) warnUnreachable(logger.child({ environment: e.name }), e.name, status, `"sqlgate doctor --env ${e.name}" checks it`);
    })),
  ]);
  const refusals: string[] = [];
  for (const check of checks) {
    const log = logger.child({ environment: check.environment });
    const name = `"${check.environment}"`;
    if (!check.database.connected) {
      warnUnreachable(log, check.environment, check.database, 'its login\'s privileges were not checked; run "sqlgate doctor" once it is up', { strictPrivileges: check.strictPrivileges });
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
