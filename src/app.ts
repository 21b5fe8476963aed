/**
 * The composition root: builds the environments (one Dialect each), the tools, the MCP server factories and the
 * HTTP app from a Config, and passes each its dependencies. No module-level singletons anywhere else.
 */
import type { McpServerFactory } from '@modelcontextprotocol/server';
import type { Config } from './config/schema.js';
import { createDialect } from './db/registry.js';
import { ensureDemoDatabase } from './demo/ensure-demo.js';
import { EnvironmentRegistry, type Environment } from './environments/environment.js';
import { StatementRulesCache } from './guard/create-statement-rules.js';
import { createHttpApp, type HttpApp } from './http/create-http-app.js';
import { createMcpServerFactory } from './mcp/create-mcp-server.js';
import type { Logger } from './telemetry/logger.js';
import { ALL_TOOLS } from './tools/all-tools.js';

export interface Sqlgate {
  readonly config: Config;
  readonly environments: EnvironmentRegistry;
  readonly http: HttpApp;
  /** The MCP server factory of one environment (stdio serves it directly). */
  serverFactory(environmentName: string): McpServerFactory;
  close(): Promise<void>;
}

export async function createSqlgate(config: Config, logger: Logger): Promise<Sqlgate> {
  for (const environment of config.environments) {
    if (environment.isDemo && environment.target.dialect === 'sqlite' && (await ensureDemoDatabase(environment.target.file))) {
      logger.info({ environment: environment.name, file: environment.target.file }, 'created the demo database');
    }
  }
  const built: Environment[] = [];
  const rulesCache = new StatementRulesCache();
  for (const environmentConfig of config.environments) {
    const dialect = createDialect(environmentConfig);
    await dialect.open();
    const rules = await rulesCache.rulesFor(environmentConfig.target);
    built.push({ name: environmentConfig.name, config: environmentConfig, dialect, rules });
  }
  const environments = new EnvironmentRegistry(built);
  const factories = new Map(
    environments.list().map((e) => [e.name, createMcpServerFactory(e, ALL_TOOLS, logger.child({ environment: e.name }))]),
  );
  // resolve() throws the NotFoundError for an unknown name; every known name has a factory.
  const serverFactory = (name: string): McpServerFactory => factories.get(environments.resolve(name).name)!;
  const http = createHttpApp({ server: config.server, environments, tools: ALL_TOOLS, serverFactory, logger });
  return {
    config,
    environments,
    http,
    serverFactory,
    close: async () => {
      await http.close();
      await environments.close();
    },
  };
}
