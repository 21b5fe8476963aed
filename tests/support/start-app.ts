/**
 * Starts sqlgate in this process on a free loopback port, from a YAML-shaped config object, the way
 * `sqlgate serve` does (same loadConfig, createSqlgate and node server). For tests that need a process of its
 * own (stdio, the CLI, the conformance suite) see start-server.ts.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { createSqlgate, type Sqlgate } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { listen } from '../../src/http/listen.js';
import { createLogger, type Logger } from '../../src/telemetry/logger.js';

export interface RunningApp {
  readonly baseUrl: string;
  readonly sqlgate: Sqlgate;
  readonly dir: string;
  stop(): Promise<void>;
}

/**
 * `config` is the YAML document as an object; omit it to serve the built-in demo from a fresh directory.
 * Authentication is off unless the config has an `auth` section (the OAuth tests give one).
 */
export async function startApp(config?: Record<string, unknown>, options: { port?: number; logger?: Logger } = {}): Promise<RunningApp> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-app-'));
  let configPath: string | undefined;
  if (config) {
    configPath = path.join(dir, 'sqlgate.yaml');
    fs.writeFileSync(configPath, stringify(config));
  }
  const authMode = config && 'auth' in config ? undefined : 'none';
  const loaded = loadConfig({ configPath, env: {}, cwd: dir, overrides: { port: 0, authMode } });
  const sqlgate = await createSqlgate(loaded, options.logger ?? createLogger(process.env.SQLGATE_TEST_LOG ?? 'silent'));
  const server = await listen(sqlgate.http, '127.0.0.1', options.port ?? 0);
  await sqlgate.serveMetrics(); // metrics.listen, when the config sets it
  return {
    baseUrl: `http://127.0.0.1:${server.port}`,
    sqlgate,
    dir,
    stop: async () => {
      await server.close();
      await sqlgate.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port that was free a moment ago (for tests that must know the port before the server starts). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
